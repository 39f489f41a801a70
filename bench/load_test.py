"""Load test: N concurrent HTTP clients (default 100) for a fixed time (default 60 s) against a real
`marsad serve` on 127.0.0.1, mixing the main read queries; reports requests, errors, req/s and latency
percentiles, and exits 1 on any error.

    python bench/load_test.py --db sqlite:////tmp/load/marsad.db --sample --bulk 10000
    python bench/load_test.py --db postgresql+psycopg://postgres@127.0.0.1/marsad_load --sample --bulk 10000
    python bench/load_test.py --url http://127.0.0.1:8000/        # a server that is already running

With --db the store is filled first if asked (--sample: the bundled sample corpus through the pipeline;
--bulk N: N synthetic events through bench_api's bulk loader), then `marsad serve --port 0` is started on it
and stopped at the end. Each client is an asyncio task with its own keep-alive connection (httpx), sending
one request after another: the events list (first page and filtered by country, type, dates, actor, bbox,
words), one event, an actor page, timeseries, network and alerts. An error is any status other than 200,
a timeout or a broken connection.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

import httpx

SERVE = "import sys; from marsad.cli import main; sys.exit(main(sys.argv[1:]))"


# -- the store and the server -------------------------------------------------------------------------


def fill(db: str, sample: bool, bulk: int) -> None:
    from marsad.config import get_settings
    from marsad.store import open_store

    store = open_store(db)
    try:
        have = store.counts()["events"]
    finally:
        store.close()
    if sample:
        from marsad.cli import sample_corpus
        from marsad.ingest.readers import read_inputs
        from marsad.pipeline import ingest

        store = open_store(db)
        try:
            stored, present, _ = ingest(store, read_inputs([str(sample_corpus())]), get_settings())
        finally:
            store.close()
        print(f"sample corpus: {stored} articles stored, {present} already present", file=sys.stderr)
    if bulk and have < bulk:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_api import bulk_load

        rate = bulk_load(db, bulk)
        print(f"bulk: {bulk:,} synthetic events loaded ({rate:,.0f}/s)", file=sys.stderr)


def serve(db: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`marsad serve --port 0` on `db`; (process, URL). Its output (uvicorn writes the access log to stdout)
    goes to `log_path`, never to a pipe that would fill up unread and stall the server."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--db", db, "--host", "127.0.0.1",
                                 "--port", "0"], stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        for line in log_path.read_text(errors="replace").splitlines():
            if "is serving" in line:
                print(line.strip(), file=sys.stderr)
                return proc, line.split(" at ", 1)[1].split()[0]
        time.sleep(0.2)
    proc.kill()
    sys.exit(f"marsad serve did not start:\n{log_path.read_text(errors='replace')[-3000:]}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- the request mix ----------------------------------------------------------------------------------


def discover(url: str) -> dict:
    """Real ids and values to ask for: events, actors with events, countries, a date range."""
    with httpx.Client(base_url=url, timeout=60, trust_env=False) as c:
        events = c.get("/api/events", params={"limit": 1000}).raise_for_status().json()["items"]
        actors = c.get("/api/actors", params={"limit": 1000}).raise_for_status().json()["items"]
        places = c.get("/api/places", params={"limit": 200}).raise_for_status().json()["items"]
    dates = sorted(e["date"][:10] for e in events if e.get("date"))
    return {
        "events": [e["event_id"] for e in events] or ["none"],
        "actors": [a["key"] for a in actors if a.get("events")] or [a["key"] for a in actors][:50] or ["none"],
        "countries": sorted({p["country"] for p in places if p.get("country")}) or ["IRQ"],
        "since": dates[0] if dates else "2024-01-01",
        "until": dates[-1] if dates else "2024-12-31",
    }


TYPES = ("ASSAULT", "ACCUSE", "THREATEN", "PROTEST", "SUPPORT", "CONSULT", "COERCE")
BOXES = ("35,32,37,37", "43,29,48,37", "30,25,60,40", "44,33,45,34")
WORDS = ("strike", "killed", "protest", "support", "loyalty")
FAMILIES = ("conflict", "cooperation", "material_conflict", "verbal_conflict")


def _month(d: str) -> tuple[str, str]:
    return d[:8] + "01", d[:8] + "28"


def requests_mix(ids: dict) -> list[tuple[str, int, object]]:
    """(name, weight, rng -> (path, params)) of the query mix."""
    def pick(key):
        return lambda rng: rng.choice(ids[key])

    country, actor, event = pick("countries"), pick("actors"), pick("events")
    return [
        ("events", 10, lambda rng: ("/api/events", {"limit": rng.choice((20, 50, 100))})),
        ("events?country", 6, lambda rng: ("/api/events", {"country": country(rng), "limit": 100})),
        ("events?type+dates", 6, lambda rng: ("/api/events", {"event_type": rng.choice(TYPES),
                                                             "since": ids["since"], "until": ids["until"]})),
        ("events?month", 4, lambda rng: ("/api/events", dict(zip(("since", "until"), _month(ids["until"]))))),
        ("events?actor", 6, lambda rng: ("/api/events", {"actor": actor(rng)})),
        ("events?bbox", 4, lambda rng: ("/api/events", {"bbox": rng.choice(BOXES)})),
        ("events?q", 2, lambda rng: ("/api/events", {"q": rng.choice(WORDS)})),
        ("event", 14, lambda rng: ("/api/events/" + quote(event(rng), safe=""), {})),
        ("actor", 10, lambda rng: ("/api/actors/" + quote(actor(rng), safe=""), {})),
        ("actors?q", 3, lambda rng: ("/api/actors", {"q": rng.choice(("iran", "hezbollah", "army", "us"))})),
        ("timeseries", 8, lambda rng: ("/api/timeseries", {"country": country(rng), "by": rng.choice(
            ("day", "week", "month"))})),
        ("timeseries?family", 3, lambda rng: ("/api/timeseries", {"family": rng.choice(FAMILIES), "by": "week"})),
        ("escalation", 3, lambda rng: ("/api/escalation", {"country": country(rng)})),
        ("network", 6, lambda rng: ("/api/network", {"country": country(rng), "limit": 300})),
        ("network?family", 3, lambda rng: ("/api/network", {"family": rng.choice(FAMILIES), "limit": 300})),
        ("alerts", 8, lambda rng: ("/api/alerts", {"limit": 50})),
    ]


# -- the clients --------------------------------------------------------------------------------------


async def client(n: int, url: str, mix, deadline: float, timeout: float, token: str | None,
                 results: list, errors: Counter, samples: dict) -> None:
    rng = random.Random(n)
    names, weights, makers = zip(*[(m[0], m[1], m[2]) for m in mix])
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits, headers=headers,
                                 trust_env=False) as c:
        while time.perf_counter() < deadline:
            i = rng.choices(range(len(names)), weights)[0]
            path, params = makers[i](rng)
            started = time.perf_counter()
            try:
                r = await c.get(path, params=params)
                await r.aread()
                status = r.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            took = time.perf_counter() - started
            results.append((names[i], took))
            if status != 200:
                errors[f"{names[i]}: {status}"] += 1
                samples.setdefault(f"{names[i]}: {status}", f"{path}?{httpx.QueryParams(params)}")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


async def load(url: str, clients: int, duration: float, timeout: float, token: str | None) -> dict:
    mix = requests_mix(discover(url))
    results: list[tuple[str, float]] = []
    errors: Counter = Counter()
    samples: dict[str, str] = {}
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(*(client(n, url, mix, deadline, timeout, token, results, errors, samples)
                           for n in range(clients)))
    elapsed = time.perf_counter() - started
    by_name: dict[str, list[float]] = defaultdict(list)
    for name, took in results:
        by_name[name].append(took)
    every = [t for _, t in results]
    return {
        "url": url, "clients": clients, "duration_s": round(elapsed, 1), "requests": len(results),
        "errors": sum(errors.values()), "req_per_s": round(len(results) / elapsed, 1),
        "p50_ms": ms(pct(every, 50)), "p95_ms": ms(pct(every, 95)), "p99_ms": ms(pct(every, 99)),
        "max_ms": ms(max(every)) if every else None,
        "per_query": {name: {"requests": len(v), "p50_ms": ms(pct(v, 50)), "p95_ms": ms(pct(v, 95))}
                      for name, v in sorted(by_name.items())},
        "error_kinds": dict(errors), "error_samples": samples,
    }


def report(result: dict) -> None:
    print(f"\n{result['clients']} clients, {result['duration_s']} s against {result['url']}")
    print(f"requests {result['requests']:,}   errors {result['errors']:,}   {result['req_per_s']:,} req/s   "
          f"p50 {result['p50_ms']} ms   p95 {result['p95_ms']} ms   p99 {result['p99_ms']} ms   "
          f"max {result['max_ms']} ms")
    print(f"CPU cores busy: client {result.get('client_cores')}, server {result.get('server_cores', '?')} "
          f"(of {os.cpu_count()})")
    print(f"\n{'query':<20} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for name, q in result["per_query"].items():
        print(f"{name:<20} {q['requests']:>9,} {q['p50_ms']:>8} {q['p95_ms']:>8}")
    for kind, n in result["error_kinds"].items():
        print(f"ERROR {kind} x{n}  e.g. {result['error_samples'][kind]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", help="SQLAlchemy URL of the store to serve (a server is started on it)")
    where.add_argument("--url", help="base URL of a server that is already running")
    ap.add_argument("--sample", action="store_true", help="ingest the bundled sample corpus first (--db)")
    ap.add_argument("--bulk", type=int, default=0, help="load this many synthetic events first (--db)")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds")
    ap.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    ap.add_argument("--token", default=os.environ.get("MARSAD_READ_TOKEN") or os.environ.get("MARSAD_API_TOKEN"),
                    help="bearer token, if the server needs one for reads")
    ap.add_argument("--json", type=Path, help="also write the result here")
    args = ap.parse_args()
    proc = None
    if args.db:
        fill(args.db, args.sample, args.bulk)
        log = Path(tempfile.mkdtemp(prefix="marsad-load-")) / "serve.log"
        proc, url = serve(args.db, log)
    else:
        url = args.url
    server_cpu = cpu_seconds(proc.pid) if proc is not None else None
    client_cpu = time.process_time()
    try:
        result = asyncio.run(load(url, args.clients, args.duration, args.timeout, args.token))
        # how busy each side was: CPU seconds per wall second (1.0 = one core saturated)
        result["client_cores"] = round((time.process_time() - client_cpu) / result["duration_s"], 2)
        if server_cpu is not None and (after := cpu_seconds(proc.pid)) is not None:
            result["server_cores"] = round((after - server_cpu) / result["duration_s"], 2)
    finally:
        if proc is not None:
            stop(proc)
    if args.db:
        result["store"] = args.db.split(":", 1)[0]
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
