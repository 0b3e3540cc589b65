"""The simulator's noise-free light-curve model at given points, for comparing it with the truth
that real SNANA files carry (``SIM_MAGOBS``, ``SIM_PEAKMAG_<band>``, ``SIM_PEAKMJD``).

:func:`relative_mags` evaluates freshly drawn objects of a transient class at the redshifts, rest
phases and bands of real observations (no cadence, noise or selection), so that the class's shape
and colours can be set against the real objects' own, point by point (docs/simulator.md, ninth
round; ``tests/test_sim_physics.py``).
"""
from __future__ import annotations

import numpy as np

from . import lightcurves as lc
from .classes import CLASSES, sample_params
from .families import Transient, get_family


def relative_mags(leaf: str, z: np.ndarray, obj: np.ndarray, phase: np.ndarray, band: np.ndarray,
                  seed: int = 0, draws: int = 4, sn_ibc: str = "round4", kn: str = "default") -> tuple[np.ndarray, np.ndarray]:
    """Noise-free magnitudes of ``draws`` simulated objects of transient class ``leaf`` per real object.

    ``z``: redshift of each real object; ``obj``, ``phase`` (rest-frame days from peak) and ``band``
    (0-5 = ugrizY): one row per real observation. Returns (magnitude minus the simulated object's
    own peak magnitude in that band, per observation and draw, shape (draws * len(obj),)), and the
    true peak magnitudes (draws * len(z), 6) at distance modulus 0 and no Milky-Way dust (colours
    only). Magnitudes of zero flux are capped at 99. ``sn_ibc``, ``kn``: as ``simulate``'s.
    """
    spec = next((c for c in CLASSES if c.leaf == leaf), None)
    family = get_family(spec.family) if spec is not None else None
    if not isinstance(family, Transient):
        raise ValueError(f"relative_mags needs a transient class (SNIa, SNIb/c, KN, ...), not {leaf!r}")
    n = len(z) * draws
    p = sample_params(spec, np.random.default_rng(seed), n, sn_ibc, kn)
    p["z"], p["mu"], p["mwebv"] = np.tile(np.asarray(z, float), draws), np.zeros(n), np.zeros(n)
    family.find_peak(p)
    p["t_peak"] = np.zeros(n)
    p["t_expl"] = -p["tau_peak"] * (1.0 + p["z"])
    peak = lc.transient_peak_mags(family.shape, p)
    rows = np.concatenate([np.asarray(obj) + k * len(z) for k in range(draws)])
    bands = np.tile(np.asarray(band, np.int64), draws)
    mjd = np.tile(np.asarray(phase, float), draws) * (1.0 + p["z"][rows])
    mags = lc.fluxcal_to_mag(lc.transient_flux(family.shape, p, rows, mjd, bands))
    return np.where(mags < 99.0, mags - peak[rows, bands], 99.0), peak
