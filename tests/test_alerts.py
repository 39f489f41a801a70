"""Alert rules stored in the database, evaluated after each article: spikes, new actors, triggered commitments."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import make_actor, make_article, make_event, make_place

from marsad.analyse.alerts import add_rule, evaluate_article, list_alerts, list_commitments, list_rules
from marsad.models import Article, Condition, Modality
from marsad.store import Store
from marsad.store.schema import alert_rules, articles

KH = make_actor("Kataib Hezbollah", "kataib-hezbollah", country="IRQ", sector="REB")
US = make_actor("Government of United States", "USA-GOV", country="USA", sector="GOV", text="America")
US_MIL = make_actor("Military Forces of United States", "USA-MIL", country="USA", sector="MIL", text="US forces")
IRAN = make_actor("Government of Iran", "IRN-GOV", country="IRN", sector="GOV")
ISRAEL = make_actor("Government of Israel", "ISR-GOV", country="ISR", sector="GOV")
SEEDS = Path(__file__).resolve().parents[1] / "src" / "marsad" / "data" / "sample"


def only_rules(store: Store, kind: str, parameters: dict | None = None) -> int:
    """Disable every stored rule and add the one under test."""
    with store._write() as conn:
        conn.execute(sa.update(alert_rules).values(enabled=False))
    return add_rule(store, kind, parameters)


def ingest(store: Store, art: Article, evs: list) -> list[dict]:
    """What the pipeline does per article: store it, then evaluate the rules on it."""
    pk = store.store_article(art, evs)
    assert pk is not None
    return evaluate_article(store, pk)


def threat_article(aid: str = "threat", published: str = "2025-06-15") -> tuple[Article, list]:
    text = ('"If America intervenes in the war, we will act directly against its interests and bases," '
            "Kataib Hezbollah said on Sunday.")
    art = make_article(aid, text, source="The New Arab", published=date.fromisoformat(published))
    cond = Condition(text="If America intervenes in the war", event_type="ASSAULT", actor=US)
    return art, [make_event(art, 0, "THREATEN", actor=KH, recipient=US, date=published,
                            modality=Modality(condition=cond), confidence=0.8)]


def strike_article(aid: str, actor=US_MIL, event_type: str = "ASSAULT", day: str = "2025-06-22",
                   **fields) -> tuple[Article, list]:
    text = f"{actor.name} carried out {event_type.lower()} against Iranian nuclear sites at Fordow ({aid})."
    art = make_article(aid, text, source="Reuters", published=date.fromisoformat(day))
    return art, [make_event(art, 0, event_type, actor=actor, recipient=IRAN, date=day,
                            location=make_place("Fordow", 1, lat=34.88, lon=50.99, country="IRN"), **fields)]


def test_default_rules_are_seeded(store: Store) -> None:
    assert {r["kind"] for r in list_rules(store)} >= {"spike", "new_actor", "commitment"}
    with pytest.raises(ValueError):
        add_rule(store, "nonsense")


def test_commitment_triggered_names_author_and_both_evidences(store: Store) -> None:
    only_rules(store, "commitment")
    assert ingest(store, *threat_article()) == []
    [commitment] = list_commitments(store)
    assert commitment["author"] == {"key": "kataib-hezbollah", "name": "Kataib Hezbollah"}
    assert commitment["condition"]["text"] == "If America intervenes in the war"
    assert commitment["condition"]["actor"]["key"] == "USA-GOV" and commitment["evaluable"]
    assert commitment["triggered"] == []

    # not met: another actor; the right actor with another type; the right act dated before the threat;
    # the right act only threatened or denied
    assert ingest(store, *strike_article("israel", actor=ISRAEL)) == []
    assert ingest(store, *strike_article("sanction", event_type="SANCTION")) == []
    assert ingest(store, *strike_article("before", day="2025-06-10")) == []
    assert ingest(store, *strike_article("denied", modality=Modality(negated=True))) == []
    assert list_alerts(store) == []

    [alert] = ingest(store, *strike_article("us-strike"))
    assert alert["kind"] == "commitment"
    assert "Kataib Hezbollah" in alert["title"] and "If America intervenes in the war" in alert["title"]
    c, t = alert["payload"]["commitment"], alert["payload"]["trigger"]
    assert c["id"] == commitment["id"] and c["author"]["name"] == "Kataib Hezbollah"
    assert "we will act directly" in c["threat"]["evidence"] and c["threat"]["article"]["id"] == "threat"
    assert t["event_id"] == "us-strike#0" and "Fordow" in t["evidence"] and t["article"]["source"] == "Reuters"
    assert list_commitments(store)[0]["triggered"] == [{"alert_id": alert["id"], "event_id": "us-strike#0"}]
    # a second outlet's report of the same strike joins its cluster: no second alert
    art, evs = strike_article("us-strike-2")
    assert ingest(store, art, evs) == []
    assert len(list_alerts(store)) == 1


def test_commitment_stored_after_the_event_that_meets_it(store: Store) -> None:
    """Articles arrive out of order: a threat ingested after the (later-dated) strike still alerts."""
    only_rules(store, "commitment")
    assert ingest(store, *strike_article("us-strike")) == []
    [alert] = ingest(store, *threat_article())
    assert alert["payload"]["trigger"]["event_id"] == "us-strike#0"


def test_condition_without_actor_is_kept_but_not_evaluated(store: Store) -> None:
    only_rules(store, "commitment")
    art = make_article("walai", "Walai warned of attacks if full-scale war erupts.", published=date(2025, 6, 19))
    cond = Condition(text="if full-scale war erupts", event_type="ASSAULT", actor=None)
    ingest(store, art, [make_event(art, 0, "THREATEN", actor=KH, date="2025-06-19", modality=Modality(condition=cond))])
    assert ingest(store, *strike_article("us-strike")) == []
    assert [c["evaluable"] for c in list_commitments(store)] == [False]


def test_spike_over_baseline(store: Store) -> None:
    only_rules(store, "spike", {"family": "material_conflict", "by": "country", "baseline_days": 28,
                                "min_count": 3, "z": 3.0})
    places = [("Aleppo", 170063, 36.20, 37.16), ("Idlib", 169389, 35.93, 36.63), ("Hama", 170017, 35.13, 36.75),
              ("Deir ez-Zor", 170794, 35.33, 40.14), ("Latakia", 173579, 35.52, 35.79)]

    def strike(aid: str, day: date, place: tuple) -> list[dict]:
        art = make_article(aid, f"Shelling hit {place[0]} ({aid}).", published=day)
        ev = make_event(art, 0, "ASSAULT", date=day.isoformat(),
                        location=make_place(place[0], place[1], lat=place[2], lon=place[3], country="SYR"))
        return ingest(store, art, [ev])

    quiet = date(2025, 3, 1)
    assert strike("base", quiet, places[0]) == []  # one event in the baseline month
    day = quiet + timedelta(days=20)
    assert strike("d1", day, places[0]) == [] and strike("d2", day, places[1]) == []  # 2 < min_count
    assert strike("d3", day, places[2]) == []  # 3 events: z = (3 - 1/28) / sqrt(1/28 + 1) = 2.91 < 3
    [alert] = strike("d4", day, places[3])
    p = alert["payload"]
    assert (p["value"], p["day"], p["count"], p["baseline_days"]) == ("SYR", day.isoformat(), 4, 28)
    assert p["baseline_mean"] == pytest.approx(1 / 28, abs=1e-3)
    assert p["z"] == pytest.approx((4 - 1 / 28) / (1 / 28 + 1) ** 0.5, abs=1e-3)
    assert len(p["events"]) == 4
    assert strike("d5", day, places[4]) == []  # once per country and day


def test_first_appearance_of_an_actor(store: Store) -> None:
    only_rules(store, "new_actor", {"roles": ["actor", "recipient"], "include_registry": True})
    newcomer = make_actor("Saraya Awliya al-Dam")
    a = make_article("a1", "Saraya Awliya al-Dam claimed a rocket attack on Baghdad airport.")
    alerts = ingest(store, a, [make_event(a, 0, actor=newcomer, recipient=make_actor("local residents"))])
    assert [(x["payload"]["actor"]["key"], x["payload"]["actor"]["provisional"]) for x in alerts] == [
        ("name:saraya awliya al-dam", True)]  # generic 'local residents' is nobody's first appearance
    assert alerts[0]["payload"]["event"]["evidence"] == a.text
    b = make_article("a2", "Saraya Awliya al-Dam attacked again, and Kataib Hezbollah denied involvement.")
    alerts = ingest(store, b, [make_event(b, 0, actor=newcomer, recipient=KH)])
    assert [x["payload"]["actor"]["key"] for x in alerts] == ["kataib-hezbollah"]  # a registry actor, first seen
    c = make_article("a3", "Kataib Hezbollah and Saraya Awliya al-Dam again.")
    assert ingest(store, c, [make_event(c, 0, actor=KH, recipient=newcomer)]) == []


def test_list_alerts_paging_and_since(store: Store) -> None:
    only_rules(store, "new_actor")
    t0 = datetime.now(UTC)
    for i in range(3):
        art = make_article(f"n{i}", f"Group Number{i} Brigade attacked.")
        ingest(store, art, [make_event(art, 0, actor=make_actor(f"Number{i} Brigade"))])
    got = list_alerts(store)
    assert [a["payload"]["actor"]["name"] for a in got] == ["Number2 Brigade", "Number1 Brigade", "Number0 Brigade"]
    assert [a["id"] for a in list_alerts(store, limit=1, offset=1)] == [got[1]["id"]]
    assert len(list_alerts(store, since=t0)) == 3
    assert list_alerts(store, since=datetime.now(UTC) + timedelta(seconds=5)) == []


@pytest.mark.slow
def test_seed_commitments_triggered_by_a_later_us_strike(store: Store) -> None:
    """The real pipeline on the seeds: Kataib Hezbollah's 'if America intervenes' (002) and the Iranian army's
    'if Washington pursues military escalation' (001) are commitments; a later article reporting a US strike
    on Iran triggers them, and one on an Israeli strike does not."""
    from marsad.config import get_settings
    from marsad.pipeline import ingest as pipeline_ingest

    only_rules(store, "commitment")  # the PostgreSQL test database keeps rules between tests
    settings = get_settings()
    seeds = [Article(id="002", text=(SEEDS / "002_6832a546bc2cb8c9.txt").read_text(), published=date(2025, 6, 16)),
             Article(id="001", text=(SEEDS / "001_94ff677b7214dbf4.txt").read_text(), published=date(2025, 6, 12))]
    assert pipeline_ingest(store, seeds, settings) == (2, 0, 0)
    authors = {c["author"]["name"] for c in list_commitments(store) if c["evaluable"]}
    assert {"Kataib Hezbollah", "Mohammad Akraminia"} <= authors
    before = {a["id"] for a in list_alerts(store, limit=500)}

    israel = Article(id="isr", published=date(2025, 6, 22), source="AP",
                     text="Israeli warplanes struck targets in Tehran on Sunday, the Israeli military said.")
    pipeline_ingest(store, [israel], settings)
    assert not [a for a in list_alerts(store, limit=500) if a["kind"] == "commitment"]

    strike = Article(id="us", published=date(2025, 6, 22), source="Reuters",
                     text="The United States struck three nuclear sites in Iran early on Sunday, including the "
                          "Fordow enrichment plant, President Donald Trump said.")
    assert pipeline_ingest(store, [strike], settings) == (1, 0, 0)
    fired = [a for a in list_alerts(store, limit=500) if a["kind"] == "commitment" and a["id"] not in before]
    by_author = {a["payload"]["commitment"]["author"]["name"]: a for a in fired}
    assert {"Kataib Hezbollah", "Mohammad Akraminia"} <= set(by_author)
    kh = by_author["Kataib Hezbollah"]["payload"]
    assert kh["commitment"]["threat"]["article"]["id"] == "002"
    assert "America" in kh["commitment"]["condition"]["text"] or "United States" in kh["commitment"]["condition"]["text"]
    assert kh["trigger"]["article"]["id"] == "us" and "Fordow" in kh["trigger"]["evidence"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(articles)).scalar_one() == 4
