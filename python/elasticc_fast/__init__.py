"""elasticc_fast: fast hierarchical classification of survey light curves and GW triggers.

The public API is re-exported here lazily (heavy modules such as JAX load only when used):

    >>> import elasticc_fast as ef
    >>> table = ef.read_snana("..._HEAD.FITS.gz", "..._PHOT.FITS.gz")   # pyarrow.Table
    >>> batch = ef.preprocess(ef.LightCurveBatch.from_arrow(table))
    >>> windows = ef.augment(batch, windows="fraction", seed=0)          # AugmentedBatch
"""
from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

# public name -> "module:attribute" (module relative to this package)
_LAZY = {
    "read_snana": "io.snana:read_snana",
    "convert": "convert:convert",
    "LightCurveBatch": "batch:LightCurveBatch",
    "AugmentedBatch": "augment:AugmentedBatch",
    "preprocess": "preprocess:preprocess",
    "augment": "augment:augment",
    "iter_augment": "augment:iter_augment",
    "Classifier": "classifier:Classifier",
    "simulate": "sim:simulate",
}
_SUBMODULES = {"reference", "taxonomy", "sim", "gw", "io", "nn", "baselines", "scale", "units", "plots",
               "metrics", "evaluate"}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name].split(":")
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'elasticc_fast' has no attribute {name!r}")
