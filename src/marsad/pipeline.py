"""The flow for a stream of articles: read -> parse -> extract -> records, one article's failure isolated.

Everything here streams: articles are read, coded and written a batch at a time, so memory does not grow
with the length of the input. `extract_events(..., workers=N)` spreads the parsing over N processes
(marsad.scale.workers) and keeps the input order; `ingest` stores several articles per transaction.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator

from tqdm import tqdm

from .analyse.alerts import evaluate_article, evaluate_in
from .config import Settings
from .errors import Rejection
from .extract.acled_codes import assign_acled
from .extract.records import doc_to_events
from .ingest.lang import is_english
from .models import Article, Event
from .nlp import load_pipeline
from .resolve.registry import load_registry

log = logging.getLogger(__name__)
MAX_CHARS = 1_000_000  # spaCy's own limit for one Doc; longer articles are rejected, not silently cut
WRITE_BATCH = 32  # articles per transaction of `marsad ingest` (the library default stays 1: watch, the API)

Extracted = tuple[Article, list[Event]]
Item = Article | Rejection | Extracted  # an Extracted item (read from event shards) is passed through as is


def batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """The input in lists of `size`, articles over MAX_CHARS already turned into rejections."""
    batch: list[Item] = []
    for item in items:
        if isinstance(item, Article) and len(item.text) > MAX_CHARS:
            item = Rejection(item.id, "E201", f"article has {len(item.text):,} characters; the limit is {MAX_CHARS:,}")
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def extract_events(items: Iterable[Item], settings: Settings, progress: bool = True,
                   workers: int = 1) -> Iterator[Extracted | Rejection]:
    """Events of each article, in input order; rejections (bad input, failed articles) passed through.
    With `workers` > 1 the batches are coded in that many processes (each loads the pipeline once)."""
    bar = tqdm(desc="articles", unit="art", file=sys.stderr, disable=None if progress else True)
    try:
        if workers > 1:
            from .scale.workers import code_batches

            coded = code_batches(batches(items, settings.batch_size), settings, workers)
        else:
            coded = (code_batch(lambda: load_pipeline(settings.spacy_model), b)
                     for b in batches(items, settings.batch_size))
        for done in coded:
            yield from done
            bar.update(len(done))
    finally:
        bar.close()


def code_batch(get_nlp: Callable, batch: list[Item]) -> list[Extracted | Rejection]:
    """Code a batch (`get_nlp()`: the pipeline, loaded only when the batch has an article to parse).
    Articles not in English are passed through with no events: stored with their language, never
    mis-coded by an English pipeline."""
    articles = [a for a in batch if isinstance(a, Article) and is_english(a)]
    if not articles:
        return [(item, []) if isinstance(item, Article) else item for item in batch]
    nlp = get_nlp()
    try:
        docs = dict(zip((id(a) for a in articles), nlp.pipe(a.text for a in articles)))
    except Exception:
        log.debug("batch failed; retrying one article at a time", exc_info=True)
        docs = {}
    done: list[tuple[Article, object, list[Event]] | Extracted | Rejection] = []
    for item in batch:
        if isinstance(item, (Rejection, tuple)):
            done.append(item)
            continue
        if not is_english(item):
            done.append((item, None, []))
            continue
        try:
            doc = docs.get(id(item)) or nlp(item.text)
            done.append((item, doc, doc_to_events(item, doc)))
        except Exception as exc:
            log.debug("article %s failed", item.id, exc_info=True)
            done.append(Rejection(item.id, "E201", f"article could not be processed: {type(exc).__name__}: {exc}"))
    parsed = [d for d in done if not isinstance(d, Rejection) and len(d) == 3 and d[1] is not None]
    coded = iter(assign_acled(parsed))
    out: list[Extracted | Rejection] = []
    for d in done:
        if isinstance(d, Rejection) or len(d) == 2:
            out.append(d)
        else:
            out.append((d[0], next(coded) if d[1] is not None else []))
    return out


def ingest(store, items: Iterable[Item], settings: Settings,
           on_reject: Callable[[Rejection], None] = lambda r: None, workers: int = 1,
           write_batch: int = 1, extracted: Iterable[Extracted | Rejection] | None = None,
           ) -> tuple[int, int, int]:
    """Extract and store each article; returns (stored, already present, rejected). Content already in the
    store is skipped before parsing, so re-ingesting a corpus (or resuming a stopped run) costs almost
    nothing. Storing an article also links near-duplicates and merges its events into consolidated events
    (Store.store_article); the alert rules are then evaluated on it, as if it had been stored alone.
    `write_batch` articles share one transaction (1, the default: each is stored as soon as it is coded,
    as `watch` and the API want; `marsad ingest` uses WRITE_BATCH); `extracted` (instead of extracting `items`) stores events
    coded elsewhere (Parquet shards, the Ray engine)."""
    counts = {"stored": 0, "present": 0, "rejected": 0}
    store.sync_registry(load_registry().by_id.values())

    def fresh() -> Iterator[Item]:
        for item in items:
            if isinstance(item, tuple):
                art = item[0]
            elif isinstance(item, Article):
                art = item
            else:
                yield item
                continue
            if store.has_article(art.content_hash):
                counts["present"] += 1
                continue
            yield item

    pending: list[Extracted] = []

    def flush() -> None:
        if not pending:
            return
        if len(pending) == 1:
            pks = [store.store_article(*pending[0])]
            if pks[0] is not None:
                evaluate_article(store, pks[0])
        else:  # one transaction; each article's alerts evaluated in it right after that article is stored
            pks = store.store_articles(pending, after_each=evaluate_in)
        for pk in pks:
            counts["stored" if pk is not None else "present"] += 1
        pending.clear()

    stream = extract_events(fresh(), settings, workers=workers) if extracted is None else extracted
    for item in stream:
        if isinstance(item, Rejection):
            counts["rejected"] += 1
            on_reject(item)
            continue
        pending.append(item)
        if len(pending) >= max(1, write_batch):
            flush()
    flush()
    return counts["stored"], counts["present"], counts["rejected"]


def prepare_resume(path) -> set[str]:
    """Ready a JSONL events file (`extract -o`) to be appended to, and return the ids of the articles it
    holds. The last article of the file is dropped and redone (it may have been cut short: a torn last
    line, or some of its events written and not the rest); an article without events leaves no line, so
    it is redone too (it costs its parse, and writes nothing again)."""
    import json
    import os

    done: set[str] = set()
    last_id, last_start, good_end = None, 0, 0
    with open(path, "rb") as fh:
        pos = 0
        for line in fh:
            end = pos + len(line)
            if not line.endswith(b"\n"):
                break  # torn last line
            try:
                aid = json.loads(line)["article_id"]
            except (ValueError, KeyError, TypeError):
                break  # not ours past this point: keep what came before
            if aid != last_id:
                if last_id is not None:
                    done.add(last_id)
                last_id, last_start = aid, pos
            good_end = pos = end
    with open(path, "r+b") as fh:  # drop the last article's lines (and anything after them)
        fh.truncate(last_start if last_id is not None else good_end)
        fh.flush()
        os.fsync(fh.fileno())
    return done
