"""The store: articles and their events in SQLite (default, WAL) or PostgreSQL, through SQLAlchemy Core.

`Store.add_article` is the one write path; everything else reads. Every database failure surfaces as a
`StoreError` (code E301) with a readable message, never as a raw driver exception.
"""
from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.pool import StaticPool

from marsad.errors import MarsadError
from marsad.models import Actor, Article, Event, Place
from marsad.store import migrate, schema
from marsad.store.schema import actors, articles, event_actors, event_places, events, places

__all__ = ["Store", "StoreError", "actor_key", "open_store", "place_key"]

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_CONSOLIDATE_LOCK = 0x6D61727361640002  # serialises merging across PostgreSQL writers (one cluster per event)
_PAGE = 500  # rows fetched per query by the iterators; no connection is held between pages


class StoreError(MarsadError):
    """A database failure: unreachable server, unwritable file, broken constraint ..."""

    code = "E301"


def open_store(url: str) -> Store:
    """Open (creating and migrating if needed) the store at SQLAlchemy `url`."""
    return Store(url)


def actor_key(actor: Actor) -> str:
    """The actors-table key: the registry id, else `name:<normalised name>`."""
    if actor.id:
        return actor.id
    return "name:" + " ".join(actor.name.casefold().split())


def place_key(place: Place) -> str:
    """The places-table key: `gn:<geonameid>`, else `ll:<lat>,<lon>:<name>` (coordinates to ~1 m)."""
    if place.geonameid is not None:
        return f"gn:{place.geonameid}"
    return f"ll:{round(place.lat, 5)},{round(place.lon, 5)}:{place.name}"


class Store:
    """A connection pool to one marsad database, migrated to the newest schema on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"invalid database URL {url!r}: {exc}") from None
        self._shown_url = parsed.render_as_string(hide_password=True)
        self.merge_config: Any = None  # a marsad.analyse.merge.MergeConfig; None: its defaults
        backend = parsed.get_backend_name()
        if backend not in SUPPORTED_BACKENDS:
            raise StoreError(
                f"unsupported database {backend!r} in {self._shown_url}: use sqlite or postgresql"
            )
        try:
            self.engine = _create_engine(parsed)
        except StoreError:
            raise
        except (OSError, ImportError, sa.exc.SQLAlchemyError) as exc:
            missing_driver = isinstance(exc, ImportError)
            hint = "; install the driver: pip install 'marsad[postgres]'" if missing_driver else ""
            raise StoreError(f"cannot open the store at {self._shown_url}: {_reason(exc)}{hint}") from None
        try:
            with self._errors("cannot open the store"), self._write() as conn:
                migrate.upgrade(conn)
        except StoreError:
            self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"Store({self._shown_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    # -- writing -------------------------------------------------------------------------------------

    def add_article(self, article: Article, events: list[Event], consolidate: bool = True) -> bool:
        """Store an article and its events (ranked in list order) in one transaction.

        Returns False, changing nothing, when an article with the same content hash is already stored.
        Actors and places are upserted (the first writer's attributes win) and linked to the events.
        With `consolidate` (the default) the same transaction also links a near-duplicate article to its
        original, puts each event into a consolidated event and keeps conditional threats as commitments;
        a bulk loader may turn that off (and then the events are in no cluster).
        """
        return self.store_article(article, events, consolidate) is not None

    def store_article(self, article: Article, events: list[Event], consolidate: bool = True) -> int | None:
        """Like `add_article`, returning the new article's row id (None when the content was present)."""
        _check_events(article, events)
        fingerprint = _fingerprint(article) if consolidate else None  # CPU work before taking the write lock
        with self._errors(f"cannot store article {article.id!r}"), self._write() as conn:
            return self._store_in(conn, article, events, consolidate, fingerprint, lock=True)

    def store_articles(self, items: Sequence[tuple[Article, list[Event]]], consolidate: bool = True,
                       after_each: Callable[[sa.Connection, int], Any] | None = None) -> list[int | None]:
        """Store several articles in one transaction, each exactly as `store_article` would in turn (later
        ones see the earlier ones: duplicates, merging); `after_each(conn, pk)` runs in the transaction
        after each newly stored article (alert rules). Returns the row ids (None: content was present).
        All or nothing: on a failure nothing of the batch is stored."""
        for article, evs in items:
            _check_events(article, evs)
        prints = [_fingerprint(a) if consolidate else None for a, _ in items]
        with self._errors(f"cannot store {len(items)} articles (from {items[0][0].id!r})" if items else ""), \
                self._write() as conn:
            out = []
            for n, ((article, evs), fingerprint) in enumerate(zip(items, prints)):
                pk = self._store_in(conn, article, evs, consolidate, fingerprint, lock=n == 0)
                if pk is not None and after_each is not None:
                    after_each(conn, pk)
                out.append(pk)
            return out

    def _store_in(self, conn: sa.Connection, article: Article, events: list[Event], consolidate: bool,
                  fingerprint: Any, lock: bool) -> int | None:
        """One article's rows in the caller's write transaction (`lock`: take the merge lock first)."""
        if consolidate:  # imported here: the analysis modules import the store's schema
            from marsad.analyse import alerts, dedupe, merge
        insert = _insert_for(conn)
        duplicate_of = None
        if consolidate:
            if lock and conn.dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CONSOLIDATE_LOCK})
            if (found := dedupe.find_original(conn, article.text, fingerprint)) is not None:
                duplicate_of = found[0]
        ingested_at = datetime.now(UTC)
        pk = conn.execute(
            insert(articles)
            .values(
                article_id=article.id,
                content_hash=article.content_hash,
                title=article.title,
                published=article.published,
                url=article.url,
                source=article.source,
                language=article.language,
                text=article.text,
                ingested_at=ingested_at,
                duplicate_of=duplicate_of,
                fingerprint=fingerprint if consolidate else None,
            )
            .on_conflict_do_nothing(index_elements=["content_hash"])
            .returning(articles.c.id)
        ).scalar_one_or_none()
        if pk is None:
            return None  # same content already stored: ingest is idempotent
        if events:
            rows = _EventRows(pk, events)
            if rows.actors:
                conn.execute(insert(actors).on_conflict_do_nothing(index_elements=["key"]), rows.actors)
            if rows.places:
                conn.execute(insert(places).on_conflict_do_nothing(index_elements=["key"]), rows.places)
            conn.execute(sa.insert(schema.events), rows.events)  # `events` is the argument here
            if rows.event_actors:
                conn.execute(sa.insert(event_actors), rows.event_actors)
            if rows.event_places:
                conn.execute(sa.insert(event_places), rows.event_places)
        if consolidate:
            dedupe.index_article(conn, pk, fingerprint)
            merge.assign(conn, pk, events, article.published, ingested_at, duplicate_of,
                         self.merge_config or merge.DEFAULT)
            alerts.record_commitments(conn, pk, events)
        return pk

    # -- reading -------------------------------------------------------------------------------------

    def ping(self) -> None:
        """Check the database answers (raises StoreError if not)."""
        with self._errors("the store does not answer"), self.engine.connect() as conn:
            conn.execute(sa.select(1))

    def sync_registry(self, entries: Iterable[Any]) -> int:
        """Upsert the actor registry's entries (id, name, kind, aliases ...) into the actors table, so that
        the store answers 'who is who' for every actor, mentioned yet or not. Returns the number of rows."""
        rows = [{"key": e.id, "name": e.name, "country": e.country, "sector": e.sector,
                 "acled_inter": e.acled_inter, "parent": e.parent, "kind": e.kind, "aliases": list(e.aliases),
                 "wikidata": e.wikidata, "provisional": False} for e in entries]
        with self._errors("cannot store the actor registry"), self._write() as conn:
            stmt = _insert_for(conn)(actors)
            stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={
                c: stmt.excluded[c] for c in ("name", "country", "sector", "acled_inter", "parent", "kind",
                                              "aliases", "wikidata", "provisional")})
            for i in range(0, len(rows), _PAGE):
                conn.execute(stmt, rows[i:i + _PAGE])
        return len(rows)

    def has_article(self, content_hash: str) -> bool:
        """Whether an article with this content hash is stored."""
        query = sa.select(articles.c.id).where(articles.c.content_hash == content_hash).limit(1)
        with self._errors("cannot read the store"), self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def iter_events(self, limit: int | None = None, offset: int = 0) -> Iterator[dict]:
        """Stored events as contract dicts, in article order (insertion) then rank (0 = main event)."""
        for record, _article in self.iter_event_rows(limit, offset):
            yield record

    def iter_event_rows(self, limit: int | None = None, offset: int = 0) -> Iterator[tuple[dict, dict]]:
        """Like `iter_events`, paired with each event's article metadata (its fields, without the text)."""
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError("limit and offset must not be negative")
        columns = [events.c.record, events.c.article, events.c.rank, *_ARTICLE_META]
        base = (
            sa.select(*columns)
            .join_from(events, articles, events.c.article == articles.c.id)
            .order_by(events.c.article, events.c.rank)
        )
        remaining = limit
        after: tuple[int, int] | None = None
        while remaining is None or remaining > 0:
            size = _PAGE if remaining is None else min(_PAGE, remaining)
            query = base.limit(size)
            if after is None:
                query = query.offset(offset)
            else:  # keyset paging: cheap however deep we are
                query = query.where(
                    sa.or_(
                        events.c.article > after[0],
                        sa.and_(events.c.article == after[0], events.c.rank > after[1]),
                    )
                )
            with self._errors("cannot read events"), self.engine.connect() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                yield row.record, _article_meta(row)
            if len(rows) < size:
                return
            after = (rows[-1].article, rows[-1].rank)
            if remaining is not None:
                remaining -= len(rows)

    def article(self, article_id: str) -> dict | None:
        """The latest stored article with this id: its fields plus `events` (contract dicts, by rank)."""
        with self._errors(f"cannot read article {article_id!r}"), self.engine.connect() as conn:
            row = conn.execute(
                sa.select(articles.c.id, articles.c.text, *_ARTICLE_META)
                .where(articles.c.article_id == article_id)
                .order_by(articles.c.id.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            records = conn.execute(
                sa.select(events.c.record).where(events.c.article == row.id).order_by(events.c.rank)
            ).scalars()
            return {**_article_meta(row), "text": row.text, "events": list(records)}

    def counts(self) -> dict[str, int]:
        """Row counts: articles, events, actors, places."""
        tables = {"articles": articles, "events": events, "actors": actors, "places": places}
        with self._errors("cannot read the store"), self.engine.connect() as conn:
            return {
                name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for name, table in tables.items()
            }

    # -- plumbing ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A write transaction (on SQLite `BEGIN IMMEDIATE`: concurrent writers queue, not fail)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(marsad_write=True)
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn driver exceptions into a StoreError that says what failed and where."""
        try:
            yield
        except sa.exc.IntegrityError as exc:
            raise StoreError(f"{doing} in {self._shown_url}: constraint violated: {_reason(exc)}") from None
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"{doing} at {self._shown_url}: {_reason(exc)}") from None


_ARTICLE_META = (
    articles.c.article_id,
    articles.c.content_hash,
    articles.c.title,
    articles.c.published,
    articles.c.url,
    articles.c.source,
    articles.c.language,
    articles.c.ingested_at,
)


def _article_meta(row: sa.Row) -> dict[str, Any]:
    ingested = row.ingested_at
    if ingested.tzinfo is None:  # SQLite keeps no zone; we always write UTC
        ingested = ingested.replace(tzinfo=UTC)
    return {
        "id": row.article_id,
        "title": row.title,
        "published": row.published.isoformat() if row.published else None,
        "url": row.url,
        "source": row.source,
        "language": row.language,
        "content_hash": row.content_hash,
        "ingested_at": ingested.astimezone(UTC).isoformat(),
    }


class _EventRows:
    """The rows one article's events become: events, actors, places and the links between them."""

    def __init__(self, article_pk: int, evs: list[Event]) -> None:
        self.events: list[dict] = []
        self.event_actors: list[dict] = []
        self.event_places: list[dict] = []
        actor_rows: dict[str, dict] = {}
        place_rows: dict[str, dict] = {}
        for rank, ev in enumerate(evs):
            self.events.append(
                {
                    "event_id": ev.event_id,
                    "article": article_pk,
                    "rank": rank,
                    "event_type": ev.event_type,
                    "mode": ev.mode,
                    "acled_event_type": ev.acled_event_type,
                    "acled_sub_event_type": ev.acled_sub_event_type,
                    "date": _parse_date(ev.date),
                    "fatalities": ev.fatalities,
                    "confidence": ev.confidence,
                    "evidence_start": ev.evidence.start,
                    "evidence_end": ev.evidence.end,
                    "record": ev.to_json(),
                }
            )
            condition = ev.modality.condition
            roles = {
                "actor": ev.actor,
                "recipient": ev.recipient,
                "speaker": ev.speaker,
                "condition_actor": condition.actor if condition else None,
            }
            for role, actor in roles.items():
                if actor is None:
                    continue
                key = actor_key(actor)
                actor_rows.setdefault(key, _actor_row(key, actor))
                self.event_actors.append(
                    {"event_id": ev.event_id, "role": role, "actor_key": key,
                     "text": actor.text, "start": actor.start, "end": actor.end}
                )
            if ev.location is not None:
                key = place_key(ev.location)
                place_rows.setdefault(key, _place_row(key, ev.location))
                self.event_places.append(
                    {"event_id": ev.event_id, "role": "location", "place_key": key,
                     "text": ev.location.text, "start": ev.location.start, "end": ev.location.end}
                )
        self.actors = list(actor_rows.values())
        self.places = list(place_rows.values())


def _actor_row(key: str, actor: Actor) -> dict:
    """An actors row. An actor outside the registry with a proper name ('Saraya Awliya al-Dam') is
    provisional: kept under its exact normalised name, which later articles reuse."""
    provisional = actor.id is None and any(w[:1].isupper() for w in actor.name.split())
    return {"key": key, "name": actor.name, "country": actor.country, "sector": actor.sector,
            "acled_inter": actor.acled_inter, "parent": actor.parent, "provisional": provisional}


def _place_row(key: str, place: Place) -> dict:
    return {"key": key, "name": place.name, "lat": place.lat, "lon": place.lon, "country": place.country,
            "admin1": place.admin1, "admin2": place.admin2, "feature": place.feature,
            "geonameid": place.geonameid}


def _check_events(article: Article, events: list[Event]) -> None:
    for ev in events:
        if ev.article_id != article.id:
            raise ValueError(f"event {ev.event_id} belongs to article {ev.article_id!r}, not {article.id!r}")


def _fingerprint(article: Article) -> Any:
    from marsad.analyse import dedupe

    return dedupe.fingerprint(article.text)


def _parse_date(value: str | None) -> date | None:
    """The indexed date column; an unparsable date stays only in the record."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _insert_for(conn: sa.Connection) -> Any:
    """The dialect's INSERT (it has ON CONFLICT DO NOTHING, which plain Core INSERT lacks)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def _reason(exc: BaseException) -> str:
    """The driver's own words, on one line, without SQLAlchemy's statement dump."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    return " ".join(text.split()) or type(exc).__name__


def _create_engine(url: sa.URL) -> sa.Engine:
    if url.get_backend_name() == "postgresql":
        if url.drivername == "postgresql":  # a bare postgresql:// URL means psycopg 3 here, not psycopg2
            url = url.set(drivername="postgresql+psycopg")
        connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": 10}
        return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    kwargs: dict[str, Any] = {}
    if url.database in (None, "", ":memory:"):
        # one shared connection, or every thread (the web server's workers) would see its own empty database
        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    elif not url.database.startswith("file:"):
        parent = Path(url.database).expanduser().parent
        if parent.exists() and not parent.is_dir():
            raise StoreError(f"cannot create the database in {parent}: it is not a directory")
        parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, **kwargs)
    sa_event.listen(engine, "connect", _sqlite_on_connect)
    sa_event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from the sqlite3 module (it would BEGIN lazily, too late for WAL
    # writers to queue); _sqlite_on_begin issues BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    _use_wal(cursor)  # readers never block the writer, nor it them
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
    cursor.close()


def _use_wal(cursor: Any) -> None:
    # Switching a new database to WAL needs it alone for a moment, and SQLite answers "locked" at once
    # instead of honouring busy_timeout: so retry briefly when several processes open it together.
    deadline = time.monotonic() + 10
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_on_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("marsad_write") else "BEGIN")
