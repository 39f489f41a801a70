"""Text normalisation and features shared by training and inference (pure Python, no scikit-learn).

ACLED notes carry boilerplate that news sentences lack ("On 5 May 2023, ...", "[size=no report]",
"2 fatalities."); `normalize` removes it so the model learns from what happened, not from the format.
"""
from __future__ import annotations

import re

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
# A leading date clause: "On 5 May 2023,", "Around 4 May 2020 (as reported),", "On Oct 11th,", ...
_LEAD_DATE = re.compile(
    r"^\s*(?:(?:on|around|as reported on|between|on or (?:about|around)|during the (?:week|weekend|month) of|"
    r"sometime (?:in|on|around)|in|by|from|overnight on|at least since|since)\s+)+"
    rf"[^,.;:]{{0,40}}?(?:\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH})"
    r"(?:,?\s*\d{4})?(?:\s*\([^)]{0,40}\))?\s*,\s*", re.I)
_PREFIX = re.compile(r"^[A-Z][A-Za-z /-]{2,40}:\s+")           # "Looting: ", "Movement of forces: "
_TAG = re.compile(r"\s*\[[^\]]{0,120}\]")                       # [size=...], [counter-protest], ...
_FATAL = re.compile(r"\s*\(?\b(?:\d+|no|one|two|three)\s+fatalit(?:y|ies)(?:\s+\w+){0,3}\)?\.?", re.I)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_SPACE = re.compile(r"\s+")


def normalize(text: str, tags: bool = False) -> str:
    """The text without ACLED's date lead and fatality counts (and bracketed tags unless `tags`);
    digit runs become '0'."""
    text = _SPACE.sub(" ", text).strip()
    m = _PREFIX.match(text)
    head, text = (text[:m.end()], text[m.end():]) if m else ("", text)
    text = head + _LEAD_DATE.sub("", text, count=1)
    if not tags:
        text = _TAG.sub("", text)
    text = _FATAL.sub("", text)
    text = _DIGITS.sub("0", text)
    return text.strip()


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def prepare(text: str, tags: bool = False) -> str:
    """What the featurisers read: the normalised, lower-cased text."""
    return normalize(text, tags).lower()


def word_grams(prepared: str) -> list[str]:
    """Word unigrams and bigrams of a `prepare`d text."""
    words = _WORD.findall(prepared)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def char_grams(prepared: str, sizes: tuple[int, ...] = (3, 4, 5)) -> list[str]:
    """Character n-grams inside each word, padded with a space on either side (like char_wb)."""
    out: list[str] = []
    for w in _WORD.findall(prepared):
        w = f" {w} "
        last = len(w)
        for n in sizes:
            if n > last:
                break
            out.extend([w[i:i + n] for i in range(last - n + 1)])
    return out
