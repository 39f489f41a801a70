"""Property-based tests (hypothesis) of the parsers that meet the outside world: JSONL records, text files,
HTML, feeds, languages and the date resolver. Each property holds for every input hypothesis can think of:
no exception escapes, every refusal carries a catalogued code, and what is accepted is safe to store."""
from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from marsad.errors import CATALOGUE, Rejection
from marsad.extract.timex import resolve_date
from marsad.ingest.feeds import FeedError, entry_to_article, parse_feed
from marsad.ingest.lang import detect_language, is_english
from marsad.ingest.readers import extract_page, read_file, read_jsonl, record_to_article
from marsad.models import Article

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12)
records = st.fixed_dictionaries({}, optional={
    "id": json_values | st.text(max_size=600), "text": json_values | st.text(max_size=300),
    "html": json_values | st.text(max_size=300), "title": json_values, "url": json_values,
    "source": json_values, "language": json_values,
    "published": json_values | st.dates(min_value=date(1, 1, 1)).map(str)})


def _safe(article: Article) -> None:
    for value in (article.id, article.text, article.title, article.url, article.source):
        if value is not None:
            assert "\x00" not in value
            value.encode("utf-8")
    assert any(c.isalnum() for c in article.text)
    assert 0 < len(article.id) <= 512
    if article.published is not None:
        assert date(1900, 1, 1) <= article.published <= date.today() + timedelta(days=2)


def _ok(item) -> None:
    if isinstance(item, Rejection):
        assert item.code in CATALOGUE and item.message
    else:
        assert isinstance(item, Article)
        _safe(item)


# -- JSONL records ------------------------------------------------------------------------------------------

@SETTINGS
@given(records)
@example({"id": "a", "text": "x\x00"})
@example({"id": "\ud800", "text": "x"})
@example({"id": 10 ** 600, "text": "x"})
@example({"id": "a", "text": "b", "published": "0001-01-01"})
def test_any_record_is_an_article_or_a_coded_rejection(rec):
    _ok(record_to_article(rec, "t:1", {}))


@SETTINGS
@given(st.lists(st.binary(max_size=200) | st.text(max_size=200).map(str.encode), max_size=8))
def test_any_jsonl_bytes_never_raise(lines):
    raw = b"\n".join(lines)
    items = list(read_jsonl(io.BytesIO(raw), "<t>", {}))
    for item in items:
        _ok(item)


@SETTINGS
@given(st.lists(records, min_size=1, max_size=5))
def test_valid_json_lines_keep_their_order_and_count(recs):
    lines = []
    for r in recs:
        try:
            lines.append(json.dumps(r))
        except (ValueError, TypeError):
            assume(False)
    items = list(read_jsonl(io.StringIO("\n".join(lines) + "\n"), "<t>", {}))
    assert len(items) == len(recs)  # one outcome per line, in order
    for n, item in enumerate(items, 1):
        _ok(item)
        if isinstance(item, Rejection):
            assert item.input == f"<t>:{n}"


# -- files ----------------------------------------------------------------------------------------------------

@SETTINGS
@given(data=st.binary(max_size=600) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
       suffix=st.sampled_from([".txt", ".html", ".jsonl", ".htm", ".pdf"]))
def test_any_file_bytes_never_raise(tmp_path_factory, data, suffix):
    path = Path(tmp_path_factory.mktemp("f")) / f"x{suffix}"
    path.write_bytes(data)
    items = list(read_file(path, {}))
    assert items or suffix == ".jsonl"  # a JSONL file of blank lines has no records
    for item in items:
        _ok(item)


# -- HTML -----------------------------------------------------------------------------------------------------

tags = st.sampled_from(["p", "div", "article", "script", "style", "title", "head", "body", "html", "span", "a",
                        "meta", "time", "h1", "br", "!--", "![CDATA[", "?xml"])
html_soup = st.lists(
    st.one_of(tags.map(lambda t: f"<{t}>"), tags.map(lambda t: f"</{t}>"), st.text(max_size=30),
              st.just('<meta property="og:title" content="T">'), st.just("&amp;"), st.just("&#0;"),
              st.just("&#xD800;"), st.just("<![CDATA[x]]>"), st.just('<html lang="ar">')),
    max_size=25).map("".join)


@SETTINGS
@given(html_soup)
@example("<?xml version='1.0' encoding='latin-1'?><html><body><p>x</p></body></html>")
@example("\x00<p>a\x00b</p>")
def test_extract_page_never_raises_and_its_text_is_safe(html):
    page = extract_page(html)
    assert isinstance(page.text, str) and "\x00" not in page.text
    page.text.encode("utf-8")
    for v in (page.title, page.author, page.site):
        assert v is None or (isinstance(v, str) and len(v) <= 4096)


# -- feeds ----------------------------------------------------------------------------------------------------

def _rss(items: list[tuple[str, str]]) -> bytes:
    from xml.sax.saxutils import escape

    body = "".join(f"<item><guid>g{i}</guid><title>{escape(t)}</title><description>{escape(d)}</description>"
                   f"</item>" for i, (t, d) in enumerate(items))
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>{body}" \
           f"</channel></rss>".encode("utf-8", "surrogatepass")


xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@SETTINGS
@given(st.binary(max_size=400))
@example(b"<rss version='2.0'><channel><item><title>&undefined;</title></item></channel></rss>")
def test_parse_feed_on_any_bytes_is_a_feed_or_e607(data):
    try:
        feed = parse_feed(data)
    except FeedError as exc:
        assert exc.code == "E607"
    else:
        for e in feed.entries:
            _ok(entry_to_article(e, "src", "feed"))


@SETTINGS
@given(st.lists(st.tuples(xml_text, xml_text), min_size=1, max_size=6))
def test_every_well_formed_rss_item_is_an_entry(items):
    feed = parse_feed(_rss(items))
    assert [e.key for e in feed.entries] == [f"g{i}" for i in range(len(items))]
    for e in feed.entries:
        _ok(entry_to_article(e, "src", "feed"))


# -- language -------------------------------------------------------------------------------------------------

@SETTINGS
@given(st.text(max_size=400))
def test_detect_language_never_raises(text):
    lang = detect_language(text)
    assert lang is None or re.fullmatch(r"[a-z]{2,3}", lang)
    is_english(Article(id="x", text=text or "x"))


# -- dates ----------------------------------------------------------------------------------------------------

WORDS = ["on", "last", "Monday", "Sunday", "early", "late", "week", "weekend", "month", "June", "March", "may",
         "May", "the", "15th", "3", "31", "2024", "1999", "2031", "ago", "two", "days", "earlier", "yesterday",
         "today", "tomorrow", "next", "of", "-", "/", "2025-06-30", "28/2/08", "12.10.2023", "in", "since",
         "Jan", "Feb.", "Sept", "spring", "summer", "this", "year", "1/1", "0000-00-00", "9999-99-99", "29",
         "February", "a", "week", "before", "coming", "20", "200", "08"]
date_phrases = st.lists(st.sampled_from(WORDS), max_size=7).map(" ".join)
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@settings(max_examples=400, deadline=None)
@given(text=date_phrases | st.text(max_size=60),
       published=st.none() | st.dates(min_value=date(1900, 1, 8), max_value=date(2099, 12, 24)))
@example("on Tuesday", date(2025, 6, 16))
@example("February 29", date(2023, 3, 1))
@example("31 June", date(2025, 7, 1))
def test_resolve_date_never_raises_and_never_runs_ahead(text, published):
    got = resolve_date(text, published)
    if got is None:
        return
    day, precision = got
    assert isinstance(day, date) and precision in (1, 2, 3)
    if published is not None and not YEAR.search(text.lower()):
        assert day <= published, f"{text!r} on {published} -> {day} (after publication, no year written)"
    assert resolve_date(text, published) == got  # deterministic


@settings(max_examples=200, deadline=None)
@given(published=st.dates(min_value=date(1950, 1, 8), max_value=date(2090, 12, 24)),
       weekday=st.sampled_from(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
def test_weekday_resolves_within_the_week_before_publication(published, weekday):
    got = resolve_date(f"on {weekday}", published)
    assert got is not None
    day, precision = got
    assert precision == 1 and published - timedelta(days=7) <= day <= published
    assert day.strftime("%A") == weekday


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_resolve_date_without_publication_date_needs_an_absolute_date(text):
    got = resolve_date(text, None)
    if got is not None:
        assert re.search(r"\d", text), f"{text!r} resolved to {got} with no publication date and no number"


@pytest.mark.parametrize("text", ["tomorrow", "next week", "in two days", "the coming days"])
def test_future_expressions_are_not_dates(text):
    assert resolve_date(text, date(2025, 6, 16)) is None
