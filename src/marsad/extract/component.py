"""The `marsad_events` spaCy component: codes every sentence (events.py), then resolves anaphoric parties
across the article (coref.py). Assigns `doc._.event_mentions` and `doc.spans["events"]`."""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from .coref import carry_addressees, retaliation_targets
from .coref import resolve as resolve_anaphors
from .events import Mention, code_sentence, doc_index, load_lexicon, quote_spans

if not Doc.has_extension("event_mentions"):
    Doc.set_extension("event_mentions", default=None)


class EventCoder:
    """spaCy component: codes every sentence; assigns `doc._.event_mentions` and `doc.spans["events"]`."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.lexicon = load_lexicon()

    def __call__(self, doc: Doc) -> Doc:
        mentions = self.predict(doc)
        self.set_annotations(doc, mentions)
        return doc

    def predict(self, doc: Doc) -> list[Mention]:
        quotes = quote_spans(doc)
        mentions = [m for sent in doc_index(doc).sents for m in code_sentence(sent, self.lexicon, quotes)]
        resolve_anaphors(doc, mentions, self.lexicon)
        carry_addressees(doc, mentions)
        retaliation_targets(doc, mentions)
        return mentions

    def set_annotations(self, doc: Doc, mentions: list[Mention]) -> None:
        doc._.event_mentions = mentions
        doc.spans["events"] = [Span(doc, m.trigger.i, m.trigger.i + 1, label=m.event_type) for m in mentions]


@Language.factory("marsad_events", assigns=["doc._.event_mentions", "doc.spans"],
                  requires=["token.dep", "token.lemma", "doc.ents"])
def make_event_coder(nlp: Language, name: str) -> EventCoder:
    return EventCoder(nlp, name)
