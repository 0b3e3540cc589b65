"""Light-curve features for the feature-based baselines, from the ``light-curve`` package's Rust
extractors (``light_curve.light_curve_ext``), per band plus colours.

Per band (on that band's points, times in days since the object's first detection):

- on difference flux (microjansky, with errors): a Bazin fit (amplitude, baseline, reference time,
  rise and fall times, reduced chi2; needs 6 points), linear fit and trend, Stetson K, excess
  variance, reduced chi2, observation count, duration (first to last point, days);
- on AB magnitude (points with positive flux): amplitude, mean, median, standard deviation,
  skewness, kurtosis, beyond-1-sigma fraction, inter-percentile range, median absolute deviation,
  maximum slope, magnitude percentage ratio, percent amplitude, Eta, Cusum.

Colours (band pairs in order, e.g. g - r): the difference of the bands' median, maximum and
minimum magnitude (``ColorOfMedian/Maximum/Minimum``). A feature the extractor cannot compute
(too few points) is NaN; the forests and LightGBM handle NaN (the forest after imputation).

Cuts: ``max_days`` keeps the points up to ``max_days`` after the first detection (flag 4096).
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
import pandas as pd

from ..units import BANDS, PHOTFLAG_DETECTION, UJY_ZEROPOINT
from ..views import first_detection_mjd

log = logging.getLogger(__name__)

#: keep strictly increasing times for the extractors: repeated epochs are spaced by this (days, ~1 s)
_TIME_EPSILON = 1e-5


def _flux_extractor():
    import light_curve.light_curve_ext as lc
    return lc.Extractor(lc.BazinFit("lmsder"), lc.LinearFit(), lc.LinearTrend(), lc.StetsonK(),
                        lc.ExcessVariance(), lc.ReducedChi2(), lc.ObservationCount(), lc.Duration())


def _mag_extractor():
    import light_curve.light_curve_ext as lc
    return lc.Extractor(lc.Amplitude(), lc.Mean(), lc.Median(), lc.StandardDeviation(), lc.Skew(),
                        lc.Kurtosis(), lc.BeyondNStd(1.0), lc.InterPercentileRange(0.1),
                        lc.MedianAbsoluteDeviation(), lc.MaximumSlope(), lc.MagnitudePercentageRatio(),
                        lc.PercentAmplitude(), lc.Eta(), lc.Cusum())


def _color_features(pair: tuple[str, str]):
    import light_curve.light_curve_ext as lc
    return [cls(bands=list(pair)) for cls in (lc.ColorOfMedian, lc.ColorOfMaximum, lc.ColorOfMinimum)]


def _increasing(t: np.ndarray, obj: np.ndarray) -> np.ndarray:
    """Times made strictly increasing within each object (``obj``: the object of each point, objects
    contiguous): repeated epochs nudged by ``_TIME_EPSILON``, never across objects."""
    t = np.array(t, dtype=np.float64)
    repeats = np.flatnonzero((np.diff(t) <= 0) & (obj[1:] == obj[:-1])) + 1
    for i in repeats:  # few; sequential so chains stay ordered
        if t[i] <= t[i - 1]:
            t[i] = t[i - 1] + _TIME_EPSILON
    return t


def _to_mag(flux: np.ndarray, err: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = flux > 0
    mag = UJY_ZEROPOINT - 2.5 * np.log10(flux[ok])
    merr = 2.5 / np.log(10.0) * err[ok] / flux[ok]
    return ok, mag, merr


def _flat(batch, max_days: float | None, detections_only: bool) -> tuple[np.ndarray, ...]:
    """The points every object keeps, as flat arrays (object index, t in days since the object's
    first detection, band, flux, err) in the batch's order; an object without a detection keeps none."""
    first = first_detection_mjd(batch)
    obj = np.repeat(np.arange(len(batch)), batch.lengths)
    t = batch.mjd - first[obj]
    keep = np.isfinite(first)[obj]
    if detections_only:
        keep &= (batch.flag & PHOTFLAG_DETECTION) != 0
    if max_days is not None:
        keep &= t <= max_days
    return (obj[keep], t[keep], batch.band[keep], batch.flux[keep].astype(np.float64),
            batch.flux_err[keep].astype(np.float64))


def _per_object(n: int, obj: np.ndarray, *arrays: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Per object 0..n-1, the slices of ``arrays`` that belong to it (``obj`` sorted)."""
    bounds = np.searchsorted(obj, np.arange(n + 1)).tolist()
    return [tuple(a[lo:hi] for a in arrays) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def extract_features(batch, *, bands: Sequence[str] = ("g", "r"), max_days: float | None = None,
                     detections_only: bool = True, n_jobs: int = 1) -> pd.DataFrame:
    """Features of every object of a ``LightCurveBatch`` (one row per object, index = ids).

    ``bands``: band letters (``units.BANDS``) to describe; colours for each consecutive pair.
    ``max_days``: cut each curve at this many days after its first detection (None: full curve).
    ``detections_only``: use only flag-4096 points (ALeRCE's features use detections).
    ``n_jobs``: threads for the Rust extractors (-1: all cores).
    """
    flux_ex, mag_ex = _flux_extractor(), _mag_extractor()
    band_idx = [BANDS.index(b) if b in BANDS else {"R": 2, "G": 1}[b] for b in bands]
    flat = _flat(batch, max_days, detections_only)
    obj, t, band, flux, err = flat
    n = len(batch)
    columns: dict[str, np.ndarray] = {}
    for b, bi in zip(bands, band_idx, strict=True):
        sel = band == bi
        ob, fb, eb = obj[sel], flux[sel], err[sel]
        tb = _increasing(t[sel], ob)
        ok, mag, merr = _to_mag(fb, eb)
        for ex, lcs, kind in ((flux_ex, _per_object(n, ob, tb, fb, eb), "flux"),
                              (mag_ex, _per_object(n, ob[ok], tb[ok], mag, merr), "mag")):
            values = np.asarray(ex.many(lcs, fill_value=np.nan, n_jobs=n_jobs), dtype=np.float64)
            for j, name in enumerate(ex.names):
                columns[f"{kind}_{name}_{b}"] = values[:, j]
    columns.update(_colours(flat, n, bands, band_idx, n_jobs))
    counts = np.bincount(obj, minlength=n)
    span = np.full(n, -np.inf)
    np.maximum.at(span, obj, t)
    columns["n_detections"] = counts.astype(np.float64)
    columns["time_span"] = np.where(counts > 0, span, np.nan)
    return pd.DataFrame(columns, index=pd.Index(batch.ids, name="object_id"))


def _colours(flat, n: int, bands, band_idx, n_jobs) -> dict[str, np.ndarray]:
    """The colour features of each consecutive band pair, from the flat points of :func:`_flat`."""
    obj, t, band, flux, err = flat
    out: dict[str, np.ndarray] = {}
    for k in range(len(bands) - 1):
        pair = (bands[k], bands[k + 1])
        sel = np.isin(band, band_idx[k:k + 2])
        ok, mag, merr = _to_mag(flux[sel], err[sel])
        first = band[sel][ok] == band_idx[k]
        ob = obj[sel][ok]
        letters = np.where(first, pair[0], pair[1])
        lcs = _per_object(n, ob, _increasing(t[sel][ok], ob), mag, merr, letters)
        both = (np.bincount(ob[first], minlength=n) > 0) & (np.bincount(ob[~first], minlength=n) > 0)
        for f in _color_features(pair):
            out[f.names[0]] = _many_multiband(f, lcs, np.flatnonzero(both), n_jobs)
    return out


def _many_multiband(feature, lcs, usable: np.ndarray, n_jobs) -> np.ndarray:
    """A multiband colour feature over the curves ``usable`` (those with both bands); NaN elsewhere."""
    vals = np.full(len(lcs), np.nan)
    if len(usable):
        res = feature.many([lcs[i] for i in usable], fill_value=np.nan, n_jobs=n_jobs)
        vals[usable] = np.asarray(res, dtype=np.float64).reshape(len(usable), -1)[:, 0]
    return vals
