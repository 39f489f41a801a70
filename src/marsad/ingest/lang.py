"""Language of an article: English articles are event-coded; others are stored with their language, not coded.

Offline and deterministic: `py3langid` (a naive-Bayes n-gram model shipped in the package, ~1 ms a text)
restricted to the languages the press of conflict regions is written in, plus two guards measured on our
English news sets (`eval/data/news_acled_*.jsonl`, 600 short reports: 0 called non-English):

  * a text mostly in a non-Latin script (Arabic, Cyrillic, Hebrew, CJK ...) is not English, whatever the model
    says about its few Latin words;
  * a Latin-script text is called non-English only when the model is sure (normalised probability >= 0.9),
    the text has at least `MIN_LETTERS` letters, and few English function words: short English reports
    heavy with transliterated names ("Kataib Hezbollah attacked Ain al-Asad") fool n-gram models.

An article's `language` field, when its source states it (a JSONL record's "language", a page's
<html lang>), wins over detection only if it is not English: a page template saying lang="en" above an
Arabic article is common, the reverse is not.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..models import Article

# ISO 639-1 codes: major languages of news from conflict regions (restricting the model's set avoids calling
# a name-heavy English report Kabyle or Indonesian).
LANGUAGES = ("en", "ar", "fa", "ur", "ps", "he", "tr", "ku", "fr", "es", "pt", "it", "de", "nl", "ru", "uk",
             "pl", "ro", "sr", "hr", "bg", "el", "sq", "hy", "ka", "az", "am", "so", "sw", "ha", "hi", "bn",
             "ta", "ne", "my", "th", "vi", "id", "ms", "tl", "zh", "ja", "ko", "sv", "da", "no", "fi", "hu",
             "cs", "sk")
MIN_LETTERS = 40
MIN_PROB = 0.9
SAMPLE_CHARS = 5000  # the model is read on the first few thousand characters: plenty, and bounded in time

_EN_FUNCTION = frozenset(
    ["the", "of", "and", "to", "in", "a", "is", "was", "were", "that", "for", "on", "with", "by", "at", "from", "as", "it", "his", "her", "their", "said", "has", "have", "had", "not", "are", "be", "been", "an", "or", "which", "who", "this", "after", "into", "its", "over", "they", "he", "she", "than", "also", "but"])
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGUAGES))
    return ident


def _script_share(text: str) -> tuple[int, float]:
    """(number of letters, share of them outside the Latin script)."""
    letters = non_latin = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            if ord(ch) > 0x24F and "LATIN" not in unicodedata.name(ch, ""):
                non_latin += 1
    return letters, (non_latin / letters if letters else 0.0)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language; "en" when unsure (a report too short or too odd to tell),
    None when the text has no letters at all."""
    sample = text[:SAMPLE_CHARS]
    letters, non_latin = _script_share(sample)
    if letters == 0:
        return None
    if non_latin < 0.5:
        words = [w.lower() for w in _WORD.findall(sample)]
        function_share = sum(w in _EN_FUNCTION for w in words) / max(len(words), 1)
        if letters < MIN_LETTERS or function_share >= 0.12:
            return "en"
    lang, prob = _identifier().classify(sample)
    if non_latin >= 0.5:
        return lang if lang != "en" else _script_guess(sample)
    return lang if prob >= MIN_PROB else "en"


def _script_guess(text: str) -> str:
    """A language for a non-Latin text the model called English (rare): the main script's usual language."""
    for ch in text:
        if ch.isalpha() and ord(ch) > 0x24F:
            name = unicodedata.name(ch, "")
            for script, lang in (("ARABIC", "ar"), ("CYRILLIC", "ru"), ("HEBREW", "he"), ("CJK", "zh"),
                                 ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("HANGUL", "ko"), ("GREEK", "el"),
                                 ("DEVANAGARI", "hi"), ("THAI", "th"), ("ARMENIAN", "hy"), ("GEORGIAN", "ka"),
                                 ("ETHIOPIC", "am")):
                if name.startswith(script):
                    return lang
    return "und"


def normalise_code(code: object) -> str | None:
    """'en-GB', 'EN', 'en_US' -> 'en'; None for anything that is not a plausible language tag."""
    if not isinstance(code, str):
        return None
    m = re.fullmatch(r"\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*", code)
    return m.group(1).lower() if m else None


def article_language(text: str, stated: object = None) -> str | None:
    """The language to record for an article: a stated non-English language, else the detected one."""
    code = normalise_code(stated)
    if code and code != "en":
        return code
    return detect_language(text)


def is_english(article: Article) -> bool:
    """Whether to event-code this article: its language is English (or unknown: no letters to tell by).
    The readers set `language` on every article they make; an Article built by hand without one
    is detected here."""
    lang = article.language if "language" in article.model_fields_set else detect_language(article.text)
    return lang in (None, "en", "und") or (isinstance(lang, str) and lang.lower().startswith("en"))
