"""Parquet shards: the event shards `marsad extract --engine ray` writes (one row per article, its events as
a JSON string), read back by `marsad ingest` without re-extracting, and article shards (id, text ...) read
as input. Streamed a row group at a time: a shard of any size costs one batch of memory.

Event shard schema (version 1; every column a string unless said, nulls allowed where the article has none):

    article_id     the article's id (for a rejected input: the input's name, as in a rejection line)
    content_hash   sha256 of text
    title, url, source, language
    published      YYYY-MM-DD
    text           the article's text (the store keeps it; near-duplicate detection reads it)
    events         JSON array of the article's event records (the `marsad extract` JSONL records, in order)
    n_events       int32, len(events)
    error_code     a rejection's code (E1xx, E201); then only article_id and error_message are set
    error_message

The file's key-value metadata holds `marsad.shard = events/1` and the marsad version.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

from ..errors import Rejection
from ..models import Article, Event

SCHEMA_TAG = "events/1"
EVENT_COLUMNS = ("article_id", "content_hash", "title", "url", "source", "language", "published", "text",
                 "events", "n_events", "error_code", "error_message")
_META_KEY = b"marsad.shard"
READ_BATCH = 256


def arrow_schema():
    import pyarrow as pa

    from .. import __version__

    fields = [pa.field(c, pa.int32() if c == "n_events" else pa.string()) for c in EVENT_COLUMNS]
    return pa.schema(fields, metadata={_META_KEY: SCHEMA_TAG.encode(), b"marsad.version": __version__.encode()})


def to_row(item: tuple[Article, list[Event]] | Rejection) -> dict:
    """One shard row of an extracted article or a rejection."""
    if isinstance(item, Rejection):
        return {**dict.fromkeys(EVENT_COLUMNS), "article_id": item.input, "n_events": 0,
                "error_code": item.code, "error_message": item.message}
    art, evs = item
    return {"article_id": art.id, "content_hash": art.content_hash, "title": art.title, "url": art.url,
            "source": art.source, "language": art.language,
            "published": art.published.isoformat() if art.published else None, "text": art.text,
            "events": json.dumps([e.to_json() for e in evs], ensure_ascii=False), "n_events": len(evs),
            "error_code": None, "error_message": None}


def from_row(row: dict, where: str) -> tuple[Article, list[Event]] | Rejection:
    """The (article, events) or rejection a shard row stands for."""
    if row.get("error_code"):
        return Rejection(row.get("article_id") or where, row["error_code"], row.get("error_message") or "")
    try:
        art = Article(id=row["article_id"], text=row["text"], title=row.get("title"), url=row.get("url"),
                      source=row.get("source"), language=row.get("language"),
                      published=date.fromisoformat(row["published"]) if row.get("published") else None)
        evs = [Event.model_validate(e) for e in json.loads(row.get("events") or "[]")]
    except (ValueError, TypeError, KeyError) as exc:
        return Rejection(where, "E110", f"bad event shard row: {type(exc).__name__}: {str(exc)[:200]}")
    if row.get("content_hash") and row["content_hash"] != art.content_hash:
        return Rejection(where, "E110", "bad event shard row: content_hash does not match the text")
    return art, evs


def _records(path: Path) -> Iterator[tuple[int, dict] | Rejection]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        for batch in pf.iter_batches(batch_size=READ_BATCH):
            yield from enumerate(batch.to_pylist())
    except (OSError, ValueError) as exc:  # pyarrow's errors are OSError / ArrowInvalid (a ValueError)
        yield Rejection(str(path), "E110", f"cannot read Parquet: {str(exc)[:300]}")


def is_event_shard(path: Path) -> bool:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, ValueError):
        return False
    meta = schema.metadata or {}
    return meta.get(_META_KEY, b"").decode().startswith("events/") or {"events", "content_hash", "n_events",
                                                                       "error_code"} <= set(schema.names)


def read_parquet(path: Path, defaults: dict) -> Iterator[tuple[Article, list[Event]] | Article | Rejection]:
    """An event shard's (article, events) pairs, or an article shard's articles (columns as JSONL records:
    id, text or html, title, published, url, source, language)."""
    from ..ingest.readers import record_to_article

    events = is_event_shard(path)
    n = 0
    for rec in _records(path):
        if isinstance(rec, Rejection):
            yield rec
            return
        n += 1
        where = f"{path}:{n}"
        row = rec[1]
        if events:
            yield from_row(row, where)
        else:
            yield record_to_article(_plain(row), where, defaults)


def _plain(row: dict) -> dict:
    """Parquet values as JSON would give them (dates as ISO strings, nulls dropped)."""
    out = {}
    for k, v in row.items():
        if v is None:
            continue
        out[k] = v.isoformat()[:10] if hasattr(v, "isoformat") else v
    return out


def parquet_files(arg: str) -> list[Path]:
    p = Path(arg)
    if p.is_file() and p.suffix.lower() == ".parquet":
        return [p]
    if p.is_dir():
        return sorted(f for f in p.rglob("*.parquet") if f.is_file() and not f.name.startswith("."))
    return []


def read_items(inputs: Iterable[str], published: date | None = None, source: str | None = None
               ) -> Iterator[tuple[Article, list[Event]] | Article | Rejection]:
    """`read_inputs` plus Parquet: a .parquet file, or the .parquet files below a directory (after its
    other files), as event shards (stored as they are) or article shards (extracted)."""
    from ..ingest.readers import TEXT_SUFFIXES, read_inputs

    defaults = {"published": published, "source": source}
    for arg in list(inputs) or ["-"]:
        shards = parquet_files(arg) if arg != "-" else []
        if not shards:
            yield from read_inputs([arg], published, source)
            continue
        p = Path(arg)
        if p.is_dir() and any(f.suffix.lower() in TEXT_SUFFIXES for f in p.rglob("*") if f.is_file()):
            yield from read_inputs([arg], published, source)
        for f in shards:
            yield from read_parquet(f, defaults)
