"""Actor resolution precision on eval/data/actor_mentions.tsv: (mention, context sentence, expected actor).

Each context is parsed by marsad's pipeline, the mention's words are resolved as the event coder resolves
an actor (marsad.extract.records.resolve_actor), and the registry id is compared with the expected one
('-': no registry actor is meant; the mention must stay unresolved, e.g. an unknown militia or a person
who only shares a surname). precision = right ids / ids given; recall = right ids / mentions of registry
actors. Also sweeps the fuzzy-match cutoff (registry.FUZZY_CUTOFF) to show how it was chosen.
Prints `SCORE precision=... recall=... accuracy=... n=...` for the current cutoff.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from marsad.config import get_settings
from marsad.extract.records import resolve_actor
from marsad.nlp import load_pipeline
from marsad.resolve import registry

DATA = Path(__file__).resolve().parent / "data" / "actor_mentions.tsv"
WHEN = date(2025, 6, 20)  # the seeds' time: roles are filled as they were then


def load_cases() -> list[tuple[str, str, str | None]]:
    out = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            mention, context, expected = line.split("\t")
            out.append((mention, context, None if expected == "-" else expected))
    return out


def score(cases, docs) -> tuple[dict[str, float], list[str]]:
    reg = registry.load_registry()
    reg._cache.clear()
    right = given = right_known = known = 0
    errors = []
    for (mention, context, expected), doc in zip(cases, docs):
        start = context.index(mention)
        span = doc.char_span(start, start + len(mention), alignment_mode="expand")
        actor = resolve_actor(span, reg, when=WHEN)
        got = actor.id if actor is not None else None
        ok = got == expected
        right += ok
        given += got is not None
        known += expected is not None
        right_known += ok and expected is not None
        if not ok:
            errors.append(f"  {mention!r}: expected {expected}, got {got}")
    correct_given = right_known
    return ({"precision": correct_given / max(given, 1), "recall": right_known / max(known, 1),
             "accuracy": right / len(cases), "n": len(cases)}, errors)


def main() -> int:
    cases = load_cases()
    nlp = load_pipeline(get_settings().spacy_model)
    docs = list(nlp.pipe([c[1] for c in cases]))
    chosen = registry.FUZZY_CUTOFF
    print("fuzzy cutoff sweep (100 = identical names only):")
    for cutoff in (75, 80, 85, 88, 90, 92, 95, 100):
        registry.FUZZY_CUTOFF = cutoff
        m, _ = score(cases, docs)
        print(f"  cutoff {cutoff:3d}: precision {m['precision']:.3f} recall {m['recall']:.3f} "
              f"accuracy {m['accuracy']:.3f}")
    registry.FUZZY_CUTOFF = chosen
    m, errors = score(cases, docs)
    print(f"cutoff in use {chosen}; errors ({len(errors)}):", *errors, sep="\n")
    print("SCORE " + " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in m.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
