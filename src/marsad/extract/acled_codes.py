"""ACLED event / sub-event types for extracted events, from the shipped ACLED classifier (marsad.classify).

ACLED records political violence, demonstrations and strategic developments, not statements: events of the
PLOVER types in ACLED_CODED get the classifier's code for their sentence; the main event of a report gets
the code of the whole report when it is short (an ACLED note, a brief), which is what one-record-per-report
coders do. A short report in which the rule-based coder found nothing but the classifier recognises an
event with confidence gets one event, its PLOVER type mapped from the ACLED sub-event type."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from spacy.tokens import Doc

from ..classify.acled import Prediction, classify
from ..classify.taxonomy import EVENT_OF
from ..models import Article, Event, Modality
from ..resolve.registry import load_registry
from ..resources import data_json
from .events import doc_index, load_lexicon, mention_span, subject_of
from .records import evidence_of, resolve_actor

ACLED_CODED = {"ASSAULT", "PROTEST", "COERCE", "MOBILIZE", "RETREAT", "AGREE"}
WHOLE_REPORT_CHARS = 1500  # a report this short is classified whole for its main event
FALLBACK_MIN_SCORE = 0.5
TRUST_SCORE = 0.9  # above this the classifier decides alone (chosen on the news dev set)


def constrained(pred: Prediction, event: Event | None) -> tuple[str, str]:
    """(event type, sub-event type): the classifier's most probable sub-event type among those compatible
    with what the coder found ('Israeli jets struck ...' is an ASSAULT/aerial: an air strike, whatever the
    words' statistics say)."""
    table = data_json("lexicons/acled_compat.json")
    allowed = None if event is None else table.get(f"{event.event_type}/{event.mode}") or table.get(event.event_type)
    if not allowed or pred.score >= TRUST_SCORE:
        return pred.event_type, pred.sub_event_type
    sub = max(allowed, key=lambda s: pred.probabilities.get(s, 0.0))
    return EVENT_OF[sub], sub


def _plausible(event_type: str, doc: Doc) -> bool:
    """The classifier was trained on events only: for a text that is no protest report its default answer
    is its majority class, a peaceful protest. A Protests code needs a protest word in the text."""
    if event_type != "Protests":
        return True
    words = load_lexicon().protest_words
    return any(tok.lemma_.lower() in words or tok.lower_ in words for tok in doc)


def _slots(article: Article, events: list[Event]) -> list[tuple[int | None, str]]:
    """(event index or None for 'no event yet', text to classify) for one article. A short report (an
    ACLED note, a brief) is classified whole for its main event, whatever the coder made of it."""
    short = len(article.text) <= WHOLE_REPORT_CHARS
    if not events:
        return [(None, article.text)] if short else []
    out = []
    if short or events[0].event_type in ACLED_CODED:
        out.append((0, article.text if short else events[0].evidence.text))
    out += [(i, ev.evidence.text) for i, ev in enumerate(events) if i and ev.event_type in ACLED_CODED]
    return out


def _fallback(article: Article, doc: Doc, sub_event: str) -> Event | None:
    plover = data_json("lexicons/plover_from_acled.json").get(sub_event)
    if plover is None or not len(doc):
        return None
    sent = doc_index(doc).sents[0]
    actor = resolve_actor(mention_span(subject_of(sent.root), load_lexicon(), via="none"), load_registry())
    key = f"{article.id}\x1f{article.content_hash}\x1facled\x1f{sub_event}"
    return Event(event_id="ev_" + hashlib.sha1(key.encode()).hexdigest()[:16], article_id=article.id,
                 event_type=plover[0], mode=plover[1], actor=actor, evidence=evidence_of(sent),
                 modality=Modality(), confidence=0.3)


def assign_acled(items: Sequence[tuple[Article, Doc, list[Event]]]) -> list[list[Event]]:
    """The events of each article with ACLED codes set (one classifier call for the whole batch)."""
    slots = [(n, i, text) for n, (art, _, evs) in enumerate(items) for i, text in _slots(art, evs)]
    preds = classify([text for _, _, text in slots]) if slots else []
    out = [list(evs) for _, _, evs in items]
    for (n, i, _), pred in zip(slots, preds):
        if not _plausible(pred.event_type, items[n][1]):
            continue
        if i is None:
            if pred.score >= FALLBACK_MIN_SCORE and (ev := _fallback(items[n][0], items[n][1],
                                                                   pred.sub_event_type)) is not None:
                out[n] = [ev.model_copy(update={"acled_event_type": pred.event_type,
                                                "acled_sub_event_type": pred.sub_event_type})]
            continue
        event_type, sub = constrained(pred, out[n][i])
        out[n][i] = out[n][i].model_copy(update={"acled_event_type": event_type, "acled_sub_event_type": sub})
    return out
