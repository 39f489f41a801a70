"""The Ray engine on a local Ray instance (2 CPUs, no dashboard): Parquet event shards equal to the local
pipeline's output, and `marsad ingest` loading them without re-extracting. Skipped when Ray is missing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'marsad[ray]')")
pytest.importorskip("ray.data")

from marsad.cli import main, sample_corpus
from marsad.config import get_settings
from marsad.errors import Rejection
from marsad.ingest.readers import read_inputs
from marsad.pipeline import extract_events, ingest
from marsad.scale.ray_engine import extract_to_shards, extracted_stream
from marsad.scale.shards import read_items
from marsad.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def seeds_jsonl(tmp_path_factory) -> Path:
    """The sample articles as JSONL, twice over in two shards, plus a broken line."""
    d = tmp_path_factory.mktemp("in")
    recs = [{"id": a.id, "text": a.text, "title": a.title, "source": a.source, "url": a.url,
             "published": a.published.isoformat() if a.published else None}
            for a in read_inputs([str(sample_corpus())])]
    (d / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs) + "not json\n", encoding="utf-8")
    (d / "b.jsonl").write_text("".join(json.dumps({**r, "id": r["id"] + "-b", "text": r["text"] + "\nReported again."}) + "\n" for r in recs),
                               encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def local_events(seeds_jsonl):
    out = list(extract_events(read_inputs([str(seeds_jsonl)]), get_settings(), progress=False))
    return [(a.id, [e.to_json() for e in evs]) for a, evs in (x for x in out if not isinstance(x, Rejection))]


def test_ray_shards_hold_the_local_pipelines_events(local_ray, seeds_jsonl, local_events, tmp_path):
    summary = extract_to_shards([str(seeds_jsonl)], str(tmp_path / "shards"), get_settings(), workers=2)
    assert summary["articles"] == 6 and summary["rejected"] == 1 and summary["shards"] >= 1
    assert summary["rejections"][0].code == "E104"
    got = [x for x in read_items([str(tmp_path / "shards")]) if not isinstance(x, Rejection)]
    assert sorted((a.id, [e.to_json() for e in evs]) for a, evs in got) == sorted(local_events)
    # input order is kept within the run
    assert [a.id for a, _ in got] == [i for i, _ in local_events]


def test_ingest_loads_ray_shards_without_extracting(local_ray, seeds_jsonl, tmp_path, monkeypatch, capsys):
    extract_to_shards([str(seeds_jsonl)], str(tmp_path / "shards"), get_settings(), workers=2)
    import marsad.pipeline

    def no_parse(*a, **k):
        raise AssertionError("event shards must not be parsed again")

    monkeypatch.setattr(marsad.pipeline, "load_pipeline", no_parse)
    db = f"sqlite:///{tmp_path / 'm.db'}"
    assert main(["ingest", str(tmp_path / "shards"), "--db", db]) == 3  # the broken line is reported again
    summary = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert summary["stored"] == 6 and summary["rejected"] == 1 and summary["events"] > 0


def test_ingest_engine_ray_streams_into_the_store_and_skips_stored(local_ray, seeds_jsonl, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    store = Store(url)
    try:
        stream = extracted_stream([str(seeds_jsonl)], get_settings(), workers=2, skip_stored=url)
        assert ingest(store, [], get_settings(), extracted=stream) == (6, 0, 1)
        again = extracted_stream([str(seeds_jsonl)], get_settings(), workers=2, skip_stored=url)
        assert ingest(store, [], get_settings(), extracted=again)[:2] == (0, 0) and again.skipped == 6
    finally:
        store.close()
