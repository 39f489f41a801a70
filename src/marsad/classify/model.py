"""A linear text classifier stored as plain arrays (.npz) and run with numpy only.

Features: TF-IDF (sublinear tf, smoothed idf, l2-normalised per block) of word 1-2-grams and of character
3-5-grams inside words, exactly as scikit-learn's TfidfVectorizer computes them at training time.
Scores: softmax of the linear decision values divided by a temperature fitted on development data.
"""
from __future__ import annotations

import json
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


@dataclass
class LinearTextModel:
    classes: list[str]
    blocks: list[Block]
    coef: np.ndarray          # (n_features, n_classes) float32; rows: blocks' columns one after another.
                              # Saved as int8 with a per-class scale.
    intercept: np.ndarray     # (n_classes,)
    temperature: float = 1.0
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._idf = np.concatenate([b.idf for b in self.blocks]).astype(np.float32)
        self._offsets = np.cumsum([0] + [len(b.terms) for b in self.blocks])[:-1].tolist()

    def features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR-style (indptr, cols, vals) of the texts' feature vectors: per block, sublinear tf * idf,
        l2-normalised (as TfidfVectorizer(sublinear_tf=True) does), blocks side by side."""
        tags = bool(self.meta.get("tags", False))
        analyzers = [(BLOCKS[b.name], b.index.get, off) for b, off in zip(self.blocks, self._offsets)]
        cols: list[int] = []
        counts: list[int] = []
        seg = [0]                                            # one segment per (text, block)
        for text in texts:
            prepared = prepare(text, tags)
            for analyzer, get, off in analyzers:
                for g, n in Counter(analyzer(prepared)).items():
                    j = get(g)
                    if j is not None:
                        cols.append(j + off)
                        counts.append(n)
                seg.append(len(cols))
        col = np.asarray(cols, dtype=np.int64)
        val = (1.0 + np.log(np.asarray(counts, dtype=np.float32))) * self._idf[col]
        seg_arr = np.asarray(seg)
        sq = np.zeros(len(seg) - 1, dtype=np.float32)
        _segment_sum(sq, val * val, seg_arr)
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        val /= np.repeat(norms, np.diff(seg_arr))
        return seg_arr[::len(self.blocks)], col, val

    def decision(self, texts: Sequence[str], chunk: int = 512) -> np.ndarray:
        """Linear decision values, shape (len(texts), n_classes)."""
        out = np.empty((len(texts), len(self.classes)), dtype=np.float32)
        for s in range(0, len(texts), chunk):
            part = texts[s:s + chunk]
            indptr, cols, vals = self.features(part)
            scores = np.zeros((len(part), len(self.classes)), dtype=np.float32)
            if len(cols):
                _segment_sum(scores, self.coef[cols] * vals[:, None], indptr)
            out[s:s + len(part)] = scores + self.intercept
        return out

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (softmax of decision / temperature), shape (len(texts), n_classes)."""
        return softmax(self.decision(texts) / self.temperature)

    def save(self, path: Path) -> None:
        q, scale = quantize(self.coef)
        arrays = {"coef_int8": q, "coef_scale": scale, "intercept": self.intercept.astype(np.float32)}
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
            coef = z["coef_int8"].astype(np.float32) * z["coef_scale"]
            return cls(classes=header["classes"], blocks=blocks, coef=coef,
                       intercept=z["intercept"].astype(np.float32), temperature=float(header["temperature"]),
                       meta=header.get("meta", {}))


def quantize(coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 coefficients and their per-class scale (coef ~= int8 * scale)."""
    scale = (np.abs(coef).max(axis=0, keepdims=True) / 127.0).astype(np.float32)
    scale[scale == 0] = 1.0
    return np.round(coef / scale).astype(np.int8), scale


def dequantize(coef: np.ndarray) -> np.ndarray:
    """coef as the saved model will have it (rounded to int8 steps)."""
    q, scale = quantize(coef)
    return q.astype(np.float32) * scale


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
