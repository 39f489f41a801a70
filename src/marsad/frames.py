"""DataFrames of the store for notebooks: pandas by default, polars with `backend="polars"`.

    import marsad
    df = marsad.events_frame("sqlite:///events.db", country="SYR", since="2024-01-01")
    edges = marsad.network_frame(store, family="material_conflict")

Every function takes a `Store` or a database URL (opened and closed here; None: the configured store) and
the filters of `GET /api/events` as keyword arguments (since, until, bbox, country, admin1, actor,
event_type, acled_event_type, q, min_sources).
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from typing import Any

from marsad.analyse import aggregates
from marsad.errors import MarsadError
from marsad.export import arrow_schema, flat_event
from marsad.store import Store, open_store, queries

__all__ = ["actors_frame", "escalation_frame", "events_frame", "network_frame"]

BACKENDS = ("pandas", "polars")
ACTOR_COLUMNS = ("key", "name", "country", "sector", "acled_inter", "parent", "kind", "aliases", "wikidata",
                 "provisional", "events")
EDGE_COLUMNS = ("source", "source_name", "target", "target_name", "family", "weight", "allegiance")
ESCALATION_COLUMNS = ("date", "events", "conflict", "cooperation", "index", "baseline", "change")


@contextlib.contextmanager
def _store(store_or_url: Store | str | None) -> Iterator[Store]:
    if isinstance(store_or_url, Store):
        yield store_or_url
        return
    if store_or_url is None:
        from marsad.config import get_settings

        store_or_url = get_settings().db_url
    store = open_store(store_or_url)
    try:
        yield store
    finally:
        store.close()


def _filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Filters as EventFilter takes them: dates from strings, bbox from 'a,b,c,d', event type upper case."""
    out = dict(filters)
    for key in ("since", "until"):
        if isinstance(out.get(key), str):
            out[key] = date.fromisoformat(out[key])
    if isinstance(out.get("bbox"), str):
        out["bbox"] = tuple(float(v) for v in out["bbox"].split(","))
    if out.get("event_type"):
        out["event_type"] = out["event_type"].upper()
    return out


def _polars(backend: str) -> Any:
    """The polars module for backend='polars', None for pandas."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
    if backend == "pandas":
        return None
    try:
        import polars
    except ImportError:
        raise MarsadError("backend='polars' needs polars: pip install polars (or marsad[polars])",
                          code="E402") from None
    return polars


def _frame(rows: list[dict], columns: tuple[str, ...] | list[str], backend: str,
           dates: tuple[str, ...] = ()) -> Any:
    polars = _polars(backend)
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(columns))
    for col in dates:
        df[col] = pd.to_datetime(df[col])
    return polars.from_pandas(df) if polars else df


def events_frame(store_or_url: Store | str | None = None, backend: str = "pandas", **filters: Any) -> Any:
    """One row per matching event: the typed flat columns of the Parquet export (marsad.export.FLAT_COLUMNS;
    integer columns with gaps come as floats in pandas, as in pyarrow's own conversion)."""
    polars = _polars(backend)
    f = queries.EventFilter.of(**_filters(filters))
    with _store(store_or_url) as store:
        rows = [flat_event(event, article) for event, article in queries.iter_events(store, f)]
    schema = arrow_schema()
    table = schema.empty_table().from_pylist(rows, schema=schema)  # typed, nulls kept
    return polars.from_arrow(table) if polars else table.to_pandas(date_as_object=False)


def actors_frame(store_or_url: Store | str | None = None, q: str | None = None, backend: str = "pandas"
                 ) -> Any:
    """Actors (registry and provisional) whose key, name or alias contains `q` (all without), with event
    counts."""
    rows: list[dict] = []
    with _store(store_or_url) as store:
        while True:
            page, total = queries.search_actors(store, q, 1000, len(rows))
            rows += page
            if not page or len(rows) >= total:
                break
    return _frame(rows, ACTOR_COLUMNS, backend)


def network_frame(store_or_url: Store | str | None = None, family: str | None = None, min_weight: int = 1,
                  backend: str = "pandas", **filters: Any) -> Any:
    """Actor network edges (actor -> recipient by event family, weight = events); `allegiance` marks the
    SUPPORT edges."""
    with _store(store_or_url) as store:
        graph = aggregates.network(store, family=family, min_weight=min_weight, **_filters(filters))
        names = queries.actor_names(store, [n["key"] for n in graph["nodes"]])
    rows = [{"source": e["source"], "source_name": names.get(e["source"], {}).get("name", e["source"]),
             "target": e["target"], "target_name": names.get(e["target"], {}).get("name", e["target"]),
             "family": e["family"], "weight": e["weight"],
             "allegiance": e["types"].get(aggregates.ALLEGIANCE_TYPE, 0) > 0}
            for e in graph["edges"]]
    return _frame(rows, EDGE_COLUMNS, backend)


def escalation_frame(store_or_url: Store | str | None = None, dyad: tuple[str, str] | None = None,
                     backend: str = "pandas", **filters: Any) -> Any:
    """The daily escalation index (every day of the range) of the matching events or of an actor dyad."""
    with _store(store_or_url) as store:
        rows = aggregates.escalation(store, dyad=tuple(dyad) if dyad else None, **_filters(filters))
    return _frame(rows, ESCALATION_COLUMNS, backend, dates=("date",))
