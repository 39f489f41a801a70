"""Scaling on one machine: worker processes (order, rejections), `extract --resume`, Parquet event shards,
and batched store writes (same rows, merges and alerts as one article per transaction). No timing here:
speed and memory are measured by bench/bench_pipeline.py, never in tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import make_article, make_event, make_place

from marsad.cli import build_parser, sample_corpus
from marsad.errors import Rejection
from marsad.models import Article
from marsad.pipeline import prepare_resume
from marsad.scale.shards import arrow_schema, from_row, is_event_shard, read_items, to_row
from marsad.store import Store

MARSAD = [sys.executable, "-m", "marsad.cli"]


def run(*args: str, env: dict | None = None, timeout: int = 600):
    return subprocess.run([*MARSAD, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


# -- no pipeline --------------------------------------------------------------------------------------------

def test_cli_knows_the_scale_options():
    a = build_parser().parse_args(["extract", "x.jsonl", "--workers", "2", "--resume", "-o", "out.jsonl"])
    assert (a.workers, a.resume, a.engine) == (2, True, "local")
    a = build_parser().parse_args(["ingest", "shards/", "--workers", "0", "--write-batch", "8", "--engine", "ray"])
    assert (a.workers, a.write_batch, a.engine) == (0, 8, "ray")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["extract", "--workers", "-1"])


def test_resume_without_output_is_a_usage_error():
    r = run("extract", "--resume", str(sample_corpus()))
    assert r.returncode == 2 and "E701" in r.stderr


def _line(aid: str, n: int) -> str:
    return json.dumps({"article_id": aid, "event_id": f"{aid}-{n}"}) + "\n"


def test_prepare_resume_drops_the_last_article_and_a_torn_line(tmp_path):
    f = tmp_path / "out.jsonl"
    f.write_text(_line("a", 0) + _line("a", 1) + _line("b", 0) + _line("c", 0) + _line("c", 1)
                 + '{"article_id": "c", "ev', encoding="utf-8")
    assert prepare_resume(f) == {"a", "b"}
    assert f.read_text(encoding="utf-8") == _line("a", 0) + _line("a", 1) + _line("b", 0)
    g = tmp_path / "empty.jsonl"
    g.write_text("", encoding="utf-8")
    assert prepare_resume(g) == set() and g.read_text() == ""


def _pairs():
    a = make_article("a1", published=date(2025, 6, 1), title="T", source="S")
    b = make_article("a2", text="Article a2: militants attacked a checkpoint near Aleppo.")
    return [(a, [make_event(a, 0, location=make_place()), make_event(a, 1, event_type="THREATEN")]), (b, [])]


def test_event_shard_rows_round_trip(tmp_path):
    pairs = _pairs()
    rows = [to_row(p) for p in pairs] + [to_row(Rejection("bad.jsonl:3", "E104", "invalid JSON"))]
    assert [from_row(r, "x") for r in rows] == [*pairs, Rejection("bad.jsonl:3", "E104", "invalid JSON")]
    shard = tmp_path / "shards" / "part-0.parquet"
    shard.parent.mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), shard)
    assert is_event_shard(shard)
    assert list(read_items([str(shard.parent)])) == [*pairs, Rejection("bad.jsonl:3", "E104", "invalid JSON")]


def test_a_row_whose_text_does_not_match_its_hash_is_rejected():
    row = to_row(_pairs()[0])
    row["text"] = row["text"] + " tampered"
    r = from_row(row, "s.parquet:1")
    assert isinstance(r, Rejection) and r.code == "E110"


def test_article_parquet_is_read_as_articles(tmp_path):
    f = tmp_path / "articles.parquet"
    pq.write_table(pa.table({"id": ["x1", "x2"], "text": ["Troops entered Kafr Nabl.", ""],
                             "published": [date(2025, 6, 1), None]}), f)
    assert not is_event_shard(f)
    got = list(read_items([str(f)]))
    assert isinstance(got[0], Article) and got[0].id == "x1" and got[0].published == date(2025, 6, 1)
    assert isinstance(got[1], Rejection) and got[1].code == "E103"


def test_unreadable_parquet_is_a_rejection(tmp_path):
    f = tmp_path / "broken.parquet"
    f.write_bytes(b"PAR1 not really")
    got = list(read_items([str(f)]))
    assert len(got) == 1 and isinstance(got[0], Rejection) and got[0].code == "E110"


def _dump(url: str) -> dict:
    """Every data table's rows, without the wall-clock columns."""
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in ("articles", "events", "event_actors", "event_places", "actors", "places", "clusters",
                      "event_clusters", "commitments", "alerts"):
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings().all()
            out[table] = sorted(json.dumps({k: v for k, v in r.items() if k not in ("ingested_at", "created_at", "first_ingested",
                                                                                   "updated_at")},
                                           sort_keys=True, default=str) for r in rows)
    engine.dispose()
    return out


def test_batched_writes_store_what_single_writes_store(tmp_path):
    from marsad.analyse.alerts import evaluate_in

    arts = [make_article(f"b{i}", text=f"Report {i}: troops shelled Kafr Nabl again, witnesses said.",
                         published=date(2025, 6, 1 + i % 3)) for i in range(6)]
    arts.append(arts[2].model_copy(update={"id": "dup"}))  # same content: stored once
    pairs = [(a, [make_event(a, 0, location=make_place())]) for a in arts]
    pairs[-1] = (arts[-1], [make_event(arts[-1], 0, location=make_place())])
    one, many = (f"sqlite:///{tmp_path / n}" for n in ("one.db", "many.db"))
    s1, s2 = Store(one), Store(many)
    from marsad.analyse.alerts import evaluate_article

    pks1 = []
    for a, evs in pairs:
        pk = s1.store_article(a, evs)
        if pk is not None:
            evaluate_article(s1, pk)
        pks1.append(pk)
    pks2 = s2.store_articles(pairs[:4], after_each=evaluate_in) + s2.store_articles(pairs[4:], after_each=evaluate_in)
    s1.close()
    s2.close()
    assert pks1 == pks2 and pks1[-1] is None
    assert _dump(one) == _dump(many)


# -- with the pipeline ----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_workers_keep_order_and_output_of_one_process(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "ok", "text": "Gunmen killed two people in Kano on Monday."}\nnot json\n', encoding="utf-8")
    args = [str(sample_corpus()), str(bad), str(sample_corpus())]
    r1 = run("extract", *args, "-o", str(tmp_path / "w1.jsonl"))
    r2 = run("extract", "--workers", "2", *args, "-o", str(tmp_path / "w2.jsonl"))
    assert r1.returncode == r2.returncode == 3, r2.stderr[-2000:]
    assert (tmp_path / "w1.jsonl").read_bytes() == (tmp_path / "w2.jsonl").read_bytes()
    rej = [json.loads(x) for x in r2.stderr.splitlines() if x.startswith("{")]
    assert [x["error"]["code"] for x in rej] == ["E104"]


@pytest.mark.slow
def test_extract_resume_finishes_a_stopped_run(tmp_path):
    out = tmp_path / "out.jsonl"
    assert run("extract", str(sample_corpus()), "-o", str(out)).returncode == 0
    full = out.read_bytes()
    lines = full.splitlines(keepends=True)
    first = json.loads(lines[0])["article_id"]
    n_first = sum(json.loads(x)["article_id"] == first for x in lines)
    out.write_bytes(b"".join(lines[:n_first + 1]) + lines[n_first + 1][:20])  # stopped mid-article, mid-line
    r = run("extract", "--resume", str(sample_corpus()), "-o", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert out.read_bytes() == full


@pytest.mark.slow
def test_ingest_with_workers_and_from_event_shards(tmp_path):
    env = {"MARSAD_DATA_DIR": str(tmp_path / "data")}
    direct = f"sqlite:///{tmp_path / 'direct.db'}"
    r = run("ingest", "--workers", "2", "--write-batch", "2", str(sample_corpus()), "--db", direct, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads(r.stderr.strip().splitlines()[-1])
    assert summary["stored"] == 3 and summary["events"] > 0
    again = json.loads(run("ingest", "--workers", "2", str(sample_corpus()), "--db", direct,
                           env=env).stderr.strip().splitlines()[-1])
    assert again["stored"] == 0 and again["already_present"] == 3  # skipped before parsing

    # event shards written from the extracted pairs load without re-extracting, to the same rows
    from marsad.config import get_settings
    from marsad.ingest.readers import read_inputs
    from marsad.pipeline import extract_events

    pairs = list(extract_events(read_inputs([str(sample_corpus())]), get_settings(), progress=False))
    shards = tmp_path / "shards"
    shards.mkdir()
    for n in range(0, len(pairs), 2):
        pq.write_table(pa.Table.from_pylist([to_row(p) for p in pairs[n:n + 2]], schema=arrow_schema()),
                       shards / f"part-{n}.parquet")
    loaded = f"sqlite:///{tmp_path / 'loaded.db'}"
    r = run("ingest", str(shards), "--db", loaded, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert _dump(loaded)["events"] == _dump(direct)["events"]
    assert _dump(loaded)["clusters"] == _dump(direct)["clusters"]
