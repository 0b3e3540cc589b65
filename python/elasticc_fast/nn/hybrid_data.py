"""Windows for the hybrid model: fresh random views every epoch (class-balanced), fixed cuts to
evaluate. A :class:`HybridData` is a callable ``seed -> AugmentedBatch``, so it plugs into
:func:`elasticc_fast.nn.fit` as the training input (one new draw per epoch's seed).

Each epoch: objects of ``pool`` drawn by :func:`~elasticc_fast.nn.sampling.balanced_epoch` (class
``c`` a fraction ``N_c**power / sum N_k**power`` of the epoch; ``sampler_power=None`` takes every
object once), one :func:`~elasticc_fast.views.random_views` view of each draw (the k-th draw of an
object in an epoch gets the views of seed ``(seed, k)``), and its inputs by
:func:`~elasticc_fast.nn.hybrid_inputs.hybrid_windows` (the ``light-curve`` features of that very
view included). ``source`` of a window is the index of its object in ``batch``.

A view depends only on the seed, the draw number and the object, never on which other objects
are drawn: so several folds of a cross-validation can share one ``cache`` of extracted features
(the extraction is most of an epoch's data cost). On a miss the features of every object of
``batch`` for that seed are extracted at once.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..augment import AugmentedBatch
from ..batch import LightCurveBatch
from ..redshifting import RedshiftOptions
from ..views import ViewOptions, cut_batch, max_days, noisy_view, random_views
from .hybrid_inputs import hybrid_windows, window_features
from .sampling import balanced_epoch


def draw_rank(idx: np.ndarray) -> np.ndarray:
    """For each entry of ``idx``, how many earlier entries hold the same value (0, 1, 2 ...)."""
    order = np.argsort(idx, kind="stable")
    s = idx[order]
    start = np.r_[0, np.flatnonzero(np.diff(s)) + 1]
    run_start = np.repeat(start, np.diff(np.r_[start, len(s)]))
    rank = np.empty(len(idx), np.int64)
    rank[order] = np.arange(len(s)) - run_start
    return rank


@dataclass
class HybridData:
    """Training/evaluation windows of the objects of ``batch`` (see the module docstring)."""

    batch: LightCurveBatch
    labels: np.ndarray | None = None          #: (n,) leaf node index per object
    context: np.ndarray | None = None         #: (n, C) network context per object (or None)
    context_names: tuple[str, ...] = ()
    pool: np.ndarray | None = None            #: objects an epoch draws from (default all)
    sampler_power: float | None = 0.5
    views: ViewOptions = field(default_factory=ViewOptions)
    max_length: int = 128
    features: bool = True                     #: include the ``light-curve`` features (``lc:`` columns)
    bands: tuple[str, ...] = ("g", "r")       #: the bands those features describe
    n_jobs: int = 1
    cache: dict | None = None                 #: (kind, seed, draw) -> features of every object
    aux: np.ndarray | None = None             #: (n, A) auxiliary training targets per object (windows' ``aux``)
    horizon: float | None = None              #: :meth:`cut` ignores points later than this many days
    #: after the first detection (validation and prediction); training views keep every point
    luminosity: bool = False                  #: add each window's brightest absolute magnitudes
    #: (``lum:`` columns, :func:`~elasticc_fast.luminosity.context_absmag`; needs a redshift context)
    redshift: np.ndarray | None = None        #: (n,) redshift per object, training-time metadata of
    #: the redshift augmentation only (NaN: never moved; give NaN for every object not to be trained on)
    redshift_share: float = 0.0               #: chance that a training view is first re-observed at
    #: another redshift (:mod:`elasticc_fast.redshifting`); 0: off, the windows are exactly those without it
    redshift_options: RedshiftOptions = field(default_factory=RedshiftOptions)

    def __post_init__(self) -> None:
        if self.horizon is not None and not self.horizon > 0:
            raise ValueError(f"HybridData: horizon must be > 0 days or None, not {self.horizon}")
        n = len(self.batch)
        if self.labels is not None and len(self.labels) != n:
            raise ValueError(f"HybridData: {len(self.labels)} labels for {n} objects")
        if self.aux is not None and len(self.aux) != n:
            raise ValueError(f"HybridData: aux has {len(self.aux)} rows for {n} objects")
        if self.context is not None and len(self.context) != n:
            raise ValueError(f"HybridData: context has {len(self.context)} rows for {n} objects")
        if not 0.0 <= self.redshift_share <= 1.0:
            raise ValueError(f"HybridData: redshift_share must be in [0, 1], not {self.redshift_share}")
        if self.redshift_share and self.redshift_options.draw == "class" and self.labels is None:
            raise ValueError("HybridData: redshift_options.draw 'class' needs labels")
        if self.redshift_share and (self.redshift is None or len(self.redshift) != n):
            raise ValueError(f"HybridData: redshift_share {self.redshift_share} needs one redshift per object "
                             f"({n}), not {None if self.redshift is None else len(self.redshift)}")
        self.pool = np.arange(n) if self.pool is None else np.asarray(self.pool, np.int64)

    def _features(self, key: tuple, whole, curves: LightCurveBatch, idx: np.ndarray) -> pd.DataFrame | None:
        """Features of ``curves`` (the windows of objects ``idx``), through the cache when there is
        one: ``whole()`` gives the windows of every object, extracted once per ``key``."""
        if not self.features:
            return None
        if self.cache is None:
            return window_features(curves, self.n_jobs, self.bands)
        if key not in self.cache:
            self.cache[key] = window_features(whole(), self.n_jobs, self.bands)
        return self.cache[key].iloc[idx]

    def _windows(self, curves: LightCurveBatch, idx: np.ndarray, feats, ctx: np.ndarray | None = None
                 ) -> AugmentedBatch:
        if ctx is None:
            ctx = None if self.context is None else self.context[idx]
        w = hybrid_windows(curves, ctx, self.context_names, max_length=self.max_length, n_jobs=self.n_jobs,
                           source=idx, features=self.features, feature_table=feats, bands=self.bands,
                           luminosity=self.luminosity)
        w.labels = None if self.labels is None else np.asarray(self.labels)[idx]
        w.aux = None if self.aux is None else np.asarray(self.aux, np.float32)[idx]
        return w

    def _view_seed(self, seed: int, draw: int) -> int:
        return int(seed) * 64 + draw

    def __call__(self, seed: int) -> AugmentedBatch:
        """One epoch of fresh windows, deterministic for ``seed``."""
        rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0xBA1]))
        if self.sampler_power is None or self.labels is None:
            idx = self.pool[rng.permutation(len(self.pool))]
        else:
            idx = self.pool[balanced_epoch(np.asarray(self.labels)[self.pool], rng, self.sampler_power)]
        rank = draw_rank(idx)
        parts = []
        for r in np.unique(rank):
            objs = idx[rank == r]
            vseed = self._view_seed(seed, int(r))
            moved = self._moved(objs, vseed)
            if moved.any():
                parts.append(self._redshifted_windows(objs[moved], vseed))
                objs = objs[~moved]
            if not len(objs):
                continue
            views = random_views(self.batch, vseed, self.views)[0]
            sub = views.take(objs)
            feats = self._features(("view", vseed, self.views), lambda v=views: v, sub, objs)
            parts.append(self._windows(sub, objs, feats))
        return stack_windows(parts)

    def without_redshift(self) -> "HybridData":
        """The same windows with the redshift augmentation off (validation views of held-out objects)."""
        return dataclasses.replace(self, redshift_share=0.0)

    def _moved(self, objs: np.ndarray, vseed: int) -> np.ndarray:
        """Which of ``objs`` the redshift augmentation moves in the views of ``vseed`` (by object:
        a draw of every object of ``batch``, so the choice does not depend on the other draws)."""
        if not self.redshift_share:
            return np.zeros(len(objs), bool)
        from ..redshifting import usable

        rng = np.random.default_rng(np.random.SeedSequence([int(vseed) & 0xFFFFFFFF, 0x2ED]))
        chosen = rng.random(len(self.batch)) < self.redshift_share
        return (chosen & usable(self.redshift, self.redshift_options))[objs]

    def _class_redshifts(self, objs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(len(objs), tries) redshifts drawn from the usable ones of the ``pool`` objects of each
        object's class (NaN where the class has none)."""
        from ..redshifting import usable

        z = np.asarray(self.redshift, np.float64)
        labels = np.asarray(self.labels)
        pool = self.pool[usable(z[self.pool], self.redshift_options)]
        out = np.full((len(objs), self.redshift_options.tries), np.nan)
        for c in np.unique(labels[objs]):
            rows = labels[objs] == c
            cand = z[pool[labels[pool] == c]]
            if len(cand):
                out[rows] = rng.choice(cand, (int(rows.sum()), out.shape[1]))
        return out

    def _redshifted_windows(self, objs: np.ndarray, vseed: int) -> AugmentedBatch:
        """The windows of ``objs`` re-observed at a new redshift (:mod:`elasticc_fast.redshifting`),
        then given a random view of ``vseed``; a ``redshift`` context column moves to the new value."""
        from ..redshifting import draw_redshifts, peak_flux, pick_redshifts, redshift_batch

        o = self.redshift_options
        curves = self.batch.take(objs)
        z = np.asarray(self.redshift, np.float64)[objs]
        rng = np.random.default_rng(np.random.SeedSequence([int(vseed) & 0xFFFFFFFF, 0x2EE]))
        if o.draw == "class":
            z_new = pick_redshifts(z, peak_flux(curves), self._class_redshifts(objs, rng), o)
        else:
            z_new = draw_redshifts(z, peak_flux(curves), rng, o)
        views = random_views(redshift_batch(curves, z, z_new, vseed, o), vseed, self.views)[0]
        ctx = None if self.context is None else np.array(self.context[objs], np.float32)
        if ctx is not None and "redshift" in self.context_names:  # context_matrix's log10 z
            ctx[:, list(self.context_names).index("redshift")] = np.log10(np.clip(z_new, 1e-4, None))
        feats = window_features(views, self.n_jobs, self.bands) if self.features else None
        return self._windows(views, objs, feats, ctx)

    def cut(self, days: float | None, objects: np.ndarray | None = None, view: int | None = None) -> AugmentedBatch:
        """Objects ``objects`` (default ``pool``) cut ``days`` after their first detection (None:
        whole, up to ``horizon``); ``view``: a seed, the fluxes of the cut curves redrawn from their errors
        (:func:`~elasticc_fast.views.noisy_view`, a test-time view)."""
        idx = self.pool if objects is None else np.asarray(objects, np.int64)
        whole = cut_batch(self.batch, max_days(days, self.horizon))
        if view is not None:
            whole = noisy_view(whole, view)
        key = ("cut", days, self.horizon) if view is None else ("cut", days, self.horizon, "view", int(view))
        feats = self._features(key, lambda: whole, whole.take(idx), idx)
        return self._windows(whole.take(idx), idx, feats)

    def cuts(self, days: Sequence[float | None], objects: np.ndarray | None = None,
             view: int | None = None) -> AugmentedBatch:
        """The windows of several cuts, stacked (``days`` per window; None -> inf)."""
        parts = [self.cut(d, objects, view) for d in days]
        out = stack_windows(parts)
        out.days = np.concatenate([np.full(len(p), np.inf if d is None else float(d))
                                   for p, d in zip(parts, days, strict=True)])
        return out


def stack_windows(parts: list[AugmentedBatch]) -> AugmentedBatch:
    """Several AugmentedBatches with the same feature and static columns as one, in order (``x``
    zero-padded to the longest window; ``days`` and ``n_dropped`` are not carried). One part is
    returned as it is, not copied."""
    if len(parts) == 1:
        return parts[0]
    t_len = max(p.x.shape[1] for p in parts)
    x = np.concatenate([np.pad(p.x, ((0, 0), (0, t_len - p.x.shape[1]), (0, 0))) for p in parts])

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    return AugmentedBatch(x=x, lengths=cat("lengths"), source=cat("source"), t_end=cat("t_end"),
                          static=cat("static"), labels=None if parts[0].labels is None else cat("labels"),
                          feature_names=parts[0].feature_names, static_names=parts[0].static_names,
                          aux=None if any(p.aux is None for p in parts) else cat("aux"))


def classifier_windows(batch: LightCurveBatch, config, windows: str = "full",
                       days: Sequence[float] | None = None, view: int | None = None) -> AugmentedBatch:
    """The windows a hybrid :class:`~elasticc_fast.classifier.Classifier` classifies: ``"full"``
    (one per object) or ``"days"`` (each object cut at every ``days`` value after its first
    detection, stacked cut by cut; ``days`` per window). Context from ``batch.static`` by
    ``config.context`` (:mod:`elasticc_fast.context`); points later than ``config.horizon`` days
    after the first detection are ignored. ``view``: a seed, noise-only test-time
    views of those windows (:meth:`HybridData.cut`)."""
    from ..context import context_columns, context_matrix

    names = context_columns(config.context)
    ctx = context_matrix(batch.static, config.context) if names else None
    data = HybridData(batch, None, ctx, names, sampler_power=None, max_length=config.windows.max_length,
                      bands=config.feature_bands, n_jobs=config.threads, horizon=config.horizon,
                      luminosity=config.luminosity)
    if windows == "full":
        return data.cut(None, view=view)
    if windows == "days":
        if days is None:
            raise ValueError("windows='days' needs days=")
        return data.cuts([float(d) for d in days], view=view)
    raise ValueError(f"a hybrid model classifies windows 'full' or 'days', not {windows!r}")
