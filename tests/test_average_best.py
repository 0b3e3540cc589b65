"""Weight averaging over the best epochs (TrainConfig.average_best, BestEpoch keep): the model is the
mean of the parameters of the N best epochs by the monitored value; resume keeps them."""
from __future__ import annotations

import jax
import numpy as np
import pytest
from flax import nnx

from elasticc_fast.nn import TrainConfig, fit
from elasticc_fast.nn.loop import BestEpoch
from test_nn_train import CFG, TOY, toy_windows


def _params(res):
    return [np.asarray(a) for a in jax.tree.leaves(nnx.state(res.model, nnx.Param))]


def test_best_epoch_keeps_and_averages_the_n_best():
    sel = BestEpoch("val_f1", "max", patience=100, keep=3)
    scores = [0.1, 0.5, 0.3, 0.5, 0.2]  # epoch 3 ties epoch 1: the earlier ranks first
    for e, v in enumerate(scores):
        sel.update({"epoch": e, "loss": 1.0, "val_f1": v}, {"w": np.full(2, float(e))})
    assert sel.epoch == 1 and [e for _, e, _ in sel.top] == [1, 3, 2]
    np.testing.assert_allclose(np.asarray(sel.final_params()["w"]), [2.0, 2.0])  # (1 + 3 + 2) / 3
    one = BestEpoch("val_f1", "max", patience=100)
    for e, v in enumerate(scores):
        one.update({"epoch": e, "loss": 1.0, "val_f1": v}, {"w": np.full(2, float(e))})
    assert one.top == [] and np.asarray(one.final_params()["w"]).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="keep"):
        BestEpoch(keep=0)
    with pytest.raises(ValueError, match="average_best"):
        TrainConfig(average_best=0)


def test_fit_returns_the_mean_of_the_best_epochs_parameters_and_resume_keeps_them(tmp_path):
    w = toy_windows(n_per=20)
    cfg = CFG.replace(epochs=3, monitor="val_loss", average_best=2)
    avg = fit(w, None, TOY, cfg, out_dir=tmp_path / "a", show_progress=False)
    best2 = sorted(range(3), key=lambda e: (avg.history[e]["val_loss"], e))[:2]
    assert avg.best_epoch == best2[0]
    # the parameters after epoch e: a run of e + 1 epochs that keeps its last epoch
    after = [_params(fit(w, None, TOY, cfg.replace(epochs=e + 1), show_progress=False,
                         selector=BestEpoch("epoch", "max"))) for e in best2]
    for got, *parts in zip(_params(avg), *after, strict=True):
        np.testing.assert_allclose(got, np.mean(parts, axis=0), rtol=1e-6, atol=1e-7)
    assert any(not np.array_equal(a, b) for a, b in zip(_params(avg), after[0], strict=True))  # not the best alone
    # interrupted after epoch 1 (its checkpoint ranks 2 epochs), resumed: the same 2 best epochs, the same mean
    fit(w, None, TOY, cfg.replace(epochs=2), out_dir=tmp_path / "b", show_progress=False)
    resumed = fit(w, None, TOY, cfg, out_dir=tmp_path / "b", resume=True, show_progress=False)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in avg.history]
    for a, b in zip(_params(avg), _params(resumed), strict=True):
        np.testing.assert_array_equal(a, b)


def test_resuming_with_fewer_kept_epochs_than_the_checkpoint_ranks_is_refused():
    """A checkpoint of ``average_best=3`` ranks 3 epochs; resumed with 2 it holds only 2 of their
    parameter trees (``top_0``, ``top_1``), so the mean could not be the one the run started."""
    sel = BestEpoch("val_f1", "max", keep=2)
    meta = {"best_value": 0.5, "best_epoch": 1, "bad_epochs": 0, "top": [[0.5, 1], [0.4, 0], [0.3, 2]]}
    with pytest.raises(ValueError, match="ranks 3 best epochs but holds 2 .* average_best it was started with"):
        sel.load(meta, {"w": np.zeros(2)}, [{"w": np.zeros(2)}, {"w": np.ones(2)}])
    sel.load({**meta, "top": meta["top"][:2]}, {"w": np.zeros(2)}, [{"w": np.zeros(2)}, {"w": np.ones(2)}])
    assert [e for _, e, _ in sel.top] == [1, 0]


def test_config_selector_follows_monitor_only_with_validation():
    """``config_selector``, the one rule both training paths use: ``val_f1`` is kept (highest first) only
    when there are validation windows; without them the lowest training loss."""
    from elasticc_fast.nn.loop import config_selector

    cfg = TrainConfig(monitor="val_f1", patience=3, average_best=2)
    sel = config_selector(cfg, has_val=True)
    assert (sel.monitor, sel.mode, sel.patience, sel.keep) == ("val_f1", "max", 3, 2)
    blind = config_selector(cfg, has_val=False)
    assert (blind.monitor, blind.mode, blind.keep) == ("val_loss", "min", 2)
    blind.update({"epoch": 0, "loss": 2.0}, {"w": np.zeros(1)})
    blind.update({"epoch": 1, "loss": 1.0}, {"w": np.ones(1)})
    assert blind.epoch == 1  # no val_loss in the records: falls back to the training loss
    assert config_selector(TrainConfig(), has_val=True).monitor == "val_loss"
