"""The hybrid classifier (ATAT's lesson: light curve + features beats either alone), flax.nnx.

Same call as the other encoders, ``model(x, lengths, static) -> (logits (N, K), embedding (N, 64))``:

- light-curve branch: a GRU over the points (``x``, see :mod:`.hybrid_inputs`), its state at the
  last valid point -> Dense(``hidden``, tanh);
- tabular branch: the normalised static vector (the window's ``light-curve`` features and the
  context) -> Dense(``width``, gelu) -> Dense(``width``, gelu), with a skip of the input;
- head: concat -> Dense(100, relu) -> Dense(64, relu) -> K logits (one per tree node).

``seq=False`` drops the light-curve branch (a features-only network, for ablations).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from .models import GRU, Head, stacked_gru_last


class HybridClassifier(nnx.Module):
    """About 6e4 parameters for 13 point features and 70 static ones (hidden 48, width 128)."""

    def __init__(self, n_features: int, n_static: int, n_nodes: int, *, rngs: nnx.Rngs,
                 hidden: int = 48, width: int = 128, seq: bool = True):
        self.gru = GRU(n_features, hidden, rngs=rngs) if seq else None
        self.seq = nnx.Linear(hidden, hidden, rngs=rngs) if seq else None
        self.tab1 = nnx.Linear(max(n_static, 1), width, rngs=rngs)
        self.tab2 = nnx.Linear(width, width, rngs=rngs)
        self.n_static = n_static
        self.head = Head((hidden if seq else 0) + width, n_nodes, rngs=rngs)

    def __call__(self, x: jax.Array, lengths: jax.Array, static: jax.Array):
        s = static if self.n_static else jnp.zeros((x.shape[0], 1), x.dtype)
        h1 = jax.nn.gelu(self.tab1(s))
        parts = [h1 + jax.nn.gelu(self.tab2(h1))]
        if self.gru is not None:
            last = jnp.clip(lengths, 1, x.shape[1]) - 1
            h = stacked_gru_last([self.gru], jnp.swapaxes(x, 0, 1), last)
            parts.insert(0, jnp.tanh(self.seq(h)))
        return self.head(jnp.concatenate(parts, axis=-1))
