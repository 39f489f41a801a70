"""A corpus of bad (and odd but valid) inputs through `marsad extract` and `marsad ingest` as real processes on
a real SQLite store: no traceback, every rejection with its expected code, every good input around them kept.

The corpus: the hand-made files in tests/data/bad/ plus cases generated here (files of every kind, JSONL lines
in a file and on stdin). Each case names its expected outcome: an error code, or "ok" (processed).
"""
from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import make_article, make_event

from marsad.errors import CATALOGUE
from marsad.store import open_store

pytestmark = pytest.mark.slow
MARSAD = [sys.executable, "-m", "marsad.cli"]
BAD_DIR = Path(__file__).parent / "data" / "bad"

STATIC = {  # tests/data/bad/<file> -> expected outcome (JSONL files: per line, see STATIC_LINES)
    "truncated-article.html": "ok", "truncated-tag.html": "E103", "script-only.html": "E103",
    "latin1.txt": "E107", "latin1-no-meta.html": "E107", "latin1-with-meta.html": "ok",
    "cp1256-with-meta.html": "ok", "utf16le-no-bom.txt": "E102", "utf16be-no-bom.txt": "E102",
    "utf16-with-bom.txt": "ok", "utf32.txt": "E102", "invalid-utf8-middle.txt": "E107",
    "overlong-utf8.txt": "E107", "utf8-surrogate.txt": "E107", "truncated-multibyte.txt": "E107",
    "png-as-text.txt": "E102", "gzip-as-text.txt": "E102", "elf-as-jsonl.jsonl": "E102",
    "zero-width-only.txt": "E103", "rtl-marks.txt": "ok", "mixed-scripts.txt": "ok", "homoglyphs.txt": "ok",
    "bidi-override.txt": "ok", "combining-marks.txt": "ok", "control-chars.txt": "ok",
    "feed.xml": "E106", "broken-feed.rss": "E106", "no-extension": "E106", "upper.TXT": "ok",
}
STATIC_LINES = {"malformed.jsonl": ["ok", "E104", "ok", "E105", "E104"], "bom.jsonl": ["ok"], "crlf.jsonl": ["ok"]}

GOOD = "Gunmen attacked a police checkpoint near Kirkuk on Sunday, killing two officers, security sources said."


@dataclass
class Line:
    raw: bytes
    expect: str
    what: str


def good_text(n: int) -> str:
    return f"Report {n}: {GOOD}"


def rec(n: int, **fields) -> bytes:
    base = {"id": f"gen-{n}", "text": good_text(n)}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}, ensure_ascii=False).encode()


def generated_lines() -> list[Line]:
    """JSONL lines: malformed JSON, wrong types, hostile values, and valid odd ones."""
    L: list[Line] = []
    n = 1000

    def add(raw: bytes | str, expect: str, what: str) -> None:
        nonlocal n
        n += 1
        L.append(Line(raw.encode() if isinstance(raw, str) else raw, expect, what))

    for raw in ["{", "}", "{'id': 1, 'text': 'single quotes'}", '{"id": "a", "text": "b"', '{"id": "a",}',
                "nul", "tru", '{"id": "a" "text": "b"}', '{"id": "a", "text": "b"} trailing', "[1, 2",
                '"unterminated', "{\"id\": \"a\", \"text\": \"tab\tinside\"}", "\\u0000", "{]",
                "{\"id\": \"x\", \"text\": \"x\"}}", "{" * 10, "]" * 10, ",", "0x10", "{\"a\":1,,\"b\":2}"]:
        add(raw, "E104", f"invalid JSON {raw[:20]!r}")
    add("[" * 100_000 + "]" * 100_000, "E104", "nesting 100000 deep")
    add('{"id": "d", "text": "t", "x": ' + "[" * 50_000 + "]" * 50_000 + "}", "E104", "deep field")
    add('{"id": ' + "9" * 5000 + ', "text": "t"}', "E104", "a 5000-digit integer")
    for raw in ["[]", "1", '"a string"', "null", "true", "3.5", '[{"id": "a", "text": "b"}]']:
        add(raw, "E105", f"not an object: {raw}")
    for rid in [None, "", "   ", True, False, 1.5, [], ["a"], {}, {"a": 1}, float("nan")]:
        if isinstance(rid, float) and math.isnan(rid):
            add(f'{{"id": NaN, "text": "{good_text(n)}"}}', "E105", "id NaN")
            continue
        add(rec(n, id=rid), "E105", f"id {rid!r}")
    add(rec(n, id=...), "E105", "no id")
    add(rec(n, id="x" * 100_000), "E109", "id of 100000 chars")
    add(rec(n, id="x" * 513), "E109", "id of 513 chars")
    add(rec(n, id="a\x00b"), "E109", "id with NUL")
    add(rec(n, id="a\nb"), "E109", "id with newline")
    add(rec(n, id="a\x1bb"), "E109", "id with ESC")
    add(json.dumps({"id": "sur\ud800", "text": good_text(n)}).encode(), "E109", "id with lone surrogate")
    for text in [None, 1, 1.5, True, [], ["a", "b"], {}, {"en": "text"}]:
        add(rec(n, text=text), "E105", f"text {text!r}")
    add(rec(n, text=...), "E105", "no text")
    for text in ["", " ", "\n\t", "\u00a0\u2003", "\u200b\u200c\u200d", "\u200f\u200e\u202a\u202c", "...!!!---",
                 "\u0301\u0301"]:
        add(rec(n, text=text), "E103", f"empty-ish text {text!r}")
    add(rec(n, text="NUL\x00inside " + GOOD), "E109", "text with NUL")
    add(json.dumps({"id": f"gen-{n}", "text": "lone \udc80 surrogate " + GOOD}).encode(), "E109",
        "text with lone surrogate")
    add(rec(n, text=..., html="<p></p>"), "E103", "empty html")
    add(rec(n, text=..., html="<script>alert(1)</script>"), "E103", "script-only html")
    add(rec(n, text=..., html=5), "E105", "html a number")
    add(rec(n, text=..., html=["<p>x</p>"]), "E105", "html a list")
    for key in ("title", "url", "source", "language"):
        for value in (1, ["a"], {"a": 1}, True):
            add(rec(n, **{key: value}), "E105", f"{key} {value!r}")
        add(rec(n, **{key: "a\x00b"}), "E109", f"{key} with NUL")
        add(rec(n, **{key: "t" * 5000}), "E109", f"{key} of 5000 chars")
    for pub in ["yesterday", "2025-13-01", "2025-02-30", "0000-01-01", "25-06-2025", "June 5", "2025/06/05",
                "x" * 100, "２０２５-06-05"]:
        add(rec(n, published=pub), "E105", f"published {pub!r}")
    for pub in [20250605, 2025.6, ["2025-06-05"], {"y": 2025}, True]:
        add(rec(n, published=pub), "E105", f"published {pub!r}")
    for pub in ["0001-01-01", "1066-10-14", "1899-12-31", "9999-12-31", "2999-01-01", "2100-01-01"]:
        add(rec(n, published=pub), "E109", f"published {pub}")
    add(b"\xff\xfe" + rec(n)[2:], "E107", "UTF-16 BOM bytes in a line")
    add(rec(n)[:-2] + b"\xc3\x28\"}", "E107", "invalid UTF-8 in a line")
    add(rec(n).replace(b"Report", "Réport".encode("latin-1")), "E107", "latin-1 in a line")
    add(b'{"id": "big", "text": "' + b"word " * 4_200_000 + b'"}', "E108", "21 MB line")

    # odd but valid: processed, never rejected
    oks = [
        rec(n + 1, id="dir/with/slashes"), rec(n + 2, id="../../etc/passwd"), rec(n + 3, id="C:\\temp\\x"),
        rec(n + 4, id=10 ** 100), rec(n + 5, id=-7), rec(n + 6, id="x" * 512), rec(n + 7, id="\u202eevil\u202c"),
        rec(n + 8, id="مقال-٧"), rec(n + 9, id="emoji-🚨"), rec(n + 10, id="' OR 1=1; --"),
        rec(n + 11, id="<script>alert(1)</script>"), rec(n + 12, published="2025-06-05T10:00:00+03:00"),
        rec(n + 31, published="2025-06-05T99:00"),  # the first 10 characters are read: lenient, not hostile
        rec(n + 13, published=None), rec(n + 14, published=""), rec(n + 15, extra={"nested": [[1, {"a": None}]]}),
        rec(n + 16, title=None, url=None, source=None), rec(n + 17, id="ok-ar", language="ar", text="قالت الشرطة إن محتجين "
                                                                                     "تجمعوا في البصرة يوم الجمعة."),
        rec(n + 18, text="Zero\u200bwidth\u200c joiners\u200d in Basra\u2060 where protesters gathered on Friday."),
        rec(n + 19, text="\u200fمحتجون\u200f gathered in Basra on Friday \u202b(RTL)\u202c, police said."),
        rec(n + 20, text="Ｆｕｌｌｗｉｄｔｈ protesters gathered in Basra on Friday."),
        rec(n + 21, text=..., html="<html><head><title>T</title></head><body><article><p>" + GOOD +
            "</p></article></body></html>"),
        rec(n + 22, text=..., html="<p>" + GOOD + "<div><span>unclosed"),
        rec(n + 23, text=good_text(n + 23) * 12),  # longer ones are slow in geo.locate: see the report
        json.dumps({"id": "ok-pair", "text": good_text(n + 24) + " \U0001F680"}).encode(),  # \ud83d\ude80
        rec(n + 25, text="1234 5678"),
        json.dumps({"id": f"gen-{n + 26}", "id2": "x", "text": good_text(n + 26)}).encode(),
        b'{"id": "gen-dup", "id": "gen-dup-last", "text": "' + good_text(n + 27).encode() + b'"}',
        b"   " + rec(n + 28) + b"   ",
        rec(n + 29, text="Protesters gathered in Basra on Friday.\r\nPolice\rdispersed them.\u2028Two were hurt."),
        rec(n + 30, text="\\u0000 is written here as text, not a NUL: " + GOOD),
    ]
    n += 32
    for raw in oks:
        add(raw, "ok", raw[:60].decode("utf-8", "replace"))
    return L


def generated_files(root: Path) -> dict[Path, str]:
    """Files: every extension, empty, binary, gigantic, encodings, odd names."""
    out: dict[Path, str] = {}

    def put(name: str, data: bytes, expect: str) -> None:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        out[p] = expect

    for i, (ext, data) in enumerate([(".txt", b""), (".txt", b"\n\n  \t"), (".html", b""), (".html", b"   "),
                                     (".jsonl", b""), (".jsonl", b"\n\n\n"), (".htm", b"\r\n")]):
        put(f"empty-{i}{ext}", data, "E103")
    for i, ext in enumerate([".pdf", ".docx", ".exe", ".json", ".csv", ".md", ".xml", ".rss", ".atom", ".gz",
                             ".txt.bak", ".TXT~", ".", ".jpg"]):
        put(f"ext-{i}{ext}", b"Protesters gathered in Basra.", "E106")
    rnd = bytes((i * 2654435761) % 251 for i in range(4096))
    for i, ext in enumerate([".txt", ".html", ".jsonl"]):
        put(f"binary-{i}{ext}", rnd, "E102")
        put(f"nul-late-{i}{ext}", b"Protesters gathered in Basra." + b"\x00" * 3, "E102")
        put(f"high-bytes-{i}{ext}", bytes(range(128, 256)) * 4, "E107")
    out[root / "high-bytes-2.jsonl:1"] = out.pop(root / "high-bytes-2.jsonl")  # JSONL: rejected per line
    # gigantic: never read whole (the limit is 4 MB an article)
    put("huge-20mb.txt", b"Protesters gathered in Basra on Friday. " * 520_000, "E108")
    put("huge-5mb.html", b"<p>" + b"Protesters gathered. " * 250_000 + b"</p>", "E108")
    # big but under the byte limit, over the pipeline's 1,000,000 characters: rejected by the pipeline (E201)
    put("long-1m-chars.txt", "محتجون ".encode() * 10 + b"Troops shelled the town. " * 45_000, "E201")
    # odd names and places
    put("sub/deeper/nested ok.txt", f"{GOOD} (nested)".encode(), "ok")
    put("name with spaces & ünïcödé.txt", f"{GOOD} (unicode name)".encode(), "ok")
    put(".hidden.txt", b"\x00 never read", "skip")
    put("sub/meta.jsonl", b"{broken meta\n" + json.dumps({"id": "meta-target", "published": "9999-01-01",
                                                           "title": "T\u0000"}).encode() + b"\n", "skip")
    put("sub/meta-target.txt", f"{GOOD} (meta target)".encode(), "ok")
    put("ok-plain.txt", f"{GOOD} (plain)".encode(), "ok")
    put("ok-bom.txt", b"\xef\xbb\xbf" + f"{GOOD} (bom)".encode(), "ok")
    put("ok-crlf.txt", f"{GOOD}\r\n(crlf)\r\n".encode(), "ok")
    put("ok-page.html", f"<html><body><p>{GOOD} (page)</p></body></html>".encode(), "ok")
    put("ok-no-body.html", f"<p>{GOOD} (fragment)".encode(), "ok")
    return out


def run(*args: str, stdin: bytes | None = None, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([*MARSAD, *args], input=stdin, capture_output=True, timeout=600, env=env)


def rejections(stderr: bytes) -> list[dict]:
    text = stderr.decode("utf-8")
    assert "Traceback" not in text, text[-3000:]
    out = []
    for line in text.splitlines():
        if line.startswith('{"input"'):
            out.append(json.loads(line))
    return out


def n_articles(db: str) -> int:
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
    engine.dispose()
    return n


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """(inputs, expected {input name: code}, number of ok articles, stdin bytes, expected stdin codes)."""
    root = tmp_path_factory.mktemp("bad")
    expected: dict[str, str] = {}
    ok = 0
    static = root / "static"
    shutil.copytree(BAD_DIR, static)
    for name, code in STATIC.items():
        expected[str(static / name)] = code
    for name, codes in STATIC_LINES.items():
        for i, code in enumerate(codes, 1):
            expected[f"{static / name}:{i}"] = code
    files = generated_files(root / "files")
    for p, code in files.items():
        if code != "skip":
            expected[str(p) if code != "E201" else p.stem] = code
    lines = generated_lines()
    jsonl = root / "lines.jsonl"
    good_between = []
    with jsonl.open("wb") as fh:
        n = 0
        for ln in lines:  # a good record after every bad line: the ones around a bad line must survive
            n += 1
            fh.write(ln.raw + b"\n")
            expected[f"{jsonl}:{n}"] = ln.expect
            n += 1
            good_between.append(json.dumps({"id": f"between-{n}", "text": f"Police arrested {n} people."}).encode())
            fh.write(good_between[-1] + b"\n")
            expected[f"{jsonl}:{n}"] = "ok"
    stdin_lines = [ln for ln in lines if len(ln.raw) < 1_000_000][::3]
    stdin = b"".join(ln.raw.replace(b'"gen-', b'"stdin-') + b"\n" for ln in stdin_lines)
    stdin += b"\x00\x01 raw NUL bytes on a line\n" + rec(9999, id="stdin-last") + b"\n"
    stdin_expected = {f"<stdin>:{i}": ln.expect for i, ln in enumerate(stdin_lines, 1)}
    stdin_expected[f"<stdin>:{len(stdin_lines) + 1}"] = "E104"
    stdin_expected[f"<stdin>:{len(stdin_lines) + 2}"] = "ok"
    ok = sum(1 for v in expected.values() if v == "ok")
    # other extensions are skipped quietly in a directory, rejected (E106) when named: name them
    named = sorted(k for k, v in expected.items() if v == "E106")
    inputs = [str(static), str(root / "files"), str(jsonl), *named, str(root / "does-not-exist.txt")]
    expected[str(root / "does-not-exist.txt")] = "E101"
    return inputs, expected, ok, stdin, stdin_expected


def _check(rejected: list[dict], expected: dict[str, str]) -> None:
    got = {r["input"]: r["error"]["code"] for r in rejected}
    assert len(got) == len(rejected), "one rejection line per bad input"
    assert all(r["error"]["message"] and r["error"]["code"] in CATALOGUE for r in rejected)
    want = {k: v for k, v in expected.items() if v != "ok"}
    wrong = {k: (want.get(k, "ok"), got.get(k, "ok")) for k in set(want) | set(got) if want.get(k) != got.get(k)}
    assert not wrong, f"expected vs got: {wrong}"


def test_corpus_size(corpus):
    _, expected, ok, _, stdin_expected = corpus
    bad = sum(1 for v in expected.values() if v != "ok") + sum(1 for v in stdin_expected.values() if v != "ok")
    print(f"bad inputs: {bad}, odd-but-valid/good inputs: {ok}")
    assert bad >= 200


def test_extract_rejects_each_bad_input_with_its_code(corpus, tmp_path):
    inputs, expected, _, stdin, stdin_expected = corpus
    env = {**os.environ, "MARSAD_DATA_DIR": str(tmp_path / "data")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = run("extract", *inputs, "-", "--published", "2025-06-16", stdin=stdin, env=env)
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    assert r.returncode == 3, r.stderr.decode()[-2000:]
    _check(rejections(r.stderr), {**expected, **stdin_expected})
    events = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert {"ok-plain", "stdin-last", "nested ok"} <= {e["article_id"] for e in events}
    assert peak_mb < 2500, f"peak memory {peak_mb:.0f} MB: a gigantic input was read whole?"


def test_ingest_keeps_good_inputs_and_stores_nothing_bad(corpus, tmp_path):
    inputs, expected, ok, stdin, stdin_expected = corpus
    env = {**os.environ, "MARSAD_DATA_DIR": str(tmp_path / "data")}
    db = f"sqlite:///{tmp_path / 'store.db'}"
    store = open_store(db)  # articles already in the store must survive the bad run untouched
    for i in range(3):
        art = make_article(f"before-{i}")
        store.add_article(art, [make_event(art)])
    store.close()
    assert n_articles(db) == 3
    r = run("ingest", *inputs, "-", "--db", db, stdin=stdin, env=env)
    assert r.returncode == 3
    _check(rejections(r.stderr), {**expected, **stdin_expected})
    n_ok = ok + sum(1 for v in stdin_expected.values() if v == "ok")
    summary = json.loads(r.stderr.decode().strip().splitlines()[-1])
    duplicates = summary["already_present"]  # identical texts under two names (stdin repeats some lines' text)
    assert summary["stored"] + duplicates == n_ok
    assert n_articles(db) == 3 + summary["stored"]
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        ids = set(conn.execute(sa.text("SELECT article_id FROM articles")).scalars())
        assert conn.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
        langs = dict(conn.execute(sa.text("SELECT article_id, language FROM articles")).all())
    engine.dispose()
    assert {"dir/with/slashes", "../../etc/passwd", "' OR 1=1; --", "<script>alert(1)</script>", "x" * 512,
            "ok-plain", "nested ok", "stdin-last", "before-0", "before-2"} <= ids
    assert langs["ok-ar"] == "ar" and langs["ok-plain"] == "en" and langs["cp1256-with-meta"] == "ar"
    again = run("ingest", *inputs, "-", "--db", db, stdin=stdin, env=env)
    s2 = json.loads(again.stderr.decode().strip().splitlines()[-1])
    assert s2["stored"] == 0 and s2["articles"] == summary["articles"] and s2["events"] == summary["events"]
