"""The fetcher against a real HTTP server on 127.0.0.1: normal, conditional, slow, failing, redirecting,
robots.txt, oversize and wrong-type responses; politeness and the user agent."""
from __future__ import annotations

import pytest
from localhttp import DATA, LocalServer, Reply, conditional, file_reply

from marsad.errors import CATALOGUE
from marsad.ingest.fetch import FEED_TYPES, USER_AGENT, FetchConfig, Fetcher, FetchError, FetchState


@pytest.fixture
def server():
    s = LocalServer().start()
    yield s
    s.stop()


def fetcher(tmp_path=None, **kw) -> Fetcher:
    cfg = {"timeout": 2.0, "retries": 2, "backoff": 0.01, "max_backoff": 0.05, "delay": 0.0, **kw}
    state = FetchState(tmp_path / "state.json" if tmp_path else None)
    return Fetcher(FetchConfig(**cfg), state)


def refused(f: Fetcher, url: str, code: str, **kw) -> FetchError:
    with pytest.raises(FetchError) as info:
        f.get(url, **kw)
    assert info.value.code == code and code in CATALOGUE, info.value
    return info.value


def test_normal_page_with_user_agent(server):
    server.routes["/a.html"] = file_reply("erbil-drone.html")
    with fetcher() as f:
        r = f.get(server.url + "/a.html")
    assert r.status == 200 and r.content_type == "text/html" and r.charset == "utf-8"
    assert "shot down early Monday" in r.text()
    ua = server.hits("/a.html")[0].headers["user-agent"]
    assert ua == USER_AGENT and ua.startswith("marsad/")
    assert server.hits("/robots.txt"), "robots.txt is asked for first"


def test_conditional_get_etag_then_304(server, tmp_path):
    server.routes["/feed.xml"] = conditional('"v1"', b"<rss version='2.0'><channel/></rss>", "application/rss+xml",
                                             last_modified="Mon, 16 Jun 2025 09:00:00 GMT")
    f = fetcher(tmp_path)
    first = f.get(server.url + "/feed.xml", accept=FEED_TYPES)
    assert first.status == 200 and first.etag == '"v1"'
    f.state.remember(server.url + "/feed.xml", first)
    f.state.save()
    f.close()
    # a new run reads the validators back from the state file
    f2 = fetcher(tmp_path)
    second = f2.get(server.url + "/feed.xml", accept=FEED_TYPES)
    f2.close()
    assert second.not_modified and second.content == b""
    sent = server.hits("/feed.xml")[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Mon, 16 Jun 2025 09:00:00 GMT"


def test_last_modified_alone_is_used(server, tmp_path):
    lm = "Tue, 17 Jun 2025 10:00:00 GMT"

    def handle(req):
        if req.headers.get("If-Modified-Since") == lm:
            return Reply(304, content_type=None)
        return Reply(200, "<p>x</p>", headers={"Last-Modified": lm})
    server.routes["/p"] = handle
    with fetcher(tmp_path) as f:
        r = f.get(server.url + "/p")
        f.state.remember(server.url + "/p", r)
        assert f.get(server.url + "/p").not_modified
        assert f.get(server.url + "/p", conditional=False).status == 200


def test_slow_server_times_out_after_retries(server):
    server.routes["/slow"] = Reply(200, "late", delay=1.5)
    with fetcher(timeout=0.3, retries=1) as f:
        err = refused(f, server.url + "/slow", "E601")
    assert err.transient and "timeout" in err.message.lower()
    assert len(server.hits("/slow")) == 2  # one try and one retry


def test_dripping_server_is_cut_off_by_the_total_timeout(server):
    server.routes["/drip"] = Reply(200, b"x" * 20_000, drip=0.1)
    with fetcher(timeout=2.0, total_timeout=0.5, retries=0) as f:
        err = refused(f, server.url + "/drip", "E601")
    assert "longer than" in err.message


def test_failing_then_working_server_is_retried(server):
    server.routes["/flaky"] = [Reply(500, "oops"), Reply(503, "busy", headers={"Retry-After": "0"}),
                               file_reply("erbil-drone.html")]
    with fetcher(retries=3) as f:
        r = f.get(server.url + "/flaky")
    assert r.status == 200 and len(server.hits("/flaky")) == 3


def test_backoff_doubles(server):
    server.routes["/down"] = Reply(502, "bad gateway")
    pauses: list[float] = []
    f = Fetcher(FetchConfig(retries=3, backoff=0.5, max_backoff=10, delay=0.0), sleep=pauses.append)
    err = refused(f, server.url + "/down", "E602")
    f.close()
    assert err.transient and err.status == 502 and "after 4 tries" in err.message
    assert [p for p in pauses if p >= 0.5] == [0.5, 1.0, 2.0]


def test_client_errors_are_not_retried(server):
    with fetcher() as f:
        err = refused(f, server.url + "/missing", "E602")
    assert err.status == 404 and not err.transient and len(server.hits("/missing")) == 1


def test_redirects_are_followed(server):
    server.routes["/old"] = Reply(301, headers={"Location": "/older"})
    server.routes["/older"] = Reply(302, headers={"Location": server.url + "/a.html"})
    server.routes["/a.html"] = file_reply("erbil-drone.html")
    with fetcher() as f:
        r = f.get(server.url + "/old")
    assert r.status == 200 and r.url == server.url + "/a.html" and len(r.redirects) == 2


def test_redirect_loop_is_refused(server):
    server.routes["/loop1"] = Reply(302, headers={"Location": "/loop2"})
    server.routes["/loop2"] = Reply(301, headers={"Location": "/loop1"})
    with fetcher() as f:
        err = refused(f, server.url + "/loop1", "E606")
    assert "loop" in err.message and len(server.hits("/loop1")) == 1


def test_too_many_redirects_are_refused(server):
    for i in range(10):
        server.routes[f"/r{i}"] = Reply(302, headers={"Location": f"/r{i + 1}"})
    with fetcher(max_redirects=3) as f:
        refused(f, server.url + "/r0", "E606")
    assert len([r for r in server.requests if r.path[2:].isdigit()]) == 4


def test_redirect_to_another_scheme_is_refused(server):
    server.routes["/ftp"] = Reply(302, headers={"Location": "file:///etc/passwd"})
    with fetcher() as f:
        refused(f, server.url + "/ftp", "E601")


def test_robots_disallow_is_respected(server):
    server.routes["/robots.txt"] = file_reply("robots-disallow.txt", content_type="text/plain")
    server.routes["/news/basra-protest.html"] = file_reply("basra-protest.html")
    server.routes["/news/erbil-drone.html"] = file_reply("erbil-drone.html")
    with fetcher() as f:
        refused(f, server.url + "/news/basra-protest.html", "E603")
        # the rules of a group naming marsad replace the '*' group's (robots.txt semantics): /private/ is open
        refused(f, server.url + "/private/x.html", "E602")
        assert f.get(server.url + "/news/erbil-drone.html").status == 200
    assert not server.hits("/news/basra-protest.html"), "a disallowed page is never requested"
    assert len(server.hits("/robots.txt")) == 1, "robots.txt is read once per host"


def test_redirect_into_a_disallowed_path_is_refused(server):
    server.routes["/robots.txt"] = Reply(200, "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.routes["/go"] = Reply(302, headers={"Location": "/private/page"})
    with fetcher() as f:
        refused(f, server.url + "/go", "E603")
    assert not server.hits("/private/page")


def test_robots_can_be_switched_off(server):
    server.routes["/robots.txt"] = Reply(200, "User-agent: *\nDisallow: /\n", content_type="text/plain")
    server.routes["/a.html"] = file_reply("erbil-drone.html")
    with fetcher(robots=False) as f:
        assert f.get(server.url + "/a.html").status == 200
    assert not server.hits("/robots.txt")


def test_unreachable_robots_means_do_not_fetch(server):
    server.routes["/robots.txt"] = Reply(500, "down")
    server.routes["/a.html"] = file_reply("erbil-drone.html")
    with fetcher(retries=0) as f:
        err = refused(f, server.url + "/a.html", "E603")
    assert err.transient and not server.hits("/a.html")


def test_robots_forbidden_means_everything_disallowed(server):
    server.routes["/robots.txt"] = Reply(403, "no")
    with fetcher() as f:
        refused(f, server.url + "/a.html", "E603")


def test_crawl_delay_and_politeness_delay(server):
    server.routes["/robots.txt"] = Reply(200, "User-agent: *\nCrawl-delay: 1\n", content_type="text/plain")
    server.routes["/a.html"] = file_reply("erbil-drone.html")
    server.routes["/b.html"] = file_reply("basra-protest.html")
    with fetcher(delay=0.1) as f:
        f.get(server.url + "/a.html")
        f.get(server.url + "/b.html")
    times = [server.hits(p)[0].at for p in ("/robots.txt", "/a.html", "/b.html")]
    assert times[2] - times[1] >= 0.95, "Crawl-delay (longer than our own delay) is kept between requests"


def test_oversize_response_is_refused(server):
    server.routes["/big"] = Reply(200, b"<p>" + b"x" * 300_000 + b"</p>")
    server.routes["/big-nolength"] = Reply(200, b"<p>" + b"x" * 300_000 + b"</p>", no_length=True)
    with fetcher(max_bytes=100_000) as f:
        refused(f, server.url + "/big", "E604")
        err = refused(f, server.url + "/big-nolength", "E604")
    assert "limit" in err.message


def test_wrong_content_type_is_refused(server):
    server.routes["/img.html"] = Reply(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, content_type="image/png")
    server.routes["/feed.pdf"] = Reply(200, b"%PDF-1.4", content_type="application/pdf")
    with fetcher() as f:
        refused(f, server.url + "/img.html", "E605")
        refused(f, server.url + "/feed.pdf", "E605", accept=FEED_TYPES)


def test_connection_refused_and_bad_urls():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with fetcher(retries=1) as f:
        err = refused(f, f"http://127.0.0.1:{port}/x", "E601")
        assert err.transient
        refused(f, "ftp://127.0.0.1/x", "E601")
        refused(f, "http:///nohost", "E601")


def test_declared_charset_and_meta_charset_are_honoured(server):
    body = "<html><head><meta charset='windows-1256'></head><body><p>قصف في حلب</p></body></html>"
    server.routes["/cp1256"] = Reply(200, body.encode("cp1256"), content_type="text/html")
    server.routes["/latin1"] = Reply(200, "<p>Café de la Paix</p>".encode("latin-1"),
                                     content_type="text/html; charset=iso-8859-1")
    with fetcher() as f:
        assert "قصف في حلب" in f.get(server.url + "/cp1256").text()
        assert "Café" in f.get(server.url + "/latin1").text()


def test_state_file_survives_corruption(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")
    st = FetchState(path)
    assert st.validators("http://x/") == {}
    st.mark_seen("feed:x", ["a", "b"])
    st.save()
    assert FetchState(path).seen("feed:x") == {"a", "b"}
    assert DATA.is_dir()
