"""atheris: feed documents through marsad.ingest.feeds.parse_feed and entry_to_article."""
import atheris

with atheris.instrument_imports(include=["marsad"]):
    from marsad.errors import CATALOGUE, Rejection
    from marsad.ingest.feeds import FeedError, entry_to_article, parse_feed

from _common import argv


def one(data: bytes) -> None:
    try:
        feed = parse_feed(data, "http://fuzz.test/feed")
    except FeedError as exc:
        assert exc.code == "E607"
        return
    for entry in feed.entries[:20]:
        item = entry_to_article(entry, "fuzz", "fuzz")
        if isinstance(item, Rejection):
            assert item.code in CATALOGUE


if __name__ == "__main__":
    atheris.Setup(argv("feeds"), one)
    atheris.Fuzz()
