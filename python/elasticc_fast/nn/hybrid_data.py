"""Windows for the hybrid model: fresh random views every epoch (class-balanced), fixed cuts to
evaluate. A :class:`HybridData` is a callable ``seed -> AugmentedBatch``, so it plugs into
:func:`elasticc_fast.nn.fit` as the training input (one new draw per epoch's seed).

Each epoch: objects drawn by :func:`~elasticc_fast.nn.sampling.balanced_epoch` (class ``c`` a
fraction ``N_c**power / sum N_k**power`` of the epoch; ``sampler_power=None`` takes every object
once), one :func:`~elasticc_fast.views.random_views` view of each draw, and its inputs by
:func:`~elasticc_fast.nn.hybrid_inputs.hybrid_windows` (the ``light-curve`` features of that very
view included). ``source`` of a window is the index of its object in ``batch``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..augment import AugmentedBatch
from ..batch import LightCurveBatch
from ..views import ViewOptions, cut_batch, random_views
from .hybrid_inputs import hybrid_windows
from .sampling import balanced_epoch


@dataclass
class HybridData:
    """Training/evaluation windows of the objects of ``batch`` (see the module docstring)."""

    batch: LightCurveBatch
    labels: np.ndarray | None = None          #: (n,) leaf node index per object
    context: np.ndarray | None = None         #: (n, C) network context per object (or None)
    context_names: tuple[str, ...] = ()
    sampler_power: float | None = 0.5
    views: ViewOptions = field(default_factory=ViewOptions)
    max_length: int = 128
    features: bool = True                     #: include the ``light-curve`` features (``lc:`` columns)
    n_jobs: int = 1

    def __post_init__(self) -> None:
        if self.labels is not None and len(self.labels) != len(self.batch):
            raise ValueError(f"HybridData: {len(self.labels)} labels for {len(self.batch)} objects")
        if self.context is not None and len(self.context) != len(self.batch):
            raise ValueError(f"HybridData: context has {len(self.context)} rows for {len(self.batch)} objects")

    def _windows(self, curves: LightCurveBatch, idx: np.ndarray) -> AugmentedBatch:
        ctx = None if self.context is None else self.context[idx]
        w = hybrid_windows(curves, ctx, self.context_names, max_length=self.max_length,
                           n_jobs=self.n_jobs, source=idx, features=self.features)
        w.labels = None if self.labels is None else np.asarray(self.labels)[idx]
        return w

    def __call__(self, seed: int) -> AugmentedBatch:
        """One epoch of fresh windows, deterministic for ``seed``."""
        rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0xBA1]))
        if self.sampler_power is None or self.labels is None:
            idx = rng.permutation(len(self.batch))
        else:
            idx = balanced_epoch(np.asarray(self.labels), rng, self.sampler_power)
        views, _ = random_views(self.batch.take(idx), seed, self.views)
        return self._windows(views, idx)

    def cut(self, days: float | None) -> AugmentedBatch:
        """Every object cut ``days`` after its first detection (None: the whole curve)."""
        idx = np.arange(len(self.batch))
        return self._windows(cut_batch(self.batch, days), idx)

    def cuts(self, days: Sequence[float | None]) -> AugmentedBatch:
        """The windows of several cuts, stacked (``days`` per window; None -> inf)."""
        parts = [self.cut(d) for d in days]
        t_len = max(p.x.shape[1] for p in parts)
        x = np.concatenate([np.pad(p.x, ((0, 0), (0, t_len - p.x.shape[1]), (0, 0))) for p in parts])
        cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
        labels = None if parts[0].labels is None else cat("labels")
        day = np.concatenate([np.full(len(p), np.inf if d is None else float(d)) for p, d in zip(parts, days, strict=True)])
        return AugmentedBatch(x=x, lengths=cat("lengths"), source=cat("source"), t_end=cat("t_end"),
                              static=cat("static"), labels=labels, feature_names=parts[0].feature_names,
                              static_names=parts[0].static_names, days=day)


def classifier_windows(batch: LightCurveBatch, config, windows: str = "full",
                       days: Sequence[float] | None = None) -> AugmentedBatch:
    """The windows a hybrid :class:`~elasticc_fast.classifier.Classifier` classifies: ``"full"``
    (one per object) or ``"days"`` (each object cut at every ``days`` value after its first
    detection, stacked cut by cut; ``days`` per window). Context from ``batch.static`` by
    ``config.context`` (:mod:`elasticc_fast.context`)."""
    from ..context import context_columns, context_matrix

    names = context_columns(config.context)
    ctx = context_matrix(batch.static, config.context) if names else None
    data = HybridData(batch, None, ctx, names, sampler_power=None, max_length=config.max_length)
    if windows == "full":
        return data.cut(None)
    if windows == "days":
        if days is None:
            raise ValueError("windows='days' needs days=")
        return data.cuts([float(d) for d in days])
    raise ValueError(f"a hybrid model classifies windows 'full' or 'days', not {windows!r}")
