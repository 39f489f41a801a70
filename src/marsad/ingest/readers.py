"""Read INPUT arguments (files, directories, stdin JSONL) into Articles; bad inputs become Rejections."""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO

from ..errors import Rejection
from ..models import Article

TEXT_SUFFIXES = {".txt", ".html", ".htm", ".jsonl"}


def _published(value: object) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"'published' must be a YYYY-MM-DD string, not {type(value).__name__}")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return datetime.fromisoformat(value).date()


def html_to_text(html: str) -> tuple[str, str | None]:
    """Main text and title of an HTML page (trafilatura), falling back to all visible text."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_recall=True) or ""
    meta = trafilatura.extract_metadata(html)
    if not text.strip():
        from lxml import html as lxml_html

        try:
            text = " ".join(lxml_html.fromstring(html).text_content().split())
        except Exception:  # noqa: BLE001  (unparseable markup: no text)
            text = ""
    return text, (meta.title if meta is not None else None)


def _decode(raw: bytes, name: str) -> str | Rejection:
    if b"\x00" in raw[:8192]:
        return Rejection(name, "E102", "input looks binary (NUL bytes); expected UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Rejection(name, "E107", f"not valid UTF-8 at byte {exc.start}")
    if not text.strip():
        return Rejection(name, "E103", "input is empty")
    return text


def record_to_article(rec: object, where: str, defaults: dict) -> Article | Rejection:
    """A JSONL record `{"id", "text" or "html", "title"?, "published"?, "url"?, "source"?}` as an Article."""
    if not isinstance(rec, dict):
        return Rejection(where, "E105", "a JSONL record must be a JSON object")
    rid = rec.get("id")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool) or str(rid).strip() == "":
        return Rejection(where, "E105", "record lacks a non-empty 'id' (string)")
    text, title = rec.get("text"), rec.get("title")
    if text is None and isinstance(rec.get("html"), str):
        text, html_title = html_to_text(rec["html"])
        title = title or html_title
    if not isinstance(text, str):
        return Rejection(where, "E105", "record lacks 'text' or 'html' (string)")
    if not text.strip():
        return Rejection(where, "E103", "record text is empty")
    for key in ("title", "url", "source"):
        if rec.get(key) is not None and not isinstance(rec[key], str):
            return Rejection(where, "E105", f"'{key}' must be a string")
    try:
        published = _published(rec.get("published")) or defaults.get("published")
    except ValueError as exc:
        return Rejection(where, "E105", f"bad 'published': {exc}")
    return Article(id=str(rid), text=text, title=title if isinstance(title, str) else None, published=published,
                   url=rec.get("url"), source=rec.get("source") or defaults.get("source"))


def read_jsonl(stream: IO[str], name: str, defaults: dict) -> Iterator[Article | Rejection]:
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        where = f"{name}:{n}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(where, "E104", f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        yield record_to_article(rec, where, defaults)


def read_file(path: Path, defaults: dict) -> Iterator[Article | Rejection]:
    name = str(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        yield Rejection(name, "E106", f"unsupported extension {suffix or '(none)'!r}; use .txt, .html or .jsonl")
        return
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield Rejection(name, "E101", f"cannot read: {exc.strerror or exc}")
        return
    text = _decode(raw, name)
    if isinstance(text, Rejection):
        yield text
        return
    if suffix == ".jsonl":
        yield from read_jsonl(text.splitlines(), name, defaults)  # type: ignore[arg-type]
    elif suffix in (".html", ".htm"):
        body, title = html_to_text(text)
        if not body.strip():
            yield Rejection(name, "E103", "no text found in the HTML")
        else:
            yield Article(id=path.stem, text=body, title=title, **defaults)
    else:
        yield Article(id=path.stem, text=text, **defaults)


META_FILE = "meta.jsonl"


def _sidecar(folder: Path) -> dict[str, dict]:
    """`meta.jsonl` beside .txt/.html files: {"id", "published"?, "title"?, "source"?, "url"?} per file."""
    meta = folder / META_FILE
    if not meta.is_file():
        return {}
    out = {}
    for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
            out[str(rec["id"])] = rec
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return out


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
                    "published": published or item.published, "title": meta.get("title") or item.title,
                    "source": meta.get("source") or item.source, "url": meta.get("url") or item.url})
            yield item


def read_inputs(inputs: Iterable[str], published: date | None = None, source: str | None = None,
                stdin: IO[str] | None = None) -> Iterator[Article | Rejection]:
    """Every article of the INPUT arguments in order: files, directories (recursive, sorted), '-' or none
    for stdin JSONL. Never raises for bad input: yields a Rejection instead and goes on."""
    defaults = {"published": published, "source": source}
    for arg in list(inputs) or ["-"]:
        if arg == "-":
            yield from read_jsonl(stdin or sys.stdin, "<stdin>", defaults)
            continue
        path = Path(arg)
        if path.is_dir():
            yield from read_directory(path, defaults)
        elif path.exists():
            yield from read_file(path, defaults)
        else:
            yield Rejection(arg, "E101", "no such file or directory")
