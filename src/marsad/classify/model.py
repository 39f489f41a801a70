"""A linear text classifier stored as plain arrays (.npz) and run with numpy only.

Features: TF-IDF (sublinear tf, smoothed idf, l2-normalised per block) of word 1-2-grams and of character
3-5-grams inside words, exactly as scikit-learn's TfidfVectorizer computes them at training time.
Scores: softmax of the linear decision values divided by a temperature fitted on development data.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .text import char_grams, prepare, word_grams

FORMAT = "marsad-linear-text-v1"
BLOCKS: dict[str, Callable[[str], list[str]]] = {"word": word_grams, "char": char_grams}


@dataclass
class Block:
    """One TF-IDF feature block: its terms (index = column), their idf and the analyzer's name."""

    name: str
    terms: list[str]
    idf: np.ndarray
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.terms)}

    def vector(self, grams: list[str]) -> tuple[list[int], list[float]]:
        """Column indices and l2-normalised sublinear tf-idf values of one text's grams."""
        index, idf = self.index, self.idf
        cols, vals = [], []
        for g, n in Counter(grams).items():
            j = index.get(g)
            if j is not None:
                cols.append(j)
                vals.append((1.0 + math.log(n)) * idf[j])
        norm = math.sqrt(sum(v * v for v in vals)) or 1.0
        return cols, [v / norm for v in vals]


@dataclass
class LinearTextModel:
    classes: list[str]
    blocks: list[Block]
    coef: np.ndarray          # (n_features, n_classes) float32; rows: blocks' columns one after another
    intercept: np.ndarray     # (n_classes,)
    temperature: float = 1.0
    meta: dict = field(default_factory=dict)

    def features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR-style (indptr, cols, vals) of the texts' feature vectors."""
        tags = bool(self.meta.get("tags", False))
        indptr, cols, vals = [0], [], []
        for text in texts:
            prepared = prepare(text, tags)
            offset = 0
            for b in self.blocks:
                c, v = b.vector(BLOCKS[b.name](prepared))
                cols.extend(j + offset for j in c)
                vals.extend(v)
                offset += len(b.terms)
            indptr.append(len(cols))
        return np.asarray(indptr), np.asarray(cols, dtype=np.int64), np.asarray(vals, dtype=np.float32)

    def decision(self, texts: Sequence[str], chunk: int = 512) -> np.ndarray:
        """Linear decision values, shape (len(texts), n_classes)."""
        out = np.empty((len(texts), len(self.classes)), dtype=np.float32)
        for s in range(0, len(texts), chunk):
            part = texts[s:s + chunk]
            indptr, cols, vals = self.features(part)
            scores = np.zeros((len(part), len(self.classes)), dtype=np.float32)
            if len(cols):
                contrib = self.coef[cols].astype(np.float32) * vals[:, None]
                rows = np.repeat(np.arange(len(part)), np.diff(indptr))
                np.add.at(scores, rows, contrib) if False else _segment_sum(scores, contrib, indptr)
            out[s:s + len(part)] = scores + self.intercept
        return out

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (softmax of decision / temperature), shape (len(texts), n_classes)."""
        return softmax(self.decision(texts) / self.temperature)

    def save(self, path: Path) -> None:
        arrays = {"coef": self.coef.astype(np.float16), "intercept": self.intercept.astype(np.float32)}
        for b in self.blocks:
            arrays[f"{b.name}_terms"] = np.frombuffer("\n".join(b.terms).encode("utf-8"), dtype=np.uint8)
            arrays[f"{b.name}_idf"] = b.idf.astype(np.float32)
        header = {"format": FORMAT, "classes": self.classes, "blocks": [b.name for b in self.blocks],
                  "temperature": self.temperature, "meta": self.meta}
        arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: Path) -> LinearTextModel:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(z["header"].tobytes().decode("utf-8"))
            if header.get("format") != FORMAT:
                raise ValueError(f"{path}: not a {FORMAT} model")
            blocks = [Block(name, z[f"{name}_terms"].tobytes().decode("utf-8").split("\n"),
                            z[f"{name}_idf"].astype(np.float32)) for name in header["blocks"]]
            return cls(classes=header["classes"], blocks=blocks, coef=z["coef"].astype(np.float32),
                       intercept=z["intercept"].astype(np.float32), temperature=float(header["temperature"]),
                       meta=header.get("meta", {}))


def _segment_sum(out: np.ndarray, contrib: np.ndarray, indptr: np.ndarray) -> None:
    """out[i] = sum of contrib rows indptr[i]:indptr[i+1] (empty segments stay 0)."""
    nonempty = np.diff(indptr) > 0
    if nonempty.any():
        starts = indptr[:-1][nonempty]
        out[nonempty] = np.add.reduceat(contrib, starts, axis=0)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
