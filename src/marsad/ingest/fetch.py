"""Polite, bounded HTTP fetching (httpx): robots.txt, per-host delay, retries with backoff, conditional GET.

One `Fetcher` per run keeps a client, the robots.txt of each host and the time of the last request to it.
Every refusal is a `FetchError` with a catalogue code (E601 network/timeout, E602 HTTP status, E603 robots.txt,
E604 too large, E605 content type, E606 redirects); the caller turns it into a rejection line.

Validators (ETag / Last-Modified) live in a `FetchState` (a small JSON file in the data dir) that the caller
updates only once it has processed what it fetched: a crash between fetch and store means the next run
fetches again (the store is idempotent), never that it gets a 304 for items it never stored.
"""
from __future__ import annotations

import email.utils
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from .. import __version__
from ..errors import MarsadError

log = logging.getLogger(__name__)

# who is asking, plainly; a deployment adds its contact address with `FetchConfig(user_agent=...)`
USER_AGENT = f"marsad/{__version__} (conflict-event monitoring; respects robots.txt)"
ROBOTS_AGENT = "marsad"  # the token robots.txt rules name (User-agent: marsad)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml", "application/feed+json", "text/plain", "text/html", "application/octet-stream")
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
REDIRECTS = (301, 302, 303, 307, 308)
RETRY_STATUSES = (429, 500, 502, 503, 504)


class FetchError(MarsadError):
    """A URL that could not be fetched, or was refused; `code` says why (E601..E606)."""

    code = "E601"

    def __init__(self, message: str, code: str | None = None, url: str = "", transient: bool = False,
                 status: int | None = None) -> None:
        super().__init__(message, code)
        self.url = url
        self.transient = transient  # worth trying again later (network, timeout, 5xx)
        self.status = status


@dataclass
class FetchConfig:
    timeout: float = 20.0        # seconds: connect, and between two chunks of the body
    total_timeout: float = 60.0  # seconds for a whole response (a server that drips bytes is cut off)
    max_bytes: int = 5_000_000   # largest response body read
    retries: int = 3             # further tries after a timeout, network error or 429/5xx
    backoff: float = 1.0         # first retry after this many seconds, then doubled each time ...
    max_backoff: float = 30.0    # ... up to this
    delay: float = 1.0           # at least this many seconds between two requests to the same host
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    robots: bool = True          # respect robots.txt (and its Crawl-delay)


@dataclass
class Response:
    url: str                     # the final URL, after redirects
    status: int                  # 200 (or another 2xx), or 304 when not modified
    content: bytes = b""
    content_type: str = ""       # media type, lower case, no parameters
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[str] = field(default_factory=list)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body as text: the declared charset, else UTF-8 / the page's <meta charset>, else UTF-8 with
        replacement characters."""
        from .readers import decode_html

        if self.charset:
            try:
                return self.content.decode(self.charset)
            except (LookupError, UnicodeDecodeError):
                pass
        decoded = decode_html(self.content)
        return decoded if decoded is not None else self.content.decode("utf-8", "replace")


class FetchState:
    """Per-URL validators (ETag, Last-Modified) and per-feed seen entries, in one JSON file written atomically."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else None
        self.data: dict = {"validators": {}, "seen": {}}
        if self.path and self.path.is_file():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self.data["validators"] = dict(loaded.get("validators") or {})
                    self.data["seen"] = dict(loaded.get("seen") or {})
            except (OSError, ValueError):
                log.warning("state file %s unreadable: starting afresh", self.path)

    def validators(self, url: str) -> dict:
        v = self.data["validators"].get(url)
        return v if isinstance(v, dict) else {}

    def remember(self, url: str, response: Response) -> None:
        """Keep the validators of a processed 200 response (a 304 keeps the old ones)."""
        if response.not_modified:
            return
        v = {k: getattr(response, k) for k in ("etag", "last_modified") if getattr(response, k)}
        if v:
            self.data["validators"][url] = v
        else:
            self.data["validators"].pop(url, None)

    def forget(self, url: str) -> None:
        self.data["validators"].pop(url, None)

    def seen(self, key: str) -> set[str]:
        return set(self.data["seen"].get(key) or [])

    def mark_seen(self, key: str, ids: Iterable[str], keep: int = 5000) -> None:
        old = [i for i in self.data["seen"].get(key) or [] if isinstance(i, str)]
        new = [i for i in ids if i not in set(old)]
        self.data["seen"][key] = (old + new)[-keep:]

    def save(self) -> None:
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _media_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    media, _, params = value.partition(";")
    charset = None
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.strip().lower() == "charset" and v.strip():
            charset = v.strip().strip("\"'")
    return media.strip().lower(), charset


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class Fetcher:
    """GET with every courtesy and every limit. Thread-safe enough for one caller; not meant for parallel use."""

    def __init__(self, config: FetchConfig | None = None, state: FetchState | None = None,
                 sleep: Callable[[float], None] = time.sleep, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config or FetchConfig()
        self.state = state or FetchState()
        self.sleep = sleep
        c = self.config
        self.client = httpx.Client(
            headers={"User-Agent": c.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(c.timeout), follow_redirects=False, transport=transport, trust_env=False)
        self._robots: dict[str, tuple[RobotFileParser | None, float | None]] = {}
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public --------------------------------------------------------------------------------------------

    def get(self, url: str, accept: tuple[str, ...] = PAGE_TYPES, conditional: bool = True) -> Response:
        """The response to GET `url`, following redirects (each hop checked against robots.txt), retried on
        network errors, timeouts, 429 and 5xx. A 304 answer comes back as `Response(status=304)`."""
        self._check_url(url, url)
        visited: list[str] = []
        current = url
        while True:
            if current in visited:
                raise FetchError(f"redirect loop: {' -> '.join([*visited, current])}", "E606", url)
            if len(visited) > self.config.max_redirects:
                raise FetchError(f"more than {self.config.max_redirects} redirects", "E606", url)
            visited.append(current)
            self._check_robots(current, url)
            headers = {}
            if conditional and current == url:
                v = self.state.validators(url)
                if v.get("etag"):
                    headers["If-None-Match"] = v["etag"]
                if v.get("last_modified"):
                    headers["If-Modified-Since"] = v["last_modified"]
            status, resp_headers, body = self._request(current, headers, url, accept)
            if status in REDIRECTS:
                location = resp_headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {status} without a Location header", "E602", url, status=status)
                nxt = urljoin(current, location.strip())
                self._check_url(nxt, url)
                current = nxt
                continue
            media, charset = _media_type(resp_headers.get("content-type"))
            return Response(url=current, status=status, content=body, content_type=media, charset=charset,
                            etag=resp_headers.get("etag"), last_modified=resp_headers.get("last-modified"),
                            redirects=visited[1:])

    # -- the parts -----------------------------------------------------------------------------------------

    @staticmethod
    def _check_url(url: str, origin: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError(f"not an http(s) URL: {url[:200]!r}", "E601", origin)

    def _wait_turn(self, host: str, delay: float) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._last.get(host, -1e9) + delay - now
            if wait > 0:
                self.sleep(wait)
            self._last[host] = time.monotonic()

    def _delay(self, host: str) -> float:
        crawl = self._robots.get(host, (None, None))[1]
        return max(self.config.delay, min(crawl or 0.0, 60.0))

    def _check_robots(self, url: str, origin: str) -> None:
        if not self.config.robots:
            return
        host = _host(url)
        if host not in self._robots:
            try:
                self._robots[host] = self._load_robots(host)
            except FetchError as exc:
                exc.url = origin
                raise
        parser = self._robots[host][0]
        if parser is None:
            raise FetchError(f"robots.txt of {host} could not be read: not fetching (RFC 9309)", "E603",
                             origin, transient=True)
        if not parser.can_fetch(ROBOTS_AGENT, url):
            raise FetchError(f"robots.txt of {host} disallows {url}", "E603", origin)

    def _load_robots(self, host: str) -> tuple[RobotFileParser | None, float | None]:
        """robots.txt of a host: a 4xx means no rules (401/403: everything disallowed, as urllib does);
        unreachable or a 5xx means don't fetch now (None)."""
        parser = RobotFileParser(host + "/robots.txt")
        try:
            status, _, body = self._request(host + "/robots.txt", {}, host + "/robots.txt", None,
                                            max_bytes=500_000, follow=True)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                if exc.status in (401, 403):
                    parser.disallow_all = True
                else:
                    parser.allow_all = True
                return parser, None
            if exc.status is None:  # the host does not answer at all: that is the page's error too
                raise FetchError(f"cannot reach {host}: {exc.message}", exc.code, host, transient=True) from None
            log.info("robots.txt of %s unreachable: %s", host, exc)
            return None, None
        if status >= 300:  # a redirect we did not follow to the end, or a 3xx we do not know
            parser.allow_all = True
            return parser, None
        parser.parse(body.decode("utf-8", "replace").splitlines())
        try:
            crawl = parser.crawl_delay(ROBOTS_AGENT)
        except (ValueError, TypeError):
            crawl = None
        return parser, float(crawl) if crawl is not None else None

    def _request(self, url: str, headers: dict, origin: str, accept: tuple[str, ...] | None,
                 max_bytes: int | None = None, follow: bool = False) -> tuple[int, httpx.Headers, bytes]:
        """One GET with retries: (status, headers, body) for 2xx, 304 and redirects; FetchError otherwise."""
        c = self.config
        host = _host(url)
        attempt = 0
        while True:
            self._wait_turn(host, self._delay(host))
            try:
                return self._once(url, headers, origin, accept, max_bytes or c.max_bytes, follow)
            except FetchError as exc:
                if not exc.transient or attempt >= c.retries:
                    if exc.transient and attempt:
                        exc.args = (f"{exc.args[0]} (after {attempt + 1} tries)",)
                    raise
                pause = min(c.backoff * 2 ** attempt, c.max_backoff)
                hint = getattr(exc, "retry_after", None)
                if hint is not None:
                    pause = min(max(pause, hint), c.max_backoff)
                log.info("retrying %s in %.1fs: %s", url, pause, exc)
                self.sleep(pause)
                attempt += 1

    def _once(self, url: str, headers: dict, origin: str, accept: tuple[str, ...] | None, max_bytes: int,
              follow: bool) -> tuple[int, httpx.Headers, bytes]:
        c = self.config
        started = time.monotonic()
        try:
            with self.client.stream("GET", url, headers=headers, follow_redirects=follow) as r:
                status = r.status_code
                if status in RETRY_STATUSES:
                    exc = FetchError(f"HTTP {status} from {url}", "E602", origin, transient=True, status=status)
                    exc.retry_after = _retry_after(r.headers.get("retry-after"))  # type: ignore[attr-defined]
                    raise exc
                if status >= 400 or (status >= 300 and status != 304 and status not in REDIRECTS):
                    raise FetchError(f"HTTP {status} from {url}", "E602", origin, status=status)
                if status in REDIRECTS or status == 304:
                    return status, r.headers, b""
                media, _ = _media_type(r.headers.get("content-type"))
                if accept is not None and media and media not in accept:
                    raise FetchError(f"{url} is {media!r}; expected one of {', '.join(accept)}", "E605", origin)
                declared = r.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(f"{url} has {int(declared):,} bytes; the limit is {max_bytes:,}", "E604",
                                     origin)
                chunks, size = [], 0
                for chunk in r.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchError(f"{url} is larger than the limit of {max_bytes:,} bytes", "E604",
                                         origin)
                    if time.monotonic() - started > c.total_timeout:
                        raise FetchError(f"{url} took longer than {c.total_timeout:g}s", "E601", origin,
                                         transient=True)
                    chunks.append(chunk)
                return status, r.headers, b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise FetchError(f"timeout fetching {url}: {type(exc).__name__}", "E601", origin,
                             transient=True) from None
        except httpx.TooManyRedirects:
            raise FetchError(f"too many redirects from {url}", "E606", origin) from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}", "E601", origin,
                             transient=not isinstance(exc, (httpx.UnsupportedProtocol, httpx.DecodingError))
                             ) from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL {url[:200]!r}: {exc}", "E601", origin) from None
