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

# Functions that share their name with their module are imported eagerly: a lazy attribute would be
# replaced by the submodule as soon as anything imports ``elasticc_fast.augment`` (or preprocess,
# convert). These modules are light (numpy, pyarrow, the C++ extension).
from .augment import AugmentedBatch, augment, iter_augment
from .batch import LightCurveBatch
from .convert import convert
from .preprocess import preprocess

# public name -> "module:attribute" (module relative to this package)
_LAZY = {
    "read_snana": "io.snana:read_snana",
    "read_parquet": "io.nested:read_parquet",
    "Classifier": "classifier:Classifier",
    "simulate": "sim:simulate",
    "read_bts": "io.bts:read_bts",
    "read_ztf_alerts": "io.ztf:read_ztf_alerts",
    "read_astro_objects": "io.alerce:read_astro_objects",
}
_SUBMODULES = {"reference", "taxonomy", "sim", "gw", "io", "nn", "baselines", "scale", "units", "plots",
               "metrics", "evaluate", "predict"}

__all__ = ["__version__", "AugmentedBatch", "LightCurveBatch", "augment", "convert", "iter_augment",
           "preprocess", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name].split(":")
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'elasticc_fast' has no attribute {name!r}")
