"""End-to-end ACLED figures on held-out countries: the shared scorer `score_acled.py` run on `marsad extract`.

    .venv/bin/python eval/acled_extract.py [--limit 500] [--seed 1] [-- extra score_acled options]

Writes the rows of the countries held out of every model's training (marsad.classify.train.
HELDOUT_COUNTRIES) to a temporary CSV (never into the repository: ACLED's terms), samples --limit of them
and prints the scorer's report: event / sub-event type, date, location, admin1, fatalities and the actors'
interaction codes, over the first event marsad writes for each note. Skips (exit 0) without the data.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import subprocess
import sys
import tempfile
from pathlib import Path

from marsad.classify.train import HELDOUT_COUNTRIES

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "acled" / "acled_train.csv.gz"
SCORER = ROOT.parent / "shared" / "eval" / "score_acled.py"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    args, extra = ap.parse_known_args()
    if not Path(args.data).is_file() or not SCORER.is_file():
        print(f"skipped: {args.data} or {SCORER} not found")
        return 0
    held = set(HELDOUT_COUNTRIES)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "heldout.csv.gz"
        with gzip.open(args.data, "rt", encoding="utf-8", newline="") as src, \
                gzip.open(out, "wt", encoding="utf-8", newline="") as dst:
            reader = csv.DictReader(src)
            writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            writer.writerows(r for r in reader if r.get("country") in held)
        marsad = str(Path(sys.executable).with_name("marsad"))
        cmd = [sys.executable, str(SCORER), "--marsad", marsad, "--data", str(out), "--limit", str(args.limit),
               "--seed", str(args.seed), *[a for a in extra if a != "--"]]
        return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
