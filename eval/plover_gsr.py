"""PLOVER gold-standard records (../shared/data/plover/PLOVER_GSR_CAMEO.txt): event-type accuracy of the
main event marsad extracts from each sentence. Old 19-type schema mapped as the data README says:
DEMAND -> REQUEST, DISAPPROVE / INVESTIGATE -> ACCUSE, FIGHT -> ASSAULT; DOCUMENT skipped.

Usage: python eval/plover_gsr.py [--data FILE] [--min accuracy=0.7] [--errors N]
Prints a confusion summary and a last line `SCORE accuracy=... any_type=... coverage=... n=...`
(`any_type`: the gold type is among all events extracted from the sentence).
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

OLD_TO_NEW = {"DEMAND": "REQUEST", "DISAPPROVE": "ACCUSE", "INVESTIGATE": "ACCUSE", "FIGHT": "ASSAULT"}
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "plover" / "PLOVER_GSR_CAMEO.txt"


def load(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        if r.get("event") == "DOCUMENT" or not r.get("text"):
            continue
        rows.append((r["id"], r["text"], OLD_TO_NEW.get(r["event"], r["event"])))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT)
    ap.add_argument("--min", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--errors", type=int, default=0, help="print this many misclassified sentences")
    args = ap.parse_args()
    if not args.data.is_file():
        print(f"skipped: {args.data} not found")
        return 0
    from marsad.config import get_settings
    from marsad.models import Article
    from marsad.pipeline import extract_events

    rows = load(args.data)
    arts = [Article(id=rid, text=text) for rid, text, _ in rows]
    out = {a.id: evs for a, evs in (x for x in extract_events(arts, get_settings(), progress=False)
                                    if isinstance(x, tuple))}
    right = anyt = covered = 0
    confusion: collections.Counter = collections.Counter()
    errors = []
    for rid, text, gold in rows:
        evs = out.get(rid, [])
        pred = evs[0].event_type if evs else None
        covered += bool(evs)
        right += pred == gold
        anyt += gold in {e.event_type for e in evs}
        if pred != gold:
            confusion[(gold, pred)] += 1
            errors.append((gold, pred, text))
    n = len(rows)
    print(f"PLOVER GSR: {n} sentences")
    print("most frequent confusions (gold -> predicted):")
    for (g, p), c in confusion.most_common(12):
        print(f"  {g:10} -> {p or '(none)':10} {c}")
    for g, p, t in errors[:args.errors]:
        print(f"  [{g} -> {p}] {t}")
    metrics = {"accuracy": right / n, "any_type": anyt / n, "coverage": covered / n}
    print("SCORE " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items()) + f" n={n}")
    failed = [m for m in args.min if metrics[m.split("=")[0]] < float(m.split("=")[1])]
    for m in failed:
        print(f"below floor: {m}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
