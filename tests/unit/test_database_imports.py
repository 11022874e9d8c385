"""Only storage/ knows the database (issue 19): no production module outside it imports
SQLAlchemy, SQLModel, Alembic or a database driver, even inside a function. bench/ and tests/
aside."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kpi", "services", "scheduler", "i18n", "documents", "bot", "cli", "sandbox")
DATABASE = {"sqlalchemy", "sqlmodel", "alembic", "asyncpg", "aiosqlite", "sqlite3"}


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_no_module_outside_storage_imports_a_database_library() -> None:
    offending = {
        str(path.relative_to(ROOT)): sorted(_imported(path) & DATABASE)
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if _imported(path) & DATABASE
    }

    assert offending == {}


def test_the_scan_sees_imports_at_the_top_and_inside_functions() -> None:
    # storage/errors.py imports asyncpg only when something failed
    assert {"sqlalchemy", "sqlite3", "asyncpg"} <= _imported(ROOT / "storage" / "errors.py")
