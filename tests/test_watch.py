"""`marsad watch`: feeds polled from a real server on 127.0.0.1 into a real store, through the pipeline."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from localhttp import LocalServer, Reply, conditional, file_reply, serve_news, template_reply

from marsad.config import get_settings
from marsad.errors import MarsadError
from marsad.ingest.watch import Watcher, load_config
from marsad.store import open_store

MARSAD = [sys.executable, "-m", "marsad.cli"]


@pytest.fixture
def server():
    s = LocalServer().start()
    serve_news(s)
    yield s
    s.stop()


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def articles(db: str) -> dict[str, dict]:
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT a.article_id, a.language, a.source, a.url, a.title, a.published, "
                                    "(SELECT count(*) FROM events e WHERE e.article = a.id) AS n FROM articles a"))
        out = {r.url or r.article_id: r._asdict() for r in rows}
    engine.dispose()
    return out


# -- configuration ------------------------------------------------------------------------------------------

def test_config_accepts_bare_urls_and_options(tmp_path):
    cfg = load_config(write_yaml(tmp_path / "f.yaml", "interval: 60\nfeeds:\n  - https://a.test/rss\n"
                                 "  - url: http://b.test/atom\n    name: B\n    fetch_pages: false\n"
                                 "fetch: {delay: 2, retries: 1}\npages: [http://c.test/x.html]\n"))
    assert [f.url for f in cfg.feeds] == ["https://a.test/rss", "http://b.test/atom"]
    assert cfg.feeds[1].name == "B" and not cfg.feeds[1].fetch_pages and cfg.interval == 60
    assert cfg.fetch_config().delay == 2 and cfg.fetch_config().retries == 1
    assert cfg.fetch_config().user_agent.startswith("marsad/")


@pytest.mark.parametrize("text", [
    "", "just a string", "feeds: []", "feeds:\n  - ftp://x/feed", "feeds: [http://x/]\nbogus: 1",
    "feeds: [http://x/]\ninterval: -5", "feeds: [{url: http://x/, fetch_pages: maybe}]", "feeds: [\n  - oops",
    "pages: [file:///etc/passwd]", "feeds: [http://x/]\nfetch: {max_bytes: 0}",
])
def test_bad_config_is_e608(tmp_path, text):
    with pytest.raises(MarsadError) as info:
        load_config(write_yaml(tmp_path / "f.yaml", text))
    assert info.value.code == "E608"


def test_missing_and_binary_config_files(tmp_path):
    for path in (tmp_path / "nope.yaml", tmp_path / "bin.yaml"):
        if path.name == "bin.yaml":
            path.write_bytes(b"\xff\xfe\x00\x00garbage")
        with pytest.raises(MarsadError) as info:
            load_config(path)
        assert info.value.code == "E608"


# -- rounds, in process (the pipeline is loaded once for the module) -------------------------------------------

@pytest.mark.slow
def test_rounds_ingest_new_items_then_nothing(server, tmp_path):
    server.routes["/rss.xml"] = conditional('"rss-1"', template_reply("rss.xml", server.url).body,
                                            "application/rss+xml")
    server.routes["/robots.txt"] = Reply(200, "User-agent: marsad\nDisallow: /news/basra-protest.html\n",
                                         content_type="text/plain")
    cfg = load_config(write_yaml(tmp_path / "f.yaml", f"fetch: {{delay: 0, retries: 0}}\nfeeds:\n"
                                 f"  - url: {server.url}/rss.xml\n    name: Test Wire\n"
                                 f"  - {server.url}/atom.xml\n"))
    db = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(db)
    lines: list[str] = []
    rejected = []
    w = Watcher(cfg, store, get_settings(), tmp_path / "state.json", on_reject=rejected.append, say=lines.append)
    try:
        first = w.poll_once()
        assert (first.new, first.stored, first.rejected) == (5, 5, 0), (first, rejected)
        stored = articles(db)
        erbil = stored[server.url + "/news/erbil-drone.html"]
        assert erbil["source"] == "Test Wire" and erbil["language"] == "en" and erbil["n"] >= 1
        assert erbil["title"] == "Drone downed near Erbil consulate"
        # robots.txt forbids the Basra page: the feed's own text is stored instead, the page never requested
        assert not server.hits("/news/basra-protest.html")
        assert stored[server.url + "/news/basra-protest.html"]["language"] == "en"
        assert stored[server.url + "/news/aleppo-ar.html"]["language"] == "ar"
        assert any("robots.txt" in line for line in lines)

        n_pages = len([r for r in server.requests if r.path.startswith("/news/")])
        second = w.poll_once()
        assert (second.not_modified, second.new, second.stored) == (1, 0, 0)
        assert server.hits("/rss.xml")[-1].headers.get("if-none-match") == '"rss-1"'
        assert len([r for r in server.requests if r.path.startswith("/news/")]) == n_pages, "no page refetched"
        assert len(articles(db)) == 5
    finally:
        w.close()
        store.close()


@pytest.mark.slow
def test_transient_page_failure_is_retried_next_round(server, tmp_path):
    server.routes["/news/sanctions.html"] = [Reply(500, "down"), Reply(500, "down"),
                                             file_reply("sanctions.html")]
    server.routes["/atom.xml"] = conditional('"a1"', template_reply("atom.xml", server.url).body,
                                             "application/atom+xml")
    cfg = load_config(write_yaml(tmp_path / "f.yaml", f"fetch: {{delay: 0, retries: 1, backoff: 0.01}}\n"
                                 f"feeds: [{server.url}/atom.xml]\n"))
    db = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(db)
    rejected = []
    w = Watcher(cfg, store, get_settings(), tmp_path / "state.json", on_reject=rejected.append,
                say=lambda m: None)
    try:
        first = w.poll_once()
        assert first.stored == 1 and [r.code for r in rejected] == ["E602"]  # the Doha entry; sanctions failed
        second = w.poll_once()  # no 304 (validators were not kept), the failed entry tried again
        assert second.not_modified == 0 and second.new == 1 and second.stored == 1
        assert server.url + "/news/sanctions.html" in articles(db)
        assert w.poll_once().not_modified == 1
    finally:
        w.close()
        store.close()


@pytest.mark.slow
def test_malformed_and_failing_feeds_do_not_stop_the_others(server, tmp_path):
    server.routes["/bad.xml"] = file_reply("truncated.xml", content_type="application/rss+xml")
    server.routes["/html"] = file_reply("notafeed.html")
    server.routes["/img"] = Reply(200, b"\x89PNG", content_type="image/png")
    server.routes["/slow"] = Reply(200, "x", delay=1.0)
    server.routes["/sloppy.xml"] = template_reply("bozo-readable.xml", server.url)
    cfg = load_config(write_yaml(tmp_path / "f.yaml", "fetch: {delay: 0, retries: 0, timeout: 0.3}\nfeeds:\n"
                                 + "".join(f"  - {server.url}{p}\n" for p in
                                           ("/bad.xml", "/html", "/img", "/slow", "/gone", "/sloppy.xml"))))
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    rejected = []
    w = Watcher(cfg, store, get_settings(), tmp_path / "state.json", on_reject=rejected.append,
                say=lambda m: None)
    try:
        stats = w.poll_once()
    finally:
        w.close()
        store.close()
    assert [r.code for r in rejected] == ["E607", "E607", "E605", "E601", "E602"]
    assert stats.failed_feeds == 5 and stats.stored == 1


# -- the command --------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_watch_once_command(server, tmp_path):
    server.routes["/rss.xml"] = conditional('"r"', template_reply("rss.xml", server.url).body, "application/rss+xml")
    feeds = write_yaml(tmp_path / "feeds.yaml", f"state: st.json\nfetch: {{delay: 0, retries: 0}}\nfeeds:\n"
                       f"  - url: {server.url}/rss.xml\n    name: Test Wire\n  - {server.url}/missing.xml\n"
                       f"pages:\n  - {server.url}/news/sanctions.html\n")
    db = f"sqlite:///{tmp_path / 'w.db'}"
    env = {**os.environ, "MARSAD_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([*MARSAD, "watch", str(feeds), "--once", "--db", db], capture_output=True, text=True,
                       env=env, timeout=180)
    assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr
    lines = [json.loads(x) for x in r.stderr.splitlines() if x.startswith("{")]
    assert lines[0] == {"input": f"{server.url}/missing.xml",
                        "error": {"code": "E602", "message": f"HTTP 404 from {server.url}/missing.xml"}}
    summary = lines[-1]
    assert summary["stored"] == 4 and summary["articles"] == 4 and summary["events"] > 0
    assert "marsad watch: round 1" in r.stderr and (tmp_path / "st.json").is_file()
    assert r.stdout == ""
    again = subprocess.run([*MARSAD, "watch", str(feeds), "--once", "--db", db], capture_output=True, text=True,
                           env=env, timeout=180)
    assert "not modified" in again.stderr
    assert json.loads(again.stderr.splitlines()[-1])["articles"] == 4


@pytest.mark.slow
def test_sigterm_between_rounds_stops_the_loop(server, tmp_path):
    """In process (the main thread): SIGTERM is turned into a clean stop like Ctrl-C, and the old handler
    is put back."""
    cfg = load_config(write_yaml(tmp_path / "f.yaml", f"fetch: {{delay: 0}}\nfeeds: [{server.url}/atom.xml]\n"))
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    lines: list[str] = []

    def say(msg: str) -> None:
        lines.append(msg)
        if msg.startswith("next round in"):
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
    before = signal.getsignal(signal.SIGTERM)
    w = Watcher(cfg, store, get_settings(), tmp_path / "state.json", say=say)
    try:
        started = time.monotonic()
        total = w.run(interval=3600)
    finally:
        w.close()
        store.close()
    assert time.monotonic() - started < 60 and lines[-1] == "stopped after 1 round(s)"
    assert total.stored == 2 and signal.getsignal(signal.SIGTERM) == before


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT])
def test_ctrl_c_stops_cleanly(server, tmp_path, sig):
    feeds = write_yaml(tmp_path / "feeds.yaml", f"fetch: {{delay: 0}}\nfeeds: [{server.url}/atom.xml]\n")
    proc = subprocess.Popen([*MARSAD, "watch", str(feeds), "--interval", "3600", "--db",
                             f"sqlite:///{tmp_path / 'w.db'}"], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MARSAD_DATA_DIR": str(tmp_path / "data")})
    seen: list[str] = []

    def read() -> None:
        for line in proc.stderr:
            seen.append(line)
            if "next round in" in line:
                return
    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout=120)
    assert any("next round in" in line for line in seen), seen
    time.sleep(0.2)
    proc.send_signal(sig)
    rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0 and "Traceback" not in rest
    assert "stopped after 1 round" in rest and json.loads(rest.splitlines()[-1])["stored"] == 2


def test_watch_with_a_bad_feeds_file_is_a_clear_error(tmp_path):
    feeds = write_yaml(tmp_path / "feeds.yaml", "feeds: not-a-list\n")
    r = subprocess.run([*MARSAD, "watch", str(feeds), "--once", "--db", f"sqlite:///{tmp_path / 'w.db'}"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "E608" in r.stderr and "Traceback" not in r.stderr


def test_watch_help_documents_the_yaml():
    r = subprocess.run([*MARSAD, "watch", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "fetch_pages" in r.stdout and "--once" in r.stdout and "robots" in r.stdout
