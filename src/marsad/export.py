"""Exporters of stored events: a registry of name -> function(store, binary_out) -> number of records.

The built-in formats register themselves with `register_exporter`, exactly as a user's would.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any

import pycountry

from marsad.errors import NotImplementedYet
from marsad.store import Store

Exporter = Callable[[Store, IO[bytes]], int]

EXPORTERS: dict[str, Exporter] = {}

# PLOVER manual (draft 2.0), "Quad category" of each event type, as given in each type's own section.
# (The manual's summary table lists SANCTION under verbal conflict; its SANCTION section and the
# category overview table both say material conflict, so we follow those.)
PLOVER_QUAD: dict[str, int] = {
    **dict.fromkeys(("AGREE", "CONSULT", "SUPPORT", "CONCEDE"), 1),
    **dict.fromkeys(("COOPERATE", "AID", "RETREAT"), 2),
    **dict.fromkeys(("REQUEST", "ACCUSE", "REJECT", "THREATEN"), 3),
    **dict.fromkeys(("PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"), 4),
}
PLOVER_CODEBOOK = "PLOVER 2.0 (draft)"


def register_exporter(name: str) -> Callable[[Exporter], Exporter]:
    """Decorator: make `fn(store, binary_out) -> count` available as export format `name`."""

    def decorate(fn: Exporter) -> Exporter:
        EXPORTERS[name] = fn
        return fn

    return decorate


def export(store: Store, fmt: str, out: IO[bytes]) -> int:
    """Write every stored event to `out` in format `fmt`; returns how many records were written."""
    try:
        exporter = EXPORTERS[fmt]
    except KeyError:
        valid = ", ".join(sorted(EXPORTERS))
        raise ValueError(f"unknown export format {fmt!r}; valid formats: {valid}") from None
    return exporter(store, out)


# -- PLOVER JSONL ------------------------------------------------------------------------------------


@register_exporter("plover-jsonl")
def export_plover_jsonl(store: Store, out: IO[bytes]) -> int:
    """One PLOVER JSON record a line (PLOVER manual, chapter "Data Fields"), in stored order."""
    count = 0
    for event, article in store.iter_event_rows():
        line = json.dumps(to_plover(event, article), ensure_ascii=False, separators=(",", ":"))
        out.write(line.encode("utf-8") + b"\n")
        count += 1
    return count


def to_plover(event: dict, article: dict | None = None) -> dict[str, Any]:
    """A marsad event (contract dict) as a PLOVER JSON record.

    Every field of the manual's table is present, null where marsad does not know it. Fields PLOVER has
    no name for (ACLED types, date precision, modality, confidence ...) follow as extra named fields,
    which the manual allows. The article text is never copied (`text` is only for rights holders).
    """
    article = article or {}
    evidence = event.get("evidence") or {}
    coded = _parse_datetime(article.get("ingested_at"))
    fatalities = event.get("fatalities")
    return {
        "id": event["event_id"],
        "has_event": True,
        "date": event.get("date"),
        "time": None,
        "enddate": None,
        "endtime": None,
        "actor": _entities(event.get("actor")),
        "recipient": _entities(event.get("recipient")),
        "event": [event["event_type"]],
        "event_loc": _location(event.get("location")),
        "event_text": [evidence["text"]] if evidence.get("text") else None,
        "quad_code": PLOVER_QUAD.get(event["event_type"]),
        "event_scale": None,
        "mode": [event["mode"]] if event.get("mode") else None,
        "context": list(event["context"]) if event.get("context") else None,
        "link": None,
        "text": None,
        "text_info": {
            "sequence": None,
            "start": evidence.get("start"),
            "end": evidence.get("end"),
            "text_story": None,
        },
        "cite_info": {
            "corpus": None,
            "citation": event.get("article_id"),
            "url": article.get("url"),
            "title": article.get("title"),
            "language": article.get("language"),
            "publication": article.get("source"),
            "license": None,
            "copyright": None,
            "coder": _coder(),
            "codebook": PLOVER_CODEBOOK,
            "version": None,
        },
        "coder": _coder(),
        "coded_date": coded.date().isoformat() if coded else None,
        "coded_time": coded.timetz().isoformat(timespec="seconds") if coded else None,
        "comment": None,
        # extra named fields (manual: "Providers should feel free to include named fields beyond those")
        "size": {"dead": fatalities, "injured": None, "arrested": None} if fatalities is not None else None,
        "article_id": event.get("article_id"),
        "published": article.get("published"),
        "acled_event_type": event.get("acled_event_type"),
        "acled_sub_event_type": event.get("acled_sub_event_type"),
        "date_precision": event.get("date_precision"),
        "date_text": event.get("date_text"),
        "quantities": event.get("quantities") or [],
        "speaker": _entity(event["speaker"]) if event.get("speaker") else None,
        "modality": event.get("modality"),
        "confidence": event.get("confidence"),
    }


def _entities(actor: dict | None) -> list[dict] | None:
    return [_entity(actor)] if actor else None


def _entity(actor: dict) -> dict[str, Any]:
    """A contract ACTOR as a PLOVER entity object (manual table "Information object for entities")."""
    return {
        "code": actor.get("country"),
        "sector": actor.get("sector"),
        "entity_text": actor.get("text"),
        "identifier_id": actor.get("id"),
        "identifier_text": actor.get("name"),
        "start": actor.get("start"),
        "end": actor.get("end"),
        "acled_inter": actor.get("acled_inter"),
        "parent": actor.get("parent"),
    }


def _location(place: dict | None) -> dict[str, Any] | None:
    """A contract PLACE as a PLOVER location object (manual table "Location object", GeoNames names)."""
    if not place:
        return None
    feature = place.get("feature")
    feature_class, feature_code = None, feature
    if feature and "." in feature:  # GeoNames' own "P.PPLA" notation
        feature_class, feature_code = feature.split(".", 1)
    code = (feature_code or "").upper()
    return {
        "extracted_place": place.get("text"),
        "resolved_place": place.get("name"),
        "geonameid": place.get("geonameid"),
        "lat": place.get("lat"),
        "lon": place.get("lon"),
        "city": place.get("name") if code.startswith("PPL") else None,
        "district": place.get("admin2"),
        "province": place.get("admin1"),
        "country": _country_name(place.get("country")),
        "country_code": place.get("country"),
        "feature_class": feature_class,
        "feature_code": feature_code,
        "resolution": _resolution(code),
        "start": place.get("start"),
        "end": place.get("end"),
        "geo_precision": place.get("precision"),
    }


def _resolution(feature_code: str) -> int | None:
    """PLOVER resolution (5 sub-city, 4 city, 3 district, 2 province, 1 country) where the code says it."""
    if feature_code == "PPLX":
        return 5
    if feature_code.startswith("PPL"):
        return 4
    if feature_code == "ADM2":
        return 3
    if feature_code == "ADM1":
        return 2
    if feature_code.startswith("PCL"):
        return 1
    return None


@lru_cache(maxsize=512)
def _country_name(iso3: str | None) -> str | None:
    if not iso3:
        return None
    country = pycountry.countries.get(alpha_3=iso3)
    return country.name if country else None


@lru_cache(maxsize=1)
def _coder() -> str:
    try:
        return f"marsad {version('marsad')}"
    except PackageNotFoundError:
        return "marsad"


def _parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# -- formats to come ---------------------------------------------------------------------------------


def _not_yet(name: str) -> Exporter:
    def exporter(store: Store, out: IO[bytes]) -> int:
        raise NotImplementedYet(f"export format {name} is not implemented yet")

    exporter.__doc__ = f"{name}: not implemented yet."
    return exporter


for _name in ("acled-csv", "geojson", "parquet"):
    register_exporter(_name)(_not_yet(_name))
