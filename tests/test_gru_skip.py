"""The GRU stops each batch at its longest row (blocks past it skipped): probabilities and
gradients equal the plain layer-by-layer scan over the whole padded length (the function before
the change) to 1e-6, whatever the padding and block size."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from elasticc_fast.nn.loss import TreeArrays, hierarchical_loss, marginals
from elasticc_fast.nn.models import build_model, stacked_gru_last
from elasticc_fast.taxonomy import ORACLE_TREE

TA = TreeArrays.build(ORACLE_TREE)


def _plain(model, x, lengths, static):
    """The GRU classifier as it was: each layer over every padded step, state read at length - 1."""
    x_tm = jnp.swapaxes(x, 0, 1)
    h = model.gru2(model.gru1(x_tm, unroll=1), last=jnp.clip(lengths, 1, x.shape[1]) - 1, unroll=1)
    parts = [jnp.tanh(model.seq(h)), model.stat(static)]
    return model.head(jnp.concatenate(parts, axis=-1))[0]


def _batch(n: int, t_pad: int, longest: int, seed: int):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, longest + 1, n).astype(np.int32)
    x = rng.normal(size=(n, t_pad, 5)).astype(np.float32)
    x[np.arange(t_pad)[None, :] >= lengths[:, None]] = 0.0
    return x, lengths, rng.normal(size=(n, 23)).astype(np.float32)


@pytest.fixture(scope="module")
def model():
    return build_model("gru", 5, 23, len(ORACLE_TREE), seed=3)


@pytest.mark.parametrize("t_pad,longest", [(64, 13), (33, 7)])
def test_probabilities_equal_the_plain_scan(model, t_pad, longest):
    x, lengths, static = _batch(40, t_pad, longest, seed=t_pad)
    fast = nnx.jit(lambda m, *a: m(*a)[0])(model, x, lengths, static)
    plain = nnx.jit(_plain)(model, x, lengths, static)
    p_fast, p_plain = (np.asarray(marginals(lg, TA)) for lg in (fast, plain))
    np.testing.assert_allclose(p_fast, p_plain, atol=1e-6)
    # the padding past the longest row never matters
    short = nnx.jit(lambda m, *a: m(*a)[0])(model, x[:, :longest], lengths, static)
    np.testing.assert_allclose(np.asarray(marginals(short, TA)), p_plain, atol=1e-6)


@pytest.mark.parametrize("unroll", [3, 8])
def test_block_sizes_agree(model, unroll):
    x, lengths, _ = _batch(16, 21, 11, seed=unroll)
    x_tm, last = jnp.swapaxes(jnp.asarray(x), 0, 1), jnp.asarray(lengths - 1)
    got = jax.jit(lambda a, b: stacked_gru_last([model.gru1, model.gru2], a, b, unroll=unroll))(x_tm, last)
    want = jax.jit(lambda a, b: model.gru2(model.gru1(a), last=b))(x_tm, last)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-6)


def test_gradients_equal_the_plain_scan(model):
    x, lengths, static = _batch(24, 48, 17, seed=5)
    leaf = np.random.default_rng(0).choice(np.asarray(ORACLE_TREE.leaves), 24)
    weight = np.ones(24, np.float32)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)

    def loss(p, fn):
        return hierarchical_loss(fn(nnx.merge(graphdef, p, rest), x, lengths, static), leaf, TA, weight)

    g_fast = jax.jit(jax.grad(lambda p: loss(p, lambda m, *a: m(*a)[0])))(params)
    g_plain = jax.jit(jax.grad(lambda p: loss(p, _plain)))(params)
    for a, b in zip(jax.tree.leaves(g_fast), jax.tree.leaves(g_plain), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6, rtol=1e-4)
