"""A built-in ELAsTiCC2-like simulator: SNANA HEAD/PHOT FITS for all 19 ORACLE leaf classes.

    >>> from elasticc_fast.sim import simulate, CLASS_NAMES, MODEL_TO_CLASS
    >>> summary = simulate("/tmp/sim", objects_per_class=100, seed=1)

Modules: :mod:`.classes` (the class table), :mod:`.params` (parameter distributions),
:mod:`.families` (the registry of light-curve families), :mod:`.lightcurves` (their fluxes and the
cosmology), :mod:`.cadence` (survey pattern, noise, flags), :mod:`.hosts` (positions, extinction,
redshifts, host galaxies), :mod:`.models` (the opt-in model choices), :mod:`.writer` (SNANA FITS,
DUMP), :mod:`.core` (selection, output).
"""
from __future__ import annotations

from .classes import CLASS_NAMES, CLASSES, MODEL_TO_CLASS, ClassSpec, get_class
from .core import simulate


def class_lines(survey: str = "lsst") -> list[str]:
    """One line per simulated class of ``survey`` ("lsst": leaf, model, GENTYPE, class id; "ztf":
    BTS type, family, BTS-tree leaf): what ``simulate --list-classes`` prints."""
    if survey == "ztf":
        from .ztf import ZTF_CLASSES
        return [f"{z.leaf:12s} family {z.family:11s} BTS leaf {z.tree_leaf or '(none: label -1)'}"
                for z in ZTF_CLASSES]
    return [f"{c.leaf:15s} {c.model:22s} GENTYPE {c.gentype:3d}  class id {c.class_id}" for c in CLASSES]


__all__ = ["simulate", "class_lines", "CLASSES", "CLASS_NAMES", "MODEL_TO_CLASS", "ClassSpec", "get_class"]
