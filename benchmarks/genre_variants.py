"""Ways to find more `reporting` articles, compared by nested cross-validation of genre.

    python benchmarks/genre_variants.py [--data DIR] [--polnear DIR] [--seeds N] [--tfidf]

Genre macro-F1 of `spinscope train frames` is barely above always answering opinion (0.337
against 0.317, `benchmarks/frames_cv.py`): the English training data has 319 opinion, 30
reporting and 2 satire articles. Each variant here is scored as `frames_cv.py` scores the
shipped procedure (5 outer folds over all 351 articles, `--seeds` shuffles; what a variant
chooses, it chooses on 5-fold out-of-fold predictions inside the outer fold's training part):

- shipped: balanced logistic regression over `document_features`, C 0.1, the most likely genre;
- reporting weight: the reporting probability multiplied by a weight (0.25 … 8) chosen inside;
- C chosen inside (0.003, 0.01, 0.03, 0.1), with or without the weight;
- text statistics appended to the features: the share of sentences with a quotation mark, with
  an attribution verb ("said", "told", "according to" …), with a first- or a second-person
  pronoun, with "?" or "!", and the log of the number of sentences;
- PolNeAR news articles (2016 US election coverage: wire copy from AP, UPI, AFP and Reuters,
  and a seeded sample from NYT, USA Today, Politico and the Washington Post) added to the
  training part of every fold as `reporting`, never to the scored fold;
- `--tfidf`: TF-IDF words (1-2 grams) or characters (3-5 grams) with a balanced logistic
  regression instead of the encoder (C 0.3 … 30).

Printed first: how well each text statistic alone ranks reporting articles above the rest
(AUC); then per variant: macro-F1 (mean and per seed), accuracy, and reporting predictions
right / made.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from spinscope.arrays import Matrix
from spinscope.evaluate.frames import read_genre_framing_dir, score_genres
from spinscope.ml.features import document_features
from spinscope.taxonomy import GENRES
from spinscope.train.common import article_sentences, fit_logistic

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REPORTING = GENRES.index("reporting")
WEIGHTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
STRENGTHS = (0.003, 0.01, 0.03, 0.1)
WIRES = ("AP", "UPI", "AFP", "reuters", "Reuters")
MAINSTREAM = ("nyt", "usa-today", "politico", "wash-post")

QUOTE = re.compile(r"[“”\"]|(?<!\w)[‘’']|[‘’'](?!\w)")
SAID = re.compile(r"\b(said|says|told|according to|stated|added|reported|announced)\b", re.I)
FIRST = re.compile(r"\b(I|we|our|us|my|me|ours|myself|ourselves)\b")
SECOND = re.compile(r"\b(you|your|yours)\b", re.I)


def text_statistics(text: str) -> Matrix:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]
    n = max(len(sentences), 1)

    def share(test: Callable[[str], object]) -> float:
        return sum(bool(test(s)) for s in sentences) / n

    return np.array(
        [
            share(QUOTE.search),
            share(SAID.search),
            share(FIRST.search),
            share(SECOND.search),
            share(lambda s: "?" in s or "!" in s),
            np.log(n),
        ],
        np.float32,
    )


def polnear_news(root: Path) -> dict[str, list[str]]:
    """PolNeAR texts: the wire copy, and the mainstream outlets' other articles, shuffled."""
    wire, mainstream = [], []
    with (root / "metadata.tsv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            for part in ("train", "dev"):
                path = root / part / "text" / f"{row['filename']}.txt"
                if not path.exists():
                    continue
                if row["wire"] in WIRES:
                    wire.append(path.read_text("utf-8"))
                elif row["publisher"] in MAINSTREAM:
                    mainstream.append(path.read_text("utf-8"))
    random.Random(0).shuffle(mainstream)
    return {"wire": wire, "mainstream": mainstream[:300]}


def onehot(genres: Sequence[str]) -> np.ndarray:
    return np.array([[g == name for name in GENRES] for g in genres], dtype=bool)


def decide(P: Matrix, weight: float) -> list[str]:
    Q = P.copy()
    Q[:, REPORTING] *= weight
    return [GENRES[int(np.argmax(q))] for q in Q]


def macro(truth: Sequence[str], found: Sequence[str]) -> float:
    ids = [str(i) for i in range(len(truth))]
    return score_genres(dict(zip(ids, truth, strict=True)), dict(zip(ids, found, strict=True))).f1


class Variant:
    def __init__(
        self,
        name: str,
        *,
        strengths: Sequence[float] = (0.1,),
        weights: Sequence[float] = (1.0,),
        statistics: bool = False,
        extra: int = 0,
        pool: str = "",
    ) -> None:
        self.name, self.strengths, self.weights = name, strengths, weights
        self.statistics, self.extra, self.pool = statistics, extra, pool

    def fit_predict(
        self, X: Matrix, genres: list[str], X_new: Matrix, X_extra: Matrix | None
    ) -> list[str]:
        P, weight = self.probabilities(X, genres, X_new, X_extra)
        return decide(P, weight)

    def probabilities(
        self, X: Matrix, genres: list[str], X_new: Matrix, X_extra: Matrix | None
    ) -> tuple[Matrix, float]:
        """The genres' probabilities for `X_new` from heads fitted on `X` (and `X_extra` as
        reporting), and the reporting weight chosen."""
        from sklearn.model_selection import KFold

        def head(Xf: Matrix, gf: list[str], C: float):  # type: ignore[no-untyped-def]
            if X_extra is not None:
                Xf, gf = np.vstack([Xf, X_extra]), gf + ["reporting"] * len(X_extra)
            return fit_logistic(Xf, onehot(gf), GENRES, C=C, balanced=True)

        C, weight = self.strengths[0], self.weights[0]
        if len(self.strengths) > 1 or len(self.weights) > 1:
            best = -1.0
            for strength in self.strengths:
                P = np.zeros((len(X), len(GENRES)), np.float32)
                for fit, held in KFold(5, shuffle=True, random_state=0).split(X):
                    P[held] = head(X[fit], [genres[i] for i in fit], strength).predict_proba(
                        X[held]
                    )
                for w in self.weights:
                    f1 = macro(genres, decide(P, w))
                    if f1 > best:
                        best, C, weight = f1, strength, w
        return head(X, genres, C).predict_proba(X_new), weight


VARIANTS = (
    Variant("shipped (C 0.1, the most likely genre)"),
    Variant("reporting weight chosen inside", weights=WEIGHTS),
    Variant("C chosen inside", strengths=STRENGTHS),
    Variant("C and reporting weight chosen inside", strengths=STRENGTHS, weights=WEIGHTS),
    Variant("text statistics appended", statistics=True),
    Variant(
        "text statistics appended, reporting weight chosen inside", statistics=True, weights=WEIGHTS
    ),
    Variant("+ 75 PolNeAR wire articles as reporting", extra=75, pool="wire"),
    Variant("+ 100 PolNeAR mainstream articles", extra=100, pool="mainstream"),
    Variant("+ 300 PolNeAR mainstream articles", extra=300, pool="mainstream"),
    Variant("+ 100 PolNeAR articles (wire and mainstream)", extra=100, pool="all"),
    Variant("+ 200 PolNeAR articles (wire and mainstream)", extra=200, pool="all"),
    Variant("+ 375 PolNeAR articles (wire and mainstream)", extra=375, pool="all"),
    Variant(
        "+ 200 PolNeAR articles, reporting weight chosen inside",
        extra=200,
        pool="all",
        weights=WEIGHTS,
    ),
)


def report(name: str, runs: list[tuple[float, float, int, int]]) -> None:
    f1 = [r[0] for r in runs]
    print(
        f"{np.mean(f1):.3f} ({' '.join(f'{x:.3f}' for x in f1)}) | accuracy "
        f"{np.mean([r[1] for r in runs]):.3f} | reporting right/made "
        f"{' '.join(f'{r[2]}/{r[3]}' for r in runs)} | {name}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA / "semeval2023-en" / "genre-framing")
    parser.add_argument("--polnear", type=Path, default=DATA / "polnear")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tfidf", action="store_true")
    parser.add_argument(
        "--article",
        type=Path,
        help="also print each variant's genre probabilities for this text file, from heads "
        "fitted on all the labelled articles",
    )
    args = parser.parse_args()
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import KFold

    started = time.monotonic()
    gold = read_genre_framing_dir(args.data)
    docs = sorted(doc for doc in gold.texts if doc in gold.genres and doc in gold.frames)
    genres = [gold.genres[doc] for doc in docs]
    texts = [gold.texts[doc] for doc in docs]
    truth = dict(zip(docs, genres, strict=True))
    S = np.vstack([text_statistics(t) for t in texts])
    is_reporting = np.array([g == "reporting" for g in genres])
    names = ("quotation marks", "attribution verbs", "first person", "second person", "? or !")
    aucs = ", ".join(
        f"{name} {roc_auc_score(is_reporting, S[:, j]):.3f}"
        for j, name in enumerate((*names, "log sentences"))
    )
    print(f"how well each text statistic alone ranks reporting above the rest (AUC): {aucs}")
    news = polnear_news(args.polnear)
    pool_texts = news["wire"] + news["mainstream"]
    vectors = article_sentences(
        {
            **dict(zip(docs, texts, strict=True)),
            **{f"polnear{i}": t for i, t in enumerate(pool_texts)},
        },
        print,
    )
    if args.article:
        vectors.update(article_sentences({"article": args.article.read_text("utf-8")}))
    X = np.vstack([document_features(vectors[doc]) for doc in docs])
    XP = np.vstack([document_features(vectors[f"polnear{i}"]) for i in range(len(pool_texts))])
    SP = np.vstack([text_statistics(t) for t in pool_texts])
    wire = list(range(len(news["wire"])))
    pools = {
        "wire": wire,
        "mainstream": list(range(len(wire), len(pool_texts))),
        "all": list(range(len(pool_texts))),
    }
    print(
        f"{len(docs)} articles ({genres.count('reporting')} reporting); PolNeAR: "
        f"{len(news['wire'])} wire, {len(news['mainstream'])} mainstream"
    )
    print("genre macro-F1 (per seed) | accuracy | reporting right/made | variant")
    seeds = range(1, args.seeds + 1)
    for variant in VARIANTS:
        features, extra_features = (
            (np.hstack([X, S]), np.hstack([XP, SP])) if variant.statistics else (X, XP)
        )
        chosen = (
            np.random.default_rng(0).permutation(pools[variant.pool])[: variant.extra]
            if variant.extra
            else []
        )
        X_extra = extra_features[chosen] if len(chosen) else None
        runs = []
        for seed in seeds:
            found: dict[str, str] = {}
            for fit, held in KFold(5, shuffle=True, random_state=seed).split(features):
                answers = variant.fit_predict(
                    features[fit], [genres[i] for i in fit], features[held], X_extra
                )
                found.update((docs[i], g) for i, g in zip(held, answers, strict=True))
            score = score_genres(truth, found)
            right = sum(found[d] == truth[d] == "reporting" for d in docs)
            made = sum(found[d] == "reporting" for d in docs)
            runs.append((score.f1, score.other_f1, right, made))
        report(variant.name, runs)
        if args.article:
            x = document_features(vectors["article"])[None]
            if variant.statistics:
                x = np.hstack([x, text_statistics(args.article.read_text("utf-8"))[None]])
            P, weight = variant.probabilities(features, genres, x, X_extra)
            shown = ", ".join(f"{g} {p:.3f}" for g, p in zip(GENRES, P[0], strict=True))
            print(f"    {args.article.name}: {decide(P, weight)[0]} ({shown}; weight {weight})")
    if args.tfidf:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        y = np.array(genres)
        for analyzer, C in itertools.product(("word", "char_wb"), (0.3, 1.0, 3.0, 10.0, 30.0)):
            runs = []
            for seed in seeds:
                found = {}
                for fit, held in KFold(5, shuffle=True, random_state=seed).split(texts):
                    vectorizer = TfidfVectorizer(
                        min_df=2,
                        sublinear_tf=True,
                        max_features=20000,
                        analyzer=analyzer,
                        ngram_range=(1, 2) if analyzer == "word" else (3, 5),
                    )
                    Z = vectorizer.fit_transform([texts[i] for i in fit])
                    model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
                    model.fit(Z, y[fit])
                    answers = model.predict(vectorizer.transform([texts[i] for i in held]))
                    found.update((docs[i], str(g)) for i, g in zip(held, answers, strict=True))
                score = score_genres(truth, found)
                right = sum(found[d] == truth[d] == "reporting" for d in docs)
                runs.append(
                    (score.f1, score.other_f1, right, sum(g == "reporting" for g in found.values()))
                )
            report(f"TF-IDF {analyzer}, C {C}", runs)
    print(f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
