"""Cross-article event merging: every stored event joins one consolidated event (a cluster) or starts one.

Incremental by design: when an article is stored, each of its events is compared only with the stored
mentions of compatible type dated near it (an indexed query on `event_clusters`), and joins the best
cluster whose score reaches the threshold; nothing is ever rebuilt. Two events of one article never
share a cluster (merging within an article is the extractor's job, done before storage).

The score of a pair of mentions (`pair_score`) is a sum of signals, after hard gates that say "these
cannot be the same event": type family (PLOVER quad category), actors that contradict each other
(different registry actors, or different countries), places farther apart than `max_km`, dates farther
apart than the window. Which signals matter was measured on eval/data/merge_pairs.jsonl (see
eval/merge_eval.py's ablation table and the numbers in MergeConfig's comments).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from marsad.geo.gazetteer import distance_km
from marsad.models import Actor, Event, Place
from marsad.store.schema import articles, clusters, event_clusters, events

# PLOVER manual (draft 2.0), each type's quad category: the "family" two reports of one event share.
QUAD: dict[str, str] = {
    **dict.fromkeys(("AGREE", "CONSULT", "SUPPORT", "CONCEDE"), "verbal_cooperation"),
    **dict.fromkeys(("COOPERATE", "AID", "RETREAT"), "material_cooperation"),
    **dict.fromkeys(("REQUEST", "ACCUSE", "REJECT", "THREATEN"), "verbal_conflict"),
    **dict.fromkeys(("PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"), "material_conflict"),
}
FAMILIES: dict[str, tuple[str, ...]] = {}
for _t, _f in QUAD.items():
    FAMILIES[_f] = (*FAMILIES.get(_f, ()), _t)

_STATE_SECTORS = {"GOV", "MIL", "POL", "COP", "JUD"}
_PRECISION_SLACK = {1: 0, 2: 7, 3: 31}  # days a week- or month-precise date may be off by
_MAX_SLACK = max(_PRECISION_SLACK.values())


@dataclass(frozen=True)
class MergeConfig:
    """The merge's knobs. Defaults measured on eval/data/merge_pairs.jsonl (`eval/merge_eval.py --ablate`):
    pairwise P/R 0.889/0.777 with everything on; without the date 0.524/0.534, without places 0.857/0.699,
    without actors 0.865/0.748, without evidence 0.957/0.641 (the one signal trading precision for recall);
    the family instead of the exact type adds one true pair. Thresholds 2.5 / 3.5 / 4.0 gave
    0.659/0.806, 0.889/0.777, 0.887/0.689."""

    threshold: float = 3.5  # minimum pair score to join a cluster
    window_days: int = 1  # "late Monday night" and "early Tuesday" are one event
    day_cost: float = 1.0  # score lost per day apart: a next-day report needs more agreement elsewhere
    max_km: float = 50.0  # farther apart than this, two precise places are two events
    same_type_only: bool = False  # True: the family is not enough, the PLOVER type must be equal
    # signals, switchable for the ablation in eval/merge_eval.py
    use_actors: bool = True
    use_place: bool = True
    use_date: bool = True
    use_evidence: bool = True
    evidence_weight: float = 3.0


DEFAULT = MergeConfig()


# -- the pair score -------------------------------------------------------------------------------------


def effective_day(record: dict, published: date | None, ingested_at: datetime) -> date:
    """The day an event is filed under: its own date, else its article's publication, else ingest day."""
    if record.get("date"):
        try:
            return date.fromisoformat(record["date"])
        except ValueError:
            pass
    return published or ingested_at.date()


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def actor_match(x: dict | None, y: dict | None) -> float | None:
    """1 same actor, 0.5 same state, 0 unknown, None contradictory. Registry ids decide when both have
    one; a person and the organisation they speak for (`parent`) count as the same actor."""
    if not x or not y:
        return 0.0
    xi, yi = x.get("id"), y.get("id")
    if xi and yi:
        if xi == yi or x.get("parent") == yi or y.get("parent") == xi or (
                x.get("parent") and x.get("parent") == y.get("parent")):
            return 1.0
        same_country = x.get("country") and x.get("country") == y.get("country")
        if same_country and x.get("sector") in _STATE_SECTORS and y.get("sector") in _STATE_SECTORS:
            return 0.5  # "Iran" and "Iranian forces": the same state's organs
        return None
    if _norm(x.get("name") or "") == _norm(y.get("name") or ""):
        return 1.0
    cx, cy = x.get("country"), y.get("country")
    if cx and cy and cx != cy:
        return None
    return 0.25 if cx and cx == cy else 0.0


def place_match(x: dict | None, y: dict | None, max_km: float) -> float | None:
    """1 same spot .. 0 at max_km, None farther apart: a gate only between two precise places (a town, a
    site). A region or country is soft (0.3 same country, else 0): the coder often files an event under
    the country of its actor or target ("Israel launched strikes on Iran" -> Israel), so a country-level
    place contradicting another says little."""
    if not x or not y:
        return 0.0
    if max(x.get("precision") or 1, y.get("precision") or 1) >= 3:
        return 0.3 if x.get("country") and x.get("country") == y.get("country") else 0.0
    d = distance_km(x["lat"], x["lon"], y["lat"], y["lon"])
    return None if d > max_km else 1.0 - d / max_km


_STOP = frozenset("""
a an the and or but of to in on at by for from with as is are was were be been has have had that
this these those it its their they them he she his her we our you said says say also after before
over into about than which who whom while when where near amid against
""".split())
_TOKEN = re.compile(r"[a-z0-9]+")


def _content_words(text: str) -> set[str]:
    return {w for w in _TOKEN.findall(text.casefold()) if len(w) > 2 and w not in _STOP}


def evidence_similarity(a: str, b: str) -> float:
    """Token Jaccard of the evidence sentences' content words (light: no embeddings needed)."""
    wa, wb = _content_words(a), _content_words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


_SYMMETRIC = {"CONSULT", "AGREE", "COOPERATE"}  # "A met B" reports the same meeting as "B met A"


def _parties(a: dict, b: dict) -> float | None:
    """Actor (weight 1.5) and recipient (1.0) agreement; None when the actors contradict. A contradicting
    recipient costs 1 instead of vetoing: the coder's recipients are noisier than its actors."""
    def direct(x: dict, y: dict) -> float | None:
        actor = actor_match(x.get("actor"), y.get("actor"))
        if actor is None:
            return None
        recipient = actor_match(x.get("recipient"), y.get("recipient"))
        return 1.5 * actor + (-1.0 if recipient is None else recipient)

    best = direct(a, b)
    if a["event_type"] in _SYMMETRIC or b["event_type"] in _SYMMETRIC:
        swapped = direct(a, {**b, "actor": b.get("recipient"), "recipient": b.get("actor")})
        if swapped is not None and (best is None or swapped > best):
            best = swapped
    return best


def pair_score(a: dict, b: dict, day_a: date, day_b: date, cfg: MergeConfig = DEFAULT) -> float | None:
    """How alike two event mentions (contract dicts) are; None when a gate says they cannot be one event."""
    if a["event_type"] == b["event_type"]:
        score = 2.0
    elif not cfg.same_type_only and QUAD.get(a["event_type"]) == QUAD.get(b["event_type"]):
        score = 1.0
    else:
        return None
    if cfg.use_date:
        allowed = cfg.window_days + max(_PRECISION_SLACK.get(a.get("date_precision") or 1, 0),
                                        _PRECISION_SLACK.get(b.get("date_precision") or 1, 0))
        gap = abs((day_a - day_b).days)
        if gap > allowed:
            return None
        score += 1.0 - cfg.day_cost * gap / (1 + allowed - cfg.window_days)  # per day, or per week/month slack
    if cfg.use_actors:
        parties = _parties(a, b)
        if parties is None:
            return None
        score += parties
    if cfg.use_place:
        p = place_match(a.get("location"), b.get("location"), cfg.max_km)
        if p is None:
            return None
        score += p
    if cfg.use_evidence:
        score += cfg.evidence_weight * evidence_similarity(a["evidence"]["text"], b["evidence"]["text"])
    return score


# -- assigning a stored article's events to clusters ------------------------------------------------------


@dataclass
class _Mention:
    event_id: str
    record: dict
    day: date


def assign(conn: sa.Connection, article_pk: int, evs: list[Event], published: date | None,
           ingested_at: datetime, duplicate_of: int | None = None, cfg: MergeConfig = DEFAULT) -> list[int]:
    """Put each event of a just-stored article into a cluster (inside the caller's transaction); returns the
    clusters touched. Best pairs first, so the main event gets the cluster both it and a side event fit."""
    if not evs:
        return []
    new = [_Mention(e.event_id, e.to_json(), effective_day(e.to_json(), published, ingested_at)) for e in evs]
    scored: list[tuple[float, int, int]] = []  # (score, index of the new event, cluster)
    for i, m in enumerate(new):
        best: dict[int, float] = {}
        for cand in _candidates(conn, m, article_pk, cfg):
            s = pair_score(m.record, cand.record, m.day, cand.day, cfg)
            if s is None:
                continue
            if duplicate_of is not None and cand.article in (duplicate_of, cand.root):
                s += 2.0  # a copy's events are the original's: prefer those clusters
            best[cand.cluster] = max(best.get(cand.cluster, s), s)
        scored += [(s, i, c) for c, s in best.items() if s >= cfg.threshold]
    joined: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for s, i, c in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if i not in joined and c not in used:
            joined[i] = (c, s)
            used.add(c)
    touched: list[int] = []
    now = datetime.now(UTC)
    for i, m in enumerate(new):
        if i in joined:
            cluster, score = joined[i]
        else:
            cluster, score = _new_cluster(conn, m, ingested_at, now), None
        conn.execute(sa.insert(event_clusters).values(
            event_id=m.event_id, cluster=cluster, article=article_pk, event_type=m.record["event_type"],
            day=m.day, score=score))
        touched.append(cluster)
    for cluster in touched:
        refresh(conn, cluster)
    return touched


@dataclass
class _Candidate:
    cluster: int
    article: int
    root: int
    record: dict
    day: date


def _candidates(conn: sa.Connection, m: _Mention, article_pk: int, cfg: MergeConfig) -> Iterator[_Candidate]:
    """Stored mentions of other articles that could be the same event: compatible type, near in date, in a
    cluster no event of this article has joined yet."""
    etype = m.record["event_type"]
    types = (etype,) if cfg.same_type_only else FAMILIES.get(QUAD.get(etype, ""), (etype,))
    span = timedelta(days=cfg.window_days + _MAX_SLACK)
    ec = event_clusters.c
    own = sa.select(ec.cluster).where(ec.article == article_pk)
    query = (
        sa.select(ec.cluster, ec.article, ec.day, events.c.record, articles.c.duplicate_of)
        .join_from(event_clusters, events, events.c.event_id == ec.event_id)
        .join(articles, articles.c.id == ec.article)
        .where(ec.event_type.in_(types), ec.article != article_pk, ec.cluster.not_in(own))
    )
    if cfg.use_date:
        query = query.where(ec.day.between(m.day - span, m.day + span))
    for row in conn.execute(query):
        yield _Candidate(row.cluster, row.article, row.duplicate_of or row.article, row.record, row.day)


def _new_cluster(conn: sa.Connection, m: _Mention, ingested_at: datetime, now: datetime) -> int:
    return conn.execute(sa.insert(clusters).values(
        representative=m.event_id, event_type=m.record["event_type"], day=m.day, first_ingested=ingested_at,
        n_mentions=0, n_articles=0, n_sources=0, agreement={}, updated_at=now,
    ).returning(clusters.c.id)).scalar_one()


# -- a cluster's summary -------------------------------------------------------------------------------


_MENTION_COLUMNS = (
    event_clusters.c.event_id, event_clusters.c.cluster, event_clusters.c.day, event_clusters.c.score,
    events.c.record, events.c.confidence, articles.c.id.label("article_pk"), articles.c.article_id,
    articles.c.title, articles.c.source, articles.c.url, articles.c.published, articles.c.ingested_at,
    articles.c.duplicate_of,
)


def _mention_rows(conn: sa.Connection, cluster_ids: list[int]) -> list[sa.Row]:
    return conn.execute(
        sa.select(*_MENTION_COLUMNS)
        .join_from(event_clusters, events, events.c.event_id == event_clusters.c.event_id)
        .join(articles, articles.c.id == event_clusters.c.article)
        .where(event_clusters.c.cluster.in_(cluster_ids))
        .order_by(event_clusters.c.cluster, articles.c.id, events.c.rank)
    ).all()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def source_key(row: Any) -> str:
    """Who reported it: the outlet name, else the URL's host, else the article itself."""
    if row.source:
        return _norm(row.source)
    if row.url:
        host = re.sub(r"^[a-z]+://", "", row.url).split("/")[0]
        return host.removeprefix("www.")
    return f"article:{row.article_id}"


def _independent(rows: list[sa.Row]) -> list[sa.Row]:
    """Mentions that are not copies of an article already in the cluster: a syndicated copy is not a second
    witness, so it is listed but neither counted nor allowed to vote on agreement."""
    present = {r.article_pk for r in rows}
    return [r for r in rows if r.duplicate_of is None or r.duplicate_of not in present]


def _field_values(record: dict) -> dict[str, Any]:
    from marsad.store import actor_key, place_key

    def key(role: str) -> str | None:
        return actor_key(Actor(**record[role])) if record.get(role) else None

    loc = record.get("location")
    return {"actor": key("actor"), "recipient": key("recipient"),
            "location": place_key(Place(**loc)) if loc else None,
            "date": record.get("date"), "type": record["event_type"]}


def agreement(records: list[dict]) -> dict[str, dict]:
    """Per field, the most common stated value, the share of the mentions stating one that agree with it, and
    how many state one (a report that does not name the place neither agrees nor disagrees)."""
    out: dict[str, dict] = {}
    values = [_field_values(r) for r in records]
    for field in ("actor", "recipient", "location", "date", "type"):
        stated = [v[field] for v in values if v[field] is not None]
        if not stated:
            out[field] = {"value": None, "share": None, "n": 0}
            continue
        value, count = Counter(stated).most_common(1)[0]
        out[field] = {"value": value, "share": round(count / len(stated), 3), "n": len(stated)}
    return out


def refresh(conn: sa.Connection, cluster_id: int) -> None:
    """Recompute a cluster's summary from its mentions (a few rows: clusters are small)."""
    from marsad.store import actor_key

    rows = _mention_rows(conn, [cluster_id])
    if not rows:
        return
    indep = _independent(rows)
    rep = max(indep, key=lambda r: (r.confidence or 0.0, -r.article_pk, r.event_id))
    rec = rep.record
    loc, actor, recipient = rec.get("location"), rec.get("actor"), rec.get("recipient")
    published = [r.published for r in rows if r.published]
    conn.execute(sa.update(clusters).where(clusters.c.id == cluster_id).values(
        representative=rep.event_id, event_type=rec["event_type"], day=rep.day,
        country=(loc or {}).get("country") or (actor or {}).get("country"),
        actor_key=actor_key(Actor(**actor)) if actor else None,
        recipient_key=actor_key(Actor(**recipient)) if recipient else None,
        lat=loc["lat"] if loc else None, lon=loc["lon"] if loc else None,
        first_published=min(published) if published else None,
        first_ingested=min(_utc(r.ingested_at) for r in rows),
        n_mentions=len(rows), n_articles=len({r.article_pk for r in indep}),
        n_sources=len({source_key(r) for r in indep}),
        agreement=agreement([r.record for r in indep]), updated_at=datetime.now(UTC),
    ))


# -- reading (the API calls these) ---------------------------------------------------------------------


def _cluster_dict(row: sa.Row, mentions: list[sa.Row]) -> dict:
    indep = {r.event_id for r in _independent(mentions)}
    rep = next((m.record for m in mentions if m.event_id == row.representative), None)
    sources: dict[str, dict] = {}
    for m in mentions:
        if m.event_id in indep:
            sources.setdefault(source_key(m), {"source": m.source, "url": m.url, "articles": []})
            sources[source_key(m)]["articles"].append(m.article_id)
    return {
        "cluster_id": row.id,
        "event_type": row.event_type,
        "date": row.day.isoformat() if row.day else None,
        "country": row.country,
        "actor_key": row.actor_key,
        "recipient_key": row.recipient_key,
        "first_published": row.first_published.isoformat() if row.first_published else None,
        "first_ingested": _utc(row.first_ingested).isoformat(),
        "n_mentions": row.n_mentions,
        "n_articles": row.n_articles,
        "n_sources": row.n_sources,
        "agreement": row.agreement,
        "representative": rep,
        "sources": list(sources.values()),
        "mentions": [{
            "event_id": m.event_id,
            "article": {"id": m.article_id, "title": m.title, "source": m.source, "url": m.url,
                        "published": m.published.isoformat() if m.published else None,
                        "ingested_at": _utc(m.ingested_at).isoformat()},
            "duplicate": m.event_id not in indep,
            "score": m.score,
            "event": m.record,
        } for m in mentions],
    }


def cluster_of(store: Any, event_id: str) -> dict | None:
    """The consolidated event a stored event belongs to: summary, representative, sources, every mention."""
    with store._errors(f"cannot read the cluster of {event_id!r}"), store.engine.connect() as conn:
        cid = conn.execute(sa.select(event_clusters.c.cluster)
                           .where(event_clusters.c.event_id == event_id)).scalar_one_or_none()
        if cid is None:
            return None
        row = conn.execute(sa.select(clusters).where(clusters.c.id == cid)).one()
        return _cluster_dict(row, _mention_rows(conn, [cid]))


def iter_clusters(store: Any, limit: int | None = None, offset: int = 0,
                  min_sources: int = 1) -> Iterator[dict]:
    """Consolidated events by id (creation order), with their mentions; one short read per page."""
    if offset < 0 or (limit is not None and limit < 0):
        raise ValueError("limit and offset must not be negative")
    page, after, remaining = 200, None, limit
    while remaining is None or remaining > 0:
        size = page if remaining is None else min(page, remaining)
        query = sa.select(clusters).where(clusters.c.n_sources >= min_sources).order_by(clusters.c.id).limit(size)
        query = query.offset(offset) if after is None else query.where(clusters.c.id > after)
        with store._errors("cannot read clusters"), store.engine.connect() as conn:
            rows = conn.execute(query).all()
            mentions = _mention_rows(conn, [r.id for r in rows]) if rows else []
        by_cluster: dict[int, list[sa.Row]] = {}
        for m in mentions:
            by_cluster.setdefault(m.cluster, []).append(m)
        for row in rows:
            yield _cluster_dict(row, by_cluster.get(row.id, []))
        if len(rows) < size:
            return
        after = rows[-1].id
        if remaining is not None:
            remaining -= len(rows)
