"""Exporters of stored events: a registry of name -> function(store, binary_out) -> number of records.

The built-in formats (plover-jsonl, acled-csv, geojson, parquet) register themselves with
`register_exporter`, exactly as a user's would.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any

import pycountry

from marsad.errors import MarsadError
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


# -- flat rows (Parquet, DataFrames) -----------------------------------------------------------------

# One event as one flat row: the columns of `marsad export --format parquet` and of `marsad.events_frame`.
FLAT_COLUMNS: dict[str, str] = {  # name -> Arrow type
    "event_id": "string", "article_id": "string", "date": "date32", "date_precision": "int8",
    "event_type": "string", "family": "string", "quad_code": "int8", "mode": "string", "context": "string",
    "acled_event_type": "string", "acled_sub_event_type": "string",
    "actor_id": "string", "actor_name": "string", "actor_country": "string", "actor_sector": "string",
    "actor_inter": "int8", "recipient_id": "string", "recipient_name": "string", "recipient_country": "string",
    "recipient_sector": "string", "recipient_inter": "int8", "speaker_name": "string",
    "location": "string", "country": "string", "admin1": "string", "admin2": "string", "geonameid": "int64",
    "latitude": "float64", "longitude": "float64", "geo_precision": "int8", "fatalities": "int32",
    "negated": "bool_", "hypothetical": "bool_", "hedged": "bool_", "condition": "string",
    "confidence": "float64", "evidence": "string", "evidence_start": "int32", "evidence_end": "int32",
    "title": "string", "source": "string", "url": "string", "published": "date32",
}
QUAD_FAMILIES = {1: "verbal_cooperation", 2: "material_cooperation", 3: "verbal_conflict", 4: "material_conflict"}


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def flat_event(event: dict, article: dict | None = None) -> dict[str, Any]:
    """A contract event (and its article's metadata) as one flat row of FLAT_COLUMNS."""
    article = article or {}
    actor, recipient = event.get("actor") or {}, event.get("recipient") or {}
    place, evidence = event.get("location") or {}, event.get("evidence") or {}
    modality = event.get("modality") or {}
    quad = PLOVER_QUAD.get(event["event_type"])
    return {
        "event_id": event["event_id"], "article_id": event.get("article_id"),
        "date": _iso_date(event.get("date")), "date_precision": event.get("date_precision"),
        "event_type": event["event_type"], "family": QUAD_FAMILIES.get(quad), "quad_code": quad,
        "mode": event.get("mode"), "context": ";".join(event.get("context") or []) or None,
        "acled_event_type": event.get("acled_event_type"), "acled_sub_event_type": event.get("acled_sub_event_type"),
        "actor_id": actor.get("id"), "actor_name": actor.get("name"), "actor_country": actor.get("country"),
        "actor_sector": actor.get("sector"), "actor_inter": actor.get("acled_inter"),
        "recipient_id": recipient.get("id"), "recipient_name": recipient.get("name"),
        "recipient_country": recipient.get("country"), "recipient_sector": recipient.get("sector"),
        "recipient_inter": recipient.get("acled_inter"), "speaker_name": (event.get("speaker") or {}).get("name"),
        "location": place.get("name"), "country": place.get("country"), "admin1": place.get("admin1"),
        "admin2": place.get("admin2"), "geonameid": place.get("geonameid"), "latitude": place.get("lat"),
        "longitude": place.get("lon"), "geo_precision": place.get("precision"),
        "fatalities": event.get("fatalities"), "negated": bool(modality.get("negated")),
        "hypothetical": bool(modality.get("hypothetical")), "hedged": bool(modality.get("hedged")),
        "condition": (modality.get("condition") or {}).get("text"), "confidence": event.get("confidence"),
        "evidence": evidence.get("text"), "evidence_start": evidence.get("start"),
        "evidence_end": evidence.get("end"), "title": article.get("title"), "source": article.get("source"),
        "url": article.get("url"), "published": _iso_date(article.get("published")),
    }


# -- ACLED CSV ---------------------------------------------------------------------------------------

# ACLED's interaction codes and their labels (ACLED codebook: inter1 / inter2; since 2024 ACLED writes labels).
ACLED_INTER = {1: "State forces", 2: "Rebel group", 3: "Political militia", 4: "Identity militia",
               5: "Rioters", 6: "Protesters", 7: "Civilians", 8: "External/Other forces"}
# ACLED's columns, in ACLED's order (event_id_cnty is marsad's event id: unique and stable), then ours.
ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "iso", "iso3", "region", "country", "admin1", "admin2", "admin3", "location",
    "latitude", "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags",
    "timestamp",
    # not ACLED's: the numeric codes beside the labels, and where the record came from
    "inter1_code", "inter2_code", "interaction_code", "plover_event_type", "article_id", "url",
)
_VIOLENT = {"Battles", "Explosions/Remote violence", "Violence against civilians"}


def _disorder_type(event_type: str, sub_event_type: str | None) -> str:
    """ACLED's disorder type of an event / sub-event type (ACLED codebook 2023, 'Disorder type')."""
    if event_type in _VIOLENT:
        return "Political violence"
    if event_type == "Riots" and sub_event_type == "Mob violence":
        return "Political violence; Demonstrations"
    if event_type in ("Protests", "Riots"):
        return "Demonstrations"
    return "Strategic developments"


def _interaction(inter1: int | None, inter2: int | None) -> tuple[int | None, str]:
    """ACLED's interaction: the two codes, lower first (17 'State forces-Civilians'), or one alone (60)."""
    if inter1 is None:
        return None, ""
    if inter2 is None:
        return inter1 * 10, f"{ACLED_INTER[inter1]} only"
    low, high = sorted((inter1, inter2))
    return low * 10 + high, f"{ACLED_INTER[low]}-{ACLED_INTER[high]}"


def to_acled(event: dict, article: dict | None = None) -> dict[str, Any] | None:
    """An event as one ACLED row, or None for an event ACLED would not record (no ACLED event type)."""
    if not event.get("acled_event_type"):
        return None
    article = article or {}
    a1, a2 = event.get("actor") or {}, event.get("recipient") or {}
    place = event.get("location") or {}
    inter1 = a1.get("acled_inter") if a1 else None
    inter2 = a2.get("acled_inter") if a2 else None
    code, label = _interaction(inter1, inter2)
    event_date = _iso_date(event.get("date"))
    iso3 = place.get("country")
    country = pycountry.countries.get(alpha_3=iso3) if iso3 else None
    ingested = _parse_datetime(article.get("ingested_at"))
    violent = event["acled_event_type"] in _VIOLENT
    return {
        "event_id_cnty": event["event_id"],
        "event_date": event_date.isoformat() if event_date else "",
        "year": event_date.year if event_date else "",
        "time_precision": event.get("date_precision") or "",
        "disorder_type": _disorder_type(event["acled_event_type"], event.get("acled_sub_event_type")),
        "event_type": event["acled_event_type"],
        "sub_event_type": event.get("acled_sub_event_type") or "",
        "actor1": a1.get("name", ""), "assoc_actor_1": "", "inter1": ACLED_INTER.get(inter1, ""),
        "actor2": a2.get("name", ""), "assoc_actor_2": "", "inter2": ACLED_INTER.get(inter2, ""),
        "interaction": label,
        "civilian_targeting": "Civilian targeting" if violent and inter2 == 7 else "",
        "iso": int(country.numeric) if country else "", "iso3": iso3 or "", "region": "",
        "country": country.name if country else "",
        "admin1": place.get("admin1") or "", "admin2": place.get("admin2") or "", "admin3": "",
        "location": place.get("name") or "",
        "latitude": place.get("lat", ""), "longitude": place.get("lon", ""),
        "geo_precision": place.get("precision", ""),
        "source": article.get("source") or "", "source_scale": "",
        "notes": (event.get("evidence") or {}).get("text", ""),
        "fatalities": event.get("fatalities") or 0,  # ACLED writes 0 when no number is reported
        "tags": "", "timestamp": int(ingested.timestamp()) if ingested else "",
        "inter1_code": inter1 or "", "inter2_code": inter2 or "", "interaction_code": code or "",
        "plover_event_type": event["event_type"], "article_id": event.get("article_id") or "",
        "url": article.get("url") or "",
    }


@register_exporter("acled-csv")
def export_acled_csv(store: Store, out: IO[bytes]) -> int:
    """ACLED-style CSV (ACLED's column names, order, labels and codes) of the events that have an ACLED
    event type; events ACLED does not record (talks, statements of support ...) are left out."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.DictWriter(text, fieldnames=ACLED_COLUMNS, lineterminator="\n")
        writer.writeheader()
        count = 0
        for event, article in store.iter_event_rows():
            row = to_acled(event, article)
            if row is not None:
                writer.writerow(row)
                count += 1
        text.flush()
    finally:
        text.detach()  # leave `out` open for the caller
    return count


# -- GeoJSON -----------------------------------------------------------------------------------------

_GEO_PROPERTIES = ("event_id", "article_id", "date", "event_type", "family", "mode", "acled_event_type",
                   "acled_sub_event_type", "actor_id", "actor_name", "recipient_id", "recipient_name",
                   "location", "country", "admin1", "admin2", "geonameid", "geo_precision", "fatalities",
                   "negated", "hypothetical", "confidence", "evidence", "source", "url")


def to_feature(event: dict, article: dict | None = None) -> dict[str, Any] | None:
    """A GeoJSON Feature (RFC 7946: Point, [longitude, latitude]) of an event with a location, else None."""
    place = event.get("location")
    if not place or place.get("lat") is None or place.get("lon") is None:
        return None
    flat = flat_event(event, article)
    props = {k: flat[k] for k in _GEO_PROPERTIES}
    props["date"] = props["date"].isoformat() if props["date"] else None
    return {"type": "Feature", "id": event["event_id"],
            "geometry": {"type": "Point", "coordinates": [place["lon"], place["lat"]]}, "properties": props}


@register_exporter("geojson")
def export_geojson(store: Store, out: IO[bytes]) -> int:
    """A GeoJSON FeatureCollection of the events that have a location (written as a stream)."""
    out.write(b'{"type":"FeatureCollection","features":[\n')
    count = 0
    for event, article in store.iter_event_rows():
        feature = to_feature(event, article)
        if feature is not None:
            out.write((b",\n" if count else b"") + json.dumps(feature, ensure_ascii=False).encode("utf-8"))
            count += 1
    out.write(b"\n]}\n")
    return count


# -- Parquet -----------------------------------------------------------------------------------------


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise MarsadError("Parquet export needs pyarrow: pip install pyarrow", code="E402") from None
    return pyarrow


def arrow_schema() -> Any:
    pa = _pyarrow()
    return pa.schema([(name, getattr(pa, kind)()) for name, kind in FLAT_COLUMNS.items()])


@register_exporter("parquet")
def export_parquet(store: Store, out: IO[bytes], batch_size: int = 10_000) -> int:
    """Every event as one flat row (FLAT_COLUMNS) in a Parquet file, for DuckDB / Polars / pandas."""
    pa = _pyarrow()
    schema = arrow_schema()
    count = 0
    batch: list[dict] = []
    with pa.parquet.ParquetWriter(out, schema, compression="zstd") as writer:
        for event, article in store.iter_event_rows():
            batch.append(flat_event(event, article))
            if len(batch) >= batch_size:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or not count:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
