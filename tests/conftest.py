"""Shared test helpers: records built by hand (no NLP pipeline) and real stores (SQLite file, PostgreSQL)."""
from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from marsad.models import Actor, Article, Event, Evidence, Modality, Place
from marsad.store import Store

# The admin connection used to create a throw-away database; override to point at another server.
PG_ADMIN_URL = os.environ.get("MARSAD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

DATA_TABLES = ("alerts", "commitments", "event_clusters", "clusters", "article_bands", "event_places", "event_actors",
               "events", "actors", "places", "articles")


def make_article(article_id: str = "art-1", text: str | None = None, **fields: Any) -> Article:
    """An Article; its text defaults to something unique to its id."""
    text = text if text is not None else f"Article {article_id}: troops shelled the town of Kafr Nabl."
    return Article(id=article_id, text=text, **fields)


def make_actor(name: str, actor_id: str | None = None, **fields: Any) -> Actor:
    return Actor(id=actor_id, name=name, text=fields.pop("text", name), **fields)


def make_place(name: str = "Aleppo", geonameid: int | None = 170063, **fields: Any) -> Place:
    fields = {"lat": 36.20124, "lon": 37.16117, "country": "SYR", **fields}
    return Place(name=name, text=fields.pop("text", name), geonameid=geonameid, **fields)


def make_event(
    article: Article,
    n: int = 0,
    event_type: str = "ASSAULT",
    evidence: str | None = None,
    event_id: str | None = None,
    **fields: Any,
) -> Event:
    """An Event of `article` whose evidence is a real slice of the article text."""
    if evidence is None:
        start, end = 0, len(article.text)
    else:
        start = article.text.index(evidence)
        end = start + len(evidence)
    fields.setdefault("modality", Modality())
    return Event(
        event_id=event_id or f"{article.id}#{n}",
        article_id=article.id,
        event_type=event_type,
        evidence=Evidence(text=article.text[start:end], start=start, end=end),
        **fields,
    )


def _pg_admin_engine() -> sa.Engine | None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError:
        engine.dispose()
        return None
    return engine


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for this test session, dropped afterwards."""
    admin = _pg_admin_engine()
    if admin is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} (or psycopg not installed)")
    name = f"marsad_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty store: a SQLite file in a not-yet-existing folder, or the session's PG database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'marsad.db'}"
    url = request.getfixturevalue("pg_url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # earlier tests left rows behind: start empty
        if sa.inspect(conn).has_table("articles"):
            conn.exec_driver_sql(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
    engine.dispose()
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'marsad.db'}")
    yield s
    s.close()


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    """Stop a server the tests started: `sig`, 15 s to exit cleanly (a hang raises), killed in any case."""
    proc.send_signal(sig)
    try:
        proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode
