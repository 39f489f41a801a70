"""Rule-based PLOVER event coder: lexicon triggers (data/lexicons/plover_triggers.json) over the dependency
parse. `code_sentence` is the pure logic; the `marsad_events` component only writes its result on the Doc."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from spacy.tokens import Doc, Span, Token

from ..resources import data_json

ACTOR_LABELS = {"PERSON", "ORG", "GPE", "NORP"}
_SUBJ = ("nsubj", "csubj")
_PASSIVE_SUBJ = ("nsubjpass", "csubjpass")
# complement relations through which a trigger "contains" another (threatened TO LAUNCH ATTACKS ON ...)
_COMPLEMENT = ("xcomp", "ccomp", "dobj", "dative", "prep", "pobj", "pcomp", "acl", "advcl", "acomp", "oprd")
_RECIPIENT_PREPS = {
    "default": ("on", "against", "at", "to", "toward", "towards", "upon", "targeting", "inside", "into"),
    "CONSULT": ("with",), "COOPERATE": ("with",), "SUPPORT": ("to", "with", "for"),
    "AGREE": ("with", "to"), "REQUEST": ("on", "upon", "to", "for"), "SANCTION": ("on", "against"),
}
_QUOTE_RE = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]*’(?![a-z])")


@dataclass(frozen=True)
class Lexicon:
    verbs: dict
    nouns: dict
    light_verbs: frozenset[str]
    readiness: dict
    modes_by_word: dict
    condition_words: dict
    reporting_verbs: frozenset[str]
    hedges: frozenset[str]
    modals: frozenset[str]
    generic_heads: frozenset[str]
    agentive_suffixes: tuple[str, ...]
    cooperative: frozenset[str]
    conflictual: frozenset[str]
    future_heads: frozenset[str]
    naming_verbs: frozenset[str]
    warning: dict
    protest_words: frozenset[str]


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    d = data_json("lexicons/plover_triggers.json")
    return Lexicon(
        verbs=d["verbs"], nouns=d["nouns"], light_verbs=frozenset(d["light_verbs"]), readiness=d["readiness"],
        modes_by_word=d["modes_by_word"],
        condition_words={k: v for k, v in d["condition_words"].items() if not k.startswith("_")},
        reporting_verbs=frozenset(d["reporting_verbs"]), hedges=frozenset(d["hedges"]),
        modals=frozenset(d["modal_auxiliaries"]), generic_heads=frozenset(d["generic_actor_heads"]),
        agentive_suffixes=tuple(d["agentive_suffixes"]),
        cooperative=frozenset(d["cooperative_types"]), conflictual=frozenset(d["conflictual_types"]),
        future_heads=frozenset(d["future_heads"]), naming_verbs=frozenset(d["naming_verbs"]),
        warning={k: frozenset(v) for k, v in d["warning"].items() if not k.startswith("_")},
        protest_words=frozenset(d["protest_words"]),
    )


@dataclass(frozen=True)
class DocIndex:
    """Per-Doc facts computed once: spaCy rebuilds `doc.text` and rescans for `token.sent` on every call."""

    text: str
    sents: list[Span]
    sent_of_token: list[int]  # token index -> sentence number
    ent_of_token: dict[int, Span]  # token index -> the named entity it is part of


def doc_index(doc: Doc) -> DocIndex:
    """Built once per Doc, after NER and parsing (the event component is last in the pipeline)."""
    idx = doc.user_data.get("marsad.index")
    if idx is None:
        sents = list(doc.sents)
        sent_of = [0] * len(doc)
        for n, s in enumerate(sents):
            sent_of[s.start:s.end] = [n] * len(s)
        ents = {i: e for e in doc.ents for i in range(e.start, e.end)}
        idx = doc.user_data["marsad.index"] = DocIndex(doc.text, sents, sent_of, ents)
    return idx


@dataclass
class Mention:
    """One coded event on a Doc, in token/span terms (records.py turns it into an Event)."""

    trigger: Token
    event_type: str
    mode: str | None = None
    actor: Span | None = None
    recipient: Span | None = None
    speaker: Span | None = None
    actor_is_speaker_group: bool = False  # actor came from "we" in a quote: the speaker's organisation
    recipient_carried: bool = False  # recipient taken from the actor's previous demand (coref.carry_addressees)
    negated: bool = False
    hedged: bool = False
    hypothetical: bool = False
    condition: Span | None = None
    condition_type: str | None = None
    condition_actor: Span | None = None
    date: Span | None = None
    content: Mention | None = field(default=None, repr=False)

    @property
    def sent(self) -> Span:
        idx = doc_index(self.trigger.doc)
        return idx.sents[idx.sent_of_token[self.trigger.i]]


# ----------------------------------------------------------------------------------------------- triggers

def _lemma(t: Token) -> str:
    return t.lemma_.lower()


def _has_child(t: Token, deps: tuple[str, ...], words: list[str] | None = None) -> bool:
    return any(c.dep_ in deps and (words is None or c.lower_ in words or _lemma(c) in words) for c in t.children)


def _entry(t: Token, lex: Lexicon) -> dict | None:
    """The lexicon entry that makes `t` a trigger, with its constraints checked."""
    lem = _lemma(t)
    if t.pos_ in ("VERB", "AUX") and lem in lex.verbs and t.dep_ not in ("amod", "compound"):
        entries = lex.verbs[lem] if isinstance(lex.verbs[lem], list) else [lex.verbs[lem]]
        return next((e for e in entries if _verb_fits(t, e, lex)), None)
    if t.pos_ in ("NOUN", "PROPN") and lem in lex.nouns and t.dep_ != "compound":
        e = lex.nouns[lem]
        if "compound" in e and not _has_child(t, ("compound", "amod"), e["compound"]):
            return None
        if "amod" in e and not _has_child(t, ("compound", "amod"), e["amod"]):
            return None
        if "not_with_prep" in e and _has_child(t, ("prep",), e["not_with_prep"]):
            return None  # "a demonstration OF solidarity" is no protest
        lv = _light_verb(t, lex)
        if e.get("needs_light_verb") and not (lv or "amod" in e):
            return None
        for key in [*(_lemma(c) for c in t.children if c.dep_ in ("compound", "amod", "nmod")),
                    *([_lemma(lv)] if lv is not None else [])]:
            if key in e.get("override", {}):  # "HUNGER strike" is a protest, "LODGED a protest" an accusation
                return {**e, **e["override"][key]}
        return e
    return None


def is_event_word(t: Token) -> bool:
    """Whether the token is an event trigger of the lexicon ("strikes", "attacked", "condemned")."""
    return _entry(t, load_lexicon()) is not None


def _verb_fits(t: Token, e: dict, lex: Lexicon) -> bool:
    if "prep" in e and not _has_child(t, ("prep", "prt"), e["prep"]):
        return False
    if "prt" in e and not _has_child(t, ("prt",), e["prt"]):
        return False
    if "obj" in e and not _has_child(t, ("dobj", "nsubjpass"), e["obj"]):
        return False
    if "complement" in e and not any(  # "held the United States RESPONSIBLE" (parsed as either)
            x.lower_ in e["complement"] and (x.head is t or x.head.dep_ == "dobj")
            for c in t.children for x in (c, *c.children)):
        return False
    if _lemma(t) in lex.light_verbs and any(  # "pledged full SOLIDARITY": the noun says what the act is
            c.dep_ == "dobj" and _lemma(c) in lex.nouns and lex.nouns[_lemma(c)]["type"] != e["type"]
            for c in t.children):
        return False
    return True


def _light_verb(t: Token, lex: Lexicon) -> Token | None:
    """The light verb a noun trigger is the object of ('staged a DEMONSTRATION'), if any."""
    h = t.head
    if t.dep_ in ("dobj", "nsubjpass", "attr") and _lemma(h) in lex.light_verbs:
        return h
    if t.dep_ == "conj" and t.head is not t:
        return _light_verb(t.head, lex)
    if t.dep_ == "pobj" and h.lower_ == "of" and h.head.pos_ == "NOUN":  # "launched a wave OF strikes"
        return _light_verb(h.head, lex)
    return None


def _is_readiness(t: Token, lex: Lexicon) -> bool:
    return t.lower_ in lex.readiness["heads"]


def _complement_tokens(t: Token, with_clauses: bool) -> list[Token]:
    """Tokens under `t` reached through complement relations, breadth first (nearest first)."""
    allowed = _COMPLEMENT if with_clauses else ("dobj", "dative", "prep", "pobj", "pcomp", "acl", "attr")
    out, frontier = [], [c for c in t.children if c.dep_ in allowed]
    while frontier:
        out.extend(frontier)
        frontier = [c for f in frontier for c in f.children if c.dep_ in allowed or c.dep_ == "conj"]
    return out


# ------------------------------------------------------------------------------------------------ actors

def _entity_at(t: Token) -> Span | None:
    if t.ent_type_ not in ACTOR_LABELS:
        return None
    return doc_index(t.doc).ent_of_token.get(t.i)


def _is_actorlike(t: Token, lex: Lexicon) -> bool:
    """Does the noun name someone: a named actor, a pronoun, an actor word ('militia', 'residents'), a noun
    modified by a named actor ('al-Qaeda terror NETWORK'), or an agentive plural ('inhabitants')?"""
    if t.ent_type_ in ACTOR_LABELS or t.pos_ == "PRON" or _lemma(t) in lex.generic_heads:
        return True
    if t.tag_ == "NNS" and _lemma(t).endswith(lex.agentive_suffixes):
        return True
    return t.pos_ in ("NOUN", "PROPN") and any(
        c.dep_ in ("compound", "nmod", "poss") and c.ent_type_ in ("ORG", "PERSON", "NORP") for c in t.children)


# personal pronouns that can stand for an event party; a mention made of one is resolved or left null
PERSONAL_PRONOUNS = {"i", "we", "us", "he", "him", "his", "she", "her", "they", "them", "their", "it", "its"}


def mention_span(t: Token | None, lex: Lexicon, via: str = "all") -> Span | None:
    """The words naming the actor that token `t` heads: an entity, a personal pronoun, or a noun phrase.
    A head that names no actor can yield one it governs: with via="all" any modifying entity ("attacks on
    US bases" -> US) or "of" phrase ("closure of the US embassy"); with "poss" only possessors and "of"
    phrases ("praised Iran's actions", "the silence of Arab states"); with "none" nothing."""
    if t is None:
        return None
    doc = t.doc
    if t.tag_ == "WP" and t.lower_ == "what":  # "condemning what it called a blatant AGGRESSION"
        called = [c for c in t.head.children if c.dep_ in ("oprd", "dobj") and c is not t]
        return mention_span(called[0], lex, via) if called else None
    appos = [c for c in t.children if c.dep_ == "appos" and c.ent_type_ in ("PERSON", "ORG")]
    if t.ent_type_ not in ACTOR_LABELS and appos:  # "the group's secretary-general, Abu Hussein al-Hamidawi"
        t = appos[0]
    ent = _entity_at(t)
    if ent is not None:
        return ent
    if t.pos_ == "PRON":
        return doc[t.i:t.i + 1] if t.lower_ in PERSONAL_PRONOUNS else None
    if _lemma(t) in ("group", "number", "crowd", "dozen", "hundred", "thousand"):
        of = [g for c in t.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
        if of:
            return mention_span(of[0], lex)
    if not _is_actorlike(t, lex):
        if via == "none":
            return None
        deps = ("compound", "nmod", "amod", "poss") if via == "all" else ("poss",)
        for c in t.children:
            if c.dep_ in deps and (e := _entity_at(c)) is not None:
                return e
            if c.dep_ == "poss" and c.lower_ in ("its", "their"):  # "against ITS interests": resolved later
                return doc[c.i:c.i + 1]
        of = [g for c in t.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
        return mention_span(of[0], lex, via) if of else None
    including = [g for c in t.children if c.dep_ == "prep" and c.lower_ in ("including", "like")
                 for g in c.children if g.dep_ == "pobj" and _entity_at(g) is not None]
    if including:  # "Iran-aligned groups including Kataeb Hezbollah": the named member acts
        return _entity_at(including[0])
    # noun phrase: modifiers to the left (no determiners / numbers), a named place or group to the right
    left = t.i
    for c in t.lefts:
        if c.dep_ in ("compound", "amod", "nmod", "poss", "npadvmod") and c.pos_ != "PRON":
            left = min(left, c.left_edge.i)
    while left < t.i and (doc[left].dep_ in ("det", "nummod", "quantmod", "advmod", "punct", "case")
                          or doc[left].like_num):
        left += 1
    right = t.i
    for c in t.rights:
        if c.dep_ == "prep" and c.lower_ in ("in", "from", "of") and any(
                g.dep_ == "pobj" and (g.pos_ == "PROPN" or g.ent_type_) for g in c.children):
            right = max(right, c.right_edge.i)
    return doc[left:right + 1]


def subject_of(v: Token) -> Token | None:
    """The grammatical subject of a verb or predicate, inherited through xcomp, conj and participles."""
    for c in v.children:
        if c.dep_ in _SUBJ:
            if c.tag_ in ("WDT", "WP") and v.dep_ == "relcl":  # "violations THAT threaten" -> violations
                return v.head
            return c
    if any(c.dep_ in _PASSIVE_SUBJ for c in v.children):
        return None
    if v.dep_ in ("xcomp", "acomp") or (v.dep_ == "conj" and v.head.pos_ in ("VERB", "AUX")):
        return subject_of(v.head)
    if v.dep_ == "advcl" and v.tag_ == "VBG":  # "..., condemning what it called ..."
        return subject_of(v.head)
    if v.dep_ == "relcl" and v.head.pos_ in ("NOUN", "PROPN"):
        return v.head
    if v.dep_ == "acl" and v.tag_ == "VBG" and v.head.dep_ == "dobj":  # "sent a message URGING it to ..."
        return subject_of(v.head.head)
    return None


def _agent(v: Token) -> Token | None:
    for c in v.children:
        if c.dep_ == "agent":
            for g in c.children:
                if g.dep_ == "pobj":
                    return g
    return None


def _governor(t: Token, lex: Lexicon) -> Token:
    """The verb whose subject acts for trigger `t` (itself for verbs; the light verb for nouns)."""
    if t.pos_ in ("VERB", "AUX"):
        return t
    if _is_readiness(t, lex) and t.dep_ in ("acomp", "attr"):
        return t.head
    lv = _light_verb(t, lex)
    if lv is None and t.dep_ == "dobj":
        lv = t.head
    if lv is None and t.dep_ == "pobj" and t.head.lower_ in ("with", "in", "by", "during") \
            and t.head.head.pos_ in ("VERB", "AUX"):  # "responded WITH barrages", "IN a phone call, X said"
        lv = t.head.head
    return lv if lv is not None else t


def _actor_token(t: Token, lex: Lexicon) -> Token | None:
    if t.pos_ in ("NOUN", "PROPN") and not _is_readiness(t, lex):
        for c in t.children:
            if c.dep_ == "poss" or (c.dep_ in ("amod", "compound", "nmod") and c.ent_type_ in ACTOR_LABELS):
                return c
        by = [g for c in t.children if c.dep_ == "prep" and c.lower_ == "by" for g in c.children if g.dep_ == "pobj"]
        if by:
            return by[0]
    gov = _governor(t, lex)
    if gov is t and t.pos_ not in ("VERB", "AUX"):
        return None
    return _agent(gov) or subject_of(gov)


# types whose object is often a topic, not a party ("discuss the conflict"): the object must name an actor
_TOPIC_OBJECT = {"CONSULT", "AGREE", "COOPERATE", "MOBILIZE", "REQUEST"}  # "demanded the expulsion OF X": X is no addressee
# types whose object is an act or quality of the party ("praised IRAN's actions", "rejected use BY Israel")
_VERBAL_OBJECT = {"SUPPORT", "ACCUSE", "REJECT"}
# speech acts: their actor must be someone, not "the time" in "the time calls for action"
_SPEECH = {"REQUEST", "ACCUSE", "SUPPORT", "REJECT", "AGREE", "THREATEN", "CONCEDE"}


def _recipient_token(t: Token, event_type: str, lex: Lexicon) -> Token | None:
    preps = _RECIPIENT_PREPS.get(event_type, _RECIPIENT_PREPS["default"])
    via = "poss" if event_type in _VERBAL_OBJECT else "none" if event_type in _TOPIC_OBJECT else "all"
    if t.pos_ in ("VERB", "AUX"):
        for c in t.children:  # "condemning WHAT it called a blatant Zionist aggression"
            if c.dep_ == "ccomp" and _lemma(c) in lex.naming_verbs and _has_child(c, ("dobj",), ["what"]):
                named = [g for g in c.children if g.dep_ in ("oprd", "attr")]
                if named and mention_span(named[0], lex, "all") is not None:
                    return named[0]
        for c in t.children:
            if c.dep_ in ("dobj", "dative"):
                by = [g for p in c.children if p.dep_ == "prep" and p.lower_ == "by" for g in p.children
                      if g.dep_ == "pobj"]
                if by and event_type in _VERBAL_OBJECT:  # "rejected any use of its airspace BY ISRAEL"
                    return by[0]
                if mention_span(c, lex, via) is not None:
                    return c
    elif event_type == "MOBILIZE":
        return None
    scopes = [t] + ([g] if (g := _light_verb(t, lex)) is not None else [])
    for scope in scopes:
        for tok in _complement_tokens(scope, with_clauses=False):
            if tok.dep_ == "pobj" and tok.head.lower_ in preps and mention_span(tok, lex) is not None:
                return tok
            if tok.dep_ == "dobj" and tok.head.lower_ in preps:  # "sanctions TARGETING Iran's oil exports"
                return tok
    return None


_TARGET_PREPS = {"at", "near", "on", "toward", "towards", "against", "over"}
_HOSTING_VERBS = {"use", "host", "house", "station", "occupy"}
_HELP_VERBS = {"help", "assist", "support", "aid", "back", "defend"}
_MODIFIER_DEPS = {"compound", "npadvmod", "amod", "nmod", "poss"}
# what a state has that can be hit or threatened: "confront the AGENTS of the Zionist project"
_ASSET_NOUNS = {"base", "embassy", "consulate", "interest", "force", "troop", "position", "agent", "soldier",
                "ship", "vessel", "convoy", "facility", "installation", "personnel", "target", "occupier",
                "presence", "jet", "aircraft", "drone", "asset", "mission", "diplomat"}


def _implied_recipient(t: Token, event_type: str) -> Token | None:
    """A party the sentence names without making it the object: the country whose facility or forces an
    attack hits ('shot down near the US CONSULATE', 'at Ain al-Asad airbase, used by US-led forces'), or
    whom an offer of aid or cooperation is for ('assistance to help IRAN'). A country word as a modifier
    only: 'in western Iraq' is where it happened, not whom it hit."""
    if event_type in ("ASSAULT", "COERCE", "THREATEN"):
        scopes = [g for c in t.children if c.dep_ == "prep" and c.lower_ in _TARGET_PREPS
                  for g in c.children if g.dep_ == "pobj"]
        scopes += [g for c in t.children if c.dep_ in ("advcl", "acl") and _lemma(c) in _HOSTING_VERBS
                   for a in c.children if a.dep_ == "agent" for g in a.children if g.dep_ == "pobj"]
        # "all US BASES"; "(prepared to defend Iran and) confront the AGENTS of the Zionist project"
        verbs = [t] + [v for x in t.children if x.dep_ == "xcomp" for v in (x, *x.conjuncts)
                       if _lemma(v) not in _HELP_VERBS]
        scopes += [o for v in verbs for c in v.children if c.dep_ == "dobj" for o in (c, *c.conjuncts)
                   if _lemma(o) in _ASSET_NOUNS or o.lower_ == "bases"]  # lemmatised "basis"
        for scope in scopes:
            for x in scope.subtree:
                if x.ent_type_ in ("GPE", "NORP") and x.dep_ in _MODIFIER_DEPS and x.head.pos_ in ("NOUN", "VERB"):
                    return x
    if event_type in ("AID", "AGREE", "COOPERATE"):  # "(ready) to provide assistance to help IRAN (respond)"
        for x in t.sent:
            if x.pos_ == "VERB" and _lemma(x) in _HELP_VERBS and x.dep_ in ("advcl", "xcomp", "acl", "relcl"):
                obj = next((c for c in x.children if c.dep_ == "dobj"), None) or next(
                    (g for c in x.children if c.dep_ in ("ccomp", "xcomp") for g in c.children if g.dep_ == "nsubj"),
                    None)
                if obj is not None and obj.ent_type_ in ("GPE", "NORP", "ORG", "PERSON"):
                    return obj
    return None


def _reported_subject(t: Token, lex: Lexicon) -> Token | None:
    """For a 3rd-person pronoun inside a reported clause, the reporter: 'The group announced that THEY ...'."""
    r = _reporter(t, lex)
    subj = subject_of(r) if r is not None else None
    return subj if subj is not None and subj.pos_ != "PRON" else None


# --------------------------------------------------------------------------------------- modality, quotes

def _clause_of_condition(sent: Span, lex: Lexicon) -> list[tuple[Token, Token]]:
    """(marker, clause head) pairs: 'if/unless X', and inverted 'should X do'."""
    out = []
    for tok in sent:
        if tok.lower_ in ("if", "unless") and tok.dep_ == "mark":
            out.append((tok, tok.head))
        elif tok.lower_ == "should" and tok.dep_ == "aux" and any(
                c.dep_ in _SUBJ + _PASSIVE_SUBJ and c.i > tok.i for c in tok.head.children):
            out.append((tok, tok.head))
    return out


def _clause_span(marker: Token, head: Token, exclude: Token) -> Span:
    """From the marker to the end of the clause head's subtree, cut before any part holding `exclude`."""
    end = head.right_edge.i
    for c in head.rights:
        if c.left_edge.i <= exclude.i <= c.right_edge.i:
            end = min(end, c.left_edge.i - 1)
    while end > marker.i and (head.doc[end].is_punct or head.doc[end].is_space):
        end -= 1
    return head.doc[marker.i:end + 1]


def quote_spans(doc: Doc) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTE_RE.finditer(doc_index(doc).text)]


def _in_quote(t: Token, quotes: list[tuple[int, int]]) -> bool:
    return any(s <= t.idx < e for s, e in quotes)


def _speaker(t: Token, sent: Span, quotes: list[tuple[int, int]], lex: Lexicon) -> Span | None:
    """Who is quoted as saying the sentence holding `t` (the subject of a reporting verb): in the same
    sentence, in the other sentences of a quotation that spans several, or in the sentence before."""
    quote = next(((s, e) for s, e in quotes if s <= t.idx < e), None)
    if quote is not None:
        for other in doc_index(t.doc).sents:
            if other != sent and other.start_char < quote[1] + 3 and other.end_char > quote[0]:
                for r in other:
                    if _lemma(r) in lex.reporting_verbs and r.pos_ == "VERB" and not _in_quote(r, quotes):
                        span = mention_span(subject_of(r), lex)
                        if span is not None and span.root.pos_ != "PRON":
                            return span
    for cand in (sent, _previous_sentence(sent)):
        if cand is None:
            return None
        for r in cand:
            if _lemma(r) in lex.reporting_verbs and r.pos_ == "VERB" and r is not t and not _in_quote(r, quotes):
                inside = cand is sent and (any(a is r for a in t.ancestors) or _in_quote(t, quotes))
                if inside or (cand is not sent and _in_quote(sent[0], quotes)):
                    span = mention_span(subject_of(r), lex)
                    if span is not None and span.root.pos_ != "PRON":
                        return span
        if not (sent.text.lstrip()[:1] in "\"“‘"):
            return None
    return None


def _previous_sentence(sent: Span) -> Span | None:
    if sent.start == 0:
        return None
    idx = doc_index(sent.doc)
    prev = idx.sents[idx.sent_of_token[sent.start - 1]]
    return None if "\n" in idx.text[prev.end_char:sent.start_char] else prev


def _date_for(t: Token, sent: Span) -> Span | None:
    dates = [e for e in sent.ents if e.label_ == "DATE"]
    if not dates:
        return None
    ancestors = {a.i for a in t.ancestors} | {t.i}
    attached = [d for d in dates if any(a.i in ancestors for a in d.root.ancestors)
                and len([a for a in d.root.ancestors if a.i not in ancestors]) <= 2]
    pool = attached or dates
    return min(pool, key=lambda d: abs(d.root.i - t.i))


def _refers_back(t: Token) -> bool:
    """An event word without parties that only points at something told already: a bare verb ('intercepted
    drones'), or a definite / possessed noun ('this mobilization', 'the attack'); 'a peaceful protest' and
    'missiles struck a facility' report events."""
    if t.pos_ in ("VERB", "AUX"):
        return not any(c.dep_ in _SUBJ + _PASSIVE_SUBJ + ("dobj", "agent") for c in t.children)
    return any((c.dep_ == "det" and c.lower_ in ("the", "this", "that", "these", "those")) or c.dep_ == "poss"
               for c in t.children) or not any(c.dep_ == "det" for c in t.children) and t.tag_ != "NNS"


def _is_warning(v: Token, lex: Lexicon, quotes: list[tuple[int, int]]) -> bool:
    """'If America intervenes, we WILL ACT'; 'any conflict WOULD ENCOMPASS all US bases if ...', said by
    someone (in a quote or under a reporting verb): a conditional threat."""
    w = lex.warning
    if v.pos_ != "VERB" or not any(c.dep_ == "aux" and c.lower_ in ("will", "would", "'ll", "shall") for c in v.children):
        return False
    if not any(c.dep_ == "advcl" and _has_child(c, ("mark",), ["if", "unless"]) for c in v.children):
        return False
    subj = subject_of(v)
    about_force = _lemma(v) in w["verbs"] or (subj is not None and any(_lemma(x) in w["subjects"] for x in subj.subtree))
    return about_force and (_in_quote(v, quotes) or _reporter(v, lex) is not None)


def _content_type(t: Token, lex: Lexicon) -> str | None:
    """What a readiness head is ready FOR: the first event word below it ('ready to provide ASSISTANCE')."""
    for x in _complement_tokens(t, with_clauses=True):
        lem = _lemma(x)
        if lem in lex.readiness["violent_verbs"]:
            return "ASSAULT"
        e = lex.nouns.get(lem) if x.pos_ in ("NOUN", "PROPN") else lex.verbs.get(lem)
        if isinstance(e, dict):
            return e["type"]
    return None


def _mode(m: Mention, entry: dict, lex: Lexicon) -> str | None:
    if entry.get("mode"):
        return entry["mode"]
    table = lex.modes_by_word.get(m.event_type)
    if not table:
        return None
    words = [m.trigger, *m.trigger.subtree]
    if m.content is not None:
        words += [m.content.trigger, *m.content.trigger.subtree]
    lemmas = {_lemma(w) for w in words}
    return next((mode for word, mode in table.items() if word in lemmas), None)


# ----------------------------------------------------------------------------------------------- coding

def code_sentence(sent: Span, lex: Lexicon, quotes: list[tuple[int, int]] | None = None) -> list[Mention]:
    """All events of one sentence, in order of appearance."""
    quotes = quote_spans(sent.doc) if quotes is None else quotes
    cands: dict[int, tuple[Token, dict]] = {}
    for t in sent:
        e = _entry(t, lex)
        if e is not None:
            cands[t.i] = (t, e)
        elif _is_readiness(t, lex):
            cands[t.i] = (t, {"type": None, "embeds": True, "readiness": True})
        if t.i not in cands and _is_warning(t, lex, quotes):
            cands[t.i] = (t, {"type": "THREATEN", "mode": "violence", "warning": True})
        if t.pos_ in ("VERB", "AUX") and any(c.dep_ == "aux" and c.lower_ == "must" for c in t.children) \
                and _reporter(t, lex) is not None:  # "Russia said Sudan MUST return the helicopter"
            cands[t.i] = (t, {"type": "REQUEST", "mode": "change", "embeds": True, "obligation": True})
    # fold embedded triggers into their governor: "threatened to launch ATTACKS on US bases"
    content: dict[int, int] = {}
    for i, (t, e) in cands.items():
        for tok in _complement_tokens(t, with_clauses=bool(e.get("embeds"))):
            if tok.i in cands and tok.i != i and tok.i not in content:
                content[tok.i] = i
                break
    governed = {g: c for c, g in content.items()}
    mentions: dict[int, Mention] = {}

    def build(i: int) -> Mention | None:
        if i in mentions:
            return mentions[i]
        t, e = cands[i]
        inner = build(governed[i]) if i in governed else None
        etype = e["type"]
        if e.get("readiness"):
            ctype = inner.event_type if inner else _content_type(t, lex)
            etype = lex.readiness["by_content"].get(ctype or "")
            if etype is None:
                return None
        m = Mention(trigger=t, event_type=etype, content=inner)
        if e.get("obligation"):
            m.actor = mention_span(subject_of(_reporter(t, lex)), lex, via="none")
            m.recipient = mention_span(subject_of(t), lex)
            mentions[i] = m
            return m
        m.actor = mention_span(_actor_token(t, lex), lex, via="none")
        if e.get("warning") and m.actor is None and (r := _reporter(t, lex)) is not None:
            m.actor = mention_span(subject_of(r), lex, via="none")
        if m.actor is not None and m.actor.root.pos_ == "PRON" and m.actor.root.lower_ in ("they", "he", "she"):
            m.actor = mention_span(_reported_subject(t, lex), lex) or m.actor
        if m.actor is None and etype == "MOBILIZE":  # "Iraq's air defence systems have been activated"
            passive = [c for c in t.children if c.dep_ in _PASSIVE_SUBJ]
            m.actor = mention_span(passive[0], lex) if passive else None
            if m.actor is None and (r := _reporter(t, lex)) is not None:
                m.actor = mention_span(subject_of(r), lex, via="none")
        m.recipient = mention_span(_recipient_token(t, etype, lex), lex)
        if inner is not None:
            if etype in _VERBAL_OBJECT and inner.actor is not None:
                m.recipient = inner.actor  # "denounced ISRAELI strikes on Iran"
            m.recipient = m.recipient or inner.recipient
            m.actor = m.actor or (inner.actor if e.get("readiness") else None)
        elif e.get("readiness") and m.recipient is None:  # "readiness to provide assistance TO IRAN"
            m.recipient = next((span for x in _complement_tokens(t, with_clauses=True)
                                if x.dep_ == "pobj" and x.head.lower_ in ("to", "with", "against", "on")
                                and (span := mention_span(x, lex)) is not None), None)
        if m.recipient is None and etype is not None:
            implied = _implied_recipient(t, etype)
            m.recipient = implied.doc[implied.i:implied.i + 1] if implied is not None else None
        m.mode = _mode(m, e, lex)
        if m.actor is None and m.recipient is None and not e.get("readiness") and _refers_back(t):
            return None  # "This mobilization occurs", "intercepted drones": it refers back, reports nothing new
        subj = _actor_token(t, lex)
        if etype in _SPEECH and subj is not None and m.actor is None and subj.pos_ in ("NOUN", "PROPN"):
            return None  # "the time calls for action", "violations that threaten": not an act of anyone
        mentions[i] = m
        return m

    out = []
    conditions = _clause_of_condition(sent, lex)
    hedged = any(_lemma(t) in lex.hedges or t.lower_ in lex.hedges for t in sent)
    for i in sorted(cands):
        if i in content:
            continue
        m = build(i)
        if m is None:
            continue
        t = m.trigger
        gov = _governor(t, lex)
        for marker, head in conditions:
            clause = _clause_span(marker, head, t)
            if clause.start <= t.i < clause.end:
                break  # the trigger is itself part of a condition: not an event that happened
            m.condition = clause
            m.condition_actor = mention_span(subject_of(head), lex)
            m.condition_type = next((lex.condition_words[_lemma(x)] for x in clause
                                     if _lemma(x) in lex.condition_words), None)
        else:
            m.negated = any(c.dep_ == "neg" for x in {t, gov} for c in x.children) or any(
                c.dep_ == "det" and c.lower_ == "no" for c in t.children)
            m.hedged = hedged
            m.hypothetical = m.condition is not None or any(
                c.dep_ == "aux" and c.lower_ in lex.modals for x in {t, gov} for c in x.children)
            _recode_by_modality(m, e, gov, lex)
            m.speaker = _speaker(t, sent, quotes, lex)
            if m.actor is not None and m.actor.root.pos_ == "PRON" and m.actor.root.lower_ in ("we", "us", "i") \
                    and m.speaker is not None:
                m.actor, m.actor_is_speaker_group = m.speaker, m.actor.root.lower_ in ("we", "us")
            m.date = _date_for(t, sent)
            out.append(m)
            out.extend(_coordinated(m, lex))
    return _dedupe(out)


def _coordinated(m: Mention, lex: Lexicon) -> list[Mention]:
    """'Kataeb Hezbollah and Harakat al-Nujaba have established ...': one event per coordinated actor
    (PLOVER: separate records when the actors differ)."""
    if m.actor is None or m.actor.root.pos_ == "PRON":
        return []
    others = [mention_span(c, lex, via="none") for c in m.actor.root.conjuncts if c.i > m.actor.root.i]
    return [replace(m, actor=span) for span in others if span is not None]


_THREAT_MODE = {"ASSAULT": "violence", "SANCTION": "relations", "COERCE": "restrict", "PROTEST": None}


def _is_future(t: Token, gov: Token, lex: Lexicon) -> bool:
    """Will / would / may ... do, or planned, offered, vowed to do."""
    if any(c.dep_ == "aux" and c.lower_ in lex.modals for x in {t, gov} for c in x.children):
        return True
    x = gov
    while x.dep_ in ("xcomp", "acomp", "acl") and x.head is not x:
        if _lemma(x.head) in lex.future_heads or x.head.lower_ in lex.future_heads:
            return True
        x = x.head
    return False


def _recode_by_modality(m: Mention, e: dict, gov: Token, lex: Lexicon) -> None:
    """PLOVER codes the act, not its modality (manual, 'Auxiliary modes'): a refused cooperative act is a
    REJECT, a promised one an AGREE, a promised or conditional conflictual act a THREATEN."""
    if e.get("readiness") or e.get("obligation"):
        return
    future = _is_future(m.trigger, gov, lex)
    if m.negated and m.event_type in lex.cooperative:
        m.event_type, m.mode, m.negated = "REJECT", None, False
    elif future and m.event_type in lex.cooperative and m.event_type != "AGREE":
        m.event_type, m.mode = "AGREE", None
    elif (future or m.condition is not None) and m.event_type in lex.conflictual and not m.negated:
        mode = m.mode if m.mode in ("restrict", "arrest", "expel", "relations") else _THREAT_MODE[m.event_type]
        m.event_type, m.mode = "THREATEN", mode


def _reporter(t: Token, lex: Lexicon) -> Token | None:
    """The nearest reporting verb ('said', 'announced') that `t` is reported under."""
    return next((a for a in t.ancestors if _lemma(a) in lex.reporting_verbs and a.pos_ == "VERB"), None)


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    """One event per type and parties in a sentence: 'X praised and hailed Y' is one SUPPORT; a mention whose
    parties are a subset of an earlier one's (missing actor or recipient) adds nothing."""
    out: list[Mention] = []

    def covers(a: Span | None, b: Span | None) -> bool:
        return b is None or (a is not None and a.text == b.text)

    for m in mentions:
        if any(o.event_type == m.event_type and covers(o.actor, m.actor) and covers(o.recipient, m.recipient)
               for o in out):
            continue
        out.append(m)
    return out
