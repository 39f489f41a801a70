"""Analytics: intensity weights (a documented data table), families, time series, the escalation index and
the actor network, as pure functions and over real stores (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest
from test_api import fill

from marsad.analyse import aggregates as agg
from marsad.export import PLOVER_QUAD
from marsad.models import PLOVER_TYPES
from marsad.store import Store

D = date.fromisoformat


def test_intensity_table_is_documented_and_complete() -> None:
    raw = json.loads(resources.files("marsad.data").joinpath("lexicons/intensity.json").read_text())
    assert "PLOVER" in raw["_about"] and "Goldstein" in raw["_about"]
    table = agg.intensity_table()
    assert set(table["types"]) == set(PLOVER_TYPES)
    for event_type, row in table["types"].items():
        assert row["weight"] == -row["plover"], event_type  # the PLOVER score, sign flipped
        assert -10 <= row["goldstein"] <= 10
    assert all(key.split(":")[0] in PLOVER_TYPES for key in table["modes"])
    weights = {t: r["weight"] for t, r in table["types"].items()}
    # the scale's shape: violence highest, threats and coercion mid, verbal conflict low, cooperation < 0
    assert weights["ASSAULT"] == max(weights.values())
    assert weights["ASSAULT"] > weights["COERCE"] > weights["THREATEN"] > weights["REJECT"] > 0
    assert weights["ASSAULT"] > weights["SANCTION"] > weights["ACCUSE"]
    assert all(weights[t] < 0 for t in agg.GROUPS["cooperation"])


def test_families_are_plover_quads() -> None:
    assert sorted(agg.FAMILY_OF) == sorted(PLOVER_TYPES)
    quads = {"verbal_cooperation": 1, "material_cooperation": 2, "verbal_conflict": 3, "material_conflict": 4}
    assert all(PLOVER_QUAD[t] == quads[agg.FAMILY_OF[t]] for t in PLOVER_TYPES)
    assert agg.family_types(" Conflict ") == agg.FAMILIES["verbal_conflict"] + agg.FAMILIES["material_conflict"]
    with pytest.raises(ValueError, match="valid: verbal_cooperation"):
        agg.family_types("kinetic")


def test_event_weight_modes_and_modality() -> None:
    assert agg.event_weight("ASSAULT") == 9.0
    assert agg.event_weight("ASSAULT", "drone") == 9.5  # the mode's own PLOVER score
    assert agg.event_weight("ASSAULT", "no-such-mode") == 9.0
    assert agg.event_weight("AID") == -10.0
    assert agg.event_weight("ASSAULT", negated=True) == 0.0  # "did not strike": nothing happened
    assert agg.event_weight("THREATEN", conditional=True) == 1.75
    assert agg.event_weight("THREATEN", hypothetical=True, conditional=True) == 1.75
    assert agg.event_weight("ASSAULT", hedged=True) == pytest.approx(7.2)


def test_family_series_fills_every_period() -> None:
    rows = [(D("2024-03-01"), "ASSAULT", 2), (D("2024-03-01"), "CONSULT", 1), (D("2024-03-03"), "PROTEST", 1)]
    days = agg.family_series(rows)
    assert [d["date"] for d in days] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert days[0] == {"date": "2024-03-01", "verbal_cooperation": 1, "material_cooperation": 0,
                       "verbal_conflict": 0, "material_conflict": 2, "total": 3}
    assert days[1]["total"] == 0
    weeks = agg.family_series(rows + [(D("2024-03-11"), "AID", 1)], by="week")
    assert [(w["date"], w["total"]) for w in weeks] == [("2024-02-26", 4), ("2024-03-04", 0), ("2024-03-11", 1)]
    assert agg.family_series(rows, by="month")[0]["total"] == 4
    assert agg.family_series([]) == []
    with pytest.raises(ValueError):
        agg.family_series(rows, by="hour")


def test_escalation_series_index_and_baseline() -> None:
    rows = [(D("2024-01-01"), "ASSAULT", None, False, False, False, False),
            (D("2024-01-01"), "CONSULT", None, False, False, False, False),
            (D("2024-01-03"), "THREATEN", None, False, True, False, True),
            (D("2024-01-03"), "ASSAULT", None, True, False, False, False)]
    series = agg.escalation_series(rows, baseline_days=2)
    assert [d["date"] for d in series] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    first, second, third = series
    assert (first["events"], first["conflict"], first["cooperation"], first["index"]) == (2, 9.0, 2.5, 6.5)
    assert (second["events"], second["index"], second["baseline"]) == (0, 0.0, 3.25)
    assert (third["events"], third["index"], third["baseline"], third["change"]) == (2, 1.75, 3.25, -1.5)
    bounded = agg.escalation_series(rows, since=D("2023-12-31"), until=D("2024-01-01"))
    assert [d["date"] for d in bounded] == ["2023-12-31", "2024-01-01"]


def test_network_graph() -> None:
    rows = [("A", "B", "ASSAULT", 3), ("A", "B", "COERCE", 1), ("A", "B", "ACCUSE", 2), ("C", "A", "SUPPORT", 2),
            ("B", "C", "CONSULT", 1)]
    graph = agg.network_graph(rows, {"A": {"name": "Alpha"}})
    edges = {(e["source"], e["target"], e["family"]): e for e in graph["edges"]}
    assert edges[("A", "B", "material_conflict")]["weight"] == 4
    assert edges[("A", "B", "material_conflict")]["types"] == {"ASSAULT": 3, "COERCE": 1}
    assert edges[("A", "B", "verbal_conflict")]["weight"] == 2
    assert graph["edges"][0]["weight"] == 4  # heaviest first
    assert graph["allegiance"] == [{"source": "C", "target": "A", "weight": 2}]
    nodes = {n["key"]: n for n in graph["nodes"]}
    assert nodes["A"]["name"] == "Alpha" and nodes["B"]["name"] == "B"
    assert (nodes["A"]["degree"], nodes["A"]["weighted_degree"], nodes["A"]["out_weight"]) == (2, 8, 6)
    assert nodes["A"]["degree_centrality"] == 1.0
    heavy = agg.network_graph(rows, min_weight=3)
    assert [(e["source"], e["target"]) for e in heavy["edges"]] == [("A", "B")] and heavy["allegiance"] == []


def test_counterparts() -> None:
    rows = [("B", "Bravo", "actor", "ASSAULT", 2), ("B", "Bravo", "recipient", "ACCUSE", 1),
            ("C", "Charlie", "actor", "CONSULT", 1)]
    parts = agg.counterparts(rows)
    assert parts[0] == {"key": "B", "name": "Bravo", "events": 3, "as_actor": 2, "as_recipient": 1,
                        "families": {"material_conflict": 2, "verbal_conflict": 1}}
    assert parts[1]["key"] == "C"


def test_over_a_real_store(store: Store) -> None:
    fill(store)
    days = agg.timeseries(store, country="SYR")
    assert [(d["date"], d["material_conflict"]) for d in days] == [("2024-03-03", 1)]
    assert [d["date"] for d in agg.timeseries(store, family="verbal_conflict")] == ["2024-03-04", "2024-03-05"]
    iraq = agg.escalation(store, country="IRQ")
    assert [(d["date"], d["index"]) for d in iraq] == [("2024-03-05", 1.75)]
    pair = agg.escalation(store, dyad=("kataib-hezbollah", "khamenei"))
    assert [(d["date"], d["cooperation"]) for d in pair] == [("2024-03-05", 5.0)]
    assert agg.escalation(store, dyad=("nobody", "khamenei")) == []
    net = agg.network(store, family="cooperation")
    assert [(e["source"], e["target"]) for e in net["edges"]] == [("kataib-hezbollah", "khamenei")]
    assert net["nodes"][0]["name"] in ("Kataib Hezbollah", "Ali Khamenei")
