"""Vectorised NumPy implementation of preprocess + augment: the fair fast baseline of
``benchmarks/augment.py`` (whole-batch array operations, no Python loop over objects or points).

Same rules and results as the C++ path (``asinh`` may differ in the last float32 bit where
NumPy uses its own SIMD arcsinh). Lives beside the benchmark: not part of the installed package.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.units import BAND_WAVELENGTH_UM

_BIG = np.iinfo(np.int64).max


def _seg_reduce(ufunc: np.ufunc, values: np.ndarray, offsets: np.ndarray, empty: int) -> np.ndarray:
    """ufunc.reduceat per segment, with ``empty`` for segments of no values."""
    n = len(offsets) - 1
    out = np.full(n, empty, dtype=values.dtype)
    nonempty = offsets[1:] > offsets[:-1]
    if values.size:
        out[nonempty] = ufunc.reduceat(values, offsets[:-1][nonempty])
    return out


def preprocess(batch: LightCurveBatch, trigger: str = "first_detection", history: str = "window") -> LightCurveBatch:
    """NumPy twin of ``elasticc_fast.preprocess`` (see there for the rules)."""
    n, lengths = len(batch), batch.lengths
    obj = np.repeat(np.arange(n), lengths)
    mjd = batch.mjd
    # stable sort by (object, MJD with NaN last), skipped when already sorted
    same = obj[1:] == obj[:-1]
    if np.isnan(mjd).any() or np.any((mjd[1:] < mjd[:-1]) & same):
        order = np.lexsort((mjd, obj))
        mjd, obj = mjd[order], obj[order]
        band, flux, err, flag = batch.band[order], batch.flux[order], batch.flux_err[order], batch.flag[order]
    else:
        band, flux, err, flag = batch.band, batch.flux, batch.flux_err, batch.flag
    pos = np.arange(len(mjd), dtype=np.int64)
    sat = (flag & 1024) != 0
    # PHOTFLAG trigger: first flagged point in time order, unusable if saturated
    first_trig = _seg_reduce(np.minimum, np.where((flag & 2048) != 0, pos, _BIG), batch.offsets, _BIG)
    trig_ok = first_trig < _BIG
    trig_ok[trig_ok] &= ~sat[first_trig[trig_ok]]
    # drop saturated points
    keep_u = ~sat
    mjd, obj, band, flux, err, flag = mjd[keep_u], obj[keep_u], band[keep_u], flux[keep_u], err[keep_u], flag[keep_u]
    new_pos = np.cumsum(keep_u) - 1  # position among unsaturated points
    u_off = np.concatenate([[0], np.cumsum(np.bincount(obj, minlength=n))]).astype(np.int64)
    pos = np.arange(len(mjd), dtype=np.int64)
    det = (flag & 4096) != 0
    first_det = _seg_reduce(np.minimum, np.where(det, pos, _BIG), u_off, _BIG)
    last_det = _seg_reduce(np.maximum, np.where(det, pos, -1), u_off, -1)
    has_det = first_det < _BIG
    tr = first_det.copy()
    if trigger == "photflag":
        use = trig_ok & has_det
        tr[use] = new_pos[first_trig[use]]
    tr_pt = tr[obj]
    keep = has_det[obj]
    if history == "window":
        before = np.where(~det & (pos < tr_pt), pos, -1)
        last_before = _seg_reduce(np.maximum, before, u_off, -1)
        keep &= det | (pos == tr_pt) | (pos == last_before[obj]) | ((pos > tr_pt) & (pos < last_det[obj]))
    kept_obj = np.flatnonzero(has_det)
    out_len = np.bincount(obj[keep], minlength=n)[kept_obj]
    trig_mjd = mjd[tr[kept_obj]]
    out = LightCurveBatch(
        mjd=mjd[keep], band=band[keep], flux=flux[keep], flux_err=err[keep], flag=flag[keep],
        offsets=np.concatenate([[0], np.cumsum(out_len)]), ids=batch.ids[kept_obj],
        static=batch.static.take(kept_obj), labels=None if batch.labels is None else batch.labels[kept_obj],
        trigger_mjd=trig_mjd, n_dropped=n - len(kept_obj))
    return out


def _mix64(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def uniform(seed: int, index: np.ndarray) -> np.ndarray:
    """Vectorised ``reference.uniform``."""
    with np.errstate(over="ignore"):
        z = _mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
        z = z + (index.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
        return (_mix64(z) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def augment_x(batch: LightCurveBatch, windows: str = "fraction", *, days: Sequence[float] = (),
              min_length: int = 1, max_length: int | None = None, keep: str = "last", seed: int = 0,
              time_scale: float = 100.0, flux_divisor: float = 1000.0, flux_scale: str = "linear",
              pad_to: int | None = None, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, lengths, source) of ``elasticc_fast.augment`` with the wavelength band encoding."""
    n, lens, off = len(batch), batch.lengths, batch.offsets
    idx = np.arange(n)
    if windows == "prefix":
        counts = np.maximum(lens - min_length + 1, 0)
        src = np.repeat(idx, counts)
        k = np.arange(len(src)) - np.repeat(np.cumsum(counts) - counts, counts) + min_length
    elif windows == "fraction":
        src, k = idx, np.maximum(1, (uniform(seed, idx) * lens).astype(np.int64))
    elif windows == "full":
        src, k = idx, lens.copy()
    else:  # days: the points with t <= d form a prefix (sorted), so count them per object
        obj = np.repeat(idx, lens)
        t = batch.mjd - batch.trigger_mjd[obj]
        ks = [_seg_reduce(np.add, (t <= d).astype(np.int64), off, 0) for d in days]
        k = np.stack(ks, axis=1).ravel() if ks else np.zeros(0, np.int64)
        src = np.repeat(idx, len(days))
    ok = k >= min_length
    src, k = src[ok], k[ok]
    lo = np.zeros_like(k)
    if max_length is not None:
        long = k > max_length
        if keep == "last":
            lo[long] = k[long] - max_length
        else:
            k = np.where(long, max_length, k)
    L = k - lo
    T = pad_to if pad_to is not None else (max_length if max_length is not None else int(L.max(initial=0)))
    # per-point features once, then one gather-scatter into the padded array
    obj = np.repeat(idx, lens)
    feats = np.empty((batch.n_obs, 5), dtype=np.float32)
    feats[:, 0] = (batch.mjd - batch.trigger_mjd[obj]) / time_scale
    feats[:, 1] = (batch.flag & 4096) != 0
    if flux_scale == "asinh":
        feats[:, 2], feats[:, 3] = np.arcsinh(batch.flux.astype(np.float64)), np.arcsinh(batch.flux_err.astype(np.float64))
    else:
        feats[:, 2] = batch.flux.astype(np.float64) / flux_divisor
        feats[:, 3] = batch.flux_err.astype(np.float64) / flux_divisor
    feats[:, 4] = np.asarray(BAND_WAVELENGTH_UM, dtype=np.float32)[batch.band]
    N = len(src)
    if out is None:
        x = np.zeros((N, T, 5), dtype=np.float32)
    else:  # reuse a buffer across chunks, as iter_augment(reuse_buffer=True) does
        x = out[: N * T * 5].reshape(N, T, 5)
        x.fill(0)
    w = np.repeat(np.arange(N), L)
    j = np.arange(int(L.sum())) - np.repeat(np.cumsum(L) - L, L)
    x[w, j] = feats[off[src][w] + lo[w] + j]
    return x, L.astype(np.int32), src.astype(np.int64)
