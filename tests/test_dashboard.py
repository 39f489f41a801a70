"""The dashboard in a real browser: Debian's chromium driven by Playwright (Python) against a real
`marsad serve` subprocess on 127.0.0.1, over a store filled by ingesting the bundled seed articles.

Checks the map, the actor filter, the evidence highlighted in the article reader, the actor network,
untrusted text shown literally (never run), and the time to the first markers with 10,000 events. Saves a
screenshot of each view (to docs/screenshots/, linked from the README, when run with
MARSAD_SCREENSHOTS=docs/screenshots; else to a temporary directory).

Needs /usr/bin/chromium (`.ci/run` installs it; `apt-get install -y chromium`); skipped without it.
Never runs `playwright install`: the browser is the system's.
"""
from __future__ import annotations

import json
import os
import random
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_actor, make_article, make_event, make_place, stop_process

from marsad.cli import sample_corpus
from marsad.config import get_settings
from marsad.ingest.readers import read_inputs
from marsad.models import Condition, Modality
from marsad.pipeline import ingest
from marsad.store import Store

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium): the dashboard tests need a browser",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the Python package playwright is not installed")

MARSAD = Path(sys.executable).with_name("marsad")
# the README's screenshots are refreshed with MARSAD_SCREENSHOTS=docs/screenshots; a plain run (CI) keeps its
# screenshots out of the checkout
SCREENSHOTS = Path(os.environ.get("MARSAD_SCREENSHOTS") or tempfile.mkdtemp(prefix="marsad-shots-"))
VIEWPORT = {"width": 1400, "height": 900}

SCRIPT_PAYLOAD = "<script>window.__pwned=1</script>"
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=1">'
XSS_TEXT = (f"Kataib Hezbollah fighters attacked a US base in Baghdad on Monday. {SCRIPT_PAYLOAD} "
            f"Witnesses said {IMG_PAYLOAD} the strike hit the gate.")
HOSTILE_NAME = '<img src=x onerror="window.__pwned=1"><b>Gunmen</b>'

# Boxes well inside each country (no two overlap), for the markers' coordinates.
BOXES = {"IRQ": (30.0, 37.4, 38.8, 46.2), "IRN": (26.0, 38.5, 48.5, 61.5), "ISR": (29.5, 33.3, 34.2, 35.7)}


# -- servers -------------------------------------------------------------------------------------------

def _serve(db_url: str) -> tuple[subprocess.Popen, str]:
    """`marsad serve` on a free loopback port; returns the process and its URL."""
    proc = subprocess.Popen([str(MARSAD), "serve", "--db", db_url, "--host", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline() if ready else ""
    if " at http://" not in line:
        proc.kill()
        pytest.fail(f"marsad serve did not start: {line!r} {proc.stderr.read()[-2000:]}")
    url = line.split(" at ", 1)[1].split()[0]
    return proc, url if url.endswith("/") else url + "/"


@pytest.fixture(scope="module")
def seeds_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundled seed articles ingested through the pipeline, as `marsad demo` does."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('dashboard') / 'marsad.db'}"
    _ingest(db_url, [str(sample_corpus())])
    proc, url = _serve(db_url)
    yield url
    stop_process(proc)


def _ingest(db_url: str, inputs: list[str]) -> None:
    with Store(db_url) as store:
        rejected: list = []
        stored, _, _ = ingest(store, read_inputs(inputs), get_settings(), on_reject=rejected.append)
        assert stored and not rejected, rejected


def _add_hostile(db_url: str, tmp: Path) -> None:
    """An article with a <script> and an onerror= in its text, through the pipeline; and an event whose every
    field is hostile, written directly (the pipeline would not name an actor so)."""
    hostile = tmp / "hostile.jsonl"
    hostile.write_text(json.dumps({"id": "xss-1", "text": XSS_TEXT, "title": f"Raid {IMG_PAYLOAD}",
                                   "published": "2025-06-16", "source": SCRIPT_PAYLOAD}) + "\n")
    _ingest(db_url, [str(hostile)])
    with Store(db_url) as store:
        text = f"{HOSTILE_NAME} stormed a checkpoint in Mosul."
        art = make_article("xss-2", text=text, title=HOSTILE_NAME, source=IMG_PAYLOAD, published="2025-06-17")
        store.add_article(art, [make_event(
            art, 0, "ASSAULT", text, event_id="xss-2#0", date="2025-06-17", date_text=SCRIPT_PAYLOAD,
            actor=make_actor(HOSTILE_NAME, text=HOSTILE_NAME, start=0, end=len(HOSTILE_NAME)),
            recipient=make_actor(SCRIPT_PAYLOAD),
            location=make_place(IMG_PAYLOAD, 99072, lat=36.335, lon=43.119, country="IRQ", admin1=SCRIPT_PAYLOAD),
            modality=Modality(hypothetical=True, condition=Condition(text=SCRIPT_PAYLOAD, event_type="ASSAULT")))])


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser, seeds_url: str) -> Iterator[object]:
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()


def open_dashboard(page, url: str, hash_: str = "") -> None:
    page.goto(url + hash_)
    page.wait_for_selector("body[data-loaded=true]", timeout=30_000)


def markers(page) -> list[dict]:
    return page.evaluate("window.marsad.map.markerData()")


# -- the views -----------------------------------------------------------------------------------------

def test_map_shows_markers_in_iraq_iran_and_israel(page, seeds_url: str) -> None:
    open_dashboard(page, seeds_url)
    page.wait_for_selector(".leaflet-marker-icon.mk[data-lat]")
    found = markers(page)
    assert found
    for country, (lat0, lat1, lon0, lon1) in BOXES.items():
        inside = [m for m in found if country in m["countries"] and lat0 <= m["lat"] <= lat1 and lon0 <= m["lon"] <= lon1]
        assert inside, f"no marker in {country}: {found}"
    # colour by family, size and clusters: every marker carries its family; several events share a cluster
    assert {m["family"] for m in found} <= {"verbal_cooperation", "material_cooperation", "verbal_conflict",
                                            "material_conflict"}
    assert any(m["count"] > 1 for m in found)
    # the basemap is marsad's own: no request left the server
    assert page.evaluate("performance.getEntriesByType('resource').every(r => r.name.startsWith(location.origin))")
    assert not page.errors, page.errors
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "map.png"))
    page.locator("#timeline-panel").screenshot(path=str(SCREENSHOTS / "timeline.png"))


def test_filter_by_actor_leaves_only_its_events(page, seeds_url: str) -> None:
    open_dashboard(page, seeds_url)
    every = page.evaluate("window.marsad.total")
    page.fill("#filters input[name=actor]", "Kataib Hezbollah")
    page.click("#filters button[type=submit]")
    page.wait_for_function("() => location.hash.includes('actor=')")
    page.wait_for_selector("body[data-loaded=true]")
    events = page.evaluate("window.marsad.events")
    assert 0 < len(events) < every

    def kh(actor: dict | None) -> bool:
        return bool(actor) and (actor.get("id") == "kataib-hezbollah" or actor.get("name") == "Kataib Hezbollah")

    assert all(kh(e["actor"]) or kh(e["recipient"]) for e in events), [e["actor"] for e in events]
    page.click("#tab-table")
    rows = page.locator("#panel-table tbody tr")
    assert rows.count() == len(events)
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.eventId)")) == {e["event_id"] for e in events}
    # the state is in the URL: a new page opened on it shows the same selection
    shared = page.url
    other = page.context.new_page()
    open_dashboard(other, shared)
    assert other.input_value("#filters input[name=actor]") == "Kataib Hezbollah"
    assert other.evaluate("window.marsad.events.map(e => e.event_id)") == [e["event_id"] for e in events]
    assert other.get_attribute("#tab-table", "aria-selected") == "true"
    page.screenshot(path=str(SCREENSHOTS / "table.png"))


def test_clicking_an_event_highlights_its_evidence(page, seeds_url: str) -> None:
    open_dashboard(page, seeds_url, "#actor=kataib-hezbollah&view=table")
    events = page.evaluate("window.marsad.events")
    threat = next(e for e in events if e["event_type"] == "THREATEN" and e["modality"]["condition"])
    page.click(f'#panel-table tbody tr[data-event-id="{threat["event_id"]}"]')
    evidence = page.wait_for_selector(".article-text mark.hl-evidence")
    assert evidence.text_content() == threat["evidence"]["text"]
    assert "ev=" + threat["event_id"] in page.url
    # the actors, place and date inside the evidence are marked too, from their offsets
    assert threat["actor"]["text"] in page.locator(".article-text mark.hl-actor").all_text_contents()
    assert page.locator(".article-text mark.hl-evidence mark").count() >= 2
    # the conditional threat box
    box = page.locator("#detail .condition")
    assert threat["modality"]["condition"]["text"] in box.text_content()
    assert page.locator("#detail .sources li").count() >= 1
    assert not page.errors, page.errors
    page.screenshot(path=str(SCREENSHOTS / "event.png"))
    page.locator("#reader").screenshot(path=str(SCREENSHOTS / "article.png"))


def test_map_marker_opens_the_event_card(page, seeds_url: str) -> None:
    open_dashboard(page, seeds_url)
    single = page.locator(".leaflet-marker-icon.mk-event[data-event-id]").first
    event_id = single.get_attribute("data-event-id")
    single.click()
    page.wait_for_selector(f'#detail article.event-card[data-event-id="{event_id}"]')
    page.wait_for_selector(".article-text mark.hl-evidence")


def test_keyboard_enter_opens_and_escape_closes(page, seeds_url: str) -> None:
    open_dashboard(page, seeds_url, "#view=table")
    row = page.locator("#panel-table tbody tr").first
    row.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#detail.open .article-text")
    assert page.evaluate("document.activeElement.id") == "detail-title"
    page.keyboard.press("Escape")
    page.wait_for_function("() => !document.querySelector('#detail').classList.contains('open')")
    assert page.evaluate("document.activeElement.dataset.eventId") == row.get_attribute("data-event-id")
    assert "ev=" not in page.url
    # the tabs are a WAI-ARIA tab list: arrow keys move between views
    page.focus("#tab-table")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-alerts", "aria-selected") == "true"
    assert page.is_visible("#panel-alerts") and not page.is_visible("#panel-table")


def test_network_shows_kataib_hezbollah_threatening_the_united_states(page, seeds_url: str) -> None:
    open_dashboard(page, seeds_url, "#view=network")
    page.wait_for_function("() => window.marsad.network.edgeData().length > 0")
    edges = page.evaluate("window.marsad.network.edgeData()")
    assert any(e["sourceName"] == "Kataib Hezbollah" and "United States" in e["targetName"]
               and "THREATEN" in e["label"] for e in edges), edges
    items = page.locator("#edge-list li").all_text_contents()
    assert any(t.startswith("Kataib Hezbollah → ") and "United States" in t and "THREATEN" in t for t in items)
    page.screenshot(path=str(SCREENSHOTS / "network.png"))
    # filterable: only material conflict edges
    page.select_option("#network-controls select[name=family]", "material_conflict")
    page.wait_for_function("() => window.marsad.network.edgeData().every(e => e.family === 'material_conflict')")
    # click -> actor panel with aliases and events
    page.select_option("#network-controls select[name=family]", "")
    page.wait_for_function("() => window.marsad.network.edgeData().some(e => e.family !== 'material_conflict')")
    page.locator("#edge-list li", has_text="Kataib Hezbollah →").first.click()
    page.wait_for_selector('#detail .actor-panel[data-actor-key="kataib-hezbollah"]')
    assert "Kataeb Hezbollah" in page.locator("#detail .aliases").text_content()
    assert page.locator("#detail .event-list li").count() >= 1
    page.screenshot(path=str(SCREENSHOTS / "actor.png"))


def test_alerts_panel(page, seeds_url: str) -> None:
    open_dashboard(page, seeds_url, "#view=alerts")
    page.wait_for_selector("#alerts-list li.alert")
    assert page.locator("#alerts-list li.alert").count() >= 1
    page.screenshot(path=str(SCREENSHOTS / "alerts.png"))


def test_export_of_the_current_selection(page, seeds_url: str) -> None:
    open_dashboard(page, seeds_url, "#actor=kataib-hezbollah&view=table")
    n = page.evaluate("window.marsad.events.length")
    with page.expect_download() as got:
        page.click("#export-geojson")
    collection = json.loads(Path(got.value.path()).read_text())
    assert collection["type"] == "FeatureCollection" and 0 < len(collection["features"]) <= n
    assert all(f["geometry"]["type"] == "Point" for f in collection["features"])
    with page.expect_download() as got:
        page.click("#export-csv")
    lines = Path(got.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("event_id,") and len(lines) == n + 1


# -- 10,000 events -------------------------------------------------------------------------------------

N_BIG = 10_000


def _fill_big(db_url: str) -> None:
    rng = random.Random(7)
    places = [make_place(n, g, lat=lat, lon=lon, country=c) for n, g, lat, lon, c in (
        ("Baghdad", 98182, 33.34, 44.40, "IRQ"), ("Mosul", 99072, 36.34, 43.12, "IRQ"),
        ("Basrah", 99532, 30.51, 47.78, "IRQ"), ("Tehran", 112931, 35.69, 51.42, "IRN"),
        ("Isfahan", 418863, 32.65, 51.67, "IRN"), ("Tel Aviv", 293397, 32.08, 34.78, "ISR"),
        ("Haifa", 294801, 32.82, 34.99, "ISR"), ("Damascus", 170654, 33.51, 36.29, "SYR"),
        ("Aleppo", 170063, 36.20, 37.16, "SYR"), ("Beirut", 276781, 33.89, 35.50, "LBN"),
        ("Sanaa", 71137, 15.35, 44.21, "YEM"), ("Gaza", 281133, 31.50, 34.47, "PSE"))]
    actors = [make_actor(n, i) for n, i in (("Kataib Hezbollah", "kataib-hezbollah"), ("Government of Iran", "IRN-GOV"),
                                             ("Government of Israel", "ISR-GOV"), ("Government of Iraq", "IRQ-GOV"),
                                             ("Government of United States", "USA-GOV"), ("Houthis", "houthis"))]
    types = ["ASSAULT", "THREATEN", "ACCUSE", "CONSULT", "PROTEST", "SUPPORT", "COERCE", "AID"]
    with Store(db_url) as store:
        for a in range(N_BIG // 4):
            day = f"2024-{1 + a % 12:02d}-{1 + a % 28:02d}"
            sentences = [f"Report {a}.{k}: forces clashed near the border, officials said." for k in range(4)]
            art = make_article(f"big-{a}", text=" ".join(sentences), source=f"wire-{a % 9}", published=day)
            evs = []
            for k, sentence in enumerate(sentences):
                src, dst = rng.sample(actors, 2)
                evs.append(make_event(art, k, rng.choice(types), sentence, date=day, actor=src, recipient=dst,
                                      location=rng.choice(places), fatalities=rng.choice([None, 0, 1, 3, 12])))
            store.add_article(art, evs, consolidate=False)


@pytest.fixture(scope="module")
def big_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """10,000 synthetic events, plus the hostile article and event."""
    tmp = tmp_path_factory.mktemp("big")
    db_url = f"sqlite:///{tmp / 'big.db'}"
    _fill_big(db_url)
    _add_hostile(db_url, tmp)
    proc, url = _serve(db_url)
    yield url
    stop_process(proc)


def test_loads_10k_events_under_two_seconds(browser, big_url: str) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        page.goto(big_url + "api/health")  # the server is up and warm; the page itself starts cold
        started = time.perf_counter()
        page.goto(big_url)
        page.wait_for_selector(".leaflet-marker-icon.mk[data-lat]", timeout=30_000)
        wall = time.perf_counter() - started
        first = page.evaluate("window.marsad.timings.firstMarkers")  # ms since navigation start
        page.wait_for_selector("body[data-loaded=true]", timeout=60_000)
        timings = page.evaluate("window.marsad.timings")
        assert page.evaluate("window.marsad.events.length") == page.evaluate("window.marsad.total") >= N_BIG
        report = (f"10k events: first markers {first:.0f} ms after navigation start (wall {wall * 1000:.0f} ms), "
                  f"all {N_BIG} events loaded at {timings['allLoaded']:.0f} ms")
        print(report)
        assert first < 2000, report
    finally:
        context.close()


# -- security ------------------------------------------------------------------------------------------

def test_article_html_and_scripts_are_shown_as_text_and_never_run(browser, big_url: str) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _check_hostile(page, big_url, errors)
    finally:
        context.close()


def _check_hostile(page, url: str, errors: list[str]) -> None:
    response = page.goto(url + "#article=xss-1")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    page.wait_for_selector("body[data-loaded=true]")
    text = page.wait_for_selector(".article-text").text_content()
    assert SCRIPT_PAYLOAD in text and IMG_PAYLOAD in text
    assert IMG_PAYLOAD in page.locator(".article-title").text_content()
    # its event: the evidence quoted in the card and highlighted in the reader, all as text
    events = page.evaluate("fetch('/api/articles/xss-1').then(r => r.json()).then(a => a.events)")
    if events:
        page.goto(url + "#ev=" + events[0]["event_id"].replace("#", "%23"))
        page.wait_for_selector(".article-text mark.hl-evidence")
    # the hand-made event: every field hostile (actor, recipient, place, region, date words, condition, source)
    page.goto(url + "#q=stormed%20a%20checkpoint&ev=xss-2%230&view=table")
    page.wait_for_function("() => window.marsad.events.length === 1 && document.body.dataset.loaded === 'true'")
    page.wait_for_selector('#detail article.event-card[data-event-id="xss-2#0"] .article-text')
    detail = page.locator("#detail").text_content()
    for payload in (HOSTILE_NAME, SCRIPT_PAYLOAD, IMG_PAYLOAD):
        assert payload in detail
    assert HOSTILE_NAME in page.locator("#panel-table tbody").text_content()
    page.click("#tab-map")
    page.click("#tab-network")
    page.wait_for_function("() => window.marsad.network.edgeData().length > 0")
    page.click("#tab-alerts")
    page.wait_for_selector("#alerts-list li")
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, script:not([src]), b').length") == 0
    assert not errors, errors
