"""Where an event happened: the place of `Doc._.places` that the event's sentence attaches to its trigger.

Order (the way a coder reads a report): a place the trigger governs through a locative preposition ("struck
Ain al-Asad airbase", "in Erbil", "near Eilat"), else the nearest place in the sentence (a town before a
country), else the nearest earlier place in the article, else the dateline ("BAGHDAD (Reuters) -").
Places that are part of an organisation's name ("the Texas Department of Health") are never locations.
"""
from __future__ import annotations

from spacy.tokens import Span, Token

from ..extract.events import doc_index, is_event_word
from ..models import Place
from .geoparse import NEAR_WORDS, TYPE_WORDS

LOCATIVE = {"in", "at", "near", "outside", "on", "over", "into", "across", "inside", "around", "off", "along",
            "within", "throughout", "from", "toward", "towards", "targeting", "against"}
NEAR = {"near", "outside", "around", "outskirts", "vicinity", "off"}
# nouns whose "of X" says where: "the outskirts of Mosul", "the city of Erbil", "north of Baghdad"
PLACE_NOUNS = TYPE_WORDS | NEAR_WORDS | {"part", "parts", "capital", "centre", "center", "heart", "streets", "border",
                                        "suburbs", "province", "governorate", "region", "state", "areas", "west"}


def _in_a_name(doc, p: Place) -> bool:
    """The place is a word of a longer organisation/person name (not of a list or containment of names the
    tagger took for one: "Brovary, Kyiv" tagged ORG)."""
    return any(e.label_ in ("ORG", "PERSON", "WORK_OF_ART", "PRODUCT") and e.start_char <= p.start
               and p.end <= e.end_char and (e.start_char, e.end_char) != (p.start, p.end)
               and not any(t.text in (",", "(", ")") for t in e) for e in doc.ents)


def _root(doc, p: Place) -> Token | None:
    span = doc.char_span(p.start, p.end, alignment_mode="expand")
    return span.root if span is not None else None


def _governors(trigger: Token) -> set[Token]:
    """The trigger and, for a noun trigger, the verb that governs it ('LAUNCHED a wave of strikes inside X')."""
    out = {trigger}
    if trigger.pos_ in ("NOUN", "PROPN"):
        verb = next((a for a in trigger.ancestors if a.pos_ in ("VERB", "AUX")), None)
        if verb is not None:
            out.add(verb)
    return out


def _attachment(trigger: Token, root: Token) -> tuple[int, bool] | None:
    """(path length, near) when `trigger` governs `root` through a locative preposition or as its object."""
    governors = _governors(trigger)
    steps, tok, prep = 0, root, None
    while tok.head is not tok and steps < 6:
        if tok.dep_ == "pobj" and tok.head.lower_ == "of" and prep is None \
                and tok.head.head.lower_ not in PLACE_NOUNS:
            return None  # "in support of Iran", "the government of Iraq": not where ("outskirts of Mosul" is)
        if tok.dep_ == "pobj" and tok.head.lower_ in LOCATIVE | {"of"}:
            prep = prep or tok.head
        elif tok.dep_ == "pobj":
            return None  # "adherence TO the religious authority in Najaf": where the authority is
        noun = tok.head.head
        if tok.dep_ == "pobj" and noun.pos_ == "NOUN" and noun not in governors and is_event_word(noun):
            return None  # "denounced strikes ON IRAN": where another event (the strikes) happened
        tok = tok.head
        steps += 1
        if tok in governors or (tok == trigger.head and trigger.dep_ in ("dobj", "nsubjpass", "pobj")):
            if prep is None and root.dep_ not in ("dobj", "nsubjpass", "compound", "npadvmod"):
                return None
            near = prep is not None and prep.lower_ in NEAR or any(
                t.lower_ in NEAR for t in root.doc[max(0, root.i - 3):root.i])
            return steps, near
    return None


def _hyphenated(doc, p: Place) -> bool:
    """The name is part of a hyphenated modifier: 'Iran-backed', 'Israel-Iran', 'US-led'."""
    text = doc_index(doc).text  # Doc.text is rebuilt from the tokens on every access
    return text[p.end:p.end + 1] == "-" or (p.start > 0 and text[p.start - 1] == "-")


def _as_party(doc, p: Place) -> bool:
    """The name stands for an actor or qualifies a noun ('Israel launched', 'Israel's strikes', 'US bases',
    'US-led'): weak evidence of where something happened."""
    root = _root(doc, p)
    return root is not None and (root.dep_ in ("nsubj", "nsubjpass", "poss", "agent") or (
        root.dep_ in ("compound", "amod", "nmod", "npadvmod") and root.head.pos_ in ("NOUN", "PROPN", "ADJ", "VERB")
        and root.head.i > root.i))


SPATIAL = {"in", "at", "near", "outside", "inside", "across", "around", "within", "throughout", "along", "off",
           "over", "from"}


def _where(doc, p: Place) -> bool:
    """The name says where the clause happens or where its subject is: the object of a spatial preposition
    attached to a verb, or to a noun of the clause's subject ('a group of students IN BASRA announced');
    a bare name standing alone (a dateline, a headline place) counts too."""
    root = _root(doc, p)
    if root is None or _hyphenated(doc, p):
        return False
    if root.dep_ != "pobj":
        return root.dep_ in ("ROOT", "appos") and root.head == root
    prep = root.head
    if prep.lower_ not in SPATIAL:
        return False
    head = prep.head
    if head.pos_ in ("VERB", "AUX"):
        return True
    chain = [head, *head.ancestors]
    for tok in chain:  # inside the subject's noun phrase, before any verb
        if tok.pos_ in ("VERB", "AUX"):
            return False
        if tok.dep_ in ("nsubj", "nsubjpass"):
            return True
    return False


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
        near = _governors(trigger) | {trigger.head}
        if not iso3 or not any(a in near for a in [tok.head.head, *tok.head.head.ancestors][:4]):
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


def _innermost(doc, places: list[Place], p: Place) -> Place:
    """The finest name of the containment chain `p` ends: "Pittsburgh (Pennsylvania)", "Kamma town (Kamma
    township, Thayet district, Magway region)", "Chicago, Illinois": the parser may attach the event to the
    container, the coder records the town."""
    best = p
    k = next((i for i, q in enumerate(places) if (q.start, q.end) == (p.start, p.end)), None)
    while k:
        q, r = places[k - 1], places[k]
        gap = doc_index(doc).text[q.end:r.start].split()
        if gap and gap[0].lower() in TYPE_WORDS:  # "Mandalay city (Mandalay district, ..."
            gap = gap[1:]
        if "".join(gap) not in (",", "("):
            break
        if q.country == p.country and q.precision <= best.precision:
            best = q
        k -= 1
    return best


def _near(p: Place) -> Place:
    return p if p.precision != 1 else p.model_copy(update={"precision": 2})


def event_location(sent: Span, trigger: Token, places: list[Place] | None) -> Place | None:
    """The location of the event triggered by `trigger` in `sent`, or None when the article names none."""
    if not places:
        return None
    doc = sent.doc
    usable = doc.user_data.get("marsad.usable_places")  # the same for every event of the article
    if usable is None:
        usable = doc.user_data["marsad.usable_places"] = [p for p in places if p.start is not None
                                                          and not _in_a_name(doc, p)]
    loc = _event_location(sent, trigger, usable)
    if loc is not None and loc.start is not None:
        inner = _innermost(doc, usable, loc)
        return inner if loc.precision == inner.precision else _near(inner) if loc.precision == 2 else inner
    return loc


def _event_location(sent: Span, trigger: Token, usable: list[Place]) -> Place | None:
    doc = sent.doc
    here = [p for p in usable if sent.start_char <= p.start < sent.end_char]
    attached = []
    for p in here:
        root = _root(doc, p)
        if _hyphenated(doc, p):  # "Iran-backed", "Israel-Iran conflict", "US-led": a modifier, not where
            continue
        if p.precision == 3 and root is not None and root.dep_ in ("dobj", "nsubjpass", "compound", "npadvmod") \
                and not any(t.dep_ == "pobj" for t in [root, *root.ancestors][:1]):
            continue  # "defend Iran", "attack Israel": a country as the object is a party; a town is the place
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
    # otherwise only names said to be where someone or something is ("students IN BASRA", "IN Babil province
    # ... staged"): not parties ("Israel launched", "solidarity with Tehran", "strikes on Iran") and not the
    # place of some other thing ("the religious authority IN NAJAF")
    loose = [p for p in here if not _as_party(doc, p) and not _hyphenated(doc, p)] or here
    here = [p for p in here if _where(doc, p)]
    earlier = [p for p in usable if p.start < sent.start_char and _where(doc, p)]
    if not here and not earlier:  # a one-sentence report ("killed by rivals in Ataikula"): any place it names
        here = loose
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
