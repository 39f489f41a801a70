"""Crash safety: `marsad ingest` killed with SIGKILL at random points, then run again, leaves the store exactly
as one clean run does (nothing lost, nothing duplicated) and intact (SQLite integrity_check; PostgreSQL
constraints), on SQLite and on PostgreSQL (a fresh database per test)."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import _pg_admin_engine

pytestmark = pytest.mark.slow
MARSAD = [sys.executable, "-m", "marsad.cli"]
EVAL = Path(__file__).resolve().parents[1] / "eval" / "data" / "news_acled_test.jsonl"
N_ARTICLES = 60
ROUNDS = 4
SEED = int(os.environ.get("MARSAD_CRASH_SEED", "20250616"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """60 short real news reports (the ACLED-style evaluation set), one JSONL file."""
    path = tmp_path_factory.mktemp("crash") / "corpus.jsonl"
    lines = EVAL.read_text(encoding="utf-8").splitlines()[:N_ARTICLES]
    with path.open("w", encoding="utf-8") as fh:
        for line in lines:
            rec = json.loads(line)
            fh.write(json.dumps({"id": rec["id"], "text": rec["text"], "published": "2025-06-16"}) + "\n")
    return path


def env(tmp: Path) -> dict:
    return {**os.environ, "MARSAD_DATA_DIR": str(tmp / "data")}


def snapshot(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            q = lambda sql: conn.execute(sa.text(sql)).all()
            out = {
                "articles": sorted(r[0] for r in q("SELECT content_hash FROM articles")),
                "article_ids": sorted(r[0] for r in q("SELECT article_id FROM articles")),
                "events": sorted(r[0] for r in q("SELECT event_id FROM events")),
                "event_actors": q("SELECT count(*) FROM event_actors")[0][0],
                "event_places": q("SELECT count(*) FROM event_places")[0][0],
                "orphans": q("SELECT count(*) FROM events e LEFT JOIN articles a ON a.id = e.article "
                             "WHERE a.id IS NULL")[0][0],
            }
            if engine.dialect.name == "sqlite":
                out["integrity"] = q("PRAGMA integrity_check")[0][0]
                out["fk"] = q("PRAGMA foreign_key_check")
            return out
    finally:
        engine.dispose()


def count_articles(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("articles"):
                return 0
            return conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
    except sa.exc.OperationalError:
        return 0
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def clean(corpus, tmp_path_factory) -> dict:
    """The reference: one uninterrupted run on a fresh SQLite store."""
    tmp = tmp_path_factory.mktemp("clean")
    url = f"sqlite:///{tmp / 'clean.db'}"
    r = subprocess.run([*MARSAD, "ingest", str(corpus), "--db", url], capture_output=True, text=True,
                       env=env(tmp), timeout=300)
    assert r.returncode == 0, r.stderr
    snap = snapshot(url)
    assert len(snap["articles"]) == N_ARTICLES and len(snap["events"]) > N_ARTICLES / 2
    return snap


def kill_and_rerun(corpus: Path, url: str, tmp: Path) -> list[str]:
    """ROUNDS runs each killed at a random point (the first one early: start-up, migration; the others once a
    random number of articles is stored, plus a random few milliseconds), then one run to the end."""
    rng = random.Random(SEED)
    log = []
    for n in range(ROUNDS):
        proc = subprocess.Popen([*MARSAD, "ingest", str(corpus), "--db", url], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env(tmp))
        try:
            if n == 0:
                time.sleep(rng.uniform(1.0, 3.5))
                when = "early"
            else:
                target = min(count_articles(url) + rng.randint(1, 12), N_ARTICLES - 1)
                deadline = time.monotonic() + 120
                while count_articles(url) < target and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0, 0.05))
                when = f"after {target} articles"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        log.append(f"round {n + 1}: killed {when} (exit {proc.returncode}); {count_articles(url)} stored")
    final = subprocess.run([*MARSAD, "ingest", str(corpus), "--db", url], capture_output=True, text=True,
                           env=env(tmp), timeout=300)
    assert final.returncode == 0 and "Traceback" not in final.stderr, final.stderr
    summary = json.loads(final.stderr.strip().splitlines()[-1])
    log.append(f"final run: stored {summary['stored']}, already present {summary['already_present']}")
    return log


def _same_as_clean(snap: dict, clean: dict) -> None:
    assert snap["articles"] == clean["articles"], "articles lost or duplicated"
    assert snap["article_ids"] == clean["article_ids"]
    assert snap["events"] == clean["events"], "events lost or duplicated"
    assert (snap["event_actors"], snap["event_places"]) == (clean["event_actors"], clean["event_places"])
    assert snap["orphans"] == 0


def test_sigkill_during_ingest_sqlite(corpus, clean, tmp_path):
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    log = kill_and_rerun(corpus, url, tmp_path)
    print("\n".join(log))
    snap = snapshot(url)
    assert snap["integrity"] == "ok" and snap["fk"] == []
    _same_as_clean(snap, clean)


def test_sigkill_during_ingest_postgresql(corpus, clean, tmp_path):
    admin = _pg_admin_engine()
    if admin is None:
        pytest.skip("PostgreSQL not reachable")
    name = f"marsad_crash_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        log = kill_and_rerun(corpus, url, tmp_path)
        print("\n".join(log))
        snap = snapshot(url)
        _same_as_clean(snap, clean)
        engine = sa.create_engine(url)
        with engine.connect() as conn:  # every constraint still valid, no index left broken
            invalid = conn.execute(sa.text("SELECT count(*) FROM pg_index WHERE NOT indisvalid")).scalar_one()
            dupes = conn.execute(sa.text("SELECT count(*) FROM (SELECT content_hash FROM articles GROUP BY "
                                         "content_hash HAVING count(*) > 1) d")).scalar_one()
        engine.dispose()
        assert invalid == 0 and dupes == 0
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
