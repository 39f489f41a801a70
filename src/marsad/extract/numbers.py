"""Numbers in event sentences: counted things (quantities), deaths (fatalities) and injuries.

Read from the dependency parse, because the same number means different things by its verb: 'killing 6
civilians' counts deaths, 'wounding 3' injuries (reported as a quantity with unit "injured": the event
record has no injuries field), 'nearly 5,000 Iraqi citizens' a crowd.
"""
from __future__ import annotations

import re

from spacy.tokens import Span, Token

from ..models import Quantity

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


# ----------------------------------------------------------------------------------------- quantities

def _unit(head: Token, after: int = -1) -> tuple[str, int]:
    """The words naming what is counted and the index of their last token: the noun with its adjectives and
    compounds ('Iraqi citizens') and a hyphenated tail ('martyrs-in-waiting'), without quotation marks."""
    doc = head.doc
    left = min([head.i] + [c.left_edge.i for c in head.lefts
                           if c.dep_ in ("amod", "compound", "nmod") and c.left_edge.i > after])
    right = head.i
    while right + 1 < len(doc) and not doc[right].whitespace_ and doc[right + 1].text not in "\"“”'’,.;:)":
        right += 1  # glued on: "martyrs-in-waiting"
    words = [t.text_with_ws for t in doc[left:right + 1] if t.text not in "\"“”‘’"]
    return "".join(words).strip(), right


def _approx(start: int, sent: Span, words: list[Token]) -> bool:
    return any(t.lower_ in _APPROX_WORDS for t in words) or (start > 0 and sent.doc[start - 1].lower_ in _APPROX_WORDS)


def quantities(sent: Span) -> list[Quantity]:
    """Counted things in a sentence: a number (CARDINAL entity or vague plural 'dozens of') and the noun it
    counts, each conjunct on its own ('15 entities and two individuals'); injuries as unit "injured"."""
    out = []
    for tok in sent:
        lead = tok.lower_ if tok.lower_ in _VAGUE and tok.pos_ == "NOUN" else None
        of = next((c for c in tok.children if c.lower_ == "of"), None) if lead else None
        unit_tok = next((g for g in of.children if g.dep_ == "pobj"), None) if of is not None else None
        if unit_tok is not None:
            unit, end = _unit(unit_tok, after=of.i)
            out.append(Quantity(value=_VAGUE[lead], unit=unit, approx=True, text=sent.doc[tok.i:end + 1].text))
    for ent in sent.ents:
        if ent.label_ not in ("CARDINAL", "QUANTITY"):
            continue
        parsed = parse_number(" ".join(t.text for t in ent if t.lower_ not in _APPROX_WORDS))
        head = ent.root.head
        if parsed is None or ent.root.dep_ not in ("nummod", "quantmod") or head.pos_ not in ("NOUN", "PROPN"):
            continue
        value, approx = parsed
        unit, end = _unit(head, after=ent.end - 1)  # what follows the number: "5,000 IRAQI CITIZENS"
        out.append(Quantity(value=value, unit=unit, approx=approx or _approx(ent.start, sent, list(ent)),
                            text=sent.doc[ent.start:end + 1].text))
    for n, approx, text in injuries(sent):
        out.append(Quantity(value=n, unit="injured", approx=approx, text=text))
    return out


# ------------------------------------------------------------------------------------- deaths, injuries

_KILL_VERBS = {"kill", "murder", "execute", "assassinate", "behead", "lynch", "massacre", "slaughter"}
_INJURE_VERBS = {"injure", "wound", "hurt", "maim"}
_TRIED = {"attempt", "try", "plan", "threaten", "vow", "seek", "fail", "want", "intend", "aim", "plot"}
_NONE_RE = re.compile(r"\bno (?:one was killed|deaths|fatalit(?:y|ies)|casualties|one died)\b|"
                      r"\bwithout (?:causing )?(?:any )?(?:casualties|fatalities|deaths)\b", re.I)
# ACLED notes state their own coding: "Fatalities coded as 3", "unknown number coded as 10", "[3 fatalities]"
_CODED_RE = re.compile(r"\b(?:fatalit\w*|deaths?|number)\b[^.;\]]{0,60}?\bcoded as (\d+)\b|"
                       r"\b(\d+) fatalit(?:y|ies)(?: \([^)]*\))? (?:have been |were |are )?coded\b|"
                       r"\[(\d+) fatalit(?:y|ies)\]|\bfatalities: ?(\d+)", re.I)
_INJURED_RE = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(injured|wounded)\b", re.I)


def coded_fatalities(text: str) -> int | None:
    """The number an ACLED note says it coded, which overrides what the words report."""
    found = list(_CODED_RE.finditer(text))  # the last: "27 coded to specific events ... 4 coded to this event"
    return int(next(g for g in found[-1].groups() if g)) if found else None


def _count(noun: Token) -> int | None:
    """How many people a noun phrase counts, its conjuncts included: 'two soldiers and a civilian' -> 3.
    None when it cannot be told ('civilians', 'dozens of people')."""
    if noun.pos_ == "NUM":
        parsed = parse_number(noun.text)
        return int(parsed[0]) if parsed and not parsed[1] else None
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


def _patient(v: Token) -> Token | None:
    """Who undergoes verb `v`: its object or passive subject, shared with the verb it is coordinated with
    ('was shot and killed'), or the subject of a bare participle ('one soldier killed', 'members killed')."""
    for x in (v, v.head if v.dep_ == "conj" else None):
        if x is None:
            continue
        found = next((c for c in x.children if c.dep_ in ("dobj", "nsubjpass")), None)
        if found is not None:
            return found
    if not any(c.dep_ in ("agent", "dobj") for c in v.children) and (v.tag_ == "VBN" or v.dep_ in ("ROOT", "parataxis", "conj")):
        if v.dep_ == "acl" and v.head.pos_ in ("NOUN", "PROPN", "NUM"):
            return v.head
        return next((c for c in v.children if c.dep_ == "nsubj"), None)
    return None


_CAUSE_WORDS = {"after", "following", "over", "against"}


def _only_tried(v: Token) -> bool:
    """'attempted to assassinate', 'did not kill': no one died."""
    return any(c.dep_ == "neg" for c in v.children) or (
        v.dep_ == "xcomp" and v.head.lemma_.lower() in _TRIED)


def _told_as_cause(v: Token) -> bool:
    """Deaths told as the cause of what the sentence reports ('protested AFTER an accident in which three
    children were killed', 'AFTER 7 children were killed'): another event's toll."""
    return any(c.dep_ == "mark" and c.lower_ in _CAUSE_WORDS for c in v.children) or any(
        a.dep_ in ("prep", "mark") and a.lower_ in _CAUSE_WORDS for a in v.ancestors)


def _victims(sent: Span, kill: bool) -> list[tuple[Token, Token, int | None]]:
    """(predicate, victim token, how many) for each report of deaths (`kill`) or of injuries in the sentence; deaths
    also as 'shot dead', 'found dead', 'left three dead', 'beaten to death', 'died'."""
    out = []
    verbs = _KILL_VERBS if kill else _INJURE_VERBS
    for tok in sent:
        lem = tok.lemma_.lower()
        victim = None
        # "beaten to death", "shot dead", "gunned down"
        phrasal = any(c.dep_ == "prep" and c.lower_ == "to" and any(g.lower_ == "death" for g in c.children)
                      for c in tok.children) or (lem == "shoot" and any(
                          x.lower_ == "dead" for c in tok.children for x in (c, *c.children))) or (
                      lem == "gun" and any(c.dep_ == "prt" and c.lower_ == "down" for c in tok.children))
        if tok.pos_ == "VERB" and (lem in verbs or (kill and phrasal)) and not _only_tried(tok) \
                and not (kill and _told_as_cause(tok)):
            victim = _patient(tok)
        elif kill and lem in ("die", "dead", "succumb") and tok.pos_ in ("VERB", "ADJ"):
            victim = next((c for c in tok.children if c.dep_ in ("nsubj", "dobj")), None)
            if victim is None and tok.dep_ in ("oprd", "acomp", "amod", "xcomp", "ccomp") and tok.head.pos_ == "VERB":
                victim = next((c for c in tok.head.children if c.dep_ in ("dobj", "nsubjpass")), None)
        elif lem == "injured" and tok.pos_ == "ADJ" and not kill:
            victim = next((c for c in tok.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if victim is not None and victim.pos_ in ("NOUN", "PROPN", "NUM"):
            out.append((tok, victim, _count(victim)))
        elif victim is not None and victim.lower_ in ("he", "she", "him", "her"):  # "He died of his injuries"
            out.append((tok, victim, 1))
    return out


def death_report(sent: Span) -> tuple[int | None, bool]:
    """(deaths, is_summary): what `fatalities` reads, and whether it is a summary count ('1 fatality.',
    '2 fatalities') that restates the deaths told before rather than adding to them."""
    for tok in sent:
        if tok.lemma_.lower() in ("fatality", "death") and tok.pos_ == "NOUN":
            nums = [c for c in tok.children if c.dep_ == "nummod"]
            if nums and (parsed := parse_number(nums[0].text)) and not parsed[1]:
                return int(parsed[0]), True
    return fatalities(sent), False


def fatalities(sent: Span) -> int | None:
    """Deaths a sentence reports: 'killing 6 civilians', 'two soldiers were killed', 'shot dead a farmer',
    'killed an officer and a soldier' (2), several reports added up; a summary count ('1 fatality and 4
    injured', '2 fatalities') wins; 'no casualties' is 0. None when it says nothing countable."""
    for tok in sent:
        if tok.lemma_.lower() in ("fatality", "death") and tok.pos_ == "NOUN":
            nums = [c for c in tok.children if c.dep_ == "nummod"]
            if nums and (parsed := parse_number(nums[0].text)) and not parsed[1]:
                return int(parsed[0])
    seen, total = set(), None
    for _, victim, n in _victims(sent, kill=True):
        if n is not None and victim.i not in seen:
            seen.add(victim.i)
            total = (total or 0) + n
    if total is None and _NONE_RE.search(sent.text):
        return 0
    return total


def injuries(sent: Span) -> list[tuple[int, bool, str]]:
    """(count, approx, words) for each injury report: 'wounding 3', 'four others wounded', '4 injured'."""
    out, seen = [], set()
    for pred, victim, n in _victims(sent, kill=False):
        if n is not None and victim.i not in seen:
            seen.add(victim.i)
            left = min([victim.i] + [c.left_edge.i for c in victim.lefts])
            words = sent.doc[min(left, pred.i):max(victim.i, pred.i) + 1]  # "wounding 3", "four others wounded"
            out.append((n, _approx(left, sent, list(words)), words.text))
    if not out:
        for m in _INJURED_RE.finditer(sent.text):
            parsed = parse_number(m.group(1))
            if parsed:
                out.append((int(parsed[0]), False, m.group(0)))
    return out
