"""Near-duplicate articles (syndicated copies, updated versions) found at ingest with MinHash + LSH.

An article's fingerprint is a MinHash (datasketch) of its word 3-shingles. The LSH index lives in the
database (`article_bands`: one row per band bucket and article), so every process — several `ingest`
runs, the API's POST — sees the same index on SQLite and PostgreSQL; an in-memory index would not.
A lookup fetches the articles sharing a bucket and compares their shingles exactly: an article whose
Jaccard similarity with a stored one is at least THRESHOLD is stored with `duplicate_of` set. (The MinHash
estimate alone was too noisy on short wire items: 128 permutations put a true 0.43 at 0.48 and a true 0.48
at 0.38, on either side of the threshold; the exact check on the few candidates costs little.)

THRESHOLD was measured on eval/data/merge_pairs.jsonl (`python eval/merge_eval.py` prints the
shingle Jaccard of every pair): syndicated copies and updates (datelines, credits, a new toll and an
added sentence) scored 0.55-0.88; different outlets' reports of one event at most 0.17; templated reports
of *different* events by one outlet ("Hundreds protested in Basra/Baghdad on Friday ...") up to 0.43.
0.5 sits in that gap.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np
import sqlalchemy as sa
from datasketch import MinHash

from marsad.store.schema import article_bands, articles

NUM_PERM = 128
SHINGLE = 3  # words: short enough for a paraphrase-proof copy signal, long enough to ignore topic words
THRESHOLD = 0.5
_SEED = 1
_SCHEME = "affine32"  # pinned: a stored signature must be comparable with one computed by a later version
_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    """Word 3-shingles of the case-folded text (a text shorter than 3 words is one shingle)."""
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE:
        return {" ".join(words)}
    return {" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def jaccard(a: str, b: str) -> float:
    """The exact shingle Jaccard similarity (what the MinHash estimates), for measuring."""
    sa_, sb = shingles(a), shingles(b)
    return len(sa_ & sb) / len(sa_ | sb) if sa_ | sb else 1.0


def fingerprint(text: str) -> bytes:
    """The article's MinHash signature as bytes (NUM_PERM little-endian uint32)."""
    m = MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME)
    m.update_batch([s.encode("utf-8") for s in shingles(text)])
    return np.asarray(m.hashvalues, dtype="<u4").tobytes()


def similarity(fp_a: bytes, fp_b: bytes) -> float:
    """The Jaccard estimate of two signatures: the share of equal minimum hashes (for measuring)."""
    a, b = np.frombuffer(fp_a, dtype="<u4"), np.frombuffer(fp_b, dtype="<u4")
    if a.shape != b.shape:
        return 0.0  # made with another NUM_PERM: not comparable
    return float(np.mean(a == b))


# LSH banding: 42 bands of 3 minimum hashes. A pair at Jaccard 0.5 shares a bucket with probability
# 1 - (1 - 0.5**3)**42 = 0.996, at 0.2 with 0.29: tuned for recall, since candidates are checked exactly.
# (datasketch's MinHashLSH optimum for 0.5, 25 x 5, finds a 0.5 pair only 55% of the time.)
BANDS, ROWS = 42, 3


def buckets(fp: bytes) -> list[str]:
    """The LSH bucket keys of a signature: band number and a hash of that band's values."""
    width = ROWS * 4
    return [f"{i}:{hashlib.blake2b(fp[i * width:(i + 1) * width], digest_size=8).hexdigest()}"
            for i in range(BANDS)]


def find_original(conn: sa.Connection, text: str, fp: bytes,
                  threshold: float = THRESHOLD) -> tuple[int, float] | None:
    """The stored article this text nearly copies, and their Jaccard similarity, or None. Of several, the
    most similar wins (then the oldest); a copy of a copy points at the first original."""
    candidates = sa.select(article_bands.c.article).where(article_bands.c.bucket.in_(buckets(fp))).distinct()
    rows = conn.execute(
        sa.select(articles.c.id, articles.c.text, articles.c.duplicate_of).where(articles.c.id.in_(candidates))
    ).all()
    mine = shingles(text)
    best: tuple[float, int, int] | None = None
    for row in rows:
        theirs = shingles(row.text)
        sim = len(mine & theirs) / len(mine | theirs)
        if sim >= threshold and (best is None or (sim, -row.id) > (best[0], -best[1])):
            best = (sim, row.id, row.duplicate_of or row.id)
    return (best[2], best[0]) if best else None


def index_article(conn: sa.Connection, article_pk: int, fp: bytes) -> None:
    """Add a stored article's buckets to the LSH index."""
    conn.execute(sa.insert(article_bands), [{"bucket": k, "article": article_pk} for k in buckets(fp)])
