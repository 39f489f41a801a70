"""indexes for the API's event filters: by place country / admin1 and by ACLED event type

Measured with bench/bench_api.py (1M events on SQLite): the country and bbox filters scanned `places`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = [("ix_events_acled_event_type", "events", ["acled_event_type"]),
           ("ix_places_country", "places", ["country"]),
           ("ix_places_admin1", "places", ["admin1"])]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
