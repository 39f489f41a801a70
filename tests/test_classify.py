"""The ACLED classifier: the shipped model on clear cases, the `classify` CLI contract, train -> load."""
from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from marsad.classify import classify, load_model
from marsad.classify.acled import model_dir
from marsad.classify.model import LinearTextModel
from marsad.classify.taxonomy import EVENT_OF, SUB_EVENT_TYPES
from marsad.classify.text import normalize

MARSAD = [sys.executable, "-m", "marsad.cli"]

CLEAR = [
    ("Military jets carried out an air strike on a rebel base, killing six fighters.", "Air/drone strike"),
    ("Hundreds of teachers held a peaceful protest outside parliament demanding higher salaries.",
     "Peaceful protest"),
    ("Soldiers clashed with militants near the border town; several fighters were killed in the exchange "
     "of fire.", "Armed clash"),
    ("Gunmen abducted three villagers from their homes and took them to an unknown location.",
     "Abduction/forced disappearance"),
    ("Police arrested the opposition leader at his home in the capital.", "Arrests"),
    ("A roadside IED exploded as an army convoy passed, wounding two soldiers.",
     "Remote explosive/landmine/IED"),
    ("A suicide bomber blew himself up at a crowded market, killing twelve people.", "Suicide bomb"),
    ("Protesters threw stones at police and set tyres on fire, blocking the main road.",
     "Violent demonstration"),
]


# ---------------------------------------------------------------- shipped model

@pytest.mark.parametrize("text,sub", CLEAR)
def test_shipped_model_clear_cases(text, sub):
    p = classify([text])[0]
    assert p.sub_event_type == sub, (text, p.sub_event_type, p.score)
    assert p.event_type == EVENT_OF[sub]


def test_predictions_are_consistent_and_scored():
    texts = [t for t, _ in CLEAR] + ["", "the", "On 3 May 2021, 2 fatalities. [size=no report]"]
    preds = classify(texts)
    assert len(preds) == len(texts)
    for p in preds:
        assert p.sub_event_type in SUB_EVENT_TYPES and p.event_type == EVENT_OF[p.sub_event_type]
        assert 0.0 <= p.score <= 1.0
        assert abs(sum(p.probabilities.values()) - 1.0) < 1e-3
        assert p.score == pytest.approx(max(p.probabilities.values()), abs=1e-4)
        assert abs(sum(p.event_probabilities().values()) - 1.0) < 1e-3
    assert classify([]) == []


def test_shipped_model_is_plain_arrays_small_and_cached():
    path = model_dir() / "acled_linear.npz"
    assert path.stat().st_size < 15e6
    with np.load(path, allow_pickle=False) as z:        # no pickled objects inside
        assert "coef_int8" in z.files and z["coef_int8"].dtype == np.int8
    t0 = time.perf_counter()
    LinearTextModel.load(path)
    assert time.perf_counter() - t0 < 3.0                # ~0.3 s here; generous for slow CI machines
    assert load_model() is load_model()
    assert (model_dir() / "README.md").read_text().count("Raleigh") >= 1


def test_normalize_strips_acled_boilerplate():
    assert normalize("On 5 May 2023, police arrested 12 men. [size=no report] 2 fatalities.") == \
        "police arrested 0 men."
    assert normalize("Looting: Around 4 May 2020 (as reported), men looted a shop.") == \
        "Looting: men looted a shop."
    assert normalize("[size=no report] x", tags=True).startswith("[size=no report]")


# ---------------------------------------------------------------- CLI contract

def run(args, stdin=""):
    return subprocess.run(MARSAD + args, input=stdin, capture_output=True, text=True, timeout=120)


def test_cli_classify_ok_in_order():
    lines = [json.dumps({"id": f"a{i}", "text": t}) for i, (t, _) in enumerate(CLEAR)]
    lines.insert(3, "")                                  # blank lines are skipped silently
    r = run(["classify", "--taxonomy", "acled"], "\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["id"] for o in out] == [f"a{i}" for i in range(len(CLEAR))]
    for o, (_, sub) in zip(out, CLEAR):
        assert set(o) == {"id", "event_type", "sub_event_type", "score"}
        assert o["sub_event_type"] == sub and o["event_type"] == EVENT_OF[sub]
        assert 0 <= o["score"] <= 1


def test_cli_classify_bad_lines_rejected_rest_processed(tmp_path):
    lines = ['{"id": "1", "text": "Police arrested the opposition leader."}',
             '{"id": "2", "text": ',                                     # invalid JSON
             '{"text": "no id here"}',                                   # missing id
             '{"id": "4"}',                                              # missing text
             '["not", "an", "object"]',
             '{"id": 6, "text": "Gunmen abducted three villagers."}']
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for args, name in ((["classify", "--taxonomy", "acled", str(f)], str(f)),
                       (["classify", "--taxonomy", "acled", "-"], "<stdin>")):
        r = run(args, f.read_text() if name == "<stdin>" else "")
        assert r.returncode == 3
        assert "Traceback" not in r.stderr
        # ids come back as strings, as extract's article_id does
        assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == ["1", "6"]
        errs = [json.loads(x) for x in r.stderr.splitlines()]
        assert [(e["input"], e["error"]["code"]) for e in errs] == [
            (f"{name}:2", "E104"), (f"{name}:3", "E105"), (f"{name}:4", "E105"), (f"{name}:5", "E105")]
        assert all(e["error"]["message"] for e in errs)


def test_cli_classify_missing_file_and_usage(tmp_path):
    r = run(["classify", "--taxonomy", "acled", str(tmp_path / "nope.jsonl")])
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert json.loads(r.stderr.splitlines()[0])["error"]["code"] == "E101"
    r = run(["classify", "--taxonomy", "plover"])
    assert r.returncode == 2


# ---------------------------------------------------------------- training round trip

TEMPLATES = {
    "Peaceful protest": "On {d} May 2021, {n} {who} staged a peaceful protest in {place} demanding {what}. "
                        "[size=no report]",
    "Armed clash": "On {d} May 2021, {armed} clashed with soldiers near {place}. {n} fatalities.",
    "Air/drone strike": "On {d} May 2021, military aircraft bombed positions of {armed} in {place}.",
    "Arrests": "On {d} May 2021, police arrested {n} {who} in {place} over {what}.",
    "Abduction/forced disappearance": "On {d} May 2021, {armed} abducted {n} {who} near {place}.",
    "Remote explosive/landmine/IED": "On {d} May 2021, an IED planted by {armed} exploded near {place}.",
}
FILL = {"who": ["teachers", "students", "farmers", "traders", "nurses"],
        "what": ["higher pay", "water supply", "fuel prices", "land rights"],
        "armed": ["rebels", "militants", "an armed group", "insurgents"],
        "place": ["Alpha town", "Beta village", "Gamma city", "Delta district"]}


def write_synthetic(path: Path, n_per_class: int = 40) -> None:
    rng = random.Random(1)
    countries = ["Aland", "Bland", "Cland", "Devland", "Testland"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["event_type", "sub_event_type", "country", "notes", "fatalities"])
        w.writeheader()
        for sub, tpl in TEMPLATES.items():
            for i in range(n_per_class):
                text = tpl.format(d=rng.randint(1, 28), n=rng.randint(2, 90),
                                  **{k: rng.choice(v) for k, v in FILL.items()})
                w.writerow({"event_type": EVENT_OF[sub], "sub_event_type": sub, "country": countries[i % 5],
                            "notes": text, "fatalities": 0})


def test_train_then_load_round_trip(tmp_path):
    pytest.importorskip("sklearn")
    from marsad.classify.train import train

    data = tmp_path / "tiny.csv"
    write_synthetic(data)
    m = train(data, tmp_path / "model", heldout_countries=["Testland"], dev_countries=["Devland"], seed=3,
              log=lambda s: None)
    assert m["heldout"]["n"] == 48 and m["dev"]["n"] == 48
    assert m["heldout"]["sub_event_type_accuracy"] >= 0.9
    assert set(m["heldout"]["sub_event_type_per_class"]) >= set(TEMPLATES)
    model_file = tmp_path / "model" / "acled_linear.npz"
    assert json.loads((tmp_path / "model" / "metrics.json").read_text())["heldout"]["n"] == 48
    preds = classify(["Police arrested 5 nurses in Gamma city over land rights.",
                      "Military aircraft bombed positions of rebels in Beta village."], model_path=model_file)
    assert [p.sub_event_type for p in preds] == ["Arrests", "Air/drone strike"]
    assert set(load_model(str(model_file)).classes) == set(TEMPLATES)


def test_numpy_inference_matches_sklearn(tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    from marsad.classify.text import char_grams, prepare, word_grams
    from marsad.classify.train import from_sklearn

    data = tmp_path / "tiny.csv"
    write_synthetic(data, 15)
    rows = list(csv.DictReader(open(data, encoding="utf-8")))
    texts, labels = [r["notes"] for r in rows], [r["sub_event_type"] for r in rows]
    vecs = {"word": TfidfVectorizer(analyzer=word_grams, sublinear_tf=True),
            "char": TfidfVectorizer(analyzer=char_grams, sublinear_tf=True)}
    prepared = [prepare(t) for t in texts]
    from scipy.sparse import hstack
    X = hstack([v.fit_transform(prepared) for v in vecs.values()]).tocsr()
    svm = LinearSVC().fit(X, labels)
    model = from_sklearn(vecs, svm, {"tags": False}, quantized=False)
    probe = texts[:10] + ["Unseen words only: zyx qwv.", "Police bombed students in Alpha town twice twice."]
    Xp = hstack([v.transform([prepare(t) for t in probe]) for v in vecs.values()]).tocsr()
    assert np.allclose(model.decision(probe), svm.decision_function(Xp), atol=1e-4)
    model.save(tmp_path / "m.npz")                       # saved int8-rounded: same decisions
    loaded = LinearTextModel.load(tmp_path / "m.npz")
    assert (loaded.decision(probe).argmax(1) == svm.decision_function(Xp).argmax(1)).all()


def test_cli_train(tmp_path):
    pytest.importorskip("sklearn")
    data = tmp_path / "tiny.csv"
    write_synthetic(data, 25)
    r = run(["train", "acled", "--data", str(data), "--out", str(tmp_path / "m"),
             "--heldout-countries", "Testland", "--dev-countries", "Devland"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["heldout"]["n"] == 30
    assert (tmp_path / "m" / "acled_linear.npz").is_file()
    r = run(["train", "acled", "--data", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m2")])
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert json.loads(r.stderr.splitlines()[-1])["error"]["code"] == "E101"


@pytest.mark.parametrize("text, sub, actor1", [
    ("Unidentified gunmen shot dead a shopkeeper in the market.", "Attack", 3),
    ("Military forces clashed with rebel fighters near the border.", "Armed clash", 1),
    ("Suspected Mungiki members hacked a man to death.", "Attack", 3),
])
def test_interaction_code_models_read_the_perpetrators_category(text, sub, actor1):
    from marsad.classify.inter import predict_inter

    (code, p), = predict_inter("actor1", [text], [sub])
    assert code == actor1 and 0 < p <= 1
    (code2, _), = predict_inter("actor2", ["Police arrested three protesters in the capital."], ["Arrests"])
    assert code2 in (5, 6, 7)
