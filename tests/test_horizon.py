"""TrainConfig.horizon: points later than the horizon after the first detection are ignored by the
hybrid in validation and prediction (training views keep every point); saved in model.json; the BTS benchmark applies
the same horizon to every model (feature baselines included)."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from elasticc_fast.classifier import Classifier
from elasticc_fast.nn.config import TrainConfig
from elasticc_fast.nn.hybrid_data import HybridData
from elasticc_fast.taxonomy.ztf import BTS_TREE
from elasticc_fast.views import _since_first, cut_batch
from test_hybrid_classifier import TINY, _labelled_batch

H = 40.0


def _late_junk(b, seed: int = 1):
    """``b`` with every point later than H days after the first detection replaced by junk flux."""
    _, t = _since_first(b)
    late = t > H
    flux = b.flux.copy()
    flux[late] = np.random.default_rng(seed).uniform(500, 5000, late.sum()).astype(flux.dtype)
    return dataclasses.replace(b, flux=flux), late


@pytest.fixture(scope="module")
def models():
    b = _labelled_batch()
    return b, {h: Classifier(tree=BTS_TREE, seed=0, **{**TINY, "epochs": 2, "horizon": h}).fit(b, show_progress=False)
               for h in (H, None)}


def test_points_after_the_horizon_do_not_change_the_prediction(models):
    b, m = models
    junk, late = _late_junk(b)
    assert late.sum() > 100
    np.testing.assert_array_equal(m[H].predict_proba(junk).to_numpy(), m[H].predict_proba(b).to_numpy())
    np.testing.assert_array_equal(m[H].predict_proba(b).to_numpy(), m[H].predict_proba(cut_batch(b, H)).to_numpy())
    # without a horizon the same junk changes the prediction (the check above can fail)
    assert not np.allclose(m[None].predict_proba(junk).to_numpy(), m[None].predict_proba(b).to_numpy())


def test_horizon_round_trips_through_model_json_and_older_models_load_without_it(models, tmp_path):
    b, m = models
    m[H].save(tmp_path / "model")
    back = Classifier.load(tmp_path / "model")
    assert back.config.horizon == H
    np.testing.assert_array_equal(back.predict_proba(b).to_numpy(), m[H].predict_proba(b).to_numpy())
    d = m[H].config.to_dict()
    assert json.loads(m[H].config.to_json())["horizon"] == H
    del d["horizon"]                                     # a model.json written before the field
    assert TrainConfig.from_dict(d).horizon is None


def test_cuts_stop_at_the_horizon_and_training_views_keep_every_point():
    b = _labelled_batch()
    data = HybridData(b, np.asarray(b.labels), max_length=64, horizon=H)
    for c in (None, 80.0, H):
        w = data.cut(c)
        valid = np.arange(w.x.shape[1])[None, :] < w.lengths[:, None]
        assert w.x[..., 0][valid].max() * 100 <= H + 1e-4   # t = days since first detection / 100
    np.testing.assert_array_equal(data.cut(8.0).x, HybridData(b, max_length=64).cut(8.0).x)
    plain = HybridData(b, np.asarray(b.labels), max_length=64)
    for seed in range(2):                                     # the training augmentation is unchanged
        np.testing.assert_array_equal(data(seed).x, plain(seed).x)
    full, at_h = data.cut(None), data.cut(H)
    np.testing.assert_array_equal(full.x, at_h.x)
    np.testing.assert_array_equal(full.static, at_h.static)
    assert (HybridData(b, np.asarray(b.labels), max_length=64).cut(None).lengths > full.lengths).any()


def test_horizon_is_checked():
    with pytest.raises(ValueError, match="horizon"):
        TrainConfig(arch="gru", horizon=64.0)
    with pytest.raises(ValueError, match="horizon"):
        TrainConfig(arch="hybrid", horizon=0.0)
    with pytest.raises(ValueError, match="horizon"):
        HybridData(_labelled_batch(6), horizon=-1.0)


def test_benchmark_features_use_the_same_horizon():
    """Every model of the BTS benchmark sees the same points: the baselines' "full" features are
    those of the curves cut at the horizon, and a cut later than the horizon stops at it."""
    from elasticc_fast.baselines.features import extract_features
    from elasticc_fast.benchmarks.bts import cut_features
    from elasticc_fast.benchmarks.bts_models import horizon_of
    from elasticc_fast.views import max_days

    assert max_days(None, None) is None and max_days(None, H) == H and max_days(64.0, H) == H
    assert max_days(8.0, H) == 8.0 and horizon_of({"horizon": 0}) is None and horizon_of({"horizon": 50}) == 50.0
    b = _labelled_batch(12)
    f = cut_features(b, "none", 1, horizon=H)
    ref = extract_features(b, max_days=H, n_jobs=1)
    for key in ("full", "64"):
        np.testing.assert_array_equal(f[key].to_numpy(), ref.to_numpy())
    np.testing.assert_array_equal(f["8"].to_numpy(), extract_features(b, max_days=8.0, n_jobs=1).to_numpy())
    assert not np.array_equal(cut_features(b, "none", 1)["full"].to_numpy(), ref.to_numpy(), equal_nan=True)


def test_pretrained_members_follow_the_run_horizon():
    """``hybrid-pre``'s classifiers take the run's horizon, also when ``--horizon 0`` turns it off
    (None must replace BTS_HYBRID's 96 d, not be skipped like the other unset options)."""
    from types import SimpleNamespace

    from elasticc_fast.benchmarks.bts_pretrain import _classifier
    from elasticc_fast.nn.config import BTS_HYBRID
    from elasticc_fast.taxonomy.ztf import BTS_TREE

    default = _classifier(SimpleNamespace(tree=BTS_TREE, options={}), {"epochs": 2, "seed": None})
    off = _classifier(SimpleNamespace(tree=BTS_TREE, options={"horizon": 0}), {"epochs": 2})
    assert default.config.horizon == BTS_HYBRID["horizon"] and default.config.epochs == 2
    assert off.config.horizon is None
