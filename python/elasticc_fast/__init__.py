"""elasticc_fast: fast hierarchical classification of survey light curves and GW triggers.

The public API is re-exported here lazily (heavy modules such as JAX load only when used):

    >>> import elasticc_fast as ef
    >>> table = ef.read_snana("..._HEAD.FITS.gz", "..._PHOT.FITS.gz")   # pyarrow.Table
    >>> batch = ef.preprocess(ef.LightCurveBatch.from_arrow(table))
    >>> windows = ef.augment(batch, windows="fraction", seed=0)          # AugmentedBatch
"""
from __future__ import annotations

import lazy_loader

from ._version import __version__

# Functions that share their name with their module are imported eagerly: a lazy attribute would be
# replaced by the submodule as soon as anything imports ``elasticc_fast.augment`` (or preprocess,
# convert). These modules are light (numpy, pyarrow, the C++ extension).
from .augment import AugmentedBatch, augment, iter_augment
from .batch import LightCurveBatch
from .convert import convert
from .preprocess import preprocess

# the rest loads on first use (scientific-python SPEC 1)
__getattr__, _lazy_dir, _ = lazy_loader.attach(
    __name__,
    submodules=["reference", "taxonomy", "sim", "gw", "io", "nn", "baselines", "scale", "units", "plots",
                "metrics", "evaluate", "predict", "options"],
    submod_attrs={"io.snana": ["read_snana"], "io.nested": ["read_parquet"], "classifier": ["Classifier"],
                  "sim": ["simulate"], "io.bts": ["read_bts"], "io.ztf": ["read_ztf_alerts"],
                  "io.alerce": ["read_astro_objects"]},
)

__all__ = ["__version__", "AugmentedBatch", "LightCurveBatch", "augment", "convert", "iter_augment",
           "preprocess", "read_snana", "read_parquet", "Classifier", "simulate", "read_bts", "read_ztf_alerts",
           "read_astro_objects"]


def __dir__() -> list[str]:
    return sorted(set(_lazy_dir()) | set(__all__))
