"""Shared test fixtures."""

from __future__ import annotations

import importlib
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


def _optional(module: str, install: str, require_env: str) -> object:
    """`module`, imported. Skips the test when it is not installed, unless the environment
    variable `require_env` is 1 (as in CI), where its absence fails the test."""
    try:
        return importlib.import_module(module)
    except ImportError:
        reason = f"{module} is not installed (`pip install '{install}'`)"
        if os.environ.get(require_env) == "1":
            pytest.fail(f"{reason}, and {require_env}=1 requires it")
        pytest.skip(f"{reason}; set {require_env}=1 to make this a failure")


@pytest.fixture(scope="session")
def torch() -> object:
    """torch (the `train` extra, for fine-tuning); see `_optional`."""
    return _optional("torch", "spinscope[train]", "SPINSCOPE_REQUIRE_TORCH")


@pytest.fixture(scope="session")
def ray_module() -> object:
    """Ray (the `ray` extra); see `_optional`. A runtime started by a test binds 127.0.0.1 and
    needs no authentication token."""
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read on import: loopback
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    return _optional("ray", "spinscope[ray]", "SPINSCOPE_REQUIRE_RAY")
