"""A hierarchical LightGBM on named features (ALeRCE's feature names), saved to a folder as
LightGBM's own text model files and a JSON manifest: loading it runs no pickle.

The stream service's ``--format alerce-features`` classifies ALeRCE feature-step messages with it.

    >>> model = train_alerce_features(Path("../shared/data/alerce"), n_estimators=300)
    >>> model.save("alerce_model/")
    >>> FeatureModel.load("alerce_model/").predict_alerce(X)["probabilities"]

Missing features (NaN) go to LightGBM as NaN, as :class:`.boosting.HierarchicalLightGBM` trains
with them.
"""
from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..taxonomy.tree import Tree
from .boosting import HierarchicalLightGBM
from .forest import alerce_style, path_products

log = logging.getLogger(__name__)

FORMAT = "elasticc_fast.feature_model/1"
MANIFEST = "feature_model.json"
#: the labelled ALeRCE feature table of the shared reference data (150 objects, 15 classes)
ALERCE_FEATURES = "hbrf_15class_features.pkl"
ALERCE_LABELS = "hbrf_15class_labels.pkl"


class FeatureModel:
    """One LightGBM booster per internal tree node (``boosters[node] = (booster, child node ids)``),
    children that are the only class seen in training in ``constant``."""

    def __init__(self, tree: Tree, feature_names: list[str], boosters: dict[int, tuple[Any, list[int]]],
                 constant: dict[int, int], meta: dict | None = None):
        self.tree, self.feature_names = tree, list(feature_names)
        self.boosters, self.constant = boosters, constant
        self.meta = dict(meta or {})

    @classmethod
    def from_fitted(cls, model: HierarchicalLightGBM, meta: dict | None = None) -> "FeatureModel":
        """The boosters of a fitted :class:`HierarchicalLightGBM` (trained on a DataFrame)."""
        boosters = {node: (m.booster_, [int(c) for c in m.classes_]) for node, m in model.models_.items()}
        return cls(model.tree, model.feature_names_, boosters, dict(model.constant_), meta)

    def matrix(self, X: pd.DataFrame) -> np.ndarray:
        """(n, F) float64 in the model's feature order; raises KeyError naming absent features."""
        missing = [f for f in self.feature_names if f not in X.columns]
        if missing:
            raise KeyError(f"{len(missing)} features the model needs are absent: {missing[:5]}")
        return X[self.feature_names].to_numpy(dtype=np.float64)

    def conditional_proba(self, X: pd.DataFrame) -> np.ndarray:
        """(n, K) ``p(node | parent)``; the root column is 1."""
        A = self.matrix(X)
        cond = np.zeros((len(A), len(self.tree)), dtype=np.float64)
        cond[:, 0] = 1.0
        for booster, classes in self.boosters.values():
            p = booster.predict(A)
            cond[:, classes] = np.column_stack([1.0 - p, p]) if p.ndim == 1 else p
        for child in self.constant.values():
            cond[:, child] = 1.0
        return cond

    def predict_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        """(n, K) marginal ``p(node)`` for every tree node, indexed as ``X``."""
        return pd.DataFrame(path_products(self.tree, self.conditional_proba(X)), columns=list(self.tree.nodes),
                            index=X.index)

    def predict_alerce(self, X: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """ALeRCE-style output: leaf probabilities, ``top`` and each branch's conditionals."""
        return alerce_style(self.tree, self.conditional_proba(X), X.index)

    def save(self, path: str | Path) -> Path:
        """Write ``node_<i>.txt`` (LightGBM text) per booster, then :data:`MANIFEST` (last: it marks
        a complete model); each under a temporary name, renamed when complete."""
        from ..atomic import atomic_path

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        nodes = {}
        for node, (booster, classes) in self.boosters.items():
            with atomic_path(path / f"node_{node}.txt") as tmp:
                booster.save_model(str(tmp))
            nodes[str(node)] = {"file": f"node_{node}.txt", "classes": classes}
        manifest = {"format": FORMAT, "tree": self.tree.to_dict(), "feature_names": self.feature_names,
                    "nodes": nodes, "constant": {str(k): v for k, v in self.constant.items()}, "meta": self.meta}
        with atomic_path(path / MANIFEST) as tmp:
            tmp.write_text(json.dumps(manifest, indent=1))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "FeatureModel":
        """Read a folder written by :meth:`save`."""
        import lightgbm

        from ..errors import DataError

        manifest_file = Path(path) / MANIFEST
        if not manifest_file.is_file():
            raise FileNotFoundError(f"{path}: not a saved feature model (no {MANIFEST}; write one with "
                                    "`elasticc-fast train DIR --data alerce-features`)")
        m = json.loads(manifest_file.read_text())
        if m.get("format") != FORMAT:
            raise DataError(f"{manifest_file}: unsupported feature-model format {m.get('format')!r}")
        boosters = {int(k): (lightgbm.Booster(model_file=str(Path(path) / v["file"])), v["classes"])
                    for k, v in m["nodes"].items()}
        return cls(Tree.from_dict(m["tree"]), m["feature_names"], boosters,
                   {int(k): int(v) for k, v in m["constant"].items()}, m.get("meta"))


def read_alerce_features(folder: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """(features indexed by ``oid``, 15-class leaf node ids) of the labelled ALeRCE feature table
    in ``folder``; objects whose label has no 15-class leaf are left out."""
    from ..io.alerce import safe_load_pickle
    from ..taxonomy.ztf import leaf_indices

    folder = Path(folder)
    X = safe_load_pickle(folder / ALERCE_FEATURES)
    labels = safe_load_pickle(folder / ALERCE_LABELS).loc[X.index, "classALeRCE"]
    y = leaf_indices(labels)
    return X[y >= 0], y[y >= 0]


def train_alerce_features(folder: str | Path, *, n_estimators: int = 300, seed: int = 0,
                          n_jobs: int = 1) -> FeatureModel:
    """A :class:`FeatureModel` on ALeRCE's 15-class tree, trained on :func:`read_alerce_features`."""
    from ..taxonomy.ztf import ALERCE_TREE

    X, y = read_alerce_features(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # LightGBM warns about tiny node sizes on 150 objects
        fitted = HierarchicalLightGBM(ALERCE_TREE, seed=seed, n_jobs=n_jobs, n_estimators=n_estimators).fit(X, y)
    log.info("trained a hierarchical LightGBM on %d objects, %d features", len(X), X.shape[1])
    return FeatureModel.from_fitted(fitted, {"trained_on": str(folder), "objects": len(X),
                                             "n_estimators": n_estimators, "seed": seed})
