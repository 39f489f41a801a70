"""Throughput and peak memory of the pipeline: bare spaCy vs marsad's whole extraction on the same texts
and the same number of processes, the Ray engine vs the multiprocess path, peak RSS against input size,
and bulk ingest into SQLite and PostgreSQL.

Corpus: ACLED notes (/work/shared/data/acled, or --acled) concatenated by date and country into
article-sized texts, plus the sample articles; built at run time in a temporary directory (ACLED data is
never written into the repository). Each measurement runs in a fresh process, so peak RSS is its own.

    python bench/bench_pipeline.py [--articles 2000] [--out docs/benchmarks.md] [--skip ray,ingest,memory]
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ACLED = Path(os.environ.get("MARSAD_ACLED", "/work/shared/data/acled/acled_train.csv.gz"))
PG_ADMIN = os.environ.get("MARSAD_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BEGIN, END = "<!-- bench_pipeline:begin -->", "<!-- bench_pipeline:end -->"


# -- corpora -------------------------------------------------------------------------------------------------

def build_corpus(acled: Path, out: Path, n: int, max_words: int = 450) -> dict:
    """`n` articles: the notes of one country and day, in order, up to ~max_words words (days with at least
    3 notes, 2018 on, evenly spread), then the sample articles. One JSONL record per article."""
    from marsad.cli import sample_corpus
    from marsad.ingest.readers import read_inputs

    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    with gzip.open(acled, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["notes"] and row["event_date"] >= "2018":
                groups[(row["event_date"], row["country"])].append(row["notes"].strip())
    keys = sorted(k for k, v in groups.items() if len(v) >= 3)
    keys = keys[::max(1, len(keys) // n)][:n]
    with out.open("w", encoding="utf-8") as fh:
        for d, country in keys:
            parts, words = [], 0
            for note in groups[(d, country)]:
                parts.append(note)
                words += len(note.split())
                if words >= max_words:
                    break
            text = f"{country}, {d}\n\n" + "\n\n".join(parts)
            fh.write(json.dumps({"id": f"acled-{country}-{d}", "published": d, "text": text}) + "\n")
        for a in read_inputs([str(sample_corpus())]):
            fh.write(json.dumps({"id": a.id, "text": a.text, "published": a.published and a.published.isoformat()})
                     + "\n")
    texts = [json.loads(x)["text"] for x in out.open(encoding="utf-8")]
    return {"articles": len(texts), "words": sum(len(t.split()) for t in texts)}


def build_notes(acled: Path, out: Path, n: int) -> None:
    """`n` short articles: single ACLED notes (the memory test: many articles, little text each)."""
    with gzip.open(acled, "rt", encoding="utf-8") as fh, out.open("w", encoding="utf-8") as w:
        for i, row in enumerate(r for r in csv.DictReader(fh) if r["notes"] and r["event_date"] >= "2015"):
            if i >= n:
                break
            w.write(json.dumps({"id": f"note-{i}", "published": row["event_date"], "text": row["notes"]}) + "\n")


# -- measurements (each in its own process) ------------------------------------------------------------------

def _rss_mb(who) -> int:
    return round(resource.getrusage(who).ru_maxrss / 1024)


def measure(kind: str, corpus: str, procs: int, batch: int) -> dict:
    from marsad.config import get_settings

    settings = get_settings().model_copy(update={"batch_size": batch})
    recs = [json.loads(x) for x in open(corpus, encoding="utf-8")]
    texts = [r["text"] for r in recs]
    words = sum(len(t.split()) for t in texts)
    events = 0
    if kind == "spacy":
        import spacy

        nlp = spacy.load(settings.spacy_model)
        list(nlp.pipe(texts[:8]))
        t0 = time.perf_counter()
        n = sum(1 for _ in nlp.pipe(texts, batch_size=batch, n_process=procs))
    elif kind == "marsad":
        from marsad.ingest.readers import read_inputs
        from marsad.pipeline import extract_events

        if procs == 1:  # warm up what a worker warms up (pipeline, classifiers, gazetteer)
            from itertools import islice

            list(extract_events(islice(read_inputs([corpus]), 32), settings, progress=False))
        t0 = time.perf_counter()
        out = extract_events(read_inputs([corpus]), settings, progress=False, workers=procs)
        n = 0
        for x in out:
            n += 1
            events += len(x[1]) if isinstance(x, tuple) else 0
    elif kind == "ray":
        import ray

        from marsad.scale.ray_engine import extract_to_shards

        ray.init(num_cpus=procs, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            summary = extract_to_shards([corpus], str(Path(d) / "shards"), settings, workers=procs)
            n, events = summary["articles"] + summary["rejected"], summary["events"]
        ray.shutdown()
    dt = time.perf_counter() - t0
    rss = max(_rss_mb(resource.RUSAGE_SELF), _rss_mb(resource.RUSAGE_CHILDREN))
    return {"kind": kind, "procs": procs, "articles": n, "words": words, "seconds": round(dt, 1),
            "articles_per_s": round(n / dt, 2), "words_per_s": round(words / dt),
            "parent_rss_mb": _rss_mb(resource.RUSAGE_SELF), "worker_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN),
            "peak_rss_mb": rss, "events": events}


def measure_ingest(url: str, n: int, write_batch: int) -> dict:
    """Ingest `n` short synthetic articles, one event each (actor, place, date), into `url`: the store's
    write path (dedupe fingerprint, merge, alerts), no parsing."""
    import random

    from marsad.config import get_settings
    from marsad.models import Actor, Article, Event, Evidence, Place
    from marsad.pipeline import ingest
    from marsad.store import open_store

    rng = random.Random(8)
    vocab = ["troops", "shelled", "village", "district", "protest", "police", "clashed", "militants", "convoy",
             "market", "checkpoint", "killed", "wounded", "civilians", "airstrike", "drone", "rebels", "army",
             "students", "workers", "road", "bridge", "camp", "border", "night", "morning", "residents", "fled",
             "attack", "raid", "arrested", "detained", "fighters", "town", "strike", "rally", "demanded",
             "officials", "reported", "local", "sources", "group", "armed", "unknown", "gunmen", "injured"]
    vocab += [f"w{i}" for i in range(3000)]  # words unique enough that texts are not near-duplicates

    def pairs():
        for i in range(n):
            name = f"Place{i % 4000}"
            a = f"Group {i % 700}"
            day = date(2019 + i % 6, 1 + i % 12, 1 + (i // 12) % 28)
            words = " ".join(rng.choice(vocab) for _ in range(45))
            text = f"{a} attacked positions near {name} on {day.isoformat()}. {words}."
            art = Article(id=f"syn-{i}", text=text, published=day, language="en")
            ev = Event(event_id=f"ev-{i}", article_id=art.id, event_type="ASSAULT", mode="aerial",
                       actor=Actor(name=a, text=a, start=0, end=len(a)),
                       location=Place(name=name, text=name, lat=-30 + (i % 4000) * 0.015,
                                      lon=-20 + (i % 4000) * 0.02, country=["SYR", "NGA", "COD", "UKR", "MEX"][i % 5]),
                       date=day.isoformat(), date_precision=1, fatalities=i % 7,
                       evidence=Evidence(text=text[:40], start=0, end=40), confidence=0.7)
            yield art, [ev]

    store = open_store(url)
    t0 = time.perf_counter()
    stored, _, _ = ingest(store, [], get_settings(), extracted=pairs(), write_batch=write_batch)
    dt = time.perf_counter() - t0
    counts = store.counts()
    store.close()
    return {"backend": url.split(":")[0].split("+")[0], "articles": n, "write_batch": write_batch,
            "stored": stored, "seconds": round(dt, 1), "articles_per_s": round(stored / dt, 1),
            "events": counts["events"], "peak_rss_mb": _rss_mb(resource.RUSAGE_SELF)}


# -- driver ----------------------------------------------------------------------------------------------------

def child(*args: str) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{args}: {r.stderr[-3000:]}")
    row = json.loads(r.stdout.strip().splitlines()[-1])
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def _pg_database(name: str):
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return admin, admin.url.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=2000, help="ACLED articles in the corpus (plus the 3 seeds)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--procs", default="1,2")
    ap.add_argument("--acled", type=Path, default=ACLED)
    ap.add_argument("--memory-sizes", default="5000,20000", help="short articles for the RSS-vs-input test")
    ap.add_argument("--ray-articles", type=int, default=500, help="corpus articles for Ray vs multiprocess")
    ap.add_argument("--ingest-articles", type=int, default=100_000)
    ap.add_argument("--skip", default="", help="comma list of: throughput, ray, memory, ingest")
    ap.add_argument("--out", help="write the results into this Markdown file (its pipeline section)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "ingest":
            print(json.dumps(measure_ingest(rest[0], int(rest[1]), int(rest[2]))))
        else:
            print(json.dumps(measure(kind, rest[0], int(rest[1]), int(rest[2]))))
        return
    if not args.acled.is_file():
        print(f"bench_pipeline: ACLED data not found at {args.acled} (set --acled or MARSAD_ACLED); skipped",
              file=sys.stderr)
        return
    skip = set(filter(None, args.skip.split(",")))
    procs = [int(p) for p in args.procs.split(",")]
    res: dict = {"throughput": [], "ray": [], "memory": [], "ingest": []}
    with tempfile.TemporaryDirectory(prefix="marsad-bench-") as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        info = build_corpus(args.acled, corpus, args.articles)
        print(json.dumps({"corpus": info}), file=sys.stderr)
        if "throughput" not in skip:
            for p in procs:
                for kind in ("spacy", "marsad"):
                    res["throughput"].append(child(kind, str(corpus), str(p), str(args.batch)))
        if "ray" not in skip:
            small = Path(tmp) / "ray.jsonl"
            small.write_text("".join(corpus.read_text(encoding="utf-8").splitlines(True)[:args.ray_articles]))
            p = max(procs)
            res["ray"] = [child("marsad", str(small), str(p), str(args.batch)),
                          child("ray", str(small), str(p), str(args.batch))]
        if "memory" not in skip:
            for size in (int(s) for s in args.memory_sizes.split(",")):
                notes = Path(tmp) / f"notes-{size}.jsonl"
                build_notes(args.acled, notes, size)
                res["memory"].append(child("marsad", str(notes), str(max(procs)), str(args.batch)))
        if "ingest" not in skip:
            n = args.ingest_articles
            res["ingest"].append(child("ingest", f"sqlite:///{Path(tmp) / 'ingest1.db'}", str(n // 10), "1"))
            res["ingest"].append(child("ingest", f"sqlite:///{Path(tmp) / 'ingest.db'}", str(n), "32"))
            try:
                admin, url = _pg_database("marsad_bench_ingest")
            except Exception as exc:  # noqa: BLE001
                print(f"PostgreSQL not reachable ({exc}); its ingest is skipped", file=sys.stderr)
            else:
                try:
                    res["ingest"].append(child("ingest", url, str(n // 10), "1"))
                    admin2, url = _pg_database("marsad_bench_ingest")
                    admin2.dispose()
                    res["ingest"].append(child("ingest", url, str(n), "32"))
                finally:
                    with admin.connect() as conn:
                        conn.exec_driver_sql('DROP DATABASE IF EXISTS "marsad_bench_ingest" WITH (FORCE)')
                    admin.dispose()
    report = render(res, info, args)
    print(report)
    if args.out:
        write_section(Path(args.out), report)


def render(res: dict, info: dict, args) -> str:
    import spacy

    from marsad.config import get_settings

    load = os.getloadavg()[0]
    lines = [BEGIN, "# Benchmarks", "",
             f"`make bench` ({time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} CPUs, load "
             f"average {load:.1f} at the end, batch {args.batch}, spaCy {spacy.__version__}, pipeline "
             f"`{get_settings().spacy_model}`). Corpus: {info['articles']:,} articles, {info['words']:,} words "
             f"(ACLED notes joined by country and day, about 230 words each, and the 3 sample articles).", ""]
    if res["throughput"]:
        lines += ["## Pipeline throughput", "",
                  "Bare spaCy: `nlp.pipe(texts, n_process=N)` with the same model; marsad: reading the JSONL, "
                  "language check, parse, events, actors, places, dates, ACLED codes (`extract_events`, "
                  "`workers=N`). Peak RSS: the largest process (parent or one worker).", "",
                  "| pipeline | processes | articles/s | words/s | seconds | peak RSS per process (MB) | events |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for r in res["throughput"]:
            lines.append(f"| {r['kind']} | {r['procs']} | {r['articles_per_s']} | {r['words_per_s']:,} | "
                         f"{r['seconds']} | {r['peak_rss_mb']} | {r['events']} |")
        by = {(r["kind"], r["procs"]): r for r in res["throughput"]}
        lines.append("")
        for p in sorted({r["procs"] for r in res["throughput"]}):
            if ("spacy", p) in by and ("marsad", p) in by:
                lines.append(f"- marsad / bare spaCy at {p} process(es): **"
                             f"{by[('marsad', p)]['words_per_s'] / by[('spacy', p)]['words_per_s']:.2f}**")
        if ("marsad", 1) in by and ("marsad", 2) in by:
            lines.append(f"- marsad speed-up 1 -> 2 processes: **"
                         f"{by[('marsad', 2)]['words_per_s'] / by[('marsad', 1)]['words_per_s']:.2f}x** "
                         f"(bare spaCy: {by[('spacy', 2)]['words_per_s'] / by[('spacy', 1)]['words_per_s']:.2f}x)")
        lines.append("")
    if res["ray"]:
        mp_, ray_ = res["ray"]
        lines += ["## Ray (local) vs multiprocess", "",
                  f"First {mp_['articles']} corpus articles, {mp_['procs']} processes; Ray: `marsad extract "
                  "--engine ray` on a fresh local Ray (start-up included), writing Parquet shards.", "",
                  "| engine | articles/s | words/s | seconds |", "|---|---:|---:|---:|",
                  f"| multiprocess | {mp_['articles_per_s']} | {mp_['words_per_s']:,} | {mp_['seconds']} |",
                  f"| ray | {ray_['articles_per_s']} | {ray_['words_per_s']:,} | {ray_['seconds']} |", ""]
    if res["memory"]:
        lines += ["## Memory against input size", "",
                  "Single ACLED notes as articles (short: many articles per second), streamed through "
                  f"`extract_events(workers={res['memory'][0]['procs']})`.", "",
                  "| articles | seconds | parent peak RSS (MB) | worker peak RSS (MB) |", "|---:|---:|---:|---:|"]
        for r in res["memory"]:
            lines.append(f"| {r['articles']:,} | {r['seconds']} | {r['parent_rss_mb']} | {r['worker_rss_mb']} |")
        if len(res["memory"]) > 1:
            a, b = res["memory"][0], res["memory"][-1]
            slope = (b["worker_rss_mb"] - a["worker_rss_mb"]) / (b["articles"] - a["articles"]) * 1000
            lines += ["", f"Slope: {slope:.2f} MB per 1,000 articles per worker "
                          f"(parent: {(b['parent_rss_mb'] - a['parent_rss_mb']) / (b['articles'] - a['articles']) * 1000:.2f})."]
        lines.append("")
    if res["ingest"]:
        lines += ["## Ingest into the store", "",
                  "Short synthetic articles with one event each (actor, place, date), events given (no "
                  "parsing): the write path only — near-duplicate fingerprint, merging into consolidated "
                  "events, alert rules. `write_batch`: articles per transaction.", "",
                  "| store | articles | write_batch | seconds | articles/s |", "|---|---:|---:|---:|---:|"]
        for r in res["ingest"]:
            lines.append(f"| {r['backend']} | {r['articles']:,} | {r['write_batch']} | {r['seconds']} | "
                         f"{r['articles_per_s']} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write_section(path: Path, report: str) -> None:
    """Replace the pipeline section of `path` (between the markers; before them: the old untagged one, up
    to the next '## ' section that is not ours), keeping every other section."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + report + old[old.index(END) + len(END):]
    elif old.startswith("# Benchmarks"):
        rest = old.index("\n## ", 0) if "\n## " in old else len(old)
        new = report + "\n" + old[rest:]
    else:
        new = report + "\n\n" + old
    path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
