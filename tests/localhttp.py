"""A real HTTP server on 127.0.0.1 for the source tests: routes set per test, every request recorded.

A route is `path -> handler(request) -> Reply`, or a `Reply`, or a list of Replies served in turn (the last one
repeated): e.g. `[Reply(500), Reply(200, body)]` is a server that fails once, then works.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data" / "sources"


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0          # seconds before the status line
    drip: float = 0.0           # seconds between body chunks of 1 KiB (a slow server)
    content_type: str | None = "text/html; charset=utf-8"
    no_length: bool = False     # no Content-Length: the body ends when the connection closes


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float


def file_reply(name: str, content_type: str = "text/html; charset=utf-8", **kw) -> Reply:
    return Reply(200, (DATA / name).read_bytes(), content_type=content_type, **kw)


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.requests: list[Request] = []
        self._counts: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()},
                                               time.monotonic()))
                route = server.routes.get(self.path.split("?")[0])
                n = server._counts.get(self.path, 0)
                server._counts[self.path] = n + 1
                if route is None:
                    reply = Reply(404, b"not found", content_type="text/plain")
                elif isinstance(route, list):
                    reply = route[min(n, len(route) - 1)]
                elif callable(route):
                    reply = route(self)
                else:
                    reply = route
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    if reply.content_type:
                        self.send_header("Content-Type", reply.content_type)
                    headers = ({"Connection": "close"} if reply.no_length else {"Content-Length": str(len(body))})
                    headers.update(reply.headers)
                    if reply.no_length:
                        self.close_connection = True
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if reply.drip:
                        for i in range(0, len(body), 1024):
                            self.wfile.write(body[i:i + 1024])
                            self.wfile.flush()
                            time.sleep(reply.drip)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def start(self) -> LocalServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def conditional(etag: str, body: bytes, content_type: str, last_modified: str | None = None
                ) -> Callable[[BaseHTTPRequestHandler], Reply]:
    """A handler that answers 304 when the request carries the current ETag (or Last-Modified)."""
    def handle(req: BaseHTTPRequestHandler) -> Reply:
        headers = {"ETag": etag}
        if last_modified:
            headers["Last-Modified"] = last_modified
        if req.headers.get("If-None-Match") == etag or (
                last_modified and req.headers.get("If-Modified-Since") == last_modified):
            return Reply(304, b"", headers=headers, content_type=None)
        return Reply(200, body, headers=headers, content_type=content_type)
    return handle


def template_reply(name: str, base: str, content_type: str = "application/rss+xml; charset=utf-8", **kw) -> Reply:
    """A data file with `{BASE}` replaced by the server's URL (feeds link to pages on the same server)."""
    body = (DATA / name).read_text(encoding="utf-8").replace("{BASE}", base)
    return Reply(200, body.encode("utf-8"), content_type=content_type, **kw)


def serve_news(server: LocalServer) -> None:
    """The test news site: an RSS and an Atom feed and the pages they link to."""
    server.routes["/rss.xml"] = template_reply("rss.xml", server.url)
    server.routes["/atom.xml"] = template_reply("atom.xml", server.url, "application/atom+xml")
    for page in ("erbil-drone", "basra-protest", "aleppo-ar", "sanctions"):
        server.routes[f"/news/{page}.html"] = file_reply(f"{page}.html")
