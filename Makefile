# Chỉ tiêu: run `make help` for the list of targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this list of targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

.PHONY: install
install: $(STAMP) i18n ## Make .venv and install the project with its dev tools

.PHONY: i18n
i18n: $(STAMP) ## Compile the gettext catalogues (locales/*/LC_MESSAGES/*.mo)
	@for po in locales/*/LC_MESSAGES/*.po; do \
	  [ -f "$$po" ] || continue; \
	  $(BIN)/pybabel compile --use-fuzzy -i "$$po" -o "$${po%.po}.mo" -l "$$(basename $$(dirname $$(dirname $$po)))" -D messages >/dev/null || exit 1; \
	done

.PHONY: messages
messages: $(STAMP) ## Extract the bot's messages and update locales/vi (then translate the new ones)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k n_:1,2 -k N_ --no-location --sort-by-file -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -o locales/vi/LC_MESSAGES/messages.po -l vi -D messages --no-fuzzy-matching --ignore-obsolete

.PHONY: run
run: install ## Run the bot (the local sandbox when no TELEGRAM_BOT_TOKEN is configured)
	$(BIN)/chitieu run-or-sandbox

.PHONY: sandbox
sandbox: install ## Run the sandbox: the Bot API emulator, its web chat and the bot
	$(BIN)/chitieu sandbox

.PHONY: test
test: install ## Run lint, type checks and every test (PostgreSQL tests need TEST_DATABASE_URL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/pytest

.PHONY: unit
unit: install ## Run only the fast unit tests
	$(BIN)/pytest tests/unit -q

.PHONY: lint
lint: install ## Check style with ruff (lint and format)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: format
format: install ## Reformat the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: typecheck
typecheck: install ## Check types with mypy --strict
	$(BIN)/mypy .

.PHONY: bench
bench: install ## Run the benchmarks (each prints key=value on its last line)
	$(BIN)/python -m bench.status
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.entry

.PHONY: clean
clean: ## Remove the virtualenv, caches and the local database
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var
