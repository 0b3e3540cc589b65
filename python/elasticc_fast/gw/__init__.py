"""Gravitational-wave trigger classification (SPIIR, PyCBC Live, GstLAL inputs).

* :mod:`.ligolw`: LIGO-LW XML (coinc, injection and SPIIR ``postcoh`` tables) to Arrow;
* :mod:`.mass_contour`: source-class probabilities from the chirp-mass contour (PyCBC Live);
* :mod:`.fgmc`: signal/noise counts posterior and p_astro (Farr, Gair, Mandel & Chen 2015);
* :mod:`.pastro`: IGWN ``p_astro.json`` products; :mod:`.evaluation`: reports on real events.

    >>> from elasticc_fast import gw
    >>> probs = gw.source_probabilities(mchirp, eff_distance, snr, a0=0.749, b0=-0.516, b1=-0.322)
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "source_probabilities": "mass_contour:source_probabilities",
    "fit_distance_model": "mass_contour:fit_distance_model",
    "MassLimits": "mass_contour:MassLimits",
    "redshift_from_distance": "cosmology:redshift_from_distance",
    "CountsPosterior": "fgmc:CountsPosterior",
    "fit_counts": "fgmc:fit_counts",
    "snr_far_bayes_factor": "fgmc:snr_far_bayes_factor",
    "p_astro_from_counts": "fgmc:p_astro_from_counts",
    "read_ligolw": "ligolw:read_ligolw",
    "classify": "pastro:classify",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name].split(":")
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'elasticc_fast.gw' has no attribute {name!r}")
