"""Geoparsing on LGL (Lieberman et al.'s Local-Global Lexicon, a DEV set): runs the shared acceptance
scorer `score_geo.py --format lgl` against this checkout's `marsad` and prints its SCORE line.
Skips (exit 0, with a message) when the scorer or the corpus is missing. Extra arguments go to the scorer
(e.g. --limit 100, --save-pred FILE, --min recall=0.85)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "eval" / "score_geo.py"
DATA = SHARED / "data" / "geo" / "lgl.xml"


def main() -> int:
    for what, path in (("scorer", SCORER), ("LGL corpus", DATA)):
        if not path.is_file():
            print(f"geo_lgl: skipped: {what} not found at {path}")
            return 0
    marsad = str(Path(sys.executable).with_name("marsad"))
    cmd = [sys.executable, str(SCORER), "--format", "lgl", "--data", str(DATA), "--marsad", marsad, *sys.argv[1:]]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stderr[-3000:])
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
