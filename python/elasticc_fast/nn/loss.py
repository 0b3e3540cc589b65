"""Weighted hierarchical cross-entropy (Villar et al. 2023) and tree probabilities, in JAX.

A model emits one logit per tree node, shape (N, K). Within each sibling group a softmax turns
logits into conditional probabilities p(node | parent); the marginal probability of a node is the
product of the conditionals along its path from the root. The loss is

    L = - sum_n s_n sum_k y_nk * w_k * exp(-alpha * depth_k) * log p(k | parent(k)) / sum_n s_n

with ``y`` the 0/1 path indicator of the true leaf, ``w`` the class weights from the training
counts (:meth:`Tree.class_weights`), ``s`` optional per-sample weights (0 for padding rows).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..taxonomy import Tree


@dataclass(frozen=True)
class TreeArrays:
    """The constant arrays the loss needs for one tree (a pytree of JAX arrays).

    ``members`` (G, K) bool: sibling-group membership; ``group`` (K,) int; ``ancestry`` (K, K)
    float32 (see :mod:`elasticc_fast.taxonomy.tree`); ``node_weights`` (K,) float32
    ``w_k * exp(-alpha * depth_k)``.
    """

    members: jax.Array
    group: jax.Array
    ancestry: jax.Array
    node_weights: jax.Array

    @classmethod
    def build(cls, tree: Tree, class_weights: np.ndarray | None = None, alpha: float = 0.5) -> "TreeArrays":
        """``class_weights`` (K,) defaults to ones; ``alpha`` is the depth-decay rate (ORACLE: 0.5)."""
        k = len(tree)
        members = np.zeros((len(tree.sibling_groups), k), dtype=bool)
        for g, nodes in enumerate(tree.sibling_groups):
            members[g, list(nodes)] = True
        w = np.ones(k, np.float32) if class_weights is None else np.asarray(class_weights, np.float32)
        if w.shape != (k,):
            raise ValueError(f"class_weights has shape {w.shape}, expected ({k},) for tree {tree.name!r}")
        nw = w * np.exp(-alpha * tree.depth).astype(np.float32)
        return cls(jnp.asarray(members), jnp.asarray(tree.group), jnp.asarray(tree.ancestry),
                   jnp.asarray(nw, dtype=jnp.float32))


jax.tree_util.register_dataclass(TreeArrays, data_fields=["members", "group", "ancestry", "node_weights"],
                                 meta_fields=[])


def log_conditionals(logits: jax.Array, ta: TreeArrays) -> jax.Array:
    """(N, K) logits -> (N, K) log p(node | parent): log-softmax within each sibling group.
    The root is alone in its group, so its entry is 0."""
    masked = jnp.where(ta.members[None, :, :], logits[:, None, :], -jnp.inf)      # (N, G, K)
    lse = jax.nn.logsumexp(masked, axis=-1)                                        # (N, G)
    return logits - lse[:, ta.group]


def log_marginals(logits: jax.Array, ta: TreeArrays) -> jax.Array:
    """(N, K) logits -> (N, K) log p(node): sum of the log conditionals along each path."""
    return log_conditionals(logits, ta) @ ta.ancestry.T


def marginals(logits: jax.Array, ta: TreeArrays) -> jax.Array:
    """(N, K) logits -> (N, K) marginal probabilities; they sum to 1 over the leaves and over
    every level of the tree."""
    return jnp.exp(log_marginals(logits, ta))


def hierarchical_loss(logits: jax.Array, leaf: jax.Array, ta: TreeArrays,
                      sample_weight: jax.Array | None = None) -> jax.Array:
    """Weighted hierarchical cross-entropy (scalar).

    ``logits`` (N, K); ``leaf`` (N,) int node index of each true leaf; ``sample_weight`` (N,)
    (default ones; 0 drops a row, e.g. padding up to a fixed batch size).
    """
    y = ta.ancestry[leaf]                                                          # (N, K) path indicators
    per_sample = -jnp.sum(y * ta.node_weights * log_conditionals(logits, ta), axis=-1)
    if sample_weight is None:
        return jnp.mean(per_sample)
    return jnp.sum(per_sample * sample_weight) / jnp.maximum(jnp.sum(sample_weight), 1e-12)


def masked_mse(pred: jax.Array, target: jax.Array, sample_weight: jax.Array | None = None) -> jax.Array:
    """Mean squared error over the known entries of ``target`` (N, A): NaN targets (unknown values,
    padding rows) and rows of zero ``sample_weight`` add nothing (and no gradient); 0 when none is known."""
    known = jnp.isfinite(target)
    if sample_weight is not None:
        known = known & (sample_weight[:, None] > 0)
    diff = jnp.where(known, pred - jnp.where(known, target, 0.0), 0.0)
    return jnp.sum(diff ** 2) / jnp.maximum(jnp.sum(known), 1)
