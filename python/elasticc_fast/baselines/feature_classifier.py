"""LightGBM on ``light-curve`` features with the classifier interface the evaluation protocol uses
(``tree``, ``predict_proba(LightCurveBatch) -> DataFrame``), so :func:`elasticc_fast.evaluate.evaluate`
scores it exactly like the deep model (the demo's baseline row).

Training rows: the features of every training object cut at each of ``cuts`` days after its first
detection and whole (None), so it learns partial curves as the deep model does. ``context``: the
per-object columns of :mod:`elasticc_fast.context` appended to every row (the demo gives the row
``oracle``, the host/MW columns its deep model gets, so both rows see the same inputs).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Sequence

import numpy as np
import pandas as pd

from ..batch import LightCurveBatch
from ..context import context_frame
from ..options import PreprocessOptions
from ..taxonomy.tree import Tree
from ..views import cut_batch
from .boosting import FlatLightGBM
from .features import extract_features


class FeatureLightGBM:
    """Flat LightGBM on :func:`~elasticc_fast.baselines.features.extract_features` of each curve."""

    def __init__(self, tree: Tree, *, bands: Sequence[str] = ("u", "g", "r", "i", "z", "Y"),
                 cuts: Sequence[float | None] = (4.0, 32.0, None), n_estimators: int = 200,
                 seed: int = 0, n_jobs: int = 2, context: str = "none"):
        self.tree, self.bands, self.cuts, self.n_jobs = tree, tuple(bands), tuple(cuts), n_jobs
        self.context = context
        self.model = FlatLightGBM(tree, seed=seed, n_jobs=n_jobs, n_estimators=n_estimators)
        # evaluate() cuts curves after the trigger its classifier was trained with: the first detection
        self.config = SimpleNamespace(preprocess=PreprocessOptions(), arch="lightgbm")

    def features(self, batch: LightCurveBatch) -> pd.DataFrame:
        """One row per object: the ``light-curve`` features, then the context columns (raw, NaN kept)."""
        X = extract_features(batch, bands=self.bands, n_jobs=self.n_jobs)
        if self.context == "none":
            return X
        ctx = context_frame(batch.static, self.context, index=X.index)
        return pd.concat([X, ctx], axis=1)

    def fit(self, batch: LightCurveBatch, leaves: np.ndarray) -> "FeatureLightGBM":
        """Train on ``batch`` with true leaf node indices ``leaves`` (n,)."""
        X = pd.concat([self.features(cut_batch(batch, c)) for c in self.cuts], ignore_index=True)
        self.model.fit(X, np.tile(np.asarray(leaves, np.int64), len(self.cuts)))
        return self

    def predict_proba(self, batch: LightCurveBatch) -> pd.DataFrame:
        """(n, K) marginal probability of every tree node, indexed by object id."""
        p = self.model.predict_proba(self.features(batch))
        p.index = pd.Index(batch.ids, name="object_id")
        return p
