"""The one place a finished Doc becomes plain records: Event models with resolved actors, dates and numbers."""
from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

from spacy.tokens import Doc, Span, Token

from ..models import Actor, Article, Condition, Event, Evidence, Modality, Quantity
from ..resolve.registry import Registry, load_registry
from ..resources import data_json
from .events import PERSONAL_PRONOUNS, Mention, doc_index

# --------------------------------------------------------------------------------------------- actors

# generic heads typed by ACLED interaction code (codebook: 6 protesters, 7 civilians) and PLOVER sector
_GENERIC = {
    "protester": ("CVL", 6), "demonstrator": ("CVL", 6), "resident": ("CVL", 7), "civilian": ("CVL", 7),
    "citizen": ("CVL", 7), "villager": ("CVL", 7), "people": ("CVL", 7), "student": ("EDU", None),
    "refugee": ("REF", 7), "journalist": ("MED", 7), "cleric": ("REL", None), "gunman": (None, 3),
}


def resolve_actor(span: Span | None, reg: Registry, as_group: bool = False) -> Actor | None:
    """An Actor for the words of `span`: a registry actor, or a typed unregistered one; None for a pronoun.
    `as_group`: the span is a spokesperson quoted saying "we": the actor is the organisation they speak for."""
    if span is None or (span.root.pos_ == "PRON" and span.root.lower_ in PERSONAL_PRONOUNS):
        return None
    if len(span) == 1 and not span.root.ent_type_ and any(
            c.dep_ == "det" and c.lower_ in ("the", "this", "that", "these", "those") for c in span.root.children):
        return None  # "the group", "the council": an anaphor, left null until coreference resolves it
    text, start, end = span.text, span.start_char, span.end_char
    entry = reg.lookup(text)
    if entry is None:  # "Iraq's government", "the Iraqi government": try without determiners / with the head only
        for ent in span.ents:
            if ent.label_ in ("PERSON", "ORG") and (e := reg.lookup(ent.text)) is not None and ent.root == span.root:
                entry = e
    if entry is None and span.root.ent_type_ in ("GPE", "NORP") and len(span) <= 3:
        iso3 = reg.country_of_word(span.root.text) or reg.country_of_word(text)
        entry = reg.by_id.get(f"{iso3}-GOV") if iso3 else None
    if entry is not None:
        if as_group and entry.parent and entry.parent in reg.by_id:
            entry = reg.by_id[entry.parent]
        return Actor(id=entry.id, name=entry.name, text=text, start=start, end=end, country=entry.country,
                     sector=entry.sector, acled_inter=entry.acled_inter, parent=entry.parent)
    country = next((c for t in span if (c := reg.country_of_word(t.text))), None)
    sector, inter = _GENERIC.get(span.root.lemma_.lower(), (None, None))
    return Actor(id=None, name=text, text=text, start=start, end=end, country=country, sector=sector,
                 acled_inter=inter)


# ---------------------------------------------------------------------------------------------- dates

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"], 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)? (\w+)(?:,? (\d{4}))?\b")
_MONTH_DAY = re.compile(r"\b(\w+)\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?\b")


def resolve_date(text: str, published: date | None) -> tuple[date, int] | None:
    """(date, ACLED time_precision) for a date expression, against the publication date; never after it
    unless the expression names a year. None when the words do not fix a day."""
    low = text.lower()
    if published is not None:
        for i, wd in enumerate(_WEEKDAYS):
            if wd in low:
                back = (published.weekday() - i) % 7
                return published - timedelta(days=back), 1
        if re.search(r"\b(today|tonight|this morning|this evening)\b", low):
            return published, 1
        if "yesterday" in low:
            return published - timedelta(days=1), 1
    for rx, dm in ((_DAY_MONTH, True), (_MONTH_DAY, False)):
        for m in rx.finditer(low):
            day, mon, year = (m.group(1), m.group(2), m.group(3)) if dm else (m.group(2), m.group(1), m.group(3))
            month = _MONTHS.get(mon)
            if month is None:
                continue
            if year is None and published is None:
                return None
            y = int(year) if year else published.year  # type: ignore[union-attr]
            try:
                d = date(y, month, int(day))
            except ValueError:
                continue
            if year is None and published is not None and d > published:
                d = d.replace(year=y - 1)
            return d, 1
    return None


# ----------------------------------------------------------------------------------------- quantities

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a dozen": 12, "dozen": 12}
# vague plurals: a documented lower-bound reading, always marked approximate
_VAGUE = {"dozens": 24, "scores": 40, "hundreds": 200, "thousands": 2000, "tens of thousands": 20000,
          "several": 3, "a few": 3}
_APPROX_WORDS = {"nearly", "about", "around", "approximately", "some", "almost", "roughly", "over", "more",
                 "up", "at", "least", "than", "estimated", "an"}


def parse_number(text: str) -> tuple[float | int, bool] | None:
    """(value, approx) of a number expression: '4,947', 'two', 'dozens', '1.5 million'."""
    low = text.lower().strip()
    if low in _VAGUE:
        return _VAGUE[low], True
    if low in _NUMBER_WORDS:
        return _NUMBER_WORDS[low], False
    m = re.fullmatch(r"([\d,]*\.?\d+)\s*(million|billion|thousand)?", low)
    if not m:
        return None
    value = float(m.group(1).replace(",", ""))
    value *= {"million": 1e6, "billion": 1e9, "thousand": 1e3}.get(m.group(2) or "", 1)
    return (int(value) if value.is_integer() else value), False


def quantities(sent: Span) -> list[Quantity]:
    """Counted things in a sentence: the number (CARDINAL entity or vague plural) and the noun it counts."""
    out = []
    for tok in sent:
        lead = tok.lower_ if tok.lower_ in _VAGUE and tok.pos_ == "NOUN" else None
        if lead and any(c.lower_ == "of" for c in tok.children):
            of = next(c for c in tok.children if c.lower_ == "of")
            unit_tok = next((g for g in of.children if g.dep_ == "pobj"), None)
            if unit_tok is not None:
                out.append(Quantity(value=_VAGUE[lead], unit=unit_tok.text, approx=True,
                                    text=sent.doc[tok.i:unit_tok.i + 1].text))
    for ent in sent.ents:
        if ent.label_ not in ("CARDINAL", "QUANTITY"):
            continue
        num_text = " ".join(t.text for t in ent if t.lower_ not in _APPROX_WORDS)
        parsed = parse_number(num_text)
        head = ent.root.head
        if parsed is None or ent.root.dep_ not in ("nummod", "quantmod") or head.pos_ not in ("NOUN", "PROPN"):
            continue
        value, approx = parsed
        approx = approx or any(t.lower_ in _APPROX_WORDS for t in ent) or (
            ent.start > 0 and sent.doc[ent.start - 1].lower_ in _APPROX_WORDS)
        unit_start = min([head.i] + [c.i for c in head.lefts if c.i > ent.end - 1 and c.dep_ in ("amod", "compound")])
        out.append(Quantity(value=value, unit=sent.doc[unit_start:head.i + 1].text, approx=approx,
                            text=sent.doc[ent.start:head.i + 1].text))
    return out


_KILL_VERBS = {"kill", "murder", "execute", "assassinate", "behead", "lynch", "massacre", "slaughter"}
_NONE_RE = re.compile(r"\bno (?:one was killed|deaths|fatalit(?:y|ies)|casualties|one died)\b|"
                      r"\bwithout (?:causing )?(?:any )?casualties\b", re.I)


def _count(noun: Token) -> int | None:
    """How many people a noun phrase counts, its conjuncts included: 'two soldiers and a civilian' -> 3.
    None when it cannot be told ('civilians', 'dozens of people')."""
    total = 0
    for head in [noun, *noun.conjuncts]:
        nums = [c for c in head.children if c.dep_ in ("nummod", "quantmod") or (c.dep_ == "det" and c.like_num)]
        if nums:
            parsed = parse_number(nums[0].text)
            if parsed is None or parsed[1]:
                return None
            total += int(parsed[0])
        elif head.tag_ in ("NN", "NNP") or any(c.lower_ in ("a", "an", "one") for c in head.children):
            total += 1  # "killed a civilian", "killed the driver", "killed Ahmed Ali"
        else:
            return None
    return total


def fatalities(sent: Span) -> int | None:
    """Deaths a sentence reports, read from the parse: 'killing 6 civilians', 'two soldiers were killed',
    'shot dead a farmer', '2 fatalities', 'no fatalities were reported' (0). None when it says nothing."""
    if _NONE_RE.search(sent.text):
        return 0
    for tok in sent:
        lem = tok.lemma_.lower()
        victim = None
        shot_dead = lem == "shoot" and any(x.lower_ == "dead" for c in tok.children for x in (c, *c.children))
        if lem in _KILL_VERBS or shot_dead:
            victim = next((c for c in tok.children if c.dep_ in ("dobj", "nsubjpass")), None)
        elif lem in ("die", "dead") and tok.pos_ in ("VERB", "ADJ"):
            victim = next((c for c in tok.children if c.dep_ in ("nsubj", "dobj")), None)
            if victim is None and tok.dep_ in ("oprd", "acomp", "amod", "xcomp", "ccomp") and tok.head.pos_ == "VERB":
                victim = next((c for c in tok.head.children if c.dep_ == "dobj"), None)  # "left three DEAD"
        elif lem in ("fatality", "death") and tok.pos_ == "NOUN":
            victim = tok
            nums = [c for c in tok.children if c.dep_ == "nummod"]
            if nums and (parsed := parse_number(nums[0].text)) and not parsed[1]:
                return int(parsed[0])
            continue
        if victim is not None and victim.pos_ in ("NOUN", "PROPN", "NUM"):
            if victim.pos_ == "NUM" and (parsed := parse_number(victim.text)) and not parsed[1]:
                return int(parsed[0])
            n = _count(victim)
            if n is not None:
                return n
    return None


# ------------------------------------------------------------------------------------- codes, contexts

def acled_types(event_type: str, mode: str | None) -> tuple[str | None, str | None]:
    table = data_json("lexicons/acled_from_plover.json")
    pair = table.get(f"{event_type}/{mode}") or table.get(event_type)
    return (pair[0], pair[1]) if pair else (None, None)


def contexts(sent: Span) -> list[str]:
    lemmas = {t.lemma_.lower() for t in sent} | {sent.text.lower()}
    return sorted(c for c, cues in data_json("lexicons/contexts.json").items() if set(cues) & lemmas)


# ------------------------------------------------------------------------------------------- assembly

def evidence_of(sent: Span) -> Evidence:
    """The sentence as evidence: its text without surrounding white space, and the offsets of that text."""
    text = doc_index(sent.doc).text
    s, e = sent.start_char, sent.end_char
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return Evidence(text=text[s:e], start=s, end=e)


def event_id(article: Article, m: Mention) -> str:
    actor_at = m.actor.start_char if m.actor is not None else -1  # coordinated actors share a trigger
    key = f"{article.id}\x1f{article.content_hash}\x1f{m.trigger.idx}\x1f{m.event_type}\x1f{actor_at}"
    return "ev_" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _confidence(m: Mention) -> float:
    """A heuristic, not a calibrated probability: more for found parties, less for hedged or noun triggers."""
    c = 0.4 + 0.25 * (m.actor is not None) + 0.15 * (m.recipient is not None)
    c += 0.1 * (m.trigger.pos_ in ("VERB", "AUX")) - 0.1 * m.hedged
    return round(max(0.05, min(0.95, c)), 2)


def to_event(article: Article, m: Mention, reg: Registry) -> Event:
    sent = m.sent
    qs = quantities(sent)
    resolved = resolve_date(m.date.text, article.published) if m.date is not None else None
    acled_type, acled_sub = acled_types(m.event_type, m.mode)
    condition = None
    if m.condition is not None:
        condition = Condition(text=m.condition.text, event_type=m.condition_type,
                              actor=resolve_actor(m.condition_actor, reg))
    return Event(
        event_id=event_id(article, m), article_id=article.id, event_type=m.event_type, mode=m.mode,
        context=contexts(sent), acled_event_type=acled_type, acled_sub_event_type=acled_sub,
        actor=resolve_actor(m.actor, reg, as_group=m.actor_is_speaker_group),
        recipient=resolve_actor(m.recipient, reg), location=None,
        date=resolved[0].isoformat() if resolved else None, date_precision=resolved[1] if resolved else None,
        date_text=m.date.text if resolved else None,
        fatalities=fatalities(sent) if m.event_type == "ASSAULT" else None, quantities=qs,
        evidence=evidence_of(sent), speaker=resolve_actor(m.speaker, reg),
        modality=Modality(negated=m.negated, hypothetical=m.hypothetical, hedged=m.hedged, condition=condition),
        confidence=_confidence(m),
    )


def doc_to_events(article: Article, doc: Doc) -> list[Event]:
    """All events of an article, main event first. Salience: sentences in document order (news puts the main
    event in the lede); within a sentence the trigger nearest the root of the parse first (the main verb,
    not what it mentions), then events with an identified actor."""
    reg = load_registry()
    mentions = doc._.event_mentions or []
    sent_of = doc_index(doc).sent_of_token
    events = [to_event(article, m, reg) for m in mentions]
    order = sorted(range(len(events)), key=lambda i: (
        sent_of[mentions[i].trigger.i], len(list(mentions[i].trigger.ancestors)),
        events[i].actor is None, mentions[i].trigger.i))
    return merge_restatements([events[i] for i in order])


def _party_key(a: Actor | None) -> str | None:
    return None if a is None else a.id or a.name.casefold()


def merge_restatements(events: list[Event]) -> list[Event]:
    """One event per fact: a later event with the same type, mode, actor and recipient (both known), told by
    the same voice (speaker) and with no conflicting date restates an earlier one. The better-evidenced of
    the two (higher confidence, then the dated one) stands at the earlier one's place."""

    def key(e: Event) -> tuple:
        return (e.event_type, e.mode, _party_key(e.actor), _party_key(e.recipient), _party_key(e.speaker),
                e.modality.negated)

    out: list[Event] = []
    for ev in events:
        k = key(ev)
        twin = next((i for i, o in enumerate(out) if None not in k[2:4] and key(o) == k
                     and (o.date is None or ev.date is None or o.date == ev.date)), None)
        if twin is None:
            out.append(ev)
        elif (ev.confidence, ev.date is not None) > (out[twin].confidence, out[twin].date is not None):
            out[twin] = ev
    return out
