"""Train the ACLED classifier on ACLED notes and measure it on held-out countries.

Needs scikit-learn (the `train` extra); the model it writes is plain arrays (see model.py) and runs
without it. The split is by country, never by row: the held-out countries (HELDOUT_COUNTRIES, ~15% of
the rows) are the test, the development countries (DEV_COUNTRIES, ~12%) choose the temperature of the
scores and report development metrics. The model that is written is trained on every row except the
held-out countries, so eval/acled_eval.py can reproduce its held-out metrics.
"""
from __future__ import annotations

import csv
import gzip
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import metrics
from .acled import MODEL_FILE, model_dir, predict
from .model import Block, LinearTextModel, dequantize, softmax
from .taxonomy import EVENT_OF
from .text import _PREFIX, _TAG, char_grams, prepare, word_grams

# Held-out test countries: 21,198 rows (15.3%) of acled_train.csv.gz; East/West Africa, South/South-East
# and Central Asia, Latin America, Europe, North Africa; protest-heavy (India, France, Mexico),
# riot/VAC-heavy (Kenya), battle/VAC (Burkina Faso, Ethiopia), explosions (Myanmar, Afghanistan, Libya).
HELDOUT_COUNTRIES: tuple[str, ...] = ("Kenya", "Myanmar", "Burkina Faso", "India", "Ethiopia", "Mexico",
                                      "Afghanistan", "France", "Libya")
# Development countries (16,107 rows, 11.7%): model selection and score calibration.
DEV_COUNTRIES: tuple[str, ...] = ("Somalia", "Sri Lanka", "Nigeria", "Pakistan", "Brazil", "South Sudan",
                                  "Germany", "Azerbaijan")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Row:
    text: str
    event_type: str
    sub_event_type: str
    country: str


def _acled_records(path: str | Path) -> Iterator[tuple[str, str, dict]]:
    """(notes, sub-event type, the whole row) of each row of an ACLED CSV (.csv or .csv.gz) with notes and a
    sub-event type of the current taxonomy."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            sub, text = (r.get("sub_event_type") or "").strip(), (r.get("notes") or "").strip()
            if text and sub in EVENT_OF:
                yield text, sub, r


def read_rows(path: str | Path) -> list[Row]:
    """Rows of an ACLED CSV (.csv or .csv.gz) with notes and a sub-event type of the current taxonomy."""
    return [Row(text, EVENT_OF[sub], sub, (r.get("country") or "").strip()) for text, sub, r in _acled_records(path)]


def pick_countries(rows: Sequence[Row], n: int, seed: int, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """`n` countries drawn with `seed` among those with 50+ rows and under 10% of all rows."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.country] = counts.get(r.country, 0) + 1
    pool = sorted(c for c, k in counts.items() if 50 <= k < 0.1 * len(rows) and c not in exclude)
    return tuple(sorted(random.Random(seed).sample(pool, min(n, len(pool)))))


def split_rows(rows: Sequence[Row], heldout: Sequence[str], dev: Sequence[str]
               ) -> tuple[list[Row], list[Row], list[Row]]:
    """(train, dev, held-out) by country."""
    h, d = set(heldout), set(dev) - set(heldout)
    return ([r for r in rows if r.country not in h and r.country not in d],
            [r for r in rows if r.country in d], [r for r in rows if r.country in h])


_SENT = re.compile(r"(?<=[a-z0-9)\]][.!?])\s+(?=[A-Z])")


def news_variant(text: str, rng: random.Random) -> str:
    """An ACLED note made more like a news sentence: no "Looting:"-style label or [tags], and half the
    time only its first sentence."""
    text = _TAG.sub("", _PREFIX.sub("", text.strip()))
    return _SENT.split(text)[0] if rng.random() < 0.5 else text


@dataclass(frozen=True)
class Options:
    C: float = 0.5                # LinearSVC regularisation
    word_min_df: int = 2
    char_min_df: int = 3
    tags: bool = True             # keep ACLED's [bracketed tags] as features (news variants lack them)
    news_rate: float = 0.3        # share of training notes replaced by their news_variant
    class_weight: float = 0.5     # class c weighs (n_max / n_c) ** class_weight (0: none, 1: balanced)


def fit(texts: Sequence[str], labels: Sequence[str], opts: Options = Options(), log: Log = lambda s: None
        ) -> LinearTextModel:
    """A LinearTextModel fitted on `texts` (word 1-2-gram and char 3-5-gram TF-IDF, linear SVM)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    prepared = [prepare(t, opts.tags) for t in texts]
    vecs = {"word": TfidfVectorizer(analyzer=word_grams, sublinear_tf=True, min_df=opts.word_min_df,
                                    dtype=np.float32),
            "char": TfidfVectorizer(analyzer=char_grams, sublinear_tf=True, min_df=opts.char_min_df,
                                    dtype=np.float32)}
    t0 = time.time()
    X = hstack([v.fit_transform(prepared) for v in vecs.values()]).tocsr()
    log(f"  features: {X.shape[0]} texts x {X.shape[1]} terms ({time.time() - t0:.0f} s)")
    t0 = time.time()
    counts = Counter(labels)
    weights = {c: (max(counts.values()) / n) ** opts.class_weight for c, n in counts.items()}
    svm = LinearSVC(C=opts.C, class_weight=weights).fit(X, list(labels))
    log(f"  linear SVM fitted ({time.time() - t0:.0f} s)")
    return from_sklearn(vecs, svm, {"tags": opts.tags, "options": opts.__dict__})


def from_sklearn(vecs: dict, svm, meta: dict, quantized: bool = True) -> LinearTextModel:
    """A LinearTextModel from fitted TfidfVectorizers ({block name: vectorizer}) and a linear classifier;
    `quantized`: coefficients rounded as the saved model will hold them."""
    blocks = []
    for name, v in vecs.items():
        terms = [""] * len(v.vocabulary_)
        for term, j in v.vocabulary_.items():
            terms[j] = term
        blocks.append(Block(name, terms, v.idf_.astype(np.float32)))
    coef = svm.coef_.T.astype(np.float32)
    return LinearTextModel([str(c) for c in svm.classes_], blocks, dequantize(coef) if quantized else coef,
                           svm.intercept_.astype(np.float32), meta=meta)


def fit_temperature(model: LinearTextModel, texts: Sequence[str], labels: Sequence[str]) -> float:
    """The softmax temperature that minimises the negative log-likelihood of `labels`."""
    z = model.decision(list(texts))
    idx = {c: i for i, c in enumerate(model.classes)}
    known = np.array([lab in idx for lab in labels])
    y = np.array([idx.get(lab, 0) for lab in labels])[known]
    z = z[known]
    grid = np.exp(np.linspace(np.log(0.02), np.log(2.0), 60))
    nll = [-np.log(softmax(z / t)[np.arange(len(y)), y] + 1e-12).mean() for t in grid]
    return float(grid[int(np.argmin(nll))])


def evaluate(model: LinearTextModel, rows: Sequence[Row]) -> dict:
    """Event / sub-event accuracy and macro-F1, per-class tables and per-country accuracy on `rows`."""
    preds = predict(model, [r.text for r in rows])
    ge, pe = [r.event_type for r in rows], [p.event_type for p in preds]
    gs, ps = [r.sub_event_type for r in rows], [p.sub_event_type for p in preds]
    ev, sub = metrics.summary(ge, pe), metrics.summary(gs, ps)
    return {"n": len(rows), "event_type_accuracy": ev["accuracy"], "sub_event_type_accuracy": sub["accuracy"],
            "event_type_macro_f1": ev["macro_f1"], "sub_event_type_macro_f1": sub["macro_f1"],
            "per_country_sub_event_accuracy": metrics.by_group([r.country for r in rows], gs, ps),
            "event_type_per_class": ev["per_class"], "sub_event_type_per_class": sub["per_class"]}


def training_texts(rows: Sequence[Row], opts: Options, seed: int) -> tuple[list[str], list[str]]:
    """The rows' notes, a `news_rate` share of them replaced by their news_variant (seeded)."""
    rng = random.Random(seed)
    texts = [news_variant(r.text, rng) if rng.random() < opts.news_rate else r.text for r in rows]
    return texts, [r.sub_event_type for r in rows]


def train(data_path: str | Path, out_dir: str | Path | None = None,
          heldout_countries: Sequence[str] = HELDOUT_COUNTRIES, dev_countries: Sequence[str] = DEV_COUNTRIES,
          seed: int = 0, opts: Options = Options(), log: Log | None = None) -> dict:
    """Fit on train, calibrate and measure on dev; refit on train + dev, measure on the held-out countries,
    write the model to `out_dir` (default: the package's model directory). Returns the metrics."""
    log = log or (lambda s: print(s, file=sys.stderr, flush=True))
    t_start = time.time()
    rows = read_rows(data_path)
    train_rows, dev_rows, test_rows = split_rows(rows, heldout_countries, dev_countries)
    n_dev = len({r.country for r in dev_rows})
    log(f"{len(rows)} rows: train {len(train_rows)}, dev {len(dev_rows)} ({n_dev}"
        f" countries), held-out {len(test_rows)} ({len(set(r.country for r in test_rows))} countries)")
    if not train_rows:
        raise ValueError("no training rows left after the split")
    result: dict = {"data": str(data_path), "seed": seed, "options": opts.__dict__,
                    "heldout_countries": sorted(set(heldout_countries)),
                    "dev_countries": sorted(set(dev_countries) - set(heldout_countries))}
    temperature = 1.0
    if dev_rows:
        log("fitting on train, measuring on dev ...")
        model = fit(*training_texts(train_rows, opts, seed), opts, log)
        temperature = fit_temperature(model, [r.text for r in dev_rows], [r.sub_event_type for r in dev_rows])
        model.temperature = temperature
        result["dev"] = evaluate(model, dev_rows)
        log(f"  dev: event {result['dev']['event_type_accuracy']:.4f} "
            f"sub {result['dev']['sub_event_type_accuracy']:.4f} (temperature {temperature:.3f})")
    log("fitting on train + dev ...")
    model = fit(*training_texts(train_rows + dev_rows, opts, seed), opts, log)
    model.temperature = temperature
    model.meta.update({"trained_on": f"{len(train_rows) + len(dev_rows)} ACLED notes",
                       "heldout_countries": result["heldout_countries"], "seed": seed})
    if test_rows:
        result["heldout"] = evaluate(model, test_rows)
        log(f"  held-out: event {result['heldout']['event_type_accuracy']:.4f} "
            f"sub {result['heldout']['sub_event_type_accuracy']:.4f}")
    out = Path(out_dir) if out_dir else model_dir()
    model.save(out / MODEL_FILE)
    (out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    result["model"] = str(out / MODEL_FILE)
    result["seconds"] = round(time.time() - t_start)
    log(f"model written to {out / MODEL_FILE} ({(out / MODEL_FILE).stat().st_size / 1e6:.1f} MB)")
    return result


# ------------------------------------------------------------------------------ interaction codes

# labels "c1".."c8" (string labels: scikit-learn would read "1".."8" back as numbers)
_INTER_CODES = {"state forces": "c1", "rebel groups": "c2", "political militias": "c3", "identity militias": "c4",
                "rioters": "c5", "protesters": "c6", "civilians": "c7", "external/other forces": "c8"}
MAX_PROTEST_ROWS = 10_000  # protests are 40% of the file and trivially coded: a sample is enough


def read_inter_rows(path: str | Path) -> list[tuple[str, str, str, str, str]]:
    """(text, sub-event type, country, inter1 code, inter2 code or 'none') of rows with a known inter1."""
    from .inter import NONE

    rows = []
    for text, sub, r in _acled_records(path):
        if i1 := _INTER_CODES.get((r.get("inter1") or "").strip().lower()):
            i2 = _INTER_CODES.get((r.get("inter2") or "").strip().lower(), NONE)
            rows.append((text, sub, (r.get("country") or "").strip(), i1, i2))
    return rows


def train_inter(data_path: str | Path, out_dir: str | Path | None = None,
                heldout_countries: Sequence[str] = HELDOUT_COUNTRIES, dev_countries: Sequence[str] = DEV_COUNTRIES,
                seed: int = 0, opts: Options = Options(), log: Log | None = None) -> dict:
    """Fit the actor1 / actor2 interaction-code models on every country but the held-out ones (the same
    split as the event-type model; the development countries first choose the score temperature), measure
    them on the held-out countries given the gold sub-event type, and write them."""
    from .inter import ROLES, inter_text, model_file

    log = log or (lambda s: print(s, file=sys.stderr, flush=True))
    rows = read_inter_rows(data_path)
    held, dev = set(heldout_countries), set(dev_countries) - set(heldout_countries)
    rng = random.Random(seed)
    protests = [r for r in rows if r[2] not in held and EVENT_OF[r[1]] == "Protests"]
    train_rows = [r for r in rows if r[2] not in held and EVENT_OF[r[1]] != "Protests"]
    train_rows += rng.sample(protests, min(MAX_PROTEST_ROWS, len(protests)))
    test_rows = [r for r in rows if r[2] in held]
    log(f"interaction codes: train {len(train_rows)} rows, held-out {len(test_rows)}")
    out = Path(out_dir) if out_dir else model_dir()
    result: dict = {"heldout_countries": sorted(held), "dev_countries": sorted(dev), "n_train": len(train_rows),
                    "n_heldout": len(test_rows)}

    def fit_role(rs: list, k: int) -> LinearTextModel:
        texts, _ = training_texts([Row(r[0], "", r[1], r[2]) for r in rs], opts, seed)
        return fit([inter_text(t, r[1]) for t, r in zip(texts, rs)], [r[3 + k] for r in rs], opts, log)

    for k, role in enumerate(ROLES):
        temperature = 1.0
        dev_rows = [r for r in train_rows if r[2] in dev]
        if dev_rows:
            model = fit_role([r for r in train_rows if r[2] not in dev], k)
            temperature = fit_temperature(model, [inter_text(r[0], r[1]) for r in dev_rows],
                                          [r[3 + k] for r in dev_rows])
        model = fit_role(train_rows, k)
        model.temperature = temperature
        model.meta.update({"role": role, "trained_on": f"{len(train_rows)} ACLED notes"})
        model.save(out / model_file(role))
        if test_rows:
            best = model.proba([inter_text(r[0], r[1]) for r in test_rows]).argmax(axis=1)
            acc = float(np.mean([model.classes[i] == r[3 + k] for i, r in zip(best, test_rows)]))
            result[f"{role}_heldout_accuracy"] = round(acc, 4)
            log(f"  {role}: held-out accuracy {acc:.4f} given the gold sub-event type (temperature "
                f"{temperature:.3f})")
    (out / "metrics_inter.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result
