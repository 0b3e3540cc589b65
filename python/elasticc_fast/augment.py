"""Windowing of preprocessed light curves into the padded arrays a model eats (pipeline step 3).

Everything runs in C++ (``_core.augment``, ``_core.static_features``) with the GIL released and
threads across objects; results are identical for any thread count. The pure-Python twin is
``elasticc_fast.reference.augment``.

Per-point features (float32), in this order:

====  ==================  ===============================================================
 0    ``t``               (MJD - trigger MJD) / ``time_scale`` (days / 100 by default);
                          negative for the non-detection kept before the trigger
 1    ``detection``       1 if PHOTFLAG & 4096 else 0
 2    ``flux``            FLUXCAL / ``flux_divisor`` (1000) or asinh(FLUXCAL)
 3    ``flux_err``        FLUXCALERR / ``flux_divisor`` or asinh(FLUXCALERR)
 4    ``wavelength_um``   band mean wavelength in microns (u 0.36 ... Y 1.015), or with
      / ``band_u..Y``     ``band_encoding="onehot"`` six 0/1 columns ``band_u`` ... ``band_Y``
====  ==================  ===============================================================

Rows past a window's length are 0. Static features (float32): the chosen HEAD columns (ORACLE's
18 by default, native units: MWEBV mag, redshifts, host RA/Dec degrees, separations arcsec, host
magnitudes AB) with SNANA sentinels (-9, -99, -999, -9999, 999) and NaN/null mapped to
``missing`` (-9), then ``MW_plane_flag`` (|b| < 15 deg) and four deep-drilling-field flags
(within 1.75 deg of ELAIS-S1, XMM-LSS, Extended CDF-S, COSMOS).
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from .batch import LightCurveBatch
from .options import DEFAULT_DAYS, WindowOptions  # noqa: F401 (DEFAULT_DAYS re-exported)
from .static_features import MISSING, ORACLE_STATIC_COLUMNS, static_matrix, static_names
from .units import BANDS

log = logging.getLogger(__name__)

WINDOWS = ("prefix", "fraction", "days", "full")


@dataclass(eq=False)
class AugmentedBatch:
    """Windows of light curves, ready for a model (docs/data_model.md).

    Attributes:
        x: (N, T, F) float32, zero-padded point features (order in ``feature_names``).
        lengths: (N,) int32, valid rows of each window.
        source: (N,) int64, index of the object (in the batch given to ``augment``) of each window.
        t_end: (N,) float64, days since trigger of the last point in ``x`` of each window.
        static: (N, S) float32, static features of the window's object (order in ``static_names``).
        labels: (N,) labels of the window's object, or None when the batch has none.
        feature_names, static_names: column names of ``x`` and ``static``.
        days: (N,) float64 the ``days`` value of each window for ``windows="days"``, else None.
        n_dropped: objects dropped by preprocessing for having no detection.
        aux: (N, A) float32 auxiliary training targets of the window's object (NaN: unknown), or
            None (``TrainConfig.aux_targets``; never a model input).
    """

    x: np.ndarray
    lengths: np.ndarray
    source: np.ndarray
    t_end: np.ndarray
    static: np.ndarray
    labels: np.ndarray | None
    feature_names: list[str]
    static_names: list[str]
    days: np.ndarray | None = None
    n_dropped: int = 0
    aux: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lengths)

    def take(self, rows: np.ndarray) -> "AugmentedBatch":
        """The windows ``rows`` (indices or a boolean mask), in that order."""
        return dataclasses.replace(
            self, x=self.x[rows], lengths=self.lengths[rows], source=self.source[rows], t_end=self.t_end[rows],
            static=self.static[rows], labels=None if self.labels is None else self.labels[rows],
            days=None if self.days is None else self.days[rows], aux=None if self.aux is None else self.aux[rows])

    def __repr__(self) -> str:
        return (f"AugmentedBatch(x={self.x.shape}, static={self.static.shape}, "
                f"labels={'yes' if self.labels is not None else 'no'}, n_dropped={self.n_dropped})")


def feature_names(band_encoding: str = "wavelength") -> list[str]:
    """Names of the per-point features for a band encoding."""
    bands = [f"band_{b}" for b in BANDS] if band_encoding == "onehot" else ["wavelength_um"]
    return ["t", "detection", "flux", "flux_err", *bands]


def object_static_features(batch: LightCurveBatch, columns: Sequence[str] = ORACLE_STATIC_COLUMNS,
                           flags: bool = True, missing: float = MISSING) -> np.ndarray:
    """(n, S) float32 static features of each object of ``batch`` (see the module docstring)."""
    return static_matrix(batch.static, columns, flags, missing)


def augment(batch: LightCurveBatch, windows: str = "full", options: WindowOptions | None = None, *,
            seed: int = 0, pad_to: int | None = None, threads: int = 0, out: np.ndarray | None = None,
            _index_base: int = 0, **changes: Any) -> AugmentedBatch:
    """Cut each object's light curve into windows and pad them into one (N, T, F) array.

    A batch that was not preprocessed (``batch.trigger_mjd is None``) is first run through
    ``preprocess(batch)`` with its defaults (logged).

    Args:
        batch: a preprocessed ``LightCurveBatch``.
        options: a :class:`~elasticc_fast.options.WindowOptions` (``days``, ``min_length``,
            ``max_length``, ``keep``, feature choices; see there); keyword arguments named like
            its fields (``max_length=64``, ``flux_scale="asinh"`` ...) override it.
        windows: ``"prefix"``: one window per prefix length ``min_length..n`` (ORACLE's
            ``get_augmented_sources``); ``"fraction"``: one random prefix per object of length
            ``max(1, int(f * n))``, ``f ~ U(0, 1)`` from a per-object stream of ``seed``
            (training augmentation; use a new seed each epoch); ``"days"``: for each ``d`` in
            ``days`` the points with ``t - t_trigger <= d`` days (the evaluation protocol);
            ``"full"``: the whole kept curve.
        seed: seed of ``windows="fraction"``; results do not depend on ``threads``.
        pad_to: T of ``x`` (None: the longest window, or ``max_length`` when given).
        threads: worker threads (0: all cores).
        out: optional 1-D float32 buffer to write ``x`` into (``x`` is then a view of it); lets a
            streaming loop skip the page faults of a fresh allocation per batch.

    Returns:
        ``AugmentedBatch`` (see its docstring; ``feature_names`` gives the columns of ``x``).
    """
    from . import _core

    o = WindowOptions.build(options, **changes)
    if windows not in WINDOWS:
        raise ValueError(f"augment: windows must be one of {WINDOWS}, not {windows!r}")
    batch = _ensure_preprocessed(batch)
    static_obj = (object_static_features(batch, o.static_columns, o.static_flags, o.missing)
                  if (o.static_columns or o.static_flags) else np.zeros((len(batch), 0), np.float32))
    if pad_to is None and o.max_length is not None:
        pad_to = o.max_length
    out = _core.augment(
        batch.mjd, batch.band, batch.flux, batch.flux_err, batch.flag, batch.offsets,
        batch.trigger_mjd, static_obj, windows, np.asarray(o.days, dtype=np.float64),
        int(o.min_length), -1 if o.max_length is None else int(o.max_length), o.keep == "last",
        int(seed) & 0xFFFFFFFFFFFFFFFF, int(_index_base), float(o.time_scale), o.flux_scale,
        float(o.flux_divisor), o.band_encoding, -1 if pad_to is None else int(pad_to), int(threads), out)
    source = out["source"]
    return AugmentedBatch(
        x=out["x"], lengths=out["lengths"], source=source, t_end=out["t_end"], static=out["static"],
        labels=None if batch.labels is None else batch.labels[source],
        feature_names=feature_names(o.band_encoding), static_names=static_names(o.static_columns, o.static_flags),
        days=out["days"] if windows == "days" else None, n_dropped=batch.n_dropped)


def iter_augment(batch: LightCurveBatch, windows: str = "full", options: WindowOptions | None = None, *,
                 chunk_objects: int = 8192, reuse_buffer: bool = False, pad_to: int | None = None,
                 seed: int = 0, threads: int = 0, **changes: Any) -> Iterator[AugmentedBatch]:
    """``augment`` over chunks of ``chunk_objects`` objects, so only one chunk's ``x`` is in memory.

    Every chunk has the same T (``max_length`` when given, else the longest kept curve of the
    whole batch) and ``source`` indexes the whole batch; the windows (random ones included) are
    those ``augment(batch, ...)`` would give, in the same order.

    With ``reuse_buffer=True`` every chunk's ``x`` is written into one buffer allocated once:
    faster, but a chunk's ``x`` is only valid until the next chunk is requested (copy it to keep it).
    """
    o = WindowOptions.build(options, **changes)
    batch = _ensure_preprocessed(batch)
    if chunk_objects < 1:
        raise ValueError("iter_augment: chunk_objects must be >= 1")
    if pad_to is None:
        pad_to = o.max_length or (int(batch.lengths.max()) if len(batch) else 0)
    buffer = None
    if reuse_buffer and len(batch):
        most = max(int(_max_windows(batch[s:s + chunk_objects], windows, o)) for s in range(0, len(batch), chunk_objects))
        buffer = np.empty(most * pad_to * len(feature_names(o.band_encoding)), dtype=np.float32)
    for start in range(0, len(batch), chunk_objects):
        part = batch[start:start + chunk_objects]
        res = augment(part, windows, o, seed=seed, pad_to=pad_to, threads=threads, _index_base=start, out=buffer)
        res.source = res.source + start
        yield res


def _max_windows(batch: LightCurveBatch, windows: str, o: WindowOptions) -> int:
    """An upper bound on the number of windows ``augment`` makes of ``batch``."""
    if windows == "prefix":
        return int(np.maximum(batch.lengths - o.min_length + 1, 0).sum())
    if windows == "days":
        return len(batch) * len(o.days)
    return len(batch)


def _ensure_preprocessed(batch: LightCurveBatch) -> LightCurveBatch:
    if batch.trigger_mjd is not None:
        return batch
    from .preprocess import preprocess

    log.info("augment: batch was not preprocessed; running preprocess(batch) with its defaults")
    return preprocess(batch)
