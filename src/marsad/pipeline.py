"""The flow for a stream of articles: read -> parse -> extract -> records, one article's failure isolated."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator

from tqdm import tqdm

from .config import Settings
from .errors import Rejection
from .extract.acled_codes import assign_acled
from .extract.records import doc_to_events
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
    articles = [a for a in batch if isinstance(a, Article)]
    try:
        docs = dict(zip((id(a) for a in articles), nlp.pipe(a.text for a in articles)))
    except Exception:  # noqa: BLE001  (one bad article must not sink the batch: redo them one by one)
        log.debug("batch failed; retrying one article at a time", exc_info=True)
        docs = {}
    done: list[tuple[Article, object, list[Event]] | Rejection] = []
    for item in batch:
        if isinstance(item, Rejection):
            done.append(item)
            continue
        try:
            doc = docs.get(id(item)) or nlp(item.text)
            done.append((item, doc, doc_to_events(item, doc)))
        except Exception as exc:  # noqa: BLE001
            log.debug("article %s failed", item.id, exc_info=True)
            done.append(Rejection(item.id, "E201", f"article could not be processed: {type(exc).__name__}: {exc}"))
    coded = iter(assign_acled([d for d in done if not isinstance(d, Rejection)]))
    for d in done:
        yield d if isinstance(d, Rejection) else (d[0], next(coded))
        bar.update(1)


def ingest(store, items: Iterable[Article | Rejection], settings: Settings,
           on_reject: Callable[[Rejection], None] = lambda r: None) -> tuple[int, int, int]:
    """Extract and store each article; returns (stored, already present, rejected). Content already in the
    store is skipped before parsing, so re-ingesting a corpus costs almost nothing."""
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
        elif store.add_article(*item):
            stored += 1
        else:
            present += 1
    return stored, present, rejected
