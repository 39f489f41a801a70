"""atheris: HTML pages through marsad.ingest.readers.extract_page (trafilatura + fallbacks)."""
import atheris

with atheris.instrument_imports(include=["marsad"]):
    from marsad.ingest.readers import decode_html, extract_page

from _common import argv


def one(data: bytes) -> None:
    html = decode_html(data)
    if html is None:
        html = data.decode("utf-8", "replace")
    page = extract_page(html)
    assert "\x00" not in page.text
    page.text.encode("utf-8")


if __name__ == "__main__":
    atheris.Setup(argv("html"), one)
    atheris.Fuzz()
