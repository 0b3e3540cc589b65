"""Hierarchical balanced random forest (ALeRCE's light-curve classifier, Sanchez-Saez et al. 2021),
generic over a :class:`~elasticc_fast.taxonomy.tree.Tree`.

One classifier per internal node of the tree (the root's separates the top level, e.g. Transient /
Stochastic / Periodic; each branch's separates that branch's children), trained on the objects
below that node. Probabilities multiply down the tree: ``P(leaf) = P(branch) x P(leaf | branch)``.

Output, both forms:

- :meth:`HierarchicalClassifier.predict_proba`: a DataFrame of marginal ``p(node)`` for every node
  (columns ``tree.nodes``, the root = 1), as :class:`elasticc_fast.Classifier` gives; the leaf
  columns sum to 1.
- :meth:`HierarchicalClassifier.predict_alerce`: ALeRCE's style, ``{"probabilities": one column per
  leaf, "top": the top-level classifier's probabilities, "<branch>": that branch's conditional
  probabilities}``.

Missing features (NaN) become -999 before the forests, as ALeRCE does.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..taxonomy.tree import Tree

log = logging.getLogger(__name__)

FILL_VALUE = -999.0


def balanced_forest(n_estimators: int = 500, seed: int = 0, n_jobs: int = 1, **kw: Any):
    """imbalanced-learn's BalancedRandomForestClassifier with ALeRCE's settings (500 trees,
    entropy criterion, sqrt features, each tree on a class-balanced bootstrap sample)."""
    from imblearn.ensemble import BalancedRandomForestClassifier
    params = dict(n_estimators=n_estimators, criterion="entropy", max_features="sqrt",
                  sampling_strategy="all", replacement=True, bootstrap=False,
                  random_state=seed, n_jobs=n_jobs)
    params.update(kw)
    return BalancedRandomForestClassifier(**params)


def leaf_node_indices(tree: Tree, labels: Sequence) -> np.ndarray:
    """Leaf names or node indices -> node indices (checked to be leaves)."""
    arr = np.asarray(labels)
    idx = tree.index(arr.tolist()) if arr.dtype.kind in "USO" else arr.astype(np.int64)
    bad = sorted(set(idx.tolist()) - set(tree.leaves))
    if bad:
        raise ValueError(f"labels {bad} are not leaves of tree {tree.name!r}")
    return idx


class HierarchicalClassifier:
    """One estimator per internal node of ``tree``; ``make_estimator(node_name)`` builds each
    (default: :func:`balanced_forest`). Scikit-learn estimators with ``predict_proba``."""

    def __init__(self, tree: Tree, make_estimator: Callable[[str], Any] | None = None,
                 fill_value: float | None = FILL_VALUE):
        self.tree = tree
        self.make_estimator = make_estimator or (lambda node: balanced_forest())
        self.fill_value = fill_value
        self.models_: dict[int, Any] = {}
        self.constant_: dict[int, int] = {}
        self.feature_names_: list[str] = []

    def _matrix(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        a = np.asarray(X, dtype=np.float64)
        if self.fill_value is not None:
            a = np.where(np.isfinite(a), a, self.fill_value)
        return a

    def fit(self, X: pd.DataFrame | np.ndarray, labels: Sequence) -> "HierarchicalClassifier":
        """``labels``: (n,) leaf names or node indices of ``tree``."""
        leaf = leaf_node_indices(self.tree, labels)
        if isinstance(X, pd.DataFrame):
            self.feature_names_ = list(X.columns)
        A = self._matrix(X)
        for node, kids in enumerate(self.tree.children):
            if not kids:
                continue
            # each object below ``node`` is labelled with the child on its path
            child_of = {k: k for k in kids}
            target = np.full(len(leaf), -1, dtype=np.int64)
            for i, l in enumerate(leaf):
                for k in kids:
                    if self.tree.ancestry[l, k]:
                        target[i] = child_of[k]
            rows = target >= 0
            present = np.unique(target[rows])
            if len(present) == 0:
                continue
            if len(present) == 1:
                self.constant_[node] = int(present[0])
                continue
            model = self.make_estimator(self.tree.nodes[node])
            model.fit(A[rows], target[rows])
            self.models_[node] = model
            log.debug("fitted %s on %d objects, %d classes", self.tree.nodes[node], rows.sum(), len(present))
        return self

    def conditional_proba(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """(n, K) ``p(node | parent)``; the root column is 1."""
        A = self._matrix(X)
        cond = np.zeros((len(A), len(self.tree)), dtype=np.float64)
        cond[:, 0] = 1.0
        for _node, model in self.models_.items():
            p = model.predict_proba(A)
            cond[:, np.asarray(model.classes_, dtype=np.int64)] = p
        for _node, child in self.constant_.items():
            cond[:, child] = 1.0
        return cond

    def predict_proba(self, X: pd.DataFrame | np.ndarray) -> pd.DataFrame:
        """(n, K) marginal ``p(node)`` (product of the conditionals along each path)."""
        marg = path_products(self.tree, self.conditional_proba(X))
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(marg, columns=list(self.tree.nodes), index=index)

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """(n,) node index of the most probable leaf."""
        p = self.predict_proba(X).to_numpy()[:, list(self.tree.leaves)]
        return np.asarray(self.tree.leaves)[p.argmax(axis=1)]

    def predict_alerce(self, X: pd.DataFrame | np.ndarray) -> dict[str, pd.DataFrame]:
        """ALeRCE-style output: leaf probabilities, top level, and each branch's conditionals."""
        return alerce_style(self.tree, self.conditional_proba(X),
                            X.index if isinstance(X, pd.DataFrame) else None)


def path_products(tree: Tree, conditionals: np.ndarray) -> np.ndarray:
    """(n, K) ``p(node | parent)`` -> (n, K) ``p(node)``, multiplied down the tree in node order
    (parents precede children). Exact zeros stay zero (no log space: forests give hard zeros)."""
    cond = np.asarray(conditionals, dtype=np.float64)
    marg = np.empty_like(cond)
    marg[:, 0] = 1.0
    for i, p in enumerate(tree.parents[1:], start=1):
        marg[:, i] = marg[:, p] * cond[:, i]
    return marg


def alerce_style(tree: Tree, conditionals: np.ndarray, index=None) -> dict[str, pd.DataFrame]:
    """(n, K) conditionals -> {"probabilities": leaves, "top": level 1, branch name: its children}."""
    marg = path_products(tree, conditionals)
    leaves = list(tree.leaves)
    out = {"probabilities": pd.DataFrame(marg[:, leaves], columns=[tree.nodes[i] for i in leaves], index=index)}
    for node, kids in enumerate(tree.children):
        if kids:
            key = "top" if node == 0 else tree.nodes[node]
            out[key] = pd.DataFrame(conditionals[:, list(kids)], columns=[tree.nodes[k] for k in kids], index=index)
    return out


class HierarchicalRandomForest(HierarchicalClassifier):
    """ALeRCE's hierarchical balanced random forest: :func:`balanced_forest` at every node."""

    def __init__(self, tree: Tree, n_estimators: int = 500, seed: int = 0, n_jobs: int = 1, **forest_kw: Any):
        super().__init__(tree, lambda node: balanced_forest(n_estimators, seed, n_jobs, **forest_kw))
