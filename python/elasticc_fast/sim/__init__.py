"""A built-in ELAsTiCC2-like simulator: SNANA HEAD/PHOT FITS for all 19 ORACLE leaf classes.

    >>> from elasticc_fast.sim import simulate, CLASS_NAMES, MODEL_TO_CLASS
    >>> summary = simulate("/tmp/sim", objects_per_class=100, seed=1)

Modules: :mod:`.classes` (the class table), :mod:`.params` (parameter distributions),
:mod:`.families` (the registry of light-curve families), :mod:`.lightcurves` (their fluxes and the
cosmology), :mod:`.cadence` (survey pattern, noise, flags), :mod:`.hosts` (positions, extinction,
redshifts, host galaxies), :mod:`.writer` (SNANA FITS, DUMP), :mod:`.core` (selection, output).
"""
from __future__ import annotations

from .classes import CLASS_NAMES, CLASSES, MODEL_TO_CLASS, ClassSpec, get_class
from .core import simulate

__all__ = ["simulate", "CLASSES", "CLASS_NAMES", "MODEL_TO_CLASS", "ClassSpec", "get_class"]
