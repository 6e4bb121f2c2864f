"""Evaluation harnesses: score spinscope's layers against annotated data in `../shared/data`."""

from __future__ import annotations

from spinscope.evaluate.brat import Attribution, format_ann, read_ann, read_text, write_ann
from spinscope.evaluate.quotes import (
    GoldArticle,
    Predictor,
    QuoteScores,
    evaluate_quotes,
    load_gold,
    pipeline_predictor,
    score_prediction_files,
    score_quotes,
    scores_table,
)

__all__ = [
    "Attribution",
    "GoldArticle",
    "Predictor",
    "QuoteScores",
    "evaluate_quotes",
    "format_ann",
    "load_gold",
    "pipeline_predictor",
    "read_ann",
    "read_text",
    "score_prediction_files",
    "score_quotes",
    "scores_table",
    "write_ann",
]
