"""The web app served for real: `marsad.serve.run` in a subprocess on a free loopback port, over HTTP."""
from __future__ import annotations

import re
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import make_actor, make_article, make_event, stop_process

from marsad.serve import bind, create_app, run
from marsad.store import Store

SCRIPT = """
import sys
from marsad.serve import create_app, run
from marsad.store import open_store
run(create_app(open_store(sys.argv[1])), "127.0.0.1", 0,
    on_ready=lambda url: print(url, flush=True), log_level="warning")
"""

XSS_TEXT = "Gunmen <script>alert(1)</script> attacked the <img src=x onerror=alert(1)> checkpoint."
XSS_TITLE = "<img src=x onerror=alert(1)> & <b>bold</b>"


def start_server(db_url: str) -> tuple[subprocess.Popen, str]:
    """Run the server script; return the process and the URL it announced."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    if not ready:
        proc.kill()
        pytest.fail("server did not announce its URL within 20 s")
    url = proc.stdout.readline().strip()
    if not url:
        proc.wait(5)
        pytest.fail(f"server died: {proc.stderr.read()}")
    return proc, url


def stop_server(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, str]:
    return stop_process(proc, sig), proc.stderr.read()


def _fill(store: Store) -> None:
    a1 = make_article("idlib-7", text="Government forces shelled Kafr Nabl, killing four.",
                      title="Shelling in Idlib")
    store.add_article(a1, [
        make_event(a1, 0, "ASSAULT", mode="violence", date="2024-03-03",
                   actor=make_actor("Syrian Arab Army", "SYR-MIL", text="Government forces"),
                   recipient=make_actor("civilians")),
        make_event(a1, 1, "ACCUSE", date="2024-03-04"),
    ])
    evil = make_article("evil/<1>", text=XSS_TEXT, title=XSS_TITLE)
    store.add_article(evil, [make_event(evil, 0, "ASSAULT", actor=make_actor("<b>Gunmen</b>"))])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'marsad.db'}"
    with Store(db_url) as store:
        _fill(store)
    proc, url = start_server(db_url)
    yield url, db_url
    stop_server(proc)


@pytest.fixture(scope="module")
def client(server: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[0], timeout=10, trust_env=False) as c:
        yield c


def test_announced_url_is_real(server: tuple[str, str]) -> None:
    url = server[0]
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/", url)
    assert match and int(match.group(1)) > 0
    assert httpx.get(url + "api/health", trust_env=False).json()["status"] == "ok"


def test_dashboard_lists_events(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    for expected in ("ASSAULT", "(violence)", "Syrian Arab Army → civilians", "2024-03-03", "idlib-7",
                     "Shelling in Idlib", "Government forces shelled Kafr Nabl, killing four.", "ACCUSE"):
        assert expected in page, expected
    assert "3 events from 2 articles" in page
    # self-contained: no external asset of any kind
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_dashboard_escapes_untrusted_text(client: httpx.Client) -> None:
    page = client.get("/").text
    # the only script is the dashboard's own same-origin file: nothing inline, nothing from the data
    assert re.findall(r"<script[^>]*>", page) == ['<script type="module" src="/static/app.js">']
    assert "<script>" not in page
    assert "<img" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Gunmen&lt;/b&gt;" in page
    assert 'href="/api/articles/evil%2F%3C1%3E"' in page


def test_dashboard_pages(client: httpx.Client) -> None:
    page = client.get("/", params={"limit": 1, "offset": 1}).text
    assert "ACCUSE" in page and "(violence)" not in page
    assert 'href="/?limit=1&amp;offset=0"' in page and 'href="/?limit=1&amp;offset=2"' in page
    assert client.get("/", params={"limit": 0}).status_code == 422


def _csp(headers: httpx.Headers) -> dict[str, str]:
    return {d.split()[0]: d for d in (p.strip() for p in headers["content-security-policy"].split(";")) if d}


@pytest.mark.parametrize(
    "path", ["/", "/api/events", "/api/health", "/api/articles/nope", "/no/such/page", "/docs",
             "/docs/init.js", "/docs/assets/swagger-ui.css", "/openapi.json"],
)
def test_security_headers_everywhere(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = _csp(r.headers)
    assert csp["default-src"] == "default-src 'self'"
    script_src = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "*" not in r.headers["content-security-policy"]


def test_api_events(client: httpx.Client) -> None:
    body = client.get("/api/events").json()
    assert body["total"] == 3 and body["limit"] == 100 and body["offset"] == 0
    assert [e["event_id"] for e in body["items"]] == ["idlib-7#0", "idlib-7#1", "evil/<1>#0"]
    assert body["items"][0]["actor"]["id"] == "SYR-MIL"
    assert body["items"][0]["evidence"]["text"].startswith("Government forces")
    page = client.get("/api/events", params={"limit": 1, "offset": 2}).json()
    assert [e["event_id"] for e in page["items"]] == ["evil/<1>#0"]
    assert (page["limit"], page["offset"], page["total"]) == (1, 2, 3)
    assert client.get("/api/events", params={"limit": 5000}).status_code == 422
    assert client.get("/api/events", params={"offset": -1}).status_code == 422


def test_api_article(client: httpx.Client) -> None:
    r = client.get("/api/articles/idlib-7")
    assert r.status_code == 200
    body = r.json()
    assert body["title"] == "Shelling in Idlib"
    assert [e["event_type"] for e in body["events"]] == ["ASSAULT", "ACCUSE"]
    evil = client.get("/api/articles/evil%2F%3C1%3E")
    assert evil.status_code == 200 and evil.json()["text"] == XSS_TEXT  # JSON carries it verbatim
    assert evil.headers["content-type"] == "application/json"
    missing = client.get("/api/articles/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]
    assert missing.json()["error"]["code"] == "not_found"


def test_docs_work_offline(client: httpx.Client) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    page = r.text
    assert "http://" not in page and "https://" not in page
    # every script is a same-origin file (the CSP forbids inline script)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(assets) >= 4
    for asset in assets:
        assert asset.startswith("/"), asset
        got = client.get(asset)
        assert got.status_code == 200, asset
        assert len(got.content) > 20, asset
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    init = client.get("/docs/init.js").text
    assert "SwaggerUIBundle" in init and "validatorUrl: null" in init  # no badge fetched from outside
    schema = client.get("/openapi.json").json()
    assert {"/api/events", "/api/articles/{article_id}", "/api/health", "/api/events/{event_id}",
            "/api/actors", "/api/places", "/api/timeseries", "/api/escalation", "/api/network"} <= set(schema["paths"])


def test_server_sees_writes_from_another_process(server: tuple[str, str], client: httpx.Client) -> None:
    # SQLite WAL: this process writes while the server process keeps reading
    with Store(server[1]) as store:
        late = make_article("late-1", text="Protesters rallied in Sweida.")
        store.add_article(late, [make_event(late, 0, "PROTEST")])
        try:
            assert client.get("/api/events").json()["total"] == 4
            assert client.get("/api/articles/late-1").status_code == 200
        finally:
            with store.engine.begin() as conn:  # leave the module's data as the other tests expect
                conn.exec_driver_sql("DELETE FROM events WHERE event_id = 'late-1#0'")
                conn.exec_driver_sql("DELETE FROM articles WHERE article_id = 'late-1'")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_cleanly_on_signal(tmp_path: Path, sig: int) -> None:
    proc, url = start_server(f"sqlite:///{tmp_path / 'marsad.db'}")
    # at once: by the time the URL is announced, the stop signals are handled
    code, stderr = stop_server(proc, sig)
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_run_reports_a_taken_port(tmp_path: Path) -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        with Store(f"sqlite:///{tmp_path / 'marsad.db'}") as store:
            with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
                run(create_app(store), "127.0.0.1", port, on_ready=lambda url: pytest.fail("ready?"))
    finally:
        taken.close()


def test_store_failure_is_503_not_a_traceback(tmp_path: Path) -> None:
    # the app turns a store error into JSON with the catalogue code; the file is removed under it
    db = tmp_path / "gone" / "marsad.db"
    store = Store(f"sqlite:///{db}")
    app = create_app(store)
    store.close()
    for f in db.parent.iterdir():
        f.unlink()
    db.parent.rmdir()
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            thread.join(0.05)
        r = httpx.get(f"http://127.0.0.1:{port}/api/health", trust_env=False, timeout=10)
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "E301"
        assert r.headers["x-content-type-options"] == "nosniff"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
