"""`make eval`: the shared acceptance scorers and marsad's own evaluations, against pinned floors.

Runs ../shared/eval/contract_check.py and score_events.py (seeds gold) on this checkout's `marsad`,
eval/plover_gsr.py, eval/acled_eval.py (the ACLED classifier on held-out countries, news and seeds
sentences), eval/news_plover.py, eval/actor_resolution.py (the project's own list of actor mentions),
eval/geo_lgl.py (LGL toponyms) and eval/merge_eval.py (cross-source merging). Floors live in
eval/floors.json. A data set that is not beside the checkout is skipped, saying so. Exit status 1 when any
metric is below its floor (the quality gate).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
FLOORS = json.loads((HERE / "floors.json").read_text())
MARSAD = str(Path(sys.executable).with_name("marsad"))


def _score_line(out: str) -> dict[str, float]:
    line = next((ln for ln in reversed(out.splitlines()) if ln.startswith("SCORE ")), "")
    return {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", line)}


def runs() -> list[tuple[str, list[str], Path]]:
    """(name, command, data it needs) for every evaluation."""
    py = sys.executable
    return [
        ("contract", [py, str(SHARED / "eval/contract_check.py"), "--marsad", MARSAD], SHARED / "seeds"),
        ("seeds_events", [py, str(SHARED / "eval/score_events.py"), "--marsad", MARSAD], SHARED / "gold"),
        ("plover_gsr", [py, str(HERE / "plover_gsr.py")], SHARED / "data/plover/PLOVER_GSR_CAMEO.txt"),
        ("acled_heldout", [py, str(HERE / "acled_eval.py")], SHARED / "data/acled/acled_train.csv.gz"),
        ("news_plover_dev", [py, str(HERE / "news_plover.py")], HERE / "data/news_acled_dev.jsonl"),
        ("actor_resolution", [py, str(HERE / "actor_resolution.py")], HERE / "data/actor_mentions.tsv"),
        ("geo_lgl", [py, str(HERE / "geo_lgl.py")], SHARED / "data/geo/lgl.xml"),
        ("merge", [py, str(HERE / "merge_eval.py")], HERE / "data/merge_pairs.jsonl"),
    ]


def evaluate(name: str, cmd: list[str]) -> tuple[dict[str, float], list[str], str]:
    """Run one evaluation; returns its SCORE metrics, the floors it missed, and its report."""
    r = subprocess.run(cmd, text=True, capture_output=True)
    metrics = _score_line(r.stdout)
    missed = []
    for key, floor in FLOORS.get(name, {}).items():
        if key.startswith("_"):
            continue
        if key.endswith("_max"):
            value = metrics.get(key[:-4])
            if value is None or value > floor:
                missed.append(f"{key[:-4]}={value} > {floor}")
        elif metrics.get(key, -1.0) < floor:
            missed.append(f"{key}={metrics.get(key)} < {floor}")
    if not metrics:
        missed.append(f"no SCORE line (exit {r.returncode}): {r.stderr.strip()[-300:]}")
    return metrics, missed, r.stdout


def main() -> int:
    failed = False
    for name, cmd, data in runs():
        print(f"== {name}", flush=True)
        if not data.exists():
            print(f"skipped: {data} not found")
            continue
        metrics, missed, report = evaluate(name, cmd)
        print("\n".join(report.strip().splitlines()[-10:]))
        for m in missed:
            print(f"BELOW FLOOR: {name}: {m}")
        failed |= bool(missed)
    print("quality gate: FAILED" if failed else "quality gate: all floors met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
