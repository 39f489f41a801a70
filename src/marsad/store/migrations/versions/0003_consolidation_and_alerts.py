"""consolidation: near-duplicate links and the LSH index, clusters of event mentions, commitments, alerts

An article keeps its MinHash signature and, when it is a near-copy of a stored one, `duplicate_of`;
`article_bands` is the LSH index over the signatures (queried by band, so it works across processes).
Each event joins one cluster (a consolidated event); conditional threats become commitments; alert rules
live in the database, seeded here with the defaults (analyse/alerts.py documents their parameters).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DEFAULT_RULES = [
    {"kind": "spike", "parameters": {"family": "material_conflict", "by": "country", "baseline_days": 28,
                                     "min_count": 3, "z": 3.0}},
    {"kind": "spike", "parameters": {"family": "material_conflict", "by": "actor", "baseline_days": 28,
                                     "min_count": 3, "z": 3.0}},
    {"kind": "new_actor", "parameters": {"roles": ["actor", "recipient"], "include_registry": True}},
    {"kind": "commitment", "parameters": {"match": "type"}},
]


def upgrade() -> None:
    # Not batch mode: on SQLite that rebuilds `articles`, and dropping the old table with foreign keys on
    # cascades to every stored event. SQLite's own ADD COLUMN accepts a REFERENCES clause.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE articles ADD COLUMN duplicate_of INTEGER REFERENCES articles (id)")
    else:
        op.add_column("articles", sa.Column("duplicate_of", sa.Integer))
        op.create_foreign_key("fk_articles_duplicate_of", "articles", "articles", ["duplicate_of"], ["id"])
    op.add_column("articles", sa.Column("fingerprint", sa.LargeBinary))
    op.create_index("ix_articles_duplicate_of", "articles", ["duplicate_of"])

    op.create_table(
        "article_bands",
        sa.Column("bucket", sa.Text, primary_key=True),
        sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_article_bands_article", "article_bands", ["article"])

    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("representative", sa.Text, nullable=False),
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
    )
    op.create_index("ix_clusters_day", "clusters", ["day"])
    op.create_index("ix_clusters_country", "clusters", ["country"])
    op.create_index("ix_clusters_actor_key", "clusters", ["actor_key"])

    op.create_table(
        "event_clusters",
        sa.Column("event_id", sa.Text, sa.ForeignKey("events.event_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("cluster", sa.Integer, sa.ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("article", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("score", sa.Float),
    )
    op.create_index("ix_event_clusters_cluster", "event_clusters", ["cluster"])
    op.create_index("ix_event_clusters_type_day", "event_clusters", ["event_type", "day"])

    op.create_table(
        "commitments",
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

    rules = op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("kind IN ('spike', 'new_actor', 'commitment')", name="ck_alert_rules_kind"),
    )
    op.bulk_insert(rules, [{**r, "enabled": True} for r in DEFAULT_RULES])

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.Integer, sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.UniqueConstraint("rule", "key", name="uq_alerts_rule_key"),
    )
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])


def downgrade() -> None:
    for table in ("alerts", "alert_rules", "commitments", "event_clusters", "clusters", "article_bands"):
        op.drop_table(table)
    op.drop_index("ix_articles_duplicate_of", "articles")
    op.drop_column("articles", "fingerprint")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_articles_duplicate_of", "articles", type_="foreignkey")
    op.drop_column("articles", "duplicate_of")  # SQLite >= 3.35 drops a column (its REFERENCES with it)
