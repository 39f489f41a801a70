"""Alembic environment: runs on the connection the Store hands over (never reads alembic.ini or the CWD)."""
from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable when someone runs the alembic CLI by hand
    raise RuntimeError("marsad migrations run through marsad.store.migrate.upgrade(connection), not the CLI")

context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
