"""atheris: JSONL lines and whole files through marsad.ingest.readers (never an exception)."""
import io
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["marsad"]):
    from marsad.errors import CATALOGUE, Rejection
    from marsad.ingest.readers import read_file, read_jsonl
    from marsad.models import Article

from _common import argv

TMP = Path(tempfile.mkdtemp(prefix="fuzz-readers-"))
SUFFIXES = [".txt", ".html", ".jsonl"]


def check(items) -> None:
    for item in items:
        if isinstance(item, Rejection):
            assert item.code in CATALOGUE, item
        else:
            assert isinstance(item, Article) and "\x00" not in item.text
            item.text.encode("utf-8")


def one(data: bytes) -> None:
    if not data:
        return
    check(read_jsonl(io.BytesIO(data[1:]), "<fuzz>", {}))
    path = TMP / f"x{SUFFIXES[data[0] % 3]}"
    path.write_bytes(data[1:])
    check(read_file(path, {}))


if __name__ == "__main__":
    atheris.Setup(argv("readers"), one)
    atheris.Fuzz()
