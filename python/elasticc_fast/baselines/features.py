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


def _increasing(t: np.ndarray) -> np.ndarray:
    """Times made strictly increasing (repeated epochs nudged by ``_TIME_EPSILON``)."""
    t = np.array(t, dtype=np.float64)
    for i in np.flatnonzero(np.diff(t) <= 0) + 1:  # few repeats; sequential so chains stay ordered
        if t[i] <= t[i - 1]:
            t[i] = t[i - 1] + _TIME_EPSILON
    return t


def _to_mag(flux: np.ndarray, err: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = flux > 0
    mag = UJY_ZEROPOINT - 2.5 * np.log10(flux[ok])
    merr = 2.5 / np.log(10.0) * err[ok] / flux[ok]
    return ok, mag, merr


def _object_curves(batch, max_days: float | None, detections_only: bool):
    """Per object: (t since first detection, band, flux, err) after the cut; None if no detection."""
    out = []
    for i in range(len(batch)):
        o = batch.object(i)
        det = (o["flag"] & PHOTFLAG_DETECTION) != 0
        if not det.any():
            out.append(None)
            continue
        t = o["mjd"] - o["mjd"][det][0] if np.all(np.diff(o["mjd"]) >= 0) else o["mjd"] - o["mjd"][det].min()
        keep = det if detections_only else np.ones(len(t), bool)
        if max_days is not None:
            keep &= t <= max_days
        out.append((t[keep], o["band"][keep], o["flux"][keep].astype(np.float64),
                    o["flux_err"][keep].astype(np.float64)))
    return out


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
    curves = _object_curves(batch, max_days, detections_only)
    empty = (np.zeros(0), np.zeros(0), np.zeros(0))
    columns: dict[str, np.ndarray] = {}
    for b, bi in zip(bands, band_idx, strict=True):
        flux_lcs, mag_lcs = [], []
        for c in curves:
            if c is None:
                flux_lcs.append(empty)
                mag_lcs.append(empty)
                continue
            t, band, flux, err = c
            sel = band == bi
            tb = _increasing(t[sel])
            flux_lcs.append((tb, flux[sel], err[sel]))
            ok, mag, merr = _to_mag(flux[sel], err[sel])
            mag_lcs.append((tb[ok], mag, merr))
        for ex, lcs, kind in ((flux_ex, flux_lcs, "flux"), (mag_ex, mag_lcs, "mag")):
            values = np.asarray(ex.many(lcs, fill_value=np.nan, n_jobs=n_jobs), dtype=np.float64)
            for j, name in enumerate(ex.names):
                columns[f"{kind}_{name}_{b}"] = values[:, j]
    columns.update(_colours(curves, bands, band_idx, n_jobs))
    columns["n_detections"] = np.array([0 if c is None else len(c[0]) for c in curves], dtype=np.float64)
    columns["time_span"] = np.array([np.nan if c is None or not len(c[0]) else float(c[0].max())
                                     for c in curves])
    return pd.DataFrame(columns, index=pd.Index(batch.ids, name="object_id"))


def _colours(curves, bands, band_idx, n_jobs) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for k in range(len(bands) - 1):
        pair = (bands[k], bands[k + 1])
        feats = _color_features(pair)
        lcs = []
        for c in curves:
            if c is None:
                lcs.append((np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype="<U1")))
                continue
            t, band, flux, err = c
            sel = np.isin(band, band_idx[k:k + 2])
            ok, mag, merr = _to_mag(flux[sel], err[sel])
            letters = np.where(band[sel][ok] == band_idx[k], pair[0], pair[1])
            lcs.append((_increasing(t[sel][ok]), mag, merr, letters))
        for f in feats:
            values = _many_multiband(f, lcs, n_jobs)
            out[f.names[0]] = values
    return out


def _many_multiband(feature, lcs, n_jobs) -> np.ndarray:
    """A multiband colour feature over many curves; curves missing a band give NaN."""
    vals = np.full(len(lcs), np.nan)
    usable = [i for i, lc in enumerate(lcs) if len(set(lc[3].tolist())) == 2]
    if usable:
        res = feature.many([lcs[i] for i in usable], fill_value=np.nan, n_jobs=n_jobs)
        vals[usable] = np.asarray(res, dtype=np.float64).reshape(len(usable), -1)[:, 0]
    return vals
