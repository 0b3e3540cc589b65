"""Encodings of the static (tabular) inputs: quantile -> normal, piecewise linear, missing indicators;
fitted on the training windows only, saved with the model and reloaded bit-identically."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from elasticc_fast.augment import AugmentedBatch
from elasticc_fast.classifier import Classifier
from elasticc_fast.context import context_matrix
from elasticc_fast.nn import TrainConfig, fit
from elasticc_fast.nn.data import StaticNorm
from elasticc_fast.taxonomy.ztf import BTS_TREE
from test_hybrid_classifier import TINY, _labelled_batch


def _skewed(n: int = 500, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = np.column_stack([rng.lognormal(size=n), rng.normal(3.0, 2.0, n), np.full(n, 5.0)])
    s[::7, 1] = np.nan
    return s


def test_quantile_encoding_is_sklearns_quantile_transformer_to_a_normal():
    from sklearn.preprocessing import QuantileTransformer

    s = _skewed()
    ours = StaticNorm.fit(s, "quantile")(s)
    ref = QuantileTransformer(n_quantiles=64, output_distribution="normal").fit(s).transform(s)
    for j in (0, 1):  # sklearn clips at 1e-7 (|z| <= 5.2), we at 1e-3 (|z| <= 3.09)
        np.testing.assert_allclose(ours[:, j], np.nan_to_num(np.clip(ref[:, j], -3.0902, 3.0902), nan=0.0), atol=1e-4)
    assert (ours[::7, 1] == 0).all() and (ours[:, 2] == 0).all()  # NaN and a constant column -> 0
    assert abs(np.median(ours[:, 0])) < 0.05 and 0.9 < ours[:, 0].std() < 1.1


def test_piecewise_linear_encoding_of_known_values():
    train = np.array([[0.0], [1.0], [2.0], [3.0], [4.0]])
    norm = StaticNorm.fit(train, "ple", bins=4)          # edges 0, 1, 2, 3, 4
    np.testing.assert_array_equal(norm.edges[:, 0], [0, 1, 2, 3, 4])
    z = norm(np.array([[-1.0], [0.5], [2.25], [9.0], [np.nan]]))
    np.testing.assert_allclose(z, [[0, 0, 0, 0], [0.5, 0, 0, 0], [1, 1, 0.25, 0], [1, 1, 1, 1], [0, 0, 0, 0]])
    assert norm.width == 4
    # a zero-width bin (ties in training) is a step at its edge
    step = StaticNorm.fit(np.array([[0.0], [0.0], [0.0], [1.0]]), "ple", bins=2)
    np.testing.assert_array_equal(step(np.array([[0.0], [0.5]])), [[1, 0], [1, 0.5]])


def test_missing_indicators_mark_nan_and_snana_sentinels():
    from elasticc_fast.static_features import ORACLE_STATIC_COLUMNS

    cols = {c: [0.5, 0.6, 0.7, 0.8] for c in ORACLE_STATIC_COLUMNS}
    cols |= {"HOSTGAL_PHOTOZ": [0.3, -9.0, 999.0, np.nan], "MWEBV": [0.01, 0.02, 0.03, 0.04],
             "RA": [10.0, 20.0, 30.0, 40.0], "DEC": [-40.0, -30.0, -20.0, -10.0]}
    static = pa.table(cols)
    ctx = context_matrix(static, "oracle")
    for kind in ("standard", "quantile", "ple"):
        norm = StaticNorm.fit(ctx, kind, missing=True)
        col = 4  # HOSTGAL_PHOTOZ in ORACLE_STATIC_COLUMNS
        assert col in norm.missing.tolist() and 0 not in norm.missing.tolist()  # MWEBV is never missing
        z = norm(ctx)
        assert z.shape[1] == norm.width and np.isfinite(z).all()
        ind = z[:, z.shape[1] - len(norm.missing) + norm.missing.tolist().index(col)]
        np.testing.assert_array_equal(ind, [0, 1, 1, 1])
    assert StaticNorm.fit(ctx, "standard").width == ctx.shape[1]  # no indicators unless asked


def _windows(static: np.ndarray, labels: np.ndarray) -> AugmentedBatch:
    n = len(labels)
    x = np.ones((n, 4, 2), np.float32)
    return AugmentedBatch(x=x, lengths=np.full(n, 4, np.int32), source=np.arange(n), t_end=np.zeros(n),
                          static=static.astype(np.float32), labels=labels, feature_names=["a", "b"],
                          static_names=["s0", "s1"])


@pytest.mark.parametrize("kind", ["quantile", "ple"])
def test_the_encoding_is_fitted_on_the_training_windows_only(kind):
    rng = np.random.default_rng(1)
    leaves = np.array(BTS_TREE.leaves[:3])
    train = _windows(rng.uniform(0, 1, (60, 2)), leaves[np.arange(60) % 3])
    val = _windows(rng.uniform(100, 200, (30, 2)), leaves[np.arange(30) % 3])  # far outside training
    cfg = TrainConfig(arch="hybrid", seq=False, epochs=1, batch_size=16, width=8, buckets=(4,),
                      static_encoding=kind, missing_indicators=True)
    res = fit(train, None, BTS_TREE, cfg, val=val, show_progress=False)
    assert res.static_norm.kind == kind and res.static_norm.edges.max() <= 1.0
    np.testing.assert_array_equal(res.static_norm.edges, StaticNorm.fit(train.static, kind, True).edges)
    assert res.model.tab1.in_features == res.static_norm.width


def test_a_model_with_an_encoding_saves_and_reloads_bit_identically(tmp_path):
    b = _labelled_batch()
    clf = Classifier(tree=BTS_TREE, seed=0, static_encoding="ple", static_bins=4, missing_indicators=True,
                     **TINY).fit(b, show_progress=False)
    assert clf._norm.kind == "ple" and clf._norm.width > len(clf._norm.mean)
    clf.save(tmp_path / "m")
    back = Classifier.load(tmp_path / "m")
    assert back._norm.to_dict() == clf._norm.to_dict()
    w = clf.windows(b, "full")
    np.testing.assert_array_equal(back._norm(w.static), clf._norm(w.static))
    np.testing.assert_array_equal(back.predict_proba(b).to_numpy(), clf.predict_proba(b).to_numpy())


def test_an_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="static_encoding"):
        TrainConfig(static_encoding="rank")
    with pytest.raises(ValueError, match="static encoding"):
        StaticNorm.fit(np.zeros((3, 1)), "rank")
