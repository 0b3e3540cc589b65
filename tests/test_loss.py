"""The weighted hierarchical cross-entropy against a hand computation, and tree probabilities."""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from elasticc_fast.nn.loss import TreeArrays, hierarchical_loss, log_conditionals, marginals
from elasticc_fast.taxonomy import ORACLE_TREE, Tree

TOY = Tree.from_nested("toy", {"r": {"a": ["a1", "a2"], "b": []}})   # nodes r, a, b, a1, a2


def test_toy_tree_layout():
    assert TOY.nodes == ("r", "a", "b", "a1", "a2")
    assert TOY.sibling_groups == ((0,), (1, 2), (3, 4))
    assert TOY.depth.tolist() == [0, 1, 1, 2, 2]


def test_loss_matches_hand_computation():
    # logits: r 0, a 1, b 0, a1 2, a2 0; class weights r 1, a 2, b 1, a1 3, a2 1; alpha 0.5
    logits = jnp.array([[0.0, 1.0, 0.0, 2.0, 0.0]] * 2)
    ta = TreeArrays.build(TOY, np.array([1, 2, 1, 3, 1], np.float32), alpha=0.5)
    # by hand: p(a|r) = e/(e+1) = 0.7310586, p(a1|a) = e^2/(e^2+1) = 0.8807971, p(b|r) = 0.2689414
    loss_a1 = -(2 * math.exp(-0.5) * math.log(0.7310586) + 3 * math.exp(-1.0) * math.log(0.8807971))
    loss_b = -(1 * math.exp(-0.5) * math.log(0.2689414))
    assert loss_a1 == pytest.approx(0.5200888, abs=1e-6)
    assert loss_b == pytest.approx(0.7965330, abs=1e-6)
    leaf = jnp.array([TOY.index("a1"), TOY.index("b")])
    assert float(hierarchical_loss(logits, leaf, ta)) == pytest.approx((loss_a1 + loss_b) / 2, rel=1e-5)
    w = jnp.array([1.0, 0.0])
    assert float(hierarchical_loss(logits, leaf, ta, w)) == pytest.approx(loss_a1, rel=1e-5)
    # alpha = 0 and unit weights: plain sum of -log conditionals along the path
    ta0 = TreeArrays.build(TOY, None, alpha=0.0)
    assert float(hierarchical_loss(logits[:1], leaf[:1], ta0)) == pytest.approx(
        -math.log(0.7310586) - math.log(0.8807971), rel=1e-5)


def test_log_conditionals_are_groupwise_softmax():
    logits = jnp.array([[5.0, 1.0, 0.0, 2.0, 0.0]])
    lc = np.exp(np.asarray(log_conditionals(logits, TreeArrays.build(TOY))))[0]
    np.testing.assert_allclose(lc, [1.0, 0.7310586, 0.2689414, 0.8807971, 0.1192029], rtol=1e-5)


def test_marginals_sum_to_one_over_leaves_and_levels():
    t = ORACLE_TREE
    ta = TreeArrays.build(t)
    logits = jnp.asarray(np.random.default_rng(1).normal(scale=3.0, size=(64, len(t))), jnp.float32)
    m = np.asarray(marginals(logits, ta), np.float64)
    np.testing.assert_allclose(m[:, 0], 1.0, rtol=1e-5)
    np.testing.assert_allclose(m[:, list(t.leaves)].sum(axis=1), 1.0, rtol=1e-5)
    for level in t.levels()[1:]:
        nodes = list(level) + [i for i in t.leaves if t.depth[i] < t.depth[level[0]]]
        np.testing.assert_allclose(m[:, nodes].sum(axis=1), 1.0, rtol=1e-5)
    # and they agree with the NumPy product of conditionals in Tree.marginals
    cond = np.exp(np.asarray(log_conditionals(logits, ta), np.float64))
    np.testing.assert_allclose(m, t.marginals(cond), rtol=1e-5)


def test_class_weights_shape_checked():
    with pytest.raises(ValueError, match="expected"):
        TreeArrays.build(TOY, np.ones(3))
