"""Cross-article merging into consolidated events, on real SQLite and PostgreSQL stores."""
from __future__ import annotations

import time
from datetime import date

import pytest
import sqlalchemy as sa
from conftest import make_actor, make_article, make_event, make_place

from marsad.analyse.merge import cluster_of, iter_clusters, pair_score
from marsad.store import Store
from marsad.store.schema import clusters

HOUTHIS = make_actor("Ansar Allah", "ansar-allah", country="YEM", sector="REB")
ISRAEL = make_actor("Government of Israel", "ISR-GOV", country="ISR", sector="GOV")
ISRAEL_MIL = make_actor("Military Forces of Israel", "ISR-MIL", country="ISR", sector="MIL")
HODEIDAH = {"name": "Hodeidah", "geonameid": 79415, "lat": 14.7978, "lon": 42.9545, "country": "YEM"}
SANAA = {"name": "Sanaa", "geonameid": 71137, "lat": 15.3547, "lon": 44.2067, "country": "YEM"}


def _report(aid: str, text: str, *, source: str, published: str, **event) -> tuple:
    art = make_article(aid, text, source=source, published=date.fromisoformat(published))
    event.setdefault("date", published)
    return art, [make_event(art, 0, event.pop("event_type", "ASSAULT"), **event)]


def _cluster_ids(store: Store, *event_ids: str) -> list[int]:
    return [cluster_of(store, e)["cluster_id"] for e in event_ids]


def test_two_outlets_merge_and_near_misses_stay_apart(store: Store) -> None:
    reports = [
        _report("reuters", "Israeli jets struck the port of Hodeidah in Yemen on Monday, the military said.",
                source="Reuters", published="2025-07-21", actor=ISRAEL, location=make_place(**HODEIDAH),
                confidence=0.7),
        _report("masirah", "Israel bombed the Houthi-controlled Hodeidah port on Monday, killing three people.",
                source="Al Masirah", published="2025-07-21", actor=ISRAEL_MIL, location=make_place(**HODEIDAH),
                fatalities=3, confidence=0.8),
        # same attacker and day, another city 140 km away
        _report("sanaa", "Israeli jets struck Sanaa airport on Monday.", source="AP", published="2025-07-21",
                actor=ISRAEL, location=make_place(**SANAA)),
        # same place and attacker, a week later
        _report("later", "Israeli jets struck the port of Hodeidah again on Monday.", source="Reuters",
                published="2025-07-28", actor=ISRAEL, location=make_place(**HODEIDAH)),
        # same day and place, another attacker
        _report("houthi", "Houthi forces fired at ships off Hodeidah on Monday.", source="Saba",
                published="2025-07-21", actor=HOUTHIS, location=make_place(**HODEIDAH)),
        # same day, place and actor, but a threat, not a strike
        _report("threat", "Israel threatened to strike Hodeidah port again on Monday.", source="i24",
                published="2025-07-21", event_type="THREATEN", actor=ISRAEL, location=make_place(**HODEIDAH)),
    ]
    for art, evs in reports:
        assert store.add_article(art, evs)
    ids = _cluster_ids(store, "reuters#0", "masirah#0", "sanaa#0", "later#0", "houthi#0", "threat#0")
    assert ids[0] == ids[1]
    assert len(set(ids)) == 5
    merged = cluster_of(store, "reuters#0")
    assert merged["n_mentions"] == 2 and merged["n_sources"] == 2
    assert merged["representative"]["event_id"] == "masirah#0"  # the more confident report
    assert merged["first_published"] == "2025-07-21"
    assert merged["agreement"]["location"] == {"value": "gn:79415", "share": 1.0, "n": 2}
    assert merged["agreement"]["actor"]["share"] == 0.5  # ISR-GOV versus ISR-MIL: same state, not same id
    assert merged["agreement"]["type"] == {"value": "ASSAULT", "share": 1.0, "n": 2}
    assert {s["source"] for s in merged["sources"]} == {"Reuters", "Al Masirah"}


def test_incremental_third_report_joins_without_rebuild(store: Store) -> None:
    first = _report("a", "Houthis fired a missile at Israel on Tuesday.", source="Times of Israel",
                    published="2025-07-22", actor=HOUTHIS, recipient=ISRAEL)
    second = _report("b", "The Houthi movement launched a missile towards Israel early Tuesday.", source="Saba",
                     published="2025-07-22", actor=HOUTHIS, recipient=ISRAEL)
    store.add_article(*first)
    store.add_article(*second)
    cid = cluster_of(store, "a#0")["cluster_id"]
    with store.engine.connect() as conn:
        before = conn.execute(sa.select(clusters.c.id, clusters.c.first_ingested)).all()
    # reported a day later, its date written relative to its own publication: still the same event
    third = _report("c", "Yemen's Houthis said on Wednesday they had fired a missile at Israel the day before.",
                    source="Al Jazeera", published="2025-07-23", date="2025-07-22", actor=HOUTHIS,
                    recipient=ISRAEL_MIL)
    store.add_article(*third)
    with store.engine.connect() as conn:
        after = conn.execute(sa.select(clusters.c.id, clusters.c.first_ingested)).all()
    assert after == before  # same cluster rows, untouched first-report time: nothing was rebuilt
    got = cluster_of(store, "c#0")
    assert got["cluster_id"] == cid and got["n_sources"] == 3
    assert [m["event_id"] for m in got["mentions"]] == ["a#0", "b#0", "c#0"]
    assert got["mentions"][0]["score"] is None and got["mentions"][2]["score"] > 0


def test_two_events_of_one_article_never_merge(store: Store) -> None:
    art = make_article("one", "Israeli jets struck Hodeidah on Monday. Israeli jets also struck Hodeidah port.")
    evs = [make_event(art, 0, actor=ISRAEL, location=make_place(**HODEIDAH), date="2025-07-21"),
           make_event(art, 1, actor=ISRAEL, location=make_place(**HODEIDAH), date="2025-07-21")]
    store.add_article(art, evs)
    assert len(set(_cluster_ids(store, "one#0", "one#1"))) == 2
    # a later report of the same strike joins one of them, not both
    other, other_evs = _report("two", "Israel struck Hodeidah port on Monday.", source="AP", published="2025-07-21",
                               actor=ISRAEL, location=make_place(**HODEIDAH))
    store.add_article(other, other_evs)
    assert cluster_of(store, "two#0")["cluster_id"] in _cluster_ids(store, "one#0", "one#1")


def test_pair_score_gates() -> None:
    a = _report("x", "x", source="s", published="2025-07-21", actor=ISRAEL, location=make_place(**HODEIDAH))[1][0]
    b = _report("y", "y", source="s", published="2025-07-21", actor=ISRAEL, location=make_place(**HODEIDAH))[1][0]
    day = date(2025, 7, 21)
    same = pair_score(a.to_json(), b.to_json(), day, day)
    assert same is not None and same > 5
    assert pair_score(a.to_json(), b.to_json(), day, date(2025, 7, 24)) is None  # beyond the window
    far = {**b.to_json(), "location": make_place(**SANAA).model_dump()}
    assert pair_score(a.to_json(), far, day, day) is None  # 140 km apart
    other = {**b.to_json(), "actor": HOUTHIS.model_dump()}
    assert pair_score(a.to_json(), other, day, day) is None  # contradicting actors
    verbal = {**b.to_json(), "event_type": "ACCUSE"}
    assert pair_score(a.to_json(), verbal, day, day) is None  # another PLOVER family
    # a meeting: "A met B" and "B met A" are one event
    meet_a = {**a.to_json(), "event_type": "CONSULT", "recipient": HOUTHIS.model_dump()}
    meet_b = {**a.to_json(), "event_type": "CONSULT", "actor": HOUTHIS.model_dump(), "recipient": ISRAEL.model_dump()}
    assert pair_score(meet_a, meet_b, day, day) is not None


def test_iter_clusters_pages(store: Store) -> None:
    for i in range(5):
        art, evs = _report(f"p{i}", f"Strike number {i}.", source="s", published=f"2025-07-{10 + 3 * i}",
                           actor=ISRAEL, location=make_place(**HODEIDAH))
        store.add_article(art, evs)
    got = [c["mentions"][0]["event_id"] for c in iter_clusters(store)]
    assert got == [f"p{i}#0" for i in range(5)]
    assert [c["mentions"][0]["event_id"] for c in iter_clusters(store, limit=2, offset=2)] == ["p2#0", "p3#0"]
    assert list(iter_clusters(store, min_sources=2)) == []
    with pytest.raises(ValueError):
        list(iter_clusters(store, offset=-1))
    assert cluster_of(store, "nope") is None


def test_reads_not_blocked_by_an_open_write(store_url: str) -> None:
    """`serve` reading clusters while `ingest` holds a write transaction: the read answers at once."""
    writer, reader = Store(store_url), Store(store_url)
    art, evs = _report("r", "Israel struck Hodeidah.", source="s", published="2025-07-21", actor=ISRAEL)
    writer.add_article(art, evs)
    with writer._write() as conn:
        conn.execute(sa.text("UPDATE clusters SET n_sources = 9"))
        t0 = time.monotonic()
        assert cluster_of(reader, "r#0")["n_sources"] == 1  # the last committed state
        assert len(list(iter_clusters(reader))) == 1
        assert time.monotonic() - t0 < 2
    writer.close()
    reader.close()
