"""Model shapes, padding invariance (masks from lengths), probability sums, batching helpers."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from elasticc_fast.nn.data import StaticNorm, bucket_length, length_grouped_order, take_batch
from elasticc_fast.nn.loss import TreeArrays, marginals
from elasticc_fast.nn.models import build_model
from elasticc_fast.taxonomy import ORACLE_TREE as T

N_STATIC = 23


@nnx.jit
def _apply(model, x, lengths, static):
    return model(x, lengths, static)


def _inputs(n=6, t=12, f=5, s=N_STATIC, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, t + 1, n).astype(np.int32)
    x = rng.normal(size=(n, t, f)).astype(np.float32)
    x[np.arange(t)[None, :] >= lengths[:, None]] = 0.0
    return x, lengths, rng.normal(size=(n, s)).astype(np.float32)


@pytest.fixture(scope="module", params=["gru", "transformer"])
def run(request):
    """A model of each architecture and its outputs on a small padded batch."""
    model = build_model(request.param, 5, N_STATIC, len(T), seed=0)
    x, lengths, static = _inputs()
    logits, emb = _apply(model, x, lengths, static)
    return request.param, model, (x, lengths, static), np.asarray(logits), np.asarray(emb)


def test_shapes_and_size(run):
    arch, model, (x, _, _), logits, emb = run
    assert logits.shape == (len(x), len(T)) and emb.shape == (len(x), 64)
    assert (emb >= 0).all()  # relu embedding
    n = sum(int(np.size(p)) for p in jax.tree.leaves(nnx.state(model, nnx.Param)))
    assert (1.1e5 < n < 1.3e5) if arch == "gru" else (5e4 < n < 2e5)   # ORACLE's GRU: about 1.2e5


def test_padding_does_not_change_outputs(run):
    _, model, (x, lengths, static), logits, _ = run
    # pad to a longer length with garbage past each window's end: same outputs
    junk = np.random.default_rng(1).normal(size=(len(x), 20, 5)).astype(np.float32)
    x2 = np.concatenate([x, junk], axis=1)
    for i, n in enumerate(lengths):
        x2[i, n:] = junk[i, 0]
    np.testing.assert_allclose(np.asarray(_apply(model, x2, lengths, static)[0]), logits, rtol=2e-4, atol=2e-5)
    # while the points inside each window do matter
    x3 = x2.copy()
    x3[:, 0] += 1.0
    changed = np.abs(np.asarray(_apply(model, x3, lengths, static)[0]) - logits).max(axis=1)
    assert (changed > 1e-4).all()


def test_model_marginals_sum_to_one(run):
    _, _, _, logits, _ = run
    m = np.asarray(jax.jit(marginals)(jnp.asarray(logits * 5), TreeArrays.build(T)), np.float64)
    for nodes in (T.leaves, T.levels()[1], T.levels()[2]):
        np.testing.assert_allclose(m[:, list(nodes)].sum(1), 1.0, rtol=1e-5)
    assert (m >= 0).all() and (m <= 1 + 1e-6).all()


def test_bucketing_and_batches():
    assert bucket_length(1, (16, 32)) == 16 and bucket_length(17, (16, 32)) == 32 and bucket_length(40, (16, 32)) == 40
    lengths = np.random.default_rng(0).integers(1, 100, 1000)
    batches = length_grouped_order(lengths, 64, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    # grouping by length: batches pad much less than random ones
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    assert spread < 0.5 * np.ptp(lengths)
    x, lens, static = _inputs(n=5, t=40, s=3)
    xb, lb, sb, wb = take_batch(x, lens, static, np.array([4, 1]), 8, (16, 64))
    assert xb.shape == (8, min(bucket_length(int(lens[[4, 1]].max()), (16, 64)), 40), 5)
    assert wb.tolist() == [1, 1, 0, 0, 0, 0, 0, 0] and lb[2:].tolist() == [1] * 6
    np.testing.assert_array_equal(xb[0, :lens[4]], x[4, :lens[4]])
    np.testing.assert_array_equal(sb[1], static[1])


def test_static_norm_handles_nan_and_constant_columns():
    s = np.array([[1.0, 5.0, np.nan], [3.0, 5.0, 2.0], [5.0, 5.0, 4.0]], np.float32)
    norm = StaticNorm.fit(s)
    z = norm(s)
    assert np.isfinite(z).all() and z[0, 2] == 0.0
    np.testing.assert_allclose(z[:, 0], [-1.2247449, 0.0, 1.2247449], rtol=1e-5)
    assert (z[:, 1] == 0).all()
    np.testing.assert_array_equal(StaticNorm.from_dict(norm.to_dict())(s), z)


def test_fused_stack_equals_layer_by_layer(run):
    arch, model, (x, lengths, _), _, _ = run
    if arch != "gru":
        return  # the transformer has no recurrent layers; nothing to compare
    from elasticc_fast.nn.models import stacked_gru_last

    @jax.jit
    def both(x, last):
        x_tm = jnp.swapaxes(x, 0, 1)
        return (model.gru2(model.gru1(x_tm), last=last),
                stacked_gru_last([model.gru1, model.gru2], x_tm, last))

    a, b = both(x, lengths - 1)
    np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)
    assert np.abs(np.asarray(a)).max() > 1e-3
