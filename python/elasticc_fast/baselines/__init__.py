"""Feature-based baselines (the classifiers ALeRCE uses): light-curve features, a hierarchical
balanced random forest, and LightGBM (flat and hierarchical), all generic over a taxonomy Tree.

    >>> from elasticc_fast.baselines import extract_features, HierarchicalRandomForest
    >>> X = extract_features(batch)                       # one row per object
    >>> rf = HierarchicalRandomForest(tree).fit(X, batch.labels)
    >>> rf.predict_proba(X)                               # p(node) for every node
    >>> rf.predict_alerce(X)["top"]                       # ALeRCE-style top-level probabilities
"""
from __future__ import annotations

from .boosting import FlatLightGBM, HierarchicalLightGBM, lightgbm
from .features import extract_features
from .forest import HierarchicalClassifier, HierarchicalRandomForest, alerce_style, balanced_forest

__all__ = ["extract_features", "HierarchicalClassifier", "HierarchicalRandomForest", "balanced_forest",
           "alerce_style", "FlatLightGBM", "HierarchicalLightGBM", "lightgbm"]
