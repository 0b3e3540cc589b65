"""The fair cross-validation protocol: every model on the same folds, scored on pooled out-of-fold
predictions.

- :func:`stratified_folds`: ``k`` stratified folds (shuffled with ``seed``; the BTS benchmark uses
  5 folds, seed 0).
- :func:`validation_split`: early-stopping objects taken out of a *training* fold only (stratified),
  so no model ever sees a test object before it is scored.
- :class:`OutOfFold`: collects each model's marginals per cut on each fold's test objects and
  scores them: leaf and top-level macro-F1 pooled over all folds, the spread (standard deviation)
  of the per-fold leaf macro-F1, per-class F1 at both levels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .metrics import scores


def stratified_folds(labels: np.ndarray, n_folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[(train, test), ...]`` object indices of ``n_folds`` stratified folds."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [(np.asarray(tr, np.int64), np.asarray(te, np.int64)) for tr, te in splitter.split(np.zeros(len(y)), y)]


def validation_split(train: np.ndarray, labels: np.ndarray, fraction: float = 0.15,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(fit, validation) indices, both subsets of ``train``: ``round(fraction * n)`` of each class's
    ``n`` training objects are held out (none of a class with one member)."""
    from .splits import split_per_class

    train = np.asarray(train, np.int64)
    fit, val = split_per_class(np.asarray(labels)[train], fraction, np.random.default_rng(seed))
    return np.sort(train[fit]), np.sort(train[val])


def argmax_levels(tree, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, K) marginals -> (leaf prediction, top-level prediction), each the argmax at its level."""
    from .predict import leaf_argmax

    top = np.asarray(tree.levels()[1])
    return leaf_argmax(probs, tree), top[np.argmax(probs[:, top], axis=1)]


@dataclass
class OutOfFold:
    """Out-of-fold leaf and top-level predictions of several models at several cuts."""

    tree: object
    labels: np.ndarray                       #: (n,) true leaf node index of every object
    cuts: tuple[str, ...]                    #: cut keys, e.g. ("4", "8", ..., "full")
    fold_of: np.ndarray = field(init=False)  #: (n,) fold that tested each object (-1: none yet)
    pred: dict = field(default_factory=dict)  # model -> cut -> (leaf (n,), top (n,))

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels, np.int64)
        self.fold_of = np.full(len(self.labels), -1, np.int64)

    def add(self, model: str, fold: int, test: np.ndarray, probs: dict[str, np.ndarray]) -> None:
        """Record ``model``'s marginals ``probs[cut]`` (len(test), K) on fold ``fold``'s test objects."""
        missing = set(self.cuts) - set(probs)
        if missing:
            raise ValueError(f"{model}: no predictions for cuts {sorted(missing)}")
        self.fold_of[test] = fold
        per_cut = self.pred.setdefault(model, {})
        for k in self.cuts:
            if len(probs[k]) != len(test):
                raise ValueError(f"{model}, cut {k}: {len(probs[k])} predictions for {len(test)} test objects")
            leaf, top = per_cut.setdefault(k, (np.full(len(self.labels), -1, np.int64),
                                               np.full(len(self.labels), -1, np.int64)))
            leaf[test], top[test] = argmax_levels(self.tree, np.asarray(probs[k]))

    def scores(self, model: str) -> dict:
        """Pooled scores of ``model`` over the objects tested so far (see the module docstring)."""
        tree, y = self.tree, self.labels
        done = self.fold_of >= 0
        top_true = tree.ancestor_at(y, 1)
        folds = sorted(set(self.fold_of[done].tolist()))
        res: dict[str, dict] = {k: {} for k in ("macro_f1", "macro_f1_fold_std", "top_macro_f1",
                                                "per_class_f1", "top_per_class_f1")}
        for k in self.cuts:
            leaf, top = self.pred[model][k]
            s = scores(y[done], leaf[done], len(tree))
            st = scores(top_true[done], top[done], len(tree))
            res["macro_f1"][k] = round(s.f1, 4)
            res["top_macro_f1"][k] = round(st.f1, 4)
            res["per_class_f1"][k] = {tree.nodes[i]: round(float(s.per_class_f1[i]), 4) for i in tree.leaves}
            res["top_per_class_f1"][k] = {tree.nodes[i]: round(float(st.per_class_f1[i]), 4)
                                          for i in tree.levels()[1]}
            per_fold = [scores(y[self.fold_of == f], leaf[self.fold_of == f], len(tree)).f1 for f in folds]
            res["macro_f1_fold_std"][k] = round(float(np.std(per_fold)), 4) if len(per_fold) > 1 else None
        return res
