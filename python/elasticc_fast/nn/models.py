"""Two light-curve encoders with a hierarchical head (flax.nnx).

Both take ``x`` (N, T, F) float32 zero-padded point features, ``lengths`` (N,) int32 valid points
per row (>= 1) and ``static`` (N, S) float32 normalised static features, and return
``(logits (N, K), embedding (N, 64))``: one logit per tree node (see :mod:`.loss`).

- :class:`GRUClassifier`: ORACLE's shape. GRU(100) -> GRU(100) -> Dense(100, tanh) on the state at
  the last valid point; static -> Dense(10); concat -> Dense(100, relu) -> Dense(64, relu) -> K.
- :class:`TransformerClassifier`: ATAT's idea. Each point becomes ``Linear(features) * gamma(t) +
  beta(t)`` with gamma, beta linear in Fourier features of its time; each static feature becomes a
  token ``s_j * u_j + v_j``; a classification token; pre-norm transformer layers with a padding mask.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx


class GRU(nnx.Module):
    """A GRU layer (PyTorch/Keras ``reset_after`` gate convention) run with ``lax.scan``.

    The input projection of all time steps is one matmul before the scan; the scan does only the
    recurrent matmul. Padding needs no mask: a unidirectional GRU's state at step t depends on
    steps <= t only, so the caller reads it at ``lengths - 1``.
    """

    def __init__(self, in_features: int, hidden: int, *, rngs: nnx.Rngs):
        self.hidden = hidden
        self.w_i = nnx.Param(nnx.initializers.glorot_uniform()(rngs.params(), (in_features, 3 * hidden)))
        self.w_h = nnx.Param(jnp.concatenate(
            [nnx.initializers.orthogonal()(rngs.params(), (hidden, hidden)) for _ in range(3)], axis=1))
        self.b_i = nnx.Param(jnp.zeros((3 * hidden,)))
        self.b_h = nnx.Param(jnp.zeros((3 * hidden,)))

    def __call__(self, x_tm: jax.Array, last: jax.Array | None = None, unroll: int = 4):
        """``x_tm`` (T, N, F) time-major. Returns all states (T, N, H), or with ``last`` (N,) int
        only the state at step ``last`` of each row (N, H) (nothing stacked)."""
        h_size = self.hidden
        xp = x_tm @ self.w_i[...] + self.b_i[...]                                  # (T, N, 3H)
        w_h, b_h = self.w_h[...], self.b_h[...]

        def cell(h, xp_t):
            return gru_cell(h, xp_t, w_h, b_h)

        h0 = jnp.zeros((x_tm.shape[1], h_size), x_tm.dtype)
        if last is None:
            def step(h, xp_t):
                h = cell(h, xp_t)
                return h, h
            return jax.lax.scan(step, h0, xp, unroll=unroll)[1]

        def step_last(carry, inp):
            h, out = carry
            xp_t, t = inp
            h = cell(h, xp_t)
            return (h, jnp.where((t == last)[:, None], h, out)), None
        ts = jnp.arange(x_tm.shape[0])
        return jax.lax.scan(step_last, (h0, h0), (xp, ts), unroll=unroll)[0][1]


def gru_cell(h: jax.Array, xp_t: jax.Array, w_h: jax.Array, b_h: jax.Array) -> jax.Array:
    """One GRU step: ``h`` (N, H) state, ``xp_t`` (N, 3H) input projection (gates r, z, n)."""
    hs = h.shape[-1]
    hp = h @ w_h + b_h
    r = jax.nn.sigmoid(xp_t[:, :hs] + hp[:, :hs])
    z = jax.nn.sigmoid(xp_t[:, hs:2 * hs] + hp[:, hs:2 * hs])
    n = jnp.tanh(xp_t[:, 2 * hs:] + r * hp[:, 2 * hs:])
    return (1.0 - z) * n + z * h


def stacked_gru_last(layers: list[GRU], x_tm: jax.Array, last: jax.Array, unroll: int = 4) -> jax.Array:
    """State of the top layer of stacked GRUs at step ``last`` (N,) of each row, in ONE scan.

    Same result as running the layers one after the other, but one loop over time instead of
    one per layer, and the lower layers' outputs are never stacked in memory (about 1.4x faster
    on CPU). The first layer's input projection is done step by step inside the loop: the
    (T, N, 3H) projection of every step made before the loop is 60x the bytes of ``x`` and,
    streamed from memory at each step, cost about as much as the whole GRU (measured on CPU).

    The scan runs over blocks of ``unroll`` steps; a block past the batch's longest row
    (``max(last)``) is skipped by ``lax.cond``, so a batch padded to a length bucket stops at its
    own longest window (steps after a row's ``last`` never reach its output). Differentiable, so
    training skips the padding too.
    """
    k = max(1, int(unroll))
    ws = [(g.w_i[...], g.b_i[...], g.w_h[...], g.b_h[...]) for g in layers]
    t_len = x_tm.shape[0]
    blocks = -(-t_len // k)
    if blocks * k != t_len:
        x_tm = jnp.concatenate([x_tm, jnp.zeros((blocks * k - t_len,) + x_tm.shape[1:], x_tm.dtype)])
    x_blk = x_tm.reshape((blocks, k) + x_tm.shape[1:])                              # (T/k, k, N, F)
    n_steps = jnp.max(last) + 1

    def run(carry, x_b, t0):
        hs, out = carry
        for j in range(k):
            new, inp = [], x_b[j]
            for i, (w_i, b_i, w_h, b_h) in enumerate(ws):
                new.append(gru_cell(hs[i], inp @ w_i + b_i, w_h, b_h))
                inp = new[-1]
            hs = tuple(new)
            out = jnp.where((t0 + j == last)[:, None], new[-1], out)
        return hs, out

    def block(carry, inp):
        x_b, t0 = inp
        return jax.lax.cond(t0 < n_steps, lambda c: run(c, x_b, t0), lambda c: c, carry), None

    h0 = tuple(jnp.zeros((x_tm.shape[1], g.hidden), x_tm.dtype) for g in layers)
    return jax.lax.scan(block, (h0, jnp.zeros_like(h0[-1])), (x_blk, jnp.arange(blocks) * k))[0][1]


class Head(nnx.Module):
    """concat -> Dense(100, relu) -> Dense(64, relu) [the embedding] -> K logits."""

    def __init__(self, in_features: int, n_nodes: int, *, rngs: nnx.Rngs, width: int = 100, embed: int = 64):
        self.fc1 = nnx.Linear(in_features, width, rngs=rngs)
        self.fc2 = nnx.Linear(width, embed, rngs=rngs)
        self.out = nnx.Linear(embed, n_nodes, rngs=rngs)

    def __call__(self, h: jax.Array):
        e = jax.nn.relu(self.fc2(jax.nn.relu(self.fc1(h))))
        return self.out(e), e


class GRUClassifier(nnx.Module):
    """ORACLE-shaped recurrent classifier (about 1.2e5 parameters for 5 point features, 23 static)."""

    def __init__(self, n_features: int, n_static: int, n_nodes: int, *, rngs: nnx.Rngs,
                 hidden: int = 100, static_width: int = 10):
        self.gru1 = GRU(n_features, hidden, rngs=rngs)
        self.gru2 = GRU(hidden, hidden, rngs=rngs)
        self.seq = nnx.Linear(hidden, 100, rngs=rngs)
        self.stat = nnx.Linear(n_static, static_width, rngs=rngs) if n_static else None
        self.head = Head(100 + (static_width if n_static else 0), n_nodes, rngs=rngs)

    def __call__(self, x: jax.Array, lengths: jax.Array, static: jax.Array):
        x_tm = jnp.swapaxes(x, 0, 1)
        last = jnp.clip(lengths, 1, x.shape[1]) - 1
        h = stacked_gru_last([self.gru1, self.gru2], x_tm, last)
        parts = [jnp.tanh(self.seq(h))]
        if self.stat is not None:
            parts.append(self.stat(static))
        return self.head(jnp.concatenate(parts, axis=-1))


def fourier_features(t: jax.Array, harmonics: int, period: float) -> jax.Array:
    """(..., ) times -> (..., 2 * harmonics) ``sin, cos(2 pi k t / period)``, k = 1..harmonics."""
    k = jnp.arange(1, harmonics + 1, dtype=t.dtype)
    ang = 2.0 * jnp.pi * t[..., None] * k / period
    return jnp.concatenate([jnp.sin(ang), jnp.cos(ang)], axis=-1)


class TransformerLayer(nnx.Module):
    def __init__(self, d: int, heads: int, *, rngs: nnx.Rngs):
        self.ln1 = nnx.LayerNorm(d, rngs=rngs)
        self.attn = nnx.MultiHeadAttention(heads, d, decode=False, rngs=rngs)
        self.ln2 = nnx.LayerNorm(d, rngs=rngs)
        self.ff1 = nnx.Linear(d, 2 * d, rngs=rngs)
        self.ff2 = nnx.Linear(2 * d, d, rngs=rngs)

    def __call__(self, h: jax.Array, mask: jax.Array):
        h = h + self.attn(self.ln1(h), mask=mask)
        return h + self.ff2(jax.nn.gelu(self.ff1(self.ln2(h))))


class TransformerClassifier(nnx.Module):
    """Time-modulated transformer over points + static-feature tokens + a classification token.

    ``time_index`` is the feature column holding the point's time; ``period`` the Fourier period
    in that column's units (ATAT: 1500 days).
    """

    def __init__(self, n_features: int, n_static: int, n_nodes: int, *, rngs: nnx.Rngs, d: int = 64,
                 heads: int = 4, layers: int = 2, harmonics: int = 16, period: float = 15.0,
                 time_index: int = 0):
        self.harmonics, self.period, self.time_index = harmonics, period, time_index
        self.point = nnx.Linear(n_features, d, rngs=rngs)
        self.gamma = nnx.Linear(2 * harmonics, d, rngs=rngs)
        self.beta = nnx.Linear(2 * harmonics, d, rngs=rngs)
        self.n_static = n_static
        init = nnx.initializers.normal(0.02)
        self.static_u = nnx.Param(init(rngs.params(), (max(n_static, 1), d)))
        self.static_v = nnx.Param(init(rngs.params(), (max(n_static, 1), d)))
        self.cls = nnx.Param(init(rngs.params(), (1, 1, d)))
        self.blocks = nnx.List([TransformerLayer(d, heads, rngs=rngs) for _ in range(layers)])
        self.ln = nnx.LayerNorm(d, rngs=rngs)
        self.head = Head(d, n_nodes, rngs=rngs)

    def __call__(self, x: jax.Array, lengths: jax.Array, static: jax.Array):
        n, t_len, _ = x.shape
        ff = fourier_features(x[..., self.time_index], self.harmonics, self.period)
        pts = self.point(x) * (1.0 + self.gamma(ff)) + self.beta(ff)                   # (N, T, d)
        toks = [jnp.broadcast_to(self.cls[...], (n, 1, pts.shape[-1]))]
        if self.n_static:
            toks.append(static[..., None] * self.static_u[...] + self.static_v[...])  # (N, S, d)
        h = jnp.concatenate(toks + [pts], axis=1)
        n_pre = h.shape[1] - t_len
        valid = jnp.concatenate([jnp.ones((n, n_pre), bool),
                                 jnp.arange(t_len)[None, :] < jnp.maximum(lengths, 1)[:, None]], axis=1)
        mask = valid[:, None, None, :]                                                # (N, 1, 1, L) keys
        for blk in self.blocks:
            h = blk(h, mask)
        return self.head(self.ln(h[:, 0]))


def build_model(arch: str, n_features: int, n_static: int, n_nodes: int, seed: int, **kw) -> nnx.Module:
    """``arch`` "gru" or "transformer"; ``kw`` go to the model's constructor. Initialisation runs
    under one jit (eagerly it would compile dozens of small initialiser ops)."""
    from .hybrid import HybridClassifier

    classes = {"gru": GRUClassifier, "transformer": TransformerClassifier, "hybrid": HybridClassifier}
    if arch not in classes:
        raise ValueError(f"unknown architecture {arch!r}: use one of {sorted(classes)}")
    cls = classes[arch]
    return nnx.jit(lambda: cls(n_features, n_static, n_nodes, rngs=nnx.Rngs(params=seed), **kw))()
