"""PLOVER type of the main event marsad extracts from labelled news-style sentences (eval/data/).

Usage: python eval/news_plover.py [--split dev|test] [--errors N]
The dev split may guide development; the test split is for final reporting only.
Last line: `SCORE accuracy=... coverage=... n=...`.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--errors", type=int, default=0)
    args = ap.parse_args()
    from marsad.config import get_settings
    from marsad.models import Article
    from marsad.pipeline import extract_events

    path = DATA / f"news_acled_{args.split}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    arts = [Article(id=r["id"], text=r["text"]) for r in rows]
    out = {a.id: evs for a, evs in (x for x in extract_events(arts, get_settings(), progress=False)
                                    if isinstance(x, tuple))}
    right = covered = 0
    confusion: collections.Counter = collections.Counter()
    for r in rows:
        evs = out.get(r["id"], [])
        pred = evs[0].event_type if evs else None
        right += pred == r["plover"]
        covered += bool(evs)
        if pred != r["plover"]:
            confusion[(r["plover"], pred)] += 1
            if args.errors > 0:
                args.errors -= 1
                print(f"  [{r['plover']} -> {pred}] {r['text']}")
    print(f"{path.name}: {len(rows)} sentences; most frequent confusions (gold -> predicted):")
    for (g, p), c in confusion.most_common(8):
        print(f"  {g:10} -> {p or '(none)':10} {c}")
    print(f"SCORE accuracy={right / len(rows):.4f} coverage={covered / len(rows):.4f} n={len(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
