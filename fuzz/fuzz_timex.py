"""atheris: date expressions through marsad.extract.timex.resolve_date (never raises; never after the
publication date unless a year is written)."""
import re
from datetime import date, timedelta

import atheris

with atheris.instrument_imports(include=["marsad"]):
    from marsad.extract.timex import resolve_date

from _common import argv

YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def one(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    published = None if fdp.ConsumeBool() else date(1900, 1, 8) + timedelta(days=fdp.ConsumeIntInRange(0, 72000))
    text = fdp.ConsumeUnicodeNoSurrogates(120)
    got = resolve_date(text, published)
    if got is not None:
        day, precision = got
        assert precision in (1, 2, 3)
        if published is not None and not YEAR.search(text.lower()):
            assert day <= published, (text, published, day)


if __name__ == "__main__":
    atheris.Setup(argv("timex"), one)
    atheris.Fuzz()
