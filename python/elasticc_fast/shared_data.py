"""Where the real reference data lives: ``$ELASTICC_FAST_SHARED`` if set, else ``../shared/data``
(relative to the current folder), the same rule for the command line and the tests."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

ENV = "ELASTICC_FAST_SHARED"


def shared_path(sub: str) -> Path:
    """``sub`` inside the reference-data folder (not checked)."""
    env = os.environ.get(ENV)
    return (Path(env) if env else Path("..") / "shared" / "data") / sub


def require_shared(sub: str, option: str) -> Path:
    """:func:`shared_path` of ``sub``, or a :class:`UsageError` saying how to point at it."""
    path = shared_path(sub)
    if not path.is_dir():
        raise UsageError(f"{path}: reference folder not found; pass {option} or set {ENV} "
                         "to the folder that holds it")
    return path
