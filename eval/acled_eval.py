"""Held-out metrics of the shipped ACLED classifier (marsad.classify), re-derived from the data file.

    .venv/bin/python eval/acled_eval.py [--data FILE] [--min sub_event_type=0.8 ...] [--baseline]

Splits ../shared/data/acled/acled_train.csv.gz by country exactly as training did (the held-out countries
are read from the model) and scores the model on the held-out countries: event / sub-event accuracy,
macro-F1, per-class tables, accuracy per country. Also scores the news-sentence sets in eval/data/ when
they are there (the test set is reported, never tuned on). `--baseline` also trains and scores a plain
TF-IDF + linear SVM on the same split (needs scikit-learn). Skips with exit 0 when the data is missing.
Last line: `SCORE event_type=... sub_event_type=... macro_f1_sub=... n=...`. Exit 1 when a --min floor
is not met.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from marsad.classify.acled import load_model, predict
from marsad.classify.metrics import format_table, summary
from marsad.classify.train import DEV_COUNTRIES, HELDOUT_COUNTRIES, evaluate, read_rows, split_rows

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "acled" / "acled_train.csv.gz"
NEWS = {"news_dev": ROOT / "eval" / "data" / "news_acled_dev.jsonl",
        "news_test": ROOT / "eval" / "data" / "news_acled_test.jsonl",
        "seeds": ROOT / "eval" / "data" / "seeds_acled.jsonl"}


def score_news(model, path: Path) -> dict:
    recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    preds = predict(model, [r["text"] for r in recs])
    ev = summary([r["event_type"] for r in recs], [p.event_type for p in preds])
    sub = summary([r["sub_event_type"] for r in recs], [p.sub_event_type for p in preds])
    return {"n": len(recs), "event_type": ev["accuracy"], "sub_event_type": sub["accuracy"],
            "macro_f1_sub": sub["macro_f1"]}


def baseline(train_rows, test_rows) -> dict:
    """Plain TF-IDF (word unigrams, scikit-learn defaults) + LinearSVC on the sub-event type."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    from marsad.classify.taxonomy import EVENT_OF

    vec = TfidfVectorizer()
    X = vec.fit_transform([r.text for r in train_rows])
    svm = LinearSVC().fit(X, [r.sub_event_type for r in train_rows])
    pred = svm.predict(vec.transform([r.text for r in test_rows]))
    ev = summary([r.event_type for r in test_rows], [EVENT_OF[p] for p in pred])
    sub = summary([r.sub_event_type for r in test_rows], list(pred))
    return {"event_type": ev["accuracy"], "sub_event_type": sub["accuracy"], "macro_f1_event": ev["macro_f1"],
            "macro_f1_sub": sub["macro_f1"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help=f"ACLED CSV(.gz) (default {DATA})")
    ap.add_argument("--model", help="model .npz (default: the shipped one)")
    ap.add_argument("--min", action="append", default=[], metavar="KEY=VALUE",
                    help="floor on a SCORE key, e.g. sub_event_type=0.8 (repeatable)")
    ap.add_argument("--baseline", action="store_true", help="also train and score TF-IDF + LinearSVC")
    ap.add_argument("--news-dev", action="store_true", help="also score eval/data/news_acled_dev.jsonl")
    args = ap.parse_args(argv)
    floors = {}
    for item in args.min:
        key, _, value = item.partition("=")
        try:
            floors[key] = float(value)
        except ValueError:
            ap.error(f"--min {item!r}: expected KEY=NUMBER")

    if not args.data.is_file():
        print(f"skipped: ACLED data not found at {args.data}")
        return 0
    t0 = time.time()
    model = load_model(args.model)
    heldout = model.meta.get("heldout_countries") or HELDOUT_COUNTRIES
    rows = read_rows(args.data)
    train_rows, dev_rows, test_rows = split_rows(rows, heldout, DEV_COUNTRIES)
    print(f"{len(rows)} rows; held-out countries ({len(test_rows)} rows): {', '.join(heldout)}")
    m = evaluate(model, test_rows)
    print(f"\nEvent type (held-out): accuracy {m['event_type_accuracy']:.4f}  "
          f"macro-F1 {m['event_type_macro_f1']:.4f}")
    print(format_table(m["event_type_per_class"]))
    print(f"\nSub-event type (held-out): accuracy {m['sub_event_type_accuracy']:.4f}  "
          f"macro-F1 {m['sub_event_type_macro_f1']:.4f}")
    print(format_table(m["sub_event_type_per_class"]))
    print("\nSub-event accuracy per country: " + ", ".join(
        f"{c} {v['accuracy']:.3f} (n={v['n']})" for c, v in m["per_country_sub_event_accuracy"].items()))
    score = {"event_type": m["event_type_accuracy"], "sub_event_type": m["sub_event_type_accuracy"],
             "macro_f1_event": m["event_type_macro_f1"], "macro_f1_sub": m["sub_event_type_macro_f1"]}
    for name, path in NEWS.items():
        if path.is_file() and (name != "news_dev" or args.news_dev):
            s = score_news(model, path)
            print(f"\n{name} ({path.name}, n={s['n']}): event {s['event_type']:.4f}  "
                  f"sub {s['sub_event_type']:.4f}  macro-F1 sub {s['macro_f1_sub']:.4f}")
            score[f"{name}_event_type"] = s["event_type"]
            score[f"{name}_sub_event_type"] = s["sub_event_type"]
    if args.baseline:
        b = baseline(train_rows + dev_rows, test_rows)
        print(f"\nbaseline TF-IDF + LinearSVC (held-out): event {b['event_type']:.4f}  "
              f"sub {b['sub_event_type']:.4f}  macro-F1 event {b['macro_f1_event']:.4f}  "
              f"sub {b['macro_f1_sub']:.4f}")
    print(f"\n({time.time() - t0:.0f} s)")
    failed = [f"{k}={score.get(k)} < {v}" for k, v in floors.items() if score.get(k, -1.0) < v]
    if failed:
        print("below floor: " + "; ".join(failed))
    print("SCORE " + " ".join(f"{k}={v:.4f}" for k, v in score.items()) + f" n={m['n']}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
