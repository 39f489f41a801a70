"""Alerts: rules stored in the database (`alert_rules`), evaluated incrementally after each stored article.

Rule kinds and their parameters (JSON in `alert_rules.parameters`):

* ``spike`` — an event family surging for one country or actor. Counts *consolidated* events (clusters),
  so one strike reported by five outlets counts once. For the day d of a new event, x = clusters of the
  family on d for that country (location's country, else the actor's) or actor; the baseline is the mean
  daily count mu over the `baseline_days` (28) days before d. The statistic is a Poisson z-score with
  +1 smoothing, z = (x - mu) / sqrt(mu + 1): daily event counts are roughly Poisson, and the +1 keeps an
  empty baseline from making every first event infinite. Alert when x >= `min_count` (3) and z >= `z`
  (3.0); once per family, country/actor and day. Parameters: family (a PLOVER quad category:
  verbal_cooperation, material_cooperation, verbal_conflict, material_conflict) or types (list),
  by (country | actor), baseline_days, min_count, z.
* ``new_actor`` — the first article that mentions an actor: a provisional actor (a named group the
  registry does not know) or, with `include_registry`, a registry actor never seen before. Parameters:
  roles (default actor, recipient), include_registry (true).
* ``commitment`` — every THREATEN event with a condition is kept as a commitment (at write time, see
  `record_commitments`). A later event (dated the same day or after) satisfies it when it is stated as a
  fact (not negated, hypothetical or conditional), its type is the condition's type (`match`: "type",
  the default; "family": any type of the same PLOVER quad — too loose by default: US sanctions would then
  fulfil "if Washington pursues military escalation") and its actor is the condition's actor: the same
  registry id, its parent, or, when the condition names a state, any organ of the same state ("the
  United States" -> "US forces"). One alert per (threat, triggering event) as consolidated events, so
  three outlets reporting one threat and two reporting the strike make one alert. A condition with no
  actor ("if full-scale war erupts") is kept but cannot be evaluated. Both directions are checked: a new
  event against stored commitments, and a new commitment against stored later events (articles arrive
  out of order).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marsad.analyse.merge import FAMILIES, QUAD
from marsad.models import Actor, Event
from marsad.store.schema import (
    ALERT_KINDS,
    actors,
    alert_rules,
    alerts,
    articles,
    clusters,
    commitments,
    event_actors,
    event_clusters,
    events,
)

_STATE_SECTORS = {"GOV", "MIL", "POL", "COP", "JUD"}


# -- rules ------------------------------------------------------------------------------------------------


def add_rule(store: Any, kind: str, parameters: dict | None = None, enabled: bool = True) -> int:
    """Store a rule; returns its id."""
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert rule kind {kind!r}; valid: {', '.join(ALERT_KINDS)}")
    with store._errors("cannot store the alert rule"), store._write() as conn:
        return conn.execute(sa.insert(alert_rules).values(kind=kind, parameters=parameters or {},
                                                          enabled=enabled).returning(alert_rules.c.id)).scalar_one()


def list_rules(store: Any) -> list[dict]:
    with store._errors("cannot read alert rules"), store.engine.connect() as conn:
        rows = conn.execute(sa.select(alert_rules).order_by(alert_rules.c.id)).all()
    return [{"id": r.id, "kind": r.kind, "parameters": r.parameters, "enabled": r.enabled} for r in rows]


def set_rule_enabled(store: Any, rule_id: int, enabled: bool) -> None:
    with store._errors("cannot update the alert rule"), store._write() as conn:
        conn.execute(sa.update(alert_rules).where(alert_rules.c.id == rule_id).values(enabled=enabled))


# -- commitments (written with the article) ---------------------------------------------------------------


def _actor_key(record: dict | None) -> str | None:
    from marsad.store import actor_key

    return actor_key(Actor(**record)) if record else None


def record_commitments(conn: sa.Connection, article_pk: int, evs: list[Event]) -> int:
    """Keep every conditional THREATEN of a just-stored article as a commitment (caller's transaction; after
    merging, whose `event_clusters.day` is the commitment's day)."""
    rows = []
    for ev in evs:
        cond = ev.modality.condition
        if ev.event_type != "THREATEN" or cond is None or ev.modality.negated:
            continue
        day = conn.execute(sa.select(event_clusters.c.day)
                           .where(event_clusters.c.event_id == ev.event_id)).scalar_one()
        rows.append({
            "event_id": ev.event_id, "author_key": _actor_key(ev.actor and ev.actor.model_dump()),
            "author_name": ev.actor.name if ev.actor else None, "condition_text": cond.text,
            "condition_type": cond.event_type,
            "condition_actor_key": _actor_key(cond.actor and cond.actor.model_dump()),
            "condition_actor_name": cond.actor.name if cond.actor else None,
            "condition_country": cond.actor.country if cond.actor else None, "day": day,
        })
    if rows:
        conn.execute(sa.insert(commitments), rows)
    return len(rows)


# -- evaluation -----------------------------------------------------------------------------------------


@dataclass
class _Mention:
    event_id: str
    cluster: int
    day: date
    record: dict


@dataclass
class _Found:
    key: str
    title: str
    payload: dict


Rule = Callable[[sa.Connection, dict, int, list[_Mention]], Iterator[_Found]]
RULES: dict[str, Rule] = {}


def rule(kind: str) -> Callable[[Rule], Rule]:
    """Register the evaluator of a rule kind (the built-ins register the same way a new kind would)."""
    def decorate(fn: Rule) -> Rule:
        RULES[kind] = fn
        return fn
    return decorate


def evaluate_article(store: Any, article_pk: int) -> list[dict]:
    """Run every enabled rule on a just-stored article; store and return the new alerts. One short read,
    then one short write: the web server reading meanwhile is never held up."""
    with store._errors("cannot evaluate alerts"), store.engine.connect() as conn:
        found = _find(conn, article_pk)
    if not found:
        return []
    with store._errors("cannot store alerts"), store._write() as conn:
        return _record(conn, found)


def evaluate_in(conn: sa.Connection, article_pk: int) -> list[dict]:
    """`evaluate_article` inside the caller's write transaction (a bulk writer storing several articles
    in one transaction evaluates each right after storing it: the rules see what they would have seen)."""
    found = _find(conn, article_pk)
    return _record(conn, found) if found else []


def _find(conn: sa.Connection, article_pk: int) -> list[tuple[Any, _Found]]:
    mentions = [_Mention(r.event_id, r.cluster, r.day, r.record) for r in conn.execute(
        sa.select(event_clusters.c.event_id, event_clusters.c.cluster, event_clusters.c.day, events.c.record)
        .join_from(event_clusters, events, events.c.event_id == event_clusters.c.event_id)
        .where(event_clusters.c.article == article_pk).order_by(events.c.rank))]
    rules = conn.execute(sa.select(alert_rules).where(alert_rules.c.enabled.is_(True))
                         .order_by(alert_rules.c.id)).all()
    return [(r, f) for r in rules if r.kind in RULES
            for f in RULES[r.kind](conn, r.parameters or {}, article_pk, mentions)]


def _record(conn: sa.Connection, found: list[tuple[Any, _Found]]) -> list[dict]:
    from marsad.store import _insert_for

    created = []
    for r, f in found:
        now = datetime.now(UTC)
        new_id = conn.execute(
            _insert_for(conn)(alerts)
            .values(rule=r.id, key=f.key, created_at=now, title=f.title, payload=f.payload)
            .on_conflict_do_nothing(index_elements=["rule", "key"]).returning(alerts.c.id)
        ).scalar_one_or_none()
        if new_id is not None:
            created.append(_alert_dict(new_id, r.id, r.kind, f.key, now, f.title, f.payload))
    return created


def _types(params: dict) -> tuple[str, ...]:
    if params.get("types"):
        return tuple(params["types"])
    return FAMILIES[params.get("family", "material_conflict")]


@rule("spike")
def _spike(conn: sa.Connection, params: dict, article_pk: int, mentions: list[_Mention]) -> Iterator[_Found]:
    types, by = _types(params), params.get("by", "country")
    base_days, min_count, z_min = int(params.get("baseline_days", 28)), int(params.get("min_count", 3)), \
        float(params.get("z", 3.0))
    column = clusters.c.country if by == "country" else clusters.c.actor_key
    touched = [m.cluster for m in mentions]
    groups = conn.execute(sa.select(column, clusters.c.day).distinct().where(
        clusters.c.id.in_(touched), clusters.c.event_type.in_(types), column.is_not(None),
        clusters.c.day.is_not(None))).all()
    for value, day in groups:
        per_day = dict(conn.execute(
            sa.select(clusters.c.day, sa.func.count()).where(
                clusters.c.event_type.in_(types), column == value,
                clusters.c.day.between(day - timedelta(days=base_days), day))
            .group_by(clusters.c.day)).all())
        x = per_day.get(day, 0)
        mu = sum(n for d, n in per_day.items() if d != day) / base_days
        z = (x - mu) / math.sqrt(mu + 1)
        if x < min_count or z < z_min:
            continue
        today = conn.execute(
            sa.select(clusters.c.id, clusters.c.event_type, events.c.record)
            .join_from(clusters, events, events.c.event_id == clusters.c.representative)
            .where(clusters.c.event_type.in_(types), column == value, clusters.c.day == day)
            .order_by(clusters.c.id).limit(20)).all()
        family = params.get("family") or ",".join(types)
        yield _Found(
            key=f"{family}:{by}:{value}:{day.isoformat()}",
            title=f"Spike: {x} {family.replace('_', ' ')} events for {by} {value} on {day.isoformat()} "
                  f"(baseline {mu:.2f}/day, z={z:.1f})",
            payload={"family": family, "by": by, "value": value, "day": day.isoformat(), "count": x,
                     "baseline_mean": round(mu, 4), "baseline_days": base_days, "z": round(z, 3),
                     "statistic": "z = (count - baseline_mean) / sqrt(baseline_mean + 1)",
                     "events": [{"cluster_id": c.id, "event_type": c.event_type,
                                 "event_id": c.record["event_id"], "evidence": c.record["evidence"]["text"]}
                                for c in today]})


@rule("new_actor")
def _new_actor(conn: sa.Connection, params: dict, article_pk: int, mentions: list[_Mention]) -> Iterator[_Found]:
    roles = params.get("roles", ["actor", "recipient"])
    include_registry = params.get("include_registry", True)
    seen: set[str] = set()
    for m in mentions:
        for role in roles:
            key = _actor_key(m.record.get(role))
            if key is None or key in seen:
                continue
            seen.add(key)
            row = conn.execute(sa.select(actors.c.name, actors.c.provisional).where(actors.c.key == key)).first()
            registry = not key.startswith("name:")
            if row is None or not (row.provisional or (include_registry and registry)):
                continue
            before = conn.execute(
                sa.select(event_actors.c.event_id)
                .join_from(event_actors, events, events.c.event_id == event_actors.c.event_id)
                .where(event_actors.c.actor_key == key, events.c.article != article_pk).limit(1)).first()
            if before is not None:
                continue
            kind = "provisional actor" if row.provisional else "registry actor"
            yield _Found(key=key, title=f"New actor: {row.name} ({kind}) first reported",
                         payload={"actor": {"key": key, "name": row.name, "provisional": row.provisional},
                                  "role": role, "event": _evidence(conn, m.record)})


def _evidence(conn: sa.Connection, record: dict) -> dict:
    """An event's evidence with its article, for a payload an analyst can check."""
    art = conn.execute(sa.select(articles.c.article_id, articles.c.title, articles.c.source, articles.c.published)
                       .join_from(events, articles, articles.c.id == events.c.article)
                       .where(events.c.event_id == record["event_id"])).one()
    return {"event_id": record["event_id"], "event_type": record["event_type"], "date": record.get("date"),
            "actor": (record.get("actor") or {}).get("name"), "recipient": (record.get("recipient") or {}).get("name"),
            "evidence": record["evidence"]["text"],
            "article": {"id": art.article_id, "title": art.title, "source": art.source,
                        "published": art.published.isoformat() if art.published else None}}


def _is_fact(record: dict) -> bool:
    mod = record.get("modality") or {}
    return not (mod.get("negated") or mod.get("hypothetical") or mod.get("condition"))


def _type_matches(condition_type: str | None, event_type: str, match: str) -> bool:
    if condition_type is None:  # "if they attack": any material conflict of that actor
        return QUAD.get(event_type) == "material_conflict"
    if match == "family":
        return QUAD.get(condition_type) == QUAD.get(event_type)
    return condition_type == event_type


def _actor_satisfies(c: sa.Row, actor: dict | None) -> bool:
    """The triggering event's actor is the condition's: same id or parent, or an organ of the same state."""
    if not actor or not c.condition_actor_key:
        return False
    key = _actor_key(actor)
    if c.condition_actor_key in (key, actor.get("parent")):
        return True
    state = c.condition_actor_key.split("-")[-1] in _STATE_SECTORS  # "USA-GOV": the registry's state ids
    return bool(state and c.condition_country and actor.get("country") == c.condition_country
                and actor.get("sector") in _STATE_SECTORS)


def _cluster_of_event(conn: sa.Connection, event_id: str) -> int:
    return conn.execute(sa.select(event_clusters.c.cluster).where(event_clusters.c.event_id == event_id)).scalar_one()


@rule("commitment")
def _commitment(conn: sa.Connection, params: dict, article_pk: int, mentions: list[_Mention]) -> Iterator[_Found]:
    match = params.get("match", "type")
    pairs: list[tuple[sa.Row, _Mention]] = []
    # 1. this article's events as triggers of commitments made on or before their day
    for m in mentions:
        actor = m.record.get("actor")
        if not actor or not _is_fact(m.record):
            continue
        who = [commitments.c.condition_actor_key.in_([_actor_key(actor), actor.get("parent") or ""])]
        if actor.get("country"):
            who.append(commitments.c.condition_country == actor["country"])
        for c in conn.execute(sa.select(commitments).where(
                commitments.c.day <= m.day, commitments.c.event_id != m.event_id, sa.or_(*who))):
            if _type_matches(c.condition_type, m.record["event_type"], match) and _actor_satisfies(c, actor):
                pairs.append((c, m))
    # 2. this article's commitments against stored events dated on or after them
    own = conn.execute(sa.select(commitments).where(
        commitments.c.event_id.in_([m.event_id for m in mentions]))).all()
    for c in own:
        if not c.condition_actor_key:
            continue
        cond_actor = (sa.or_(event_actors.c.actor_key == c.condition_actor_key, actors.c.parent == c.condition_actor_key,
                             actors.c.country == c.condition_country) if c.condition_country
                      else sa.or_(event_actors.c.actor_key == c.condition_actor_key,
                                  actors.c.parent == c.condition_actor_key))
        for r in conn.execute(
                sa.select(event_clusters.c.event_id, event_clusters.c.cluster, event_clusters.c.day, events.c.record)
                .join_from(event_clusters, events, events.c.event_id == event_clusters.c.event_id)
                .join(event_actors, sa.and_(event_actors.c.event_id == events.c.event_id, event_actors.c.role == "actor"))
                .join(actors, actors.c.key == event_actors.c.actor_key)
                .where(event_clusters.c.day >= c.day, event_clusters.c.event_id != c.event_id, cond_actor)):
            m = _Mention(r.event_id, r.cluster, r.day, r.record)
            if (_is_fact(m.record) and _type_matches(c.condition_type, m.record["event_type"], match)
                    and _actor_satisfies(c, m.record.get("actor"))):
                pairs.append((c, m))
    for c, m in pairs:
        threat = conn.execute(sa.select(events.c.record).where(events.c.event_id == c.event_id)).scalar_one()
        threat_cluster = _cluster_of_event(conn, c.event_id)
        author = c.author_name or "an unnamed actor"
        trigger = _evidence(conn, m.record)
        yield _Found(
            key=f"threat:{threat_cluster}:trigger:{m.cluster}",
            title=f"Commitment triggered: {author} threatened to act \"{c.condition_text}\"; "
                  f"{trigger['actor']} {m.record['event_type']} on {m.day.isoformat()}",
            payload={
                "commitment": {"id": c.id, "event_id": c.event_id, "cluster_id": threat_cluster,
                               "author": {"key": c.author_key, "name": c.author_name},
                               "condition": {"text": c.condition_text, "event_type": c.condition_type,
                                             "actor": {"key": c.condition_actor_key,
                                                       "name": c.condition_actor_name,
                                                       "country": c.condition_country}},
                               "date": c.day.isoformat(), "threat": _evidence(conn, threat)},
                "trigger": {**trigger, "cluster_id": m.cluster, "day": m.day.isoformat()},
            })


# -- reading (the API calls these) ---------------------------------------------------------------------


def _alert_dict(alert_id: int, rule_id: int, kind: str, key: str, created_at: datetime, title: str,
                payload: dict) -> dict:
    created = created_at.replace(tzinfo=UTC) if created_at.tzinfo is None else created_at.astimezone(UTC)
    return {"id": alert_id, "rule": {"id": rule_id, "kind": kind}, "kind": kind, "key": key,
            "created_at": created.isoformat(), "title": title, "payload": payload}


def list_alerts(store: Any, limit: int = 50, offset: int = 0, since: datetime | None = None) -> list[dict]:
    """Alerts, newest first; `since` keeps those created at or after it (a naive datetime is UTC)."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    query = (sa.select(alerts, alert_rules.c.kind).join_from(alerts, alert_rules, alert_rules.c.id == alerts.c.rule)
             .order_by(alerts.c.created_at.desc(), alerts.c.id.desc()).limit(limit).offset(offset))
    if since is not None:
        query = query.where(alerts.c.created_at >= (since if since.tzinfo else since.replace(tzinfo=UTC)))
    with store._errors("cannot read alerts"), store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [_alert_dict(r.id, r.rule, r.kind, r.key, r.created_at, r.title, r.payload) for r in rows]


def list_commitments(store: Any) -> list[dict]:
    """Every commitment (conditional threat) with its evidence and the alerts it has triggered."""
    with store._errors("cannot read commitments"), store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(commitments, events.c.record, event_clusters.c.cluster)
            .join_from(commitments, events, events.c.event_id == commitments.c.event_id)
            .join(event_clusters, event_clusters.c.event_id == commitments.c.event_id)
            .order_by(commitments.c.day, commitments.c.id)).all()
        fired = conn.execute(sa.select(alerts.c.id, alerts.c.key, alerts.c.payload)
                             .join_from(alerts, alert_rules, alert_rules.c.id == alerts.c.rule)
                             .where(alert_rules.c.kind == "commitment")).all()
        out = []
        for r in rows:
            triggered = [{"alert_id": a.id, "event_id": a.payload["trigger"]["event_id"]} for a in fired
                         if a.key.startswith(f"threat:{r.cluster}:")]
            out.append({
                "id": r.id, "event_id": r.event_id, "cluster_id": r.cluster,
                "author": {"key": r.author_key, "name": r.author_name},
                "condition": {"text": r.condition_text, "event_type": r.condition_type,
                              "actor": {"key": r.condition_actor_key, "name": r.condition_actor_name,
                                        "country": r.condition_country}},
                "date": r.day.isoformat(), "evaluable": r.condition_actor_key is not None,
                "evidence": _evidence(conn, r.record), "triggered": triggered,
            })
    return out
