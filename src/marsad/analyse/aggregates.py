"""Analytics over stored events: time series by PLOVER family, the daily escalation index, the actor network.

Pure functions over the rows that `marsad.store.queries` returns, so they are testable without a database;
`timeseries`, `escalation` and `network` at the end run the query and the function together.

Event families are PLOVER's quad categories (manual draft 2.0, each type's "Quad category"):
verbal cooperation AGREE CONSULT SUPPORT CONCEDE; material cooperation COOPERATE AID RETREAT; verbal conflict
REQUEST ACCUSE REJECT THREATEN; material conflict PROTEST SANCTION MOBILIZE COERCE ASSAULT.

The escalation index of a day is the sum of its events' conflict intensities: the weights of
`data/lexicons/intensity.json` (minus the PLOVER conflict/cooperation score of the event's type and mode, so
ASSAULT +9, THREATEN +3.5, ACCUSE +3, CONSULT -2.5, AID -10), times a modality factor (negated 0,
hypothetical or conditional 0.5, hedged 0.8). Positive: conflict outweighs cooperation that day.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from marsad.resources import data_json

FAMILIES: dict[str, tuple[str, ...]] = {
    "verbal_cooperation": ("AGREE", "CONSULT", "SUPPORT", "CONCEDE"),
    "material_cooperation": ("COOPERATE", "AID", "RETREAT"),
    "verbal_conflict": ("REQUEST", "ACCUSE", "REJECT", "THREATEN"),
    "material_conflict": ("PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"),
}
FAMILY_OF: dict[str, str] = {t: fam for fam, types in FAMILIES.items() for t in types}
# broader groups accepted wherever a family is
GROUPS: dict[str, tuple[str, ...]] = {
    **FAMILIES,
    "cooperation": FAMILIES["verbal_cooperation"] + FAMILIES["material_cooperation"],
    "conflict": FAMILIES["verbal_conflict"] + FAMILIES["material_conflict"],
    "verbal": FAMILIES["verbal_cooperation"] + FAMILIES["verbal_conflict"],
    "material": FAMILIES["material_cooperation"] + FAMILIES["material_conflict"],
}
ALLEGIANCE_TYPE = "SUPPORT"  # "declared loyalty to Khamenei": SUPPORT actor -> recipient
PERIODS = ("day", "week", "month")
MAX_DAYS = 20 * 366  # a filled daily series never grows past this


def family_types(name: str) -> tuple[str, ...]:
    """The PLOVER types of a family or group name; ValueError naming the valid ones."""
    try:
        return GROUPS[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown event family {name!r}; valid: {', '.join(GROUPS)}") from None


@lru_cache(maxsize=1)
def intensity_table() -> dict[str, Any]:
    return data_json("lexicons/intensity.json")


def event_weight(event_type: str, mode: str | None = None, *, negated: bool = False,
                 hypothetical: bool = False, hedged: bool = False, conditional: bool = False) -> float:
    """The conflict intensity one event adds to the escalation index (see the module docstring)."""
    table = intensity_table()
    weight = table["modes"].get(f"{event_type}:{mode}") if mode else None
    if weight is None:
        weight = table["types"].get(event_type, {}).get("weight", 0.0)
    factors = table["modality"]
    if negated:
        return float(factors["negated"] * weight)
    if hypothetical or conditional:
        weight *= min(factors["hypothetical"] if hypothetical else 1, factors["conditional"] if conditional else 1)
    if hedged:
        weight *= factors["hedged"]
    return float(weight)


def _period_start(day: date, by: str) -> date:
    if by == "week":
        return day - timedelta(days=day.weekday())  # ISO week, from Monday
    if by == "month":
        return day.replace(day=1)
    return day


def _next_period(day: date, by: str) -> date:
    if by == "week":
        return day + timedelta(days=7)
    if by == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


def _span(first: date, last: date, by: str) -> list[date]:
    out, day = [], _period_start(first, by)
    while day <= last and len(out) < MAX_DAYS:
        out.append(day)
        day = _next_period(day, by)
    return out


def family_series(rows: Iterable[tuple[date, str, int]], by: str = "day",
                  since: date | None = None, until: date | None = None) -> list[dict[str, Any]]:
    """Event counts per period and PLOVER family from (date, type, count) rows, every period of the range
    present (zeros included): [{"date", "verbal_cooperation", ..., "material_conflict", "total"}]."""
    if by not in PERIODS:
        raise ValueError(f"unknown period {by!r}; valid: {', '.join(PERIODS)}")
    counts: dict[date, Counter] = defaultdict(Counter)
    for day, event_type, n in rows:
        counts[_period_start(day, by)][FAMILY_OF.get(event_type, "other")] += n
    if not counts and not (since and until):
        return []
    first = since or min(counts)
    last = until or max(counts)
    out = []
    for period in _span(first, last, by):
        c = counts.get(period, Counter())
        out.append({"date": period.isoformat(), **{fam: c[fam] for fam in FAMILIES}, "total": sum(c.values())})
    return out


def escalation_series(rows: Iterable[tuple], since: date | None = None, until: date | None = None,
                      baseline_days: int = 7) -> list[dict[str, Any]]:
    """The daily escalation index from (date, type, mode, negated, hypothetical, hedged, conditional) rows.

    Every day of the range is present: {"date", "events", "conflict" (sum of positive weights),
    "cooperation" (sum of the negative ones, as a positive number), "index" (conflict - cooperation),
    "baseline" (mean index of the `baseline_days` days before), "change" (index - baseline)}.
    """
    days: dict[date, list[float]] = defaultdict(list)
    for day, event_type, mode, negated, hypothetical, hedged, conditional in rows:
        days[day].append(event_weight(event_type, mode, negated=negated, hypothetical=hypothetical,
                                      hedged=hedged, conditional=conditional))
    if not days and not (since and until):
        return []
    out: list[dict[str, Any]] = []
    for day in _span(since or min(days), until or max(days), "day"):
        weights = days.get(day, [])
        conflict = sum((w for w in weights if w > 0), 0.0)
        cooperation = sum((-w for w in weights if w < 0), 0.0)
        index = conflict - cooperation
        before = [d["index"] for d in out[-baseline_days:]]
        baseline = sum(before) / baseline_days if before else 0.0
        out.append({"date": day.isoformat(), "events": len(weights), "conflict": round(conflict, 3),
                    "cooperation": round(cooperation, 3), "index": round(index, 3),
                    "baseline": round(baseline, 3), "change": round(index - baseline, 3)})
    return out


def network_graph(rows: Iterable[tuple[str, str, str, int]], names: dict[str, dict] | None = None,
                  min_weight: int = 1) -> dict[str, Any]:
    """The actor network from (actor key, recipient key, PLOVER type, events) rows.

    edges: one per (source, target, family), weight = events, with the per-type counts;
    allegiance: SUPPORT edges (source declared support / loyalty to target);
    nodes: every actor on a kept edge with degree (distinct neighbours), weighted degree (sum of edge
    weights, in + out), in/out weights and degree centrality (degree / (nodes - 1)).
    """
    names = names or {}
    edges: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    allegiance: Counter = Counter()
    for src, dst, event_type, n in rows:
        edges[(src, dst, FAMILY_OF.get(event_type, "other"))][event_type] += n
        if event_type == ALLEGIANCE_TYPE:
            allegiance[(src, dst)] += n
    edge_list = [
        {"source": s, "target": t, "family": fam, "weight": sum(types.values()), "types": dict(types)}
        for (s, t, fam), types in edges.items() if sum(types.values()) >= min_weight
    ]
    edge_list.sort(key=lambda e: (-e["weight"], e["source"], e["target"], e["family"]))
    neighbours: dict[str, set[str]] = defaultdict(set)
    w_in: Counter = Counter()
    w_out: Counter = Counter()
    for e in edge_list:
        neighbours[e["source"]].add(e["target"])
        neighbours[e["target"]].add(e["source"])
        w_out[e["source"]] += e["weight"]
        w_in[e["target"]] += e["weight"]
    n_nodes = len(neighbours)
    nodes = [
        {"key": k, "name": names.get(k, {}).get("name", k), "country": names.get(k, {}).get("country"),
         "degree": len(nb), "weighted_degree": w_in[k] + w_out[k], "in_weight": w_in[k], "out_weight": w_out[k],
         "degree_centrality": round(len(nb) / (n_nodes - 1), 6) if n_nodes > 1 else 0.0}
        for k, nb in neighbours.items()
    ]
    nodes.sort(key=lambda n: (-n["weighted_degree"], n["key"]))
    allegiance_list = [{"source": s, "target": t, "weight": n} for (s, t), n in allegiance.most_common()
                       if n >= min_weight]
    return {"nodes": nodes, "edges": edge_list, "allegiance": allegiance_list}


def counterparts(rows: Iterable[tuple[str, str, str, str, int]]) -> list[dict[str, Any]]:
    """An actor's counterparts from (other key, other name, own role, PLOVER type, events) rows: who it acted
    on (`as_actor`) and who acted on it (`as_recipient`), with events per family; busiest first."""
    out: dict[str, dict[str, Any]] = {}
    for key, name, role, event_type, n in rows:
        c = out.setdefault(key, {"key": key, "name": name, "events": 0, "as_actor": 0, "as_recipient": 0,
                                 "families": Counter()})
        c["events"] += n
        c["as_actor" if role == "actor" else "as_recipient"] += n
        c["families"][FAMILY_OF.get(event_type, "other")] += n
    result = sorted(out.values(), key=lambda c: (-c["events"], c["key"]))
    for c in result:
        c["families"] = dict(c["families"])
    return result


# -- query + function ------------------------------------------------------------------------------


def timeseries(store: Any, by: str = "day", family: str | None = None, **filters: Any) -> list[dict]:
    """Event counts per period by family for the stored events matching `filters` (EventFilter names)."""
    from marsad.store.queries import EventFilter, count_by_day

    if family:
        filters["event_types"] = family_types(family)
    f = EventFilter.of(**filters)
    return family_series(count_by_day(store, f), by, f.since, f.until)


def escalation(store: Any, dyad: tuple[str, str] | None = None, **filters: Any) -> list[dict]:
    """The daily escalation index of the stored events matching `filters` (e.g. country="IRN"), or of one
    actor dyad (events between the two, either direction)."""
    from marsad.store.queries import EventFilter, intensity_rows

    f = EventFilter.of(**filters)
    return escalation_series(intensity_rows(store, f, dyad), f.since, f.until)


def network(store: Any, family: str | None = None, min_weight: int = 1, **filters: Any) -> dict[str, Any]:
    """The actor network of the stored events matching `filters`, edges of one family if given."""
    from marsad.store.queries import EventFilter, actor_names, edge_rows

    if family:
        filters["event_types"] = family_types(family)
    rows = edge_rows(store, EventFilter.of(**filters))
    keys = sorted({r[0] for r in rows} | {r[1] for r in rows})
    return network_graph(rows, actor_names(store, keys), min_weight)
