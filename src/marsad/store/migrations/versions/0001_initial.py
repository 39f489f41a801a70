"""initial schema: articles, events, actors, places and the event links

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.Text, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("published", sa.Date),
        sa.Column("url", sa.Text),
        sa.Column("source", sa.Text),
        sa.Column("language", sa.Text),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("content_hash", name="uq_articles_content_hash"),
    )
    op.create_index("ix_articles_article_id", "articles", ["article_id"])

    op.create_table(
        "events",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column(
            "article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("mode", sa.Text),
        sa.Column("acled_event_type", sa.Text),
        sa.Column("acled_sub_event_type", sa.Text),
        sa.Column("date", sa.Date),
        sa.Column("fatalities", sa.Integer),
        sa.Column("confidence", sa.Float),
        sa.Column("evidence_start", sa.Integer),
        sa.Column("evidence_end", sa.Integer),
        sa.Column("record", sa.JSON, nullable=False),
        sa.UniqueConstraint("article", "rank", name="uq_events_article_rank"),
    )
    op.create_index("ix_events_article", "events", ["article"])
    op.create_index("ix_events_event_type", "events", ["event_type"])
    op.create_index("ix_events_date", "events", ["date"])

    op.create_table(
        "actors",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("country", sa.Text),
        sa.Column("sector", sa.Text),
        sa.Column("acled_inter", sa.Integer),
        sa.Column("parent", sa.Text),
    )

    op.create_table(
        "places",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("country", sa.Text),
        sa.Column("admin1", sa.Text),
        sa.Column("admin2", sa.Text),
        sa.Column("feature", sa.Text),
        sa.Column("geonameid", sa.Integer),
    )

    op.create_table(
        "event_actors",
        sa.Column(
            "event_id", sa.Text, sa.ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("role", sa.Text, primary_key=True),
        sa.Column("actor_key", sa.Text, sa.ForeignKey("actors.key"), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("start", sa.Integer),
        sa.Column("end", sa.Integer),
        sa.CheckConstraint(
            "role IN ('actor', 'recipient', 'speaker', 'condition_actor')", name="ck_event_actors_role"
        ),
    )
    op.create_index("ix_event_actors_actor_key", "event_actors", ["actor_key"])

    op.create_table(
        "event_places",
        sa.Column(
            "event_id", sa.Text, sa.ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("role", sa.Text, primary_key=True),
        sa.Column("place_key", sa.Text, sa.ForeignKey("places.key"), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("start", sa.Integer),
        sa.Column("end", sa.Integer),
        sa.CheckConstraint("role IN ('location')", name="ck_event_places_role"),
    )
    op.create_index("ix_event_places_place_key", "event_places", ["place_key"])


def downgrade() -> None:
    for table in ("event_places", "event_actors", "places", "actors", "events", "articles"):
        op.drop_table(table)
