"""The jitted steps of training and inference, and the device mesh they run on.

Training always runs on a 1-D :class:`jax.sharding.Mesh` (axis ``"data"``): every batch array is
sharded on its first axis across the mesh's devices, parameters and optimizer state are
replicated, and XLA inserts the all-reduce of the gradients. Single-device training is the
one-device mesh, so :func:`elasticc_fast.nn.fit` and :func:`elasticc_fast.scale.fit_stream` run
the same compiled step.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .config import TrainConfig
from .data import Batch
from .loss import TreeArrays, hierarchical_loss, log_marginals, masked_mse

AXIS = "data"


# ------------------------------------------------------------------------------- mesh
def make_mesh(devices: Sequence[Any] | None = None, axis: str = AXIS) -> Mesh:
    """A 1-D mesh over ``devices`` (default all of ``jax.devices()``, every host's)."""
    devs = list(jax.devices() if devices is None else devices)
    if not devs:
        raise ValueError("make_mesh: no devices")
    return Mesh(np.array(devs), (axis,))


def data_sharding(mesh: Mesh) -> NamedSharding:
    """First axis split over the mesh's data axis, other axes whole."""
    return NamedSharding(mesh, PartitionSpec(mesh.axis_names[0]))


def replicated(mesh: Mesh) -> NamedSharding:
    """A full copy on every device of the mesh."""
    return NamedSharding(mesh, PartitionSpec())


def replicate(tree: Any, mesh: Mesh) -> Any:
    """Every array leaf of ``tree`` copied to all devices of ``mesh``. Built from the host value
    with ``make_array_from_callback``, which also works when the mesh spans several processes
    (each process then fills its own devices; all must hold the same values)."""
    sh = replicated(mesh)

    def put(a: Any) -> Any:
        if not isinstance(a, (np.ndarray, jax.Array)):
            return a
        host = np.asarray(jax.device_get(a))
        return jax.make_array_from_callback(host.shape, sh, lambda idx: host[idx])

    return jax.tree.map(put, tree)


def to_host(a: Any) -> Any:
    """This process's copy of a replicated array as NumPy (also when the mesh spans processes)."""
    return np.asarray(a.addressable_data(0)) if isinstance(a, jax.Array) else a


def global_batch(batch: Batch, mesh: Mesh) -> tuple[jax.Array, ...]:
    """This process's rows of a batch -> global arrays sharded over the mesh's data axis."""
    sh = data_sharding(mesh)
    return tuple(jax.make_array_from_process_local_data(sh, a) for a in batch.arrays())


# ------------------------------------------------------------------------------- steps
class Steps(NamedTuple):
    """``train(params, rest, opt_state, x, lengths, static, label, weight)`` ->
    ``(params, opt_state, loss)`` (donates ``params`` and ``opt_state``);
    ``evaluate(params, rest, x, lengths, static, label, weight)`` -> ``(log_marginals, label,
    weight)``, all replicated so every process sees the whole global batch."""

    train: Callable
    evaluate: Callable


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Adam with exponential learning-rate decay after global-norm gradient clipping; with
    ``config.warmup_steps`` the rate rises linearly over the first steps, with
    ``config.freeze_steps`` only the ``head`` module's parameters move in the first steps (the
    others' rate is 0 there: fine-tuning adapts the head before the pretrained encoders)."""
    schedule = optax.exponential_decay(config.learning_rate, config.decay_steps, config.lr_decay)
    if config.warmup_steps:
        schedule = _warm_up(schedule, config.warmup_steps)
    adam = optax.adam(schedule)
    if config.freeze_steps:
        body = optax.adam(lambda step: jnp.where(step < config.freeze_steps, 0.0, schedule(step)))
        adam = optax.multi_transform({"head": adam, "body": body}, _head_or_body)
    return optax.chain(optax.clip_by_global_norm(config.clip_norm), adam)


def _warm_up(schedule: optax.Schedule, steps: int) -> optax.Schedule:
    return lambda step: schedule(step) * jnp.minimum(1.0, (step + 1.0) / steps)


def _head_or_body(params: Any) -> Any:
    """The label of every parameter: "head" under a top-level ``head`` module, else "body"."""
    def label(path, _):
        return "head" if getattr(path[0], "key", None) == "head" else "body"

    return jax.tree_util.tree_map_with_path(label, params)


def make_steps(graphdef: nnx.GraphDef, ta: TreeArrays, tx: optax.GradientTransformation, mesh: Mesh,
               aux_weight: float | None = None) -> Steps:
    """The train and validation steps, with the batch sharded over ``mesh``. ``aux_weight`` (not
    None): training batches also carry auxiliary targets (``Batch.aux``), and the loss adds
    ``aux_weight`` times the masked squared error of the model's ``aux_head`` on its embedding."""
    rep, dat = replicated(mesh), data_sharding(mesh)

    def loss_fn(params, rest, x, lengths, static, label, weight, *aux):
        model = nnx.merge(graphdef, params, rest)
        logits, emb = model(x, lengths, static)
        loss = hierarchical_loss(logits, label, ta, weight)
        return loss + aux_weight * masked_mse(model.aux_head(emb), aux[0], weight) if aux else loss

    def train_step(params, rest, opt_state, *batch):
        loss, grads = jax.value_and_grad(loss_fn)(params, rest, *batch)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def eval_step(params, rest, x, lengths, static, label, weight):
        logits, _ = nnx.merge(graphdef, params, rest)(x, lengths, static)
        return log_marginals(logits, ta), label, weight

    n_batch = 5 if aux_weight is None else 6
    train = jax.jit(train_step, in_shardings=(rep, rep, rep, *[dat] * n_batch),
                    out_shardings=(rep, rep, rep), donate_argnums=(0, 2))
    evaluate = jax.jit(eval_step, in_shardings=(rep, rep, dat, dat, dat, dat, dat), out_shardings=(rep, rep, rep))
    return Steps(train, evaluate)


def make_infer_step(graphdef: nnx.GraphDef, ta: TreeArrays) -> Callable:
    """Jitted ``infer(params, rest, x, lengths, static)`` -> ``(log_marginals (N, K), embedding
    (N, E))`` on the default device (inference, :mod:`elasticc_fast.predict`)."""

    @jax.jit
    def infer(params, rest, x, lengths, static):
        logits, emb = nnx.merge(graphdef, params, rest)(x, lengths, static)
        return log_marginals(logits, ta), emb

    return infer


def copy_tree(tree: Any) -> Any:
    """A copy of every array (the train step donates, i.e. frees, the buffers it is given)."""
    return jax.tree.map(jnp.copy, tree)
