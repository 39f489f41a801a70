"""Shared set-up of the atheris harnesses: a harness fails (exits non-zero) only on an exception the parser
must never raise; a coded rejection or a FeedError is a correct answer to bad input."""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "tests", "data")


def argv(name: str) -> list[str]:
    """libFuzzer arguments: the budget from FUZZ_RUNS (default 20000 inputs) and FUZZ_SECONDS (default 60),
    a fixed seed, and this harness's corpus dir seeded from tests/data."""
    corpus = os.path.join(ROOT, "fuzz", "corpus", name)
    os.makedirs(corpus, exist_ok=True)
    runs = os.environ.get("FUZZ_RUNS", "20000")
    secs = os.environ.get("FUZZ_SECONDS", "60")
    return [sys.argv[0], f"-runs={runs}", f"-max_total_time={secs}", "-seed=1", "-max_len=4096",
            "-rss_limit_mb=4096", "-timeout=20", *sys.argv[1:], corpus, *seed_dirs(name)]


def seed_dirs(name: str) -> list[str]:
    dirs = {"feeds": ["sources"], "html": ["sources", "bad"], "readers": ["bad"], "timex": []}[name]
    out = [os.path.join(SEEDS, d) for d in dirs]
    own = os.path.join(ROOT, "fuzz", "seeds", name)
    return [d for d in [*out, own] if os.path.isdir(d)]
