"""Pure parts of the record builder: dates against the publication date, numbers."""
from __future__ import annotations

from datetime import date

import pytest

from marsad.extract.numbers import parse_number
from marsad.extract.timex import resolve_date

PUB = date(2025, 6, 16)  # a Monday


@pytest.mark.parametrize("text, expected", [
    ("Sunday", date(2025, 6, 15)), ("early Monday", date(2025, 6, 16)), ("on Friday", date(2025, 6, 13)),
    ("Tuesday", date(2025, 6, 10)), ("yesterday", date(2025, 6, 15)), ("today", PUB),
    ("June 13", date(2025, 6, 13)), ("13 June", date(2025, 6, 13)), ("2 January 2024", date(2024, 1, 2)),
    ("December 25", date(2024, 12, 25)),  # never in the future of the publication date
])
def test_resolve_date(text, expected):
    assert resolve_date(text, PUB) == (expected, 1)


def test_relative_dates_need_a_publication_date():
    assert resolve_date("Sunday", None) is None
    assert resolve_date("June 13", None) is None
    assert resolve_date("2 January 2024", None) == (date(2024, 1, 2), 1)
    assert resolve_date("days", PUB) is None


@pytest.mark.parametrize("text, expected", [
    ("4,947", (4947, False)), ("two", (2, False)), ("dozens", (24, True)), ("1.5 million", (1500000, False)),
    ("14", (14, False)), ("many", None),
])
def test_parse_number(text, expected):
    assert parse_number(text) == expected
