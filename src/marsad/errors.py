"""The error catalogue: stable codes for everything a user can get wrong, and the exceptions that carry them."""
from __future__ import annotations

from dataclasses import dataclass

# code -> short meaning. Codes are part of the public interface (printed in rejection lines): never reuse one.
CATALOGUE: dict[str, str] = {
    "E101": "input not found or unreadable",
    "E102": "input is binary, not text",
    "E103": "input is empty",
    "E104": "invalid JSON line",
    "E105": "JSON record lacks a required field or has a wrong type",
    "E106": "unsupported file extension",
    "E107": "input text is not valid UTF-8",
    "E201": "article could not be processed",
    "E301": "database error",
    "E302": "invalid actor registry entry",
    "E401": "not implemented yet",
    "E402": "an optional dependency is missing (install the extra the message names)",
    "E501": "cannot listen on the requested address",
    # sources (feeds, pages over HTTP) and input limits: marsad.ingest
    "E108": "input is too large (over the size limit)",
    "E109": "JSON record has a hostile or out-of-range field value",
    "E601": "fetch failed: network error or timeout (after retries)",
    "E602": "fetch failed: the server answered with an HTTP error status",
    "E603": "fetch refused: disallowed by the site's robots.txt",
    "E604": "fetch refused: the response is larger than the size limit",
    "E605": "fetch refused: unexpected content type",
    "E606": "fetch refused: too many redirects or a redirect loop",
    "E607": "malformed feed: not RSS or Atom, or no readable entries",
    "E608": "invalid feeds file (watch configuration)",
    # scaling out: marsad.scale (workers, Ray, Parquet shards)
    "E110": "Parquet file unreadable or not of a known shard schema",
    "E701": "invalid scaling options (--workers, --engine, --resume)",
    "E702": "the Ray run failed (cluster unreachable, a task failed)",
}


class MarsadError(Exception):
    """An error with a catalogue code; the CLI prints it as a JSON line, never as a traceback."""

    code = "E201"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
        assert self.code in CATALOGUE, self.code

    @property
    def message(self) -> str:
        return str(self)


class InputError(MarsadError):
    code = "E101"


class NotImplementedYet(MarsadError):
    code = "E401"


@dataclass(frozen=True)
class Rejection:
    """One rejected input: `{"input", "error": {"code", "message"}}` on stderr (CONTRACT.md)."""

    input: str
    code: str
    message: str

    def to_json(self) -> dict:
        return {"input": self.input, "error": {"code": self.code, "message": self.message}}
