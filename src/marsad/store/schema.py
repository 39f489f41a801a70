"""The store's tables as SQLAlchemy Core objects (the queries use these; migrations create them)."""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

ACTOR_ROLES = ("actor", "recipient", "speaker", "condition_actor")
PLACE_ROLES = ("location",)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("article_id", sa.Text, nullable=False, index=True),
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

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
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
    sa.Index("ix_events_article", "article"),
    sa.Index("ix_events_event_type", "event_type"),
    sa.Index("ix_events_date", "date"),
)

actors = sa.Table(
    "actors",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("country", sa.Text),
    sa.Column("sector", sa.Text),
    sa.Column("acled_inter", sa.Integer),
    sa.Column("parent", sa.Text),
    sa.Column("kind", sa.Text),
    sa.Column("aliases", sa.JSON),
    sa.Column("wikidata", sa.Text),
    sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false()),
)

places = sa.Table(
    "places",
    metadata,
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

event_actors = sa.Table(
    "event_actors",
    metadata,
    sa.Column("event_id", sa.Text, sa.ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.Text, primary_key=True),
    sa.Column("actor_key", sa.Text, sa.ForeignKey("actors.key"), nullable=False, index=True),
    sa.Column("text", sa.Text),
    sa.Column("start", sa.Integer),
    sa.Column("end", sa.Integer),
    sa.CheckConstraint(
        "role IN ('actor', 'recipient', 'speaker', 'condition_actor')", name="ck_event_actors_role"
    ),
)

event_places = sa.Table(
    "event_places",
    metadata,
    sa.Column("event_id", sa.Text, sa.ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.Text, primary_key=True),
    sa.Column("place_key", sa.Text, sa.ForeignKey("places.key"), nullable=False, index=True),
    sa.Column("text", sa.Text),
    sa.Column("start", sa.Integer),
    sa.Column("end", sa.Integer),
    sa.CheckConstraint("role IN ('location')", name="ck_event_places_role"),
)
