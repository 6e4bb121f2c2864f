"""Nested cross-validation of the genre and frames training over every labelled English article.

    python benchmarks/frames_cv.py [--data DIR] [--seeds N]

The validation split of `spinscope train frames` holds 80 articles, 71 of them opinion: a genre
macro-F1 there rests on nine articles. This scores the same training procedure on all 351
instead: 5 outer folds (for each, the frames threshold and both calibrations are chosen on
out-of-fold predictions inside the other four fifths and the heads fitted there, as `train`
does), repeated with `--seeds` shuffles. It prints genre macro-F1 and accuracy, frames micro-
and macro-F1, each beside its trivial baseline (each fold's most common genre; its most
frequent frames), and the expected calibration error of the genres and frames shown, beside
the error perfectly calibrated scores would show on as many (`ece_floor`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from spinscope.evaluate.frames import read_genre_framing_dir, score_frames, score_genres
from spinscope.ml.calibration import ece, ece_floor
from spinscope.train import frames as training

DEFAULT_DATA = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2023-en" / "genre-framing"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    started = time.monotonic()
    gold = read_genre_framing_dir(args.data)
    runs = training.cross_validate(args.data, seeds=range(1, args.seeds + 1), progress=print)
    for seed, run in enumerate(runs, start=1):
        genres = {doc: gold.genres[doc] for doc in run.genres}
        frames = {doc: gold.frames[doc] for doc in run.frames}
        genre, genre_base = (score_genres(genres, g) for g in (run.genres, run.baseline_genres))
        frame, frame_base = (score_frames(frames, f) for f in (run.frames, run.baseline_frames))
        print(
            f"seed {seed}, {len(genres)} articles: genre macro-F1 {genre.f1:.3f} "
            f"(accuracy {genre.other_f1:.3f}; baseline {genre_base.f1:.3f}), frames micro-F1 "
            f"{frame.f1:.3f} (macro {frame.other_f1:.3f}; baseline {frame_base.f1:.3f}); ECE "
            f"genre {ece(run.genre_scores, run.genre_correct):.3f} "
            f"(floor {ece_floor(run.genre_scores):.3f}, {len(run.genre_scores)} shown), frames "
            f"{ece(run.frame_scores, run.frame_correct):.3f} "
            f"(floor {ece_floor(run.frame_scores):.3f}, {len(run.frame_scores)} shown)"
        )
    print(f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
