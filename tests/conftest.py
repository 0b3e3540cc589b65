"""Shared test fixtures. Tests that need the real reference data use ``shared_data`` and skip
with a clear reason when ../shared/data is missing (a user's fresh clone does not have it)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# The suite compiles several hundred small XLA programs and runs each a few times, so LLVM's
# optimisation passes are most of its JAX time: level 0 makes the whole run about a quarter
# shorter. The programs (and so what the tests check) are the same; only their machine code is
# less optimised. Set before JAX starts; service processes the tests start inherit it.
if "--xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_backend_optimization_level=0".strip()

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
