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
    # near-duplicates (analyse/dedupe.py): the stored article this one copies, and its MinHash signature
    sa.Column("duplicate_of", sa.Integer, sa.ForeignKey("articles.id"), index=True),
    sa.Column("fingerprint", sa.LargeBinary),
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
    sa.Index("ix_events_acled_event_type", "acled_event_type"),
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
    sa.Index("ix_places_country", "country"),
    sa.Index("ix_places_admin1", "admin1"),
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

# -- consolidation (migration 0003) -----------------------------------------------------------------

ALERT_KINDS = ("spike", "new_actor", "commitment")

# The LSH index of article fingerprints: one row per (band bucket, article); a lookup is `bucket IN (...)`.
article_bands = sa.Table(
    "article_bands",
    metadata,
    sa.Column("bucket", sa.Text, primary_key=True),
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_article_bands_article", "article"),
)

# A consolidated event: the mentions of one real event across articles (analyse/merge.py). The columns
# below the id are a summary refreshed whenever a mention joins, so lists and filters need no join.
clusters = sa.Table(
    "clusters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("representative", sa.Text, nullable=False),  # event_id of the most confident mention
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("day", sa.Date),
    sa.Column("country", sa.Text),
    sa.Column("actor_key", sa.Text),
    sa.Column("recipient_key", sa.Text),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("first_published", sa.Date),
    sa.Column("first_ingested", sa.DateTime(timezone=True), nullable=False),
    sa.Column("n_mentions", sa.Integer, nullable=False),
    sa.Column("n_articles", sa.Integer, nullable=False),
    sa.Column("n_sources", sa.Integer, nullable=False),
    sa.Column("agreement", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_clusters_day", "day"),
    sa.Index("ix_clusters_country", "country"),
    sa.Index("ix_clusters_actor_key", "actor_key"),
)

# Which cluster each stored event is a mention of, with what merging needs to find candidates fast.
event_clusters = sa.Table(
    "event_clusters",
    metadata,
    sa.Column("event_id", sa.Text, sa.ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("cluster", sa.Integer, sa.ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
    sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("day", sa.Date, nullable=False),  # the event date, else its article's publication/ingest day
    sa.Column("score", sa.Float),  # the merge score it joined with (null: it founded the cluster)
    sa.Index("ix_event_clusters_cluster", "cluster"),
    sa.Index("ix_event_clusters_type_day", "event_type", "day"),
)

# A conditional threat kept as a commitment: "if <condition actor> does <condition type>, we will act".
commitments = sa.Table(
    "commitments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Text, sa.ForeignKey("events.event_id", ondelete="CASCADE"), nullable=False),
    sa.Column("author_key", sa.Text),
    sa.Column("author_name", sa.Text),
    sa.Column("condition_text", sa.Text, nullable=False),
    sa.Column("condition_type", sa.Text),
    sa.Column("condition_actor_key", sa.Text),
    sa.Column("condition_actor_name", sa.Text),
    sa.Column("condition_country", sa.Text),
    sa.Column("day", sa.Date, nullable=False),
    sa.UniqueConstraint("event_id", name="uq_commitments_event_id"),
)

alert_rules = sa.Table(
    "alert_rules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint("kind IN ('spike', 'new_actor', 'commitment')", name="ck_alert_rules_kind"),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rule", sa.Integer, sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.Text, nullable=False),  # what the alert is about: a rule alerts once per key
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.UniqueConstraint("rule", "key", name="uq_alerts_rule_key"),
    sa.Index("ix_alerts_created_at", "created_at"),
)
