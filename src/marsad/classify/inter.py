"""ACLED interaction codes of an event's actors from its text: who is acting, in ACLED's categories.

ACLED codes every event's actor1 (and actor2 where there is one) with an interaction code: 1 state forces,
2 rebel groups, 3 political militias (unidentified armed groups included), 4 identity militias, 5 rioters,
6 protesters, 7 civilians, 8 external/other forces. When the words do not name a registry actor or a typed
generic one ('unknown gunmen', 'police'), the category can still be read from the report: these linear
models (same features as the event-type model, plus the event's sub-event type as a token) learn it from
ACLED's notes. Trained by `marsad train acled-inter`; shipped in data/models/acled/.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .acled import model_dir
from .model import LinearTextModel

ROLES = ("actor1", "actor2")
NONE = "none"  # actor2 only: the event has no second actor


def model_file(role: str) -> str:
    return f"acled_inter_{role}.npz"


def inter_text(text: str, sub_event_type: str | None) -> str:
    """The classifier's input: the text, then its sub-event type as one token (at the end, so that the
    normaliser's leading-date rule still sees the text's start)."""
    token = "qqsub" + re.sub(r"[^a-z]", "", (sub_event_type or "unknown").lower())
    return f"{text} {token}"


@lru_cache(maxsize=2)
def load_inter_model(role: str) -> LinearTextModel | None:
    """The shipped model for `role`, or None when this installation has none (then no code is inferred)."""
    f = model_dir() / model_file(role)
    return LinearTextModel.load(f) if f.is_file() else None


def predict_inter(role: str, texts: Sequence[str], sub_event_types: Sequence[str | None]
                  ) -> list[tuple[int | None, float]]:
    """(interaction code or None, probability) for each text; None for 'no such actor' or no model."""
    model = load_inter_model(role)
    if model is None or not texts:
        return [(None, 0.0)] * len(texts)
    proba = model.proba([inter_text(t, s) for t, s in zip(texts, sub_event_types)])
    out = []
    for row in proba:
        label = model.classes[int(row.argmax())]
        out.append((None if label == NONE else int(label[1:]), float(row.max())))  # "c3" -> 3
    return out
