"""Within-article coreference for event parties: "he", "they", "the group", "the council" -> the actor named
before. Salience-based (centering): the most recent compatible mention, subjects before objects, within a
few sentences. No learned model: only anaphors that stand for an event party are resolved."""
from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span

from .events import Lexicon, Mention, doc_index, mention_span

WINDOW = 3  # sentences back for a pronoun
DESCRIPTION_WINDOW = 6  # and for a definite description ("the group"), which reaches further back
_PERSON_PRON = {"he", "him", "his", "she", "her"}
_GROUP_PRON = {"they", "them", "their"}
_THING_PRON = {"it", "its"}
_GROUP_NOUNS = {"group", "faction", "movement", "organization", "organisation", "militia", "coalition",
                "alliance", "network", "party", "rebels", "militants", "protesters", "demonstrators"}
_PERSON_NOUNS = {"president", "minister", "leader", "spokesman", "spokesperson", "commander", "cleric",
                 "secretary", "general", "official", "premier", "king", "emir", "prince", "chief", "envoy"}


@dataclass(frozen=True)
class Candidate:
    span: Span  # the words naming the actor
    subject: bool
    sent: int  # where it was mentioned (for a resolved anaphor: where the anaphor stands)
    pos: int

    @property
    def person(self) -> bool:
        root = self.span.root
        return root.ent_type_ == "PERSON" or root.lemma_.lower() in _PERSON_NOUNS

    @property
    def group(self) -> bool:
        root = self.span.root
        return not self.person and (root.ent_type_ in ("ORG", "NORP") or root.tag_ in ("NNS", "NNPS")
                                    or root.lemma_.lower() in _GROUP_NOUNS)

    @property
    def thing(self) -> bool:  # what "it" can stand for: a state, a government, an organisation
        root = self.span.root
        return not self.person and root.tag_ not in ("NNS", "NNPS") and (
            root.ent_type_ in ("ORG", "GPE") or root.lemma_.lower() in ("government", "council", "ministry"))


def _anaphor_kind(span: Span) -> str | None:
    """'person', 'group', or a head lemma ('council') for a definite description; None if not an anaphor."""
    root = span.root
    low = root.lower_
    if root.pos_ == "PRON":
        return ("person" if low in _PERSON_PRON else "group" if low in _GROUP_PRON
                else "thing" if low in _THING_PRON else None)
    if len(span) == 1 and not root.ent_type_ and any(c.dep_ == "det" and c.lower_ in ("the", "this")
                                                     for c in root.children):
        return root.lemma_.lower()
    return None


def _candidates(doc: Doc, mentions: list[Mention], lex: Lexicon) -> list[Candidate]:
    sent_of = doc_index(doc).sent_of_token
    out: dict[tuple[int, int], Candidate] = {}

    def add(span: Span | None, subject: bool) -> None:
        if span is None or _anaphor_kind(span) is not None:
            return
        key = (span.start, span.end)
        if key not in out or subject:
            out[key] = Candidate(span, subject, sent_of[span.start], span.start)

    for tok in doc:  # every clause subject that names an actor
        if tok.dep_ in ("nsubj", "nsubjpass"):
            add(mention_span(tok, lex, via="none"), True)
    for ent in doc.ents:  # and every named organisation, person or state
        if ent.label_ in ("ORG", "PERSON", "GPE"):
            add(ent, False)
    for m in mentions:
        add(m.actor, True)
        add(m.speaker, True)
        add(m.recipient, False)
    return sorted(out.values(), key=lambda c: c.span.start)


def _antecedent(span: Span, kind: str, cands: list[Candidate], sent: int, other: Span | None) -> Span | None:
    """The most recent compatible earlier mention (subjects first; for "it" recency alone), never the
    event's other party ('Baghdad urged IT': not Baghdad)."""
    window = WINDOW if span.root.pos_ == "PRON" else DESCRIPTION_WINDOW
    before = [c for c in cands if c.pos < span.start and sent - c.sent <= window
              and (other is None or c.span.text != other.text)]
    if kind == "person":
        fits = [c for c in before if c.person]
    elif kind == "thing":
        fits = [c for c in before if c.thing]
    elif kind == "group" or kind in _GROUP_NOUNS:
        fits = [c for c in before if c.group]
    else:  # "the council" -> "National Security Council"
        fits = [c for c in before if c.span.root.lemma_.lower() == kind]
    if not fits:
        return None
    subjects = [c for c in fits if c.subject]
    return (fits if kind == "thing" else subjects or fits)[-1].span


def resolve(doc: Doc, mentions: list[Mention], lex: Lexicon) -> None:
    """Replace anaphoric actor / recipient / condition-actor spans of `mentions` by their antecedents."""
    cands = _candidates(doc, mentions, lex)
    sent_of = doc_index(doc).sent_of_token
    others = {"actor": "recipient", "recipient": "actor", "condition_actor": "actor"}
    for m in sorted(mentions, key=lambda m: m.trigger.i):
        for role in ("actor", "recipient", "condition_actor"):
            span = getattr(m, role)
            kind = _anaphor_kind(span) if span is not None else None
            if kind is None:
                continue
            sent = sent_of[span.start]
            found = _antecedent(span, kind, cands, sent, getattr(m, others[role]))
            if found is not None:
                setattr(m, role, found)
                # a chain: "A group of students ... The group ... They" stays linked past the window
                cands.append(Candidate(found, role == "actor", sent, span.start))
                cands.sort(key=lambda c: c.pos)



ADDRESSEE_WINDOW = 2  # sentences


def carry_addressees(doc: Doc, mentions: list[Mention]) -> None:
    """A demand that names no addressee is addressed to whom the same actor's previous demand was: "The group
    called on the Iraqi government to ... They further demanded the expulsion of foreign forces"."""
    sent_of = doc_index(doc).sent_of_token
    last: dict[str, tuple[int, Span]] = {}
    for m in sorted(mentions, key=lambda m: m.trigger.i):
        if m.event_type != "REQUEST" or m.actor is None:
            continue
        key, sent = m.actor.text.casefold(), sent_of[m.trigger.i]
        if m.recipient is not None:
            last[key] = (sent, m.recipient)
        elif key in last and sent - last[key][0] <= ADDRESSEE_WINDOW:
            m.recipient, m.recipient_carried = last[key][1], True


_RETALIATION = {"retaliate", "retaliation", "retaliatory", "respond", "response", "revenge", "avenge", "reprisal"}


def _country_of(span: Span) -> str | None:
    from ..resolve.registry import load_registry

    reg = load_registry()
    return next((c for t in span if (c := reg.country_of_word(t.text))), None)


def retaliation_targets(doc: Doc, mentions: list[Mention]) -> None:
    """A retaliation is aimed at whoever attacked the retaliator: 'Israel launched strikes deep inside
    Iranian territory. Iran responded that same night with massive retaliatory barrages' -> at Israel."""
    attacks = sorted((m for m in mentions if m.event_type == "ASSAULT"), key=lambda m: m.trigger.i)
    for m in attacks:
        if m.recipient is not None or m.actor is None:
            continue
        if not any(t.lemma_.lower() in _RETALIATION for t in m.sent):
            continue
        me = (m.actor.text.casefold(), _country_of(m.actor))
        for prior in reversed([a for a in attacks if a.trigger.i < m.trigger.i]):
            if prior.actor is None or prior.recipient is None:
                continue
            hit = (prior.recipient.text.casefold(), _country_of(prior.recipient))
            if me[0] == hit[0] or (me[1] is not None and me[1] == hit[1]):
                m.recipient = prior.actor
                break
