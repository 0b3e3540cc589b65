"""Training: the loss falls, a seed gives identical runs on CPU, resume continues exactly."""
from __future__ import annotations

import json

import jax
import numpy as np
import pytest
from flax import nnx

from elasticc_fast import AugmentedBatch
from elasticc_fast.nn import TrainConfig, fit
from elasticc_fast.options import PreprocessOptions, WindowOptions
from elasticc_fast.taxonomy import Tree

TOY = Tree.from_nested("toy", {"r": {"a": ["a1", "a2"], "b": []}})
LEAVES = np.array([TOY.index("a1"), TOY.index("a2"), TOY.index("b")])


def toy_windows(n_per=40, t=16, seed=0):
    """AugmentedBatch-like windows whose class shows in the flux level and one static feature."""
    rng = np.random.default_rng(seed)
    leaf = np.repeat(LEAVES, n_per)
    n = len(leaf)
    lengths = rng.integers(2, t + 1, n).astype(np.int32)
    x = np.zeros((n, t, 3), np.float32)
    cls = np.searchsorted(np.sort(LEAVES), leaf)
    for i in range(n):
        k = lengths[i]
        x[i, :k, 0] = np.sort(rng.random(k))
        x[i, :k, 1] = (cls[i] - 1.0) + 0.3 * rng.normal(size=k)
        x[i, :k, 2] = 1.0
    static = np.stack([cls + 0.5 * rng.normal(size=n), rng.normal(size=n)], axis=1).astype(np.float32)
    return AugmentedBatch(x=x, lengths=lengths, source=np.arange(n), t_end=np.zeros(n), static=static, labels=leaf,
                          feature_names=["t", "flux", "one"], static_names=["s0", "s1"])


CFG = TrainConfig(epochs=6, batch_size=32, learning_rate=1e-2, buckets=(16,), eval_batch_size=64,
                  val_fraction=0.25, patience=100, seed=3)


def _params(res):
    return [np.asarray(a) for a in jax.tree.leaves(nnx.state(res.model, nnx.Param))]


def test_loss_falls_and_run_is_deterministic():
    w = toy_windows()
    r1 = fit(w, None, TOY, CFG, show_progress=False)
    losses = [h["loss"] for h in r1.history]
    assert len(losses) == CFG.epochs
    assert losses[-1] < 0.7 * losses[0], losses
    assert r1.history[-1]["val_loss"] < r1.history[0]["val_loss"]
    assert r1.history[-1]["val_acc"] > 0.6          # 3 balanced classes: chance is 1/3
    r2 = fit(w, None, TOY, CFG, show_progress=False)
    assert [h["loss"] for h in r2.history] == losses
    for a, b in zip(_params(r1), _params(r2), strict=True):
        np.testing.assert_array_equal(a, b)


def test_resume_continues_exactly(tmp_path):
    w = toy_windows(n_per=20)
    cfg = CFG.replace(epochs=4)
    straight = fit(w, None, TOY, cfg, out_dir=tmp_path / "a", show_progress=False)
    assert json.loads((tmp_path / "a" / "config.json").read_text())["epochs"] == 4
    fit(w, None, TOY, cfg.replace(epochs=2), out_dir=tmp_path / "b", show_progress=False)
    with pytest.raises(FileExistsError, match="resume"):
        fit(w, None, TOY, cfg, out_dir=tmp_path / "b", show_progress=False)
    resumed = fit(w, None, TOY, cfg, out_dir=tmp_path / "b", resume=True, show_progress=False)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in straight.history]
    assert resumed.best_epoch == straight.best_epoch
    for a, b in zip(_params(straight), _params(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_class_caps_and_label_checks():
    w = toy_windows(n_per=30)
    r = fit(w, None, TOY, CFG.replace(epochs=1, max_per_class=5, val_fraction=0.2), show_progress=False)
    assert r.n_train == 3 * 5 and r.n_val_windows == 3 * 6
    bad = toy_windows(n_per=5)
    bad.labels = np.full(len(bad.labels), TOY.index("a"))  # an inner node is not a leaf
    with pytest.raises(ValueError, match="not leaves"):
        fit(bad, None, TOY, CFG, show_progress=False)


def test_config_json_round_trip_and_checks():
    cfg = TrainConfig(arch="transformer", buckets=(64, 16)).replace(band_encoding="onehot", trigger="photflag")
    assert cfg.buckets == (16, 64)
    assert TrainConfig.from_json(cfg.to_json()) == cfg
    assert cfg.windows == WindowOptions(max_length=256, flux_scale="asinh", band_encoding="onehot")
    assert cfg.preprocess == PreprocessOptions(trigger="photflag")
    # a config.json / model.json written before the options were typed
    legacy = {k: v for k, v in json.loads(cfg.to_json()).items() if k not in ("windows", "preprocess")}
    legacy.update(max_length=64, augment={"band_encoding": "onehot"}, preprocess={"trigger": "photflag"})
    old = TrainConfig.from_dict(legacy)
    assert old.windows == WindowOptions(max_length=64, flux_scale="linear", band_encoding="onehot")
    assert old.preprocess.trigger == "photflag"
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"epochz": 3})
    with pytest.raises(ValueError, match="arch"):
        TrainConfig(arch="lstm")
    # options are checked where they are built, not deep inside augment
    with pytest.raises(ValueError, match="flux_scale must be one of"):
        TrainConfig().replace(flux_scale="log")
    with pytest.raises(ValueError, match="trigger must be one of"):
        TrainConfig(preprocess={"trigger": "first"})
    with pytest.raises(ValueError, match="full_views must be in"):
        TrainConfig(full_views=-0.1)
    assert TrainConfig.from_json(TrainConfig(full_views=0.25).to_json()).full_views == 0.25


def test_selector_keeps_the_best_epoch_by_another_metric():
    from elasticc_fast.nn.loop import BestEpoch

    w = toy_windows(n_per=20)
    r = fit(w, None, TOY, CFG.replace(epochs=4), show_progress=False,
            selector=BestEpoch("val_f1", "max", patience=100))
    f1 = [h["val_f1"] for h in r.history]
    assert r.best_epoch == int(np.argmax(f1))
    with pytest.raises(ValueError, match="mode"):
        BestEpoch("val_f1", "largest")
