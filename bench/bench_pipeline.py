"""Throughput and peak memory: the bare spaCy pipeline vs marsad's whole extraction, on the same texts.

Each measurement runs in a fresh process (so peak RSS is its own). Corpus: the bundled sample articles
(the seed reports), repeated to --copies. Usage: python bench/bench_pipeline.py [--copies 40] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from datetime import date


def _texts(copies: int) -> list[str]:
    from marsad.cli import sample_corpus

    base = [p.read_text(encoding="utf-8") for p in sorted(sample_corpus().glob("*.txt"))]
    # a suffix per copy keeps texts distinct, as a real stream's are
    return [f"{t}\nCopy {i}." for i in range(copies) for t in base]


def measure(kind: str, copies: int, batch: int) -> dict:
    from marsad.config import get_settings

    settings = get_settings().model_copy(update={"batch_size": batch})
    texts = _texts(copies)
    words = sum(len(t.split()) for t in texts)
    if kind == "spacy":
        import spacy

        nlp = spacy.load(settings.spacy_model)
        t0 = time.perf_counter()
        n = sum(1 for _ in nlp.pipe(texts, batch_size=batch))
        events = 0
    else:
        from marsad.models import Article
        from marsad.nlp import load_pipeline
        from marsad.pipeline import extract_events

        load_pipeline(settings.spacy_model)
        arts = [Article(id=str(i), text=t, published=date(2025, 6, 16)) for i, t in enumerate(texts)]
        t0 = time.perf_counter()
        out = list(extract_events(arts, settings, progress=False))
        n, events = len(out), sum(len(x[1]) for x in out if isinstance(x, tuple))
    dt = time.perf_counter() - t0
    return {"kind": kind, "articles": n, "words": words, "seconds": round(dt, 2),
            "articles_per_s": round(n / dt, 1), "words_per_s": round(words / dt),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "events": events}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=40, help="repetitions of the 3 sample articles")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--out", help="also write a Markdown report here")
    ap.add_argument("--child", choices=["spacy", "marsad"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.copies, args.batch)))
        return
    rows = []
    for kind in ("spacy", "marsad"):
        r = subprocess.run([sys.executable, __file__, "--child", kind, "--copies", str(args.copies),
                            "--batch", str(args.batch)], capture_output=True, text=True, check=True)
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr)
    ratio = rows[1]["words_per_s"] / rows[0]["words_per_s"]
    import spacy

    from marsad.config import get_settings

    lines = [
        "# Benchmarks", "",
        f"`make bench` ({time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, 1 process, "
        f"batch {args.batch}, spaCy {spacy.__version__}, pipeline `{get_settings().spacy_model}`). Corpus: the "
        f"3 sample articles x {args.copies} = {rows[0]['articles']} articles, {rows[0]['words']:,} words.", "",
        "| pipeline | articles/s | words/s | peak RSS (MB) | events |", "|---|---:|---:|---:|---:|",
        *(f"| {r['kind']} | {r['articles_per_s']} | {r['words_per_s']:,} | {r['peak_rss_mb']} | {r['events']} |"
          for r in rows),
        "", f"marsad / bare spaCy throughput: **{ratio:.2f}**", "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(report)


if __name__ == "__main__":
    main()
