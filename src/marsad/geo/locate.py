"""Where an event happened: the place of `Doc._.places` that the event's sentence attaches to its trigger.

Order (the way a coder reads a report): a place the trigger governs through a locative preposition ("struck
Ain al-Asad airbase", "in Erbil", "near Eilat"), else the nearest place in the sentence (a town before a
country), else the nearest earlier place in the article, else the dateline ("BAGHDAD (Reuters) -").
Places that are part of an organisation's name ("the Texas Department of Health") are never locations.
"""
from __future__ import annotations

from spacy.tokens import Span, Token

from ..models import Place

LOCATIVE = {"in", "at", "near", "outside", "on", "over", "into", "across", "inside", "around", "off", "along",
            "within", "throughout", "from", "toward", "towards", "targeting", "against"}
NEAR = {"near", "outside", "around", "outskirts", "vicinity", "off"}


def _in_a_name(doc, p: Place) -> bool:
    """The place is a word of a longer organisation/person name."""
    return any(e.label_ in ("ORG", "PERSON", "WORK_OF_ART", "PRODUCT") and e.start_char <= p.start
               and p.end <= e.end_char and (e.start_char, e.end_char) != (p.start, p.end) for e in doc.ents)


def _root(doc, p: Place) -> Token | None:
    span = doc.char_span(p.start, p.end, alignment_mode="expand")
    return span.root if span is not None else None


def _attachment(trigger: Token, root: Token) -> tuple[int, bool] | None:
    """(path length, near) when `trigger` governs `root` through a locative preposition or as its object."""
    steps, tok, prep = 0, root, None
    while tok.head is not tok and steps < 6:
        if tok.dep_ == "pobj" and tok.head.lower_ in LOCATIVE | {"of"}:
            prep = prep or tok.head
        tok = tok.head
        steps += 1
        if tok == trigger or (tok == trigger.head and trigger.dep_ in ("dobj", "nsubjpass", "pobj")):
            if prep is None and root.dep_ not in ("dobj", "nsubjpass", "compound", "npadvmod"):
                return None
            near = prep is not None and prep.lower_ in NEAR or any(
                t.lower_ in NEAR for t in root.doc[max(0, root.i - 3):root.i])
            return steps, near
    return None


def _as_party(doc, p: Place) -> bool:
    """The name stands for an actor or qualifies a noun ('Israel launched', 'Israel's strikes', 'US bases',
    'US-led'): weak evidence of where something happened."""
    root = _root(doc, p)
    return root is not None and (root.dep_ in ("nsubj", "nsubjpass", "poss", "agent") or (
        root.dep_ in ("compound", "amod", "nmod", "npadvmod") and root.head.pos_ in ("NOUN", "PROPN", "ADJ", "VERB")
        and root.head.i > root.i))


def _demonym_place(sent: Span, trigger: Token) -> Place | None:
    """'strikes deep inside Iranian territory', 'strikes on Iranian military sites': a country from the
    adjective on the object of a locative preposition the trigger governs (no place name in the sentence)."""
    from ..resolve.registry import load_registry
    from .gazetteer import load_gazetteer

    reg = load_registry()
    for tok in sent:
        if tok.dep_ != "amod" or tok.head.dep_ != "pobj" or tok.head.head.lower_ not in LOCATIVE:
            continue
        iso3 = reg.demonyms.get(tok.lower_)
        if not iso3 or not any(a in (trigger, trigger.head) for a in [tok.head.head, *tok.head.head.ancestors][:4]):
            continue
        c = next((c for c in load_gazetteer().lookup(_COUNTRY_NAME.get(iso3, "")) if c.feature == "country"), None)
        if c is None:
            import pycountry

            pc = pycountry.countries.get(alpha_3=iso3)
            c = next((c for c in load_gazetteer().lookup(pc.name) if c.feature == "country"), None) if pc else None
        if c is not None:
            return Place(name=c.name, text=tok.text, start=tok.idx, end=tok.idx + len(tok), geonameid=c.geonameid,
                         lat=c.lat, lon=c.lon, country=c.country, feature="country", precision=3)
    return None


_COUNTRY_NAME = {"IRN": "Iran", "SYR": "Syria", "RUS": "Russia", "USA": "United States", "GBR": "United Kingdom",
                 "PSE": "Palestine", "KOR": "South Korea", "PRK": "North Korea", "TUR": "Turkey"}


def _near(p: Place) -> Place:
    return p if p.precision != 1 else p.model_copy(update={"precision": 2})


def event_location(sent: Span, trigger: Token, places: list[Place] | None) -> Place | None:
    """The location of the event triggered by `trigger` in `sent`, or None when the article names none."""
    if not places:
        return None
    doc = sent.doc
    usable = [p for p in places if p.start is not None and not _in_a_name(doc, p)]
    here = [p for p in usable if sent.start_char <= p.start < sent.end_char]
    attached = []
    for p in here:
        root = _root(doc, p)
        if root is not None and (hit := _attachment(trigger, root)) is not None:
            attached.append((hit[0], p.precision, p, hit[1]))
    if attached:
        _, _, p, near = min(attached, key=lambda x: (x[0], x[1]))
        if p.precision == 3:  # "across Iraq, including Baghdad": the finer place inside it
            inner = [q for q in here if q.precision < 3 and q.country == p.country and q.start > p.start]
            if inner:
                return inner[0]
        return _near(p) if near else p
    if (dem := _demonym_place(sent, trigger)) is not None:
        return dem
    # names used for actors or as modifiers ("Israel launched", "US bases") only when nothing else
    here = [p for p in here if not _as_party(doc, p)] or here
    earlier = [p for p in usable if p.start < sent.start_char and not _as_party(doc, p)]
    if here:
        fine = [p for p in here if p.precision < 3]
        if fine:
            return min(fine, key=lambda p: abs(p.start - trigger.idx))
        coarse = min(here, key=lambda p: abs(p.start - trigger.idx))
        # "Iraq" in this sentence, "Erbil" in the last one: the town, when it lies in that country
        prior = [p for p in earlier if p.precision < 3 and p.country == coarse.country and coarse.country]
        return prior[-1] if prior and coarse.feature == "country" else coarse
    if earlier:
        return earlier[-1]
    first = usable[0] if usable else None
    if first is not None and first.start < 60:  # dateline
        return first
    return None
