"""The fair CV protocol: folds, validation inside the training fold, pooled out-of-fold scores."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.crossval import OutOfFold, argmax_levels, stratified_folds, validation_split
from elasticc_fast.metrics import scores
from elasticc_fast.taxonomy.ztf import BTS_TREE


def _labels(n_per=(60, 20, 10, 8, 6)):
    return np.concatenate([np.full(n, leaf) for n, leaf in zip(n_per, BTS_TREE.leaves, strict=True)])


def test_folds_partition_and_validation_stays_in_the_training_fold():
    y = _labels()
    folds = stratified_folds(y, 5, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, stratified_folds(y, 5, seed=0), strict=True))
    np.testing.assert_array_equal(np.sort(np.concatenate([te for _, te in folds])), np.arange(len(y)))
    for tr, te in folds:
        assert not set(tr) & set(te)
        fit, val = validation_split(tr, y, 0.15, seed=0)
        assert set(fit) | set(val) == set(tr) and not set(fit) & set(val)
        assert set(np.unique(y[val])) == set(np.unique(y))       # stratified: every class held out


def test_out_of_fold_scores_pool_the_folds():
    y = _labels()
    rng = np.random.default_rng(1)
    oof = OutOfFold(BTS_TREE, y, ("8", "full"))
    pooled = {"8": np.zeros(len(y), np.int64), "full": np.zeros(len(y), np.int64)}
    per_fold = []
    for f, (_, te) in enumerate(stratified_folds(y, 3, seed=0)):
        probs = {}
        for cut in ("8", "full"):
            p = rng.dirichlet(np.ones(len(BTS_TREE)), len(te))
            probs[cut] = p
            pooled[cut][te] = argmax_levels(BTS_TREE, p)[0]
        oof.add("m", f, te, probs)
        per_fold.append(scores(y[te], pooled["full"][te], len(BTS_TREE)).f1)
    res = oof.scores("m")
    for cut in ("8", "full"):
        assert res["macro_f1"][cut] == pytest.approx(scores(y, pooled[cut], len(BTS_TREE)).f1, abs=1e-4)
    assert res["macro_f1_fold_std"]["full"] == pytest.approx(np.std(per_fold), abs=1e-4)
    assert set(res["per_class_f1"]["full"]) == set(BTS_TREE.leaf_names)
    assert set(res["top_per_class_f1"]["full"]) == {"SN", "SLSN", "CV/nova"}
    with pytest.raises(ValueError, match="no predictions for cuts"):
        oof.add("m", 0, np.arange(3), {"8": np.zeros((3, len(BTS_TREE)))})
