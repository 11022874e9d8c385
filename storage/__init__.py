"""Storage: the only package that knows SQL (SQLModel tables, engine, migrations, repositories).

db = Database.connect()            # DATABASE_URL, or var/chitieu.db
await db.upgrade()
async with db.unit_of_work() as uow:
    await uow.figures.add_revisions([revision])
    await uow.commit()
await db.dispose()
"""

from storage.engine import create_engine, default_database_url, safe_url
from storage.migrate import current_revision, upgrade
from storage.unit_of_work import Database, SqlUnitOfWork

__all__ = [
    "Database",
    "SqlUnitOfWork",
    "create_engine",
    "current_revision",
    "default_database_url",
    "safe_url",
    "upgrade",
]
