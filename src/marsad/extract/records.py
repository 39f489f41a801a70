"""The one place a finished Doc becomes plain records: Event models with resolved actors, dates and numbers."""
from __future__ import annotations

import hashlib
import re
from datetime import date

from spacy.tokens import Doc, Span, Token

from ..geo.locate import event_location
from ..models import Actor, Article, Condition, Event, Evidence, Modality
from ..resolve.registry import Entry, Registry, bare_name, load_registry
from ..resources import data_json
from .events import PERSONAL_PRONOUNS, Mention, doc_index
from .numbers import coded_fatalities, death_report, fatalities, quantities
from .timex import resolve_date

# --------------------------------------------------------------------------------------------- actors

def generic_type(span: Span) -> tuple[str | None, int | None, str | None]:
    """(sector, ACLED inter code, ACLED-style name) of an unnamed actor from its head noun and the modifier
    before it ('armed men', 'security forces', 'protesters'); Nones when the words type nothing."""
    table = data_json("actors/generic.json")
    head = span.root.lemma_.lower()
    mods = [c.lemma_.lower() for c in span.root.lefts if c.dep_ in ("amod", "compound")]
    for key in [f"{m} {head}" for m in reversed(mods)] + [head]:
        if key in table:
            return tuple(table[key])  # type: ignore[return-value]
    return None, None, None


_ROLE_WORDS = {"spokesman", "spokeswoman", "spokesperson", "leader", "commander", "head", "chief", "general",
               "secretary", "minister", "official", "member", "adviser", "advisor", "envoy", "ambassador",
               "president", "director", "founder", "deputy", "representative", "emir", "cleric"}


# Heads of a mention that act for the organisation named before them: "a Hamas official", "Hezbollah
# fighters", "IRGC commander", "Iraqi officials" (not "Hezbollah supporters": they are not the group).
_MEMBER_WORDS = {"official", "fighter", "militant", "member", "commander", "leader", "spokesman", "spokeswoman",
                 "spokesperson", "unit", "militiaman", "operative", "soldier", "troop", "rebel", "brigade",
                 "cadre", "activist", "representative", "delegation", "envoy", "diplomat", "minister",
                 "negotiator", "authority", "force", "jet", "warplane", "drone", "navy", "delegate"}
_MILITARY_WORDS = {"soldier", "troop", "force", "jet", "warplane", "drone", "navy", "unit", "brigade", "commander"}


def _member_of(span: Span, reg: Registry, when: date | None) -> Entry | None:
    """The organisation a member noun acts for: the named words before it ('Kataib Hezbollah members')."""
    root = span.root
    if root.lemma_.lower() not in _MEMBER_WORDS:
        return None
    mods = [c for c in root.lefts if c.dep_ in ("compound", "amod", "poss", "nmod") and c.i >= span.start]
    if not mods:
        return None
    words = span.doc[mods[0].left_edge.i:root.i]
    e = reg.lookup(words.text, when)
    if e is None and (iso3 := reg.country_of_word(words[0].text)):  # "Iranian (foreign) minister"
        e = reg.by_id.get(f"{iso3}-GOV")
    if e is not None and e.kind == "state" and root.lemma_.lower() in _MILITARY_WORDS:
        # "Iranian drones", "Israeli jets": the military (the registry's own actor for it when it has one)
        e = reg.lookup(f"{words[0].text} military", when) or reg.by_id.get(f"{e.country}-MIL", e)
    return e if e is not None and e.kind != "person" else None


def _org_of_role(role: Token, reg: Registry, when: date | None) -> Entry | None:
    """The organisation a role word names: 'spokesman for the Commander-in-Chief', "the group's leader",
    "Iran's army spokesperson" (possessor + the nouns before the role)."""
    doc = role.doc
    for prep in (c for c in role.children if c.dep_ == "prep" and c.lower_ in ("for", "of", "to")):
        for obj in (c for c in prep.children if c.dep_ == "pobj"):
            if (e := reg.lookup(doc[obj.left_edge.i:obj.right_edge.i + 1].text, when)) is not None:
                return e
    owner = next((c for c in (*role.children, *role.head.children) if c.dep_ == "poss"), None)
    nouns = [c for c in role.lefts if c.dep_ == "compound" and c.lemma_.lower() not in _ROLE_WORDS]
    if owner is not None:
        words = [doc[owner.left_edge.i:owner.i + 1].text, *(n.text for n in nouns)]
        for text in (" ".join(words), words[0]):
            if (e := reg.lookup(text, when)) is not None and e.kind != "person":
                return e
    return None


def affiliation(span: Span, reg: Registry, when: date | None = None) -> Entry | None:
    """The organisation a named person is introduced as speaking or acting for, read from the apposition
    or the title before the name ('Abu Hussein al-Hamidawi, the group's secretary-general')."""
    root = span.root
    roles = [c for c in root.children if c.dep_ == "appos"]
    roles += [c for c in root.lefts if c.dep_ == "compound" and c.lemma_.lower() in _ROLE_WORDS]
    for role in roles:
        if role.lemma_.lower() in _ROLE_WORDS or any(c.lemma_.lower() in _ROLE_WORDS for c in role.lefts):
            if (e := _org_of_role(role, reg, when)) is not None:
                return e
    return None


def _whole_name(ent: Span) -> bool:
    """Whether the entity is the whole proper name at its place: 'Maliki' in 'Sheikh Ali al-Maliki' is not
    (a surname alias would make him Nouri al-Maliki), 'Maliki' in 'Prime Minister Maliki' is."""
    doc, start = ent.doc, ent.start
    while start > 0 and (doc[start - 1].pos_ == "PROPN" or doc[start - 1].text == "-"):
        start -= 1
    return start == ent.start or bare_name(doc[start:ent.end].text) == bare_name(ent.text)


def _actor(entry: Entry, text: str, start: int, end: int, parent: str | None = None) -> Actor:
    return Actor(id=entry.id, name=entry.name, text=text, start=start, end=end, country=entry.country,
                 sector=entry.sector, acled_inter=entry.acled_inter, parent=entry.parent or parent)


def resolve_actor(span: Span | None, reg: Registry, as_group: bool = False, when: date | None = None
                  ) -> Actor | None:
    """An Actor for the words of `span`: a registry actor, or a typed unregistered one; None for a pronoun.
    `as_group`: the span is a spokesperson quoted saying "we": the actor is the organisation they speak for.
    `when`: the publication date, for roles that change hands ("the Iranian president")."""
    if span is None or (span.root.pos_ == "PRON" and span.root.lower_ in PERSONAL_PRONOUNS):
        return None
    if len(span) == 1 and not span.root.ent_type_ and any(
            c.dep_ == "det" and c.lower_ in ("the", "this", "that", "these", "those") for c in span.root.children):
        return None  # "the group", "the council": an anaphor, left null until coreference resolves it
    text, start, end = span.text, span.start_char, span.end_char
    entry = reg.lookup(text, when)
    if entry is None:  # "Iraq's government", "the Iraqi government": try without determiners / with the head only
        for ent in span.ents:
            if ent.label_ in ("PERSON", "ORG") and ent.root == span.root and _whole_name(ent) \
                    and (e := reg.lookup(ent.text, when)) is not None:
                entry = e
    if entry is None:
        entry = _member_of(span, reg, when)
    if entry is None and span.root.ent_type_ in ("GPE", "NORP") and len(span) <= 3:
        iso3 = reg.country_of_word(span.root.text) or reg.country_of_word(text)
        entry = reg.by_id.get(f"{iso3}-GOV") if iso3 else None
    org = affiliation(span, reg, when) if entry is None or entry.kind == "person" and not entry.parent else None
    if entry is not None:
        parent = entry.parent or (org.id if org else None)
        if as_group and parent and parent in reg.by_id:
            return _actor(reg.by_id[parent], text, start, end)
        return _actor(entry, text, start, end, parent)
    if as_group and org is not None:
        return _actor(org, text, start, end)
    country = next((c for t in span if (c := reg.country_of_word(t.text))), None)
    sector, inter, _ = generic_type(span)
    if inter == 1 and country is None and any(t.pos_ == "PROPN" for t in span if t.i != span.root.i):
        sector, inter = None, None  # "KIA forces", "People's Defense Force": a named group's, not a state's
    if org is not None:
        country, sector, inter = org.country, org.sector, org.acled_inter
    return Actor(id=None, name=text, text=text, start=start, end=end, country=country, sector=sector,
                 acled_inter=inter, parent=org.id if org else None)


# ---------------------------------------------------------------------------- dates and deaths in context

_FATAL_TYPES = {"ASSAULT", "PROTEST", "COERCE"}  # types whose reports can count deaths
_FUTURE_HEADS = {"schedule", "expect", "plan", "due", "set"}


def _future_clause(ent: Span) -> bool:
    """A date of something still to come ('is scheduled to convene on Tuesday', 'will meet on Sunday')."""
    verb = next((a for a in ent.root.ancestors if a.pos_ in ("VERB", "AUX")), None)
    return verb is not None and any(
        v.lemma_.lower() in _FUTURE_HEADS or any(c.dep_ == "aux" and c.lower_ in ("will", "shall", "'ll")
                                                 for c in v.children) for v in (verb, verb.head))


_DATEISH = re.compile(r"(?i)^(\d{1,4}(st|nd|rd|th)?|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|"
                      r"january|february|march|april|june|july|august|september|october|november|december|"
                      r",|or|and|to|-|–|\.)$")


def date_words(ent: Span) -> Span:
    """A DATE entity with the date words the tagger left outside it: 'Aug' + '22, 2017', 'November 26 or'
    + '27 2013'."""
    doc, start, end = ent.doc, ent.start, ent.end
    while start > max(0, ent.start - 4) and _DATEISH.match(doc[start - 1].text):
        start -= 1
    while end < min(len(doc), ent.end + 4) and _DATEISH.match(doc[end].text):
        end += 1
    while end - 1 > start and not doc[end - 1].text[:1].isalnum():
        end -= 1
    while start < end - 1 and not doc[start].text[:1].isalnum():
        start += 1
    return doc[start:end]


# a written day and month the tagger may miss ("Around 14 September 2022 (week of), ...")
_WRITTEN_DATE = re.compile(r"(?i)\b\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
                           r"[a-z]*\.?(?:,? \d{4})?|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? "
                           r"\d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?")


def sentence_dates(doc: Doc, published: date | None) -> list[tuple[tuple[date, int], str] | None]:
    """Per sentence, the first DATE entity that fixes a date of something that happened, with its words;
    failing that, a day and month written in it that the tagger did not mark."""
    out: list[tuple[tuple[date, int], str] | None] = []
    for sent in doc_index(doc).sents:
        found = next(((r, w) for e in sent.ents if e.label_ == "DATE" and not _future_clause(e)
                      and (r := resolve_date((w := date_words(e).text), published)) is not None), None)
        if found is None and (m := _WRITTEN_DATE.search(sent.text)):
            found = (r, m.group(0)) if (r := resolve_date(m.group(0), published)) is not None else None
        out.append(found)
    return out


def _paragraphs(doc: Doc) -> list[int]:
    """Paragraph number of each sentence (a line break between two sentences starts a paragraph)."""
    idx, out, n = doc_index(doc), [], 0
    for i, sent in enumerate(idx.sents):
        n += i > 0 and "\n" in idx.text[idx.sents[i - 1].end_char - 1:sent.start_char + 1]
        out.append(n)
    return out


_SAME_TIME = re.compile(r"\b(same|(?:the|that) (?:day|night|morning|afternoon|evening)|at the time|hours? later)\b",
                        re.I)
_OTHER_TIME = re.compile(r"\b(days?|weeks?|months?|years?|decades?|ago|earlier|previously|recently|\d{4})\b", re.I)


def in_context(article: Article, doc: Doc, events: list[Event], sent_nos: list[int],
               stated: list[str | None] | None = None) -> list[Event]:
    """Dates and deaths that an event's own sentence does not state, read from the article around it.

    Date: analysts date an event by the nearest date stated before it in the article ('On Sunday, Kataib
    Hezbollah threatened ... He also called for ...', 'since June 13, when Israel launched ... Iran responded
    that same night'); never the publication date by default, never a later sentence's date, and not when
    the event's own time words (`stated`) say it is another time they do not fix ('days after X warned').
    Deaths: a violent event whose sentence counts none gets those the following sentences of its paragraph
    report, added up ('... clashed with armed pirates. 10 pirates were beaten to death. A fisher was also
    killed.' -> 11), a summary count ('1 fatality.') restating rather than adding; an ACLED note's own
    coding ('Fatalities coded as 3') is what the first violent event of its paragraph gets."""
    sents = doc_index(doc).sents
    dates = sentence_dates(doc, article.published)
    paras = _paragraphs(doc)
    out = list(events)
    for k, (ev, n) in enumerate(zip(events, sent_nos)):
        own = stated[k] if stated else None
        if ev.date is None:  # another date of its sentence, else (unless it says when, unfixed) an earlier one
            lowest = n if own and _OTHER_TIME.search(own) and not _SAME_TIME.search(own) else 0
            anchor = next((dates[j] for j in range(n, lowest - 1, -1) if dates[j] is not None), None)
            if anchor is not None:
                (d, prec), text = anchor
                out[k] = ev.model_copy(update={"date": d.isoformat(), "date_precision": prec, "date_text": text})
    order = sorted((n, k) for k, n in enumerate(sent_nos) if events[k].event_type in _FATAL_TYPES)
    deaths = [death_report(s) for s in sents] if order else []
    first_of_para: dict[int, int] = {}
    for n, k in order:
        first_of_para.setdefault(paras[n], k)
    for n, k in order:
        if out[k].fatalities is not None:
            continue
        total = None
        for j in range(n, len(sents)):
            if paras[j] != paras[n]:
                break
            count, summary = deaths[j]
            if count is not None:
                total = max(total or 0, count) if summary else (total or 0) + count
        out[k] = out[k].model_copy(update={"fatalities": total})
    for para, k in first_of_para.items():
        text = " ".join(s.text for j, s in enumerate(sents) if paras[j] == para)
        if (coded := coded_fatalities(text)) is not None:
            out[k] = out[k].model_copy(update={"fatalities": coded})
    return out


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
    sent, when = m.sent, article.published
    qs = quantities(sent)
    date_span = date_words(m.date) if m.date is not None else None
    resolved = resolve_date(date_span.text, article.published) if date_span is not None else None
    acled_type, acled_sub = acled_types(m.event_type, m.mode)
    condition = None
    if m.condition is not None:
        condition = Condition(text=m.condition.text, event_type=m.condition_type,
                              actor=resolve_actor(m.condition_actor, reg, when=when))
    return Event(
        event_id=event_id(article, m), article_id=article.id, event_type=m.event_type, mode=m.mode,
        context=contexts(sent), acled_event_type=acled_type, acled_sub_event_type=acled_sub,
        actor=resolve_actor(m.actor, reg, as_group=m.actor_is_speaker_group, when=when),
        recipient=resolve_actor(m.recipient, reg, when=when),
        location=event_location(sent, m.trigger, getattr(sent.doc._, "places", None)),
        date=resolved[0].isoformat() if resolved else None, date_precision=resolved[1] if resolved else None,
        date_text=date_span.text if resolved else None,
        fatalities=fatalities(sent) if m.event_type in _FATAL_TYPES else None, quantities=qs,
        evidence=evidence_of(sent), speaker=resolve_actor(m.speaker, reg, when=when),
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
    events = in_context(article, doc, events, [sent_of[m.trigger.i] for m in mentions],
                        [m.date.text if m.date is not None else None for m in mentions])
    order = sorted(range(len(events)), key=lambda i: (
        sent_of[mentions[i].trigger.i], len(list(mentions[i].trigger.ancestors)),
        events[i].actor is None, mentions[i].trigger.i))
    carried = {events[i].event_id for i, m in enumerate(mentions) if m.recipient_carried}
    return merge_restatements([events[i] for i in order], keep=carried)


def _party_key(a: Actor | None) -> str | None:
    return None if a is None else a.id or a.name.casefold()


def merge_restatements(events: list[Event], keep: set[str] = frozenset()) -> list[Event]:
    """One event per fact: a later event with the same type, mode, actor and recipient (both known), told by
    the same voice (speaker) and with no conflicting date restates an earlier one. The better-evidenced of
    the two (higher confidence, then the dated one) stands at the earlier one's place. Events in `keep`
    (ids) are never merged: their recipient was inferred, so sameness of parties proves nothing."""

    def key(e: Event) -> tuple:
        return (e.event_type, e.mode, _party_key(e.actor), _party_key(e.recipient), _party_key(e.speaker),
                e.modality.negated)

    out: list[Event] = []
    for ev in events:
        k = key(ev)
        twin = None if ev.event_id in keep else next(
            (i for i, o in enumerate(out) if None not in k[2:4] and key(o) == k and o.event_id not in keep
             and (o.date is None or ev.date is None or o.date == ev.date)), None)
        if twin is None:
            out.append(ev)
        elif (ev.confidence, ev.date is not None) > (out[twin].confidence, out[twin].date is not None):
            out[twin] = ev
    return out
