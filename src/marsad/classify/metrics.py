"""Accuracy, macro-F1 and a per-class table (pure Python; used by training and eval/acled_eval.py)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def per_class(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, float]]:
    """{class: {precision, recall, f1, support}} for every class that occurs in gold or pred."""
    tp = Counter(g for g, p in zip(gold, pred) if g == p)
    n_gold, n_pred = Counter(gold), Counter(pred)
    table = {}
    for c in sorted(set(n_gold) | set(n_pred)):
        p = tp[c] / n_pred[c] if n_pred[c] else 0.0
        r = tp[c] / n_gold[c] if n_gold[c] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        table[c] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": n_gold[c]}
    return table


def summary(gold: Sequence[str], pred: Sequence[str]) -> dict:
    """Accuracy, macro-F1 over the classes present in gold, and the per-class table."""
    table = per_class(gold, pred)
    present = [row["f1"] for row in table.values() if row["support"]]
    return {"accuracy": round(sum(g == p for g, p in zip(gold, pred)) / max(len(gold), 1), 4),
            "macro_f1": round(sum(present) / max(len(present), 1), 4), "per_class": table}


def by_group(groups: Sequence[str], gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict]:
    """{group: {n, accuracy}} (e.g. per country)."""
    n, ok = Counter(groups), Counter(g for g, a, b in zip(groups, gold, pred) if a == b)
    return {g: {"n": n[g], "accuracy": round(ok[g] / n[g], 4)} for g in sorted(n, key=lambda g: -n[g])}


def format_table(table: dict[str, dict[str, float]]) -> str:
    """The per-class table as aligned text."""
    lines = [f"{'class':<40} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>6}"]
    for c, r in sorted(table.items(), key=lambda kv: -kv[1]["support"]):
        lines.append(f"{c:<40} {r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f} {r['support']:>6}")
    return "\n".join(lines)
