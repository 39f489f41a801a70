"""The flow for a stream of articles: read -> parse -> extract -> records, one article's failure isolated."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator

from tqdm import tqdm

from .analyse.alerts import evaluate_article
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


def extract_events(items: Iterable[Article | Rejection], settings: Settings,
                   progress: bool = True) -> Iterator[tuple[Article, list[Event]] | Rejection]:
    """Events of each article, in input order; rejections (bad input, failed articles) passed through."""
    nlp = load_pipeline(settings.spacy_model)
    bar = tqdm(desc="articles", unit="art", file=sys.stderr, disable=None if progress else True)
    batch: list[Article | Rejection] = []
    for item in items:
        if isinstance(item, Article) and len(item.text) > MAX_CHARS:
            item = Rejection(item.id, "E201", f"article has {len(item.text):,} characters; the limit is {MAX_CHARS:,}")
        batch.append(item)
        if len(batch) >= settings.batch_size:
            yield from _run_batch(nlp, batch, bar)
            batch = []
    if batch:
        yield from _run_batch(nlp, batch, bar)
    bar.close()


def _run_batch(nlp, batch, bar) -> Iterator[tuple[Article, list[Event]] | Rejection]:
    """Code a batch. Articles not in English are passed through with no events: stored with their language,
    never mis-coded by an English pipeline."""
    articles = [a for a in batch if isinstance(a, Article) and is_english(a)]
    try:
        docs = dict(zip((id(a) for a in articles), nlp.pipe(a.text for a in articles)))
    except Exception:
        log.debug("batch failed; retrying one article at a time", exc_info=True)
        docs = {}
    done: list[tuple[Article, object, list[Event]] | Rejection] = []
    for item in batch:
        if isinstance(item, Rejection):
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
    coded = iter(assign_acled([d for d in done if not isinstance(d, Rejection) and d[1] is not None]))
    for d in done:
        yield d if isinstance(d, Rejection) else (d[0], next(coded) if d[1] is not None else [])
        bar.update(1)


def ingest(store, items: Iterable[Article | Rejection], settings: Settings,
           on_reject: Callable[[Rejection], None] = lambda r: None) -> tuple[int, int, int]:
    """Extract and store each article; returns (stored, already present, rejected). Content already in the
    store is skipped before parsing, so re-ingesting a corpus costs almost nothing. Storing an article
    also links near-duplicates and merges its events into consolidated events (Store.store_article);
    the alert rules are then evaluated on it."""
    stored = present = rejected = 0
    store.sync_registry(load_registry().by_id.values())

    def fresh() -> Iterator[Article | Rejection]:
        nonlocal present
        for item in items:
            if isinstance(item, Article) and store.has_article(item.content_hash):
                present += 1
                continue
            yield item

    for item in extract_events(fresh(), settings):
        if isinstance(item, Rejection):
            rejected += 1
            on_reject(item)
        elif (pk := store.store_article(*item)) is not None:
            stored += 1
            evaluate_article(store, pk)  # alerts are incremental: each article as soon as it is stored
        else:
            present += 1
    return stored, present, rejected
