"""The REST API served for real (uvicorn in a subprocess on 127.0.0.1), on SQLite and PostgreSQL: filters,
pagination, error bodies, tokens, hostile parameters; and the DataFrame API over the same stores."""
from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from conftest import DATA_TABLES, make_actor, make_article, make_event, make_place, stop_process

import marsad
from marsad.errors import MarsadError
from marsad.export import FLAT_COLUMNS
from marsad.models import Condition, Modality
from marsad.store import Store

SCRIPT = """
import sys
from marsad.serve import create_app, run
from marsad.store import open_store
run(create_app(open_store(sys.argv[1])), "127.0.0.1", 0,
    on_ready=lambda url: print(url, flush=True), log_level="warning")
"""
API_TOKEN = "write-secret-0123"
READ_TOKEN = "read-secret-4567"
ALL_IDS = ["idlib-1#0", "idlib-1#1", "baghdad/2#0", "baghdad/2#1", "tehran-3#0", "tehran-3#1"]

SYR_MIL = make_actor("Syrian Arab Army", "SYR-MIL", text="Government forces", country="SYR", sector="MIL",
                     acled_inter=1)
CIVILIANS = make_actor("civilians", country="SYR", sector="CVL", acled_inter=7)
HELMETS = make_actor("White Helmets", "white-helmets", country="SYR")
KH = make_actor("Kataib Hezbollah", "kataib-hezbollah", country="IRQ", sector="REB", acled_inter=3)
USA = make_actor("United States", "USA", text="America", country="USA", sector="GOV", acled_inter=8)
KHAMENEI = make_actor("Ali Khamenei", "khamenei", country="IRN", sector="GOV")
PROTESTERS = make_actor("protesters", country="IRN", acled_inter=6)
KAFR_NABL = make_place("Kafr Nabl", 169304, lat=35.61, lon=36.56, admin1="Idlib", country="SYR")
BAGHDAD = make_place("Baghdad", 98182, lat=33.34, lon=44.40, admin1="Baghdad", country="IRQ")
TEHRAN = make_place("Tehran", 112931, lat=35.69, lon=51.42, admin1="Tehran", country="IRN")


def fill(store: Store) -> None:
    """Three articles, six events: Syria (shelling, an accusation), Iraq (a conditional threat, a pledge of
    loyalty), Iran (a protest, a denied strike)."""
    a1 = make_article("idlib-1", text="Government forces shelled Kafr Nabl, killing four. "
                                      "The White Helmets accused the army of war crimes.",
                      title="Shelling in Idlib", source="Wire", url="https://news.test/idlib-1")
    a2 = make_article("baghdad/2", text="Kataib Hezbollah warned that if America intervenes, it will strike "
                                        "US bases in Baghdad. Its commanders declared loyalty to Khamenei.",
                      source="Agency")
    a3 = make_article("tehran-3", text="Thousands protested in Tehran on Wednesday. "
                                       "The United States did not strike Tehran, officials said.",
                      source="Wire")
    store.add_article(a1, [
        make_event(a1, 0, "ASSAULT", "Government forces shelled Kafr Nabl, killing four.", mode="aerial",
                   date="2024-03-03", actor=SYR_MIL, recipient=CIVILIANS, location=KAFR_NABL, fatalities=4,
                   acled_event_type="Explosions/Remote violence", acled_sub_event_type="Air/drone strike"),
        make_event(a1, 1, "ACCUSE", "The White Helmets accused the army of war crimes.", date="2024-03-04",
                   actor=HELMETS, recipient=SYR_MIL),
    ])
    store.add_article(a2, [
        make_event(a2, 0, "THREATEN", "Kataib Hezbollah warned that if America intervenes, it will strike US "
                                      "bases in Baghdad.", date="2024-03-05", actor=KH, recipient=USA,
                   location=BAGHDAD, acled_event_type="Strategic developments", acled_sub_event_type="Other",
                   modality=Modality(hypothetical=True, condition=Condition(text="if America intervenes",
                                                                             event_type="ASSAULT", actor=USA))),
        make_event(a2, 1, "SUPPORT", "Its commanders declared loyalty to Khamenei.", date="2024-03-05",
                   actor=KH, recipient=KHAMENEI),
    ])
    store.add_article(a3, [
        make_event(a3, 0, "PROTEST", "Thousands protested in Tehran on Wednesday.", mode="demo",
                   date="2024-04-10", actor=PROTESTERS, location=TEHRAN, acled_event_type="Protests",
                   acled_sub_event_type="Peaceful protest"),
        make_event(a3, 1, "ASSAULT", "The United States did not strike Tehran, officials said.",
                   date="2024-04-11", actor=USA, recipient=make_actor("Iran", "IRN", country="IRN"),
                   location=TEHRAN, modality=Modality(negated=True)),
    ])


def start(db_url: str, **env: str) -> tuple[subprocess.Popen, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MARSAD_")}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, db_url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**clean, **env})
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    url = proc.stdout.readline().strip() if ready else ""
    if not url:
        proc.kill()
        pytest.fail(f"server did not start: {proc.stderr.read()}")
    return proc, url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'marsad.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            if sa.inspect(conn).has_table("articles"):
                conn.exec_driver_sql(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
        engine.dispose()
    with Store(url) as store:
        fill(store)
    return url


@pytest.fixture(scope="module")
def client(db_url: str) -> Iterator[httpx.Client]:
    proc, url = start(db_url, MARSAD_API_TOKEN=API_TOKEN, MARSAD_MAX_REQUEST_BYTES="4096")
    try:
        with httpx.Client(base_url=url, timeout=60, trust_env=False) as c:
            yield c
    finally:
        stop_process(proc)


def ids(client: httpx.Client, **params) -> list[str]:
    r = client.get("/api/events", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"]) or body["limit"] < body["total"]
    return [e["event_id"] for e in body["items"]]


def assert_error(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"], body
    return body["error"]


# -- events -----------------------------------------------------------------------------------------


def test_events_in_stored_order(client: httpx.Client) -> None:
    body = client.get("/api/events").json()
    assert (body["total"], body["limit"], body["offset"]) == (6, 100, 0)
    assert [e["event_id"] for e in body["items"]] == ALL_IDS
    assert body["items"][0]["evidence"]["text"] == "Government forces shelled Kafr Nabl, killing four."


@pytest.mark.parametrize("params, expected", [
    ({"since": "2024-03-05"}, ["baghdad/2#0", "baghdad/2#1", "tehran-3#0", "tehran-3#1"]),
    ({"until": "2024-03-04"}, ["idlib-1#0", "idlib-1#1"]),
    ({"since": "2024-03-04", "until": "2024-03-05"}, ["idlib-1#1", "baghdad/2#0", "baghdad/2#1"]),
    ({"bbox": "36,35,37,36"}, ["idlib-1#0"]),
    ({"bbox": "30,30,50,40"}, ["idlib-1#0", "baghdad/2#0"]),
    ({"bbox": "50,30,-170,40"}, ["tehran-3#0", "tehran-3#1"]),  # across the antimeridian
    ({"bbox": "36,36,37,35"}, ["idlib-1#0"]),  # latitudes in either order
    ({"country": "IRN"}, ["tehran-3#0", "tehran-3#1"]),
    ({"country": "irq"}, ["baghdad/2#0"]),
    ({"admin1": "idlib"}, ["idlib-1#0"]),
    ({"actor": "SYR-MIL"}, ["idlib-1#0", "idlib-1#1"]),  # as actor and as recipient
    ({"actor": "syrian arab army"}, ["idlib-1#0", "idlib-1#1"]),  # by name, any case
    ({"actor": "USA"}, ["baghdad/2#0", "tehran-3#1"]),
    ({"actor": "name:civilians"}, ["idlib-1#0"]),
    ({"actor": "Nobody"}, []),
    ({"event_type": "ASSAULT"}, ["idlib-1#0", "tehran-3#1"]),
    ({"event_type": "support"}, ["baghdad/2#1"]),
    ({"acled_event_type": "protests"}, ["tehran-3#0"]),
    ({"q": "LOYALTY"}, ["baghdad/2#1"]),
    ({"q": "strike"}, ["baghdad/2#0", "tehran-3#1"]),
    ({"q": "%"}, []),  # LIKE wildcards are literal
    ({"q": "_"}, []),
    ({"min_sources": 1}, ALL_IDS),
    ({"min_sources": 2}, []),  # one source per event until events are merged
    ({"country": "IRN", "event_type": "ASSAULT", "since": "2024-04-01"}, ["tehran-3#1"]),
])
def test_event_filters(client: httpx.Client, params: dict, expected: list[str]) -> None:
    assert ids(client, **params) == expected


def test_pagination_with_filters(client: httpx.Client) -> None:
    page = client.get("/api/events", params={"since": "2024-03-04", "limit": 2, "offset": 1}).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [e["event_id"] for e in page["items"]] == ["baghdad/2#0", "baghdad/2#1"]
    past = client.get("/api/events", params={"offset": 100}).json()
    assert past["items"] == [] and past["total"] == 6


def test_one_event_with_evidence_articles_sources(client: httpx.Client) -> None:
    r = client.get("/api/events/baghdad%2F2%230")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["event"]["event_type"] == "THREATEN"
    assert body["event"]["modality"]["condition"]["text"] == "if America intervenes"
    assert body["evidence"]["text"].startswith("Kataib Hezbollah warned")
    assert [a["id"] for a in body["articles"]] == ["baghdad/2"]
    assert body["sources"] == ["Agency"] and body["n_sources"] == 1
    assert_error(client.get("/api/events/nope%230"), 404, "not_found")


# -- actors, places, series, network ----------------------------------------------------------------


def test_actor_search(client: httpx.Client) -> None:
    body = client.get("/api/actors", params={"q": "hezbollah"}).json()
    assert [a["key"] for a in body["items"]] == ["kataib-hezbollah"] and body["total"] == 1
    assert body["items"][0]["events"] == 2
    everyone = client.get("/api/actors", params={"limit": 3}).json()
    assert everyone["total"] == 8 and len(everyone["items"]) == 3


def test_actor_page(client: httpx.Client) -> None:
    body = client.get("/api/actors/SYR-MIL").json()
    assert body["actor"]["name"] == "Syrian Arab Army" and body["actor"]["events"] == 2
    assert {e["event_id"] for e in body["events"]} == {"idlib-1#0", "idlib-1#1"}
    parts = {c["key"]: c for c in body["counterparts"]}
    assert parts["name:civilians"]["as_actor"] == 1 and parts["white-helmets"]["as_recipient"] == 1
    assert parts["white-helmets"]["families"] == {"verbal_conflict": 1}
    edges = {(e["source"], e["target"], e["family"]) for e in body["network"]["edges"]}
    assert edges == {("SYR-MIL", "name:civilians", "material_conflict"),
                     ("white-helmets", "SYR-MIL", "verbal_conflict")}
    by_name = client.get("/api/actors/kataib%20hezbollah").json()
    assert by_name["actor"]["key"] == "kataib-hezbollah"
    assert by_name["network"]["allegiance"] == [{"source": "kataib-hezbollah", "target": "khamenei", "weight": 1}]
    assert_error(client.get("/api/actors/nobody"), 404, "not_found")


def test_places(client: httpx.Client) -> None:
    body = client.get("/api/places").json()
    assert body["total"] == 3
    assert [(p["name"], p["events"]) for p in body["items"]][0] == ("Tehran", 2)
    only = client.get("/api/places", params={"country": "SYR"}).json()
    assert [p["name"] for p in only["items"]] == ["Kafr Nabl"] and only["items"][0]["admin1"] == "Idlib"


def test_timeseries(client: httpx.Client) -> None:
    body = client.get("/api/timeseries", params={"since": "2024-03-03", "until": "2024-03-06"}).json()
    days = {d["date"]: d for d in body["items"]}
    assert list(days) == ["2024-03-03", "2024-03-04", "2024-03-05", "2024-03-06"]
    assert days["2024-03-03"]["material_conflict"] == 1
    assert days["2024-03-05"]["verbal_conflict"] == 1 and days["2024-03-05"]["verbal_cooperation"] == 1
    assert days["2024-03-06"]["total"] == 0
    conflict = client.get("/api/timeseries", params={"family": "conflict", "country": "IRN", "by": "month"}).json()
    assert conflict["items"] == [{"date": "2024-04-01", "verbal_cooperation": 0, "material_cooperation": 0,
                                  "verbal_conflict": 0, "material_conflict": 2, "total": 2}]
    assert_error(client.get("/api/timeseries", params={"family": "nonsense"}), 422, "invalid_request")
    assert_error(client.get("/api/timeseries", params={"by": "hour"}), 422, "invalid_request")


def test_escalation(client: httpx.Client) -> None:
    iran = client.get("/api/escalation", params={"country": "IRN"}).json()["items"]
    assert [(d["date"], d["events"], d["index"]) for d in iran] == [("2024-04-10", 1, 5.0), ("2024-04-11", 1, 0.0)]
    dyad = client.get("/api/escalation", params={"dyad": "USA,kataib hezbollah"}).json()
    assert dyad["items"] == [{"date": "2024-03-05", "events": 1, "conflict": 1.75, "cooperation": 0.0,
                              "index": 1.75, "baseline": 0.0, "change": 1.75}]  # THREATEN 3.5, conditional x0.5
    assert_error(client.get("/api/escalation", params={"dyad": "USA"}), 422, "invalid_request")


def test_network(client: httpx.Client) -> None:
    body = client.get("/api/network").json()
    families = {(e["source"], e["target"]): e["family"] for e in body["edges"]}
    assert families[("kataib-hezbollah", "khamenei")] == "verbal_cooperation"
    assert families[("kataib-hezbollah", "USA")] == "verbal_conflict"
    assert body["allegiance"] == [{"source": "kataib-hezbollah", "target": "khamenei", "weight": 1}]
    nodes = {n["key"]: n for n in body["nodes"]}
    assert nodes["kataib-hezbollah"]["degree"] == 2 and nodes["USA"]["degree"] == 2
    assert nodes["SYR-MIL"]["weighted_degree"] == 2
    conflict = client.get("/api/network", params={"family": "material_conflict"}).json()
    assert {(e["source"], e["target"]) for e in conflict["edges"]} == {("SYR-MIL", "name:civilians"),
                                                                       ("USA", "IRN")}


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, params", [
    ("/api/events", {"limit": 0}), ("/api/events", {"limit": 5000}), ("/api/events", {"offset": -1}),
    ("/api/events", {"since": "yesterday"}), ("/api/events", {"bbox": "1,2,3"}),
    ("/api/events", {"bbox": "0,95,10,70"}), ("/api/events", {"bbox": "190,0,10,70"}),
    ("/api/events", {"country": "Syria"}), ("/api/events", {"event_type": "BOMBING"}),
    ("/api/events", {"min_sources": 0}), ("/api/places", {"limit": "many"}),
    ("/api/events", {"since": "0"}), ("/api/alerts", {"since": "0.5"}),  # no Unix times
    ("/api/actors", {"offset": 10**25}), ("/api/clusters", {"min_sources": 10**25}),  # no overflow (was 500)
    ("/api/events", {"q": "a\x00b"}), ("/api/events/a%00b", {}), ("/api/timeseries", {"family": "warlike"}),
    ("/api/escalation", {"dyad": "A,B,C"}),
])
def test_invalid_parameters_are_422(client: httpx.Client, path: str, params: dict) -> None:
    assert_error(client.get(path, params=params), 422, "invalid_request")


def test_not_found_and_method_bodies(client: httpx.Client) -> None:
    assert_error(client.get("/no/such/page"), 404, "not_found")
    assert_error(client.get("/api/articles/nope"), 404, "not_found")
    assert_error(client.delete("/api/events"), 405, "method_not_allowed")
    r = client.get("/api/events", params={"limit": 0})
    assert r.json()["error"]["details"][0]["loc"] == ["query", "limit"]
    assert r.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in r.headers


def test_post_needs_the_token(client: httpx.Client) -> None:
    article = {"id": "new-1", "text": "Protesters rallied in Basra."}
    err = assert_error(client.post("/api/articles", json=article), 401, "unauthorized")
    assert "Bearer" in err["message"]
    assert_error(client.post("/api/articles", json=article, headers={"Authorization": "Bearer wrong"}),
                 401, "unauthorized")
    assert_error(client.post("/api/articles", json=article, headers={"Authorization": API_TOKEN}),
                 401, "unauthorized")  # no scheme
    assert client.get("/api/events").json()["total"] == 6


def test_post_body_limit_is_413(client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    big = {"id": "big", "text": "x" * 5000}  # the server's limit is 4096 bytes here
    assert_error(client.post("/api/articles", json=big, headers=auth), 413, "payload_too_large")
    # no Content-Length (chunked): counted while read
    def body():
        yield b'{"id": "big", "text": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = client.post("/api/articles", content=body(), headers={**auth, "Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")
    assert client.get("/api/articles/big").status_code == 404


def test_post_rejects_bad_bodies(client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    assert_error(client.post("/api/articles", content=b"{not json", headers=auth), 422, "invalid_request")
    assert_error(client.post("/api/articles", json=[1, 2], headers=auth), 422, "invalid_request")
    # bodies breaking the declared schema are refused whole, nothing ingested
    for body in ({"text": "no id"}, {"id": True, "text": "x"}, [{"id": "ok", "text": "x"}, {"id": "b", "title": 3}],
                 "just a string", 42):
        assert_error(client.post("/api/articles", json=body, headers=auth), 422, "invalid_request")


@pytest.mark.slow
def test_post_ingests_through_the_pipeline(client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    articles = [{"id": "posted-1", "text": "Iranian drones struck a US base in Erbil on Monday.",
                 "published": "2024-05-06", "source": "API test"},
                {"id": "posted-bad", "text": "   "}]
    r = client.post("/api/articles", json=articles, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["received"], body["stored"], body["already_present"]) == (2, 1, 0)
    assert [x["input"] for x in body["rejected"]] == ["item 1"] and body["rejected"][0]["error"]["code"] == "E103"
    stored = client.get("/api/articles/posted-1").json()
    assert stored["source"] == "API test" and stored["events"]
    again = client.post("/api/articles", json=articles[0], headers=auth).json()
    assert (again["stored"], again["already_present"]) == (0, 1)


# -- hostile input -----------------------------------------------------------------------------------

INJECTIONS = ["' OR '1'='1", "'; DROP TABLE events; --", "\" OR \"\"=\"", "1); DELETE FROM articles; --",
              "%' OR 1=1 --", "Robert'); DROP TABLE actors;--", "\\' UNION SELECT * FROM articles --"]
TEXT_PARAMS = [("/api/events", "admin1"), ("/api/events", "actor"), ("/api/events", "acled_event_type"),
               ("/api/events", "q"), ("/api/events", "bbox"), ("/api/events", "country"),
               ("/api/events", "event_type"), ("/api/actors", "q"), ("/api/places", "q"),
               ("/api/escalation", "dyad"), ("/api/timeseries", "family"), ("/api/network", "actor")]


@pytest.mark.parametrize("injection", INJECTIONS)
def test_sql_injection_is_inert(client: httpx.Client, db_url: str, injection: str) -> None:
    before = client.get("/api/events").json()["total"]
    for path, param in TEXT_PARAMS:
        r = client.get(path, params={param: injection})
        assert r.status_code in (200, 422), (path, param, r.status_code, r.text)
        if r.status_code == 200 and "total" in r.json():
            assert r.json()["total"] == 0, (path, param)
    for path in ("/api/events/", "/api/actors/", "/api/articles/"):
        r = client.get(path + quote(injection, safe=""))
        assert r.status_code in (404, 422), (path, r.status_code)
    assert client.get("/api/events").json()["total"] == before
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        counts = [conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in ("articles", "events")]
    engine.dispose()
    assert counts[0] >= 3 and counts[1] >= 6  # nothing dropped or deleted


@pytest.mark.parametrize("path", [
    "/api/articles/..%2F..%2F..%2Fetc%2Fpasswd", "/api/articles/%2E%2E/%2E%2E/etc/passwd",
    "/docs/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd", "/docs/assets/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
])
def test_path_traversal(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert "root:" not in r.text


# -- token modes -------------------------------------------------------------------------------------


def test_post_refused_without_a_configured_token(db_url: str) -> None:
    proc, url = start(db_url)
    try:
        r = httpx.post(url + "api/articles", json={"id": "x", "text": "y"}, trust_env=False,
                       headers={"Authorization": "Bearer anything"})
        err = assert_error(r, 403, "forbidden")
        assert "MARSAD_API_TOKEN" in err["message"]
        assert httpx.get(url + "api/events", trust_env=False).status_code == 200  # reads open by default
    finally:
        stop_process(proc)


def test_read_token_mode(db_url: str) -> None:
    proc, url = start(db_url, MARSAD_READ_TOKEN_REQUIRED="true", MARSAD_READ_TOKEN=READ_TOKEN,
                      MARSAD_API_TOKEN=API_TOKEN)
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=30) as c:
            for path in ("/api/events", "/api/events/idlib-1%230", "/api/actors", "/api/places", "/api/network",
                         "/api/timeseries", "/api/escalation", "/api/articles/idlib-1", "/"):
                assert_error(c.get(path), 401, "unauthorized")
                assert c.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
                assert c.get(path, headers={"Authorization": f"Bearer {READ_TOKEN}"}).status_code == 200, path
            assert c.get("/api/events", headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 200
            assert c.get("/api/health").status_code == 200  # liveness stays open
            assert c.get("/docs").status_code == 200
            # the read token does not allow writing
            r = c.post("/api/articles", json={"id": "x", "text": "y"},
                       headers={"Authorization": f"Bearer {READ_TOKEN}"})
            assert_error(r, 401, "unauthorized")
    finally:
        stop_process(proc)


def test_read_token_required_but_none_configured(db_url: str) -> None:
    proc, url = start(db_url, MARSAD_READ_TOKEN_REQUIRED="true")
    try:
        err = assert_error(httpx.get(url + "api/events", trust_env=False), 403, "forbidden")
        assert "MARSAD_READ_TOKEN" in err["message"]
    finally:
        stop_process(proc)


def test_openapi_lists_the_endpoints(client: httpx.Client) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {"/api/events", "/api/events/{event_id}", "/api/actors", "/api/actors/{key}", "/api/places",
            "/api/timeseries", "/api/escalation", "/api/network", "/api/articles",
            "/api/articles/{article_id}", "/api/health"} <= paths


# -- the DataFrame API -------------------------------------------------------------------------------


@pytest.fixture
def filled(store: Store) -> Store:
    fill(store)
    return store


def test_events_frame(filled: Store) -> None:
    import pandas as pd

    df = marsad.events_frame(filled)
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(FLAT_COLUMNS)
    assert list(df["event_id"]) == ALL_IDS
    assert str(df["date"].dtype).startswith("datetime64")
    row = df.iloc[0]
    assert (row["actor_id"], row["country"], row["family"], row["fatalities"]) == ("SYR-MIL", "SYR",
                                                                                   "material_conflict", 4)
    assert list(marsad.events_frame(filled, country="IRN", since="2024-04-11")["event_id"]) == ["tehran-3#1"]
    assert marsad.events_frame(filled, actor="nobody").empty
    assert list(marsad.events_frame(filled, actor="nobody").columns) == list(FLAT_COLUMNS)
    with pytest.raises(TypeError, match="unknown event filter"):
        marsad.events_frame(filled, colour="red")


def test_events_frame_from_url(filled: Store) -> None:
    assert len(marsad.events_frame(filled.url, bbox="30,30,50,40")) == 2


def test_other_frames(filled: Store) -> None:
    actors = marsad.actors_frame(filled, q="hezbollah")
    assert list(actors["key"]) == ["kataib-hezbollah"] and actors["events"].iloc[0] == 2
    edges = marsad.network_frame(filled)
    assert list(edges.columns) == ["source", "source_name", "target", "target_name", "family", "weight",
                                   "allegiance"]
    assert edges.loc[edges["target"] == "khamenei", "allegiance"].tolist() == [True]
    esc = marsad.escalation_frame(filled, country="SYR")
    assert list(esc.columns) == ["date", "events", "conflict", "cooperation", "index", "baseline", "change"]
    assert esc["index"].tolist() == [9.5]  # ASSAULT:aerial; the accusation has no location


def test_polars_backend(filled: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    polars = pytest.importorskip("polars")
    df = marsad.events_frame(filled, backend="polars", event_type="assault")
    assert isinstance(df, polars.DataFrame) and df["event_id"].to_list() == ["idlib-1#0", "tehran-3#1"]
    assert isinstance(marsad.escalation_frame(filled, backend="polars", country="IRN"), polars.DataFrame)
    monkeypatch.setitem(sys.modules, "polars", None)  # as if not installed
    with pytest.raises(MarsadError, match="pip install polars") as info:
        marsad.events_frame(filled, backend="polars")
    assert info.value.code == "E402"
    with pytest.raises(ValueError, match="unknown backend"):
        marsad.actors_frame(filled, backend="excel")


@pytest.mark.slow
def test_alerts_commitments_and_clusters_endpoints(tmp_path):
    """The consolidated record over HTTP: a conditional threat kept as a commitment, a later event that
    meets its condition, the alert naming both; consolidated events with their sources."""
    from marsad.config import get_settings
    from marsad.models import Article
    from marsad.pipeline import ingest

    url = f"sqlite:///{tmp_path / 'a.db'}"
    with Store(url) as store:
        ingest(store, [
            Article(id="threat", published=date(2025, 6, 16), source="A",
                    text="Kataib Hezbollah warned on Monday that it would attack US bases in Iraq if the "
                         "United States attacks Iran."),
            Article(id="strike", published=date(2025, 6, 22), source="B",
                    text="The United States struck Iranian nuclear sites on Sunday."),
            Article(id="strike2", published=date(2025, 6, 22), source="C",
                    text="On Sunday the US military bombed nuclear facilities in Iran."),
        ], get_settings())
    proc, base = start(url)
    try:
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as c:
            commitments = c.get("/api/commitments").json()["items"]
            assert commitments and commitments[0]["author"]["key"] == "kataib-hezbollah"
            fired = c.get("/api/alerts").json()["items"]
            assert any(a["kind"] == "commitment" for a in fired), fired
            clusters = c.get("/api/clusters").json()["items"]
            assert clusters and c.get("/api/clusters", params={"min_sources": 99}).json()["items"] == []
            some = clusters[0]["mentions"][0]["event_id"]
            assert c.get(f"/api/clusters/of/{some}").json()["cluster_id"] == clusters[0]["cluster_id"]
            assert c.get("/api/clusters/of/nope").status_code == 404
            assert c.get("/api/alerts", params={"limit": 0}).status_code == 422
    finally:
        stop_process(proc)
