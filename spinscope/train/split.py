"""The validation split: held out by document id, the same on every machine and every run."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

#: Share of documents held out for validation.
VALIDATION_FRACTION = 0.2
#: Changing the seed changes the split, and with it every reported figure.
SEED = "spinscope-2026"


def is_validation(doc_id: str, fraction: float = VALIDATION_FRACTION, seed: str = SEED) -> bool:
    """Whether `doc_id` is in the validation split: decided by a hash of the id alone, so a
    document never moves between splits when others are added or removed."""
    digest = hashlib.sha256(f"{seed}:{doc_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split(doc_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """`(train, validation)` ids, each sorted."""
    ids = sorted(set(doc_ids))
    return [i for i in ids if not is_validation(i)], [i for i in ids if is_validation(i)]
