"""Pretraining on simulated ZTF objects for the BTS benchmark (``benchmark ztf-bts --pretrain N``).

The model ``hybrid-pre`` is the benchmark's ``hybrid`` model (same configuration, same folds, same
context columns, same ensemble size) whose training on each fold starts from weights pretrained on
``N`` objects of ``elasticc-fast simulate --survey ztf`` (:func:`elasticc_fast.sim.ztf.simulate_ztf`:
alert detections, microjansky, the BTS reader's static columns, so the spec-z track takes the
simulated redshift, |b| and A_V exactly as it takes the BTS table's). Pretraining never sees a real
object: it holds 15 % of the *simulated* objects out to choose its epoch, and runs once per track
(the result is kept in the fold cache, so every fold fine-tunes from the same weights).

Simulated classes: the BTS types the simulator has that map to a leaf of the BTS tree (TDE has
none), the same number of objects of each type, so each leaf gets its types' share.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np

log = logging.getLogger(__name__)

#: pretraining defaults (``fold.options`` overrides: ``pretrain`` = N, ``pretrain_epochs``,
#: ``pretrain_seed``, ``finetune_lr``)
PRETRAIN_DEFAULTS = {"pretrain": 0, "pretrain_epochs": 16, "pretrain_seed": 1000, "finetune_lr": None}


def pretraining_classes() -> list[str]:
    """The simulated ZTF types that have a leaf in the BTS tree."""
    from ..sim.ztf import ZTF_CLASSES

    return [c.leaf for c in ZTF_CLASSES if c.tree_leaf is not None]


def simulate_pretraining(n_objects: int, seed: int, workers: int = 1):
    """About ``n_objects`` simulated ZTF objects (alert detections), equal per type -> LightCurveBatch
    with BTS-tree ``labels`` (at least one object per type)."""
    from ..sim.ztf import simulate_ztf

    classes = pretraining_classes()
    per_type = max(1, math.ceil(n_objects / len(classes)))
    return simulate_ztf(per_type, seed=seed, classes=classes, photometry="detections", workers=workers)


def pretrain(fold, opts: dict):
    """The ``hybrid`` model pretrained on simulated objects for ``fold``'s track (cached per track)."""
    from ..context import context_matrix
    from ..crossval import validation_split
    from ..nn.config import BTS_HYBRID
    from ..nn.hybrid_data import HybridData
    from .bts_models import CUTS

    key = ("pretrained", fold.context_names, opts["pretrain"], opts["pretrain_seed"], opts["pretrain_epochs"])
    if key in fold.cache:
        return fold.cache[key]
    t0 = time.perf_counter()
    sim = simulate_pretraining(opts["pretrain"], opts["pretrain_seed"], workers=fold.jobs)
    y = np.asarray(sim.labels, np.int64)
    ctx = context_matrix(sim.static, "redshift") if fold.context_names else None
    fit_idx, val_idx = validation_split(np.arange(len(y)), y, 0.15, opts["pretrain_seed"])
    data = HybridData(sim, y, ctx, fold.context_names, pool=fit_idx, sampler_power=BTS_HYBRID["sampler_power"],
                      n_jobs=fold.jobs)
    val = data.cuts([*CUTS, None], objects=val_idx)
    clf = _classifier(fold.tree, {"epochs": opts["pretrain_epochs"], "seed": opts["pretrain_seed"]})
    clf.fit(data, val=val, show_progress=False)
    log.info("pretrained on %d simulated objects (%s): best epoch %d of %d, %.0f s", len(y),
             ", ".join(fold.context_names) or "photometry only", clf.best_epoch, len(clf.history),
             time.perf_counter() - t0)
    fold.cache[key] = clf
    return clf


def _classifier(tree, overrides: dict):
    from ..classifier import Classifier
    from ..nn.config import BTS_HYBRID

    return Classifier(tree=tree, **{**BTS_HYBRID, **{k: v for k, v in overrides.items() if v is not None}})


def run_pretrained(fold) -> dict[str, np.ndarray]:
    """``hybrid-pre`` on one fold: the ``hybrid`` model's training, started from :func:`pretrain`'s
    weights -> {cut key: (len(test), K) marginals}."""
    from ..nn.config import BTS_HYBRID
    from .bts_models import CUTS, DEEP_DEFAULTS, _hybrid_data, cut_key

    opts = {**DEEP_DEFAULTS, **PRETRAIN_DEFAULTS, **fold.options}
    if not opts["pretrain"]:
        raise ValueError("model hybrid-pre needs a number of simulated objects: --pretrain N")
    pre = pretrain(fold, opts)
    data = _hybrid_data(fold, fold.train[~np.isin(fold.train, fold.val)], opts, True)
    val = data.cuts([*CUTS, None], objects=fold.val)
    k_members = opts["ensemble"] if "ensemble" in fold.options or not fold.quick else opts["quick_ensemble"]
    epochs = fold.options.get("epochs") or (opts["quick_epochs"] if fold.quick else BTS_HYBRID["epochs"])
    members = []
    for k in range(int(k_members)):
        clf = _classifier(fold.tree, {"epochs": epochs, "seed": fold.seed + k, "learning_rate": opts["finetune_lr"]})
        clf.fit(data, val=val, show_progress=False, init_from=pre)
        log.info("fine-tuned member seed %d: best epoch %d of %d", fold.seed + k, clf.best_epoch, len(clf.history))
        members.append(clf)
    out = {}
    for cut in (*CUTS, None):
        w = data.cut(cut, objects=fold.test)
        out[cut_key(cut)] = np.mean([m.predict_proba(w).to_numpy() for m in members], axis=0)
    return out
