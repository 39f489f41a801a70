"""RSS / Atom feeds (feedparser) as entries, and entries (or the pages they link to) as Articles.

`parse_feed` never raises anything but `FeedError` (E607): a document that is not a feed, or a broken one
with no readable entry. A feed with a few broken entries keeps the good ones; feedparser's own tolerance
(a "bozo" feed that still parses) is kept, with the reason logged.
"""
from __future__ import annotations

import calendar
import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from ..errors import MarsadError, Rejection
from ..models import Article
from .readers import (
    MAX_FIELD_CHARS,
    MAX_INPUT_BYTES,
    BadValue,
    _clean,
    check_published,
    extract_page,
    has_words,
)

log = logging.getLogger(__name__)
MAX_FEED_ENTRIES = 1000


class FeedError(MarsadError):
    code = "E607"


@dataclass
class FeedEntry:
    key: str                        # the entry's guid, else its link, else a hash of title and text
    link: str | None = None
    title: str | None = None
    published: date | None = None
    author: str | None = None
    html: str | None = None         # the entry's own content (content:encoded / atom:content), else summary
    language: str | None = None


@dataclass
class Feed:
    title: str | None = None
    link: str | None = None
    language: str | None = None
    version: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    bozo: str | None = None         # why feedparser found the document malformed, when it did


def _text(value: object, limit: int = MAX_FIELD_CHARS) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(_clean(value).split())
    return value[:limit] or None


def _date(parsed: object) -> date | None:
    """A feedparser time tuple as a date, if it is a plausible publication date."""
    try:
        d = datetime.fromtimestamp(calendar.timegm(parsed), UTC).date()  # type: ignore[arg-type]
        check_published(d)
        return d
    except (TypeError, ValueError, OverflowError, OSError, BadValue):
        return None


def parse_feed(data: bytes | str, url: str | None = None) -> Feed:
    """The entries of an RSS (0.9x, 1.0, 2.0) or Atom document. Raises FeedError (E607) for anything else."""
    import feedparser

    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    if len(data) > 4 * MAX_INPUT_BYTES:
        raise FeedError(f"feed has {len(data):,} bytes; the limit is {4 * MAX_INPUT_BYTES:,}")
    if not data.strip():
        raise FeedError("feed is empty")
    try:
        parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True,
                                  response_headers={"content-location": url} if url else None)
    except Exception as exc:  # noqa: BLE001  (feedparser is tolerant, but not of everything)
        raise FeedError(f"feed could not be parsed: {type(exc).__name__}: {str(exc)[:200]}") from None
    bozo = str(parsed.get("bozo_exception") or "") or None if parsed.get("bozo") else None
    version = parsed.get("version") or ""
    raw_entries = parsed.get("entries") or []
    if not version and not raw_entries:
        why = f": {bozo[:200]}" if bozo else ""
        raise FeedError(f"not an RSS or Atom feed{why}")
    meta = parsed.get("feed") or {}
    feed = Feed(title=_text(meta.get("title")), link=_text(meta.get("link")),
                language=_text(meta.get("language"), 35), version=version, bozo=bozo)
    for raw in raw_entries[:MAX_FEED_ENTRIES]:
        entry = _entry(raw)
        if entry is not None:
            feed.entries.append(entry)
    if bozo and not feed.entries:
        raise FeedError(f"malformed feed with no readable entries: {bozo[:200]}")
    if bozo:
        log.info("feed %s is malformed but readable (%s): %d entries", url or "", bozo[:120], len(feed.entries))
    return feed


def _entry(raw: dict) -> FeedEntry | None:
    link = _text(raw.get("link"))
    if link and not re.match(r"https?://", link, re.IGNORECASE):
        link = None
    title = _text(raw.get("title"))
    html = None
    for c in raw.get("content") or []:
        if isinstance(c, dict) and isinstance(c.get("value"), str) and c["value"].strip():
            html = c["value"]
            break
    if html is None and isinstance(raw.get("summary"), str) and raw["summary"].strip():
        html = raw["summary"]
    if html is not None:
        html = _clean(html)[:MAX_INPUT_BYTES]
    guid = _text(raw.get("id"), 2048) or link
    if guid is None:
        if not (title or html):
            return None
        guid = "sha256:" + hashlib.sha256(f"{title}\n{html}".encode()).hexdigest()
    published = _date(dict.get(raw, "published_parsed")) or _date(dict.get(raw, "updated_parsed"))
    return FeedEntry(key=guid, link=link, title=title, published=published, author=_text(raw.get("author")),
                     html=html, language=_text((raw.get("content") or [{}])[0].get("language")
                                               if isinstance((raw.get("content") or [{}])[0], dict) else None, 35))


def article_id(feed_name: str, key: str) -> str:
    """A stable, short, path-safe article id for a feed entry or a page URL: `<feed>-<16 hex of the key>`."""
    prefix = re.sub(r"[^A-Za-z0-9]+", "-", feed_name).strip("-").lower()[:40] or "feed"
    return f"{prefix}-{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()[:16]}"


def entry_text(entry: FeedEntry) -> str:
    """The readable text of an entry's own content (HTML or plain)."""
    if not entry.html:
        return ""
    if "<" not in entry.html:
        return entry.html.strip()
    page = extract_page(f"<html><body><article>{entry.html}</article></body></html>")
    return page.text.strip()


def entry_to_article(entry: FeedEntry, source: str, feed_name: str, page_html: str | None = None,
                     page_url: str | None = None, language: str | None = None) -> Article | Rejection:
    """An Article from a feed entry: the linked page's main text when `page_html` is given (its metadata
    filling what the entry lacks), else the entry's own content."""
    from .readers import _article

    aid = article_id(feed_name, entry.key)
    title, published, stated = entry.title, entry.published, language or entry.language
    text = ""
    if page_html is not None:
        page = extract_page(page_html)
        text = page.text
        title = title or page.title
        published = published or page.published
        stated = stated or page.language
    if not has_words(text):
        text = entry_text(entry)
    if not has_words(text):
        return Rejection(page_url or entry.link or aid, "E103", "feed entry has no text (nor has its page)")
    if len(text) > MAX_INPUT_BYTES:
        return Rejection(page_url or entry.link or aid, "E108", f"article text over {MAX_INPUT_BYTES:,} characters")
    return _article({}, id=aid, text=text, title=title, published=published, url=page_url or entry.link,
                    source=source, language=stated)
