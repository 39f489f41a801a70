"""The records marsad produces (CONTRACT.md): plain pydantic models, the only thing downstream of the Doc."""
from __future__ import annotations

import hashlib
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

PLOVER_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)


def content_hash(text: str) -> str:
    """The key of an article's content: sha256 of its text (ingest is idempotent on it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Article(BaseModel):
    id: str
    text: str
    title: str | None = None
    published: date | None = None
    url: str | None = None
    source: str | None = None
    language: str | None = "en"

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


class Actor(BaseModel):
    id: str | None = None
    name: str
    text: str
    start: int | None = None
    end: int | None = None
    country: str | None = None
    sector: str | None = None
    acled_inter: int | None = Field(None, ge=1, le=8)
    parent: str | None = None


class Place(BaseModel):
    name: str
    text: str | None = None
    start: int | None = None
    end: int | None = None
    geonameid: int | None = None
    lat: float
    lon: float
    country: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    feature: str | None = None
    precision: int = Field(1, ge=1, le=3)


class Quantity(BaseModel):
    value: float | int
    unit: str
    approx: bool = False
    text: str


class Evidence(BaseModel):
    text: str
    start: int
    end: int


class Condition(BaseModel):
    text: str
    event_type: str | None = None
    actor: Actor | None = None


class Modality(BaseModel):
    negated: bool = False
    hypothetical: bool = False
    hedged: bool = False
    condition: Condition | None = None


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str
    article_id: str
    event_type: str
    mode: str | None = None
    context: list[str] = Field(default_factory=list)
    acled_event_type: str | None = None
    acled_sub_event_type: str | None = None
    actor: Actor | None = None
    recipient: Actor | None = None
    location: Place | None = None
    date: str | None = None
    date_precision: int | None = Field(None, ge=1, le=3)
    date_text: str | None = None
    fatalities: int | None = Field(None, ge=0)
    quantities: list[Quantity] = Field(default_factory=list)
    evidence: Evidence
    speaker: Actor | None = None
    modality: Modality = Field(default_factory=Modality)
    confidence: float = Field(0.5, ge=0, le=1)

    def to_json(self) -> dict:
        """The contract's JSON form: every key present, nulls included."""
        return self.model_dump(mode="json")
