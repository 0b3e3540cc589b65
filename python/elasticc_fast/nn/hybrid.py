"""The hybrid classifier (ATAT's lesson: light curve + features beats either alone), flax.nnx.

Same call as the other encoders, ``model(x, lengths, static) -> (logits (N, K), embedding (N, 64))``:

- light-curve branch (``encoder``): ``"gru"`` (default) a GRU over the points, its state at the
  last valid point -> Dense(``hidden``, tanh); ``"set"`` a per-point MLP (F -> ``hidden`` ->
  ``hidden``, gelu; the points carry their times) pooled by masked mean and max -> Dense(``hidden``,
  tanh): no sequential scan;
- tabular branch: the encoded static vector (the window's ``light-curve`` features and the
  context, by ``TrainConfig.static_encoding``: standardised, quantile or piecewise-linear, with
  optional missing indicators, :class:`~elasticc_fast.nn.data.StaticNorm`) -> Dense(``width``,
  gelu) -> Dense(``width``, gelu), with a skip of the input;
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
                 hidden: int = 48, width: int = 128, seq: bool = True, encoder: str = "gru"):
        if encoder not in ("set", "gru"):
            raise ValueError(f"HybridClassifier: encoder must be 'set' or 'gru', not {encoder!r}")
        self.encoder = encoder
        self.gru = GRU(n_features, hidden, rngs=rngs) if seq and encoder == "gru" else None
        self.pt1 = nnx.Linear(n_features, hidden, rngs=rngs) if seq and encoder == "set" else None
        self.pt2 = nnx.Linear(hidden, hidden, rngs=rngs) if seq and encoder == "set" else None
        self.seq = nnx.Linear(hidden * (2 if encoder == "set" else 1), hidden, rngs=rngs) if seq else None
        self.tab1 = nnx.Linear(max(n_static, 1), width, rngs=rngs)
        self.tab2 = nnx.Linear(width, width, rngs=rngs)
        self.n_static = n_static
        self.head = Head((hidden if seq else 0) + width, n_nodes, rngs=rngs)

    def __call__(self, x: jax.Array, lengths: jax.Array, static: jax.Array):
        s = static if self.n_static else jnp.zeros((x.shape[0], 1), x.dtype)
        h1 = jax.nn.gelu(self.tab1(s))
        parts = [h1 + jax.nn.gelu(self.tab2(h1))]
        if self.seq is not None:
            parts.insert(0, jnp.tanh(self.seq(self._encode(x, lengths))))
        return self.head(jnp.concatenate(parts, axis=-1))

    def _encode(self, x: jax.Array, lengths: jax.Array) -> jax.Array:
        if self.gru is not None:
            last = jnp.clip(lengths, 1, x.shape[1]) - 1
            return stacked_gru_last([self.gru], jnp.swapaxes(x, 0, 1), last)
        valid = (jnp.arange(x.shape[1])[None, :] < jnp.maximum(lengths, 1)[:, None])[..., None]
        h = jax.nn.gelu(self.pt2(jax.nn.gelu(self.pt1(x))))                       # (N, T, H)
        mean = jnp.sum(jnp.where(valid, h, 0.0), axis=1) / jnp.maximum(jnp.sum(valid, axis=1), 1)
        return jnp.concatenate([mean, jnp.max(jnp.where(valid, h, -1e4), axis=1)], axis=-1)
