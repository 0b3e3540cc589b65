"""Brightest absolute magnitude of a window so far: luminosity from the window's own detections
and the object's redshift (the spec-z track's ``redshift`` and ``A_V``).

For every window (one curve of a :class:`~elasticc_fast.batch.LightCurveBatch` already cut in
time) and band ``b``: the brightest detected flux ``f`` (microjansky) of that band among the
window's points, then

    M_b = 23.9 - 2.5 log10(f) - mu(z) - A_V * R_b / 3.1 + 2.5 log10(1 + z)

(AB magnitude; ``mu`` the distance modulus of the simulator's flat Lambda-CDM,
:func:`elasticc_fast.sim.lightcurves.distance_modulus`; ``R_b`` the Milky-Way A_b / E(B-V) of
the ZTF bands the simulator uses; the last term the bandwidth part of the K-correction the
simulator applies). ``absmag`` is the brightest of the bands. NaN where the redshift is missing
or not positive, or the band has no detection with positive flux in the window. Only points
inside the window enter: the whole-curve ``peakabs`` of the BTS table is never an input.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .batch import LightCurveBatch
from .units import BAND_INDEX, PHOTFLAG_DETECTION

AB_ZEROPOINT_UJY = 23.9  #: AB magnitude of 1 microjansky
#: which columns a ``luminosity`` option selects: "all" (also ``True``): per band and overall;
#: "absmag": the overall column alone (no per-band NaN where a band has no detection yet)
LUMINOSITY_KINDS = ("all", "absmag")


def luminosity_kind(value: bool | str | None) -> str | None:
    """The columns an option value selects: None when off (``False``/``None``), ``True`` -> "all",
    else one of :data:`LUMINOSITY_KINDS` (anything else is refused)."""
    if value is None or value is False:
        return None
    if value is True:
        return "all"
    if value not in LUMINOSITY_KINDS:
        raise ValueError(f"luminosity must be True, False or one of {', '.join(LUMINOSITY_KINDS)}, not {value!r}")
    return str(value)


def absmag_names(bands: Sequence[str], kind: str = "all") -> list[str]:
    """Column names of :func:`window_absmag` (``absmag_<band>`` per band, then ``absmag``), or of
    the ``kind`` of them selected (:func:`select_absmag`)."""
    return ([f"absmag_{b}" for b in bands] if kind == "all" else []) + ["absmag"]


def select_absmag(values: np.ndarray, kind: str) -> np.ndarray:
    """The columns of :func:`window_absmag` output ``values`` that ``kind`` selects
    (:data:`LUMINOSITY_KINDS`)."""
    return values if luminosity_kind(kind) == "all" else values[:, -1:]


def window_absmag(batch: LightCurveBatch, redshift: np.ndarray, a_v: np.ndarray | None = None,
                  bands: Sequence[str] = ("g", "r")) -> np.ndarray:
    """(n, len(bands) + 1) float64: per window the brightest absolute magnitude per band so far and
    over the bands (see the module docstring); ``redshift`` and ``a_v`` (mag, NaN: no correction)
    per window."""
    from .sim.lightcurves import ZTF_PASSBANDS, distance_modulus

    n = len(batch)
    z = np.asarray(redshift, np.float64).reshape(n)
    av = np.zeros(n) if a_v is None else np.nan_to_num(np.asarray(a_v, np.float64).reshape(n))
    ok = np.isfinite(z) & (z > 0)
    shift = np.full(n, np.nan)
    shift[ok] = distance_modulus(z[ok]) - 2.5 * np.log10(1.0 + z[ok])
    out = np.full((n, len(bands) + 1), np.nan)
    obj = np.repeat(np.arange(n), batch.lengths)
    flux = batch.flux.astype(np.float64)
    usable = ((batch.flag & PHOTFLAG_DETECTION) != 0) & (flux > 0)
    for j, b in enumerate(bands):
        sel = usable & (batch.band == BAND_INDEX[b])
        peak = np.zeros(n)
        np.maximum.at(peak, obj[sel], flux[sel])
        with np.errstate(divide="ignore"):
            mag = np.where(peak > 0, AB_ZEROPOINT_UJY - 2.5 * np.log10(np.where(peak > 0, peak, 1.0)), np.nan)
        out[:, j] = mag - shift - av * ZTF_PASSBANDS.mw_r[BAND_INDEX[b]] / 3.1
    with np.errstate(all="ignore"):
        out[:, -1] = np.fmin.reduce(out[:, :-1], axis=1)
    return out


def context_absmag(batch: LightCurveBatch, context: np.ndarray, context_names: Sequence[str],
                   bands: Sequence[str] = ("g", "r")) -> np.ndarray:
    """:func:`window_absmag` of the windows of ``batch`` from their network context
    (:func:`elasticc_fast.context.context_matrix` of the ``redshift`` track: ``log10`` of the
    redshift, ``A_V`` raw); a track without a ``redshift`` column is refused."""
    names = list(context_names)
    if "redshift" not in names:
        raise ValueError(f"the luminosity input needs a 'redshift' context column, not {names}")
    ctx = np.asarray(context, np.float64).reshape(len(batch), -1)
    a_v = ctx[:, names.index("A_V")] if "A_V" in names else None
    return window_absmag(batch, 10.0 ** ctx[:, names.index("redshift")], a_v, bands)
