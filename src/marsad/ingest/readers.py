"""Read INPUT arguments (files, directories, stdin JSONL) into Articles; bad inputs become Rejections.

Bounded whatever comes in: a file or JSONL line over `MAX_INPUT_BYTES` is rejected (E108) without being read
whole, JSONL is streamed a line at a time (stdin as bytes, so broken UTF-8 is one line's rejection, not a
crash), and field values that would break a store or an output stream (NUL characters, lone surrogates,
ids thousands of characters long, publication dates in the future) are rejected with their code.
"""
from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

from ..errors import Rejection
from ..models import Article

TEXT_SUFFIXES = {".txt", ".html", ".htm", ".jsonl"}
MAX_INPUT_BYTES = 4_000_000  # one .txt/.html file or one JSONL line (pipeline's limit: 1,000,000 characters)
MAX_ID_CHARS = 512
MAX_FIELD_CHARS = 4096  # title, url, source
EARLIEST_PUBLISHED = date(1900, 1, 1)
FUTURE_SLACK = timedelta(days=2)  # time zones and clock skew: a date a day ahead is not hostile
_BOM16 = (b"\xff\xfe", b"\xfe\xff")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)


class BadValue(ValueError):
    """A field value that parses but is out of range or hostile (E109)."""


def _published(value: object) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"'published' must be a YYYY-MM-DD string, not {type(value).__name__}")
    if len(value) > 64:
        raise ValueError("'published' is too long for a date")
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        d = datetime.fromisoformat(value).date()
    check_published(d)
    return d


def check_published(d: date) -> None:
    """A publication date must lie between 1900 and (about) today."""
    if d < EARLIEST_PUBLISHED:
        raise BadValue(f"publication date {d.isoformat()} is before {EARLIEST_PUBLISHED.year}")
    if d > date.today() + FUTURE_SLACK:
        raise BadValue(f"publication date {d.isoformat()} is in the future")


# -- HTML ----------------------------------------------------------------------------------------------------

@dataclass
class Page:
    """What an HTML page says about itself: main text and metadata (any of them may be missing)."""

    text: str
    title: str | None = None
    published: date | None = None
    author: str | None = None
    site: str | None = None
    language: str | None = None  # <html lang> or a content-language meta tag, as written


def _meta_fallbacks(html: str) -> dict[str, str | None]:
    """og:/article:/name= meta tags, <title>, <time datetime>, <html lang>: for pages trafilatura reads badly."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except Exception:  # noqa: BLE001  (unparseable markup: no metadata)
        return {}

    def meta(*names: str) -> str | None:
        for name in names:
            for attr in ("property", "name", "itemprop"):
                for el in tree.xpath(f'//meta[@{attr}="{name}"]'):
                    if (content := (el.get("content") or "").strip()):
                        return content
        return None

    title_el = tree.find(".//title")
    times = tree.xpath("//time/@datetime")
    return {
        "title": meta("og:title", "twitter:title", "dc.title", "DC.title")
        or (" ".join(title_el.text_content().split()) if title_el is not None else None) or None,
        "date": meta("article:published_time", "datePublished", "date", "pubdate", "dc.date", "DC.date",
                     "og:updated_time") or (times[0] if times else None),
        "author": meta("author", "article:author", "dc.creator", "DC.creator", "byl"),
        "site": meta("og:site_name", "application-name", "publisher"),
        "language": (tree.get("lang") or tree.get("xml:lang") or meta("content-language", "language",
                                                                     "og:locale") or None),
    }


def _page_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        d = date.fromisoformat(value.strip()[:10])
        check_published(d)
        return d
    except ValueError:
        return None


def extract_page(html: str) -> Page:
    """Main text (trafilatura; all visible text if it finds none) and metadata, with meta-tag fallbacks.
    Never raises for bad markup: a page with no text has `text == ""`."""
    import trafilatura

    try:
        text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True) or ""
    except Exception:  # noqa: BLE001  (trafilatura on hostile markup: fall back below)
        text = ""
    try:
        meta = trafilatura.extract_metadata(html)
    except Exception:  # noqa: BLE001
        meta = None
    fb = _meta_fallbacks(html)
    if not text.strip():
        from lxml import html as lxml_html

        try:
            tree = lxml_html.fromstring(html)
            for bad in tree.xpath("//script|//style|//noscript"):
                bad.drop_tree()
            text = " ".join(tree.text_content().split())
        except Exception:  # noqa: BLE001  (unparseable markup: no text)
            text = ""

    def pick(attr: str, key: str) -> str | None:
        value = getattr(meta, attr, None) if meta is not None else None
        value = value if isinstance(value, str) and value.strip() else fb.get(key)
        return " ".join(value.split())[:MAX_FIELD_CHARS] if isinstance(value, str) and value.strip() else None

    return Page(text=_clean(text), title=pick("title", "title"),
                published=_page_date(getattr(meta, "date", None) if meta is not None else None)
                or _page_date(fb.get("date")),
                author=pick("author", "author"), site=pick("sitename", "site"), language=fb.get("language"))


def html_to_text(html: str) -> tuple[str, str | None]:
    """Main text and title of an HTML page (trafilatura), falling back to all visible text."""
    page = extract_page(html)
    return page.text, page.title


def _clean(text: str) -> str:
    """Text safe to store and print: NUL and lone surrogates removed (pages from the web carry both)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def decode_html(raw: bytes) -> str | None:
    """HTML bytes as text: UTF-8 (with or without BOM), UTF-16 with a BOM, or the charset its <meta> declares."""
    if raw.startswith(_BOM16):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if (m := _CHARSET.search(raw[:4096])) is not None:
        try:
            return raw.decode(m.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            return None
    return None


# -- decoding and field checks -------------------------------------------------------------------------------

def _decode(raw: bytes, name: str, html: bool = False) -> str | Rejection:
    if raw.startswith(_BOM16):  # UTF-16 with a byte-order mark is unambiguous: read it
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            return Rejection(name, "E107", f"not valid UTF-16 at byte {exc.start}")
        if "\x00" in text:
            return Rejection(name, "E102", "input has NUL characters; expected text")
    elif b"\x00" in raw:
        return Rejection(name, "E102", "input looks binary (NUL bytes; UTF-16 without a byte-order mark?); "
                                       "expected UTF-8 text")
    else:
        text = decode_html(raw) if html else None
        if text is None:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                return Rejection(name, "E107", f"not valid UTF-8 at byte {exc.start}")
    if not text.strip():
        return Rejection(name, "E103", "input is empty")
    if not has_words(text):
        return Rejection(name, "E103", "input has no letters or digits (only spaces, marks or symbols)")
    return text


def has_words(text: str) -> bool:
    """Whether a text has anything to read: a letter or a digit (zero-width and direction marks are not)."""
    return any(c.isalnum() for c in text)


def _bad_string(value: str, key: str) -> str | None:
    """Why a string field cannot be stored as it is, or None."""
    if "\x00" in value:
        return f"'{key}' contains NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return f"'{key}' contains a lone surrogate (not encodable as UTF-8)"
    return None


def _bad_id(rid: str) -> str | None:
    if len(rid) > MAX_ID_CHARS:
        return f"'id' has {len(rid):,} characters; the limit is {MAX_ID_CHARS}"
    if any(unicodedata.category(c) == "Cc" for c in rid):
        return "'id' contains control characters"
    return _bad_string(rid, "id")


def _article(defaults: dict, *, id: str, text: str, title: str | None = None, published: date | None = None,
             url: str | None = None, source: str | None = None, language: str | None = None) -> Article:
    """An Article with the defaults filled in and its language recorded (stated if not English, else detected)."""
    from .lang import article_language

    return Article(id=id, text=text, title=title, published=published or defaults.get("published"), url=url,
                   source=source or defaults.get("source"), language=article_language(text, language))


def record_to_article(rec: object, where: str, defaults: dict) -> Article | Rejection:
    """A JSONL record `{"id", "text" or "html", "title"?, "published"?, "url"?, "source"?, "language"?}`
    as an Article."""
    if not isinstance(rec, dict):
        return Rejection(where, "E105", "a JSONL record must be a JSON object")
    rid = rec.get("id")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool) or str(rid).strip() == "":
        return Rejection(where, "E105", "record lacks a non-empty 'id' (string)")
    rid = str(rid)
    if (why := _bad_id(rid)) is not None:
        return Rejection(where, "E109", why)
    for key in ("title", "url", "source", "language", "html", "text"):
        if rec.get(key) is not None and not isinstance(rec[key], str):
            if key in ("text", "html"):
                continue  # reported below as a missing text
            return Rejection(where, "E105", f"'{key}' must be a string")
        if isinstance(rec.get(key), str):
            if (why := _bad_string(rec[key], key)) is not None:
                return Rejection(where, "E109", why)
            if key in ("title", "url", "source", "language") and len(rec[key]) > MAX_FIELD_CHARS:
                return Rejection(where, "E109", f"'{key}' is longer than {MAX_FIELD_CHARS} characters")
    text, title = rec.get("text"), rec.get("title")
    page = None
    if text is None and isinstance(rec.get("html"), str):
        page = extract_page(rec["html"])
        text, title = page.text, title or page.title
    if not isinstance(text, str):
        return Rejection(where, "E105", "record lacks 'text' or 'html' (string)")
    if not text.strip():
        return Rejection(where, "E103", "record text is empty")
    if not has_words(text):
        return Rejection(where, "E103", "record text has no letters or digits")
    try:
        published = _published(rec.get("published"))
    except BadValue as exc:
        return Rejection(where, "E109", f"bad 'published': {exc}")
    except ValueError as exc:
        return Rejection(where, "E105", f"bad 'published': {exc}")
    if published is None and page is not None:
        published = page.published
    return _article(defaults, id=rid, text=text, title=title if isinstance(title, str) else None,
                    published=published, url=rec.get("url"),
                    source=rec.get("source") or (page.site if page else None),  # the page's site name
                    language=rec.get("language") or (page.language if page else None))


# -- JSONL ---------------------------------------------------------------------------------------------------

def _binary_lines(fh: IO[bytes], limit: int = MAX_INPUT_BYTES) -> Iterator[bytes | None]:
    """Lines of a binary stream, each read with a bounded buffer; None for a line over `limit` bytes
    (the rest of it is skipped without being kept)."""
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def read_jsonl(stream: Iterable[str] | Iterable[bytes | None] | IO, name: str,
               defaults: dict) -> Iterator[Article | Rejection]:
    """Records of a JSONL stream (text or bytes lines; None stands for a line that was too long)."""
    for n, line in enumerate(stream, 1):
        where = f"{name}:{n}"
        if line is None or len(line) > MAX_INPUT_BYTES:
            yield Rejection(where, "E108", f"JSONL line is longer than {MAX_INPUT_BYTES:,} bytes")
            continue
        if isinstance(line, bytes):
            if n == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Rejection(where, "E107", f"not valid UTF-8 at byte {exc.start}")
                continue
        elif n == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(where, "E104", f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        except (ValueError, RecursionError) as exc:  # integers over 4300 digits, nesting too deep
            yield Rejection(where, "E104", f"invalid JSON: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        yield record_to_article(rec, where, defaults)


# -- files and directories -----------------------------------------------------------------------------------

def read_file(path: Path, defaults: dict) -> Iterator[Article | Rejection]:
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        yield Rejection(name, "E106", f"unsupported extension {suffix or '(none)'!r}; use .txt, .html or .jsonl")
        return
    try:
        size = path.stat().st_size
        if suffix == ".jsonl":
            yield from _read_jsonl_file(path, defaults)
            return
        if size > MAX_INPUT_BYTES:
            yield Rejection(name, "E108", f"file has {size:,} bytes; the limit for one article is "
                                          f"{MAX_INPUT_BYTES:,}")
            return
        with path.open("rb") as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)  # bounded even if the file grew since stat()
    except OSError as exc:
        yield Rejection(name, "E101", f"cannot read: {exc.strerror or exc}")
        return
    if len(raw) > MAX_INPUT_BYTES:
        yield Rejection(name, "E108", f"file is over {MAX_INPUT_BYTES:,} bytes")
        return
    html = suffix in (".html", ".htm")
    text = _decode(raw, name, html=html)
    if isinstance(text, Rejection):
        yield text
        return
    if html:
        page = extract_page(text)
        if not has_words(page.text):
            yield Rejection(name, "E103", "no text found in the HTML")
        else:
            yield _article(defaults, id=path.stem, text=page.text, title=page.title, source=page.site,
                           published=page.published, language=page.language)
    else:
        yield _article(defaults, id=path.stem, text=_clean(text))


def _read_jsonl_file(path: Path, defaults: dict) -> Iterator[Article | Rejection]:
    name = str(path)
    with path.open("rb") as fh:
        head = fh.read(8192)
        if b"\x00" in head:
            yield Rejection(name, "E102", "input looks binary (NUL bytes); expected UTF-8 JSONL")
            return
        if not head.strip(b" \t\r\n\xef\xbb\xbf"):
            yield Rejection(name, "E103", "input is empty")
            return
        fh.seek(0)
        yield from read_jsonl(_binary_lines(fh), name, defaults)


META_FILE = "meta.jsonl"


def _sidecar(folder: Path) -> dict[str, dict]:
    """`meta.jsonl` beside .txt/.html files: {"id", "published"?, "title"?, "source"?, "url"?} per file."""
    meta = folder / META_FILE
    if not meta.is_file() or meta.stat().st_size > 64 * MAX_INPUT_BYTES:
        return {}
    out = {}
    for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
            out[str(rec["id"])] = rec
        except (ValueError, RecursionError, KeyError, TypeError):
            continue
    return out


def _meta_str(meta: dict, key: str) -> str | None:
    value = meta.get(key)
    return value if isinstance(value, str) and value and _bad_string(value, key) is None \
        and len(value) <= MAX_FIELD_CHARS else None


def read_directory(folder: Path, defaults: dict) -> Iterator[Article | Rejection]:
    """Files below `folder` in sorted order (hidden ones and other extensions skipped); a `meta.jsonl`
    in a folder supplies the metadata of the .txt/.html files beside it instead of being read as articles."""
    sidecars: dict[Path, dict[str, dict]] = {}
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if f.suffix.lower() not in TEXT_SUFFIXES:
            continue
        if f.name == META_FILE:
            continue
        meta = sidecars.setdefault(f.parent, _sidecar(f.parent)).get(f.stem)
        for item in read_file(f, defaults):
            if meta and isinstance(item, Article):
                try:
                    published = _published(meta.get("published"))
                except ValueError:
                    published = None
                item = item.model_copy(update={
                    "published": published or item.published, "title": _meta_str(meta, "title") or item.title,
                    "source": _meta_str(meta, "source") or item.source, "url": _meta_str(meta, "url") or item.url})
            yield item


def _stdin_lines(stdin: IO | None) -> Iterable:
    stream = stdin or sys.stdin
    buffer = getattr(stream, "buffer", None)
    return _binary_lines(buffer) if buffer is not None else stream


def read_inputs(inputs: Iterable[str], published: date | None = None, source: str | None = None,
                stdin: IO[str] | None = None) -> Iterator[Article | Rejection]:
    """Every article of the INPUT arguments in order: files, directories (recursive, sorted), '-' or none
    for stdin JSONL. Never raises for bad input: yields a Rejection instead and goes on."""
    defaults = {"published": published, "source": source}
    for arg in list(inputs) or ["-"]:
        if arg == "-":
            yield from read_jsonl(_stdin_lines(stdin), "<stdin>", defaults)
            continue
        path = Path(arg)
        try:
            if path.is_dir():
                yield from read_directory(path, defaults)
            elif path.is_file():
                yield from read_file(path, defaults)
            elif path.exists():  # a FIFO, a device, a socket: reading it could block or never end
                yield Rejection(arg, "E101", "not a regular file or directory")
            else:
                yield Rejection(arg, "E101", "no such file or directory")
        except OSError as exc:  # a directory that vanishes or cannot be listed, a path too long ...
            yield Rejection(arg, "E101", f"cannot read: {exc.strerror or exc}")
