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
from ..classify.inter import predict_inter
from ..classify.taxonomy import EVENT_OF
from ..geo.locate import event_location
from ..models import Actor, Article, Event, Modality
from ..resolve.registry import load_registry
from ..resources import data_json
from .events import doc_index, load_lexicon, mention_span, subject_of
from .records import evidence_of, in_context, resolve_actor

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


# ACLED's coding convention: in a demonstration the actor is coded by its role, whoever its members are
# ("Government MPs staged a protest" -> Protesters, 6); unnamed demonstrators are still an actor.
_ROLE_OF_TYPE = {"Protests": (6, "Protesters"), "Riots": (5, "Rioters")}


def acled_roles(ev: Event) -> Event:
    """The event with ACLED interaction codes of the roles its ACLED type implies: protesters (6) and rioters
    (5) as actor; in 'Excessive force against protesters' state forces (1) act on protesters (6)."""
    sub, update = ev.acled_sub_event_type, {}
    if sub == "Excessive force against protesters":
        if ev.actor is not None and ev.actor.acled_inter is None:
            update["actor"] = ev.actor.model_copy(update={"acled_inter": 1})
        if ev.recipient is not None:
            update["recipient"] = ev.recipient.model_copy(update={"acled_inter": 6})
    elif ev.acled_event_type in _ROLE_OF_TYPE:
        inter, name = _ROLE_OF_TYPE[ev.acled_event_type]
        update["actor"] = (ev.actor.model_copy(update={"acled_inter": inter}) if ev.actor is not None else
                           Actor(name=name, text="", sector="CVL", acled_inter=inter))
    return ev.model_copy(update=update) if update else ev


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
    ev = Event(event_id="ev_" + hashlib.sha1(key.encode()).hexdigest()[:16], article_id=article.id,
               event_type=plover[0], mode=plover[1], actor=actor, evidence=evidence_of(sent),
               location=event_location(sent, sent.root, getattr(doc._, "places", None)),
               modality=Modality(), confidence=0.3)
    return in_context(article, doc, [ev], [0])[0]  # the date and deaths the report states


def assign_acled(items: Sequence[tuple[Article, Doc, list[Event]]]) -> list[list[Event]]:
    """The events of each article with ACLED codes set (one classifier call for the whole batch)."""
    slots = [(n, i, text) for n, (art, _, evs) in enumerate(items) for i, text in _slots(art, evs)]
    preds = _once(classify, [text for _, _, text in slots]) if slots else []
    out = [list(evs) for _, _, evs in items]
    coded: list[tuple[int, int, str]] = []  # (article, event, text) of the events that got an ACLED code
    for (n, i, text), pred in zip(slots, preds):
        if not _plausible(pred.event_type, items[n][1]):
            continue
        if i is None:
            if pred.score >= FALLBACK_MIN_SCORE and (ev := _fallback(items[n][0], items[n][1],
                                                                   pred.sub_event_type)) is not None:
                out[n] = [acled_roles(ev.model_copy(update={"acled_event_type": pred.event_type,
                                                            "acled_sub_event_type": pred.sub_event_type}))]
                coded.append((n, 0, text))
            continue
        event_type, sub = constrained(pred, out[n][i])
        out[n][i] = acled_roles(out[n][i].model_copy(update={"acled_event_type": event_type,
                                                             "acled_sub_event_type": sub}))
        coded.append((n, i, text))
    _infer_inter(out, coded)
    return out


def _once(fn, texts: list[str], extra: list | None = None) -> list:
    """`fn` on each distinct input once (several events of an article share one evidence sentence), its
    answers spread back in input order. The classifiers score each text on its own, so this is exact."""
    keys = list(zip(texts, extra)) if extra is not None else texts
    uniq = list(dict.fromkeys(keys))
    if len(uniq) == len(keys):
        return fn(texts, extra) if extra is not None else fn(texts)
    answers = (fn([k[0] for k in uniq], [k[1] for k in uniq]) if extra is not None else fn(uniq))
    by_key = dict(zip(uniq, answers))
    return [by_key[k] for k in keys]


def _party(actor: Actor | None, code: int | None) -> Actor | None:
    """The party with its interaction code filled in from the classifier when the words left it open. An
    unnamed party stays null: the classifier's category is no evidence of who acted ('a drone was shot
    down': by whom is not said). Protesters and rioters are the exception (acled_roles): there the
    category is what the event is."""
    if actor is None or code is None or actor.acled_inter is not None:
        return actor
    return actor.model_copy(update={"acled_inter": code})


def _infer_inter(out: list[list[Event]], coded: list[tuple[int, int, str]]) -> None:
    """ACLED interaction codes for the parties of ACLED-coded events that the registry and the generic
    actor types could not code, read from the report by the interaction-code models (classify.inter)."""
    todo = [(n, i, text) for n, i, text in coded
            if any(a is not None and a.acled_inter is None for a in (out[n][i].actor, out[n][i].recipient))]
    if not todo:
        return
    subs = [out[n][i].acled_sub_event_type for n, i, _ in todo]
    texts = [text for _, _, text in todo]
    a1s = _once(lambda t, s: predict_inter("actor1", t, s), texts, subs)
    a2s = _once(lambda t, s: predict_inter("actor2", t, s), texts, subs)
    for (n, i, _), a1, a2 in zip(todo, a1s, a2s):
        ev = out[n][i]
        out[n][i] = ev.model_copy(update={"actor": _party(ev.actor, a1[0]), "recipient": _party(ev.recipient, a2[0])})
