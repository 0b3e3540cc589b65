"""Redshift augmentation of training light curves (Boone 2019, "Avocado"), simplified for alert photometry.

An object of known redshift ``z`` is re-observed as if it were at another redshift ``z'``:

- **times** are stretched by ``s = (1 + z') / (1 + z)`` around the brightest point (time dilation);
  when ``s < 1`` each point is kept with probability ``s``, so the compressed curve is not sampled
  more densely than the survey samples a real one;
- **fluxes** are scaled by ``a = (d_L(z) / d_L(z'))**2`` (Planck15 luminosity distance). No
  K-correction and no ``(1 + z)`` bandwidth factor: the colours and the spectral shape stay those
  observed at ``z``, which is a fair approximation for the moves made here (|log10 z'/z| <= 0.3,
  mostly to lower ``z``: a few hundredths in ``z`` for a typical BTS supernova);
- **errors**: ZTF errors near the limit are background-dominated, so a point made fainter
  (``a < 1``) keeps its absolute error and gets extra noise ``err * sqrt(1 - a**2) * N(0, 1)`` (its
  scatter is the error again); a point made brighter keeps the noise it has, scaled by ``a``, so
  its error is scaled by ``a`` too (its signal-to-noise stays what it was: conservative);
- **detection limit**: a point made fainter is removed when it falls below ``mag_limit`` or below
  ``min_snr`` (it would not have been an alert); a limit a point already violated at ``z`` does not
  remove it (the real curves have such points too). The brightest point is always kept;
- **selection** (BTS: peak brighter than 18.5 mag): ``z'`` is drawn log-uniformly within
  ``max_shift_dex`` of ``z`` but never so far that the brightest point falls below ``peak_mag``
  (an object already fainter than that only moves to lower ``z``).

Objects without a usable redshift (NaN, or below ``min_redshift``, e.g. the BTS M31 novae at
z = 0.00017) are never moved. Fluxes are in microjansky (``zero_point`` 23.9: AB mag of 1 uJy).
The redshift is training-time metadata: it is never an input unless the track gives it as
context (then the caller moves that context to ``z'``, :class:`~elasticc_fast.nn.hybrid_data.HybridData`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .batch import LightCurveBatch


@dataclass(frozen=True)
class RedshiftOptions:
    """The rules of :func:`redshift_batch` (magnitudes AB, fluxes in units of ``zero_point``)."""

    max_shift_dex: float = 0.3   #: z' = z * 10**U(-max_shift_dex, +max_shift_dex), then the selection
    peak_mag: float = 18.5       #: the brightest point must stay brighter than this (BTS selection)
    mag_limit: float = 20.5      #: points made fainter than this are removed (ZTF ~5 sigma depth)
    min_snr: float = 5.0         #: points made fainter below this signal-to-noise are removed
    min_redshift: float = 0.001  #: objects with a smaller (or no) redshift are never moved
    zero_point: float = 23.9     #: AB magnitude of flux 1 (23.9: microjansky)
    draw: str = "shift"          #: "shift": z' log-uniform within max_shift_dex of z; "volume": the same
    #: range, uniform in (Euclidean) volume, z'**3 (a magnitude-limited sample's mix of near and far);
    #: "class": z' drawn from the redshifts
    #: of the training objects of the same class (the class's observed distribution, as Avocado draws from
    #: a target distribution), the first of ``tries`` draws the selection allows (none: not moved)
    tries: int = 8

    def __post_init__(self) -> None:
        if self.draw not in ("shift", "volume", "class") or self.tries < 1:
            raise ValueError(f"RedshiftOptions: draw must be 'shift', 'volume' or 'class' and tries >= 1, "
                             f"not {self.draw!r}, {self.tries}")
        if not self.max_shift_dex >= 0 or not self.min_redshift > 0:
            raise ValueError(f"RedshiftOptions: max_shift_dex must be >= 0 and min_redshift > 0, "
                             f"not {self.max_shift_dex}, {self.min_redshift}")

    def flux_at(self, mag: float) -> float:
        return float(10.0 ** (0.4 * (self.zero_point - mag)))


@functools.lru_cache(maxsize=1)
def _distance_table() -> tuple[np.ndarray, np.ndarray]:
    """log10 z and log10 d_L (Mpc) on a grid z = 1e-5 ... 10 (Planck15), built once."""
    from astropy.cosmology import Planck15

    z = np.logspace(-5, 1, 3001)
    return np.log10(z), np.log10(Planck15.luminosity_distance(z).to_value("Mpc"))


def luminosity_distance(z: np.ndarray | float) -> np.ndarray:
    """Planck15 luminosity distance (Mpc) of ``z`` (interpolated in log-log, relative error < 1e-6)."""
    lz, ld = _distance_table()
    return 10.0 ** np.interp(np.log10(np.asarray(z, np.float64)), lz, ld)


def redshift_at_distance(d_l: np.ndarray | float) -> np.ndarray:
    """The inverse of :func:`luminosity_distance` (``d_l`` in Mpc)."""
    lz, ld = _distance_table()
    return 10.0 ** np.interp(np.log10(np.asarray(d_l, np.float64)), ld, lz)


def usable(z: np.ndarray, options: RedshiftOptions = RedshiftOptions()) -> np.ndarray:
    """(n,) bool: the objects :func:`redshift_batch` may move (a finite redshift >= ``min_redshift``)."""
    z = np.asarray(z, np.float64)
    return np.isfinite(z) & (np.nan_to_num(z, nan=0.0) >= options.min_redshift)


def peak_flux(batch: LightCurveBatch) -> np.ndarray:
    """(n,) the brightest flux of each object (-inf for an object with no point)."""
    out = np.full(len(batch), -np.inf)
    np.maximum.at(out, np.repeat(np.arange(len(batch)), batch.lengths), batch.flux.astype(np.float64))
    return out


def draw_redshifts(z: np.ndarray, peak: np.ndarray, rng: np.random.Generator,
                   options: RedshiftOptions = RedshiftOptions()) -> np.ndarray:
    """(n,) new redshifts within ``max_shift_dex`` of ``z`` (log-uniform, or uniform in volume with
    ``draw="volume"``), at least ``min_redshift``,
    and no farther than where the brightest flux ``peak`` falls to ``peak_mag`` (an object already
    fainter than that may only come closer). Unusable redshifts are returned unchanged."""
    z = np.asarray(z, np.float64)
    ok = usable(z, options)
    zz = np.where(ok, z, 1.0)
    z_far = farthest_redshift(zz, peak, options)
    hi = np.clip(np.log10(np.maximum(z_far, zz) / zz), 0.0, options.max_shift_dex)
    lo = np.minimum(np.maximum(-options.max_shift_dex, np.log10(options.min_redshift / zz)), 0.0)
    if options.draw == "volume":  # z'**3 uniform between the range's ends
        new = np.cbrt(rng.uniform((zz * 10.0 ** lo) ** 3, (zz * 10.0 ** hi) ** 3))
    else:
        new = zz * 10.0 ** rng.uniform(lo, hi)
    return np.where(ok, new, z)


def farthest_redshift(z: np.ndarray, peak: np.ndarray, options: RedshiftOptions = RedshiftOptions()) -> np.ndarray:
    """(n,) the largest z' at which the brightest flux ``peak`` (at ``z``) is still brighter than
    ``peak_mag``, or ``z`` itself when it is already fainter (flux scale a >= min(1, F(peak_mag) / peak))."""
    a_min = np.minimum(1.0, options.flux_at(options.peak_mag) / np.where(peak > 0, peak, np.inf))
    a_min = np.where(a_min > 0, a_min, 1.0)
    return redshift_at_distance(luminosity_distance(z) / np.sqrt(a_min))


def pick_redshifts(z: np.ndarray, peak: np.ndarray, candidates: np.ndarray,
                   options: RedshiftOptions = RedshiftOptions()) -> np.ndarray:
    """(n,) for each object the first of its ``candidates`` (n, k) redshifts that is usable and no farther
    than :func:`farthest_redshift` (``draw="class"``); ``z`` itself when none is, or ``z`` is unusable."""
    z = np.asarray(z, np.float64)
    ok = usable(z, options)
    c = np.asarray(candidates, np.float64).reshape(len(z), -1)
    z_far = farthest_redshift(np.where(ok, z, 1.0), peak, options)
    good = usable(c, options) & (np.nan_to_num(c, nan=np.inf) <= z_far[:, None] * (1 + 1e-9))
    first = np.argmax(good, axis=1)
    found = good[np.arange(len(z)), first] & ok
    return np.where(found, c[np.arange(len(z)), first], z)


def _peak_times(batch: LightCurveBatch, obj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(MJD of each object's brightest point (the first of ties), (n_obs,) bool: that point)."""
    peak = peak_flux(batch)
    at_peak = batch.flux.astype(np.float64) == peak[obj]
    first = np.full(len(batch), np.iinfo(np.int64).max)
    np.minimum.at(first, obj[at_peak], np.flatnonzero(at_peak))
    is_peak = np.zeros(batch.n_obs, bool)
    is_peak[first[first < batch.n_obs]] = True
    t_peak = np.zeros(len(batch))
    t_peak[obj[is_peak]] = batch.mjd[is_peak]
    return t_peak, is_peak


def redshift_batch(batch: LightCurveBatch, z: np.ndarray, z_new: np.ndarray, seed: int,
                   options: RedshiftOptions = RedshiftOptions()) -> LightCurveBatch:
    """``batch`` re-observed at redshifts ``z_new`` (the module docstring's rules; objects whose
    ``z`` is not usable, or equals ``z_new``, come back unchanged). Deterministic for a seed."""
    from .views import _subset

    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x2ED5]))
    z = np.asarray(z, np.float64)
    move = usable(z, options) & (np.asarray(z_new, np.float64) != z)
    zz = np.where(move, z, 1.0)
    zn = np.where(move, z_new, 1.0)
    s = (1.0 + zn) / (1.0 + zz)
    a = (luminosity_distance(zz) / luminosity_distance(zn)) ** 2
    obj = np.repeat(np.arange(len(batch)), batch.lengths)
    t_peak, is_peak = _peak_times(batch, obj)
    f, e = batch.flux.astype(np.float64), batch.flux_err.astype(np.float64)
    ap = a[obj]
    noise = rng.standard_normal(batch.n_obs) * e * np.sqrt(np.clip(1.0 - ap ** 2, 0.0, None))
    flux = ap * f + noise
    err = e * np.maximum(ap, 1.0)
    snr = np.divide(f, e, out=np.full_like(f, np.inf), where=e > 0)
    seen = (flux >= np.minimum(options.flux_at(options.mag_limit), f)) & (
        np.divide(flux, err, out=np.full_like(f, np.inf), where=err > 0) >= np.minimum(options.min_snr, snr))
    thin = rng.random(batch.n_obs) < np.minimum(s, 1.0)[obj]
    keep = ~move[obj] | is_peak | (seen & thin)
    flux = np.where(move[obj], flux, f)
    err = np.where(move[obj], err, e)
    mjd = np.where(move[obj], t_peak[obj] + (batch.mjd - t_peak[obj]) * s[obj], batch.mjd)
    moved = _subset(batch, keep, flux.astype(batch.flux.dtype))
    kept_err = err[keep].astype(batch.flux_err.dtype)
    return _replace_points(moved, mjd[keep], kept_err)


def _replace_points(batch: LightCurveBatch, mjd: np.ndarray, flux_err: np.ndarray) -> LightCurveBatch:
    import dataclasses

    return dataclasses.replace(batch, mjd=mjd.astype(batch.mjd.dtype), flux_err=flux_err)
