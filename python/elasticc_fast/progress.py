"""Progress bars for long work: tqdm on a terminal, silent otherwise (logs still say what happened)."""
from __future__ import annotations

import sys
from typing import Any, Iterable


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str = "",
             unit: str = "it", enabled: bool | None = None, **kw: Any):
    """Wrap ``iterable`` in a tqdm bar shown only when stderr is a terminal (or ``enabled=True``)."""
    import warnings

    from tqdm import TqdmExperimentalWarning

    with warnings.catch_warnings():  # tqdm.auto without its asyncio import (0.03 s of CPU per call)
        warnings.simplefilter("ignore", category=TqdmExperimentalWarning)
        from tqdm.autonotebook import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not enabled, **kw)
