"""The actor registry: well-formed entries and lookup through the press's spelling variants."""
from __future__ import annotations

import json
from importlib import resources

import pytest

from marsad.resolve.registry import load_registry, normalise

SECTORS = {"GOV", "MIL", "REB", "PTY", "REL", "CVL", "IGO", "MED", "LEG", "EDU", "BUS", "JUD", "COP", "OPP", "SPY"}


def test_every_core_entry_is_well_formed():
    text = resources.files("marsad.data").joinpath("actors/core.jsonl").read_text(encoding="utf-8")
    reg = load_registry()
    ids = set()
    for line in text.splitlines():
        d = json.loads(line)
        assert d["id"] not in ids, d["id"]
        ids.add(d["id"])
        assert d["name"] and d["kind"] in {"org", "person", "group"} and d["source"]
        assert d["country"] is None or len(d["country"]) == 3
        assert d["sector"] in SECTORS
        assert d["acled_inter"] is None or 1 <= d["acled_inter"] <= 8
        assert d["parent"] is None or d["parent"] in reg.by_id, d["parent"]


@pytest.mark.parametrize("variant, canonical", [
    ("Kataeb Hezbollah", "kataib-hezbollah"), ("Kata'ib Hizballah", "kataib-hezbollah"),
    ("KATAIB HEZBOLLAH", "kataib-hezbollah"), ("Hizbullah", "hezbollah"),
    ("Mohammad Shia al-Sudani", "mohammed-shia-al-sudani"), ("Central Command", "centcom"),
    ("the United States", "USA-GOV"), ("America", "USA-GOV"), ("Washington", "USA-GOV"),
    ("Baghdad", "IRQ-GOV"), ("the Iraqi government", "IRQ-GOV"), ("Iraq's military", "IRQ-MIL"),
    ("Iranian army", "IRN-MIL"), ("Israeli army", "idf"),
])
def test_lookup_meets_variants(variant, canonical):
    entry = load_registry().lookup(variant)
    assert entry is not None and entry.id == canonical


def test_unknown_names_and_demonyms():
    reg = load_registry()
    assert reg.lookup("Shiite seminary students") is None
    assert reg.country_of_word("Iraqi") == "IRQ" and reg.country_of_word("Zionist") == "ISR"
    assert normalise("El-Sisi") == normalise("al-Sisi")
