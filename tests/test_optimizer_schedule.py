"""The optimizer's fine-tuning options (``TrainConfig.warmup_steps``, ``freeze_steps``): with both 0
it is the plain clipped Adam with exponential decay; ``freeze_steps`` moves only the ``head``
module in the first steps; ``warmup_steps`` scales the first steps' rate by (step + 1) / steps."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

from elasticc_fast.nn.config import TrainConfig
from elasticc_fast.nn.models import build_model
from elasticc_fast.nn.steps import make_optimizer


def _params() -> dict:
    """A small parameter tree shaped like a model's: top-level modules, one of them ``head``."""
    rng = np.random.default_rng(0)
    return {name: {"kernel": jnp.asarray(rng.normal(size=(3, 4)), jnp.float32), "bias": jnp.zeros(4)}
            for name in ("tab1", "seq", "head")}


def _moves(config: TrainConfig, steps: int) -> list[dict[str, float]]:
    """Per step: the largest parameter change of each top-level module, for fixed gradients."""
    params = _params()
    grads = jax.tree.map(lambda a: jnp.full_like(a, 0.01), params)
    tx = make_optimizer(config)
    update = jax.jit(tx.update)
    state, out = tx.init(params), []
    for _ in range(steps):
        updates, state = update(grads, state, params)
        new = optax.apply_updates(params, updates)
        per: dict[str, float] = {}
        for (path, a), b in zip(jax.tree_util.tree_leaves_with_path(params), jax.tree.leaves(new), strict=True):
            per[str(path[0].key)] = max(per.get(str(path[0].key), 0.0), float(np.abs(np.asarray(a) - np.asarray(b)).max()))
        out.append(per)
        params = new
    return out


def test_freeze_steps_move_only_the_head_first():
    moves = _moves(TrainConfig(arch="hybrid", freeze_steps=2), 3)
    assert set(moves[0]) == {"head", "seq", "tab1"}
    for step in moves[:2]:
        assert step["head"] > 1e-4
        assert all(v == 0.0 for k, v in step.items() if k != "head")
    assert all(v > 1e-4 for v in moves[2].values())


def test_warmup_scales_the_first_rates():
    lr = 1e-3
    plain = _moves(TrainConfig(arch="hybrid", learning_rate=lr), 4)
    warm = _moves(TrainConfig(arch="hybrid", learning_rate=lr, warmup_steps=4), 4)
    for i in range(4):  # Adam's first steps with a constant gradient move each weight by the rate
        assert warm[i]["head"] == pytest.approx(plain[i]["head"] * (i + 1) / 4, rel=1e-3)


def test_without_the_options_it_is_clipped_adam_with_decay():
    cfg = TrainConfig(arch="hybrid", learning_rate=3e-3, decay_steps=2, lr_decay=0.5)
    ref = optax.chain(optax.clip_by_global_norm(cfg.clip_norm),
                      optax.adam(optax.exponential_decay(cfg.learning_rate, cfg.decay_steps, cfg.lr_decay)))
    params = _params()
    grads = jax.tree.map(lambda a: jnp.full_like(a, 0.3), params)
    ours, theirs = make_optimizer(cfg), ref
    s1, s2 = ours.init(params), theirs.init(params)
    for _ in range(3):
        u1, s1 = jax.jit(ours.update)(grads, s1, params)
        u2, s2 = jax.jit(theirs.update)(grads, s2, params)
        for a, b in zip(jax.tree.leaves(u1), jax.tree.leaves(u2), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_negative_steps_are_refused():
    with pytest.raises(ValueError, match="warmup_steps and freeze_steps"):
        TrainConfig(freeze_steps=-1)


def test_the_hybrid_models_head_is_what_freeze_steps_trains():
    from elasticc_fast.nn.steps import _head_or_body

    model = build_model("hybrid", 5, 4, 7, 0, hidden=8, width=16, seq=True, encoder="set")
    params = nnx.split(model, nnx.Param, ...)[1]
    labels: dict[str, set] = {}
    for path, lab in jax.tree_util.tree_leaves_with_path(_head_or_body(params)):
        labels.setdefault(str(path[0].key), set()).add(lab)
    assert labels == {"head": {"head"}, **{m: {"body"} for m in ("pt1", "pt2", "seq", "tab1", "tab2")}}
