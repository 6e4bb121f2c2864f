"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: The labelled data, outside the repository (`../shared/data`); never copied into it.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`. Skips the test when it is absent, unless `SPINSCOPE_REQUIRE_SHARED=1`
    (as in CI), where a missing directory fails the test instead."""
    if not SHARED_DATA.is_dir():
        reason = f"the shared data directory {SHARED_DATA} is absent"
        if os.environ.get("SPINSCOPE_REQUIRE_SHARED") == "1":
            pytest.fail(f"{reason}, and SPINSCOPE_REQUIRE_SHARED=1 requires it")
        pytest.skip(f"{reason} (set SPINSCOPE_REQUIRE_SHARED=1 to make this a failure)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def torch() -> object:
    """torch (the `train` extra, for fine-tuning). Skips the test when it is not installed,
    unless `SPINSCOPE_REQUIRE_TORCH=1` (as in CI), where its absence fails the test."""
    try:
        import torch
    except ImportError:
        reason = "torch is not installed (`pip install 'spinscope[train]'`)"
        if os.environ.get("SPINSCOPE_REQUIRE_TORCH") == "1":
            pytest.fail(f"{reason}, and SPINSCOPE_REQUIRE_TORCH=1 requires it")
        pytest.skip(f"{reason}; set SPINSCOPE_REQUIRE_TORCH=1 to make this a failure")
    return torch
