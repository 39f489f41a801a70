"""Exporters over a real SQLite store: PLOVER JSONL for real, the rest registered but not yet written."""
from __future__ import annotations

import io
import json
from datetime import date, datetime

import pytest
from conftest import make_actor, make_article, make_event, make_place

from marsad.errors import MarsadError, NotImplementedYet
from marsad.export import EXPORTERS, export, register_exporter
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


def test_not_yet_formats(filled: Store) -> None:
    for fmt in ("acled-csv", "geojson", "parquet"):
        with pytest.raises(NotImplementedYet, match=f"export format {fmt} is not implemented yet") as info:
            export(filled, fmt, io.BytesIO())
        assert isinstance(info.value, MarsadError) and info.value.code == "E401"


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
