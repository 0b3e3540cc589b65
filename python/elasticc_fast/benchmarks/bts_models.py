"""The models of the BTS benchmark, one registry: name -> how it trains on a fold and what it
predicts for the fold's test objects at every cut.

Every model gets a :class:`Fold`: the same training objects (the deep models hold a stratified
15 % of them out for epoch selection; nothing of the test fold is seen), the same test objects,
the same context columns. Feature models train on the ``light-curve`` features of each training
object cut at 4, 8, 16, 32, 64 days and whole (+ the context columns); deep models on fresh random
views every epoch (:class:`~elasticc_fast.nn.hybrid_data.HybridData`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

CUTS = (4.0, 8.0, 16.0, 32.0, 64.0)


def cut_key(cut: float | None) -> str:
    return "full" if cut is None else f"{cut:g}"


@dataclass
class Fold:
    """One fold of one track: everything a model may use."""

    batch: object                      #: LightCurveBatch of all objects (raw, microjansky)
    labels: np.ndarray                 #: (n,) leaf node index
    tree: object
    train: np.ndarray                  #: training objects of the fold
    val: np.ndarray                    #: a stratified part of ``train`` for epoch selection
    test: np.ndarray
    features: dict[str, pd.DataFrame]  #: cut key -> features (+ context) of every object
    context: np.ndarray | None         #: (n, C) network context (None: photometry only)
    context_names: tuple[str, ...] = ()
    seed: int = 0
    quick: bool = False
    jobs: int = 2
    options: dict = field(default_factory=dict)  #: per-run overrides (epochs, ensemble, ...)


@dataclass(frozen=True)
class ModelSpec:
    label: str
    run: Callable[[Fold], dict[str, np.ndarray]]  #: fold -> {cut key: (len(test), K) marginals}
    deep: bool = False


# ---------------------------------------------------------------------- feature baselines
def _feature_model(kind: str) -> Callable[[Fold], dict[str, np.ndarray]]:
    def run(fold: Fold) -> dict[str, np.ndarray]:
        from ..baselines import FlatLightGBM, HierarchicalLightGBM, HierarchicalRandomForest

        X = pd.concat([f.iloc[fold.train] for f in fold.features.values()], ignore_index=True)
        y = np.tile(fold.labels[fold.train], len(fold.features))
        n_trees = {"rf": 200, "lgbm": 150, "hlgbm": 150}[kind] if fold.quick else {"rf": 500, "lgbm": 300, "hlgbm": 300}[kind]
        if kind == "rf":
            model = HierarchicalRandomForest(fold.tree, n_estimators=n_trees, seed=fold.seed, n_jobs=fold.jobs)
        elif kind == "lgbm":
            model = FlatLightGBM(fold.tree, seed=fold.seed, n_jobs=fold.jobs, n_estimators=n_trees)
        else:
            model = HierarchicalLightGBM(fold.tree, seed=fold.seed, n_jobs=fold.jobs, n_estimators=n_trees)
        model.fit(X, y)
        return {k: model.predict_proba(f.iloc[fold.test]).to_numpy() for k, f in fold.features.items()}
    return run


# ---------------------------------------------------------------------- deep models
#: the deep models' training (epochs at most, early stopping on validation leaf macro-F1)
DEEP_DEFAULTS = {"epochs": 30, "quick_epochs": 12, "patience": 10, "batch_size": 64, "hidden": 48,
                 "width": 128, "sampler_power": 0.5, "learning_rate": 2e-3, "ensemble": 1, "encoder": "gru"}


def _deep_model(features: bool, seq: bool) -> Callable[[Fold], dict[str, np.ndarray]]:
    def run(fold: Fold) -> dict[str, np.ndarray]:
        opts = {**DEEP_DEFAULTS, **fold.options}
        data = _hybrid_data(fold, fold.train[~np.isin(fold.train, fold.val)], opts, features)
        val = _hybrid_data(fold, fold.val, opts, features).cuts([*CUTS, None])
        test = _hybrid_data(fold, fold.test, opts, features)
        members = [_fit_member(fold, data, val, opts, seq, fold.seed + k) for k in range(int(opts["ensemble"]))]
        out = {}
        for cut in (*CUTS, None):
            w = test.cut(cut)
            out[cut_key(cut)] = np.mean([m.predict_proba(w).to_numpy() for m in members], axis=0)
        return out
    return run


def _hybrid_data(fold: Fold, idx: np.ndarray, opts: dict, features: bool):
    from ..nn.hybrid_data import HybridData

    ctx = None if fold.context is None else fold.context[idx]
    return HybridData(fold.batch.take(idx), fold.labels[idx], ctx, fold.context_names,
                      sampler_power=opts["sampler_power"], features=features, n_jobs=fold.jobs)


def _fit_member(fold: Fold, data, val, opts: dict, seq: bool, seed: int):
    from ..classifier import Classifier

    epochs = opts["quick_epochs"] if fold.quick else opts["epochs"]
    clf = Classifier(tree=fold.tree, arch="hybrid", epochs=epochs, seed=seed, batch_size=opts["batch_size"],
                     learning_rate=opts["learning_rate"], class_weighted=False, patience=opts["patience"],
                     hidden=opts["hidden"], width=opts["width"], seq=seq, encoder=opts["encoder"], monitor="val_f1",
                     buckets=(16, 32, 64, 128), max_length=128)
    clf.fit(data, val=val, show_progress=False)
    log.info("deep member seed %d: best epoch %d of %d", seed, clf.best_epoch, len(clf.history))
    return clf


MODELS: dict[str, ModelSpec] = {
    "hybrid": ModelSpec("hybrid (light curve + features)", _deep_model(True, True), deep=True),
    "deep-features": ModelSpec("deep, features only", _deep_model(True, False), deep=True),
    "deep-lc": ModelSpec("deep, light curve only", _deep_model(False, True), deep=True),
    "rf": ModelSpec("hierarchical balanced RF", _feature_model("rf")),
    "lgbm": ModelSpec("LightGBM (flat)", _feature_model("lgbm")),
    "hlgbm": ModelSpec("LightGBM (hierarchical)", _feature_model("hlgbm")),
}
DEFAULT_MODELS = ("hybrid", "rf", "lgbm", "hlgbm")
