"""Training is reproducible: the same data, seed and limit give the same artifacts and figures.
(The full runs that produced the shipped heads are in docs/benchmarks.md; these use a few
articles so that they take seconds.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from spinscope.errors import DataError
from spinscope.ml.heads import read_head
from spinscope.train import checkworthiness, entities, frames, narratives, techniques
from spinscope.train.split import INNER_SEED, is_validation, split, three_way


def same_heads(a: Path, b: Path) -> None:
    first, second = read_head(a), read_head(b)
    assert first.labels == second.labels
    for x, y in zip(
        (*first.weights, first.thresholds), (*second.weights, second.thresholds), strict=False
    ):
        assert np.array_equal(x, y)


def test_the_split_is_by_id_and_stable() -> None:
    ids = [str(i) for i in range(1000)]
    train, validation = split(ids)
    assert not set(train) & set(validation)
    assert 150 < len(validation) < 250
    assert split(list(reversed(ids))) == (train, validation)
    assert all(is_validation(i) for i in validation)


def test_held_out_articles_replace_the_validation_split_and_nothing_else() -> None:
    """What the cross-validation and publisher-out benchmarks rely on: the articles held out
    are exactly the validation ones, and the rest are fit and tune articles as always."""
    ids = [str(i) for i in range(1000)]
    held_out = {str(i) for i in range(0, 1000, 7)}
    fit, tune, validation = three_way(ids, held_out=held_out)
    assert set(validation) == held_out
    assert set(fit) | set(tune) == set(ids) - held_out and not set(fit) & set(tune)
    assert all(is_validation(i, seed=INNER_SEED) for i in tune)
    usual_fit, usual_tune, _ = three_way(ids)
    assert set(usual_fit) - held_out <= set(fit) and set(usual_tune) - held_out <= set(tune)


def test_techniques_training_is_reproducible(
    shared_data: Path, torch: object, tmp_path: Path
) -> None:
    data = shared_data / "semeval2023-en" / "techniques"
    cards = [techniques.train(data, tmp_path / name, limit=6) for name in ("a", "b")]
    same_heads(tmp_path / "a" / "tagger.npz", tmp_path / "b" / "tagger.npz")
    layers = [dict(np.load(tmp_path / name / "tagger-layers.npz")) for name in ("a", "b")]
    assert layers[0].keys() == layers[1].keys()
    assert all(np.array_equal(layers[0][k], layers[1][k]) for k in layers[0])
    assert cards[0]["validation"] == cards[1]["validation"]
    written = json.loads((tmp_path / "a" / "card.json").read_text())
    assert written["split"]["validation_articles"] == 6
    assert set(written["validation"]) >= {"span_identification", "span_labelled", "paragraph"}
    assert "Validation figures" in (tmp_path / "a" / "MODEL_CARD.md").read_text()


def test_checkworthiness_training_is_reproducible(shared_data: Path, tmp_path: Path) -> None:
    data = shared_data / "checkthat2024-en"
    cards = [checkworthiness.train(data, tmp_path / name, limit=60) for name in ("a", "b")]
    same_heads(tmp_path / "a" / "head.npz", tmp_path / "b" / "head.npz")
    assert cards[0]["validation"] == cards[1]["validation"]
    assert cards[0]["split"]["validation_sentences"] == 60


def test_narratives_training_is_reproducible(shared_data: Path, tmp_path: Path) -> None:
    data = shared_data / "semeval2025-en"
    cards = [narratives.train(data, tmp_path / name, limit=6) for name in ("a", "b")]
    for head in ("narratives.npz", "subnarratives.npz"):
        same_heads(tmp_path / "a" / head, tmp_path / "b" / head)
    assert cards[0]["validation"] == cards[1]["validation"]
    assert cards[0]["model"]["rules"] == cards[1]["model"]["rules"]
    assert cards[0]["split"]["validation_articles"] == 6
    assert "all_other_coarse_f1" in cards[0]["validation"]
    assert "**validation**" in (tmp_path / "a" / "MODEL_CARD.md").read_text()


def test_frames_training_is_reproducible(shared_data: Path, tmp_path: Path) -> None:
    data = shared_data / "semeval2023-en" / "genre-framing"
    cards = [frames.train(data, tmp_path / name, limit=4) for name in ("a", "b")]
    for head in ("genre.npz", "frames.npz"):
        same_heads(tmp_path / "a" / head, tmp_path / "b" / head)
    assert cards[0]["validation"] == cards[1]["validation"]
    assert set(cards[0]["validation"]) >= {"genre_macro_f1", "frames_micro_f1"}


def test_entities_training_is_reproducible(shared_data: Path, tmp_path: Path) -> None:
    data = shared_data / "semeval2025-en"
    cards = [entities.train(data, tmp_path / name, limit=3) for name in ("a", "b")]
    for head in ("cast", "main", "fine"):
        same_heads(tmp_path / "a" / f"{head}.npz", tmp_path / "b" / f"{head}.npz")
    assert cards[0]["validation"] == cards[1]["validation"]
    assert cards[0]["split"]["validation_articles"] == 3
    assert "always Antagonist" in (tmp_path / "a" / "MODEL_CARD.md").read_text()


def test_entities_nested_cross_validation_scores_every_mention_once(
    shared_data: Path, tmp_path: Path
) -> None:
    """On 10 annotated articles and 2 outer folds: every gold mention gets one role from heads
    fitted on the other fold, and the baseline says Antagonist."""
    source = shared_data / "semeval2025-en"
    lines = (source / "subtask-1-annotations.txt").read_bytes().splitlines(keepends=True)
    docs = sorted({line.split(b"\t")[0].decode() for line in lines if line.strip()})[:10]
    (tmp_path / "documents").mkdir()
    for doc in docs:
        (tmp_path / "documents" / doc).write_bytes((source / "documents" / doc).read_bytes())
    kept = [line for line in lines if line.split(b"\t")[0].decode() in docs]
    (tmp_path / "subtask-1-annotations.txt").write_bytes(b"".join(kept))
    (run,) = entities.cross_validate(tmp_path, folds=2, seeds=(1,))
    assert len(run.gold) == len(kept) and {m.doc for m in run.gold} == set(docs)
    assert sorted(m.key for m in run.predicted) == sorted(m.key for m in run.gold)
    assert all(m.main in entities.MAIN_ROLES for m in run.predicted)
    assert {m.main for m in run.baseline} == {"Antagonist"}


def test_frames_nested_cross_validation_answers_every_article_once(
    shared_data: Path, tmp_path: Path
) -> None:
    """On 20 labelled articles and 4 outer folds: every article gets one genre and its frames
    from heads fitted on the other folds, each shown finding a calibrated score; a rerun gives
    the same."""
    source = shared_data / "semeval2023-en" / "genre-framing"
    genre_lines = (source / "genre-labels.txt").read_text("utf-8").splitlines()[:20]
    docs = [line.split("\t")[0] for line in genre_lines]
    frame_lines = [
        line
        for line in (source / "frame-labels.txt").read_text("utf-8").splitlines()
        if line.split("\t")[0] in docs
    ]
    (tmp_path / "articles").mkdir()
    for doc in docs:
        name = f"article{doc}.txt"
        (tmp_path / "articles" / name).write_bytes((source / "articles" / name).read_bytes())
    (tmp_path / "genre-labels.txt").write_text("\n".join(genre_lines) + "\n", "utf-8")
    (tmp_path / "frame-labels.txt").write_text("\n".join(frame_lines) + "\n", "utf-8")
    first, again = (frames.cross_validate(tmp_path, folds=4, seeds=(1,)) for _ in range(2))
    (run,) = first
    assert set(run.genres) == set(run.frames) == set(run.baseline_genres) == set(docs)
    assert len(run.genre_scores) == len(run.genre_correct) == len(docs)
    assert len(run.frame_scores) == sum(len(found) for found in run.frames.values())
    assert all(0 <= p <= 1 for p in run.genre_scores + run.frame_scores)
    assert first == again


def test_the_fine_tuned_tagger_runs_as_it_trained_in_torch(torch: Any) -> None:
    """What training optimises (torch, float32) is what the layer computes at run time
    (onnxruntime, int8 products): the same probabilities for every word, to within the int8
    rounding (at most about 0.003 here)."""
    from spinscope.document import Article
    from spinscope.ml.features import words
    from spinscope.ml.tagger import Tagger
    from spinscope.ml.transformer import TunedLayers
    from spinscope.parse import load_nlp, parse
    from spinscope.train import finetune

    text = (Path(finetune.__file__).parents[1] / "data" / "sample.txt").read_text()
    parsed = parse(Article(id="sample", text=text), load_nlp())
    found = words(parsed)
    labels = ("Loaded_Language", "Doubt")
    y = np.zeros((len(found.starts), 2), dtype=bool)
    y[::7, 0] = y[::11, 1] = True
    torch.manual_seed(0)
    model = finetune._new_tagger(finetune.Recipe(), len(labels))
    model.eval()
    units = [u for u in finetune._units(parsed, found, y) if u.pieces]
    with torch.no_grad():
        trained = torch.sigmoid(model(finetune._batch(units))).numpy()
    tagger = Tagger(model.head_export(labels), TunedLayers(model.export()))
    assert len(units) > 3 and len(found.starts) > 100
    assert np.abs(tagger.head.predict_proba(tagger.features(parsed).X) - trained).max() < 0.01


def test_training_refuses_a_directory_without_span_gold(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "article1.txt").write_text("Title\n\nBody.\n")
    (tmp_path / "paragraph-labels.txt").write_text("1\t1\t\n1\t3\t\n")
    with pytest.raises(DataError, match="no span-level gold"):
        techniques.train(tmp_path, tmp_path / "out")


def test_train_command_names_a_missing_data_directory(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from spinscope.cli import app

    result = CliRunner().invoke(
        app, ["train", "techniques", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "nowhere" in result.output


def test_train_quotes_command_reads_only_train(
    shared_data: Path, torch: object, tmp_path: Path
) -> None:
    """`spinscope train quotes --data ROOT` trains from ROOT/train: a dev/ folder that cannot be
    read as gold (an article without annotations) is not touched."""
    from typer.testing import CliRunner

    from spinscope.cli import app

    root = tmp_path / "polnear"
    root.mkdir()
    (root / "train").symlink_to(shared_data / "polnear" / "train", target_is_directory=True)
    (root / "dev" / "text").mkdir(parents=True)
    (root / "dev" / "attributions").mkdir()
    (root / "dev" / "text" / "unannotated.txt").write_text("Nobody said anything.\n")
    runs = [
        CliRunner().invoke(
            app,
            ["train", "quotes", "--data", str(root), "--out", str(tmp_path / name), "--limit", "2"],
        )
        for name in ("a", "b")
    ]
    for result in runs:
        assert result.exit_code == 0, result.output
    same_heads(tmp_path / "a" / "attribution.npz", tmp_path / "b" / "attribution.npz")
    card = json.loads((tmp_path / "a" / "card.json").read_text())
    assert card["data"] == str(root / "train")
    assert card["split"]["validation_articles"] == 2
    assert set(card["validation"]) == {"rules", "rules+tagger"}
    assert card == {
        **json.loads((tmp_path / "b" / "card.json").read_text()),
        "date": card["date"],
        "training_seconds": card["training_seconds"],
    }


def test_a_head_round_trips_and_a_missing_one_says_how_to_train(tmp_path: Path) -> None:
    from spinscope.errors import ModelError
    from spinscope.ml.heads import Head, load_head

    rng = np.random.default_rng(0)
    head = Head(
        labels=("a", "b"),
        mean=np.zeros(3, np.float32),
        scale=np.ones(3, np.float32),
        weights=(
            rng.normal(size=(3, 4)).astype(np.float32),
            rng.normal(size=(4, 2)).astype(np.float32),
        ),
        biases=(np.zeros(4, np.float32), np.zeros(2, np.float32)),
        thresholds=np.array([0.3, 0.6], np.float32),
    )
    head.save(tmp_path / "h.npz")
    again = read_head(tmp_path / "h.npz")
    X = rng.normal(size=(5, 3)).astype(np.float32)
    assert np.array_equal(head.predict_proba(X), again.predict_proba(X))
    assert again.labels == ("a", "b")
    with pytest.raises(ModelError, match="spinscope train nothing"):
        load_head("nothing", "head")


def test_train_finds_each_layer_s_trainer_in_its_registration(tmp_path: Path) -> None:
    """`spinscope train LAYER` runs the trainer the layer declares: a layer's name or its
    trainer's (claims and checkworthiness are one), and an unknown name lists the trainable."""
    from typer.testing import CliRunner

    from spinscope.cli import app

    missing = str(tmp_path / "nowhere")
    for name in ("claims", "checkworthiness"):
        result = CliRunner().invoke(app, ["train", name, "--data", missing, "--out", str(tmp_path)])
        assert result.exit_code == 1 and "nowhere" in result.output, result.output
    result = CliRunner().invoke(app, ["train", "sarcasm", "--data", missing])
    assert result.exit_code == 2
    assert "no trainer for 'sarcasm'; trainable: checkworthiness, claims, entities" in result.output


def test_reviewers_corrections_teach_the_techniques_tagger(
    shared_data: Path, torch: object, tmp_path: Path
) -> None:
    """Issue 18: a reviewer marks loaded words the model missed; the export of those
    corrections, folded into training with --extra, makes the tagger more sure of them."""
    import json as json_module

    import spinscope
    from spinscope.document import Article
    from spinscope.evaluate.semeval import read_techniques_dir
    from spinscope.ml.features import word_features
    from spinscope.ml.tagger import Tagger
    from spinscope.ml.transformer import read_tuned_layers, retop
    from spinscope.output.training import write_training_data
    from spinscope.parse import load_nlp, parse
    from spinscope.review import Correction
    from spinscope.store import Store

    line = next(
        json_module.loads(record)
        for record in (Path(spinscope.__file__).parent / "data" / "corpus.jsonl")
        .read_text("utf-8")
        .splitlines()
        if '"sample-valdoria-pipeline"' in record
    )
    article = Article(id=line["id"], title=line["title"], text=line["text"])
    loaded = ("reckless", "gamblers", "sabotaging", "pure fantasy")
    with Store(tmp_path / "store.db") as store:
        store.save(spinscope.analyze(article, layers=["techniques"]), ["techniques"])
        for words in loaded:
            start = article.text.index(words)
            replacement = {
                "technique": "Loaded_Language",
                "group": "Manipulative wording",
                "start": start,
                "end": start + len(words),
                "text": words,
            }
            store.correct(
                article.id,
                Correction(kind="technique", action="add", replacement=replacement),
                "ana",
            )
        written = write_training_data(
            store.reviewed(["technique"]), tmp_path / "export", "semeval2023"
        )
    assert (written.articles, written.findings) == (1, {"technique": 4})
    exported = read_techniques_dir(tmp_path / "export")
    assert exported.texts == {"1": article.text}
    assert {
        (s.technique, article.text[s.start : s.end]) for s in exported.require_spans()["1"]
    } == {("Loaded_Language", words) for words in loaded}

    data = shared_data / "semeval2023-en" / "techniques"
    techniques.train(data, tmp_path / "without", limit=2)
    card = techniques.train(data, tmp_path / "with", limit=2, extra=tmp_path / "export")
    assert card["extra"] == {"data": str(tmp_path / "export"), "articles": 1, "spans": 4}

    parsed = parse(article, load_nlp())

    def loaded_language(out: Path) -> float:
        head = read_head(out / "tagger.npz")
        tagger = Tagger(head, read_tuned_layers(out / "tagger-layers.npz"))
        found = word_features(parsed, retop(parsed.units, tagger.layers))
        column = head.predict_proba(found.X)[:, head.labels.index("Loaded_Language")]
        inside = [
            i
            for i, (start, end) in enumerate(zip(found.starts, found.ends, strict=True))
            if any(
                article.text.find(w) <= start and end <= article.text.find(w) + len(w)
                for w in loaded
            )
        ]
        assert len(inside) == 5
        return float(np.mean(column[inside]))

    assert loaded_language(tmp_path / "with") > loaded_language(tmp_path / "without") + 0.05
