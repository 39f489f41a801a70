"""When events happened: date expressions resolved against the publication date.

Pure functions (no spaCy). A resolved date is `(date, precision)` with ACLED's time_precision: 1 a day,
2 a week or weekend, 3 a month or vaguer. Where only a week or month is known the date is its middle
(ACLED's convention: the Wednesday of a week, the 15th of a month), never later than the publication date.

Two rules keep dates honest:
  * a relative expression ("on Sunday", "last week", "June 13") needs the publication date; without one
    it resolves to None (an ACLED note has none, but states its year: "On 5 January 2024, ...");
  * a date is never after the publication date unless the expression states its year: news reports what
    has happened, so "on Tuesday" in a Monday paper is the Tuesday before.
Our own rules come first; `dateparser` is a last resort for odd absolute forms ("28/2/08"), and is
trusted only where the text names a month or a numeric date (it reads "24 hours" as yesterday).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

Resolved = tuple[date, int]

DAY, WEEK, MONTH = 1, 2, 3

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december"]
_MONTHS = {m[:3]: i for i, m in enumerate(_MONTH_NAMES, 1)}  # looked up by the first three letters
_MON = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
       r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
_ORD = r"(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORD}(?:\s*(?:-|–|and|or|to)\s*\d{{1,2}}{_ORD})?\s+(?:of\s+)?{_MON}")
_MONTH_DAY = re.compile(rf"\b{_MON}\s+(?:the\s+)?(\d{{1,2}}){_ORD}(?!\d)")
_MONTH_ONLY = re.compile(rf"\b{_MON}")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NTH = re.compile(rf"\bthe\s+(\d{{1,2}}){_ORD}\b")
_NUMERIC = re.compile(r"\b\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b")
_AGO = re.compile(r"\b(a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(day|week)s?\s+"
                  r"(?:ago|earlier|before)\b")
_SMALL = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10}
_FUTURE = re.compile(r"\b(next|tomorrow|coming|upcoming|later this|in (?:a|\w+) (?:days?|weeks?|months?))\b")


def resolve_date(text: str, published: date | None) -> Resolved | None:
    """(date, ACLED time_precision) of a date expression, or None when the words do not fix a date."""
    text = re.sub(r"\b(march|may)\b", " ", text)  # lower case: a verb or noun ("the end of the march")
    low = " ".join(text.lower().replace("’", "'").split())
    if _FUTURE.search(low):
        return None  # "next week", "tomorrow": not something that has happened
    year = int(m.group(1)) if (m := _YEAR.search(low)) else None
    for rule in (_iso, _day_and_month, _relative, _month):
        found = rule(low, published, year)
        if found is not None:
            return _guard(found, published, year)
    return _guard(_dateparser(text, published, year), published, year)


def _guard(found: Resolved | None, published: date | None, year: int | None) -> Resolved | None:
    """Nothing after the publication date unless the year is stated."""
    if found is None or (published is not None and year is None and found[0] > published):
        return None
    return found


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _iso(low: str, published: date | None, year: int | None) -> Resolved | None:
    m = _ISO.search(low)
    return (d, DAY) if m and (d := _safe(int(m[1]), int(m[2]), int(m[3]))) else None


def _in_year(month: int, day: int, published: date | None, year: int | None) -> date | None:
    """A month and day in the stated year, or in the last year in which it is not after publication."""
    if year is not None:
        return _safe(year, month, day)
    if published is None:
        return None
    d = _safe(published.year, month, day)
    return d if d is None or d <= published else _safe(published.year - 1, month, day)


def _day_and_month(low: str, published: date | None, year: int | None) -> Resolved | None:
    """'2 January 2024', 'January 2, 2024', '2 Jan.', 'since June 13' (the start), 'on the 5th'; the first
    one in the text ('From Jan 21 to Jan 27, 2020' -> 21 January 2020)."""
    hits = [(m.start(), int(m[1]), _MONTHS[m[2][:3]]) for m in _DAY_MONTH.finditer(low)]
    hits += [(m.start(), int(m[2]), _MONTHS[m[1][:3]]) for m in _MONTH_DAY.finditer(low)]
    if hits:
        _, day, month = min(hits)
        d = _in_year(month, day, published, year)
        return (d, DAY) if d else None
    if (m := _NTH.search(low)) and published is not None and not _MONTH_ONLY.search(low):
        day = int(m[1])  # "on the 5th": this month, or last month if the 5th is still to come
        d = _safe(published.year, published.month, day)
        if d is None or d > published:
            prev = published.replace(day=1) - timedelta(days=1)
            d = _safe(prev.year, prev.month, day)
        return (d, DAY) if d else None
    return None


def _mid_month(y: int, m: int, published: date | None) -> date:
    d = date(y, m, 15)
    return min(d, published) if published is not None and (y, m) == (published.year, published.month) else d


def _month(low: str, published: date | None, year: int | None) -> Resolved | None:
    """'in January', 'January 2024', 'earlier this month', 'last month': the middle of the month."""
    if published is not None and re.search(r"\b(this|earlier this) month\b", low):
        return _mid_month(published.year, published.month, published), MONTH
    if published is not None and re.search(r"\b(last|previous) month\b|\ba month ago\b", low):
        prev = published.replace(day=1) - timedelta(days=1)
        return _mid_month(prev.year, prev.month, published), MONTH
    m = _MONTH_ONLY.search(low)
    if m is None:
        return None
    month = _MONTHS[m[1][:3]]
    if year is None:
        if published is None:
            return None
        y = published.year if month <= published.month else published.year - 1
    else:
        y = year
    return _mid_month(y, month, published), MONTH


def _relative(low: str, published: date | None, year: int | None) -> Resolved | None:
    """Words that count from the publication date: 'today', 'yesterday', 'two days ago', 'the day before',
    'on Sunday', 'early Monday', 'late Tuesday night', 'last week' (its Wednesday), 'this week'."""
    if published is None:
        return None
    pub = published
    if re.search(r"\b(today|tonight|this (?:morning|afternoon|evening)|earlier today)\b", low):
        return pub, DAY
    if re.search(r"\b(yesterday|last night|the (?:previous|prior) day|the day before|a day earlier)\b", low):
        return pub - timedelta(days=1), DAY
    if m := _AGO.search(low):
        n = _SMALL.get(m[1]) or int(m[1])
        return (pub - timedelta(days=n), DAY) if m[2] == "day" else (pub - timedelta(weeks=n), WEEK)
    for i, wd in enumerate(_WEEKDAYS):
        if re.search(rf"\b{wd}s?\b", low):
            back = (pub.weekday() - i) % 7 or (7 if re.search(r"\blast\s+" + wd, low) else 0)
            return pub - timedelta(days=back), DAY
    if "weekend" in low:  # the latest Saturday
        return pub - timedelta(days=(pub.weekday() - 5) % 7), WEEK
    monday = pub - timedelta(days=pub.weekday())
    if re.search(r"\b(last|previous) week\b|\ba week ago\b", low):
        return monday - timedelta(days=5), WEEK
    if re.search(r"\bthis week\b", low):
        return min(monday + timedelta(days=2), pub), WEEK
    return None


def _dateparser(text: str, published: date | None, year: int | None) -> Resolved | None:
    """Last resort for other absolute forms. Only where a month is named or a numeric date is written;
    without a publication date only when the year is stated."""
    low = text.lower()
    if not (_MONTH_ONLY.search(low) or _NUMERIC.search(low)):
        return None
    if published is None and year is None:
        return None
    try:
        import dateparser
    except ImportError:  # optional: our own rules cover the common forms
        return None
    base = datetime.combine(published, datetime.min.time()) if published else datetime(2000, 1, 1)
    parts = ["day", "month"] + (["year"] if published is None else [])
    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": base, "REQUIRE_PARTS": parts}
    try:
        got = dateparser.parse(text, languages=["en"], settings=settings)
    except Exception:  # noqa: BLE001  (a parser quirk must not sink an article)
        return None
    return (got.date(), DAY) if got is not None else None
