"""The Ray engine: the same pipeline (readers' checks, parse, extract, ACLED codes) over JSONL / Parquet
inputs with Ray Data, on a local Ray or a cluster. Needs the `ray` extra: pip install 'marsad[ray]'.

    extract_to_shards(...)  -> a directory of Parquet event shards (schema: marsad.scale.shards)
    extracted_stream(...)   -> (article, events) pairs streamed back to the caller (ingest stores them)

Each Ray worker process loads the spaCy pipeline once and codes `settings.batch_size` articles at a time; the
input order is kept (Ray Data `preserve_order`). Inputs: .jsonl files (one record a line, as `marsad
extract` reads them) and .parquet files with the same columns (id, text or html, title, published, url,
source, language), or directories of them (searched recursively). A rejected record's `input` is its file
(Ray reads lines without their numbers) and its id when it has one.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import MarsadError, Rejection
from .shards import EVENT_COLUMNS, _plain, arrow_schema, from_row, to_row

PRESENT = -1  # n_events of a row standing for an article already in the store (ingest --engine ray)


def _ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise MarsadError("--engine ray needs Ray Data: pip install 'marsad[ray]'", code="E402") from None
    return ray


def load_runtime_env(value: str | None) -> dict | None:
    """A runtime_env from JSON text or a .json / .yaml file."""
    if not value:
        return None
    path = Path(value)
    try:
        if path.suffix.lower() in (".json", ".yaml", ".yml") and path.is_file():
            import yaml

            env = yaml.safe_load(path.read_text(encoding="utf-8"))
        else:
            env = json.loads(value)
    except (ValueError, OSError) as exc:
        raise MarsadError(f"--runtime-env: not JSON nor a readable .json/.yaml file: {exc}", code="E701") from None
    if not isinstance(env, dict):
        raise MarsadError("--runtime-env must be a JSON object", code="E701")
    return env


def _files(inputs: Iterable[str]) -> tuple[list[str], list[str], list[Rejection]]:
    jsonl, parquet, bad = [], [], []
    for arg in inputs:
        p = Path(arg)
        found = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")) if p.is_dir() \
            else [p] if p.is_file() else []
        if not found:
            bad.append(Rejection(arg, "E101", "no such file or directory" if not p.exists() else "no input files"))
        for f in found:
            suffix = f.suffix.lower()
            if suffix == ".jsonl":
                jsonl.append(str(f.resolve()))
            elif suffix == ".parquet":
                parquet.append(str(f.resolve()))
            elif not p.is_dir():
                bad.append(Rejection(str(f), "E106", f"unsupported extension {suffix or '(none)'!r} for "
                                                      "--engine ray; use .jsonl or .parquet"))
    return jsonl, parquet, bad


def _start(ray, address: str | None, runtime_env: dict | None, workers: int) -> bool:
    """Connect to (or start) Ray; True when this call started it (and should shut it down)."""
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "WARNING"}
    if runtime_env:
        kwargs["runtime_env"] = runtime_env
    if address:
        kwargs["address"] = address
    elif workers:
        import os

        if not os.environ.get("RAY_ADDRESS"):
            kwargs["num_cpus"] = workers
    try:
        ray.init(**kwargs)
    except Exception as exc:  # noqa: BLE001  (ConnectionError, RuntimeError ...: one message either way)
        raise MarsadError(f"cannot start or join Ray{f' at {address}' if address else ''}: {exc}",
                          code="E702") from None
    return True


_STORES: dict[str, Any] = {}


def _extract(batch, settings: Settings, defaults: dict, skip_stored: str | None):
    """Ray Data UDF: raw rows {line, where} -> event shard rows. Runs as plain tasks: a Ray worker process
    is reused from task to task, so it loads the pipeline (and opens the store) once."""
    import pyarrow as pa

    from ..ingest.readers import record_to_article
    from ..models import Article
    from ..nlp import load_pipeline
    from ..pipeline import batches, code_batch

    store = None
    if skip_stored:
        if skip_stored not in _STORES:
            from ..store import open_store

            _STORES[skip_stored] = open_store(skip_stored)
        store = _STORES[skip_stored]
    items, present = [], []
    for line, where in zip(batch.column("line").to_pylist(), batch.column("where").to_pylist()):
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError) as exc:
            items.append(Rejection(where, "E104", f"invalid JSON: {type(exc).__name__}: {str(exc)[:120]}"))
            continue
        if isinstance(rec, dict) and isinstance(rec.get("id"), (str, int)):
            where = f"{where}#{rec['id']}"
        item = record_to_article(rec, where, defaults)
        if isinstance(item, Article) and store is not None and store.has_article(item.content_hash):
            present.append(item.id)
            continue
        items.append(item)
    rows = [to_row(x) for b in batches(items, settings.batch_size)
            for x in code_batch(lambda: load_pipeline(settings.spacy_model), b)]
    rows += [{**dict.fromkeys(EVENT_COLUMNS), "article_id": i, "n_events": PRESENT} for i in present]
    return pa.Table.from_pylist(rows, schema=arrow_schema())


def _lines_of_parquet(batch):
    import pyarrow as pa

    where = batch.column("path").to_pylist() if "path" in batch.column_names else [""] * batch.num_rows
    recs = batch.drop_columns(["path"]).to_pylist() if "path" in batch.column_names else batch.to_pylist()
    return pa.table({"line": [json.dumps(_plain(r), ensure_ascii=False, default=str) for r in recs],
                     "where": where})


def _lines_of_text(batch):
    import pyarrow as pa

    return pa.table({"line": batch.column("text"), "where": batch.column("path")})


def dataset(inputs: Iterable[str], settings: Settings, *, published: date | None = None,
            source: str | None = None, workers: int = 0, skip_stored: str | None = None):
    """The Ray Dataset of event shard rows for `inputs` (lazy), and the inputs rejected up front."""
    ray = _ray()
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    jsonl, parquet, bad = _files(list(inputs) or ["-"])
    if not jsonl and not parquet:
        return None, bad
    n = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    parts = []
    if jsonl:
        parts.append(ray.data.read_text(jsonl, include_paths=True, override_num_blocks=max(len(jsonl), 4 * n))
                     .map_batches(_lines_of_text, batch_format="pyarrow"))
    if parquet:
        parts.append(ray.data.read_parquet(parquet, include_paths=True,
                                           override_num_blocks=max(len(parquet), 4 * n))
                     .map_batches(_lines_of_parquet, batch_format="pyarrow"))
    ds = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])
    defaults = {"published": published, "source": source}
    ds = ds.map_batches(_extract, fn_kwargs={"settings": settings, "defaults": defaults, "skip_stored": skip_stored},
                        batch_size=4 * settings.batch_size, batch_format="pyarrow", num_cpus=1)
    return ds, bad


def extract_to_shards(inputs: Iterable[str], out_dir: str, settings: Settings, *, published: date | None = None,
                      source: str | None = None, address: str | None = None, runtime_env: dict | None = None,
                      workers: int = 0) -> dict:
    """Extract with Ray into Parquet event shards under `out_dir`; returns a summary (counts, the
    rejections, the shard files)."""
    import pyarrow.parquet as pq

    ray = _ray()
    started = _start(ray, address, runtime_env, workers)
    try:
        ds, bad = dataset(inputs, settings, published=published, source=source, workers=workers)
        if ds is not None:
            try:
                ds.write_parquet(str(Path(out_dir).resolve()))
            except Exception as exc:  # noqa: BLE001  (a task's failure arrives wrapped by Ray)
                raise MarsadError(f"the Ray run failed: {type(exc).__name__}: {str(exc)[-1200:]}", code="E702") from None
    finally:
        if started:
            ray.shutdown()
    files = sorted(Path(out_dir).rglob("*.parquet")) if Path(out_dir).is_dir() else []
    articles = events = 0
    rejections = list(bad)
    for f in files:
        t = pq.read_table(f, columns=["article_id", "n_events", "error_code", "error_message"]).to_pylist()
        for r in t:
            if r["error_code"]:
                rejections.append(Rejection(r["article_id"], r["error_code"], r["error_message"] or ""))
            else:
                articles += 1
                events += r["n_events"] or 0
    return {"articles": articles, "events": events, "rejected": len(rejections), "shards": len(files),
            "output": str(out_dir), "rejections": rejections}


class extracted_stream:
    """(article, events) pairs and rejections of a Ray run, streamed to the driver in input order;
    `skipped` counts the articles the workers found already stored (`skip_stored`: the store's URL)."""

    def __init__(self, inputs: Iterable[str], settings: Settings, *, published: date | None = None,
                 source: str | None = None, address: str | None = None, runtime_env: dict | None = None,
                 workers: int = 0, skip_stored: str | None = None) -> None:
        self.args = (list(inputs), settings, published, source, address, runtime_env, workers, skip_stored)
        self.skipped = 0

    def __iter__(self) -> Iterator:
        inputs, settings, published, source, address, runtime_env, workers, skip_stored = self.args
        ray = _ray()
        started = _start(ray, address, runtime_env, workers)
        try:
            ds, bad = dataset(inputs, settings, published=published, source=source, workers=workers,
                              skip_stored=skip_stored)
            yield from bad
            if ds is None:
                return
            try:
                for batch in ds.iter_batches(batch_format="pyarrow", batch_size=256):
                    for row in batch.to_pylist():
                        if row["n_events"] == PRESENT:
                            self.skipped += 1
                            continue
                        yield from_row(row, row["article_id"])
            except MarsadError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise MarsadError(f"the Ray run failed: {type(exc).__name__}: {str(exc)[-1200:]}", code="E702") from None
        finally:
            if started:
                ray.shutdown()
