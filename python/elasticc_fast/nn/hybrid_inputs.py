"""Inputs of the hybrid network: each window's points, its ``light-curve`` features, its context.

:func:`hybrid_windows` turns a :class:`~elasticc_fast.batch.LightCurveBatch` whose curves are
already the windows (``views.cut_batch`` / ``views.random_views``) into an
:class:`~elasticc_fast.augment.AugmentedBatch` with

- ``x`` (N, T, F): per point ``t`` (days since the first detection / 100), ``log_t``
  (log1p of those days / 5), ``dt`` (log1p of days since the previous point / 5), ``detection``,
  six band columns ``band_u..band_Y``, ``flux_norm`` and ``err_norm`` (flux and error divided by
  the window's brightest flux: per-object normalisation, so shape and colour, not distance, drive
  this branch) and ``asinh_flux`` (asinh(flux) / 10, the brightness itself);
- ``static`` (N, S): ``lc:<name>`` = asinh of every feature of
  :func:`elasticc_fast.baselines.features.extract_features` on the window (the same extractor, on
  the same points, as the feature baselines; NaN where it cannot compute one), ``log_peak_flux``,
  then the context columns given (``ctx:<name>``), then with ``luminosity=True`` the brightest
  absolute magnitude so far per band and overall (``lum:absmag_<band>``, ``lum:absmag``; with
  ``luminosity="absmag"`` only ``lum:absmag``;
  :func:`elasticc_fast.luminosity.context_absmag`: the window's detections, the redshift and A_V of
  the context; NaN without a redshift).

The first ``max_length`` points of each window are kept (the windows are already cut in time).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..augment import AugmentedBatch
from ..batch import LightCurveBatch
from ..units import BANDS, PHOTFLAG_DETECTION
from ..views import first_detection_mjd

POINT_FEATURES = ("t", "log_t", "dt", "detection", *(f"band_{b}" for b in BANDS),
                  "flux_norm", "err_norm", "asinh_flux")


def point_features(batch: LightCurveBatch, max_length: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (n, T, F) float32 (F = len(POINT_FEATURES), T = min(longest, max_length)) and
    ``lengths`` (n,) int32 of every object's first ``max_length`` points."""
    n = len(batch)
    lens = np.minimum(batch.lengths, max_length).astype(np.int32)
    t_len = max(int(lens.max()) if n else 1, 1)
    x = np.zeros((n, t_len, len(POINT_FEATURES)), np.float32)
    if batch.n_obs == 0:
        return x, lens
    obj = np.repeat(np.arange(n), batch.lengths)
    pos = np.arange(batch.n_obs) - batch.offsets[obj]
    days = np.nan_to_num(batch.mjd - first_detection_mjd(batch)[obj])
    prev = np.where(pos > 0, np.roll(batch.mjd, 1), batch.mjd)
    flux = batch.flux.astype(np.float64)
    peak = np.full(n, -np.inf)
    np.maximum.at(peak, obj, np.abs(flux))
    peak = np.maximum(peak, 1e-6)[obj]
    cols = [days / 100.0, np.sign(days) * np.log1p(np.abs(days)) / 5.0,
            np.log1p(np.maximum(batch.mjd - prev, 0.0)) / 5.0,
            ((batch.flag & PHOTFLAG_DETECTION) != 0).astype(np.float64)]
    cols += [(batch.band == b).astype(np.float64) for b in range(len(BANDS))]
    cols += [flux / peak, batch.flux_err / peak, np.arcsinh(flux) / 10.0]
    keep = pos < max_length
    x[obj[keep], pos[keep]] = np.stack(cols, axis=1)[keep].astype(np.float32)
    return x, lens


def window_features(batch: LightCurveBatch, n_jobs: int = 1, bands: Sequence[str] = ("g", "r")):
    """The feature baselines' ``light-curve`` features of every window (DataFrame, one row each),
    for ``bands`` (ZTF: g, r; LSST: u, g, r, i, z, Y) and the colours of consecutive bands."""
    from ..baselines.features import extract_features

    return extract_features(batch, bands=tuple(bands), n_jobs=n_jobs)


def hybrid_windows(batch: LightCurveBatch, context: np.ndarray | None = None,
                   context_names: Sequence[str] = (), *, max_length: int = 128, n_jobs: int = 1,
                   source: np.ndarray | None = None, features: bool = True,
                   feature_table=None, bands: Sequence[str] = ("g", "r"),
                   luminosity: bool | str = False) -> AugmentedBatch:
    """The hybrid model's inputs for every object (window) of ``batch`` (see the module docstring).

    ``context`` (n, C) holds per-object context already transformed for a network (e.g.
    :func:`elasticc_fast.context.context_matrix`); ``source`` (n,) the object index of each
    window (default 0..n-1); ``features=False`` leaves the ``lc:`` columns out (a light-curve-only
    network); ``feature_table``: the windows' features when already extracted (one row per window,
    from :func:`window_features`); ``bands``: the bands described by the features (and by the
    luminosity columns); ``luminosity``: append them (needs a ``redshift`` context column; True or
    "all": per band and overall, "absmag": the overall column alone).
    """
    x, lengths = point_features(batch, max_length)
    peak = np.full(len(batch), np.nan)
    if batch.n_obs:
        obj = np.repeat(np.arange(len(batch)), batch.lengths)
        np.fmax.at(peak, obj, batch.flux.astype(np.float64))
    parts, names = [np.log10(np.clip(peak, 1e-3, None))[:, None]], ["log_peak_flux"]
    if features:
        feats = window_features(batch, n_jobs, bands) if feature_table is None else feature_table
        parts.insert(0, np.arcsinh(feats.to_numpy(np.float64)))
        names = [f"lc:{c}" for c in feats.columns] + names
    if context is not None and np.size(context):
        parts.append(np.asarray(context, np.float64).reshape(len(batch), -1))
        names += [f"ctx:{c}" for c in context_names]
    if luminosity:
        from ..luminosity import absmag_names, context_absmag, luminosity_kind, select_absmag

        kind = luminosity_kind(luminosity)
        lum = context_absmag(batch, np.zeros((len(batch), 0)) if context is None else context, context_names, bands)
        parts.append(select_absmag(lum, kind))
        names += [f"lum:{c}" for c in absmag_names(bands, kind)]
    static = np.concatenate(parts, axis=1).astype(np.float32)
    src = np.arange(len(batch), dtype=np.int64) if source is None else np.asarray(source, np.int64)
    return AugmentedBatch(x=x, lengths=lengths, source=src, t_end=np.zeros(len(batch)),
                          static=static, labels=None if batch.labels is None else batch.labels,
                          feature_names=list(POINT_FEATURES), static_names=names)
