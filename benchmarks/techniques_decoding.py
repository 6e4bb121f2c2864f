"""Span decoding of the techniques tagger: how word probabilities become spans, compared on the
shipped tagger's own threshold and validation articles.

    python benchmarks/techniques_decoding.py [--data DIR] [--model DIR] [--cache FILE]
    python benchmarks/techniques_decoding.py --fold K [--work DIR] --cache FILE

The tagger (its fine-tuned layers and head) is the shipped one, or the one `--model` names
(give each its own `--cache`); only the decoding varies. For
each variant, every technique's threshold is chosen on the 59 threshold (tune) articles, as
`spinscope train techniques` chooses it (`spinscope.train.techniques.choose_thresholds`), and the
whole layer (tagger spans merged with the rule hits, as `shown_techniques` merges them) is
scored on the 85 validation articles with the official span and paragraph scorers. The tune
figure is what a variant is chosen by; the validation figure is reported beside it. Last, the
growth `train` itself would choose on the tune articles (`choose_decoding`: the tagger's spans
alone, best label-matched span F1).

With `--fold K`, the same inside outer fold K of `benchmarks/techniques_cv.py`: the tagger and
word lists that fold trained (in `--work`), thresholds chosen on its threshold articles, and
its held-out articles scored in place of the validation split (nested cross-validation of the
decoding, for the folds trained).
"""

from __future__ import annotations

import argparse
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import techniques_cv
from spacy.lang.en.stop_words import STOP_WORDS

from spinscope.document import Article
from spinscope.evaluate.semeval import TechniquesGold, TechniqueSpan, read_techniques_dir
from spinscope.evaluate.techniques import paragraphs_from_spans, score_paragraphs, score_spans
from spinscope.layers.techniques import LAYERS_FILE, Decoding, decode, merge, tagger
from spinscope.layers.techniques import rules as technique_rules
from spinscope.ml.heads import Head, read_head
from spinscope.ml.tagger import Tagger
from spinscope.ml.transformer import read_tuned_layers
from spinscope.parse import load_nlp, parse
from spinscope.train.split import three_way
from spinscope.train.techniques import Tagged, choose_decoding, choose_thresholds

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2023-en" / "techniques"
)


@dataclass
class Prepared:
    """What decoding needs of one article, computed once."""

    words: Any  # WordFeatures
    probabilities: Any
    sentences: list[Any]
    rule_hits: list[tuple[str, int, int]]


def load(model: Path | None) -> Tagger:
    """The tagger in `model` (a directory `spinscope train techniques --out` wrote), else the
    shipped one."""
    if model is None:
        return tagger()
    return Tagger(read_head(model / "tagger.npz"), read_tuned_layers(model / LAYERS_FILE))


def prepare(
    gold: TechniquesGold, ids: list[str], cache: Path, shipped: Tagger
) -> dict[str, Prepared]:
    if cache.exists():
        found: dict[str, Prepared] = pickle.loads(cache.read_bytes())
        if set(ids) <= set(found):
            return found
    nlp = load_nlp()
    found = {}
    for aid in ids:
        parsed = parse(Article(id=aid, text=gold.texts[aid]), nlp)
        words = shipped.features(parsed)
        found[aid] = Prepared(
            words,
            shipped.head.predict_proba(words.X),
            list(parsed.sentences),
            [(h.technique, h.start, h.end) for h in technique_rules.find(parsed.text, parsed.doc)],
        )
    cache.write_bytes(pickle.dumps(found))
    return found


@dataclass(frozen=True)
class Variant:
    """A decoding (`spinscope.layers.techniques.Decoding`) and whether function words and
    punctuation at a span's ends are then trimmed ("slaughter the" → "slaughter")."""

    decoding: Decoding = field(default_factory=Decoding)
    trim: bool = False


def trimmed(prepared: Prepared, text: str, start: int, end: int) -> tuple[int, int]:
    """A span without the function words and punctuation at its ends."""
    inside = [
        (s, e)
        for s, e in zip(prepared.words.starts.tolist(), prepared.words.ends.tolist(), strict=True)
        if start <= s and e <= end
    ]
    content = [(s, e) for s, e in inside if not _function(text[s:e])]
    return (content[0][0], content[-1][1]) if content else (start, end)


def _function(word: str) -> bool:
    return not any(c.isalnum() for c in word) or word.lower() in STOP_WORDS


def tagger_spans(
    head: Head, prepared: Prepared, thresholds: list[float], variant: Variant, text: str
) -> list[tuple[str, int, int]]:
    spans = []
    for t, s, e, _ in decode(
        prepared.words,
        prepared.probabilities,
        head.labels,
        thresholds,
        prepared.sentences,
        head.meta.get("sentence_techniques", ()),
        variant.decoding,
    ):
        if variant.trim and t not in head.meta.get("sentence_techniques", ()):
            s, e = trimmed(prepared, text, s, e)
        spans.append((t, s, e))
    return spans


def layer_spans(
    head: Head, prepared: Prepared, thresholds: list[float], variant: Variant, text: str
) -> list[TechniqueSpan]:
    """The layer's spans: tagger spans under `variant`, merged with rule hits of the same
    technique where they overlap (as `shown_techniques` merges them)."""
    spans = [*tagger_spans(head, prepared, thresholds, variant, text), *prepared.rule_hits]
    # scores do not change where spans end, so every candidate gets the same one
    merged = merge([(t, s, e, 0.0, "", None) for t, s, e in spans])
    return [TechniqueSpan(s, e, t) for t, s, e, *_ in merged]


def scores(gold: TechniquesGold, found: dict[str, list[TechniqueSpan]]) -> tuple[float, ...]:
    spans = score_spans(gold, found)
    paragraphs = score_paragraphs(gold, paragraphs_from_spans(gold.texts, found))
    return spans.identification_f1, spans.f1, paragraphs.micro_f1


VARIANTS = {
    "shipped until issue 17 (runs over the threshold, gap 2)": Variant(),
    "trim function words at the ends": Variant(trim=True),
    "grow over words >= 0.3 x threshold": Variant(Decoding(grow=0.3)),
    "grow 0.4": Variant(Decoding(grow=0.4)),
    "grow 0.5": Variant(Decoding(grow=0.5)),
    "grow 0.6": Variant(Decoding(grow=0.6)),
    "grow 0.7": Variant(Decoding(grow=0.7)),
    "grow 0.4, gap 4": Variant(Decoding(grow=0.4, gap=4)),
    "grow 0.4 + trim": Variant(Decoding(grow=0.4), trim=True),
    "gap 0": Variant(Decoding(gap=0)),
    "gap 0 + trim": Variant(Decoding(gap=0), trim=True),
    "gap 4": Variant(Decoding(gap=4)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--model", type=Path, help="a trained tagger's directory (default: shipped)"
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/techniques-decoding.pkl"))
    parser.add_argument("--fold", type=int, help="an outer fold of benchmarks/techniques_cv.py")
    parser.add_argument("--work", type=Path, default=techniques_cv.WORK)
    args = parser.parse_args()
    started = time.monotonic()
    gold = read_techniques_dir(args.data)
    held_out = None
    if args.fold is not None:
        if not 0 <= args.fold < techniques_cv.FOLDS:
            parser.error(f"--fold {args.fold}: the folds are 0 to {techniques_cv.FOLDS - 1}")
        held_out = set(techniques_cv.folds(list(gold.texts))[args.fold])
        args.model = args.work / f"fold-{args.fold}"
        techniques_cv.use_lexicons(args.model)
    if args.model is not None and not (args.model / "tagger.npz").exists():
        parser.error(
            f"{args.model}: no trained tagger there (tagger.npz); train it with "
            "benchmarks/techniques_cv.py --folds K or spinscope train techniques --out DIR"
        )
    _, tune_ids, validation_ids = three_way(gold.texts, held_out=held_out)
    model = load(args.model)
    prepared = prepare(gold, [*tune_ids, *validation_ids], args.cache, model)
    took = time.monotonic() - started
    print(f"prepared {len(tune_ids)} + {len(validation_ids)} articles in {took:.0f} s")
    head = model.head
    tune, validation = gold.subset(tune_ids), gold.subset(validation_ids)
    print("variant | tune: unlabelled / labelled / paragraph | validation: the same")
    tagged = Tagged(
        tune,
        head,
        {aid: prepared[aid].words for aid in tune_ids},
        {aid: prepared[aid].probabilities for aid in tune_ids},
        {aid: prepared[aid].sentences for aid in tune_ids},
    )
    for name, variant in VARIANTS.items():
        thresholds = choose_thresholds(tagged, variant.decoding)
        figures = []
        for part in (tune, validation):
            found = {
                aid: layer_spans(head, prepared[aid], thresholds, variant, gold.texts[aid])
                for aid in part.texts
            }
            figures.append(scores(part, found))
        print(
            f"{name} | "
            + " | ".join(" / ".join(f"{x:.3f}" for x in f) for f in figures)
            + f" | never: {sum(t > 1 for t in thresholds)}",
            flush=True,
        )
    chosen, _ = choose_decoding(tagged)
    print(f"spinscope train techniques would choose: {chosen}")
    print(f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
