"""marsad: news articles in, evidence-linked conflict events (PLOVER / ACLED) out.

The small public API::

    import marsad
    for article, events in marsad.extract(["reports/"]):
        ...
    store = marsad.open_store("sqlite:///events.db")
    df = marsad.events_frame(store, country="SYR")   # pandas (backend="polars" too)
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

__version__ = "0.1.0"
__all__ = ["__version__", "actors_frame", "escalation_frame", "events_frame", "extract", "extract_text",
           "network_frame", "open_store"]
_FRAMES = ("events_frame", "actors_frame", "network_frame", "escalation_frame")  # marsad.frames (pandas)


def __getattr__(name: str):
    """The DataFrame functions of marsad.frames, imported on first use (pandas is slow to import)."""
    if name in _FRAMES:
        from . import frames

        return getattr(frames, name)
    raise AttributeError(f"module 'marsad' has no attribute {name!r}")


def extract(inputs: Iterable[str], **kwargs) -> Iterator:
    """(Article, [Event]) for every article of the INPUT paths (files, directories, JSONL); rejected inputs
    come as `Rejection` records. Keyword arguments: `published`, `source` (defaults for inputs without)."""
    from .config import get_settings
    from .ingest.readers import read_inputs
    from .pipeline import extract_events

    return extract_events(read_inputs(inputs, **kwargs), get_settings(), progress=False)


def extract_text(text: str, article_id: str = "text", published=None) -> list:
    """Events of one text."""
    from .config import get_settings
    from .errors import MarsadError
    from .models import Article
    from .pipeline import extract_events

    item = next(extract_events([Article(id=article_id, text=text, published=published)], get_settings(),
                               progress=False))
    if not isinstance(item, tuple):
        raise MarsadError(item.message, code=item.code)
    return item[1]


def open_store(url: str | None = None):
    """The store at `url` (default: the configured one), migrated to the newest schema."""
    from .config import get_settings
    from .store import open_store as _open

    return _open(url or get_settings().db_url)
