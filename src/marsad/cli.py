"""The `marsad` command (CONTRACT.md). Thin: parse arguments, call the library, map errors to exit codes.

Exit status: 0 all inputs processed; 3 some inputs rejected (one JSON line each on stderr); 2 usage error,
or a command whose part is not implemented yet; 1 a failure of the whole run (e.g. the store cannot open).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from importlib import resources
from pathlib import Path

from . import __version__
from .config import Settings, get_settings
from .errors import InputError, MarsadError, NotImplementedYet, Rejection

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 3


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in YYYY-MM-DD form") from None


def _add_input_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("inputs", nargs="*", metavar="INPUT",
                   help="a .txt, .html or .jsonl file, a directory (recursive), or - / nothing for stdin JSONL")
    p.add_argument("--published", type=_date, help="publication date (YYYY-MM-DD) for inputs that carry none")
    p.add_argument("--source", help="source name for inputs that carry none")


def _add_db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="SQLAlchemy URL of the store (default: SQLite in the data dir; "
                                               "env MARSAD_DB)")


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return n


def _workers(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (0: one per CPU)")
    return n


def _add_scale_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=_workers, default=1, metavar="N",
                   help="parse in N processes, output in input order (0: one per CPU; default 1)")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local (default) or ray: Ray Data over JSONL/Parquet inputs (needs marsad[ray]; "
                        "docs/scale.md)")
    p.add_argument("--ray-address", metavar="ADDR", help="Ray cluster to join, e.g. ray://head:10001 "
                                                         "(default: RAY_ADDRESS, else a local Ray)")
    p.add_argument("--runtime-env", metavar="JSON", help="Ray runtime_env as JSON or a .json/.yaml file "
                                                         "(to ship marsad to the workers: docs/scale.md)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="marsad", description="Conflict-event extraction and monitoring.")
    ap.add_argument("--version", action="version", version=f"marsad {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("extract", help="extract events from articles as JSONL (touches no database)")
    _add_input_args(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write JSONL here instead of stdout (--engine ray: "
                                                          "the directory of Parquet shards to write)")
    p.add_argument("--resume", action="store_true",
                   help="append to an existing -o FILE, skipping the articles already in it (its last article "
                        "is redone)")
    _add_scale_args(p)

    p = sub.add_parser("classify", help="ACLED event type of each text (JSONL {id,text} in)")
    p.add_argument("--taxonomy", choices=["acled"], required=True)
    p.add_argument("input", nargs="?", default="-", metavar="INPUT",
                   help="JSONL file, or - / nothing for stdin")

    p = sub.add_parser("train", help="train the ACLED classifier on ACLED notes (needs the 'train' extra)",
                       description="acled: the event / sub-event type model; acled-inter: the models of the "
                                   "actors' ACLED interaction codes (actor1, actor2).")
    p.add_argument("taxonomy", choices=["acled", "acled-inter"])
    p.add_argument("--data", required=True, metavar="FILE", help="ACLED export, .csv or .csv.gz, with notes")
    p.add_argument("--out", metavar="DIR", help="where to write the model (default: the package's model dir)")
    held = p.add_mutually_exclusive_group()
    held.add_argument("--heldout", type=int, metavar="N",
                      help="hold out N countries drawn with --seed (0: none) instead of the documented set")
    held.add_argument("--heldout-countries", nargs="+", metavar="COUNTRY", help="the countries to hold out")
    p.add_argument("--dev-countries", nargs="*", metavar="COUNTRY",
                   help="development countries (default: the documented set; none: no dev split)")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("geoparse", help="resolve every place name of each text (JSONL {id,text} in)")
    p.add_argument("input", nargs="?", default="-", metavar="INPUT")

    p = sub.add_parser("ingest", help="extract and store articles (idempotent); Parquet event shards "
                                      "(extract --engine ray) are stored without re-extracting")
    _add_input_args(p)
    _add_db_arg(p)
    _add_scale_args(p)
    p.add_argument("--write-batch", type=_positive, default=None, metavar="N",
                   help="articles stored per transaction (default 32; 1: one transaction each)")

    p = sub.add_parser("serve", help="REST API (/docs) and dashboard")
    _add_db_arg(p)
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000; 0 picks a free one)")

    p = sub.add_parser("demo", help="ingest the bundled sample corpus into a fresh database and serve it")
    p.add_argument("--db", metavar="URL", help="database for the demo (default: demo.db in the data dir, "
                                               "recreated on every run)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--no-serve", action="store_true", help="ingest only, print the URL of the store and exit")

    p = sub.add_parser("export", help="export stored events")
    p.add_argument("--format", required=True, choices=["acled-csv", "plover-jsonl", "geojson", "parquet"])
    _add_db_arg(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    sub.add_parser("info", help="print version, spaCy pipeline and store as one JSON object")

    from .ingest import FEEDS_HELP

    p = sub.add_parser("watch", help="poll RSS/Atom feeds on a schedule and ingest new articles",
                       description="Polls the feeds (and pages) a YAML file lists, politely (robots.txt, "
                                   "per-host delay, conditional GET, retries), and ingests new articles into "
                                   "the store. Progress on stderr; rejected items as JSON lines on stderr; "
                                   "Ctrl-C stops cleanly.",
                       epilog=FEEDS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("feeds", metavar="FEEDS.yaml", help="the feeds file (format below)")
    _add_db_arg(p)
    p.add_argument("--interval", type=float, metavar="SECONDS",
                   help="seconds between rounds (default: the file's 'interval', else 900)")
    p.add_argument("--once", action="store_true", help="poll once and exit (exit 3 if anything was rejected)")

    p = sub.add_parser("actors", help="search the actor registry, or add to it: actors [QUERY] | actors add ID ...",
                       description="`marsad actors [QUERY]` prints matching registry actors as JSON lines "
                                   "(all with no query); `marsad actors add ID ...` adds an actor or aliases "
                                   "to the user's registry file in the data dir.")
    p.add_argument("query", nargs="*", help="words to search for (name, alias, acronym, misspelling)")
    p.add_argument("--limit", type=int, default=20)
    return ap


def actors_add_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="marsad actors add",
                                description="Add an actor, or aliases of a known actor, to your registry.")
    p.add_argument("id", help="a known actor's id (to add aliases) or a new id, e.g. saraya-awliya-al-dam")
    p.add_argument("--name", help="canonical name (new actors)")
    p.add_argument("--alias", action="append", default=[], help="another name; repeatable")
    p.add_argument("--kind", help="org, person, group, igo")
    p.add_argument("--country", help="ISO3 code")
    p.add_argument("--sector", help="PLOVER sector code: GOV MIL REB PTY ...")
    p.add_argument("--inter", type=int, dest="acled_inter", help="ACLED interaction code 1..8")
    p.add_argument("--parent", help="id of the organisation it belongs to or speaks for")
    p.add_argument("--wikidata", help="Wikidata Q-id")
    p.add_argument("--source", help="where the facts were checked")
    return p


def _reject(r: Rejection) -> None:
    print(json.dumps(r.to_json(), ensure_ascii=False), file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    s = get_settings()
    updates = {k: v for k in ("db", "host", "port") if (v := getattr(args, k, None)) is not None}
    return s.model_copy(update=updates) if updates else s


def _ray_options(args: argparse.Namespace) -> dict:
    from .scale.ray_engine import load_runtime_env

    return {"address": args.ray_address, "runtime_env": load_runtime_env(args.runtime_env),
            "workers": args.workers}


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from .ingest.readers import read_inputs
    from .pipeline import extract_events, prepare_resume

    if args.engine == "ray":
        from .scale.ray_engine import extract_to_shards

        if not args.output:
            print(json.dumps({"error": {"code": "E701", "message": "--engine ray needs -o DIR (the Parquet "
                                                                   "shards to write)"}}), file=sys.stderr)
            return EXIT_USAGE
        summary = extract_to_shards(args.inputs, args.output, settings, published=args.published,
                                    source=args.source, **_ray_options(args))
        for r in summary.pop("rejections"):
            _reject(r)
        print(json.dumps(summary), file=sys.stderr)
        return EXIT_REJECTED if summary["rejected"] else EXIT_OK
    if args.resume and not args.output:
        print(json.dumps({"error": {"code": "E701", "message": "--resume needs -o FILE"}}), file=sys.stderr)
        return EXIT_USAGE
    done: set[str] = set()
    if args.resume and Path(args.output).is_file():
        done = prepare_resume(args.output)
    items = read_inputs(args.inputs, args.published, args.source)
    if done:
        items = (i for i in items if isinstance(i, Rejection) or i.id not in done)
    out = open(args.output, "a" if args.resume else "w", encoding="utf-8") if args.output else sys.stdout
    rejected = 0
    workers = args.workers or _default_workers()
    try:
        for item in extract_events(items, settings, workers=workers):
            if isinstance(item, Rejection):
                rejected += 1
                _reject(item)
                continue
            if item[1]:  # one write per article: an interrupted run leaves whole articles (--resume)
                out.write("".join(json.dumps(ev.to_json(), ensure_ascii=False) + "\n" for ev in item[1]))
                out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_REJECTED if rejected else EXIT_OK


def _default_workers() -> int:
    from .scale.workers import default_workers

    return default_workers()


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from .pipeline import WRITE_BATCH, ingest
    from .scale.shards import read_items
    from .store import open_store

    store = open_store(settings.db_url)
    write_batch = args.write_batch or WRITE_BATCH
    try:
        if args.engine == "ray":
            from .scale.ray_engine import extracted_stream

            stream = extracted_stream(args.inputs, settings, published=args.published, source=args.source,
                                      skip_stored=settings.db_url, **_ray_options(args))
            stored, present, rejected = ingest(store, [], settings, on_reject=_reject, write_batch=write_batch,
                                               extracted=stream)
            present += stream.skipped
        else:
            stored, present, rejected = ingest(store, read_items(args.inputs, args.published, args.source),
                                               settings, on_reject=_reject, workers=args.workers or
                                               _default_workers(), write_batch=write_batch)
        counts = store.counts()
    finally:
        store.close()
    print(json.dumps({"stored": stored, "already_present": present, "rejected": rejected, **counts,
                      "store": settings.db_url}), file=sys.stderr)
    return EXIT_REJECTED if rejected else EXIT_OK


def _serve(store, settings: Settings) -> int:
    from .serve import run
    from .serve.app import create_app

    def ready(url: str) -> None:
        print(f"marsad is serving {store.counts()['events']} events at {url}  (Ctrl-C to stop)", flush=True)

    try:
        run(create_app(store), settings.host, settings.port, on_ready=ready)
    except OSError as exc:  # port taken, address not local ...
        raise MarsadError(str(exc), code="E501") from None
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .store import open_store

    store = open_store(settings.db_url)
    try:
        return _serve(store, settings)
    finally:
        store.close()


def sample_corpus() -> Path:
    """The bundled sample articles (the seed reports supplied for this project) with their meta.jsonl."""
    return Path(str(resources.files("marsad.data").joinpath("sample")))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from .ingest.readers import read_inputs
    from .pipeline import ingest
    from .store import open_store

    url = args.db or f"sqlite:///{settings.data_dir / 'demo.db'}"
    if not args.db:  # the demo database is recreated on every run; the user's own store is never touched
        for suffix in ("", "-wal", "-shm"):
            (settings.data_dir / f"demo.db{suffix}").unlink(missing_ok=True)
    store = open_store(url)
    try:
        stored, _, rejected = ingest(store, read_inputs([str(sample_corpus())]), settings, on_reject=_reject)
        print(f"demo: ingested {stored} sample articles, {store.counts()['events']} events into {url}",
              file=sys.stderr, flush=True)
        if args.no_serve:
            return EXIT_REJECTED if rejected else EXIT_OK
        return _serve(store, settings)
    finally:
        store.close()


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from .export import export
    from .store import open_store

    store = open_store(settings.db_url)
    try:
        if args.output:
            with open(args.output, "wb") as fh:
                n = export(store, args.format, fh)
        else:
            n = export(store, args.format, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    finally:
        store.close()
    print(json.dumps({"exported": n, "format": args.format}), file=sys.stderr)
    return EXIT_OK


def cmd_info(args: argparse.Namespace, settings: Settings) -> int:
    import spacy
    from sqlalchemy import make_url

    print(json.dumps({"version": __version__, "spacy_model": settings.spacy_model,
                      "spacy_version": spacy.__version__,
                      "store": make_url(settings.db_url).render_as_string(hide_password=True)}))
    return EXIT_OK


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    from .classify.acled import classify
    from .ingest.readers import read_jsonl

    rejected, batch = 0, []

    def flush() -> None:
        for art, p in zip(batch, classify([a.text for a in batch])):
            rec = {"id": art.id, "event_type": p.event_type, "sub_event_type": p.sub_event_type,
                   "score": round(p.score, 4)}
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        batch.clear()

    try:
        fh = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        _reject(Rejection(args.input, "E101", f"cannot read: {exc.strerror or exc}"))
        return EXIT_REJECTED
    try:
        for item in read_jsonl(fh, "<stdin>" if args.input == "-" else args.input, {}):
            if isinstance(item, Rejection):
                rejected += 1
                flush()  # keep stdout and stderr in input order
                _reject(item)
            else:
                batch.append(item)
                if len(batch) >= 256:
                    flush()
        flush()
    finally:
        if fh is not sys.stdin:
            fh.close()
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise MarsadError("training needs scikit-learn: pip install 'marsad[train]'", code="E402") from None
    from .classify import train as tr

    if not Path(args.data).is_file():
        raise InputError(f"{args.data}: no such file")
    dev = tr.DEV_COUNTRIES if args.dev_countries is None else tuple(args.dev_countries)
    if args.heldout_countries:
        heldout = tuple(args.heldout_countries)
    elif args.heldout is not None:
        heldout = tr.pick_countries(tr.read_rows(args.data), args.heldout, args.seed, exclude=dev)
    else:
        heldout = tr.HELDOUT_COUNTRIES
    try:
        if args.taxonomy == "acled-inter":
            result = tr.train_inter(args.data, args.out, heldout_countries=heldout, dev_countries=dev,
                                        seed=args.seed)
        else:
            result = tr.train(args.data, args.out, heldout_countries=heldout, dev_countries=dev, seed=args.seed)
    except (ValueError, OSError) as exc:
        raise MarsadError(f"training failed: {exc}") from None
    print(json.dumps(result, indent=1, ensure_ascii=False))
    return EXIT_OK


def _entry_json(e) -> str:
    return json.dumps({"id": e.id, "name": e.name, "kind": e.kind, "country": e.country, "sector": e.sector,
                       "acled_inter": e.acled_inter, "parent": e.parent, "aliases": list(e.aliases),
                       "wikidata": e.wikidata}, ensure_ascii=False)


def cmd_actors(args: argparse.Namespace, settings: Settings) -> int:
    from .resolve.registry import add_user_record, load_registry

    if args.command == "actors-add":
        record = {k: v for k, v in vars(args).items() if v not in (None, []) and k != "command"}
        if "alias" in record:
            record["aliases"] = record.pop("alias")
        try:
            print(_entry_json(add_user_record(record)))
        except MarsadError as exc:  # a malformed record is a usage error: nothing was written
            print(json.dumps({"error": {"code": exc.code, "message": exc.message}}), file=sys.stderr)
            return EXIT_USAGE
        return EXIT_OK
    for e in load_registry().search(" ".join(args.query), args.limit):
        print(_entry_json(e))
    return EXIT_OK


def cmd_geoparse(args: argparse.Namespace, settings: Settings) -> int:
    """Every place name of each input, resolved: JSONL {"id", "places": [PLACE ...]} in input order."""
    from .geo.geoparse import geoparse
    from .ingest.readers import read_inputs

    rejected = 0
    for item in geoparse(read_inputs([args.input]), settings):
        if isinstance(item, Rejection):
            rejected += 1
            _reject(item)
            continue
        art, places = item
        rec = {"id": art.id, "places": [p.model_dump(mode="json") for p in places]}
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return EXIT_REJECTED if rejected else EXIT_OK


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    from .ingest.watch import Watcher, load_config, state_path
    from .store import open_store

    config = load_config(args.feeds)
    if args.interval is not None and args.interval <= 0:
        print(json.dumps({"error": {"code": "E608", "message": "--interval must be positive"}}), file=sys.stderr)
        return EXIT_USAGE
    store = open_store(settings.db_url)
    watcher = Watcher(config, store, settings, state_path(config, Path(args.feeds), settings.data_dir),
                      on_reject=_reject)
    try:
        total = watcher.run(args.interval or config.interval, once=args.once)
    finally:
        watcher.close()
        counts = store.counts()
        store.close()
    print(json.dumps({**total.as_dict(), **counts, "store": settings.db_url}), file=sys.stderr)
    return EXIT_REJECTED if args.once and total.rejected else EXIT_OK


COMMANDS = {"extract": cmd_extract, "ingest": cmd_ingest, "serve": cmd_serve, "demo": cmd_demo,
            "export": cmd_export, "info": cmd_info, "classify": cmd_classify, "train": cmd_train,
            "geoparse": cmd_geoparse, "actors": cmd_actors, "actors-add": cmd_actors,
            "watch": cmd_watch}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["actors", "add"]:  # a sub-command of `actors` (argparse cannot mix it with a QUERY)
        args = actors_add_parser().parse_args(argv[2:])
        args.command = "actors-add"
    else:
        args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
        return COMMANDS[args.command](args, settings)
    except NotImplementedYet as exc:
        print(json.dumps({"error": {"code": exc.code, "message": exc.message}}), file=sys.stderr)
        return EXIT_USAGE
    except MarsadError as exc:
        print(json.dumps({"error": {"code": exc.code, "message": exc.message}}), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `marsad extract ... | head`
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
