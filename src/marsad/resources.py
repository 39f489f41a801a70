"""The data files shipped in the package (src/marsad/data): read once, cached."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


def data_text(name: str) -> str:
    """The text of data file `name` (a path below marsad/data)."""
    return resources.files("marsad.data").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=32)
def data_json(name: str) -> dict:
    """A JSON data file as a dict, without its documentation keys (those starting with '_')."""
    return {k: v for k, v in json.loads(data_text(name)).items() if not k.startswith("_")}
