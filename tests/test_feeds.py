"""Feeds: RSS and Atom parsed into entries, entries (with their pages) into Articles; malformed feeds refused
with E607, half-broken ones keeping their good entries."""
from __future__ import annotations

from datetime import date

import pytest
from localhttp import DATA, LocalServer, Reply, serve_news

from marsad.errors import Rejection
from marsad.ingest.feeds import FeedError, article_id, entry_to_article, parse_feed
from marsad.ingest.fetch import FEED_TYPES, FetchConfig, Fetcher
from marsad.ingest.lang import is_english
from marsad.models import Article

BASE = "http://news.test"


def feed_file(name: str) -> bytes:
    return (DATA / name).read_text(encoding="utf-8").replace("{BASE}", BASE).encode()


def test_rss_entries():
    feed = parse_feed(feed_file("rss.xml"), BASE + "/rss.xml")
    assert feed.title == "Test Wire World" and feed.version == "rss20" and feed.language == "en"
    assert [e.key for e in feed.entries] == ["testwire-0001", "testwire-0002", "testwire-0003"]
    first = feed.entries[0]
    assert first.link == BASE + "/news/erbil-drone.html" and first.published == date(2025, 6, 16)
    assert first.title == "Drone downed near Erbil consulate" and "shot down" in first.html


def test_atom_entries_and_content():
    feed = parse_feed(feed_file("atom.xml"))
    assert feed.version.startswith("atom") and feed.title == "Test Atom Desk"
    sanctions, talks = feed.entries
    assert sanctions.link == BASE + "/news/sanctions.html" and "Kataib Hezbollah" in sanctions.html
    assert talks.link is None and talks.published == date(2025, 6, 16)
    art = entry_to_article(talks, "Test Atom Desk", "atom")
    assert isinstance(art, Article) and art.text.startswith("Negotiators from Israel and Hamas")
    assert art.source == "Test Atom Desk" and art.published == date(2025, 6, 16) and art.url is None


def test_entry_with_its_page_takes_the_page_text_and_metadata():
    entry = parse_feed(feed_file("rss.xml")).entries[0]
    art = entry_to_article(entry, "Test Wire", "testwire", (DATA / "erbil-drone.html").read_text(),
                           BASE + "/news/erbil-drone.html")
    assert isinstance(art, Article)
    assert "Kurdish counter-terrorism forces" in art.text and "All rights reserved" not in art.text
    assert art.id == article_id("testwire", "testwire-0001") and art.id.startswith("testwire-")
    assert art.title == "Drone downed near Erbil consulate" and art.language == "en" and is_english(art)


def test_non_english_entry_is_marked_not_english():
    entry = parse_feed(feed_file("rss.xml")).entries[2]
    art = entry_to_article(entry, "Test Wire", "testwire", (DATA / "aleppo-ar.html").read_text())
    assert isinstance(art, Article) and art.language == "ar" and not is_english(art)


def test_article_ids_are_stable_and_path_safe():
    a = article_id("Test Wire / World", "http://x/../../etc/passwd\x00")
    assert a == article_id("Test Wire / World", "http://x/../../etc/passwd\x00")
    assert a.startswith("test-wire-world-") and "/" not in a and "\x00" not in a and len(a) < 80


def test_half_broken_feed_keeps_its_entries():
    feed = parse_feed(feed_file("bozo-readable.xml"))
    assert feed.bozo and [e.key for e in feed.entries] == ["sloppy-1"]


@pytest.mark.parametrize("name", ["truncated.xml", "notafeed.html"])
def test_malformed_feed_files_are_refused(name):
    with pytest.raises(FeedError) as info:
        parse_feed((DATA / name).read_bytes())
    assert info.value.code == "E607"


@pytest.mark.parametrize("data", [
    b"", b"   \n", b"\x00\x01\x02\xff" * 50, b"{\"items\": []}", b"<?xml version='1.0'?><foo/>",
    b"<rss version='2.0'><channel><item><title>", "<rss>é</rss>".encode("utf-16"),
    (b"<!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
     b"<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]><rss><channel>"
     b"<title>&lol3;</title></channel></rss>"),
])
def test_garbage_is_refused_or_parsed_without_crashing(data):
    try:
        feed = parse_feed(data)
    except FeedError as exc:
        assert exc.code == "E607"
    else:
        assert all(isinstance(e.key, str) for e in feed.entries)


def test_entries_without_text_are_rejections():
    feed = parse_feed(b"<rss version='2.0'><channel><title>t</title><item><guid>g1</guid><title>Only a title"
                      b"</title></item></channel></rss>")
    r = entry_to_article(feed.entries[0], "t", "t")
    assert isinstance(r, Rejection) and r.code == "E103"


def test_future_and_ancient_entry_dates_are_dropped():
    feed = parse_feed(b"<rss version='2.0'><channel><item><guid>a</guid><description>x</description>"
                      b"<pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item><item><guid>b</guid>"
                      b"<description>y</description><pubDate>Mon, 01 Jan 1810 00:00:00 GMT</pubDate></item>"
                      b"</channel></rss>")
    assert [e.published for e in feed.entries] == [None, None]


def test_feed_over_http_then_its_pages():
    server = LocalServer().start()
    try:
        serve_news(server)
        with Fetcher(FetchConfig(delay=0, retries=0)) as f:
            resp = f.get(server.url + "/rss.xml", accept=FEED_TYPES)
            feed = parse_feed(resp.content, resp.url)
            assert feed.entries[0].link == server.url + "/news/erbil-drone.html"
            page = f.get(feed.entries[1].link)
            art = entry_to_article(feed.entries[1], feed.title, "w", page.text(), page.url)
        assert isinstance(art, Article) and "tear gas" in art.text and art.published == date(2025, 6, 14)
    finally:
        server.stop()


def test_feed_served_with_wrong_type_is_refused_by_the_fetcher():
    server = LocalServer().start()
    try:
        server.routes["/feed"] = Reply(200, b"\x89PNG...", content_type="image/png")
        from marsad.ingest.fetch import FetchError

        with Fetcher(FetchConfig(delay=0, retries=0)) as f, pytest.raises(FetchError) as info:
            f.get(server.url + "/feed", accept=FEED_TYPES)
        assert info.value.code == "E605"
    finally:
        server.stop()
