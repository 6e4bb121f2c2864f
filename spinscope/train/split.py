"""The validation split: held out by document id, the same on every machine and every run."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable

#: Share of documents held out for validation.
VALIDATION_FRACTION = 0.2
#: Changing the seed changes the split, and with it every reported figure.
SEED = "spinscope-2026"
#: Seed of the second split, inside the training documents: a trainer fits on one part and
#: chooses its thresholds and settings on the other.
INNER_SEED = "inner"


def is_validation(doc_id: str, fraction: float = VALIDATION_FRACTION, seed: str = SEED) -> bool:
    """Whether `doc_id` is in the validation split: decided by a hash of the id alone, so a
    document never moves between splits when others are added or removed."""
    digest = hashlib.sha256(f"{seed}:{doc_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split(doc_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """`(train, validation)` ids, each sorted."""
    ids = sorted(set(doc_ids))
    return [i for i in ids if not is_validation(i)], [i for i in ids if is_validation(i)]


def three_way(
    doc_ids: Iterable[str], limit: int | None = None, held_out: Collection[str] | None = None
) -> tuple[list[str], list[str], list[str]]:
    """`(fit, tune, validation)` ids: the validation split, and the training ids split again by
    `INNER_SEED`; with `limit`, only the first `limit` of each (for quick checks). `held_out`
    replaces the validation split (an outer fold of a cross-validation)."""
    if held_out is None:
        train, validation = split(doc_ids)
    else:
        ids = sorted(set(doc_ids))
        train = [i for i in ids if i not in held_out]
        validation = [i for i in ids if i in held_out]
    fit = [i for i in train if not is_validation(i, seed=INNER_SEED)]
    tune = [i for i in train if is_validation(i, seed=INNER_SEED)]
    if limit is not None:
        fit, tune, validation = fit[:limit], tune[:limit], validation[:limit]
    return fit, tune, validation
