"""No production code names a level (issue 14): levels are the catalogue's data. Identifiers and
string literals of the code outside tests/ and catalogs/ never say "district" or "commune";
comments and docstrings may explain with them."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "kpi",
    "services",
    "storage",
    "i18n",
    "documents",
    "bot",
    "cli",
    "scheduler",
    "sandbox",
    "bench",
)
WORDS = re.compile(r"district|commune", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _names(node: ast.AST) -> Iterator[str]:
    match node:
        case ast.Name(id=name) | ast.arg(arg=name) | ast.Attribute(attr=name):
            yield name
        case (
            ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name) | ast.ClassDef(name=name)
        ):
            yield name
        case ast.alias(name=name, asname=asname):
            yield name
            if asname:
                yield asname
        case ast.keyword(arg=str() as name):
            yield name


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        found += [f"{path.relative_to(ROOT)}:{line}: {n}" for n in _names(node) if WORDS.search(n)]
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and WORDS.search(node.value)
        ):
            found.append(f"{path.relative_to(ROOT)}:{line}: {node.value[:60]!r}")
    return found


def test_no_production_code_names_a_level() -> None:
    found = [
        offence
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for offence in offences(path)
    ]
    assert not found, "levels named in code, not read from the catalogue:\n" + "\n".join(found)
