"""The shipped actor registry data (src/marsad/data/actors/*.jsonl) is well formed: fields and their types, codes
from the allowed sets, parents and role organisations that exist, role dates in order, Wikidata ids, and aliases
that name one actor only and are no ordinary English words. Fast: no spaCy pipeline is loaded."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from importlib import resources

import pycountry
import pytest

from marsad.resolve.registry import load_registry, normalise

ACTORS = resources.files("marsad.data").joinpath("actors")
FILES = sorted((f.name for f in ACTORS.iterdir() if f.name.endswith(".jsonl")), key=lambda n: (n != "core.jsonl", n))
# core.jsonl predates the alias rules below (it was written for the seed articles); every other file follows them.
CHECKED_FOR_WORDS = [f for f in FILES if f != "core.jsonl"]

KINDS = {"org", "person", "group", "igo"}
SECTORS = {"GOV", "MIL", "REB", "PTY", "REL", "CVL", "MED", "EDU", "BUS", "IGO", "NGO", "COP", "JUD", "LEG", "SPY",
           "REF", "LAB"}
FIELDS = {"id", "name", "aliases", "kind", "country", "sector", "acled_inter", "parent", "wikidata", "roles", "source"}
REQUIRED = {"id", "name", "aliases", "kind", "country", "sector", "acled_inter", "parent", "source"}
ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$")
QID = re.compile(r"^Q[1-9]\d*$")

# Aliases of a listed actor that deliberately win over a generated state actor's alias ("Israeli army" is the IDF,
# not the generated ISR-MIL). Anything else a file claims from a generated state actor is a collision.
OVERRIDES = {("israeli army", "idf"), ("israeli military", "idf"), ("israeli forces", "idf"),
             ("sudanese army", "sudanese-armed-forces"), ("sudanese armed forces", "sudanese-armed-forces")}

# Normalised aliases that are ordinary English words (the entity ruler matches on lower case, so "IS" would tag
# the verb "is", "WHO" the pronoun "who"): none may be an alias in the files after core.jsonl.
ENGLISH_WORDS = set("""
a an the is us it in on at as or by be to of we he no so do go if me my up am all and any are but can did for had
has her him his how its may new not now off old one our out own say see she too two use was way who why yes you
aid air arm art bar end law man men oil red sea war act
army state states nation party front force forces group union council court league movement government police
military resistance coalition amnesty treasury congress security parliament ministry agency office authority
committee commission assembly bureau service command guard guards brigade brigades battalion militia militias
rebels people national islamic jihad hope peace justice unity freedom liberty victory progress wisdom reform
dignity gallant salami waltz austin sari saree bush grant rice price power house white black green bishop king
prince queen emir sultan chief leader president minister general admiral colonel captain major sheikh imam pope
mayor governor senator judge coalition network center centre institute
""".split())

# A single-word alias of a person may be a distinctive surname ("Netanyahu"), never a common given name or surname.
COMMON_NAMES = set("""
ali hassan hasan hussein husayn muhammad ahmed ahmad abbas omar umar khan mahmoud mustafa ibrahim yousef youssef
yusuf salah saleh khalid khaled abdullah abu qasem jaafar jafar mousavi musavi hosseini soleimani bagheri rezaei
ahmadi karimi cohen levi katz halevi smith johnson brown jones williams miller davis wilson taylor david john
michael james robert amal nasser salam sheikh al abdul abdel bin ibn
""".split())


def _records() -> list[tuple[str, int, dict]]:
    out = []
    for name in FILES:
        for n, line in enumerate(ACTORS.joinpath(name).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() and not line.startswith("#"):
                out.append((name, n, json.loads(line)))
    return out


RECORDS = _records()


def _month(s: str, end: bool) -> tuple[int, int]:
    m = DATE.match(s)
    return int(m[1]), int(m[2]) if m[2] else (12 if end else 1)


def _problems(d: dict, known: set[str]) -> list[str]:
    out = []
    if missing := REQUIRED - d.keys():
        out.append(f"missing {sorted(missing)}")
    if extra := d.keys() - FIELDS:
        out.append(f"unknown fields {sorted(extra)}")
    if not isinstance(d.get("id"), str) or not ID.match(d["id"]):
        out.append(f"id {d.get('id')!r}: a lower-case slug")
    for key in ("name", "source"):
        if not isinstance(d.get(key), str) or not d[key].strip():
            out.append(f"{key}: a non-empty string")
    aliases = d.get("aliases")
    if not isinstance(aliases, list) or not all(isinstance(a, str) and normalise(a) for a in aliases):
        out.append("aliases: a list of names that do not normalise to nothing")
    if d.get("kind") not in KINDS:
        out.append(f"kind {d.get('kind')!r}")
    c = d.get("country")
    if c is not None and (not isinstance(c, str) or pycountry.countries.get(alpha_3=c) is None):
        out.append(f"country {c!r}: an ISO 3166 alpha-3 code or null")
    if d.get("kind") == "igo" and c is not None:
        out.append("an intergovernmental body has no country")
    if d.get("sector") not in SECTORS:
        out.append(f"sector {d.get('sector')!r}")
    inter = d.get("acled_inter")
    if inter is not None and (type(inter) is not int or not 1 <= inter <= 8):
        out.append(f"acled_inter {inter!r}: 1..8 or null")
    parent = d.get("parent")
    if parent is not None and (parent not in known or parent == d.get("id")):
        out.append(f"parent {parent!r}: not another actor of the registry")
    if "wikidata" in d and (not isinstance(d["wikidata"], str) or not QID.match(d["wikidata"])):
        out.append(f"wikidata {d['wikidata']!r}")
    roles = d.get("roles")
    if roles is not None and d.get("kind") != "person":
        out.append("roles belong to persons")
    if d.get("kind") == "person" and not isinstance(roles, list):
        out.append("a person needs a roles list (empty when none is known)")
    for r in roles or []:
        if not isinstance(r, dict) or set(r) != {"title", "org", "start", "end"}:
            out.append(f"role {r!r}: exactly title, org, start, end")
            continue
        if not isinstance(r["title"], str) or not r["title"].strip():
            out.append(f"role {r!r}: no title")
        if r["org"] not in known:
            out.append(f"role {r['title']!r}: org {r['org']!r} is not in the registry")
        dates = {k: r[k] for k in ("start", "end") if r[k] is not None}
        bad = [v for v in dates.values() if not isinstance(v, str) or not DATE.match(v)]
        if bad:
            out.append(f"role {r['title']!r}: dates {bad} are not YYYY or YYYY-MM")
        elif len(dates) == 2 and _month(dates["start"], False) > _month(dates["end"], True):
            out.append(f"role {r['title']!r}: starts {dates['start']} after it ends {dates['end']}")
    return out


def test_ids_are_unique_across_files():
    seen: dict[str, str] = {}
    dupes = []
    for name, n, d in RECORDS:
        if d.get("id") in seen:
            dupes.append(f"{name}:{n} {d['id']} (also {seen[d['id']]})")
        seen.setdefault(d.get("id"), f"{name}:{n}")
    assert not dupes, dupes


@pytest.mark.parametrize("name", FILES)
def test_every_record_is_well_formed(name):
    known = set(load_registry().by_id)
    problems = [f"{name}:{n} {d.get('id')}: {p}" for f, n, d in RECORDS if f == name for p in _problems(d, known)]
    assert not problems, "\n".join(problems)


def test_every_record_is_loaded_as_written():
    reg = load_registry()
    for name, n, d in RECORDS:
        e = reg.by_id.get(d["id"])
        assert e is not None and e.name == d["name"] and e.kind == d["kind"], f"{name}:{n} {d['id']}"
        assert e.parent == d["parent"] and e.acled_inter == d["acled_inter"] and e.country == d["country"]


def test_parents_form_no_cycle():
    reg = load_registry()
    for e in reg.by_id.values():
        seen, p = {e.id}, e.parent
        while p is not None:
            assert p not in seen, f"parent cycle through {e.id}: {sorted(seen)}"
            seen.add(p)
            p = reg.by_id[p].parent


def test_wikidata_ids_are_not_shared():
    owners = defaultdict(list)
    for _, _, d in RECORDS:
        if d.get("wikidata"):
            owners[d["wikidata"]].append(d["id"])
    shared = {q: ids for q, ids in owners.items() if len(ids) > 1}
    assert not shared, shared


def _aliases(d: dict) -> set[str]:
    return {normalise(a) for a in (d["name"], *d["aliases"])}


def test_no_alias_names_two_actors():
    claims = defaultdict(set)
    for _, _, d in RECORDS:
        for key in _aliases(d):
            claims[key].add(d["id"])
    collisions = {k: sorted(ids) for k, ids in claims.items() if len(ids) > 1}
    assert not collisions, f"aliases claimed by more than one actor: {collisions}"


def test_no_alias_shadows_a_generated_state_actor_a_capital_or_a_demonym():
    reg = load_registry()
    state = {normalise(a): e.id for e in reg.by_id.values() if e.kind == "state" for a in (e.name, *e.aliases)}
    found = []
    for name, n, d in RECORDS:
        for key in _aliases(d):
            if key in state and (key, d["id"]) not in OVERRIDES:
                found.append(f"{name}:{n} {d['id']} claims {key!r} of {state[key]}")
            if key in reg.capitals or key in reg.demonyms:
                found.append(f"{name}:{n} {d['id']} claims the capital or demonym {key!r}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("name", CHECKED_FOR_WORDS)
def test_no_alias_is_an_english_word_or_a_common_name(name):
    found = []
    for f, n, d in RECORDS:
        if f != name:
            continue
        for alias in d["aliases"]:
            key = normalise(alias)
            if key in ENGLISH_WORDS:
                found.append(f"{n} {d['id']}: {alias!r} is an English word")
            bare = key[3:] if key.startswith("al ") else key
            if d["kind"] == "person" and " " not in bare and bare in COMMON_NAMES:
                found.append(f"{n} {d['id']}: {alias!r} is a common name, not one person's")
    assert not found, f"{name}:\n" + "\n".join(found)


def test_the_registry_is_large_enough():
    reg = load_registry()
    assert len(reg) >= 600
    assert sum(e.kind != "state" for e in reg.by_id.values()) >= 400
