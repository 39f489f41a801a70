"""The store against real databases: a SQLite file and (when reachable) PostgreSQL, same code."""
from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import make_actor, make_article, make_event, make_place

import marsad.store as store_module
from marsad.errors import MarsadError
from marsad.models import Condition, Modality
from marsad.store import Store, StoreError, actor_key, open_store, place_key, schema
from marsad.store.migrate import head_revision
from marsad.store.schema import metadata


def _full_event(article, n=0, **fields):
    army = make_actor("Syrian Arab Army", "SYR-MIL", country="SYR", sector="MIL", acled_inter=1,
                      text="government forces", start=0, end=17)
    return make_event(
        article, n,
        mode="violence",
        context=["military"],
        acled_event_type="Explosions/Remote violence",
        acled_sub_event_type="Shelling/artillery/missile attack",
        actor=army,
        recipient=make_actor("civilians", sector="CVL", acled_inter=7),
        speaker=make_actor("Observatory", "SOHR", sector="SOC"),
        modality=Modality(condition=Condition(text="if talks fail", event_type="ASSAULT",
                                              actor=make_actor("Rebel  Front"))),
        location=make_place(),
        date="2024-03-03",
        date_precision=1,
        fatalities=4,
        confidence=0.8,
        **fields,
    )


def test_add_and_read_back(store: Store) -> None:
    a1, a2 = make_article("a1", title="Shelling", published=date(2024, 3, 4), url="https://x.test/1",
                          source="wire"), make_article("a2")
    evs1 = [_full_event(a1, 0), make_event(a1, 1, "ACCUSE")]
    evs2 = [make_event(a2, 0, "PROTEST", mode="demo")]
    assert store.add_article(a1, evs1) is True
    assert store.add_article(a2, evs2) is True

    assert list(store.iter_events()) == [e.to_json() for e in evs1 + evs2]
    assert store.counts() == {"articles": 2, "events": 3, "actors": 4, "places": 1}

    got = store.article("a1")
    assert got is not None
    assert got["events"] == [e.to_json() for e in evs1]
    assert {k: got[k] for k in ("id", "title", "published", "url", "source", "language", "text")} == {
        "id": "a1", "title": "Shelling", "published": "2024-03-04", "url": "https://x.test/1",
        "source": "wire", "language": "en", "text": a1.text,
    }
    assert got["content_hash"] == a1.content_hash
    assert datetime.fromisoformat(got["ingested_at"]).utcoffset().total_seconds() == 0
    assert store.article("nope") is None


def test_idempotent(store: Store) -> None:
    a = make_article()
    evs = [_full_event(a)]
    assert store.has_article(a.content_hash) is False
    assert store.add_article(a, evs) is True
    before = store.counts()
    # same content, even under another id and with other events: nothing changes
    assert store.add_article(a, evs) is False
    assert store.add_article(make_article("other-id", text=a.text), []) is False
    assert store.counts() == before
    assert store.has_article(a.content_hash) is True


def test_columns_ranks_and_links(store: Store) -> None:
    a = make_article()
    evs = [_full_event(a, 0), make_event(a, 1, "CONSULT", date="not a date")]
    store.add_article(a, evs)
    with store.engine.connect() as conn:
        ev = schema.events.c
        rows = conn.execute(sa.select(
            ev.event_id, ev.rank, ev.event_type, ev.mode, ev.acled_event_type, ev.date, ev.fatalities,
            ev.confidence, ev.evidence_start, ev.evidence_end).order_by(ev.rank)).all()
        links = conn.execute(sa.text(
            'SELECT event_id, role, actor_key, text, start, "end" FROM event_actors ORDER BY role')).all()
        place_links = conn.execute(sa.text("SELECT event_id, role, place_key FROM event_places")).all()
        place = conn.execute(sa.text("SELECT name, lat, lon, country, geonameid FROM places")).one()
    assert [tuple(r) for r in rows] == [
        ("art-1#0", 0, "ASSAULT", "violence", "Explosions/Remote violence", date(2024, 3, 3), 4, 0.8,
         0, len(a.text)),
        ("art-1#1", 1, "CONSULT", None, None, None, None, 0.5, 0, len(a.text)),
    ]
    assert [tuple(r) for r in links] == [
        ("art-1#0", "actor", "SYR-MIL", "government forces", 0, 17),
        ("art-1#0", "condition_actor", "name:rebel front", "Rebel  Front", None, None),
        ("art-1#0", "recipient", "name:civilians", "civilians", None, None),
        ("art-1#0", "speaker", "SOHR", "Observatory", None, None),
    ]
    assert [tuple(r) for r in place_links] == [("art-1#0", "location", "gn:170063")]
    assert tuple(place) == ("Aleppo", 36.20124, 37.16117, "SYR", 170063)


def test_actors_and_places_first_writer_wins(store: Store) -> None:
    a1, a2 = make_article("a1"), make_article("a2")
    store.add_article(a1, [make_event(a1, actor=make_actor("Hezbollah", "LBN-REB", sector="REB"),
                                      recipient=make_actor("Syrian  ARMY"),
                                      location=make_place("Qusayr", None, lat=34.5, lon=36.58))])
    store.add_article(a2, [make_event(a2, actor=make_actor("Hizballah", "LBN-REB", sector="PTY"),
                                      recipient=make_actor("syrian army"),
                                      location=make_place("Al-Qusayr", None, lat=34.5, lon=36.58))])
    with store.engine.connect() as conn:
        actors = conn.execute(sa.text("SELECT key, name, sector FROM actors ORDER BY key")).all()
        places = conn.execute(sa.text("SELECT key, name FROM places ORDER BY key")).all()
    assert [tuple(r) for r in actors] == [
        ("LBN-REB", "Hezbollah", "REB"), ("name:syrian army", "Syrian  ARMY", None),
    ]
    # no geonameid: keyed by coordinates and name, so two spellings are two places
    assert [tuple(r) for r in places] == [
        ("ll:34.5,36.58:Al-Qusayr", "Al-Qusayr"), ("ll:34.5,36.58:Qusayr", "Qusayr"),
    ]


def test_keys() -> None:
    assert actor_key(make_actor("  The   UN ")) == "name:the un"
    assert actor_key(make_actor("UN", "Q1065")) == "Q1065"
    assert place_key(make_place("Homs", 169577)) == "gn:169577"
    assert place_key(make_place("Homs", None, lat=34.7323612, lon=36.7136823)) == "ll:34.73236,36.71368:Homs"


def test_one_transaction(store: Store) -> None:
    a = make_article()
    duplicate_ids = [make_event(a, 0), make_event(a, 0, "COERCE", actor=make_actor("X", "X1"))]
    with pytest.raises(StoreError) as info:
        store.add_article(a, duplicate_ids)
    assert info.value.code == "E301"
    assert "art-1" in info.value.message
    # nothing of the failed article was kept: not the article row, not the actor
    assert store.counts() == {"articles": 0, "events": 0, "actors": 0, "places": 0}
    assert store.has_article(a.content_hash) is False
    assert store.add_article(a, [make_event(a, 0)]) is True


def test_event_of_another_article_is_refused(store: Store) -> None:
    a, b = make_article("a"), make_article("b")
    with pytest.raises(ValueError, match="belongs to article 'b'"):
        store.add_article(a, [make_event(b)])
    assert store.counts()["articles"] == 0


def test_latest_article_version(store: Store) -> None:
    old, new = make_article("same", text="Old text."), make_article("same", text="New text, corrected.")
    store.add_article(old, [make_event(old, 0)])
    store.add_article(new, [make_event(new, 0, "REJECT", event_id="same#v2")])
    got = store.article("same")
    assert got["text"] == "New text, corrected."
    assert [e["event_id"] for e in got["events"]] == ["same#v2"]
    assert store.counts()["articles"] == 2


def test_iter_events_limit_offset_and_paging(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_PAGE", 2)  # force several keyset pages
    expected = []
    for i in range(3):
        art = make_article(f"p{i}")
        evs = [make_event(art, n) for n in range(3 - i)]  # 3, 2, 1 events
        store.add_article(art, evs)
        expected += [e.event_id for e in evs]
    ids = lambda it: [e["event_id"] for e in it]  # noqa: E731
    assert ids(store.iter_events()) == expected
    assert ids(store.iter_events(limit=3)) == expected[:3]
    assert ids(store.iter_events(limit=4, offset=1)) == expected[1:5]
    assert ids(store.iter_events(offset=5)) == expected[5:]
    assert ids(store.iter_events(limit=0)) == []
    assert ids(store.iter_events(offset=99)) == []
    with pytest.raises(ValueError):
        list(store.iter_events(offset=-1))


def test_migrations_match_schema_and_reopen(store_url: str) -> None:
    first = open_store(store_url)
    first.add_article(make_article(), [])
    first.close()
    again = Store(store_url)  # migrating an up-to-date database changes nothing
    assert again.url == store_url
    assert again.counts()["articles"] == 1
    with again.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == head_revision() == "0004"
        assert compare_metadata(context, metadata) == []
    again.close()


def test_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(MarsadError) as info:
        Store("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/nothing")
    assert info.value.code == "E301"
    assert "cannot open the store" in info.value.message
    assert "127.0.0.1" in info.value.message
    assert "s3cret" not in info.value.message


@pytest.mark.parametrize(
    "url, words",
    [
        ("not a url", "invalid database URL"),
        ("mysql://u@localhost/x", "unsupported database"),
    ],
)
def test_bad_urls(url: str, words: str) -> None:
    with pytest.raises(StoreError, match=words) as info:
        Store(url)
    assert info.value.code == "E301"


def test_unwritable_sqlite_path(tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="(?i)not a directory") as info:
        Store(f"sqlite:///{blocker / 'db' / 'marsad.db'}")
    assert info.value.code == "E301"
    readonly = tmp_path / "ro.db"
    readonly.write_bytes(b"this is not a SQLite database, not even close" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(f"sqlite:///{readonly}")


def test_sqlite_creates_parent_dirs_and_sets_pragmas(tmp_path) -> None:
    path = tmp_path / "deep" / "er" / "marsad.db"
    s = Store(f"sqlite:///{path}")
    assert path.exists()
    # every pooled connection, not only the first, gets the pragmas
    conns = [s.engine.connect() for _ in range(3)]
    try:
        for conn in conns:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        for conn in conns:
            conn.close()
    s.close()


def test_sqlite_reader_not_blocked_by_writer(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'marsad.db'}"
    writer, reader = Store(url), Store(url)
    a = make_article()
    writer.add_article(a, [make_event(a)])
    with writer.engine.connect() as conn:
        conn = conn.execution_options(marsad_write=True)
        with conn.begin():  # an open write transaction holding SQLite's write lock
            conn.execute(sa.text(
                "INSERT INTO articles (article_id, content_hash, text, ingested_at)"
                " VALUES ('w', 'hash-w', 'w', '2024-01-01 00:00:00')"))
            t0 = time.monotonic()
            assert reader.counts()["articles"] == 1  # sees the last committed state
            assert [e["event_id"] for e in reader.iter_events()] == ["art-1#0"]
            assert time.monotonic() - t0 < 2
    assert reader.counts()["articles"] == 2
    # and the other way round: a long read does not keep the writer from committing
    with reader.engine.connect() as conn, conn.begin():
        count = "SELECT count(*) FROM articles"
        assert conn.exec_driver_sql(count).scalar() == 2
        t0 = time.monotonic()
        b = make_article("b")
        assert writer.add_article(b, [make_event(b)]) is True
        assert time.monotonic() - t0 < 2
        assert conn.exec_driver_sql(count).scalar() == 2  # the reader's snapshot is stable
    assert reader.counts()["articles"] == 3
    writer.close()
    reader.close()


def test_concurrent_writers(store_url: str) -> None:
    stores = [Store(store_url) for _ in range(4)]
    shared = make_article("shared")
    results: dict[int, list[bool]] = {}

    def work(i: int) -> None:
        own = make_article(f"own-{i}")
        results[i] = [stores[i].add_article(shared, [make_event(shared)]),
                      stores[i].add_article(own, [make_event(own, actor=make_actor("Same Actor"))])]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r[0] for r in results.values()) == [False, False, False, True]
    assert all(r[1] for r in results.values())
    assert stores[0].counts() == {"articles": 5, "events": 5, "actors": 1, "places": 0}
    for s in stores:
        s.close()


def test_bare_postgresql_url_uses_psycopg(pg_url: str) -> None:
    bare = pg_url.replace("postgresql+psycopg://", "postgresql://")
    s = Store(bare)
    assert s.engine.dialect.driver == "psycopg"
    s.ping()
    s.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_first_open(backend: str, tmp_path, request: pytest.FixtureRequest) -> None:
    """Several processes' worth of Stores opening one brand-new database at once all get a migrated store."""
    if backend == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'fresh.db'}", None
    else:
        base = sa.make_url(request.getfixturevalue("pg_url"))
        name = f"{base.database}_fresh"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

    opened: list[Store] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(Store(url))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        assert len(opened) == 4
        assert all(s.counts()["articles"] == 0 for s in opened)
    finally:
        for s in opened:
            s.close()
        if drop:
            drop()


def test_registry_loaded_into_the_store_and_provisional_actors(store: Store) -> None:
    from marsad.resolve.registry import load_registry

    reg = load_registry()
    assert store.sync_registry(reg.by_id.values()) == len(reg)
    assert store.sync_registry(reg.by_id.values()) == len(reg)  # again: updated in place, no duplicates
    a = make_article("p1")
    store.add_article(a, [make_event(a, actor=make_actor("Saraya Awliya al-Dam"),
                                     recipient=make_actor("local residents"))])
    with store.engine.connect() as conn:
        kh = conn.execute(sa.text("SELECT name, kind, aliases, provisional FROM actors "
                                  "WHERE key = 'kataib-hezbollah'")).one()
        rows = dict(conn.execute(sa.text("SELECT key, provisional FROM actors WHERE key LIKE 'name:%'")).all())
        n = conn.execute(sa.text("SELECT count(*) FROM actors")).scalar_one()
    assert kh.name == "Kataib Hezbollah" and kh.kind == "org" and not kh.provisional
    aliases = kh.aliases if isinstance(kh.aliases, list) else json.loads(kh.aliases)  # JSON text on SQLite
    assert "Kataeb Hezbollah" in aliases
    assert rows == {"name:saraya awliya al-dam": True, "name:local residents": False}
    assert n == len(reg) + 2
