"""LightGBM baselines over a :class:`~elasticc_fast.taxonomy.tree.Tree`: flat (one multiclass
model on the leaves; inner nodes get the sum of their leaves) and hierarchical (one model per
internal node, probabilities multiplied down the tree, as in :mod:`.forest`).

Classes are balanced with ``class_weight="balanced"``; LightGBM handles missing features (NaN)
itself, so nothing is filled in.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..taxonomy.tree import Tree
from .forest import HierarchicalClassifier, alerce_style, leaf_node_indices


def lightgbm(seed: int = 0, n_jobs: int = 1, **kw: Any):
    """A class-balanced LGBMClassifier with settings for a few thousand objects."""
    from lightgbm import LGBMClassifier
    params = dict(n_estimators=300, learning_rate=0.05, num_leaves=15, min_child_samples=5,
                  subsample=0.8, subsample_freq=1, colsample_bytree=0.7, reg_lambda=1.0,
                  class_weight="balanced", random_state=seed, n_jobs=n_jobs, verbose=-1)
    params.update(kw)
    return LGBMClassifier(**params)


class HierarchicalLightGBM(HierarchicalClassifier):
    """One :func:`lightgbm` model per internal node of the tree."""

    def __init__(self, tree: Tree, seed: int = 0, n_jobs: int = 1, **kw: Any):
        super().__init__(tree, lambda node: lightgbm(seed, n_jobs, **kw), fill_value=None)


class FlatLightGBM:
    """One multiclass :func:`lightgbm` model on the leaves of ``tree``."""

    def __init__(self, tree: Tree, seed: int = 0, n_jobs: int = 1, **kw: Any):
        self.tree = tree
        self.model = lightgbm(seed, n_jobs, **kw)

    def fit(self, X: pd.DataFrame | np.ndarray, labels: Sequence) -> "FlatLightGBM":
        self.model.fit(np.asarray(X, dtype=np.float64), leaf_node_indices(self.tree, labels))
        return self

    def _leaf_proba(self, X) -> np.ndarray:
        """(n, K) with leaf probabilities in the leaf columns (classes unseen in training get 0)."""
        p = self.model.predict_proba(np.asarray(X, dtype=np.float64))
        full = np.zeros((len(p), len(self.tree)), dtype=np.float64)
        full[:, np.asarray(self.model.classes_, dtype=np.int64)] = p
        return full

    def predict_proba(self, X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        """(n, K) marginal ``p(node)``: each node the sum of the leaves below it."""
        marg = self._leaf_proba(X) @ self.tree.ancestry.astype(np.float64)
        return pd.DataFrame(marg, columns=list(self.tree.nodes),
                            index=X.index if isinstance(X, pd.DataFrame) else None)

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        p = self.predict_proba(X).to_numpy()[:, list(self.tree.leaves)]
        return np.asarray(self.tree.leaves)[p.argmax(axis=1)]

    def predict_alerce(self, X: pd.DataFrame | np.ndarray) -> dict[str, pd.DataFrame]:
        """ALeRCE-style output; branch conditionals are p(child) / p(branch)."""
        marg = self.predict_proba(X).to_numpy()
        parent = np.asarray(self.tree.parents)
        with np.errstate(invalid="ignore", divide="ignore"):
            cond = np.where(parent >= 0, marg / marg[:, np.maximum(parent, 0)], 1.0)
        cond = np.nan_to_num(cond)
        return alerce_style(self.tree, cond, X.index if isinstance(X, pd.DataFrame) else None)
