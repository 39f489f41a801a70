"""Read queries over the store for the REST API, the DataFrame API and the exports (SQLAlchemy Core).

Every value from a user goes in as a bound parameter; no SQL is built from strings. Each function takes a
`Store` and returns plain dicts / tuples; the analytics on top of them live in `marsad.analyse.aggregates`.

Distinct sources of an event (`min_sources`, `EventFilter`): the `n_sources` of the consolidated event
(`clusters`, kept by `marsad.analyse.merge`) that the event belongs to.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import sqlalchemy as sa

from marsad.store import Store, StoreError, _article_meta
from marsad.store.schema import (
    actors,
    articles,
    clusters,
    event_actors,
    event_clusters,
    event_places,
    events,
    places,
)

__all__ = [
    "EventFilter",
    "actor_detail",
    "count_by_day",
    "edge_rows",
    "event_detail",
    "events_page",
    "find_actor",
    "intensity_rows",
    "iter_events",
    "list_places",
    "search_actors",
]

PARTIES = ("actor", "recipient")  # the roles an `actor` filter matches
_PAGE = 1000
_META = (articles.c.article_id, articles.c.content_hash, articles.c.title, articles.c.published,
         articles.c.url, articles.c.source, articles.c.language, articles.c.ingested_at)


@dataclass(frozen=True)
class EventFilter:
    """The filters of `GET /api/events` (all optional; combined with AND)."""

    since: date | None = None  # event date >= since
    until: date | None = None  # event date <= until
    bbox: tuple[float, float, float, float] | None = None  # minlon, minlat, maxlon, maxlat of the location
    country: str | None = None  # ISO3 of the location
    admin1: str | None = None  # first-level division of the location (case-insensitive)
    actor: str | None = None  # registry id / actor key or name: actor or recipient
    event_type: str | None = None  # PLOVER type
    event_types: tuple[str, ...] | None = None  # several PLOVER types (a family)
    acled_event_type: str | None = None
    q: str | None = None  # words in the evidence (case-insensitive substring)
    min_sources: int | None = None  # distinct sources reporting the event

    @classmethod
    def of(cls, **kwargs: Any) -> EventFilter:
        """A filter from keyword arguments; unknown names are a TypeError that lists the valid ones."""
        names = {f.name for f in fields(cls)}
        unknown = set(kwargs) - names
        if unknown:
            raise TypeError(f"unknown event filter(s) {sorted(unknown)}; valid: {sorted(names)}")
        return cls(**kwargs)


@contextlib.contextmanager
def _read(store: Store, doing: str) -> Iterator[sa.Connection]:
    try:
        with store.engine.connect() as conn:
            yield conn
    except sa.exc.SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        raise StoreError(f"{doing}: {' '.join(str(orig).split())}") from None


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % _ and \\ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _evidence_text() -> sa.ColumnElement:
    return events.c.record[("evidence", "text")].as_string()


def _actor_keys(conn: sa.Connection, value: str) -> list[str]:
    """The actor keys `value` names: a key itself, else actors of that name (case-insensitive)."""
    keys = conn.execute(sa.select(actors.c.key).where(actors.c.key == value)).scalars().all()
    if keys:
        return list(keys)
    return list(conn.execute(
        sa.select(actors.c.key).where(sa.func.lower(actors.c.name) == value.casefold())).scalars())


def _min_sources(conn: sa.Connection, n: int) -> sa.ColumnElement | None:
    """Events whose consolidated event (cluster) is reported by at least `n` distinct sources."""
    if n <= 1:
        return None
    wide = sa.select(clusters.c.id).where(clusters.c.n_sources >= n)
    members = sa.select(event_clusters.c.event_id).where(event_clusters.c.cluster.in_(wide))
    return events.c.event_id.in_(members)


def _place_conditions(f: EventFilter) -> list[sa.ColumnElement]:
    cond: list[sa.ColumnElement] = []
    if f.bbox is not None:
        minlon, minlat, maxlon, maxlat = f.bbox
        cond.append(places.c.lat.between(minlat, maxlat))
        if minlon <= maxlon:
            cond.append(places.c.lon.between(minlon, maxlon))
        else:  # the box crosses the antimeridian
            cond.append(sa.or_(places.c.lon >= minlon, places.c.lon <= maxlon))
    if f.country:
        cond.append(places.c.country == f.country.upper())
    if f.admin1:
        cond.append(sa.func.lower(places.c.admin1) == f.admin1.casefold())
    return cond


def _filtered(conn: sa.Connection, f: EventFilter, select: sa.Select) -> sa.Select:
    """`select` (over events) restricted by the filter."""
    cond: list[sa.ColumnElement] = []
    if f.since:
        cond.append(events.c.date >= f.since)
    if f.until:
        cond.append(events.c.date <= f.until)
    if f.event_type:
        cond.append(events.c.event_type == f.event_type.upper())
    if f.event_types is not None:
        cond.append(events.c.event_type.in_(f.event_types))
    if f.acled_event_type:
        cond.append(sa.func.lower(events.c.acled_event_type) == f.acled_event_type.casefold())
    if f.q:
        cond.append(_evidence_text().ilike(_like(f.q), escape="\\"))
    if f.actor:
        keys = _actor_keys(conn, f.actor)
        cond.append(events.c.event_id.in_(
            sa.select(event_actors.c.event_id)
            .where(event_actors.c.actor_key.in_(keys), event_actors.c.role.in_(PARTIES))
        ) if keys else sa.false())
    if f.min_sources is not None and (expr := _min_sources(conn, f.min_sources)) is not None:
        cond.append(expr)
    place_cond = _place_conditions(f)
    if place_cond:
        select = (
            select.join(event_places, sa.and_(event_places.c.event_id == events.c.event_id,
                                              event_places.c.role == "location"))
            .join(places, places.c.key == event_places.c.place_key)
            .where(*place_cond)
        )
    return select.where(*cond)


def events_page(store: Store, f: EventFilter, limit: int, offset: int) -> tuple[list[tuple[dict, dict]], int]:
    """One page of matching events (contract dict, article metadata) in stored order, and the total."""
    with _read(store, "cannot read events") as conn:
        # the page's keys first (sorting narrow rows), then the wide records of those rows only
        keys = (_filtered(conn, f, sa.select(events.c.event_id, events.c.article, events.c.rank))
                .order_by(events.c.article, events.c.rank).limit(limit).offset(offset).subquery())
        query = (sa.select(events.c.record, *_META)
                 .join_from(keys, events, events.c.event_id == keys.c.event_id)
                 .join(articles, events.c.article == articles.c.id)
                 .order_by(keys.c.article, keys.c.rank))
        rows = conn.execute(query).all()
        counted = _filtered(conn, f, sa.select(sa.func.count()).select_from(events))
        total = conn.execute(counted).scalar_one()
    return [(row.record, _article_meta(row)) for row in rows], total


def iter_events(store: Store, f: EventFilter | None = None) -> Iterator[tuple[dict, dict]]:
    """Every matching event (contract dict, article metadata), in stored order; pages by key, holding no
    connection between pages."""
    f = f or EventFilter()
    after: tuple[int, int] | None = None
    while True:
        with _read(store, "cannot read events") as conn:
            query = _filtered(conn, f, sa.select(events.c.record, events.c.article, events.c.rank, *_META)
                              .join_from(events, articles, events.c.article == articles.c.id))
            if after is not None:
                query = query.where(sa.tuple_(events.c.article, events.c.rank) > sa.tuple_(*after))
            rows = conn.execute(query.order_by(events.c.article, events.c.rank).limit(_PAGE)).all()
        for row in rows:
            yield row.record, _article_meta(row)
        if len(rows) < _PAGE:
            return
        after = (rows[-1].article, rows[-1].rank)


def event_detail(store: Store, event_id: str) -> dict | None:
    """One event with its evidence, its article(s) and sources (all articles of its cluster once events are
    merged), or None."""
    with _read(store, f"cannot read event {event_id!r}") as conn:
        row = conn.execute(sa.select(events.c.record, *_META)
                           .join_from(events, articles, events.c.article == articles.c.id)
                           .where(events.c.event_id == event_id)).first()
        if row is None:
            return None
        mine = (sa.select(event_clusters.c.cluster).where(event_clusters.c.event_id == event_id)
                .scalar_subquery())
        members: list[sa.Row] = [row, *conn.execute(
            sa.select(events.c.record, *_META)
            .join_from(events, articles, events.c.article == articles.c.id)
            .join(event_clusters, event_clusters.c.event_id == events.c.event_id)
            .where(event_clusters.c.cluster == mine, events.c.event_id != event_id)
            .order_by(articles.c.published, articles.c.id)
        ).all()]
    article_list = []
    for member in members:
        meta = _article_meta(member)
        if meta["id"] not in {a["id"] for a in article_list}:
            article_list.append({**meta, "event_id": member.record["event_id"],
                                 "evidence": member.record.get("evidence")})
    sources = sorted({a["source"] or a["id"] for a in article_list})
    return {"event": row.record, "evidence": row.record.get("evidence"), "articles": article_list,
            "sources": sources, "n_sources": len(sources)}


# -- actors ------------------------------------------------------------------------------------------

_ACTOR_COLS = (actors.c.key, actors.c.name, actors.c.country, actors.c.sector, actors.c.acled_inter,
               actors.c.parent, actors.c.kind, actors.c.aliases, actors.c.wikidata, actors.c.provisional)


def _actor_dict(row: sa.Row, n_events: int | None = None) -> dict:
    out = {c.name: getattr(row, c.name) for c in _ACTOR_COLS}
    out["aliases"] = list(out["aliases"] or [])
    out["provisional"] = bool(out["provisional"])
    if n_events is not None:
        out["events"] = n_events
    return out


def _event_counts(conn: sa.Connection, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    rows = conn.execute(
        sa.select(event_actors.c.actor_key, sa.func.count(sa.distinct(event_actors.c.event_id)))
        .where(event_actors.c.actor_key.in_(keys), event_actors.c.role.in_(PARTIES))
        .group_by(event_actors.c.actor_key)
    ).all()
    return dict(rows)  # type: ignore[arg-type]


def search_actors(store: Store, q: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
    """Actors whose key, name or an alias contains `q` (all with no q), by name; with their event counts."""
    cond = []
    if q:
        pattern = _like(q)
        cond.append(sa.or_(actors.c.key.ilike(pattern, escape="\\"), actors.c.name.ilike(pattern, escape="\\"),
                           sa.cast(actors.c.aliases, sa.Text).ilike(pattern, escape="\\")))
    with _read(store, "cannot search actors") as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(actors).where(*cond)).scalar_one()
        rows = conn.execute(sa.select(*_ACTOR_COLS).where(*cond).order_by(actors.c.name, actors.c.key)
                            .limit(limit).offset(offset)).all()
        counts = _event_counts(conn, [r.key for r in rows])
    return [_actor_dict(r, counts.get(r.key, 0)) for r in rows], total


def find_actor(store: Store, key_or_name: str) -> dict | None:
    """The actor with this key, else the one with this name (case-insensitive), with its event count."""
    with _read(store, "cannot read actors") as conn:
        keys = _actor_keys(conn, key_or_name)
        if not keys:
            return None
        row = conn.execute(sa.select(*_ACTOR_COLS).where(actors.c.key == keys[0])).one()
        return _actor_dict(row, _event_counts(conn, [row.key]).get(row.key, 0))


def actor_detail(store: Store, key: str, limit: int = 50) -> dict | None:
    """An actor with its latest events, its counterparts (who it acts on and who acts on it, with counts)."""
    actor = find_actor(store, key)
    if actor is None:
        return None
    key = actor["key"]
    mine = sa.select(event_actors.c.event_id).where(event_actors.c.actor_key == key,
                                                    event_actors.c.role.in_(PARTIES))
    with _read(store, f"cannot read actor {key!r}") as conn:
        rows = conn.execute(
            sa.select(events.c.record, *_META)
            .join_from(events, articles, events.c.article == articles.c.id)
            .where(events.c.event_id.in_(mine))
            .order_by(events.c.date.desc().nulls_last(), events.c.article.desc(), events.c.rank)
            .limit(limit)
        ).all()
        me, other = event_actors.alias("me"), event_actors.alias("other")
        counterparts = conn.execute(
            sa.select(other.c.actor_key, actors.c.name, me.c.role, events.c.event_type,
                      sa.func.count().label("n"))
            .select_from(me)
            .join(other, sa.and_(other.c.event_id == me.c.event_id, other.c.role.in_(PARTIES),
                                 other.c.role != me.c.role))
            .join(events, events.c.event_id == me.c.event_id)
            .join(actors, actors.c.key == other.c.actor_key)
            .where(me.c.actor_key == key, me.c.role.in_(PARTIES), other.c.actor_key != key)
            .group_by(other.c.actor_key, actors.c.name, me.c.role, events.c.event_type)
        ).all()
    return {"actor": actor, "events": [{**r.record, "article": _article_meta(r)} for r in rows],
            "counterpart_rows": [tuple(r) for r in counterparts]}


def actor_names(store: Store, keys: list[str]) -> dict[str, dict]:
    """key -> {name, country, sector, kind} for these actor keys."""
    out: dict[str, dict] = {}
    with _read(store, "cannot read actors") as conn:
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            for row in conn.execute(sa.select(actors.c.key, actors.c.name, actors.c.country, actors.c.sector,
                                              actors.c.kind).where(actors.c.key.in_(chunk))):
                out[row.key] = {"name": row.name, "country": row.country, "sector": row.sector,
                                "kind": row.kind}
    return out


# -- places ------------------------------------------------------------------------------------------


def list_places(store: Store, country: str | None, q: str | None, limit: int, offset: int
                ) -> tuple[list[dict], int]:
    """Stored places with how many events happened there, most eventful first."""
    cond = []
    if country:
        cond.append(places.c.country == country.upper())
    if q:
        cond.append(places.c.name.ilike(_like(q), escape="\\"))
    n = sa.func.count(event_places.c.event_id).label("events")
    with _read(store, "cannot read places") as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(places).where(*cond)).scalar_one()
        rows = conn.execute(
            sa.select(places, n)
            .join(event_places, event_places.c.place_key == places.c.key, isouter=True)
            .where(*cond)
            .group_by(*places.c)
            .order_by(n.desc(), places.c.name, places.c.key)
            .limit(limit).offset(offset)
        ).all()
    return [dict(r._mapping) for r in rows], total


# -- rows for the analytics (marsad.analyse.aggregates) ---------------------------------------------


def count_by_day(store: Store, f: EventFilter) -> list[tuple[date, str, int]]:
    """(date, PLOVER type, events) for matching events with a date."""
    with _read(store, "cannot count events") as conn:
        query = _filtered(conn, f, sa.select(events.c.date, events.c.event_type, sa.func.count())
                          .select_from(events).where(events.c.date.is_not(None)))
        rows = conn.execute(query.group_by(events.c.date, events.c.event_type)
                            .order_by(events.c.date)).all()
    return [(_as_date(d), t, n) for d, t, n in rows]


def intensity_rows(store: Store, f: EventFilter, dyad: tuple[str, str] | None = None) -> list[tuple]:
    """(date, type, mode, negated, hypothetical, hedged, conditional) of matching dated events; with a dyad,
    only events between its two actors (either direction)."""
    cols = (events.c.date, events.c.event_type, events.c.mode,
            events.c.record[("modality", "negated")].as_boolean(),
            events.c.record[("modality", "hypothetical")].as_boolean(),
            events.c.record[("modality", "hedged")].as_boolean(),
            events.c.record[("modality", "condition", "text")].as_string())
    with _read(store, "cannot read events") as conn:
        query = _filtered(conn, f, sa.select(*cols).select_from(events).where(events.c.date.is_not(None)))
        if dyad is not None:
            a_keys, b_keys = _actor_keys(conn, dyad[0]), _actor_keys(conn, dyad[1])
            if not a_keys or not b_keys:
                return []
            src, dst = event_actors.alias("src"), event_actors.alias("dst")
            pairs = (
                sa.select(src.c.event_id)
                .join(dst, sa.and_(dst.c.event_id == src.c.event_id, dst.c.role == "recipient"))
                .where(src.c.role == "actor", sa.or_(
                    sa.and_(src.c.actor_key.in_(a_keys), dst.c.actor_key.in_(b_keys)),
                    sa.and_(src.c.actor_key.in_(b_keys), dst.c.actor_key.in_(a_keys))))
            )
            query = query.where(events.c.event_id.in_(pairs))
        rows = conn.execute(query.order_by(events.c.date)).all()
    return [(_as_date(r[0]), r[1], r[2], bool(r[3]), bool(r[4]), bool(r[5]), r[6] is not None) for r in rows]


def edge_rows(store: Store, f: EventFilter) -> list[tuple[str, str, str, int]]:
    """(actor key, recipient key, PLOVER type, events) over matching events that have both."""
    src, dst = event_actors.alias("src"), event_actors.alias("dst")
    with _read(store, "cannot read the actor network") as conn:
        query = _filtered(conn, f, sa.select(src.c.actor_key, dst.c.actor_key, events.c.event_type,
                                             sa.func.count())
                          .select_from(events)
                          .join(src, sa.and_(src.c.event_id == events.c.event_id, src.c.role == "actor"))
                          .join(dst, sa.and_(dst.c.event_id == events.c.event_id, dst.c.role == "recipient")))
        query = query.where(src.c.actor_key != dst.c.actor_key)
        rows = conn.execute(query.group_by(src.c.actor_key, dst.c.actor_key, events.c.event_type)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
