"""Date expressions against the publication date (pure functions, no spaCy): (date, ACLED time_precision)."""
from __future__ import annotations

from datetime import date

import pytest

from marsad.extract.timex import resolve_date

MON = date(2025, 6, 16)  # a Monday
THU = date(2025, 6, 19)  # a Thursday


@pytest.mark.parametrize("text, published, expected", [
    # weekdays: the latest such day not after publication; the publication day itself counts
    ("on Sunday", MON, (date(2025, 6, 15), 1)),
    ("early Monday", MON, (date(2025, 6, 16), 1)),
    ("Monday morning", MON, (date(2025, 6, 16), 1)),
    ("late Tuesday night", MON, (date(2025, 6, 10), 1)),
    ("on Thursday", THU, (date(2025, 6, 19), 1)),
    ("last Monday", MON, (date(2025, 6, 9), 1)),
    # counted from the publication date
    ("today", MON, (MON, 1)), ("yesterday", MON, (date(2025, 6, 15), 1)),
    ("the day before", MON, (date(2025, 6, 15), 1)), ("two days ago", MON, (date(2025, 6, 14), 1)),
    # weeks (precision 2: the Wednesday) and months (precision 3: the 15th), never after publication
    ("last week", MON, (date(2025, 6, 11), 2)), ("this week", THU, (date(2025, 6, 18), 2)),
    ("this week", MON, (MON, 2)),
    ("last month", MON, (date(2025, 5, 15), 3)), ("in January", MON, (date(2025, 1, 15), 3)),
    ("earlier this month", THU, (date(2025, 6, 15), 3)), ("earlier this month", date(2025, 6, 3), (date(2025, 6, 3), 3)),
    ("in July", MON, (date(2024, 7, 15), 3)),
    # day and month
    ("since June 13", MON, (date(2025, 6, 13), 1)), ("13 June", MON, (date(2025, 6, 13), 1)),
    ("on 2 January 2024", MON, (date(2024, 1, 2), 1)), ("January 2, 2024", MON, (date(2024, 1, 2), 1)),
    ("2 Jan.", MON, (date(2025, 1, 2), 1)), ("Sept 27, 2016", MON, (date(2016, 9, 27), 1)),
    ("on the 5th", MON, (date(2025, 6, 5), 1)), ("on the 20th", MON, (date(2025, 5, 20), 1)),
    ("2025-06-01", MON, (date(2025, 6, 1), 1)),
    ("From Jan 21 to Jan 27, 2020", MON, (date(2020, 1, 21), 1)),  # a range: its start
    ("5 and 6 May 2020", None, (date(2020, 5, 5), 1)),
    ("November 26 or 27 2013", None, (date(2013, 11, 26), 1)),
    # the future guard: no date after publication unless the year is stated
    ("December 25", MON, (date(2024, 12, 25), 1)), ("June 20", MON, (date(2024, 6, 20), 1)),
    ("20 June 2025", MON, (date(2025, 6, 20), 1)), ("July 2026", MON, (date(2026, 7, 15), 3)),
    ("next Tuesday", MON, None), ("tomorrow", MON, None),
    # words that fix no date
    ("days", MON, None), ("that same night", MON, None), ("the past 24 hours", MON, None), ("24 hours", MON, None),
    ("in 2003", MON, None), ("at the end of the march", MON, None),  # lower-case "march", "may" are no months
    # no publication date: absolute dates resolve, relative ones do not
    ("On 5 January 2024", None, (date(2024, 1, 5), 1)), ("January 2, 2024", None, (date(2024, 1, 2), 1)),
    ("2025-06-01", None, (date(2025, 6, 1), 1)), ("January 2024", None, (date(2024, 1, 15), 3)),
    ("Sunday", None, None), ("June 13", None, None), ("yesterday", None, None), ("last week", None, None),
    ("on the 5th", None, None), ("28/2/08", None, None),
])
def test_resolve_date(text, published, expected):
    assert resolve_date(text, published) == expected


def test_dateparser_is_a_guarded_fallback():
    assert resolve_date("28/2/08", MON) == (date(2008, 2, 28), 1)  # a numeric form our rules leave to it
    assert resolve_date("12/31", MON) in (None, (date(2024, 12, 31), 1))  # never after publication
