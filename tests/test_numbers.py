"""Quantities, fatalities and injuries read from the parse (needs the spaCy pipeline)."""
from __future__ import annotations

import pytest

from marsad.config import get_settings
from marsad.extract.numbers import coded_fatalities, fatalities, quantities

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nlp():
    from marsad.nlp import load_pipeline

    return load_pipeline(get_settings().spacy_model)


def _qs(nlp, text: str) -> list[tuple]:
    return [(q.value, q.unit, q.approx) for q in quantities(nlp(text)[:])]


@pytest.mark.parametrize("text, expected", [
    ("Nearly 5,000 Iraqi citizens from Diyala province have pledged to defend Iran.", (5000, "Iraqi citizens", True)),
    ("The comprehensive list of 4,947 names will be submitted.", (4947, "names", False)),
    ('He warned that dozens of "martyrs-in-waiting" are prepared to attack.', (24, "martyrs-in-waiting", True)),
    ("Iran retaliated by launching hundreds of drones and ballistic missiles at Israel.", (200, "drones", True)),
    ("The sanctions include measures against 14 vessels flagged in Turkey.", (14, "vessels", False)),
    ("Gunmen opened fire on the market, wounding 3.", (3, "injured", False)),
])
def test_quantities(nlp, text, expected):
    assert expected in _qs(nlp, text)


def test_each_conjunct_is_its_own_quantity(nlp):
    qs = _qs(nlp, "Washington imposed sanctions affecting 15 entities and two individuals.")
    assert (15, "entities", False) in qs and (2, "individuals", False) in qs


@pytest.mark.parametrize("text, expected", [
    ("Militants killed an officer and a soldier near Kirkuk.", 2),
    ("The attack left 1 fatality and 4 injured.", 1),
    ("Gunmen opened fire on the market, wounding 3.", None),  # injuries are no deaths
    ("Gunmen attacked a village, killing 6 civilians.", 6),
    ("The attack caused 2 fatalities.", 2),
    ("There were no casualties.", 0), ("No fatalities were reported.", 0),
    ("One cattle trader was shot and killed during the clash.", 1),
    ("A young man was beaten to death by police.", 1),
    ("A farmer was gunned down by border guards.", 1),
    ("Gunmen killed 2 people and wounded 5 others.", 2),
    ("Militants attempted to assassinate a man in Nassougou.", None),
    ("Residents protested after an accident in which three children were killed.", None),  # another event's toll
])
def test_fatalities(nlp, text, expected):
    assert fatalities(nlp(text)[:]) == expected


def test_injuries_are_a_quantity_not_fatalities(nlp):
    doc = nlp("The attack left 1 fatality and 4 injured.")
    assert (4, "injured", False) in _qs(nlp, doc.text) and fatalities(doc[:]) == 1


@pytest.mark.parametrize("text, expected", [
    ("Clashes erupted. Unspecified number of fatalities coded as 3.", 3),
    ("1 Afghan soldier was killed. Fatalities coded as 0 (VoJ reported 1 fatality).", 0),
    ("Militants attacked a checkpoint [5 fatalities].", 5), ("Armed clash; fatalities: 7", 7),
    ("27 fatalities have been coded to specific events. Total 4 fatalities (3 confirmed) coded to this event.", 4),
    ("Militants attacked a checkpoint.", None),
])
def test_acled_coded_fatalities(text, expected):
    assert coded_fatalities(text) == expected


def test_an_acled_note_counts_the_deaths_of_its_later_sentences():
    from marsad.models import Article
    from marsad.pipeline import extract_events

    text = ("On 5 January 2024, policemen clashed with armed pirates in Bhola. 10 pirates were beaten to death "
            "by a mob. A fisher who was abducted by the pirates was also killed.")
    (_, events), = extract_events([Article(id="n", text=text)], get_settings(), False)
    assert events[0].date == "2024-01-05" and events[0].fatalities == 11
