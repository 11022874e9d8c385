"""deploy/: the systemd unit verifies, and the settings template lists every setting the code
reads (docs/deploy.md follows them)."""

from __future__ import annotations

import ast
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.settings import Settings
from cli.main import _parser

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "chitieu.service"
TEMPLATE = DEPLOY / "chitieu.env"
INSTALLED_BIN = "/opt/chitieu/.venv/bin/"
RUNTIME_PACKAGES = ("bot", "cli", "documents", "i18n", "services", "storage", "scheduler", "kpi")


def _template_keys() -> list[str]:
    keys = []
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, _ = line.partition("=")
            assert sep, f"not KEY=value: {line!r}"
            assert key == key.strip(), f"spaces around the key: {line!r}"
            keys.append(key)
    return keys


def _environment_reads() -> set[str]:
    """Names read with os.environ.get / os.environ[...] / os.getenv in the bot's code, and
    the fields of every Settings subclass (e.g. the CLI's BOT_USERNAME)."""
    names: set[str] = set()
    for package in RUNTIME_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and node.args:
                    called = ast.unparse(node.func)
                    if called in {"os.environ.get", "os.getenv"}:
                        first = node.args[0]
                        if isinstance(first, ast.Constant) and isinstance(first.value, str):
                            names.add(first.value)
                elif (
                    isinstance(node, ast.Subscript)
                    and ast.unparse(node.value) == "os.environ"
                    and isinstance(node.slice, ast.Constant)
                ):
                    names.add(str(node.slice.value))
                elif isinstance(node, ast.ClassDef) and any(
                    ast.unparse(base).endswith("Settings") for base in node.bases
                ):
                    names.update(
                        statement.target.id.upper()
                        for statement in node.body
                        if isinstance(statement, ast.AnnAssign)
                        and isinstance(statement.target, ast.Name)
                        and statement.target.id != "model_config"
                    )
    return names


def test_the_settings_template_lists_every_setting_the_code_reads() -> None:
    wanted = {name.upper() for name in Settings.model_fields} | _environment_reads()

    listed = _template_keys()

    assert sorted(wanted - set(listed)) == []
    assert sorted(set(listed) - wanted) == [], "the template lists settings nobody reads"
    assert len(listed) == len(set(listed)), "a setting is listed twice"


def test_the_settings_template_is_valid_settings_once_the_token_is_filled_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:abc")

    settings = Settings(_env_file=None)

    assert settings.database_url is not None
    assert settings.database_url.startswith("postgresql+asyncpg://chitieu:")
    assert settings.metrics_port is None  # off by default
    assert settings.webhook_url is None  # long polling by default


def _unit_commands() -> list[list[str]]:
    commands = []
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if re.match(r"^Exec(Start|StartPre)=", line):
            commands.append(shlex.split(line.partition("=")[2]))
    return commands


def test_the_unit_runs_commands_the_cli_has() -> None:
    commands = _unit_commands()

    assert [c[1:] for c in commands] == [["init"], ["run"]]
    for command in commands:
        assert command[0] == f"{INSTALLED_BIN}chitieu"
        assert _parser().parse_args(command[1:]).command == command[1]


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit is not verified here")
    # The unit names the installed executables; here they are stand-ins at another path.
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    for name in {Path(c[0]).name for c in _unit_commands()}:
        executable = stand_ins / name
        executable.write_text("#!/bin/sh\n", encoding="utf-8")
        executable.chmod(0o755)
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace(INSTALLED_BIN, f"{stand_ins}/"),
        encoding="utf-8",
    )

    verified = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, check=False, timeout=60
    )

    assert (verified.returncode, verified.stderr, verified.stdout) == (0, "", "")
