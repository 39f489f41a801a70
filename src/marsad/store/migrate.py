"""Run the store's Alembic migrations programmatically, on a connection we already hold."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic Config pointing at the migrations shipped in the package (no alembic.ini lookup)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this version of marsad."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    """The migration the database is at (None for an empty database)."""
    return MigrationContext.configure(connection).get_current_revision()


_PG_LOCK = 0x6D61727361640001  # any constant: serialises concurrent first opens of one PostgreSQL database


def upgrade(connection: sa.Connection, revision: str = "head") -> None:
    """Bring the database on `connection` up to `revision` (call inside a transaction)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    if revision == "head" and current_revision(connection) == head_revision():
        return  # the common case: nothing to do, and no Alembic logging noise
    command.upgrade(alembic_config(connection), revision)
