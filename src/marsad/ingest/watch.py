"""`marsad watch FEEDS.yaml`: poll RSS/Atom feeds (and single article URLs) and ingest what is new.

A round: for each feed, a conditional GET (a 304 costs nothing), the entries not seen before, each entry's
linked page fetched and reduced to its main text (the feed's own text when the page cannot be had for good),
then `marsad.pipeline.ingest` on those articles. The state (validators, seen entries) is saved after each
feed's articles are stored, so a crash or Ctrl-C re-fetches at most one feed, and the store's content-hash
idempotence makes that harmless. Entries whose page failed for a passing reason (timeout, 5xx) are not marked
seen and the feed's validators are not kept, so the next round tries them again.
"""
from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import MarsadError, Rejection
from ..models import Article
from .feeds import FeedError, article_id, entry_to_article, parse_feed
from .fetch import FEED_TYPES, PAGE_TYPES, FetchConfig, Fetcher, FetchError, FetchState

log = logging.getLogger(__name__)

from . import FEEDS_HELP


class FeedSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    name: str | None = None
    fetch_pages: bool = True
    language: str | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.lower().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v


class FetchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout: float = Field(20.0, gt=0)
    total_timeout: float = Field(60.0, gt=0)
    max_bytes: int = Field(5_000_000, gt=0)
    retries: int = Field(3, ge=0, le=10)
    backoff: float = Field(1.0, ge=0)
    max_backoff: float = Field(30.0, ge=0)
    delay: float = Field(1.0, ge=0)
    max_redirects: int = Field(5, ge=0, le=30)
    robots: bool = True


class WatchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    interval: float = Field(900.0, gt=0)
    state: str | None = None
    user_agent: str | None = None
    fetch: FetchSpec = Field(default_factory=FetchSpec)
    feeds: list[FeedSpec] = Field(default_factory=list)
    pages: list[str] = Field(default_factory=list)

    @field_validator("feeds", mode="before")
    @classmethod
    def _bare_urls(cls, v: object) -> object:
        return [{"url": f} if isinstance(f, str) else f for f in v] if isinstance(v, list) else v

    @field_validator("pages")
    @classmethod
    def _pages_http(cls, v: list[str]) -> list[str]:
        for p in v:
            if not p.lower().startswith(("http://", "https://")):
                raise ValueError(f"{p!r} is not an http:// or https:// URL")
        return v

    def fetch_config(self) -> FetchConfig:
        extra = {"user_agent": self.user_agent} if self.user_agent else {}
        return FetchConfig(**self.fetch.model_dump(), **extra)


def load_config(path: str | Path) -> WatchConfig:
    """The watch configuration in a YAML file; MarsadError E608 for anything wrong with it."""
    import yaml

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise MarsadError(f"{path}: cannot read the feeds file: {exc.strerror or exc}", code="E608") from None
    if len(raw) > 1_000_000:
        raise MarsadError(f"{path}: feeds file over 1 MB", code="E608")
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MarsadError(f"{path}: not valid UTF-8 YAML: {str(exc)[:300]}", code="E608") from None
    if not isinstance(data, dict):
        raise MarsadError(f"{path}: expected a mapping with a 'feeds' list (see `marsad watch --help`)",
                          code="E608")
    try:
        cfg = WatchConfig.model_validate(data)
    except ValidationError as exc:
        errs = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise MarsadError(f"{path}: {errs}", code="E608") from None
    if not cfg.feeds and not cfg.pages:
        raise MarsadError(f"{path}: no feeds and no pages to watch", code="E608")
    return cfg


@dataclass
class RoundStats:
    feeds: int = 0
    not_modified: int = 0
    entries: int = 0
    new: int = 0
    stored: int = 0
    already_present: int = 0
    rejected: int = 0
    failed_feeds: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "errors"}


class Watcher:
    """Polls the configured sources into a store through `marsad.pipeline.ingest`."""

    def __init__(self, config: WatchConfig, store, settings, state_path: Path | None = None,
                 on_reject: Callable[[Rejection], None] = lambda r: None,
                 say: Callable[[str], None] | None = None, fetcher: Fetcher | None = None) -> None:
        self.config = config
        self.store = store
        self.settings = settings
        self.state = FetchState(state_path)
        self.fetcher = fetcher or Fetcher(config.fetch_config(), self.state)
        self.fetcher.state = self.state
        self.on_reject = on_reject
        self.say = say or (lambda msg: print(f"marsad watch: {msg}", file=sys.stderr, flush=True))

    def close(self) -> None:
        self.fetcher.close()

    # -- one round ---------------------------------------------------------------------------------------------

    def poll_once(self) -> RoundStats:
        stats = RoundStats()
        for spec in self.config.feeds:
            stats.feeds += 1
            self._poll_feed(spec, stats)
        if self.config.pages:
            self._poll_pages(stats)
        return stats

    def _reject(self, r: Rejection, stats: RoundStats) -> None:
        stats.rejected += 1
        self.on_reject(r)

    def _poll_feed(self, spec: FeedSpec, stats: RoundStats) -> None:
        try:
            resp = self.fetcher.get(spec.url, accept=FEED_TYPES)
        except FetchError as exc:
            stats.failed_feeds += 1
            stats.errors.append(exc.code)
            self._reject(Rejection(spec.url, exc.code, exc.message), stats)
            return
        if resp.not_modified:
            stats.not_modified += 1
            self.say(f"{spec.url}: not modified")
            return
        try:
            feed = parse_feed(resp.content, resp.url)
        except FeedError as exc:
            stats.failed_feeds += 1
            stats.errors.append(exc.code)
            self._reject(Rejection(spec.url, exc.code, exc.message), stats)
            return
        name = spec.name or feed.title or spec.url
        seen_key = f"feed:{spec.url}"
        seen = self.state.seen(seen_key)
        fresh = [e for e in feed.entries if e.key not in seen]
        stats.entries += len(feed.entries)
        stats.new += len(fresh)
        self.say(f"{spec.url}: {len(feed.entries)} entries, {len(fresh)} new")
        done: list[str] = []
        retry_later = False

        def articles() -> Iterator[Article | Rejection]:
            nonlocal retry_later
            for entry in fresh:
                page_html = page_url = None
                if spec.fetch_pages and entry.link:
                    try:
                        page = self.fetcher.get(entry.link, accept=PAGE_TYPES, conditional=False)
                        page_html, page_url = page.text(), page.url
                    except FetchError as exc:
                        if exc.transient:
                            retry_later = True
                            self._note(f"{entry.link}: {exc.message}; will try again next round")
                            self.on_reject(Rejection(entry.link, exc.code, exc.message))
                            stats.rejected += 1
                            continue
                        self._note(f"{entry.link}: {exc.message}; using the feed's own text")
                item = entry_to_article(entry, name, spec.name or spec.url, page_html, page_url, spec.language)
                done.append(entry.key)
                yield item

        if fresh:
            self._ingest(articles(), stats)
        self.state.mark_seen(seen_key, done)
        if retry_later:
            self.state.forget(spec.url)
        else:
            self.state.remember(spec.url, resp)
        self.state.save()

    def _poll_pages(self, stats: RoundStats) -> None:
        seen = self.state.seen("pages")
        if all(url in seen for url in self.config.pages):
            return
        done: list[str] = []

        def articles() -> Iterator[Article | Rejection]:
            from .feeds import FeedEntry

            for url in self.config.pages:
                if url in seen:
                    continue
                stats.new += 1
                try:
                    page = self.fetcher.get(url, accept=PAGE_TYPES, conditional=False)
                except FetchError as exc:
                    if not exc.transient:
                        done.append(url)
                    self.on_reject(Rejection(url, exc.code, exc.message))
                    stats.rejected += 1
                    continue
                done.append(url)
                yield entry_to_article(FeedEntry(key=url, link=url), _host_name(url), "page", page.text(),
                                       page.url)

        self._ingest(articles(), stats)
        self.state.mark_seen("pages", done)
        self.state.save()

    def _ingest(self, items: Iterator[Article | Rejection], stats: RoundStats) -> None:
        from ..pipeline import ingest

        def rejected(r: Rejection) -> None:
            self.on_reject(r)

        stored, present, rej = ingest(self.store, items, self.settings, on_reject=rejected)
        stats.stored += stored
        stats.already_present += present
        stats.rejected += rej

    def _note(self, msg: str) -> None:
        self.say(msg)

    # -- the loop ----------------------------------------------------------------------------------------------

    def run(self, interval: float, once: bool = False, rounds: int | None = None) -> RoundStats:
        """Rounds every `interval` seconds until Ctrl-C / SIGTERM (or after one round with `once`)."""
        total = RoundStats()
        n = 0
        previous = signal.getsignal(signal.SIGTERM)
        try:
            signal.signal(signal.SIGTERM, _raise_interrupt)
        except ValueError:  # not the main thread (tests): Ctrl-C handling is the caller's
            previous = None
        try:
            while True:
                n += 1
                started = time.monotonic()
                self.say(f"round {n}: polling {len(self.config.feeds)} feeds, {len(self.config.pages)} pages")
                stats = self.poll_once()
                for k, v in stats.as_dict().items():
                    setattr(total, k, getattr(total, k) + v)
                total.errors += stats.errors
                self.say(f"round {n} done in {time.monotonic() - started:.1f}s: " +
                         ", ".join(f"{k} {v}" for k, v in stats.as_dict().items()))
                if once or (rounds is not None and n >= rounds):
                    return total
                wait = max(0.0, interval - (time.monotonic() - started))
                self.say(f"next round in {wait:.0f}s (Ctrl-C to stop)")
                time.sleep(wait)
        except KeyboardInterrupt:
            self.say(f"stopped after {n} round(s)")
            return total
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _host_name(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or url


def state_path(config: WatchConfig, feeds_file: Path, data_dir: Path) -> Path:
    if config.state:
        p = Path(config.state).expanduser()
        return p if p.is_absolute() else feeds_file.parent / p
    return data_dir / "watch-state.json"


__all__ = ["FEEDS_HELP", "RoundStats", "WatchConfig", "Watcher", "article_id", "load_config", "state_path"]
