"""The REST API against its own OpenAPI spec: the `schemathesis` CLI, every check, on a real `marsad serve`.

A `marsad serve` subprocess (loopback, port 0) over a temporary SQLite store holding the bundled sample corpus
(posted through POST /api/articles, so the server loads the spaCy pipeline once), with an API token; then
`schemathesis run --checks all` with a fixed seed and a bounded number of examples must report no failure:
no 5xx, only documented status codes, the error body everywhere, schema-valid requests accepted and
schema-violating ones rejected.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import stop_process

from marsad.cli import sample_corpus
from marsad.ingest.readers import read_inputs
from marsad.models import Article

pytest.importorskip("schemathesis")

TOKEN = "schemathesis-test-token"
SEED = 20240305
MAX_EXAMPLES = 10  # per operation and phase: about 30 s in all, the server start and sample ingest included
SERVE = "import sys; from marsad.cli import main; sys.exit(main(sys.argv[1:]))"


def _server_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARSAD_")}
    env.update(MARSAD_API_TOKEN=TOKEN, MARSAD_DATA_DIR=str(tmp), NO_PROXY="127.0.0.1,localhost")
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(URL, working folder) of a `marsad serve` over a store holding the sample corpus."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    db_url = f"sqlite:///{tmp / 'marsad.db'}"
    log_path = tmp / "serve.log"
    # uvicorn logs requests to stdout: into a file, never a pipe that fills up unread and stalls the server
    log = open(log_path, "w")  # noqa: SIM115 (open for the life of the server)
    proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--db", db_url, "--host", "127.0.0.1",
                             "--port", "0"], stdout=log, stderr=subprocess.STDOUT, env=_server_env(tmp), cwd=tmp)
    try:
        line = _announced(proc, log_path)
        url = line.split(" at ", 1)[1].split()[0].rstrip("/")
        records = [{"id": a.id, "text": a.text, "title": a.title, "source": a.source,
                    "published": a.published.isoformat() if a.published else None}
                   for a in read_inputs([str(sample_corpus())]) if isinstance(a, Article)]
        assert records, "no sample articles"
        with httpx.Client(base_url=url, timeout=120, trust_env=False) as client:
            r = client.post("/api/articles", json=records, headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 200, r.text
            assert r.json()["stored"] == len(records), r.text
            assert client.get("/api/events").json()["total"] > 0
        yield url, tmp
    finally:
        try:
            stop_process(proc)
        finally:
            log.close()


def _announced(proc: subprocess.Popen, log_path: Path, wait: float = 60) -> str:
    """The line "marsad is serving N events at URL" once the server has written it to its log."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and proc.poll() is None:
        for line in log_path.read_text(errors="replace").splitlines():
            if "is serving" in line:
                return line
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"marsad serve did not start: {log_path.read_text(errors='replace')[-3000:]}")


def _schemathesis() -> list[str]:
    script = Path(sys.executable).with_name("schemathesis")
    return [str(script)] if script.exists() else [sys.executable, "-m", "schemathesis.cli"]


@pytest.mark.slow
def test_openapi_spec_holds_under_schemathesis(served: tuple[str, Path]) -> None:
    url, tmp = served
    spec = httpx.get(f"{url}/openapi.json", timeout=10, trust_env=False).json()
    assert spec["paths"], "an empty spec tests nothing"
    for path, methods in spec["paths"].items():  # every route declares its error responses
        for method, op in methods.items():
            assert {"413", "422", "503"} <= set(op["responses"]), (method, path)
            assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"}
    cmd = [*_schemathesis(), "run", f"{url}/openapi.json", "--checks", "all", "--seed", str(SEED),
           "--max-examples", str(MAX_EXAMPLES), "--header", f"Authorization: Bearer {TOKEN}",
           "--generation-database", "none", "--workers", "1", "--request-timeout", "30", "--no-color"]
    run = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300, cwd=tmp,
                         env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"})
    summary = run.stdout[-6000:]
    assert run.returncode == 0, f"schemathesis failed (exit {run.returncode}):\n{summary}\n{run.stderr[-3000:]}"
    operations = sum(len(methods) for methods in spec["paths"].values())
    assert f"Tested: {operations}" in run.stdout, summary  # every operation was exercised
    assert " passed" in run.stdout and "Failures:" not in run.stdout, summary
