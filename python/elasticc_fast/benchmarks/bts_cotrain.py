"""Co-training for ``hybrid-pre``: simulated objects kept in the fine-tuning epochs.

Fine-tuning a pretrained network on ~2,300 real objects alone lets it forget what the simulation
taught (the rare classes most: 14 CV/novae and 31 SLSNe per training fold). :class:`CoTrainData`
adds to every epoch of the real windows (the fold's :class:`~elasticc_fast.nn.hybrid_data.HybridData`,
unchanged) ``share`` times as many fresh random views of simulated objects, equally many of each
leaf, drawn anew every epoch. Epoch selection stays on the real validation objects.

Object indices: the real objects keep theirs, simulated object ``j`` is ``n_real + j`` (``labels``
and ``pool`` are laid out so), which is what :meth:`elasticc_fast.classifier.Classifier.fit` needs
of a callable training source.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..augment import AugmentedBatch
from ..nn.hybrid_data import HybridData, stack_windows


@dataclasses.dataclass
class CoTrainData:
    """``seed -> AugmentedBatch``: the real epoch of ``real`` plus simulated views (see the module)."""

    real: HybridData
    sim_batch: object                  #: LightCurveBatch of the simulated objects
    sim_labels: np.ndarray             #: (m,) leaf node index per simulated object
    sim_context: np.ndarray | None     #: (m, C) their context (the real track's columns) or None
    sim_pool: np.ndarray               #: simulated objects that may be drawn
    share: float = 0.5                 #: simulated draws per epoch / real draws per epoch
    sim_aux: np.ndarray | None = None  #: (m, A) their auxiliary training targets (NaN when the real have some)

    def __post_init__(self) -> None:
        if self.share < 0:
            raise ValueError(f"CoTrainData: share must be >= 0, not {self.share}")
        self.n_real = len(self.real.batch)
        self.labels = np.concatenate([np.asarray(self.real.labels, np.int64), np.asarray(self.sim_labels, np.int64)])
        self.pool = np.concatenate([self.real.pool, self.n_real + np.asarray(self.sim_pool, np.int64)])

    def sim_draw(self, seed: int) -> np.ndarray:
        """The simulated objects of epoch ``seed``: ``share * len(real.pool)`` of ``sim_pool``,
        equally many per leaf (without repeats while a leaf lasts), sorted."""
        rng = np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0xC0])).permutation
        k = int(round(self.share * len(self.real.pool)))
        leaves = np.unique(self.sim_labels[self.sim_pool])
        per = -(-k // max(len(leaves), 1))
        out = [rng(self.sim_pool[self.sim_labels[self.sim_pool] == c])[:per] for c in leaves]
        return np.sort(np.concatenate(out)) if k else np.zeros(0, np.int64)

    def sim_windows(self, seed: int) -> AugmentedBatch | None:
        """Fresh random views (the real epoch's options) of :meth:`sim_draw`'s objects; ``source``
        in the combined index (``n_real + j``)."""
        objs = self.sim_draw(seed)
        if not len(objs):
            return None
        ctx = None if self.sim_context is None else self.sim_context[objs]
        sub = dataclasses.replace(self.real, batch=self.sim_batch.take(objs), labels=self.sim_labels[objs],
                                  context=ctx, pool=None, sampler_power=None, cache=None, aux=self._sim_aux(objs),
                                  redshift=None, redshift_share=0.0)  # simulated: drawn over z already
        w = sub(seed)
        w.source = self.n_real + objs[w.source]
        return w

    def _sim_aux(self, objs: np.ndarray) -> np.ndarray | None:
        if self.real.aux is None:
            return None
        if self.sim_aux is None:
            return np.full((len(objs), np.shape(self.real.aux)[1]), np.nan, np.float32)
        return np.asarray(self.sim_aux, np.float32)[objs]

    def __call__(self, seed: int) -> AugmentedBatch:
        real = self.real(seed)
        sim = self.sim_windows(seed)
        return real if sim is None else stack_windows([real, sim])
