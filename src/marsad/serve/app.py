"""The web app: REST API over the store, a self-contained HTML dashboard, and offline OpenAPI docs.

Nothing is loaded from outside the server (no CDN): the Swagger UI assets come from the
`fastapi-offline` package and are served locally, so /docs works on a machine with no internet.
"""
from __future__ import annotations

import html
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import fastapi_offline
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marsad.errors import MarsadError
from marsad.models import Event
from marsad.store import Store

DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets"
_SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"

# The dashboard has no script at all; inline CSS only.
CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI's stylesheet draws its icons from data: URIs; its scripts are all same-origin files.
DOCS_CSP = CSP + "; img-src 'self' data:"


def _version() -> str:
    try:
        return version("marsad")
    except PackageNotFoundError:
        return "unknown"


class EventsPage(BaseModel):
    """One page of stored events, in stored order (an article's main event first)."""

    items: list[Event]
    limit: int
    offset: int
    total: int


class StoredArticle(BaseModel):
    """An article as stored, with its events by rank."""

    id: str
    title: str | None
    published: str | None
    url: str | None
    source: str | None
    language: str | None
    content_hash: str
    ingested_at: str
    text: str
    events: list[Event]


class Health(BaseModel):
    status: str
    version: str


class SecurityHeaders:
    """ASGI wrapper adding CSP and nosniff to every response, error pages and static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == DOCS_PATH else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _MarsadAPI(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outermost, so even the 500 page of an unhandled error carries the headers.
        return SecurityHeaders(super().build_middleware_stack())


def create_app(store: Store) -> FastAPI:
    """The FastAPI app serving `store`: dashboard at /, API under /api, docs at /docs."""
    app = _MarsadAPI(
        title="marsad",
        version=_version(),
        description="Conflict events extracted from news articles, with their evidence.",
        docs_url=None,  # FastAPI's own /docs and /redoc load from a CDN: replaced below
        redoc_url=None,
    )
    app.state.store = store
    app.mount(DOCS_ASSETS, StaticFiles(directory=_SWAGGER_DIR), name="docs-assets")

    @app.exception_handler(MarsadError)
    async def store_failed(_request: Request, exc: MarsadError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=503)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(
        limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)
    ) -> HTMLResponse:
        rows = list(store.iter_event_rows(limit=limit, offset=offset))
        return HTMLResponse(render_dashboard(rows, store.counts(), limit, offset))

    @app.get("/api/events", response_model=EventsPage)
    def list_events(
        limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)
    ) -> dict[str, Any]:
        """Stored events in stored order: by article as ingested, then by rank (main event first)."""
        items = list(store.iter_events(limit=limit, offset=offset))
        return {"items": items, "limit": limit, "offset": offset, "total": store.counts()["events"]}

    @app.get("/api/articles/{article_id:path}", response_model=StoredArticle)
    def get_article(article_id: str) -> dict[str, Any]:
        """The latest stored version of an article, with its events (the id may contain slashes)."""
        found = store.article(article_id)
        if found is None:
            raise HTTPException(404, f"no stored article with id {article_id!r}")
        return found

    @app.get("/api/health", response_model=Health)
    def health() -> dict[str, str]:
        """Liveness: the server runs and its store answers (503 if not)."""
        store.ping()
        return {"status": "ok", "version": _version()}

    @app.get(DOCS_PATH, response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML)

    @app.get(DOCS_PATH + "/init.js", include_in_schema=False)
    def docs_init() -> Response:
        # A file, not an inline <script>, so the CSP can forbid inline script.
        return Response(_DOCS_INIT_JS, media_type="text/javascript")

    return app


_DOCS_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>marsad API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{DOCS_ASSETS}/swagger-ui.css">
<link rel="icon" href="{DOCS_ASSETS}/favicon.png">
</head><body><div id="swagger-ui"></div>
<script src="{DOCS_ASSETS}/swagger-ui-bundle.js"></script>
<script src="{DOCS_PATH}/init.js"></script>
</body></html>
"""

_DOCS_INIT_JS = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  validatorUrl: null,  // the default would fetch a badge from the internet
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


# -- the dashboard -----------------------------------------------------------------------------------

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem;
       color: #1d1d1f; background: #fafafa; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.counts, .nav { color: #555; margin: .25rem 0 1rem; }
ol { list-style: none; padding: 0; }
li.event { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .6rem .9rem;
           margin: 0 0 .6rem; }
.type { font-weight: 700; letter-spacing: .03em; }
.mode { color: #666; }
.who { margin-left: .5rem; }
.meta { color: #555; font-size: .9rem; }
blockquote { margin: .35rem 0 0; padding-left: .7rem; border-left: 3px solid #c33; color: #333; }
a { color: #0645ad; }
"""


def _e(value: Any) -> str:
    """HTML-escape anything (None shows as an em dash); article text is untrusted."""
    return "—" if value is None else html.escape(str(value), quote=True)


def _name(actor: dict | None) -> str:
    return _e(actor.get("name")) if actor else "?"


def render_dashboard(rows: list[tuple[dict, dict]], counts: dict[str, int], limit: int, offset: int) -> str:
    """The dashboard page: one entry per event, every value escaped; no script."""
    items = []
    for event, article in rows:
        mode = f' <span class="mode">({_e(event["mode"])})</span>' if event.get("mode") else ""
        location = event.get("location")
        where = f" · {_e(location.get('name'))}" if location else ""
        title = _e(article.get("title")) if article.get("title") else ""
        article_href = "/api/articles/" + quote(article["id"], safe="")
        evidence = (event.get("evidence") or {}).get("text")
        items.append(
            '<li class="event">'
            f'<span class="type">{_e(event["event_type"])}</span>{mode}'
            f'<span class="who">{_name(event.get("actor"))} → {_name(event.get("recipient"))}</span>'
            f'<div class="meta">{_e(event.get("date"))}{where} · '
            f'<a href="{_e(article_href)}">{_e(article["id"])}</a> {title}</div>'
            f"<blockquote>{_e(evidence)}</blockquote>"
            "</li>"
        )
    nav = []
    if offset > 0:
        previous = urlencode({"limit": limit, "offset": max(0, offset - limit)})
        nav.append(f'<a href="/?{_e(previous)}">← previous</a>')
    if offset + limit < counts["events"]:
        following = urlencode({"limit": limit, "offset": offset + limit})
        nav.append(f'<a href="/?{_e(following)}">next →</a>')
    body = "\n".join(items) if items else "<li>No events stored yet.</li>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>marsad — events</title><style>{_STYLE}</style></head><body>"
        "<h1>marsad</h1>"
        f'<p class="counts">{counts["events"]} events from {counts["articles"]} articles · '
        f'{counts["actors"]} actors · {counts["places"]} places · <a href="/docs">API</a></p>'
        f'<ol start="{offset + 1}">\n{body}\n</ol>'
        f'<p class="nav">{" · ".join(nav)}</p>'
        "</body></html>\n"
    )
