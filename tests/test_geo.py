"""The offline gazetteer, the geoparser component, `marsad geoparse` and event locations."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pycountry
import pytest

from marsad.geo.gazetteer import PRECISION, distance_km, load_gazetteer, supplement_rows

MARSAD = [sys.executable, "-m", "marsad.cli"]


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def _best(gaz, name, country=None):
    cands = [c for c in gaz.lookup(name) if country is None or c.country == country]
    assert cands, name
    return cands[0]


def test_erbil_is_in_iraq(gaz):
    assert _best(gaz, "Erbil").country == "IRQ"


def test_babil_is_the_iraqi_province_not_babylon_ny(gaz):
    assert _best(gaz, "Babil").country == "IRQ"


def test_supplement_base(gaz):
    c = _best(gaz, "Ain al-Asad")
    assert c.feature == "base" and c.country == "IRQ" and distance_km(c.lat, c.lon, 33.7856, 42.4412) < 5


def test_basra_coordinates(gaz):
    c = next(c for c in gaz.lookup("Basra") if c.feature in ("city", "capital"))
    assert distance_km(c.lat, c.lon, 30.5085, 47.7804) < 20


def test_demonym_is_not_a_gazetteer_name(gaz):
    assert gaz.lookup("Iraqi") == []


def test_supplement_is_well_formed():
    rows = supplement_rows()
    assert 80 <= len(rows) <= 200
    for r in rows:
        assert r["name"].strip() and r["source"].strip(), r
        assert -90 <= r["lat"] <= 90 and -180 <= r["lon"] <= 180, r
        assert r["feature"] in PRECISION, r
        if r["country"]:
            assert pycountry.countries.get(alpha_3=r["country"]) is not None, r


# ------------------------------------------------------------------------------------------ geoparser

@pytest.fixture(scope="module")
def nlp():
    from marsad.config import get_settings
    from marsad.nlp import load_pipeline

    return load_pipeline(get_settings().spacy_model)


def _places(nlp, text):
    return nlp(text)._.places


@pytest.mark.slow
def test_geoparse_erbil(nlp):
    ps = _places(nlp, "Drones were intercepted over Erbil on Monday.")
    assert [(p.text, p.country, p.precision) for p in ps] == [("Erbil", "IRQ", 1)]


@pytest.mark.slow
def test_geoparse_containment(nlp):
    ps = _places(nlp, "A rocket hit an oil field in Khurmala, Erbil, on Monday.")
    assert [p.text for p in ps] == ["Khurmala", "Erbil"]
    assert all(p.country == "IRQ" for p in ps)


@pytest.mark.slow
def test_demonym_is_not_a_place(nlp):
    assert _places(nlp, "Iraqi officials said the talks would resume.") == []


@pytest.mark.slow
def test_province_precision(nlp):
    ps = _places(nlp, "Gunmen attacked a checkpoint in Diyala province.")
    assert ps and ps[0].country == "IRQ" and ps[0].precision == 3 and ps[0].feature == "admin1"


@pytest.mark.slow
def test_event_location_prefers_the_attached_place(nlp):
    from marsad.geo.locate import event_location

    doc = nlp("BAGHDAD (Reuters) - Iraqi officials said a drone struck near Eilat, Israel's southern port city.")
    trigger = next(t for t in doc if t.lemma_ == "strike")
    sent = next(s for s in doc.sents if trigger in s)
    loc = event_location(sent, trigger, doc._.places)
    assert loc is not None and loc.text == "Eilat" and loc.country == "ISR" and loc.precision == 2


# ------------------------------------------------------------------------------------------------- CLI

@pytest.mark.slow
def test_cli_geoparse(tmp_path: Path):
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"id": "a", "text": "Drones were intercepted over Erbil."}) + "\n"
                 + json.dumps({"id": "b", "text": "Protesters gathered in Basra, Iraq."}) + "\n")
    proc = subprocess.run([*MARSAD, "geoparse", str(f)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(ln) for ln in proc.stdout.splitlines()]
    assert [r["id"] for r in recs] == ["a", "b"]
    assert recs[0]["places"][0]["country"] == "IRQ"
    basra = recs[1]["places"][0]
    assert basra["text"] == "Basra" and distance_km(basra["lat"], basra["lon"], 30.5085, 47.7804) < 20


@pytest.mark.slow
def test_cli_geoparse_bad_line(tmp_path: Path):
    lines = [json.dumps({"id": "a", "text": "Clashes in Erbil."}), "{not json", json.dumps({"id": "c"}),
             json.dumps({"id": "d", "text": "Shelling near Gaza."})]
    proc = subprocess.run([*MARSAD, "geoparse", "-"], input="\n".join(lines) + "\n", capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 3
    assert [json.loads(ln)["id"] for ln in proc.stdout.splitlines()] == ["a", "d"]
    errs = [json.loads(ln) for ln in proc.stderr.splitlines() if ln.startswith("{")]
    assert [e["error"]["code"] for e in errs] == ["E104", "E105"]


@pytest.mark.slow
def test_parenthesised_containment(nlp):
    """ACLED notes name the admin areas in parentheses: they decide which Lisbon."""
    ps = _places(nlp, "On 9 May 2020, about 100 people gathered in Lisbon (Ohio) to protest the lockdown.")
    assert ps[0].text == "Lisbon" and ps[0].country == "USA" and ps[0].admin1 == "Ohio"


@pytest.mark.slow
def test_document_focus_prefers_the_local_namesake(nlp):
    """Among Texas towns, a bare 'Paris' is Paris, Texas; alone it is the French capital."""
    ps = _places(nlp, "Officials in Tyler, Longview and Sulphur Springs met on Monday. The Paris council agreed.")
    assert next(p for p in ps if p.text == "Paris").admin1 == "Texas"
    assert _places(nlp, "The talks were held in Paris on Monday.")[0].country == "FRA"


@pytest.mark.slow
def test_event_location_is_the_town_not_its_container(nlp):
    from marsad.geo.locate import event_location

    doc = nlp("On 4 August 2020, nearly 300 people staged a march in Pittsburgh (Pennsylvania). "
              "One person was arrested by police.")
    trigger = next(t for t in doc if t.text == "arrested")
    loc = event_location(trigger.sent, trigger, doc._.places)
    assert loc is not None and loc.text == "Pittsburgh"


@pytest.mark.slow
def test_bracketed_containment_after_a_town_word_does_not_crash(nlp):
    """Regression: 'in Jalandhar city (Jalandhar, Punjab)' once raised inside the component, and the whole
    article was rejected."""
    doc = nlp("On 15 Feb, students protested in front of the DC's office in Jalandhar city (Jalandhar, Punjab).")
    assert any(p.country == "IND" for p in doc._.places)


# ---------------------------------------------------------------------- demonyms, admin points, capitals

def test_admin_points_are_well_formed():
    from marsad.geo.gazetteer import admin_points

    pts = admin_points()
    assert len([k for k in pts if not k[1]]) >= 150  # countries
    for (iso3, _), (lat, lon) in pts.items():
        assert pycountry.countries.get(alpha_3=iso3) is not None, iso3
        assert -90 <= lat <= 90 and -180 <= lon <= 180


def test_admin1_and_country_points_are_geonames_points(gaz):
    """A province's point is GeoNames', not the middle of its towns' bounding box (174 km off for Virginia)."""
    va = next(c for c in gaz.lookup("Virginia") if c.feature == "admin1" and c.country == "USA")
    assert distance_km(va.lat, va.lon, 37.5481, -77.4468) < 5
    on = next(c for c in gaz.lookup("Ontario") if c.feature == "admin1")
    assert distance_km(on.lat, on.lon, 49.25, -84.5) < 5
    assert gaz.country("GEO") is not None and distance_km(gaz.country("GEO").lat, gaz.country("GEO").lon, 42, 43.5) < 5


def test_country_is_shown_by_its_common_name(gaz):
    """The country entry is shown as 'Iran', not 'Iran, Islamic Republic of'."""
    c = _best(gaz, "Iran")
    assert c.feature == "country" and c.name == "Iran"


@pytest.mark.slow
def test_demonyms_are_kept_apart(nlp):
    doc = nlp("Russian troops moved deeper into Georgia, South Ossetian officials said.")
    assert [p.text for p in doc._.places] == ["Georgia"]
    dem = {p.text: p for p in doc._.demonyms}
    assert set(dem) == {"Russian", "South Ossetian"}
    assert all(p.feature == "demonym" and p.precision == 3 for p in dem.values())
    assert dem["Russian"].country == "RUS" and dem["South Ossetian"].country == "GEO"


@pytest.mark.slow
def test_demonym_follows_the_article_focus(nlp):
    """'Georgian' is the country among Russia and Tbilisi, the US state among Atlanta and Savannah."""
    doc = nlp("Georgian forces shelled Tskhinvali as Russian tanks crossed from Vladikavkaz.")
    assert next(p for p in doc._.demonyms if p.text == "Georgian").country == "GEO"
    doc = nlp("Farmers from Macon, Savannah and Valdosta met in Atlanta, where Georgian peaches were sold.")
    g = next(p for p in doc._.demonyms if p.text == "Georgian")
    assert g.country == "USA" and g.admin1 == "Georgia"


@pytest.mark.slow
def test_demonym_is_never_an_event_location(nlp):
    from marsad.geo.locate import event_location

    doc = nlp("Israeli aircraft struck targets on Monday.")
    trigger = next(t for t in doc if t.lemma_ == "strike")
    assert event_location(trigger.sent, trigger, doc._.places) is None


@pytest.mark.slow
def test_bare_washington_is_the_capital(nlp):
    assert _places(nlp, "The delegation flew to Washington for talks.")[0].feature == "capital"
    ps = _places(nlp, "Rain fell on Seattle, Tacoma and Spokane. Washington state officials warned of floods.")
    assert next(p for p in ps if p.text.startswith("Washington")).feature == "admin1"


@pytest.mark.slow
def test_cli_geoparse_lists_demonyms(tmp_path: Path):
    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"id": "a", "text": "Iraqi police patrolled Basra."}) + "\n")
    proc = subprocess.run([*MARSAD, "geoparse", str(f)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    places = json.loads(proc.stdout)["places"]
    assert [(p["text"], p["feature"]) for p in places] == [("Iraqi", "demonym"), ("Basra", "city")]
    assert places[0]["country"] == "IRQ" and places[0]["precision"] == 3
