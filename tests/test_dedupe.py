"""Near-duplicate articles: MinHash fingerprints, the LSH index in the database, `duplicate_of` links."""
from __future__ import annotations

import sqlalchemy as sa
from conftest import make_actor, make_article, make_event, make_place

from marsad.analyse import dedupe
from marsad.analyse.merge import cluster_of
from marsad.store import Store
from marsad.store.schema import article_bands, articles

WIRE = ("The United States struck three nuclear sites in Iran early on Sunday, including the heavily "
        "fortified Fordow enrichment plant, President Donald Trump said. He called the strikes a spectacular "
        "military success and warned Tehran against retaliation.")


def _links(store: Store) -> dict[str, str | None]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT a.article_id, o.article_id AS orig FROM articles a LEFT JOIN articles o ON o.id = a.duplicate_of"))
        return {r.article_id: r.orig for r in rows}


def _strike(article, n=0, **fields):
    return make_event(article, n, "ASSAULT", actor=make_actor("Government of United States", "USA-GOV",
                                                               country="USA", sector="GOV"),
                      location=make_place("Fordow", 1, lat=34.88, lon=50.99, country="IRN"),
                      date="2025-06-22", **fields)


def test_shingles_and_jaccard() -> None:
    assert dedupe.shingles("One two three four") == {"one two three", "two three four"}
    assert dedupe.shingles("Hi there") == {"hi there"}
    assert dedupe.jaccard(WIRE, WIRE) == 1.0
    copy = f"WASHINGTON (Reuters) - {WIRE} (Reporting by Steve Holland)"
    assert dedupe.jaccard(WIRE, copy) >= dedupe.THRESHOLD
    assert dedupe.jaccard(WIRE, "Israeli jets struck the port of Hodeidah in Yemen on Monday.") < 0.05
    # the MinHash estimate tracks the exact value
    assert abs(dedupe.similarity(dedupe.fingerprint(WIRE), dedupe.fingerprint(copy)) - dedupe.jaccard(WIRE, copy)) < 0.15


def test_syndicated_copy_is_linked_and_not_double_counted(store: Store) -> None:
    original = make_article("reuters-1", WIRE, source="Reuters")
    copy = make_article("gulf-1", f"WASHINGTON, June 22 (Reuters) - {WIRE} Follow Gulf News for updates.",
                        source="Gulf News")
    other = make_article("ap-1", "American warplanes bombed Iran's Fordow nuclear facility overnight, officials "
                                 "in Washington confirmed on Sunday, in an operation the Pentagon called a success.",
                         source="AP")
    assert store.add_article(original, [_strike(original, confidence=0.7)])
    assert store.add_article(copy, [_strike(copy, confidence=0.9)])
    assert store.add_article(other, [_strike(other, confidence=0.6)])
    assert _links(store) == {"reuters-1": None, "gulf-1": "reuters-1", "ap-1": None}

    cluster = cluster_of(store, "gulf-1#0")
    assert cluster is not None and cluster == cluster_of(store, "reuters-1#0") == cluster_of(store, "ap-1#0")
    assert cluster["n_mentions"] == 3
    assert cluster["n_articles"] == 2 and cluster["n_sources"] == 2  # the copy is listed, not counted
    assert {m["article"]["id"]: m["duplicate"] for m in cluster["mentions"]} == {
        "reuters-1": False, "gulf-1": True, "ap-1": False}
    # nor does it get to be the representative, though its confidence is highest
    assert cluster["representative"]["event_id"] == "reuters-1#0"
    assert sorted(s["source"] for s in cluster["sources"]) == ["AP", "Reuters"]


def test_copy_of_a_copy_points_at_the_first_original(store: Store) -> None:
    a = make_article("a", WIRE)
    b = make_article("b", f"{WIRE} Source: Reuters.")
    c = make_article("c", f"Breaking: {WIRE} Source: Reuters. More to follow.")
    for art in (a, b, c):
        store.add_article(art, [])
    assert _links(store) == {"a": None, "b": "a", "c": "a"}


def test_index_lives_in_the_database(store_url: str) -> None:
    """A second process (here: a second Store) finds copies of what the first stored: no in-memory index."""
    first = Store(store_url)
    first.add_article(make_article("orig", WIRE), [])
    first.close()
    with Store(store_url).engine.connect() as conn:
        n_bands = conn.execute(sa.select(sa.func.count()).select_from(article_bands)).scalar_one()
    assert n_bands == dedupe.BANDS
    second = Store(store_url)
    assert second.add_article(make_article("dup", WIRE.replace("Sunday", "Sunday morning")), [])
    assert _links(second)["dup"] == "orig"
    second.close()


def test_unrelated_and_bulk_loaded_articles_are_not_linked(store: Store) -> None:
    store.add_article(make_article("x", WIRE), [])
    store.add_article(make_article("y", "Hundreds protested in Basra on Friday against the strikes."), [])
    # consolidate=False: a bulk loader's articles carry no fingerprint and join no index
    store.add_article(make_article("z", WIRE + " Updated."), [], consolidate=False)
    assert _links(store) == {"x": None, "y": None, "z": None}
    with store.engine.connect() as conn:
        fp = dict(conn.execute(sa.select(articles.c.article_id, articles.c.fingerprint)).all())
    assert fp["z"] is None and len(fp["x"]) == dedupe.NUM_PERM * 4
