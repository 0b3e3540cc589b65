"""Gravitational-wave trigger classification (SPIIR, PyCBC Live, GstLAL inputs).

* :mod:`.ligolw`: LIGO-LW XML (coinc, injection and SPIIR ``postcoh`` tables) to Arrow;
* :mod:`.mass_contour`: source-class probabilities from the chirp-mass contour (PyCBC Live);
* :mod:`.fgmc`: signal/noise counts posterior and p_astro (Farr, Gair, Mandel & Chen 2015);
* :mod:`.pastro`: IGWN ``p_astro.json`` products; :mod:`.evaluation`: reports on real events.

    >>> from elasticc_fast import gw
    >>> probs = gw.source_probabilities(mchirp, eff_distance, snr, a0=0.749, b0=-0.516, b1=-0.322)
"""
from __future__ import annotations

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "mass_contour": ["source_probabilities", "fit_distance_model", "MassLimits"],
        "cosmology": ["redshift_from_distance"],
        "fgmc": ["CountsPosterior", "fit_counts", "snr_far_bayes_factor", "p_astro_from_counts"],
        "ligolw": ["read_ligolw"],
        "pastro": ["classify"],
    },
)
