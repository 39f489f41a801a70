"""The geoparser: a spaCy component (`marsad_places`) that finds the place names of a Doc and resolves each
to one gazetteer entry, setting `Doc._.places` (a list of `Place`, in text order).

Recognition: NER spans (GPE, LOC, FAC; ORG/PERSON only when the gazetteer knows a sizeable place of that
name and the actor registry does not know an organisation or person by it: the small English model tags
Erbil as ORG), then capitalised n-grams the NER missed that are the primary name of a gazetteer place.
Demonyms ("Iraqi", "Georgian", "Texan") are kept apart: never in `Doc._.places` (an adjective of nationality
is not where an event happened), but resolved like names and set as `Doc._.demonyms` (Places with feature
"demonym", precision 3, the point of the country or province), which `marsad geoparse` lists with the
names. Resolution scores every candidate: population prior, feature (a
country beats a village of the same name), the words around ("Diyala province", "near X"), containment
("Khurmala, Erbil", "Basra, Iraq", "Gainesville, Ga."), and the article's focus (countries and provinces
the other names resolve to), in two passes so a clear name helps an ambiguous one.
"""
from __future__ import annotations

import csv
import io
import logging
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from ..models import Place
from ..resolve.registry import load_registry
from .gazetteer import ABBR, ALT, PRIMARY, Candidate, Gazetteer, distance_km, key, load_gazetteer

if not Doc.has_extension("places"):
    Doc.set_extension("places", default=None)
if not Doc.has_extension("demonyms"):
    Doc.set_extension("demonyms", default=None)

PLACE_LABELS = {"GPE", "LOC", "FAC"}
# words after a name that say what kind of place it is: ("Diyala province" -> an admin1)
ADMIN1_WORDS = {"province", "governorate", "state", "prefecture", "oblast", "region", "wilaya", "emirate"}
ADMIN2_WORDS = {"county", "district", "parish", "municipality", "borough", "subdistrict", "sub-district", "qada",
                "township", "regency", "upazila", "tehsil", "taluka", "woreda", "lga", "commune", "departement"}
CITY_WORDS = {"city", "town", "village", "camp", "neighbourhood", "neighborhood", "area", "suburb", "locality"}
TYPE_WORDS = ADMIN1_WORDS | ADMIN2_WORDS | CITY_WORDS
# "near X", "outskirts of X": ACLED precision 2 (near the town, not in it)
NEAR_WORDS = {"near", "outskirts", "outside", "nearby", "vicinity", "north", "south", "east", "west",
              "northeast", "northwest", "southeast", "southwest", "northern", "southern", "eastern", "western",
              "km", "kilometres", "kilometers", "miles", "edge", "around"}
LOC_PREPS = {"in", "at", "near", "outside", "on", "over", "into", "across", "from", "to", "inside", "around",
             "toward", "towards", "of", "off", "along", "through", "throughout", "within", "between"}
# entity types whose words are never scanned for place names (PERSON spans are tried whole, see mentions)
NOT_PLACE_ENTS = {"PERSON", "DATE", "TIME", "NORP", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}
# capitalised words of organisation names that are also towns somewhere ("Commissioner of Police")
COMMON_WORDS = {"police", "university", "national", "union", "march", "may", "independence", "liberty", "mobile",
                "reading", "bath", "nice", "split", "normal", "commerce", "justice", "congress", "federal",
                "republic", "security", "defence", "defense", "army", "navy", "interior", "media", "mission", "al", "el",
                "progress", "unity", "victory", "freedom", "hope", "peace", "welfare", "council", "court"}
# words before a name that narrow it ("Northeast Georgia"): never a place on their own
QUALIFIERS = {"north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "northern",
              "southern", "eastern", "western", "central", "upper", "lower", "greater", "downtown", "new", "old",
              "north-east", "north-west", "south-east", "south-west", "mid", "rural", "metro", "suburban"}
DEMONYM_END = re.compile(r"(?:an|ans|ese|ish|ian|ians|is|i|z)$")
# default population-like prior of curated entries (bases, regions ...) that have no population
AREAS = {"country", "admin1", "admin2", "region", "district"}
# how much the article's focus counts: its share of mentions in the candidate's province / country
FOCUS_ADMIN1, FOCUS_COUNTRY, FOCUS_REGION = 3.0, 2.0, 1.5
MAX_CANDIDATES = 20  # referents of one name considered (Springfield: dozens)
FEATURE_PRIOR = {"base": 5e5, "crossing": 2e5, "site": 2e5, "town": 2e5, "district": 5e5, "region": 3e6,
                 "sea": 3e6, "airport": 2e3, "continent": 1e8}

log = logging.getLogger(__name__)


@dataclass
class Mention:
    start: int  # token indices
    end: int
    text: str
    start_char: int
    end_char: int
    source: str  # "ner" / "org" / "scan"
    hint: str | None = None  # admin1 / admin2 / city, from a type word ("Diyala province")
    near: bool = False
    cands: list[Candidate] = field(default_factory=list)
    best: Candidate | None = None


def _is_demonym(text: str) -> bool:
    reg = load_registry()
    k = key(text)
    return k in reg.demonyms or k.rstrip("s") in reg.demonyms


@lru_cache(maxsize=1)
def _geo_demonyms() -> dict[str, tuple[str, str, str]]:
    """Demonyms of provinces and regions ("Texan", "South Ossetian"): key -> (place name, ISO3, feature)."""
    text = resources.files("marsad.data").joinpath("geo/demonyms.tsv").read_text(encoding="utf-8")
    return {key(r["demonym"]): (r["place"], r["country"], r["feature"])
            for r in csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)}


def _demonym_candidates(gaz: Gazetteer, text: str) -> list[Candidate]:
    """What a demonym may stand for: the country of the actor registry's demonym table ("Georgian" ->
    Georgia) and a first-level division elsewhere of that country's name (Georgia, US), or the province or
    region of the geo table ("Texan"). Plurals too ("Palestinians")."""
    reg = load_registry()
    k = key(text)
    for form in (k, k[:-1] if k.endswith("s") else None):
        if not form:
            continue
        if iso3 := reg.demonyms.get(form):
            c = gaz.country(iso3)
            if c is None:
                return []
            twins = [o for o in gaz.lookup(c.name) if o.feature == "admin1" and o.country != iso3
                     and o.flags & PRIMARY]
            return [c, *twins]
        if form in _geo_demonyms():
            name, iso3, feature = _geo_demonyms()[form]
            cands = [c for c in gaz.lookup(name) if c.country == iso3]
            return [c for c in cands if c.feature == feature][:1] or cands[:1]
    return []


def _not_a_place(text: str) -> bool:
    """The registry knows an organisation or person of that name (country names and capitals are states:
    those are places)."""
    e = load_registry().lookup(text)
    return e is not None and e.kind != "state"


def _candidates(gaz: Gazetteer, text: str) -> tuple[list[Candidate], str | None]:
    """Candidates for a surface name, trying variants: without a type word ('Diyala province'), without
    or with the Arabic article ('al-Qaim' / 'Qaim'). Returns (candidates, hint from the type word)."""
    cands, hint = _cached_candidates(gaz, text)
    return list(cands), hint  # a fresh list each time (the candidates themselves are frozen)


@lru_cache(maxsize=1 << 14)  # the same names recur in every article; the gazetteer never changes in a run
def _cached_candidates(gaz: Gazetteer, text: str) -> tuple[tuple[Candidate, ...], str | None]:
    cands, hint = _lookup_candidates(gaz, text)
    return tuple(cands), hint


def _lookup_candidates(gaz: Gazetteer, text: str) -> tuple[list[Candidate], str | None]:
    words = text.split()
    hint = None
    if len(words) > 1 and words[-1].lower() in TYPE_WORDS:
        w = words[-1].lower()
        hint = "admin1" if w in ADMIN1_WORDS else "admin2" if w in ADMIN2_WORDS else "city"
    cands = gaz.lookup(text)
    if not cands and hint:
        cands = gaz.lookup(" ".join(words[:-1]))
    if not cands:
        k = key(text)
        alt = k[3:] if k.startswith("al ") else f"al {k}"
        cands = gaz.lookup_key(alt)
    return cands, hint


def _strong(c: Candidate) -> bool:
    """A place well enough known that an ORG/PERSON tag or an untagged capitalised word can be taken for it."""
    return c.feature in ("country", "admin1", "continent", "base", "crossing", "sea", "region", "site", "town",
                         "district") or c.population >= 5000 or (c.feature == "admin2" and bool(c.flags & PRIMARY))


class Geoparser:
    def __init__(self, gaz: Gazetteer | None = None) -> None:
        self.gaz = gaz or load_gazetteer()

    # ------------------------------------------------------------------------------------------ recognise

    def mentions(self, doc: Doc) -> list[Mention]:
        out: list[Mention] = []
        taken = [False] * len(doc)

        def add(s: int, e: int, source: str) -> bool:
            # trim determiners and possessives: "the Gaza Strip's" -> "Gaza Strip"
            while s < e and doc[s].lower_ in ("the", "a", "an"):
                s += 1
            while e > s and doc[e - 1].text in ("'s", "’s", "'", "’", ".", ",", "-"):
                if doc[e - 1].text == "." and doc[s:e].text in self.gaz:
                    break  # "Ga.", "U.S."
                e -= 1
            if s >= e or any(taken[s:e]):
                return False
            span = doc[s:e]
            if any(t.text in (",", "(", ")") for t in span):  # "Khurmala, Erbil", "Campos (Rio de Janeiro"
                cut = [s - 1] + [t.i for t in span if t.text in (",", "(", ")")] + [e]  # tagged as one entity
                return any([add(a + 1, b, source) for a, b in zip(cut, cut[1:]) if a + 1 < b])
            text = span.text
            if text.islower() or not any(ch.isalpha() for ch in text):
                return False
            cands, hint = _candidates(self.gaz, text)
            if text.isupper() and len(text) <= 4 and "." not in text:  # "NISA", "LIB": acronyms, bar "UK"
                cands = [c for c in cands if c.feature == "country"]
            if not cands:
                return False
            if _is_demonym(text) and not any(c.feature == "country" for c in cands):
                return False  # "Iraqi" is a demonym; "U.S." is also the country
            if DEMONYM_END.search(text) and not any(c.flags & PRIMARY or c.feature == "country" and c.name == text
                                                    for c in cands):
                return False  # "Sri Lankan", "Abkhaz": an alternate name that is really an adjective ("Iran" is not)
            if not (text.endswith(".") and len(text) <= 6):
                cands = [c for c in cands if not c.flags & ABBR or c.flags & (PRIMARY | ALT)]
            if source != "ner":
                # is the name a place at all? Decided on its well-known referents only; which place it is is
                # then decided among all of them ("Dublin" tagged PERSON passes as Ireland's capital, and may
                # still be Dublin, Ohio in an article about Columbus)
                if source == "scan":  # only the name an entry is known by, not any alternate spelling
                    cands = [c for c in cands if c.flags & (PRIMARY | ABBR) or c.feature in FEATURE_PRIOR
                             or c.feature == "country"]
                gate = [c for c in cands if _strong(c)]
                if source == "scan" and len(span) == 1:  # a lone capitalised word: a sizeable place only
                    if span[0].lower_ in COMMON_WORDS:
                        return False
                    gate = [c for c in gate if c.population >= 20000 or c.feature != "city"]
                if source == "bare-org":  # "Wagner forces", "Tunas Bangsa": a sizeable place only
                    gate = [c for c in gate if c.population >= 50000 or c.feature not in ("city", "admin2")]
                if source == "person":
                    gate = [c for c in gate if c.feature in ("country", "admin1") or (
                        c.flags & PRIMARY and c.population >= 50000)]
                if not gate or _not_a_place(text):
                    return False
            elif _not_a_place(text) and not any(c.feature in ("country", "admin1") for c in cands):
                return False
            # a type word just after the name: "Diyala province", "Laurel County" (when NER left it out)
            if e < len(doc) and doc[e].lower_ in TYPE_WORDS and hint is None:
                w = doc[e].lower_
                hint = "admin1" if w in ADMIN1_WORDS else "admin2" if w in ADMIN2_WORDS else "city"
            near = any(t.lower_ in NEAR_WORDS for t in doc[max(0, s - 3):s]) or (
                e < len(doc) and doc[e].lower_ in ("district", "area", "outskirts", "countryside"))
            for i in range(s, e):
                taken[i] = True
            out.append(Mention(s, e, text, span.start_char, span.end_char, source, hint, near, cands))
            return True

        def capital(t) -> bool:
            return t.is_title or (t.is_upper and len(t) > 1) or (t.text[:1].isupper() and "." in t.text)

        def scan(i0: int, i1: int, source: str, first_ok: bool = False) -> None:
            """Capitalised n-grams of tokens i0..i1 that are gazetteer names, longest first."""
            i = i0
            while i < i1:
                t = doc[i]
                if taken[i] or not capital(t) or (t.ent_type_ in NOT_PLACE_ENTS and not first_ok) or (
                        t.is_sent_start and not first_ok and (
                        t.is_stop or t.pos_ != "PROPN")):
                    i += 1
                    continue
                for n in (4, 3, 2, 1):
                    j = i + n
                    if j > i1 or not capital(doc[j - 1]) or any(
                            taken[k] or (doc[k].ent_type_ in NOT_PLACE_ENTS and not first_ok)
                            or not (capital(doc[k]) or doc[k].lower_ in ("al", "of", "-"))
                            for k in range(i, j)):
                        continue
                    if n == 1 and (t.is_stop or t.pos_ != "PROPN" or t.lower_ in QUALIFIERS):
                        continue
                    if add(i, j, source):
                        i = j - 1
                        break
                i += 1

        def widen(s: int, e: int) -> tuple[int, int]:
            """'western Iraq', 'Ain al-Asad airbase', 'Al-Qaim crossing': a longer gazetteer name around."""
            for a, b in ((s - 1, e + 2), (s - 1, e + 1), (s, e + 2), (s, e + 1), (s - 1, e)):
                if 0 <= a and b <= len(doc) and all(t.is_alpha for t in (*doc[a:s], *doc[e:b])) \
                        and not any(taken[a:b]) and doc[a:b].text in self.gaz \
                        and not any(t.ent_type_ and not (s <= t.i < e) for t in doc[a:b]):
                    return a, b
            return s, e

        for ent in doc.ents:
            if ent.label_ in PLACE_LABELS:
                if add(*widen(ent.start, ent.end), "ner") or add(ent.start, ent.end, "ner"):
                    continue
                # "Northeast Georgia", "North Arlington": the place after the qualifier (near: precision 2)
                q = ent.start
                while q < ent.end - 1 and doc[q].lower_ in QUALIFIERS:
                    q += 1
                if q > ent.start and add(q, ent.end, "ner"):
                    out[-1].near = True
                    continue
                if len(ent) > 1 and doc[ent.end - 1].lower_ in TYPE_WORDS | {"parish"} \
                        and add(ent.start, ent.end - 1, "ner"):  # "Pointe Coupee Parish", not "Lake" of "Lake Union"
                    continue
            elif ent.label_ in ("ORG", "PERSON"):
                # the whole name as a place (the small model tags Erbil as ORG), only when used like one
                before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
                src = "org" if before in LOC_PREPS else "bare-org"
                if (ent.label_ == "ORG" or before in LOC_PREPS) and add(*widen(ent.start, ent.end), src):
                    continue
                if ent.label_ == "PERSON" and len(ent) == 1 and add(ent.start, ent.end, "person"):
                    continue  # a lone capitalised word tagged PERSON that is a well-known place: "Dublin"
                if ent.label_ == "ORG" and len(ent) > 1:  # "Texas Department of Health", "Oxford Police"
                    scan(ent.start, ent.end, "scan", first_ok=True)
        # capitalised words the NER missed
        scan(0, len(doc), "scan")
        # demonyms ("Russian", "Sri Lankan", "Palestinians"), on the words no name took ("U.S." is the country)
        i = 0
        while i < len(doc):
            for n in (2, 1):
                span = doc[i:i + n]
                if len(span) < n or doc[i].is_stop or any(taken[k] or not (doc[k].is_title or doc[k].is_upper) or not doc[k].is_alpha
                                        for k in range(i, i + n)):
                    continue
                cands = _demonym_candidates(self.gaz, span.text)
                if cands:
                    for k in range(i, i + n):
                        taken[k] = True
                    out.append(Mention(i, i + n, span.text, span.start_char, span.end_char, "demonym", cands=cands))
                    i += n - 1
                    break
            i += 1
        out.sort(key=lambda m: m.start)
        return out

    # -------------------------------------------------------------------------------------------- resolve

    @staticmethod
    def _base(m: Mention, c: Candidate) -> float:
        """Prior of one candidate from the name alone: population (log10), feature, how the name matched,
        the type word next to it."""
        pop = c.population or FEATURE_PRIOR.get(c.feature, 1e3)
        s = math.log10(pop + 10)
        s += {"country": 2.5, "admin1": 0.5, "continent": 1.0, "capital": 1.0}.get(c.feature, 0.0)
        if c.flags & PRIMARY:
            s += 0.5
        elif c.feature in ("admin1", "admin2"):
            s -= 1.5  # 'Richmond' is the city, not 'Richmond County' under one of its alternate names
        if m.hint:
            if c.feature == m.hint or (m.hint == "city" and c.feature in ("city", "town", "capital")):
                s += 5
            elif m.hint == "admin2" and c.feature in ("city", "town", "capital"):
                s += 1  # "X district" may name the district of town X
        if c.feature == "airport" and "airport" not in m.text.lower() and "airfield" not in m.text.lower():
            s -= 3
        if c.feature == "capital" and m.hint is None and any(
                o.feature == "admin1" and o.country == c.country and key(o.name) == key(c.name) for o in m.cands):
            s += 1.5  # a bare "Washington" in the news is the capital, not the state (unless the state is the focus)
        return s

    @staticmethod
    def _merge_namesakes(m: Mention) -> list[Candidate]:
        """'Erbil', 'Gaza', 'Paris': a city and the province of the same name around it are one candidate,
        the city (with the province's population as its prior), unless a type word asks for the province."""
        if m.hint in ("admin1", "admin2") or m.source == "demonym":
            return m.cands
        cities = [c for c in m.cands if c.feature in ("city", "capital", "town")]
        out, boost = [], {}
        for c in m.cands:
            if c.feature in ("admin1", "admin2"):
                twin = next((o for o in cities if o.country == c.country and c.name in (o.admin1, o.admin2)
                             and o.flags & PRIMARY and key(o.name) == key(m.text)), None)
                if twin is not None:
                    boost[twin.idx] = max(boost.get(twin.idx, 0), c.population)  # the city and its province
                    continue
            out.append(c)
        return [replace(c, population=max(c.population, boost[c.idx])) if c.idx in boost else c for c in out]

    def resolve(self, doc: Doc, ms: list[Mention]) -> None:
        """Pick each mention's referent: prior + containment ("Tula (East Hararghe, Oromia)") + coherence with
        the other names' candidates, iterated; mentions of the same name share one referent.

        Coherence is local (another name within 100 km or in the same province) and the article's focus: the
        share of the other mentions that fall in the candidate's province and in its country. A local paper's
        "Paris" among Texas towns is Paris, Texas; a bare "Paris" in an article about Georgia and Russia is
        the French capital (population prior)."""
        outers = _containers(doc, [m for m in ms if m.source != "demonym"])
        names: dict[tuple, list[Mention]] = {}
        for m in ms:
            m.cands = self._merge_namesakes(m)
            names.setdefault((key(m.text), m.hint), []).append(m)
        groups = list(names.values())
        cands, base, gid = [], [], []
        for g, group in enumerate(groups):
            m = group[0]
            ranked = sorted(m.cands, key=lambda c: -self._base(m, c))[:MAX_CANDIDATES]
            for c in ranked:
                sc = self._base(m, c)
                for mm in group:  # containment evidence of any mention of this name
                    for outer in outers.get(id(mm), ()):
                        sc += 6 if any(self._inside(c, o) for o in outer.cands) else -2
                cands.append(c)
                base.append(sc)
                gid.append(g)
        n = len(cands)
        base_a, gid_a = np.array(base), np.array(gid)
        weight = np.array([len(g) for g in groups], float)  # a name's weight in the focus: how often it is used
        local, region = _relatedness(cands)
        own = gid_a[:, None] == gid_a[None, :]
        local[own] = 0.0  # a name is no evidence for itself
        region[own] = 0.0
        region *= weight[gid_a][None, :] / np.maximum(weight.sum() - weight[gid_a], 1.0)[:, None]
        a1_of = _index([(c.country, c.admin1) if c.admin1 and c.feature != "country" else None for c in cands])
        cc_of = _index([c.country for c in cands])
        score = base_a.copy()
        for _ in range(3):
            p = np.exp(2.3 * (score - score.max()))
            tot = np.zeros(len(groups))
            np.add.at(tot, gid_a, p)
            p = p / tot[gid_a]
            score = (base_a + np.minimum(local @ p, 3.0) + FOCUS_ADMIN1 * _share(a1_of, gid_a, p, weight)
                     + FOCUS_COUNTRY * _share(cc_of, gid_a, p, weight) + FOCUS_REGION * (region @ p))
        best: dict[int, tuple[Candidate, int]] = {}
        for i in range(n):
            g = gid[i]
            if g not in best or score[i] > score[best[g][1]]:
                best[g] = (cands[i], i)
        for g, group in enumerate(groups):
            for m in group:
                m.best = best[g][0]
                # "Tula (East Hararghe, Oromia)" when no Tula the gazetteer knows is in Oromia: not Tula, Russia
                # (a parenthesis only: "Tikrit, Anbar and Nineveh" is a list)
                if "(" in doc[m.end:m.end + 2].text and outers.get(id(m)) and not any(
                        self._inside(m.best, o) for mo in outers[id(m)] for o in mo.cands):
                    m.best = None
        # a containing name resolves to what contains its inner name ("Gainesville, Ga." -> Georgia, US)
        for a in ms:
            for outer in outers.get(id(a), ()):
                if a.best is not None:
                    fit = [o for o in outer.cands if self._inside(a.best, o)]
                    if fit:  # an area rather than a town near it: "(Djenne, Mopti)" is the Mopti region
                        outer.best = max(fit, key=lambda c: (c.feature in AREAS, self._base(outer, c)))

    @staticmethod
    def _inside(c: Candidate, outer: Candidate) -> bool:
        if c.idx == outer.idx:
            return False
        if outer.feature == "country":
            return c.country == outer.country
        if outer.feature == "admin1":
            return c.country == outer.country and c.admin1 == outer.name
        if outer.feature == "admin2":
            return c.country == outer.country and c.admin2 == outer.name
        if outer.feature in ("region", "city") and c.country == outer.country:
            return distance_km(c.lat, c.lon, outer.lat, outer.lon) < 150
        return False

    # --------------------------------------------------------------------------------------------- output

    def __call__(self, doc: Doc) -> Doc:
        try:
            ms = self.mentions(doc)
            if ms:
                self.resolve(doc, ms)
        except Exception:  # noqa: BLE001  a geoparser bug must cost the places, not the article's events
            log.warning("geoparsing failed; the article is coded without places", exc_info=True)
            ms = []
        doc._.places = [to_place(m) for m in ms if m.best is not None and m.source != "demonym"]
        doc._.demonyms = [to_place(m) for m in ms if m.best is not None and m.source == "demonym"]
        return doc


def _relatedness(cands: list[Candidate]) -> tuple[np.ndarray, np.ndarray]:
    """How much candidate j supports candidate i: locally (1 when in the same province, or within 100 km for
    towns and sites; countries and provinces relate through membership only, their points are far) and
    regionally (1 within 1,000 km: Gaza among Israel and Egypt is not the Mozambican province)."""
    a1 = {a: i for i, a in enumerate({(c.country, c.admin1) for c in cands if c.admin1})}
    adm = np.array([a1.get((c.country, c.admin1), -1 - i) if c.admin1 and c.feature != "country" else -1 - i
                    for i, c in enumerate(cands)])
    fine = np.array([c.feature not in ("country", "admin1", "continent", "sea", "region") for c in cands])
    lat = np.radians([c.lat for c in cands])
    lon = np.radians([c.lon for c in cands])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    km = 12742.0 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    near = (km < 100) & fine[:, None] & fine[None, :]
    return ((adm[:, None] == adm[None, :]) | near).astype(float), (km < 1000).astype(float)


def _index(keys: list) -> np.ndarray:
    """Small integer ids of hashable keys (-1 for None)."""
    ids: dict = {}
    return np.array([-1 if k is None else ids.setdefault(k, len(ids)) for k in keys], int)


def _share(area: np.ndarray, gid: np.ndarray, p: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """For each candidate, the share of the article's other mentions (by weight, with their current
    probabilities) that fall in the same area (province or country) as it does."""
    n_area, n_group = int(area.max()) + 1, len(weight)
    if n_area <= 0 or n_group < 2:
        return np.zeros(len(p))
    ok = area >= 0
    mass = np.zeros((n_group, n_area))  # group x area: probability mass of the group in the area
    np.add.at(mass, (gid[ok], area[ok]), p[ok])
    mass *= weight[:, None]
    total = mass.sum(axis=0)
    other = total[area] - mass[gid, area]
    share = other / (weight.sum() - weight[gid])
    return np.where(ok, share, 0.0)


def _containers(doc: Doc, ms: list[Mention]) -> dict[int, list[Mention]]:
    """The names that say what contains a name: "Basra, Iraq", "Sungguminasa district, Gowa regency",
    and every name of a parenthesis right after it, ACLED's "Tula (East Hararghe, Oromia)"."""
    out: dict[int, list[Mention]] = {}
    for k, a in enumerate(ms):
        j = a.end + 1 if a.end < len(doc) and doc[a.end].lower_ in TYPE_WORDS else a.end  # "Kekirawa town ("
        if j >= len(doc):
            continue
        nxt = doc[j].text
        if nxt == "," and k + 1 < len(ms) and ms[k + 1].start == j + 1:
            out[id(a)] = [ms[k + 1]]
        elif nxt == "(":
            close = next((t.i for t in doc[j:j + 30] if t.text == ")"), j + 30)
            inside = [b for b in ms[k + 1:] if b.end <= close]
            if inside:
                out[id(a)] = inside
    return out


def to_place(m: Mention) -> Place:
    c = m.best
    assert c is not None
    if m.source == "demonym":  # "Georgian": the country's (or province's) point, never an event location
        return Place(name=c.name, text=m.text, start=m.start_char, end=m.end_char, geonameid=c.geonameid, lat=c.lat,
                     lon=c.lon, country=c.country, admin1=c.name if c.feature == "admin1" else c.admin1,
                     admin2=None, feature="demonym", precision=3)
    precision = c.precision
    if precision == 1 and (m.near or m.hint == "admin2"):
        precision = 2
    admin1 = c.name if c.feature == "admin1" else c.admin1
    return Place(name=c.name, text=m.text, start=m.start_char, end=m.end_char, geonameid=c.geonameid,
                 lat=c.lat, lon=c.lon, country=c.country, admin1=admin1, admin2=c.admin2, feature=c.feature,
                 precision=precision)


@Language.factory("marsad_places")
def make_places(nlp: Language, name: str) -> Geoparser:
    return Geoparser()




# the pipeline components geoparsing needs (the parser is only for attaching places to events in `extract`)
_GEOPARSE_SKIP = ("parser", "lemmatizer", "marsad_events")


def geoparse(items, settings, batch_size: int = 64):
    """(Article, [Place]) for each Article of `items` in order; Rejections (bad input, failed articles)
    passed through. Runs only what recognition needs (tagger, entity ruler, NER) for speed."""
    from ..errors import Rejection
    from ..nlp import load_pipeline
    from ..pipeline import MAX_CHARS

    nlp = load_pipeline(settings.spacy_model)
    with nlp.select_pipes(disable=[n for n in _GEOPARSE_SKIP if n in nlp.pipe_names]):
        batch: list = []

        def run():
            arts = [a for a in batch if not isinstance(a, Rejection)]
            try:
                docs = dict(zip(map(id, arts), nlp.pipe((a.text for a in arts), batch_size=batch_size)))
            except Exception:  # noqa: BLE001  (one bad text must not sink the batch: redo one by one)
                docs = {}
            for a in batch:
                if isinstance(a, Rejection):
                    yield a
                    continue
                try:
                    doc = docs.get(id(a)) or nlp(a.text)
                    places = [*(doc._.places or []), *(doc._.demonyms or [])]  # demonyms kept apart, listed too
                    yield a, sorted(places, key=lambda p: (p.start if p.start is not None else -1))
                except Exception as exc:  # noqa: BLE001
                    yield Rejection(a.id, "E201", f"text could not be geoparsed: {type(exc).__name__}: {exc}")
            batch.clear()

        for item in items:
            if not isinstance(item, Rejection) and len(item.text) > MAX_CHARS:
                item = Rejection(item.id, "E201", f"text has {len(item.text):,} characters; the limit is {MAX_CHARS:,}")
            batch.append(item)
            if len(batch) >= batch_size:
                yield from run()
        yield from run()
