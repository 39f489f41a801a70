"""The actor registry: canonical actors with aliases, loaded from data files, and lookup by normalised name."""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import pycountry

from ..resources import data_text

# Spelling variants that the press uses for the same Arabic / Persian word; folded before lookup.
_VARIANTS = [
    (re.compile(r"\bkata(?:e|'i|i)b\b"), "kataib"),
    (re.compile(r"\bhi[sz]b[ua]llah\b|\bhizbollah\b|\bhezbullah\b"), "hezbollah"),
    (re.compile(r"\bm[ou]?ha?m+[ae]d\b"), "muhammad"),
    (re.compile(r"\bqass?em\b"), "qasem"),
    (re.compile(r"\b(?:el|ad|as|ash|an|ar|az)(?= )"), "al"),
]


def normalise(name: str) -> str:
    """Fold case, diacritics, apostrophes, hyphens, a leading 'the' and common transliteration variants."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[’‘'`ʼʿʾ]", "", s).replace(".", "")
    s = re.sub(r"[-‐‑–—_]", " ", s)
    s = re.sub(r"[^\w\s]", " ", s)
    s = " ".join(s.split())
    s = re.sub(r"^the ", "", s)
    for pattern, repl in _VARIANTS:
        s = pattern.sub(repl, s)
    return s


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    kind: str
    country: str | None = None
    sector: str | None = None
    acled_inter: int | None = None
    parent: str | None = None
    aliases: tuple[str, ...] = field(default=(), compare=False)


def _data_lines(name: str) -> list[str]:
    text = data_text(name)
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def _tsv(name: str) -> dict[str, str]:
    return dict(ln.split("\t")[:2] for ln in _data_lines(name))


class Registry:
    """Actors by id and by normalised alias; states' governments and militaries generated from pycountry."""

    def __init__(self, entries: list[Entry], demonyms: dict[str, str], capitals: dict[str, str]) -> None:
        self.by_id = {e.id: e for e in entries}
        self.demonyms = demonyms
        self.capitals = capitals
        self._alias: dict[str, Entry] = {}
        for e in entries:
            for alias in (e.name, *e.aliases):
                self._alias.setdefault(normalise(alias), e)

    def lookup(self, text: str) -> Entry | None:
        """The actor a name refers to, or None. Capitals and country names stand for the government."""
        key = normalise(text)
        if key in self._alias:
            return self._alias[key]
        if key in self.capitals:
            return self.by_id.get(f"{self.capitals[key]}-GOV")
        return None

    def country_of_word(self, word: str) -> str | None:
        """ISO3 of a demonym ('Iraqi') or country name ('Iraq'), else None."""
        key = normalise(word)
        if key in self.demonyms:
            return self.demonyms[key]
        e = self._alias.get(key)
        return e.country if e is not None and e.kind == "state" else None

    def __len__(self) -> int:
        return len(self.by_id)


_EXTRA_COUNTRY_NAMES = {
    "USA": ["United States", "United States of America", "US", "U.S.", "USA", "America"],
    "GBR": ["Britain", "UK", "U.K.", "Great Britain"],
    "RUS": ["Russia"], "IRN": ["Iran", "Islamic Republic of Iran"], "SYR": ["Syria"],
    "KOR": ["South Korea"], "PRK": ["North Korea"], "PSE": ["Palestine", "Palestinian territories"],
    "TUR": ["Turkey", "Türkiye"], "ARE": ["UAE", "United Arab Emirates"],
}


def _state_entries(demonym_of: dict[str, str]) -> list[Entry]:
    entries: list[Entry] = []
    for c in pycountry.countries:
        iso3 = c.alpha_3
        names = {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name),
                 *_EXTRA_COUNTRY_NAMES.get(iso3, [])}
        short = _EXTRA_COUNTRY_NAMES.get(iso3, [getattr(c, "common_name", c.name)])[0]
        if "," in short:
            short = short.split(",")[0]
        adjs = [d for d, code in demonym_of.items() if code == iso3]
        gov = [*names, *(f"{n}{s} government" for n in names for s in ("", "s")), *(f"government of {n}" for n in names),
               *(f"{a} government" for a in adjs), *(f"{a} authorities" for a in adjs)]
        mil = [*(f"{a} {w}" for a in adjs for w in ("military", "army", "armed forces", "forces", "troops")),
               *(f"{n}{s} {w}" for n in names for s in ("", "s") for w in ("military", "army", "armed forces"))]
        entries.append(Entry(f"{iso3}-GOV", f"Government of {short}", "state", iso3, "GOV", 1, None, tuple(gov)))
        entries.append(Entry(f"{iso3}-MIL", f"Military Forces of {short}", "state", iso3, "MIL", 1, None, tuple(mil)))
    return entries


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The shipped registry (data/actors): core actors plus generated state actors."""
    demonyms = _tsv("actors/demonyms.tsv")
    capitals = _tsv("actors/capitals.tsv")
    core = []
    for ln in _data_lines("actors/core.jsonl"):
        d = json.loads(ln)
        core.append(Entry(d["id"], d["name"], d["kind"], d.get("country"), d.get("sector"), d.get("acled_inter"),
                          d.get("parent"), tuple(d.get("aliases") or ())))
    # core entries first: an alias they claim ("Iraqi military" -> IDF? no: IDF claims "Israeli military") wins
    return Registry(core + _state_entries(demonyms), demonyms, capitals)
