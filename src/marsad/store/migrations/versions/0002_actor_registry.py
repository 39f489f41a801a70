"""actors carry the registry's kind, aliases and Wikidata id, and whether they are provisional

A provisional actor is a named organisation or person the registry does not know: stored under its
normalised name so later articles reuse it, never fuzzily merged into another actor.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("actors") as batch:
        batch.add_column(sa.Column("kind", sa.Text))
        batch.add_column(sa.Column("aliases", sa.JSON))
        batch.add_column(sa.Column("wikidata", sa.Text))
        batch.add_column(sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("actors") as batch:
        for name in ("provisional", "wikidata", "aliases", "kind"):
            batch.drop_column(name)
