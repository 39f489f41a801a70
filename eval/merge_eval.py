"""Cross-article merge and near-duplicate evaluation on eval/data/merge_pairs.jsonl.

Every article of the pairs file goes through the real pipeline (`marsad.pipeline.ingest`) into a temporary
SQLite store, in file order. Each article carries a gold label of the real event its main event (rank 0)
reports; two articles' main events should share a cluster exactly when their labels are equal. Scored
pairwise over all articles (not only within a line), so a near-miss that joins an unrelated cluster counts
as a false merge too. An article whose pipeline gives no event counts as unmerged.

    python eval/merge_eval.py            # the default configuration; ends with a SCORE line
    python eval/merge_eval.py --ablate   # also: each signal switched off, thresholds and distances swept
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from datetime import date
from itertools import combinations
from pathlib import Path

import sqlalchemy as sa

from marsad.analyse import dedupe
from marsad.analyse.merge import DEFAULT, MergeConfig
from marsad.config import get_settings
from marsad.models import Article
from marsad.pipeline import extract_events, ingest
from marsad.store import Store
from marsad.store.schema import articles, event_clusters, events

DATA = Path(__file__).parent / "data" / "merge_pairs.jsonl"


def load(path: Path) -> tuple[list[dict], list[Article], dict[str, str]]:
    pairs = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    arts: list[Article] = []
    gold: dict[str, str] = {}
    for p in pairs:
        for side in ("a", "b"):
            a = p[side]
            gold[a["id"]] = a["event"]
            arts.append(Article(id=a["id"], text=a["text"], title=a.get("title"), source=a.get("source"),
                                published=date.fromisoformat(a["published"]) if a.get("published") else None))
    return pairs, arts, gold


def main_clusters(store: Store) -> dict[str, int | None]:
    """article id -> cluster of its main event (None: the pipeline found no event)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(articles.c.article_id, event_clusters.c.cluster)
            .join_from(articles, events, sa.and_(events.c.article == articles.c.id, events.c.rank == 0), isouter=True)
            .join(event_clusters, event_clusters.c.event_id == events.c.event_id, isouter=True)).all()
    return {r.article_id: r.cluster for r in rows}


def score(pred: dict[str, int | None], gold: dict[str, str]) -> dict:
    tp = fp = fn = 0
    for x, y in combinations(sorted(gold), 2):
        same_gold = gold[x] == gold[y]
        same_pred = pred.get(x) is not None and pred.get(x) == pred.get(y)
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp, "fp": fp, "fn": fn}


def dedupe_report(pairs: list[dict], store: Store) -> None:
    """Exact shingle Jaccard by kind of pair (what the threshold was chosen from) and the links made."""
    by_kind: dict[str, list[float]] = {}
    for p in pairs:
        by_kind.setdefault(p["kind"], []).append(dedupe.jaccard(p["a"]["text"], p["b"]["text"]))
    print(f"dedupe: shingle Jaccard by pair kind (threshold {dedupe.THRESHOLD}):")
    for kind, vals in sorted(by_kind.items()):
        print(f"  {kind:10s} n={len(vals):2d} min={min(vals):.3f} max={max(vals):.3f}")
    with store.engine.connect() as conn:
        root = {r.article_id: r.orig for r in conn.execute(sa.text(
            "SELECT a.article_id, o.article_id AS orig FROM articles a JOIN articles o ON o.id = a.duplicate_of"))}
    gold = {p[s]["id"]: p[s]["event"] for p in pairs for s in ("a", "b")}
    copies = [(p["a"]["id"], p["b"]["id"]) for p in pairs if p["kind"] == "copy"]
    found = sum(root.get(a, a) == root.get(b, b) for a, b in copies)
    wrong = [f"{a}->{o}" for a, o in root.items() if gold[a] != gold[o]]
    print(f"  linked {len(root)} articles to an original: {found}/{len(copies)} gold copy pairs share one "
          f"original; {len(wrong)} links across different events {wrong}")
    print(f"  links: {dict(sorted(root.items()))}")


def run_config(extracted: list, cfg: MergeConfig) -> dict[str, int | None]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/merge.db")
        store.merge_config = cfg
        for article, evs in extracted:
            store.store_article(article, evs)
        pred = main_clusters(store)
        store.close()
    return pred


def ablate(arts: list[Article], gold: dict[str, str]) -> None:
    settings = get_settings()
    extracted = [x for x in extract_events(arts, settings, progress=False) if not hasattr(x, "code")]
    variants = {"default": DEFAULT}
    for signal in ("use_actors", "use_place", "use_date", "use_evidence"):
        variants[f"no {signal[4:]}"] = dataclasses.replace(DEFAULT, **{signal: False})
    variants["same type only"] = dataclasses.replace(DEFAULT, same_type_only=True)
    for t in (2.0, 2.5, 3.5, 4.0, 4.5, 5.0):
        variants[f"threshold {t}"] = dataclasses.replace(DEFAULT, threshold=t)
    for km in (10.0, 25.0, 100.0):
        variants[f"max_km {km:g}"] = dataclasses.replace(DEFAULT, max_km=km)
    for w in (0, 1, 3):
        variants[f"window {w}d"] = dataclasses.replace(DEFAULT, window_days=w)
    print(f"\n{'variant':18s} precision recall  f1     tp  fp  fn")
    for name, cfg in variants.items():
        s = score(run_config(extracted, cfg), gold)
        print(f"{name:18s} {s['precision']:.3f}     {s['recall']:.3f}  {s['f1']:.3f}  {s['tp']:3d} {s['fp']:3d} {s['fn']:3d}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--ablate", action="store_true", help="also score each signal off and swept parameters")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every wrong pair")
    args = ap.parse_args(argv)
    pairs, arts, gold = load(args.data)
    settings = get_settings()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/merge.db")
        t0 = time.perf_counter()
        stored, present, rejected = ingest(store, arts, settings)
        elapsed = time.perf_counter() - t0
        pred = main_clusters(store)
        print(f"ingested {stored} articles ({present} already present, {rejected} rejected) in {elapsed:.1f}s; "
              f"{sum(v is None for v in pred.values())} without any event")
        within = {"same": [0, 0], "copy": [0, 0], "near_miss": [0, 0]}
        for p in pairs:
            a, b = pred.get(p["a"]["id"]), pred.get(p["b"]["id"])
            merged = a is not None and a == b
            within[p["kind"]][0] += merged
            within[p["kind"]][1] += 1
            if args.verbose and merged != (p["kind"] != "near_miss"):
                print(f"  WRONG {p['pair']} ({p['kind']}) merged={merged}: {p['note']}")
        for kind, (m, n) in within.items():
            print(f"within-line pairs {kind:9s}: merged {m}/{n}")
        dedupe_report(pairs, store)
        store.close()
    if args.ablate:
        ablate(arts, gold)
    s = score(pred, gold)
    print(f"pairwise over all articles: tp={s['tp']} fp={s['fp']} fn={s['fn']}")
    print(f"SCORE precision={s['precision']:.3f} recall={s['recall']:.3f} n={s['tp'] + s['fn']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
