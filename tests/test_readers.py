"""Input reading: every kind of bad input becomes a coded Rejection and the good inputs around it survive."""
from __future__ import annotations

import io
import json
import os
from datetime import date

import pytest

from marsad.errors import CATALOGUE, Rejection
from marsad.ingest.readers import read_inputs
from marsad.models import Article


def _read(*args, **kw) -> tuple[list[Article], list[Rejection]]:
    items = list(read_inputs(*args, **kw))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Rejection)]


def test_txt_file_id_is_stem_and_defaults_apply(tmp_path):
    f = tmp_path / "report-7.txt"
    f.write_text("Protesters gathered in Basra on Friday.", encoding="utf-8")
    arts, rej = _read([str(f)], published=date(2025, 6, 20), source="Test Wire")
    assert rej == []
    assert arts[0].id == "report-7" and arts[0].published == date(2025, 6, 20) and arts[0].source == "Test Wire"


@pytest.mark.parametrize("name, content, code", [
    ("bin.txt", b"\x00\x01\x02binary", "E102"),
    ("empty.txt", b"   \n", "E103"),
    ("latin1.txt", "caf\xe9".encode("latin-1"), "E107"),
    ("notes.pdf", b"%PDF-1.4", "E106"),
])
def test_bad_files_are_rejected_with_their_code(tmp_path, name, content, code):
    bad = tmp_path / name
    bad.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text("Iran launched drones at Israel.", encoding="utf-8")
    arts, rej = _read([str(bad), str(good)])
    assert [a.id for a in arts] == ["good"]
    assert [(r.input, r.code) for r in rej] == [(str(bad), code)]
    assert code in CATALOGUE


def test_missing_and_unreadable_files(tmp_path):
    locked = tmp_path / "locked.txt"
    locked.write_text("text", encoding="utf-8")
    locked.chmod(0)
    arts, rej = _read([str(tmp_path / "nope.txt"), str(locked)])
    assert arts == [] or os.geteuid() == 0  # root can read a mode-0 file
    assert rej[0].code == "E101" and rej[0].input.endswith("nope.txt")


def test_jsonl_bad_lines_are_rejected_and_the_rest_read():
    lines = [
        json.dumps({"id": "a", "text": "Kataib Hezbollah threatened US bases.", "published": "2025-06-15"}),
        "{not json",
        json.dumps({"id": "b"}),
        json.dumps(["a list"]),
        json.dumps({"id": "c", "text": "x", "published": "last week"}),
        "",
        json.dumps({"id": 7, "html": "<html><body><p>Protesters rallied in Baghdad against the strikes.</p>"
                                     "</body></html>"}),
    ]
    arts, rej = _read(["-"], stdin=io.StringIO("\n".join(lines) + "\n"))
    assert [a.id for a in arts] == ["a", "7"]
    assert arts[0].published == date(2025, 6, 15)
    assert "Protesters rallied" in arts[1].text
    assert [(r.input, r.code) for r in rej] == [("<stdin>:2", "E104"), ("<stdin>:3", "E105"),
                                                 ("<stdin>:4", "E105"), ("<stdin>:5", "E105")]


def test_directory_is_read_recursively_with_meta_sidecar(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("B text.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("A text.", encoding="utf-8")
    (tmp_path / "skip.md").write_text("not an article", encoding="utf-8")
    (tmp_path / "meta.jsonl").write_text(json.dumps({"id": "a", "published": "2025-06-19", "title": "T"}) + "\n",
                                         encoding="utf-8")
    arts, rej = _read([str(tmp_path)])
    assert rej == []
    assert [a.id for a in arts] == ["a", "b"]
    assert arts[0].published == date(2025, 6, 19) and arts[0].title == "T"
    assert arts[1].published is None


def test_html_file_keeps_title_and_main_text(tmp_path):
    f = tmp_path / "page.html"
    f.write_text("<html><head><title>Drone downed near Erbil</title></head><body><nav>Home | World</nav>"
                 "<article><p>A suspected drone was shot down early Monday near the US consulate in Erbil, "
                 "officials said, in the second such incident this week.</p></article></body></html>",
                 encoding="utf-8")
    arts, rej = _read([str(f)])
    assert rej == [] and "shot down early Monday" in arts[0].text
    assert arts[0].title == "Drone downed near Erbil" and arts[0].id == "page"


def test_html_page_metadata_fills_what_the_record_lacks(tmp_path):
    from marsad.ingest.readers import record_to_article

    html = ('<html lang="en"><head><title>Drone downed over Erbil</title>'
            '<meta property="og:site_name" content="Kurdistan Wire">'
            '<meta property="article:published_time" content="2025-06-16T08:00:00Z"></head>'
            '<body><article><p>A suspected drone was shot down early Monday near the US consulate in Erbil, '
            'security officials said. No casualties were reported in the incident.</p></article></body></html>')
    art = record_to_article({"id": "p1", "html": html}, "t", {})
    assert art.title == "Drone downed over Erbil" and art.source == "Kurdistan Wire"
    assert str(art.published) == "2025-06-16"
    assert record_to_article({"id": "p2", "html": html, "source": "Mine"}, "t", {}).source == "Mine"
