"""Pure-Python twin of the C++ preprocessing and windowing, written for clarity, not speed.

It is the correctness oracle (tests assert the C++ path gives identical arrays) and the slow
baseline of ``benchmarks/augment.py``. One object at a time, in the style of ORACLE's
``LSST_Source``:

    >>> src = LSSTSource(mjd, band, flux, flux_err, flag)       # one object, any order
    >>> windows = src.get_augmented_sources(min_length=1)        # prefixes, longest first
    >>> ax = src.plot_flux_curve()

The batch functions ``preprocess``, ``augment`` and ``static_features`` mirror
``elasticc_fast.preprocess``, ``elasticc_fast.augment`` and the static-feature kernel.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Sequence

import numpy as np

from .batch import LightCurveBatch
from .options import DEFAULT_DAYS
from .static_features import (
    DDF_CENTRES_DEG,
    DDF_RADIUS_DEG,
    MISSING,
    MW_PLANE_B_DEG,
    NGP_ICRS,
    ORACLE_STATIC_COLUMNS,
    head_matrix,
    is_sentinel,
    sky_position,
    static_names,
)
from .units import BAND_WAVELENGTH_UM, BANDS, PHOTFLAG_DETECTION, PHOTFLAG_SATURATED, PHOTFLAG_TRIGGER

#: fixed colours per band for plots (ORACLE's choice)
BAND_COLOURS = {"u": "blue", "g": "green", "r": "red", "i": "teal", "z": "orange", "Y": "purple"}
_MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------------- seeded uniform numbers
def _mix64(z: int) -> int:
    """SplitMix64 finaliser (the C++ kernel uses the same constants)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def uniform(seed: int, index: int) -> float:
    """U[0, 1) number of object ``index`` for ``seed``: one stream per object, so results do not
    depend on how objects are split over threads or chunks."""
    z = (_mix64(seed & _MASK64) + (index + 1) * 0x9E3779B97F4A7C15) & _MASK64
    return (_mix64(z) >> 11) * 2.0 ** -53


# ---------------------------------------------------------------------- one object
class LSSTSource:
    """One light curve, preprocessed as in ORACLE's ``LSST_Source.process_lightcurve``.

    On construction the points are sorted by MJD (stable, NaN last), saturated points
    (PHOTFLAG & 1024) removed, the trigger found and the history cut (see ``preprocess``).
    ``self.dropped`` is True when no detection is left (the object has no usable curve).
    Attributes ``MJD`` (days), ``BAND`` (uint8 index), ``FLUXCAL``, ``FLUXCALERR``, ``PHOTFLAG``
    hold the kept points; ``trigger_mjd`` the trigger time (MJD).
    """

    time_series_features = ("MJD", "BAND", "FLUXCAL", "FLUXCALERR", "PHOTFLAG")

    def __init__(self, mjd: Sequence[float], band: Sequence[int], flux: Sequence[float],
                 flux_err: Sequence[float], flag: Sequence[int], *, snid: Any = None,
                 trigger: str = "first_detection", history: str = "window",
                 preprocessed: bool = False, trigger_mjd: float | None = None) -> None:
        self.SNID = snid
        self.MJD = [float(v) for v in mjd]
        self.BAND = [int(v) for v in band]
        self.FLUXCAL = [float(np.float32(v)) for v in flux]
        self.FLUXCALERR = [float(np.float32(v)) for v in flux_err]
        self.PHOTFLAG = [int(v) for v in flag]
        self.dropped = False
        if preprocessed:
            self.trigger_mjd = float(trigger_mjd)  # type: ignore[arg-type]
            self.saturated_mjd: list[float] = []
        else:
            self.process_lightcurve(trigger, history)

    @classmethod
    def from_batch(cls, batch: LightCurveBatch, i: int, *, trigger: str = "first_detection",
                   history: str = "window") -> "LSSTSource":
        """Object ``i`` of a batch (a preprocessed batch is taken as it is)."""
        o = batch.object(i)
        pre = batch.trigger_mjd is not None
        return cls(o["mjd"], o["band"], o["flux"], o["flux_err"], o["flag"], snid=batch.ids[i],
                   trigger=trigger, history=history, preprocessed=pre,
                   trigger_mjd=batch.trigger_mjd[i] if pre else None)

    # -- preprocessing
    def _keep(self, idx: Sequence[int]) -> None:
        for name in self.time_series_features:
            values = getattr(self, name)
            setattr(self, name, [values[i] for i in idx])

    def process_lightcurve(self, trigger: str, history: str) -> None:
        """Sort, drop saturated points, find the trigger, cut the history (see ``preprocess``)."""
        order = sorted(range(len(self.MJD)), key=lambda i: (math.isnan(self.MJD[i]), self.MJD[i]))
        self._keep(order)
        # the PHOTFLAG trigger point, looked up before saturated points go
        trig_pos = next((i for i, f in enumerate(self.PHOTFLAG) if f & PHOTFLAG_TRIGGER), None)
        if trig_pos is not None and self.PHOTFLAG[trig_pos] & PHOTFLAG_SATURATED:
            trig_pos = None
        self.saturated_mjd = [m for m, f in zip(self.MJD, self.PHOTFLAG, strict=True) if f & PHOTFLAG_SATURATED]
        unsat = [i for i, f in enumerate(self.PHOTFLAG) if not f & PHOTFLAG_SATURATED]
        if trig_pos is not None:
            trig_pos = unsat.index(trig_pos)
        self._keep(unsat)

        det = [bool(f & PHOTFLAG_DETECTION) for f in self.PHOTFLAG]
        if not any(det):
            self.dropped = True
            self.trigger_mjd = math.nan
            self._keep([])
            return
        first_det = det.index(True)
        last_det = len(det) - 1 - det[::-1].index(True)
        tr = trig_pos if (trigger == "photflag" and trig_pos is not None) else first_det
        self.trigger_mjd = self.MJD[tr]
        if history == "all":
            return
        before = [i for i in range(tr) if not det[i]]
        last_before = before[-1] if before else None
        keep = [i for i in range(len(det))
                if det[i] or i == tr or i == last_before or tr < i < last_det]
        self._keep(keep)

    # -- windows
    def __len__(self) -> int:
        return len(self.MJD)

    def truncated(self, length: int) -> "LSSTSource":
        """A copy holding the first ``length`` kept points."""
        other = copy.copy(self)
        for name in self.time_series_features:
            setattr(other, name, getattr(self, name)[:length])
        return other

    def get_augmented_sources(self, min_length: int = 1) -> list["LSSTSource"]:
        """Every prefix of the kept curve of ``min_length`` points or more, longest first (the
        seed's windowing); static data is shared."""
        if min_length < 1:
            raise ValueError("min_length must be >= 1")
        return [self.truncated(n) for n in range(len(self), min_length - 1, -1)]

    def window_lengths(self, windows: str, *, index: int = 0, seed: int = 0,
                       days: Sequence[float] = DEFAULT_DAYS, min_length: int = 1) -> list[tuple[int, float]]:
        """Prefix lengths of this object's windows, as (length, days value or NaN)."""
        n = len(self)
        if windows == "prefix":
            out = [(k, math.nan) for k in range(min_length, n + 1)]
        elif windows == "fraction":
            out = [(max(1, int(uniform(seed, index) * n)), math.nan)]
        elif windows == "full":
            out = [(n, math.nan)]
        elif windows == "days":
            out = []
            for d in days:
                k = 0
                while k < n and self.MJD[k] - self.trigger_mjd <= d:
                    k += 1
                out.append((k, float(d)))
        else:
            raise ValueError(f"unknown windows={windows!r}")
        return [(k, d) for k, d in out if k >= min_length]

    def point_features(self, i: int, *, time_scale: float, flux_scale: str, flux_divisor: float,
                       band_encoding: str) -> list[float]:
        """Features of kept point ``i`` (see ``elasticc_fast.augment`` for order and units)."""
        t = np.float32((self.MJD[i] - self.trigger_mjd) / time_scale)
        det = np.float32(1.0 if self.PHOTFLAG[i] & PHOTFLAG_DETECTION else 0.0)
        if flux_scale == "asinh":
            f, e = math.asinh(self.FLUXCAL[i]), math.asinh(self.FLUXCALERR[i])
        else:
            f, e = self.FLUXCAL[i] / flux_divisor, self.FLUXCALERR[i] / flux_divisor
        row = [t, det, np.float32(f), np.float32(e)]
        if band_encoding == "onehot":
            row += [np.float32(1.0 if self.BAND[i] == b else 0.0) for b in range(len(BANDS))]
        else:
            row.append(np.float32(BAND_WAVELENGTH_UM[self.BAND[i]]))
        return row

    # -- plot
    def plot_flux_curve(self, ax: Any = None, *, show_saturated: bool = True) -> Any:
        """FLUXCAL against MJD: one fixed colour per band, detections as stars, non-detections as
        open circles, saturated points (removed from the curve) as crosses at the top, a dashed
        line at the trigger. Returns the axes; never calls ``plt.show()``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        for b, letter in enumerate(BANDS):
            for is_det, marker in ((True, "*"), (False, "o")):
                idx = [i for i in range(len(self)) if self.BAND[i] == b
                       and bool(self.PHOTFLAG[i] & PHOTFLAG_DETECTION) == is_det]
                if not idx:
                    continue
                ax.errorbar([self.MJD[i] for i in idx], [self.FLUXCAL[i] for i in idx],
                            yerr=[self.FLUXCALERR[i] for i in idx], fmt=marker, ms=8 if is_det else 5,
                            color=BAND_COLOURS[letter], mfc=BAND_COLOURS[letter] if is_det else "none",
                            label=f"{letter} {'detection' if is_det else 'non-detection'}")
        if show_saturated and self.saturated_mjd:
            top = max(self.FLUXCAL, default=1.0)
            ax.scatter(self.saturated_mjd, [top] * len(self.saturated_mjd), marker="x", color="black",
                       label="saturated (removed)")
        if not math.isnan(self.trigger_mjd):
            ax.axvline(self.trigger_mjd, color="grey", ls="--", label="trigger")
        ax.set_xlabel("MJD (days)")
        ax.set_ylabel("FLUXCAL (zero point 27.5)")
        ax.set_title(f"SNID {self.SNID}")
        ax.legend(fontsize="small")
        return ax


# ---------------------------------------------------------------------- batch functions
def preprocess(batch: LightCurveBatch, trigger: str = "first_detection",
               history: str = "window") -> LightCurveBatch:
    """Per object: sort by MJD, drop saturated points, find the trigger, cut the history.

    ``trigger="first_detection"``: the first detection (PHOTFLAG & 4096). ``"photflag"``: the
    first point with PHOTFLAG & 2048, or the first detection when there is none or it is
    saturated. ``history="window"`` keeps every detection, the trigger point, the last
    non-detection before the trigger and every non-detection between the trigger and the last
    detection; ``"all"`` keeps every unsaturated point. Objects without a detection are dropped.
    """
    _check_modes(trigger, history)
    cols: dict[str, list] = {k: [] for k in ("mjd", "band", "flux", "flux_err", "flag")}
    lengths, kept, trig = [], [], []
    for i in range(len(batch)):
        o = batch.object(i)
        src = LSSTSource(o["mjd"], o["band"], o["flux"], o["flux_err"], o["flag"],
                         trigger=trigger, history=history)
        if src.dropped:
            continue
        kept.append(i)
        trig.append(src.trigger_mjd)
        lengths.append(len(src))
        for key, name in zip(cols, LSSTSource.time_series_features, strict=True):
            cols[key] += getattr(src, name)
    kept = np.array(kept, dtype=np.int64)
    out = LightCurveBatch.from_arrays(
        lengths=np.array(lengths, dtype=np.int64), ids=batch.ids[kept],
        static=batch.static.take(kept), labels=None if batch.labels is None else batch.labels[kept],
        **{k: np.array(v, dtype=d) for (k, v), d in zip(cols.items(), (np.float64, np.uint8, np.float32, np.float32, np.int32), strict=True)})
    out.trigger_mjd = np.array(trig, dtype=np.float64)
    out.n_dropped = len(batch) - len(kept)
    return out


def static_row(values: Sequence[float], ra: float, dec: float, *, missing: float = MISSING,
               flags: bool = True) -> list[float]:
    """Static features of one object: each HEAD value, or ``missing`` for a sentinel/NaN; then
    MW_plane_flag (|b| < 15 deg) and the four DDF flags (within 1.75 deg of the field centre)."""
    row = [missing if is_sentinel(v) else float(np.float32(v)) for v in values]
    if flags:
        a, d = math.radians(ra), math.radians(dec)
        v = (math.cos(d) * math.cos(a), math.cos(d) * math.sin(a), math.sin(d))
        sin_b = v[0] * NGP_ICRS[0] + v[1] * NGP_ICRS[1] + v[2] * NGP_ICRS[2]
        row.append(1.0 if abs(sin_b) < math.sin(math.radians(MW_PLANE_B_DEG)) else 0.0)
        cos_r = math.cos(math.radians(DDF_RADIUS_DEG))
        for ra_c, dec_c in DDF_CENTRES_DEG:
            a_c, d_c = math.radians(ra_c), math.radians(dec_c)
            c = (math.cos(d_c) * math.cos(a_c), math.cos(d_c) * math.sin(a_c), math.sin(d_c))
            row.append(1.0 if v[0] * c[0] + v[1] * c[1] + v[2] * c[2] > cos_r else 0.0)
    return row


def static_features(batch: LightCurveBatch, columns: Sequence[str] = ORACLE_STATIC_COLUMNS,
                    flags: bool = True, missing: float = MISSING) -> np.ndarray:
    """(n, S) float32 static features of every object (see ``static_row``)."""
    values = head_matrix(batch.static, columns)
    ra, dec = sky_position(batch.static) if flags else (np.zeros(len(batch)), np.zeros(len(batch)))
    rows = [static_row(values[i], ra[i], dec[i], missing=missing, flags=flags) for i in range(len(batch))]
    return np.array(rows, dtype=np.float32).reshape(len(batch), len(static_names(columns, flags)))


def augment(batch: LightCurveBatch, windows: str = "full", *, days: Sequence[float] = DEFAULT_DAYS,
            min_length: int = 1, max_length: int | None = None, keep: str = "last", seed: int = 0,
            time_scale: float = 100.0, flux_scale: str = "linear", flux_divisor: float = 1000.0,
            band_encoding: str = "wavelength", static_columns: Sequence[str] = ORACLE_STATIC_COLUMNS,
            static_flags: bool = True, missing: float = MISSING, index_base: int = 0) -> Any:
    """The windows of ``elasticc_fast.augment``, one object and one point at a time.

    ``batch`` must be preprocessed (``batch.trigger_mjd`` set). Same arguments and result as
    ``elasticc_fast.augment`` (see there for the feature order and units).
    """
    from .augment import AugmentedBatch, feature_names

    if batch.trigger_mjd is None:
        raise ValueError("reference.augment needs a preprocessed batch (run reference.preprocess)")
    if min_length < 1:
        raise ValueError("min_length must be >= 1")
    opts = dict(time_scale=time_scale, flux_scale=flux_scale, flux_divisor=flux_divisor,
                band_encoding=band_encoding)
    static_obj = static_features(batch, static_columns, static_flags, missing)
    seqs, source, t_end, day_values = [], [], [], []
    for i in range(len(batch)):
        o = batch.object(i)
        src = LSSTSource(o["mjd"], o["band"], o["flux"], o["flux_err"], o["flag"], snid=batch.ids[i],
                         preprocessed=True, trigger_mjd=batch.trigger_mjd[i])
        for k, d in src.window_lengths(windows, index=index_base + i, seed=seed, days=days,
                                       min_length=min_length):
            lo, hi = 0, k
            if max_length is not None and k > max_length:
                lo, hi = (k - max_length, k) if keep == "last" else (0, max_length)
            seqs.append([src.point_features(p, **opts) for p in range(lo, hi)])
            source.append(i)
            t_end.append(src.MJD[hi - 1] - src.trigger_mjd)
            day_values.append(d)
    names = feature_names(band_encoding)
    T = max_length if max_length is not None else max((len(s) for s in seqs), default=0)
    x = np.zeros((len(seqs), T, len(names)), dtype=np.float32)
    for w, s in enumerate(seqs):
        if s:
            x[w, :len(s)] = np.array(s, dtype=np.float32)
    src_idx = np.array(source, dtype=np.int64)
    return AugmentedBatch(
        x=x, lengths=np.array([len(s) for s in seqs], dtype=np.int32), source=src_idx,
        t_end=np.array(t_end, dtype=np.float64), static=static_obj[src_idx],
        labels=None if batch.labels is None else batch.labels[src_idx],
        feature_names=names, static_names=static_names(static_columns, static_flags),
        days=np.array(day_values, dtype=np.float64) if windows == "days" else None,
        n_dropped=batch.n_dropped)


def _check_modes(trigger: str, history: str) -> None:
    if trigger not in ("first_detection", "photflag"):
        raise ValueError(f"trigger must be 'first_detection' or 'photflag', not {trigger!r}")
    if history not in ("window", "all"):
        raise ValueError(f"history must be 'window' or 'all', not {history!r}")
