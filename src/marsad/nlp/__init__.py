"""Build marsad's spaCy pipeline: the configured English model, an entity ruler fed by the actor registry,
and marsad's own components (registered as spaCy factories so `nlp.pipe` runs them in one pass)."""
from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

from ..errors import MarsadError
from ..resolve.registry import load_registry

# The components marsad reads; the rest of a pipeline is disabled at load time for speed.
_NEEDED = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")


def _ruler_patterns() -> list[dict]:
    """Registry names as entity patterns: the small English model tags 'Kataib Hezbollah' as PERSON."""
    reg = load_registry()
    patterns = []
    for e in reg.by_id.values():
        if e.kind == "state":
            continue
        label = "PERSON" if e.kind == "person" else "ORG"
        for name in {e.name, *e.aliases}:
            if len(name) > 3 or name.isupper():  # short lowercase aliases are too ambiguous to tag
                patterns.append({"label": label, "pattern": name, "id": e.id})
    return patterns


@lru_cache(maxsize=4)
def load_pipeline(model: str) -> Language:
    """Load `model` (a pipeline package name or path) and add marsad's components. Cached per process."""
    from ..extract import component  # noqa: F401  (registers the factory)
    from ..geo import geoparse  # noqa: F401  (registers marsad_places)

    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise MarsadError(f"cannot load spaCy pipeline {model!r}: {exc}. Install it with pip (see README).",
                          code="E201") from exc
    for name in nlp.pipe_names:
        if name not in _NEEDED:
            nlp.disable_pipe(name)
    ruler = nlp.add_pipe("entity_ruler", before="ner" if "ner" in nlp.pipe_names else None,
                         config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(_ruler_patterns())
    if "parser" in nlp.pipe_names:
        nlp.add_pipe("marsad_paragraphs", before="parser")
    if "ner" in nlp.pipe_names:
        nlp.add_pipe("marsad_places", after="ner")  # Doc._.places: the resolved place names
    nlp.add_pipe("marsad_events", last=True)
    return nlp


@Language.component("marsad_paragraphs")
def paragraph_boundaries(doc):
    """A line break ends a sentence: headlines, bylines and paragraphs never run into the next one."""
    for tok in doc[1:]:
        if "\n" in doc[tok.i - 1].text or "\n" in doc[tok.i - 1].whitespace_:
            tok.is_sent_start = True
    return doc
