"""ACLED event type / sub-event type of short conflict texts, with the model shipped in the package.

    >>> from marsad.classify import classify
    >>> classify(["Police fired tear gas at protesters in Nairobi."])[0].sub_event_type
    'Protest with intervention'

The model (data/models/acled/, see its README) is loaded once per process. The sub-event type is
predicted and the event type derived from it, so the pair is always consistent with the taxonomy.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import MarsadError
from .model import LinearTextModel
from .taxonomy import EVENT_OF

MODEL_FILE = "acled_linear.npz"


def model_dir() -> Path:
    """Where the shipped model lives (inside the installed package)."""
    return Path(__file__).resolve().parent.parent / "data" / "models" / "acled"


@dataclass(frozen=True)
class Prediction:
    event_type: str
    sub_event_type: str
    score: float                          # probability of sub_event_type, 0..1
    probabilities: dict[str, float]       # every sub-event type the model knows -> probability

    def event_probabilities(self) -> dict[str, float]:
        """Probability of each event type (sum over its sub-event types)."""
        out: dict[str, float] = {}
        for sub, p in self.probabilities.items():
            out[EVENT_OF[sub]] = out.get(EVENT_OF[sub], 0.0) + p
        return out


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> LinearTextModel:
    """The model at `path` (default: the shipped one), loaded once and cached."""
    file = Path(path) if path else model_dir() / MODEL_FILE
    if not file.is_file():
        raise MarsadError(f"ACLED model not found at {file} (build it with: marsad train acled --data FILE)")
    return LinearTextModel.load(file)


# ACLED has no "Chemical weapon" training rows: a named chemical agent used in violence decides it (codebook:
# the use of chemical weapons in warfare, whatever the means of delivery).
CHEMICAL = re.compile(r"\b(?:chemical (?:weapons?|attacks?|agents?|munitions?|substances?)|chlorine|sarin|"
                      r"mustard (?:gas|agent)|chloropicrin|nerve (?:agent|gas)|phosgene|poison(?:ous)? gas|"
                      r"toxic gas)\b", re.I)
_NOT_CHEMICAL = {"Protests", "Riots"}


def predict(model: LinearTextModel, texts: Sequence[str]) -> list[Prediction]:
    """Predictions of `model` for `texts`, in order."""
    if not texts:
        return []
    proba = model.proba(list(texts))
    out = []
    for text, row in zip(texts, proba):
        probs = dict(zip(model.classes, row.tolist()))
        sub = model.classes[int(row.argmax())]
        if (CHEMICAL.search(text) and EVENT_OF[sub] not in _NOT_CHEMICAL and sub != "Disrupted weapons use"
                and "Chemical weapon" not in probs):
            sub = "Chemical weapon"
            score = max(0.5, sum(p for c, p in probs.items() if EVENT_OF[c] not in _NOT_CHEMICAL))
            probs = {c: p * (1.0 - score) for c, p in probs.items()} | {sub: score}
        out.append(Prediction(EVENT_OF[sub], sub, round(probs[sub], 6),
                              {c: round(p, 6) for c, p in probs.items()}))
    return out


def classify(texts: Sequence[str], model_path: str | Path | None = None) -> list[Prediction]:
    """ACLED event type, sub-event type and score of each text (a batch; order kept)."""
    return predict(load_model(str(model_path) if model_path else None), texts)
