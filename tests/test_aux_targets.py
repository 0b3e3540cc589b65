"""Auxiliary training targets (TrainConfig.aux_targets / aux_weight, learning with privileged
information): a head on the shared embedding learns per-object values (e.g. the redshift) beside the
classes; the masked error ignores unknown targets; weight 0 trains as without; prediction never uses it."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pyarrow as pa
import pytest
from flax import nnx

from elasticc_fast.context import aux_matrix
from elasticc_fast.nn import TrainConfig, fit
from elasticc_fast.nn.hybrid_data import stack_windows
from elasticc_fast.nn.loss import masked_mse
from test_nn_train import CFG, TOY, toy_windows

HYB = CFG.replace(arch="hybrid", epochs=2, hidden=16, width=16)


def _params(res):
    return [np.asarray(a) for a in jax.tree.leaves(nnx.state(res.model, nnx.Param))]


def _with_aux(w, seed=0):
    """Windows whose target follows the class's static feature, a third of them unknown (NaN)."""
    rng = np.random.default_rng(seed)
    w.aux = np.where(rng.random((len(w), 1)) < 0.3, np.nan, 2.0 * w.static[:, :1] + 1.0).astype(np.float32)
    return w


def test_masked_mse_ignores_unknown_targets_and_padding_rows():
    pred = jnp.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    target = jnp.array([[0.0, np.nan], [np.nan, np.nan], [4.0, 100.0]])
    weight = jnp.array([1.0, 1.0, 0.0])  # the third row is padding
    assert float(masked_mse(pred, target, weight)) == pytest.approx(1.0)   # only (1 - 0)^2 is known
    assert float(masked_mse(pred, target)) == pytest.approx((1 + 1 + 94 ** 2) / 3)
    grad = jax.grad(lambda p: masked_mse(p, target, weight))(pred)
    assert np.all(np.isfinite(grad)) and np.count_nonzero(grad) == 1 and float(grad[0, 0]) == pytest.approx(2.0)
    assert float(masked_mse(pred, jnp.full((3, 2), jnp.nan))) == 0.0


def test_weight_zero_trains_as_without_targets_and_the_head_is_dropped():
    w = _with_aux(toy_windows(n_per=20))
    plain = fit(w, None, TOY, HYB, show_progress=False)
    zero = fit(w, None, TOY, HYB.replace(aux_targets=("redshift",), aux_weight=0.0), show_progress=False)
    aux = fit(w, None, TOY, HYB.replace(aux_targets=("redshift",), aux_weight=0.5), show_progress=False)
    assert [h["loss"] for h in zero.history] == [h["loss"] for h in plain.history]
    for a, b in zip(_params(plain), _params(zero), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # the head shapes the shared layers, and is gone from the result: the same parameters as a plain model
    assert any(not np.allclose(a, b) for a, b in zip(_params(plain), _params(aux), strict=True))
    assert [a.shape for a in _params(aux)] == [a.shape for a in _params(plain)]
    assert not hasattr(aux.model, "aux_head") and aux.history[0]["loss"] > plain.history[0]["loss"]
    # prediction takes windows without targets
    x, lengths, static = w.x[:4], w.lengths[:4], aux.static_norm(w.static[:4])
    logits, _ = aux.model(jnp.asarray(x), jnp.asarray(lengths), jnp.asarray(static))
    assert logits.shape == (4, len(TOY))


def test_aux_needs_targets_in_the_windows_and_valid_names():
    with pytest.raises(ValueError, match="aux_targets.*carry no such targets"):
        fit(toy_windows(n_per=8), None, TOY, HYB.replace(aux_targets=("redshift",), aux_weight=0.3),
            show_progress=False)
    with pytest.raises(ValueError, match="aux_targets"):
        TrainConfig(arch="hybrid", aux_targets=("peakabs",))
    with pytest.raises(ValueError, match="aux_targets"):
        TrainConfig(arch="gru", aux_targets=("redshift",))
    with pytest.raises(ValueError, match="aux_weight"):
        TrainConfig(arch="hybrid", aux_weight=-0.1)
    cfg = TrainConfig(arch="hybrid", aux_targets=("redshift", "abs_b"), aux_weight=0.3)
    assert TrainConfig.from_json(cfg.to_json()) == cfg and not TrainConfig().aux


def test_aux_matrix_and_windows_carry_the_targets_of_their_objects():
    static = pa.table({"redshift": [0.1, None, 0.0], "b": [-30.0, 10.0, 5.0], "A_V": [0.1, 0.2, 0.3]})
    m = aux_matrix(static, ("redshift", "abs_b"))
    np.testing.assert_allclose(m[:, 1], [30.0, 10.0, 5.0])
    assert m[0, 0] == pytest.approx(-1.0) and np.isnan(m[1, 0]) and m[2, 0] == pytest.approx(-4.0)
    w = _with_aux(toy_windows(n_per=4))
    part = w.take(np.array([2, 0]))
    np.testing.assert_array_equal(part.aux, w.aux[[2, 0]])
    both = stack_windows([part, w.take(np.array([1]))])
    np.testing.assert_array_equal(both.aux, w.aux[[2, 0, 1]])


def test_hybrid_data_refuses_aux_of_another_length():
    from elasticc_fast.nn.hybrid_data import HybridData
    from elasticc_fast.sim.ztf import simulate_ztf

    sim = simulate_ztf(2, seed=1, classes=["SN Ia"], photometry="detections")
    with pytest.raises(ValueError, match=f"aux has {len(sim) + 1} rows for {len(sim)} objects"):
        HybridData(sim, None, aux=np.zeros((len(sim) + 1, 1), np.float32))


def test_classifier_learns_aux_from_static_columns_and_saves_a_plain_model(tmp_path):
    """A hybrid fine-tuned with an aux head from a pretrained one: the pretrained model is left as
    it was, the saved model loads without the head and predicts as the trained one."""
    from elasticc_fast.classifier import Classifier
    from elasticc_fast.sim.ztf import simulate_ztf
    from elasticc_fast.taxonomy.ztf import BTS_TREE

    sim = simulate_ztf(6, seed=1, classes=["SN Ia", "SN II", "SN Ic", "SLSN-I", "nova"], photometry="detections")
    small = dict(tree=BTS_TREE, arch="hybrid", epochs=1, hidden=16, width=16, batch_size=32, seed=0, buckets=(128,),
                 max_length=128)
    pre = Classifier(**small).fit(sim, show_progress=False)
    before = pre.predict_proba(sim).to_numpy()
    tuned = Classifier(**small, aux_targets=("redshift", "abs_b"), aux_weight=0.5).fit(
        sim, init_from=pre, show_progress=False)
    np.testing.assert_array_equal(pre.predict_proba(sim).to_numpy(), before)
    assert not hasattr(pre._model, "aux_head") and not hasattr(tuned._model, "aux_head")
    tuned.save(tmp_path / "m")
    got = Classifier.load(tmp_path / "m")
    assert got.config.aux_targets == ("redshift", "abs_b")
    np.testing.assert_allclose(got.predict_proba(sim).to_numpy(), tuned.predict_proba(sim).to_numpy(), rtol=1e-5,
                               atol=1e-6)
    assert np.abs(got.predict_proba(sim).to_numpy() - before).max() > 1e-4
