"""The actor registry: canonical actors with aliases, loaded from data files, and lookup by normalised name."""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pycountry
from rapidfuzz import fuzz, process

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
    wikidata: str | None = field(default=None, compare=False)
    roles: tuple[dict, ...] = field(default=(), compare=False)  # {"title", "org", "start", "end"} of a person


def _data_lines(name: str) -> list[str]:
    text = data_text(name)
    return [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def _tsv(name: str) -> dict[str, str]:
    return dict(ln.split("\t")[:2] for ln in _data_lines(name))


# Titles and honorifics before a name: "President Donald Trump", "Brigadier-General Mohammad Akraminia".
_TITLES = re.compile(
    r"^(?:(?:us|u s|iraqi|iranian|israeli|former|acting|deputy|then|late|vice|lt|lieutenant|maj|major|brig|"
    r"brigadier|rear|gen|general|admiral|colonel|col|commander|chief|president|prime minister|pm|"
    r"foreign|defen[cs]e|interior|minister|secretary|senator|sen|rep|ambassador|spokes(?:man|woman|person)|"
    r"sheikh|shaykh|sayyed|sayyid|ayatollah|grand|imam|hojatoleslam|mullah|king|emir|crown prince|prince|"
    r"dr|mr|mrs|ms|sir)\s+)+")
# "the Iranian president", "Iraq's prime minister": a role of a country, filled by whoever held it then.
_ROLE_PHRASE = re.compile(r"^(?P<who>[a-z ]+?) (?P<title>(?:[a-z]+ )*(?:president|prime minister|minister|"
                          r"supreme leader|king|emir|crown prince|chief of staff|secretary general|leader|"
                          r"speaker|commander|chief))$")
# rapidfuzz ratio (0-100), chosen on eval/data/actor_mentions.tsv (eval/actor_resolution.py sweeps it): at 90
# "Haider al-Saadi" became Haider al-Abadi and "self-defense forces" the IDF; 95 keeps real variants
# ("Katayib Hezbollah", "Kataib Hezbolah") and drops those.
FUZZY_CUTOFF = 95
CACHE_SIZE = 100_000  # lookups remembered (names x dates)
FUZZY_MIN_LEN = 8  # shorter names are acronyms or too close to other words to match loosely


def bare_name(text: str) -> str:
    """A name normalised and without the titles before it: 'Sheikh Ali al-Maliki' -> 'ali al maliki'."""
    return _TITLES.sub("", normalise(text))


def _period_bound(s: str | None, end: bool) -> date | None:
    """A role's start or end ('2025', '2025-01', '2025-01-20') as a date: the first day of the period for a
    start, the last for an end."""
    if not s:
        return None
    parts = [int(p) for p in s.split("-")[:3]]
    y, m, d = parts + [None] * (3 - len(parts))
    if not end:
        return date(y, m or 1, d or 1)
    if m is None:
        return date(y, 12, 31)
    return date(y, m, d) if d else (date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1))


class Registry:
    """Actors by id and by normalised alias; states' governments and militaries generated from pycountry.

    Lookup order: exact alias (after `normalise`), a capital standing for its government, the name without
    titles or a leading 'al', a country's role ("the Iranian president") filled by the person who held it
    at the given date, then a fuzzy match of long names (typos, unlisted transliterations)."""

    def __init__(self, entries: list[Entry], demonyms: dict[str, str], capitals: dict[str, str]) -> None:
        self.by_id = {e.id: e for e in entries}
        self.demonyms = demonyms
        self.capitals = capitals
        self._alias: dict[str, Entry] = {}
        for e in entries:
            for alias in (e.name, *e.aliases):
                self._alias.setdefault(normalise(alias), e)
        self._fuzzy_keys = [k for k, e in self._alias.items() if len(k) >= FUZZY_MIN_LEN and e.kind != "state"]
        self._cache: dict[tuple[str, date | None], Entry | None] = {}

    def lookup(self, text: str, when: date | None = None) -> Entry | None:
        """The actor a name refers to at date `when` (roles change hands), or None."""
        key = normalise(text)
        ck = (key, when)
        if ck not in self._cache:
            if len(self._cache) >= CACHE_SIZE:  # a worker codes millions of articles: memory stays bounded
                self._cache.clear()
            self._cache[ck] = self._lookup(key, when)
        return self._cache[ck]

    def _lookup(self, key: str, when: date | None) -> Entry | None:
        if key in self._alias:
            return self._alias[key]
        if key in self.capitals:
            return self.by_id.get(f"{self.capitals[key]}-GOV")
        bare = _TITLES.sub("", key)  # key is normalised already
        for k in (bare, bare[3:] if bare.startswith("al ") else None):
            if k and k != key and k in self._alias:
                return self._alias[k]
        if (m := _ROLE_PHRASE.match(key)) and (holder := self.role_holder(m["who"], m["title"], when)):
            return holder
        if len(key) >= FUZZY_MIN_LEN and not key.isupper():
            best = process.extractOne(key, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if best is not None:
                return self._alias[best[0]]
        return None

    def role_holder(self, who: str, title: str, when: date | None) -> Entry | None:
        """The person holding `title` ('president') for `who` (a country or its adjective) at `when`; with no
        date, the one whose role has no end. None when it cannot be told."""
        country = self.country_of_word(who)
        if country is None and who.endswith("s"):  # "irans" (apostrophe gone): Iran's
            country = self.country_of_word(who[:-1])
        if country is None:
            return None
        found = []
        for e in self.by_id.values():
            for r in e.roles:
                org = self.by_id.get(r.get("org") or "")
                if org is None or org.country != country or normalise(r.get("title") or "").split(" of ")[0] != title:
                    continue
                start, end = _period_bound(r.get("start"), False), _period_bound(r.get("end"), True)
                if when is None and end is None or when is not None and (
                        (start or date.min) <= when <= (end or date.max)):
                    found.append(e)
        return found[0] if len(set(found)) == 1 else None

    def add(self, d: dict) -> Entry:
        """A user's record: new aliases for a known actor, or a new actor. Its aliases win over the shipped
        ones (the user's word is the last)."""
        old = self.by_id.get(d["id"])
        if old is not None:
            entry = replace(old, aliases=(*old.aliases, *d.get("aliases", ())))
        else:
            entry = entry_from_dict(d)
        self.by_id[entry.id] = entry
        for alias in (entry.name, *entry.aliases):
            self._alias[normalise(alias)] = entry
        self._fuzzy_keys = [k for k, e in self._alias.items() if len(k) >= FUZZY_MIN_LEN and e.kind != "state"]
        self._cache.clear()
        return entry

    def search(self, query: str, limit: int = 20) -> list[Entry]:
        """Actors whose name or an alias contains `query` (normalised), best first; then fuzzy matches."""
        key = normalise(query)
        if not key:
            return list(self.by_id.values())[:limit]
        found: dict[str, Entry] = {}
        if (hit := self.lookup(query)) is not None:
            found[hit.id] = hit
        for alias, e in sorted(self._alias.items(), key=lambda kv: (len(kv[0]), kv[0])):
            if key in alias:
                found.setdefault(e.id, e)
        for alias, _, _ in process.extract(key, list(self._alias), scorer=fuzz.WRatio, limit=limit,
                                           score_cutoff=85):
            found.setdefault(self._alias[alias].id, self._alias[alias])
        return list(found.values())[:limit]

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


KINDS = {"state", "org", "person", "group", "igo"}
SECTORS = {"GOV", "MIL", "REB", "PTY", "REL", "CVL", "IGO", "NGO", "MED", "LEG", "EDU", "BUS", "JUD", "COP",
           "OPP", "SPY", "REF", "LAB", "CRM", "ELI", "HLH", "AGR", "UAF", "INS", "MNC", "IMG"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


def problems(d: dict, known_ids: set[str]) -> list[str]:
    """What is wrong with one registry record (empty when it is well formed). `known_ids`: ids a parent
    or a role's organisation may name."""
    out = []
    if not isinstance(d.get("id"), str) or not _ID.match(d["id"]):
        out.append(f"id {d.get('id')!r}: letters, digits and - _ . : only")
    if not isinstance(d.get("name"), str) or not d["name"].strip():
        out.append("name: a non-empty string is required")
    if d.get("kind") not in KINDS:
        out.append(f"kind {d.get('kind')!r}: one of {sorted(KINDS)}")
    if d.get("country") is not None and pycountry.countries.get(alpha_3=str(d["country"])) is None:
        out.append(f"country {d['country']!r}: not an ISO 3166 alpha-3 code")
    if d.get("sector") is not None and d["sector"] not in SECTORS:
        out.append(f"sector {d['sector']!r}: one of {sorted(SECTORS)}")
    inter = d.get("acled_inter")
    if inter is not None and (not isinstance(inter, int) or isinstance(inter, bool) or not 1 <= inter <= 8):
        out.append(f"acled_inter {inter!r}: an integer 1..8")
    if d.get("parent") is not None and d["parent"] not in known_ids:
        out.append(f"parent {d['parent']!r}: no such actor")
    aliases = d.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        out.append("aliases: a list of non-empty strings")
    if d.get("wikidata") is not None and not re.fullmatch(r"Q\d+", str(d["wikidata"])):
        out.append(f"wikidata {d['wikidata']!r}: a Q-id like Q12345")
    for r in d.get("roles") or []:
        if not isinstance(r, dict) or not r.get("title") or r.get("org") not in known_ids:
            out.append(f"role {r!r}: needs a title and the id of a known organisation")
    return out


def entry_from_dict(d: dict) -> Entry:
    """An Entry from one registry JSON line."""
    return Entry(d["id"], d["name"], d["kind"], d.get("country"), d.get("sector"), d.get("acled_inter"),
                 d.get("parent"), tuple(d.get("aliases") or ()), d.get("wikidata"), tuple(d.get("roles") or ()))


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    """The shipped registry (data/actors/*.jsonl, core.jsonl first) plus generated state actors."""
    demonyms = _tsv("actors/demonyms.tsv")
    capitals = _tsv("actors/capitals.tsv")
    files = sorted((f.name for f in resources.files("marsad.data").joinpath("actors").iterdir()
                    if f.name.endswith(".jsonl")), key=lambda n: (n != "core.jsonl", n))
    core = [entry_from_dict(json.loads(ln)) for name in files for ln in _data_lines(f"actors/{name}")]
    # core entries first: an alias they claim ("Iraqi military" -> IDF? no: IDF claims "Israeli military") wins
    reg = Registry(core + _state_entries(demonyms), demonyms, capitals)
    for d in read_user_records():
        reg.add(d)
    return reg


def user_file() -> Path:
    """The user's own registry additions (JSON lines, same fields as the shipped files) in the data dir."""
    from ..config import get_settings

    return get_settings().data_dir / "actors.jsonl"


def read_user_records() -> list[dict]:
    f = user_file()
    if not f.is_file():
        return []
    return [json.loads(ln) for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]


def add_user_record(d: dict) -> Entry:
    """Validate one record and append it to the user's registry file: a new actor, or {"id": known id,
    "aliases": [...]} (more names for a known actor). Raises RegistryError; the file is unchanged then."""
    from ..errors import MarsadError

    reg = load_registry()
    known = set(reg.by_id)
    if d.get("id") in known:
        extra = set(d) - {"id", "aliases"}
        bad = [f"{d['id']!r} exists: only aliases can be added to it (not {sorted(extra)})"] if extra else []
        bad += problems({**vars(reg.by_id[d["id"]]), "aliases": d.get("aliases") or [], "roles": []}, known)
        if not d.get("aliases"):
            bad.append("give at least one alias to add")
    else:
        bad = problems(d, known)
    if bad:
        raise MarsadError("; ".join(bad), code="E302")
    f = user_file()
    f.parent.mkdir(parents=True, exist_ok=True)
    with f.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    load_registry.cache_clear()
    return load_registry().by_id[d["id"]]
