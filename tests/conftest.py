"""Shared test fixtures. Tests that need the real reference data use ``shared_data`` and skip
with a clear reason when ../shared/data is missing (a user's fresh clone does not have it)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ELASTICC_FAST_SHARED", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real reference data not found at {SHARED_DATA} (set ELASTICC_FAST_SHARED)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def elasticc_sample(shared_data: Path) -> Path:
    """The real ELAsTiCC2 training sample (3 models, 346 objects)."""
    return shared_data / "elasticc2_train_sample"
