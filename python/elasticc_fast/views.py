"""Random views of light curves for training (fresh each epoch) and fixed cuts for evaluation.

A *view* of an object is its light curve cut some days after its first detection, optionally with
flux noise drawn from each point's error and some points dropped. Views are new
:class:`~elasticc_fast.batch.LightCurveBatch` objects (one per object, same order and ids), so
every consumer (``augment``, the ``light-curve`` feature extractor, the hybrid model's inputs)
sees exactly the same points.

- :func:`cut_batch` keeps, per object, the points up to ``days[i]`` after the first detection
  (flag 4096); points before the first detection (non-detections) stay. The evaluation cuts
  (4, 8, ... 64 days, full) are ``cut_batch`` with one value for all objects: the same points
  :func:`elasticc_fast.baselines.features.extract_features` keeps with ``max_days``.
- :func:`random_views` draws the training augmentation: cut at ``2**U(0, max_log2_days)`` days,
  ``flux += flux_err * N(0, 1)`` and each point after the first detection dropped with
  probability ``drop``; with chance ``full_share`` a view is not cut at all (the whole curve, as
  the full-curve evaluation sees it); with ``thin`` > 0 a view's non-detections are dropped at a
  rate drawn per view from U(0, thin) (alerts carry more or fewer forced-photometry points by
  broker and format: a model that does not count on them). Deterministic for a seed (use a new seed every epoch).
- :func:`noisy_view` redraws only the fluxes (every point kept): the test-time views a model's
  prediction can be averaged over (``TrainConfig.test_views``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batch import LightCurveBatch
from .units import PHOTFLAG_DETECTION


@dataclass(frozen=True)
class ViewOptions:
    """The training augmentation of :func:`random_views` (times in days)."""

    max_log2_days: float = 11.0  #: cut at 2**U(min_log2_days, max_log2_days) days after first detection
    min_log2_days: float = 0.0
    noise: bool = True           #: add flux_err * N(0, 1) to every flux
    drop: float = 0.1            #: probability of dropping each point after the first detection
    full_share: float = 0.0      #: chance that a view is not cut (whole curve; noise and drops still apply)
    thin: float = 0.0            #: drop a view's non-detections at a per-view rate U(0, thin) (0: off)

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop < 1.0:
            raise ValueError(f"ViewOptions: drop must be in [0, 1), not {self.drop}")
        if not 0.0 <= self.full_share <= 1.0:
            raise ValueError(f"ViewOptions: full_share must be in [0, 1], not {self.full_share}")
        if not 0.0 <= self.thin < 1.0:
            raise ValueError(f"ViewOptions: thin must be in [0, 1), not {self.thin}")
        if self.max_log2_days < self.min_log2_days:
            raise ValueError("ViewOptions: max_log2_days must be >= min_log2_days")


def first_detection_mjd(batch: LightCurveBatch) -> np.ndarray:
    """(n,) MJD of each object's first detection (flag 4096); NaN for an object with none."""
    det = (batch.flag & PHOTFLAG_DETECTION) != 0
    obj = np.repeat(np.arange(len(batch)), batch.lengths)
    out = np.full(len(batch), np.inf)
    np.minimum.at(out, obj[det], batch.mjd[det])
    out[~np.isfinite(out)] = np.nan
    return out


def _since_first(batch: LightCurveBatch) -> tuple[np.ndarray, np.ndarray]:
    """(object index of each point, days since its object's first detection)."""
    obj = np.repeat(np.arange(len(batch)), batch.lengths)
    return obj, batch.mjd - first_detection_mjd(batch)[obj]


def _subset(batch: LightCurveBatch, keep: np.ndarray, flux: np.ndarray | None = None) -> LightCurveBatch:
    """The batch with only the points ``keep`` (per-object columns unchanged)."""
    obj = np.repeat(np.arange(len(batch)), batch.lengths)
    counts = np.bincount(obj[keep], minlength=len(batch))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    f = batch.flux if flux is None else flux
    return LightCurveBatch(mjd=batch.mjd[keep], band=batch.band[keep], flux=f[keep],
                           flux_err=batch.flux_err[keep], flag=batch.flag[keep], offsets=offsets,
                           ids=batch.ids, static=batch.static, labels=batch.labels,
                           trigger_mjd=batch.trigger_mjd, n_dropped=batch.n_dropped)


def max_days(cut: float | None, horizon: float | None) -> float | None:
    """The points a cut keeps, a horizon applied: min(cut, horizon) in days (None: no limit)."""
    limits = [d for d in (cut, horizon) if d is not None]
    return min(limits) if limits else None


def cut_batch(batch: LightCurveBatch, days: float | np.ndarray | None) -> LightCurveBatch:
    """Each object's points up to ``days`` (scalar or (n,)) after its first detection; None: all.
    An object with no detection keeps nothing."""
    if days is None:
        return batch
    obj, t = _since_first(batch)
    limit = np.broadcast_to(np.asarray(days, dtype=np.float64), (len(batch),))
    return _subset(batch, np.nan_to_num(t, nan=np.inf) <= limit[obj])


def noisy_view(batch: LightCurveBatch, seed: int) -> LightCurveBatch:
    """``batch`` with every flux redrawn as ``flux + flux_err * N(0, 1)``, every point kept
    (deterministic for a seed; the noise of :func:`random_views` without its cut and drops)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x7E57]))
    flux = batch.flux + (batch.flux_err * rng.standard_normal(batch.n_obs)).astype(np.float32)
    return _subset(batch, np.ones(batch.n_obs, bool), flux)


def random_views(batch: LightCurveBatch, seed: int, options: ViewOptions = ViewOptions()
                 ) -> tuple[LightCurveBatch, np.ndarray]:
    """One random view of every object (see the module docstring) and its cut in days (n,; inf for
    a view that is not cut).

    The first detection is never dropped, so every object with a detection keeps at least one point.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x5EED]))
    n = len(batch)
    cut = 2.0 ** rng.uniform(options.min_log2_days, options.max_log2_days, n)
    if options.full_share > 0:  # drawn only when asked, so full_share 0 gives the same views as before
        cut[rng.random(n) < options.full_share] = np.inf
    obj, t = _since_first(batch)
    t = np.nan_to_num(t, nan=np.inf)
    keep = t <= cut[obj]
    noise = rng.standard_normal(batch.n_obs)
    if options.drop > 0:
        dropped = rng.random(batch.n_obs) < options.drop
        keep &= ~(dropped & (t > 0))
    if options.thin > 0:  # drawn only when asked, so thin 0 gives the same views as before
        rate = rng.uniform(0.0, options.thin, n)[obj]
        keep &= ~(((batch.flag & PHOTFLAG_DETECTION) == 0) & (rng.random(batch.n_obs) < rate))
    flux = batch.flux + (batch.flux_err * noise).astype(np.float32) if options.noise else None
    return _subset(batch, keep, flux), cut
