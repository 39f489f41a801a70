"""Exporters over a real SQLite store: PLOVER JSONL, ACLED CSV, GeoJSON and Parquet."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
from conftest import make_actor, make_article, make_event, make_place

from marsad.export import ACLED_COLUMNS, EXPORTERS, FLAT_COLUMNS, export, register_exporter
from marsad.models import Modality, Quantity
from marsad.store import Store

SECRET_TEXT = "Paragraph nobody may copy out: 7f3a-secret."


def _export(store: Store, fmt: str = "plover-jsonl") -> tuple[int, list[dict]]:
    out = io.BytesIO()
    count = export(store, fmt, out)
    raw = out.getvalue()
    assert raw == b"" or raw.endswith(b"\n")
    lines = raw.decode("utf-8").splitlines()
    return count, [json.loads(line) for line in lines]


@pytest.fixture
def filled(sqlite_store: Store) -> Store:
    text = "Government forces shelled Kafr Nabl on Sunday, killing four civilians. " + SECRET_TEXT
    a1 = make_article("idlib-1", text=text, title="Shelling in Idlib", published=date(2024, 3, 4),
                      url="https://news.test/idlib-1", source="Wire", language="en")
    main = make_event(
        a1, 0, "ASSAULT",
        evidence="Government forces shelled Kafr Nabl on Sunday, killing four civilians.",
        mode="violence", context=["military"],
        acled_event_type="Explosions/Remote violence",
        acled_sub_event_type="Shelling/artillery/missile attack",
        actor=make_actor("Syrian Arab Army", "SYR-MIL", text="Government forces", start=0, end=17,
                         country="SYR", sector="MIL", acled_inter=1),
        recipient=make_actor("civilians", text="civilians", country="SYR", sector="CVL", acled_inter=7),
        location=make_place("Kafr Nabl", 169304, text="Kafr Nabl", start=26, end=35, lat=35.61, lon=36.56,
                            admin1="Idlib", admin2="Maarrat al-Nu'man", feature="PPL", precision=1),
        date="2024-03-03", date_precision=1, date_text="on Sunday", fatalities=4,
        quantities=[Quantity(value=4, unit="people", text="four civilians")],
        confidence=0.9,
    )
    a2 = make_article("talks-2", text="Turkey and Russia held talks in Ankara.")
    talks = make_event(a2, 0, "CONSULT", modality=Modality(hedged=True))
    sqlite_store.add_article(a1, [main])
    sqlite_store.add_article(a2, [talks])
    return sqlite_store


def test_plover_jsonl_maps_fields(filled: Store) -> None:
    count, records = _export(filled)
    assert count == 2 == len(records)
    rec, bare = records
    assert [r["id"] for r in records] == ["idlib-1#0", "talks-2#0"]  # marsad's event ids, stored order

    assert rec["event"] == ["ASSAULT"]
    assert rec["date"] == "2024-03-03"
    assert rec["mode"] == ["violence"]
    assert rec["context"] == ["military"]
    assert rec["quad_code"] == 4
    assert rec["actor"] == [{
        "code": "SYR", "sector": "MIL", "entity_text": "Government forces", "identifier_id": "SYR-MIL",
        "identifier_text": "Syrian Arab Army", "start": 0, "end": 17, "acled_inter": 1, "parent": None,
    }]
    assert rec["recipient"][0]["code"] == "SYR"
    assert rec["recipient"][0]["sector"] == "CVL"
    assert rec["recipient"][0]["identifier_id"] is None  # unresolved actor: no invented id
    loc = rec["event_loc"]
    assert loc["extracted_place"] == "Kafr Nabl" and loc["resolved_place"] == "Kafr Nabl"
    assert (loc["geonameid"], loc["lat"], loc["lon"]) == (169304, 35.61, 36.56)
    assert (loc["province"], loc["district"], loc["city"]) == ("Idlib", "Maarrat al-Nu'man", "Kafr Nabl")
    assert (loc["country_code"], loc["country"]) == ("SYR", "Syrian Arab Republic")
    assert (loc["feature_code"], loc["feature_class"], loc["resolution"]) == ("PPL", None, 4)
    evidence = "Government forces shelled Kafr Nabl on Sunday, killing four civilians."
    assert rec["event_text"] == [evidence]
    assert rec["text_info"]["start"] == 0 and rec["text_info"]["end"] == len(evidence)
    assert rec["cite_info"]["url"] == "https://news.test/idlib-1"
    assert rec["cite_info"]["title"] == "Shelling in Idlib"
    assert rec["cite_info"]["publication"] == "Wire"
    assert rec["cite_info"]["language"] == "en"
    assert rec["cite_info"]["citation"] == "idlib-1"
    assert rec["cite_info"]["coder"].startswith("marsad")
    assert rec["size"] == {"dead": 4, "injured": None, "arrested": None}
    assert rec["acled_event_type"] == "Explosions/Remote violence"
    assert rec["acled_sub_event_type"] == "Shelling/artillery/missile attack"
    assert (rec["date_precision"], rec["date_text"], rec["confidence"]) == (1, "on Sunday", 0.9)
    assert rec["quantities"][0]["text"] == "four civilians"
    coded = datetime.fromisoformat(rec["coded_date"] + "T" + rec["coded_time"])  # ISO 8601 as the manual asks
    assert coded.utcoffset() is not None

    # unknown stays null: nothing invented
    assert bare["event"] == ["CONSULT"] and bare["quad_code"] == 1
    for key in ("actor", "recipient", "event_loc", "mode", "context", "date", "size", "speaker", "text"):
        assert bare[key] is None, key
    assert bare["modality"]["hedged"] is True
    assert bare["cite_info"]["url"] is None


def test_plover_never_copies_the_article_text(filled: Store) -> None:
    out = io.BytesIO()
    export(filled, "plover-jsonl", out)
    assert b"7f3a-secret" not in out.getvalue()


def test_plover_empty_store(sqlite_store: Store) -> None:
    assert _export(sqlite_store) == (0, [])


def _bytes(store: Store, fmt: str) -> tuple[int, bytes]:
    out = io.BytesIO()
    return export(store, fmt, out), out.getvalue()


# ACLED's own column names (ACLED export / API, 2024), in ACLED's order
ACLED_NAMES = ["event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
               "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
               "interaction", "civilian_targeting", "iso", "iso3", "region", "country", "admin1", "admin2",
               "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
               "fatalities", "tags", "timestamp"]


def test_acled_csv(filled: Store) -> None:
    count, raw = _bytes(filled, "acled-csv")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert list(rows[0])[:len(ACLED_NAMES)] == ACLED_NAMES == list(ACLED_COLUMNS[:len(ACLED_NAMES)])
    assert count == 1 == len(rows)  # the talks have no ACLED type: ACLED would not record them
    row = rows[0]
    assert row["event_id_cnty"] == "idlib-1#0"
    assert (row["event_date"], row["year"], row["time_precision"]) == ("2024-03-03", "2024", "1")
    assert row["disorder_type"] == "Political violence"
    assert (row["event_type"], row["sub_event_type"]) == ("Explosions/Remote violence",
                                                          "Shelling/artillery/missile attack")
    assert (row["actor1"], row["inter1"], row["actor2"], row["inter2"]) == (
        "Syrian Arab Army", "State forces", "civilians", "Civilians")
    assert (row["interaction"], row["interaction_code"]) == ("State forces-Civilians", "17")
    assert (row["inter1_code"], row["inter2_code"]) == ("1", "7")
    assert row["civilian_targeting"] == "Civilian targeting"
    assert (row["iso"], row["iso3"], row["country"]) == ("760", "SYR", "Syrian Arab Republic")
    assert (row["admin1"], row["admin2"], row["location"]) == ("Idlib", "Maarrat al-Nu'man", "Kafr Nabl")
    assert (float(row["latitude"]), float(row["longitude"]), row["geo_precision"]) == (35.61, 36.56, "1")
    assert (row["source"], row["fatalities"]) == ("Wire", "4")
    assert row["notes"] == "Government forces shelled Kafr Nabl on Sunday, killing four civilians."
    assert "7f3a-secret" not in raw.decode()
    assert int(row["timestamp"]) > 1_700_000_000


def test_geojson(filled: Store) -> None:
    count, raw = _bytes(filled, "geojson")
    doc = json.loads(raw)
    assert doc["type"] == "FeatureCollection" and count == 1 == len(doc["features"])  # talks: no location
    feature = doc["features"][0]
    assert feature["type"] == "Feature" and feature["id"] == "idlib-1#0"
    assert feature["geometry"] == {"type": "Point", "coordinates": [36.56, 35.61]}  # lon, lat (RFC 7946)
    props = feature["properties"]
    assert (props["event_type"], props["family"], props["date"]) == ("ASSAULT", "material_conflict", "2024-03-03")
    assert (props["actor_id"], props["location"], props["country"]) == ("SYR-MIL", "Kafr Nabl", "SYR")
    assert props["fatalities"] == 4 and props["evidence"].startswith("Government forces shelled")


def test_parquet_is_readable_by_pyarrow(filled: Store) -> None:
    import pyarrow.parquet as pq

    count, raw = _bytes(filled, "parquet")
    assert count == 2 and raw[:4] == b"PAR1"
    table = pq.read_table(io.BytesIO(raw))
    assert table.column_names == list(FLAT_COLUMNS) and table.num_rows == 2
    rows = table.to_pylist()
    assert rows[0]["event_id"] == "idlib-1#0" and rows[0]["date"] == date(2024, 3, 3)
    assert (rows[0]["latitude"], rows[0]["actor_inter"], rows[0]["fatalities"]) == (35.61, 1, 4)
    assert rows[1]["hedged"] is True and rows[1]["latitude"] is None
    assert rows[0]["published"] == date(2024, 3, 4) and rows[0]["context"] == "military"


def test_empty_store_exports_valid_files(sqlite_store: Store) -> None:
    import pyarrow.parquet as pq

    assert json.loads(_bytes(sqlite_store, "geojson")[1]) == {"type": "FeatureCollection", "features": []}
    count, raw = _bytes(sqlite_store, "acled-csv")
    assert count == 0 and raw.decode().splitlines() == [",".join(ACLED_COLUMNS)]
    count, raw = _bytes(sqlite_store, "parquet")
    assert count == 0 and pq.read_table(io.BytesIO(raw)).num_rows == 0


def test_unknown_format_lists_valid_ones(filled: Store) -> None:
    with pytest.raises(ValueError) as info:
        export(filled, "xlsx", io.BytesIO())
    message = str(info.value)
    assert "'xlsx'" in message
    for fmt in ("acled-csv", "geojson", "parquet", "plover-jsonl"):
        assert fmt in message


def test_user_exporter_registers_like_builtins(filled: Store) -> None:
    assert {"acled-csv", "geojson", "parquet", "plover-jsonl"} <= set(EXPORTERS)

    @register_exporter("ids-txt")
    def ids(store: Store, out) -> int:
        n = 0
        for event in store.iter_events():
            out.write(event["event_id"].encode() + b"\n")
            n += 1
        return n

    try:
        out = io.BytesIO()
        assert export(filled, "ids-txt", out) == 2
        assert out.getvalue() == b"idlib-1#0\ntalks-2#0\n"
    finally:
        del EXPORTERS["ids-txt"]
