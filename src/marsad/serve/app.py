"""The web app: REST API over the store, a self-contained HTML dashboard, and offline OpenAPI docs.

Nothing is loaded from outside the server (no CDN): the Swagger UI assets come from the
`fastapi-offline` package and are served locally, so /docs works on a machine with no internet.
"""
from __future__ import annotations

import dataclasses
import hmac
import html
import json
import re
import threading
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import fastapi_offline
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marsad.analyse import aggregates, alerts, merge
from marsad.config import Settings, get_settings
from marsad.errors import MarsadError, Rejection
from marsad.models import PLOVER_TYPES, Event
from marsad.store import Store, queries
from marsad.store.queries import EventFilter

DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs/assets"
_SWAGGER_DIR = Path(fastapi_offline.__file__).parent / "static"
# The dashboard's built assets (web/ -> `npm run build`), shipped in the package.
STATIC_PATH = "/static"
_STATIC_DIR = Path(__file__).parent / "static"

# The dashboard's scripts are same-origin files only (no inline script, no eval); styles may be inline
# (Leaflet, ECharts and Cytoscape position their elements with style attributes).
CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI's stylesheet draws its icons from data: URIs; its scripts are all same-origin files.
DOCS_CSP = CSP + "; img-src 'self' data:"

# The `code` of an HTTP error body {"error": {"code", "message"}}; store failures carry their E-code (503).
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "payload_too_large", 422: "invalid_request",
              500: "internal_error"}


def _version() -> str:
    try:
        return version("marsad")
    except PackageNotFoundError:
        return "unknown"


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The one error shape of the API."""
    return {"error": {"code": HTTP_CODES.get(status, f"http_{status}"), "message": message, **extra}}


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(description="unauthorized, forbidden, not_found, payload_too_large, invalid_request ... "
                                  "or the E-code of a store failure (503)")
    message: str = Field(description="what went wrong, for people")
    details: list[dict[str, Any]] | None = Field(
        None, description="422 from parameter validation: one {loc, msg, type} per invalid value")


class ErrorBody(BaseModel):
    """The one error shape of the API: `{"error": {"code", "message"}}`."""

    error: ErrorInfo


_ERROR_DESCRIPTIONS = {
    401: "Unauthorized: no or a wrong `Authorization: Bearer` token",
    403: "Forbidden: the server has no token configured for this",
    404: "Not found",
    413: "Request body over the limit (MARSAD_MAX_REQUEST_BYTES)",
    422: "Invalid parameters or body",
    503: "The store failed (its E-code, e.g. E301)",
}
# Every route can answer these: a token may be required (MARSAD_READ_TOKEN_REQUIRED), any body is size-checked,
# parameters are validated, and a failing store is a 503.
_COMMON = (401, 403, 413, 422, 503)


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=`: these error statuses, each with the error-body model."""
    return {code: {"model": ErrorBody, "description": _ERROR_DESCRIPTIONS[code]} for code in sorted(codes)}


READ_RESPONSES = _responses(*_COMMON)
ONE_RESPONSES = _responses(*_COMMON, 404)  # routes naming one thing by id
HEALTH_RESPONSES = _responses(413, 422, 503)


# Typed query values given as text only: pydantic would also take a number as a Unix time ("0.5"), which the
# declared `format: date` / `date-time` does not allow.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
                           r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?")


def _shaped(pattern: re.Pattern[str], what: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"not an ISO 8601 {what}")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[date, _shaped(_ISO_DATE, "date (YYYY-MM-DD)")]
IsoDateTime = Annotated[datetime, _shaped(_ISO_DATETIME, "date-time (YYYY-MM-DDTHH:MM:SS+00:00)")]


def _any_case(words: Any) -> str:
    """A regex matching any of `words` in any letter case (JSON Schema patterns have no flags)."""
    return "^(?:" + "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in w)
                             for w in words) + ")$"


NO_NUL = r"^[^\x00]*$"  # free text: anything but NUL (which no stored text can hold)
EVENT_TYPE = _any_case(PLOVER_TYPES)
FAMILY = _any_case(aggregates.GROUPS)
_LON = r" *[-+]?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]{1,2})(?:\.[0-9]+)?) *"
_LAT = r" *[-+]?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?) *"
BBOX = f"^{_LON},{_LAT},{_LON},{_LAT}$"
DYAD = r"^[^,\x00]+,[^,\x00]+$"


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


class BodyLimit:
    """ASGI wrapper refusing request bodies over `max_bytes` with 413: by Content-Length before anything is
    read, and by counting while a body without one (chunked) is read (the route's read then raises 413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.message = f"request body over the limit of {max_bytes:,} bytes (setting MARSAD_MAX_REQUEST_BYTES)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            body = json.dumps(error_body(413, self.message)).encode()
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise StarletteHTTPException(413, self.message)
            return message

        await self.app(scope, counting_receive, send)


class _MarsadAPI(FastAPI):
    max_request_bytes = 2 * 1024 * 1024

    def build_middleware_stack(self) -> ASGIApp:
        # Outermost, so even the 500 page of an unhandled error carries the headers.
        return SecurityHeaders(BodyLimit(super().build_middleware_stack(), self.max_request_bytes))


def _bearer(request: Request) -> bytes | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip().encode() if scheme.lower() == "bearer" and token.strip() else None


def _token_matches(given: bytes | None, tokens: list[bytes]) -> bool:
    return given is not None and any(hmac.compare_digest(given, t) for t in tokens)


def _unauthorized(what: str) -> HTTPException:
    return HTTPException(401, f"{what} needs a valid token: send 'Authorization: Bearer <token>'",
                         headers={"WWW-Authenticate": "Bearer"})


def _parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """minlon,minlat,maxlon,maxlat (already matched to BBOX). minlon > maxlon is a box across the antimeridian;
    the latitudes may come in either order."""
    if value is None:
        return None
    try:
        minlon, lat1, maxlon, lat2 = (float(v) for v in value.split(","))
    except ValueError:
        raise HTTPException(422, "bbox must be four numbers: minlon,minlat,maxlon,maxlat") from None
    minlat, maxlat = min(lat1, lat2), max(lat1, lat2)
    if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180 and -90 <= minlat <= maxlat <= 90):
        raise HTTPException(422, "bbox out of range: longitudes -180..180, latitudes -90..90")
    return minlon, minlat, maxlon, maxlat


def _plover(value: str | None) -> str | None:
    if value is None:
        return None
    if value.upper() not in PLOVER_TYPES:
        raise HTTPException(422, f"unknown PLOVER event type {value!r}; valid: {', '.join(PLOVER_TYPES)}")
    return value.upper()


def _family(value: str | None) -> tuple[str, ...] | None:
    try:
        return aggregates.family_types(value) if value else None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


# Query parameters shared by the event endpoints (`Depends(event_filter)`).
ISO3 = r"^[A-Za-z]{3}$"


def event_filter(
    since: IsoDate | None = Query(None, description="event date on or after (YYYY-MM-DD)"),
    until: IsoDate | None = Query(None, description="event date on or before (YYYY-MM-DD)"),
    bbox: str | None = Query(None, description="minlon,minlat,maxlon,maxlat of the event location (decimal "
                                               "degrees; minlon > maxlon crosses the antimeridian)",
                             max_length=200, pattern=BBOX, examples=["30,30,50,40"]),
    country: str | None = Query(None, pattern=ISO3, description="ISO3 code of the event location"),
    admin1: str | None = Query(None, max_length=200, pattern=NO_NUL,
                               description="first-level division of the location"),
    actor: str | None = Query(None, max_length=300, pattern=NO_NUL,
                              description="actor key / registry id or name; matches actor or recipient"),
    event_type: str | None = Query(None, pattern=EVENT_TYPE,
                                   description="PLOVER event type (any case), e.g. ASSAULT"),
    acled_event_type: str | None = Query(None, max_length=100, pattern=NO_NUL, description="e.g. Protests"),
    q: str | None = Query(None, max_length=500, pattern=NO_NUL,
                          description="words in the evidence (case-insensitive)"),
    min_sources: int | None = Query(None, ge=1, le=1000, description="distinct sources reporting the event"),
) -> EventFilter:
    return EventFilter(since=since, until=until, bbox=_parse_bbox(bbox), country=country, admin1=admin1,
                       actor=actor, event_type=_plover(event_type), acled_event_type=acled_event_type, q=q,
                       min_sources=min_sources)


# POST /api/articles: one record or a list, as in JSONL input (CONTRACT.md). A body that breaks this schema is a
# 422 as a whole; a record that fits it but cannot be ingested (empty text, bad date ...) is listed in `rejected`.
_ARTICLE_FIELDS = ("text", "html", "title", "published", "url", "source", "language")
_ARTICLE_SCHEMA = {
    "type": "object", "required": ["id"],
    "properties": {"id": {"type": ["string", "integer"], "description": "the article's id (unique per source)"},
                   **{key: {"type": ["string", "null"]} for key in _ARTICLE_FIELDS}},
}
_ARTICLE_SCHEMA["properties"]["text"]["description"] = "the article text (or give `html`)"
_ARTICLE_SCHEMA["properties"]["published"]["description"] = "publication date, ISO 8601 (YYYY-MM-DD)"
_POST_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "oneOf": [_ARTICLE_SCHEMA, {"type": "array", "items": _ARTICLE_SCHEMA}]}}}}}


def _article_problem(record: Any) -> str | None:
    """Why `record` breaks `_ARTICLE_SCHEMA`, or None."""
    if not isinstance(record, dict):
        return "must be an article object"
    if "id" not in record:
        return "lacks 'id'"
    rid = record["id"]
    if isinstance(rid, bool) or not isinstance(rid, (str, int, float)) or (
            isinstance(rid, float) and not rid.is_integer()):
        return "'id' must be a string or an integer"
    for key in _ARTICLE_FIELDS:
        if record.get(key) is not None and not isinstance(record[key], str):
            return f"{key!r} must be a string or null"
    return None


def create_app(store: Store, settings: Settings | None = None) -> FastAPI:
    """The FastAPI app serving `store`: dashboard at /, API under /api, docs at /docs (see docs/api.md)."""
    settings = settings or get_settings()
    app = _MarsadAPI(
        title="marsad",
        version=_version(),
        description="Conflict events extracted from news articles, with their evidence. Errors: "
                    '`{"error": {"code", "message"}}`.',
        docs_url=None,  # FastAPI's own /docs and /redoc load from a CDN: replaced below
        redoc_url=None,
    )
    app.max_request_bytes = settings.max_request_bytes
    app.state.store = store
    app.mount(DOCS_ASSETS, StaticFiles(directory=_SWAGGER_DIR), name="docs-assets")
    app.mount(STATIC_PATH, StaticFiles(directory=_STATIC_DIR, check_dir=False), name="static")
    api_tokens = [settings.api_token.get_secret_value().encode()] if settings.api_token else []
    read_tokens = api_tokens + ([settings.read_token.get_secret_value().encode()] if settings.read_token else [])
    ingest_lock = threading.Lock()  # one ingest at a time: the spaCy pipeline is shared

    @app.exception_handler(MarsadError)
    async def store_failed(_request: Request, exc: MarsadError) -> JSONResponse:
        return JSONResponse({"error": {"code": exc.code, "message": exc.message}}, status_code=503)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return JSONResponse(error_body(exc.status_code, message), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                   for e in exc.errors()]
        message = "; ".join(f"{'.'.join(str(p) for p in d['loc'])}: {d['msg']}" for d in details)
        return JSONResponse(error_body(422, message or "invalid request", details=details), status_code=422)

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, _exc: Exception) -> JSONResponse:
        return JSONResponse(error_body(500, "internal error (see the server log)"), status_code=500)

    def require_read(request: Request) -> None:
        if not settings.read_token_required:
            return
        if not read_tokens:
            raise HTTPException(403, "reads need a token (MARSAD_READ_TOKEN_REQUIRED=true) but the server has "
                                     "none configured: set MARSAD_READ_TOKEN or MARSAD_API_TOKEN")
        if not _token_matches(_bearer(request), read_tokens):
            raise _unauthorized("reading")

    def require_write(request: Request) -> None:
        if not api_tokens:
            raise HTTPException(403, "ingestion over the API is disabled: the server has no API token "
                                     "(set MARSAD_API_TOKEN)")
        if not _token_matches(_bearer(request), api_tokens):
            raise _unauthorized("POST /api/articles")

    read = [Depends(require_read)]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False, dependencies=read)
    def dashboard(
        limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)
    ) -> HTMLResponse:
        rows = list(store.iter_event_rows(limit=limit, offset=offset))
        return HTMLResponse(render_dashboard(rows, store.counts(), limit, offset))

    @app.get("/api/events", response_model=EventsPage, dependencies=read, responses=READ_RESPONSES)
    def list_events(
        f: EventFilter = Depends(event_filter),
        limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        """Stored events matching every given filter, in stored order (by article as ingested, then rank:
        main event first), with the total number of matches."""
        rows, total = queries.events_page(store, f, limit, offset)
        return {"items": [r for r, _ in rows], "limit": limit, "offset": offset, "total": total}

    @app.get("/api/events/{event_id:path}", dependencies=read, responses=ONE_RESPONSES)
    def get_event(event_id: str = PathParam(max_length=1000, pattern=NO_NUL)) -> dict[str, Any]:
        """One event (`#` in an id is sent as %23) with its evidence, article(s) and distinct sources."""
        found = queries.event_detail(store, event_id)
        if found is None:
            raise HTTPException(404, f"no stored event with id {event_id!r}")
        return found

    @app.get("/api/articles/{article_id:path}", response_model=StoredArticle, dependencies=read,
             responses=ONE_RESPONSES)
    def get_article(article_id: str = PathParam(max_length=1000, pattern=NO_NUL)) -> dict[str, Any]:
        """The latest stored version of an article, with its events (the id may contain slashes)."""
        found = store.article(article_id)
        if found is None:
            raise HTTPException(404, f"no stored article with id {article_id!r}")
        return found

    @app.post("/api/articles", dependencies=[Depends(require_write)], openapi_extra=_POST_BODY,
              responses=READ_RESPONSES)
    async def post_articles(request: Request) -> dict[str, Any]:
        """Ingest one article `{"id", "text", "title"?, "published"?, "url"?, "source"?}` or a list of them
        through the pipeline (idempotent). Needs `Authorization: Bearer <MARSAD_API_TOKEN>`."""
        from marsad.ingest.readers import record_to_article
        from marsad.pipeline import ingest

        try:
            data = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HTTPException(422, f"the body is not JSON: {exc}") from None
        records = data if isinstance(data, list) else [data]
        if not isinstance(data, (dict, list)):
            raise HTTPException(422, "the body must be an article object or a list of them")
        for i, record in enumerate(records):
            if (problem := _article_problem(record)) is not None:
                where = f"item {i}: " if isinstance(data, list) else ""
                raise HTTPException(422, f"{where}{problem} (the body must be an article object or a list of "
                                         "them)")
        items = [record_to_article(r, f"item {i}", {}) for i, r in enumerate(records)]
        # records that are not articles are reported here; only articles go through the pipeline
        rejected: list[dict] = [r.to_json() for r in items if isinstance(r, Rejection)]
        articles = [a for a in items if not isinstance(a, Rejection)]

        def run() -> tuple[int, int, int]:
            if not articles:
                return 0, 0, 0
            with ingest_lock:
                return ingest(store, articles, settings, on_reject=lambda r: rejected.append(r.to_json()))

        stored, present, _ = await run_in_threadpool(run)
        return {"received": len(records), "stored": stored, "already_present": present, "rejected": rejected}

    @app.get("/api/actors", dependencies=read, responses=READ_RESPONSES)
    def list_actors(
        q: str | None = Query(None, max_length=300, pattern=NO_NUL, description="words in the key, name or an "
                                                                                "alias"),
        limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        """Actors (registry and provisional) with their event counts, by name."""
        items, total = queries.search_actors(store, q, limit, offset)
        return {"items": items, "limit": limit, "offset": offset, "total": total}

    @app.get("/api/actors/{key:path}", dependencies=read, responses=ONE_RESPONSES)
    def get_actor(key: str = PathParam(max_length=300, pattern=NO_NUL, examples=["hezbollah"]),
                  limit: int = Query(50, ge=1, le=1000, description="latest events shown")) -> dict[str, Any]:
        """One actor (by key or name) with its latest events, its counterparts and its network neighbourhood
        (edges by event family, allegiance edges)."""
        found = queries.actor_detail(store, key, limit)
        if found is None:
            raise HTTPException(404, f"no actor with key or name {key!r}")
        actor = found["actor"]
        return {"actor": actor, "events": found["events"],
                "counterparts": aggregates.counterparts(found["counterpart_rows"]),
                "network": aggregates.network(store, actor=actor["key"])}

    @app.get("/api/places", dependencies=read, responses=READ_RESPONSES)
    def list_places(
        country: str | None = Query(None, pattern=ISO3),
        q: str | None = Query(None, max_length=200, pattern=NO_NUL),
        limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        """Stored places with their event counts, most eventful first."""
        items, total = queries.list_places(store, country, q, limit, offset)
        return {"items": items, "limit": limit, "offset": offset, "total": total}

    @app.get("/api/timeseries", dependencies=read, responses=READ_RESPONSES)
    def timeseries(
        f: EventFilter = Depends(event_filter),
        by: str = Query("day", pattern="^(day|week|month)$"),
        family: str | None = Query(None, pattern=FAMILY, description="verbal_cooperation, material_cooperation, "
                                                     "verbal_conflict, material_conflict, cooperation, "
                                                     "conflict, verbal or material"),
    ) -> dict[str, Any]:
        """Event counts per period by PLOVER family (every period of the range, zeros included)."""
        types = _family(family)
        if types is not None:
            f = dataclasses.replace(f, event_types=types)
        series = aggregates.family_series(queries.count_by_day(store, f), by, f.since, f.until)
        return {"by": by, "family": family, "items": series}

    @app.get("/api/escalation", dependencies=read, responses=READ_RESPONSES)
    def escalation(
        f: EventFilter = Depends(event_filter),
        dyad: str | None = Query(None, max_length=600, pattern=DYAD,
                                 description="two actors, 'A,B' (keys or names)"),
    ) -> dict[str, Any]:
        """The daily escalation index (docs/api.md: PLOVER intensities, modality discounts) of the matching
        events, e.g. ?country=IRN, or of one actor dyad (events between the two, either direction)."""
        pair = None
        if dyad is not None:
            parts = [p.strip() for p in dyad.split(",")]
            if len(parts) != 2:
                raise HTTPException(422, "dyad must be two actors: A,B")
            pair = (parts[0], parts[1])  # a blank name matches no actor: an empty series
        series = aggregates.escalation_series(queries.intensity_rows(store, f, pair), f.since, f.until)
        return {"country": f.country, "dyad": list(pair) if pair else None, "items": series}

    @app.get("/api/network", dependencies=read, responses=READ_RESPONSES)
    def network(
        f: EventFilter = Depends(event_filter),
        family: str | None = Query(None, pattern=FAMILY, description="only edges of this family"),
        min_weight: int = Query(1, ge=1, le=1_000_000),
        limit: int = Query(500, ge=1, le=10_000, description="heaviest edges kept"),
    ) -> dict[str, Any]:
        """Actor network: actor -> recipient edges by event family (weight = events), nodes with degree and
        weighted degree centrality, allegiance edges from SUPPORT events."""
        types = _family(family)
        if types is not None:
            f = dataclasses.replace(f, event_types=types)
        rows = queries.edge_rows(store, f)
        keys = sorted({r[0] for r in rows} | {r[1] for r in rows})
        graph = aggregates.network_graph(rows, queries.actor_names(store, keys), min_weight)
        graph["total_edges"] = len(graph["edges"])
        graph["edges"] = graph["edges"][:limit]
        return graph

    @app.get("/api/alerts", dependencies=read, responses=READ_RESPONSES)
    def get_alerts(
        limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000),
        since: IsoDateTime | None = Query(None, description="only alerts created at or after this time "
                                                            "(ISO 8601; without an offset: UTC)"),
    ) -> dict[str, Any]:
        """Alerts raised by the stored rules (spikes, new actors, triggered commitments), newest first."""
        if since is not None and since.tzinfo is not None:
            try:
                since = since.astimezone(UTC)
            except OverflowError:  # an offset pushing year 1 / 9999 out of range: the edge of time
                since = datetime.min.replace(tzinfo=UTC) if since.year < 2 else datetime.max.replace(tzinfo=UTC)
        return {"items": alerts.list_alerts(store, limit, offset, since), "limit": limit, "offset": offset}

    @app.get("/api/commitments", dependencies=read, responses=READ_RESPONSES)
    def get_commitments() -> dict[str, Any]:
        """Conditional threats kept as commitments, with their evidence and the alerts they triggered."""
        return {"items": alerts.list_commitments(store)}

    @app.get("/api/clusters", dependencies=read, responses=READ_RESPONSES)
    def get_clusters(
        limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=10_000_000),
        min_sources: int = Query(1, ge=1, le=1000),
    ) -> dict[str, Any]:
        """Consolidated events (one per real event, merged across articles) with their mentions and
        sources, first-report time and per-field agreement."""
        items = list(merge.iter_clusters(store, limit, offset, min_sources))
        return {"items": items, "limit": limit, "offset": offset}

    @app.get("/api/clusters/of/{event_id:path}", dependencies=read, responses=ONE_RESPONSES)
    def get_cluster_of(event_id: str = PathParam(max_length=1000, pattern=NO_NUL)) -> dict[str, Any]:
        """The consolidated event a stored event belongs to."""
        found = merge.cluster_of(store, event_id)
        if found is None:
            raise HTTPException(404, f"no stored event with id {event_id!r}")
        return found

    @app.get("/api/health", response_model=Health, responses=HEALTH_RESPONSES)
    def health() -> dict[str, str]:
        """Liveness: the server runs and its store answers (503 if not). Never needs a token."""
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
# The page is a shell for the script (web/src -> static/app.js), which reads everything from /api and
# renders every value as text. Without JavaScript the <noscript> list below is shown instead.

_NOSCRIPT_STYLE = """
body { display: block; font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1d1d1f; background: #fafafa; }
#app { display: none; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
.counts, .nav { color: #555; margin: .25rem 0 1rem; }
ol.fallback { list-style: none; padding: 0; }
li.event { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .6rem .9rem;
           margin: 0 0 .6rem; }
.type { font-weight: 700; letter-spacing: .03em; }
.mode { color: #666; }
.who { margin-left: .5rem; }
.meta { color: #555; font-size: .9rem; }
blockquote { margin: .35rem 0 0; padding-left: .7rem; border-left: 3px solid #c33; color: #333; }
a { color: #0645ad; }
"""

_APP_SHELL = """<div id="app">
<a class="skip" href="#detail">Skip to details</a>
<header class="top">
  <h1>marsad</h1>
  <p class="counts">{counts}</p>
  <form id="filters" role="search" aria-label="Filter events">
    <label>From <input type="date" name="since"></label>
    <label>To <input type="date" name="until"></label>
    <label>Actor <input type="search" name="actor" list="actor-options" autocomplete="off"
      placeholder="name or key"></label>
    <datalist id="actor-options"></datalist>
    <label>Country <input type="text" name="country" maxlength="3" placeholder="ISO3" pattern="[A-Za-z]{{3}}"></label>
    <label>Region <input type="text" name="admin1" placeholder="admin1"></label>
    <label>Type <select name="event_type"><option value="">any</option></select></label>
    <label>Sources &ge; <input type="number" name="min_sources" min="1" max="1000"></label>
    <label>Words <input type="search" name="q" placeholder="in the evidence"></label>
    <label class="check"><input type="checkbox" name="in_view"> map view only</label>
    <button type="submit">Apply</button> <button type="reset">Reset</button>
  </form>
</header>
<section id="timeline-panel" aria-label="Timeline">
  <div id="timeline-bar"><span id="timeline-summary" aria-live="polite"></span>
    <span>Drag across the chart to filter by dates.</span>
    <button type="button" id="timeline-clear">All dates</button></div>
  <div id="timeline" role="img" aria-label="Events per day by PLOVER family and the escalation index"></div>
</section>
<main>
  <div class="views">
    <div role="tablist" aria-label="Views">
      <button role="tab" id="tab-map" data-view="map" aria-controls="panel-map">Map</button>
      <button role="tab" id="tab-network" data-view="network" aria-controls="panel-network">Network</button>
      <button role="tab" id="tab-table" data-view="table" aria-controls="panel-table">Table</button>
      <button role="tab" id="tab-alerts" data-view="alerts" aria-controls="panel-alerts">Alerts
        <span class="badge" aria-label="alerts"></span></button>
    </div>
    <section role="tabpanel" id="panel-map" aria-labelledby="tab-map">
      <div id="map" role="region" aria-label="Map of events: markers are buttons, Enter opens one"></div>
    </section>
    <section role="tabpanel" id="panel-network" aria-labelledby="tab-network" hidden>
      <form id="network-controls" aria-label="Network filters">
        <label>Family <select name="family"><option value="">all</option>
          <option value="conflict">conflict</option><option value="cooperation">cooperation</option>
          <option value="verbal_conflict">verbal conflict (threaten, accuse...)</option>
          <option value="material_conflict">material conflict (attack, coerce...)</option>
          <option value="verbal_cooperation">verbal cooperation (support, agree...)</option>
          <option value="material_cooperation">material cooperation (aid...)</option></select></label>
        <label>Min. events <input type="number" name="min_weight" min="1" value="1"></label>
        <span id="network-summary" aria-live="polite"></span>
      </form>
      <div id="cy" role="img" aria-label="Actor network graph; the same edges are listed beside it"></div>
      <ul id="edge-list" aria-label="Edges: actor to recipient, event types"></ul>
    </section>
    <section role="tabpanel" id="panel-table" aria-labelledby="tab-table" hidden>
      <div class="table-tools">
        <button type="button" id="prev-page" aria-label="Previous page">&larr;</button>
        <button type="button" id="next-page" aria-label="Next page">&rarr;</button>
        <span id="table-info" aria-live="polite"></span>
        <button type="button" id="export-csv">Export CSV</button>
        <button type="button" id="export-geojson">Export GeoJSON</button>
      </div>
      <table><caption class="skip">Events matching the filters</caption>
        <thead><tr><th scope="col">Date</th><th scope="col">Type</th><th scope="col">Actor</th>
        <th scope="col">Recipient</th><th scope="col">Place</th><th scope="col">Fatalities</th>
        <th scope="col">Evidence</th></tr></thead><tbody></tbody></table>
    </section>
    <section role="tabpanel" id="panel-alerts" aria-labelledby="tab-alerts" hidden>
      <ol id="alerts-list" aria-label="Alerts, newest first"></ol>
    </section>
  </div>
  <aside id="detail" aria-labelledby="detail-title">
    <div id="detail-head"><h2 id="detail-title" tabindex="-1">Details</h2>
      <button type="button" id="detail-close" aria-label="Close details (Escape)">&times;</button></div>
    <div id="detail-body"></div>
  </aside>
</main>
<div id="status" role="status" aria-live="polite">Loading…</div>
</div>
"""


def _e(value: Any) -> str:
    """HTML-escape anything (None shows as an em dash); article text is untrusted."""
    return "—" if value is None else html.escape(str(value), quote=True)


def _name(actor: dict | None) -> str:
    return _e(actor.get("name")) if actor else "?"


def render_dashboard(rows: list[tuple[dict, dict]], counts: dict[str, int], limit: int, offset: int) -> str:
    """The dashboard page: the shell of the script-driven dashboard, and for browsers without JavaScript
    a plain list of events (one entry per event, every value escaped)."""
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
    summary = (f'{counts["events"]} events from {counts["articles"]} articles · '
               f'{counts["actors"]} actors · {counts["places"]} places · <a href="/docs">API</a>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>marsad — events</title>"
        f'<link rel="stylesheet" href="{STATIC_PATH}/app.css">'
        f'<link rel="icon" href="{STATIC_PATH}/favicon.svg" type="image/svg+xml">'
        f'<link rel="preload" href="{STATIC_PATH}/countries.json" as="fetch" crossorigin="anonymous">'
        f'<script type="module" src="{STATIC_PATH}/app.js"></script>'
        f"<noscript><style>{_NOSCRIPT_STYLE}</style></noscript></head><body>"
        + _APP_SHELL.format(counts=summary)
        + "<noscript><h1>marsad</h1>"
        f'<p class="counts">{summary}</p>'
        f'<ol class="fallback" start="{offset + 1}">\n{body}\n</ol>'
        f'<p class="nav">{" · ".join(nav)}</p></noscript>'
        "</body></html>\n"
    )
