"""Data-parallel training over devices with ``jax.sharding``, fed by a :class:`.ShardStream`.

    from elasticc_fast.scale import open_shards, fit_stream
    from elasticc_fast.nn import TrainConfig
    result = fit_stream(open_shards("shards/"), tree, TrainConfig(batch_size=1024, epochs=20))

A 1-D :class:`jax.sharding.Mesh` over ``jax.devices()`` (axis ``"data"``): every batch array is
sharded on its first axis across the devices, parameters and optimizer state are replicated.
The train step is one ``jax.jit`` with those shardings; XLA inserts the all-reduce of the
gradients, so the update is the one a single device computes on the whole batch (equal up to
floating-point summation order). ``batch_size`` must be a multiple of the number of devices.

Several hosts: start every process with ``jax.distributed.initialize(coordinator_address=...,
num_processes=N, process_id=i)`` (on SLURM or TPU pods it needs no arguments) before anything
else touches JAX; then ``jax.devices()`` lists the devices of all hosts and ``fit_stream`` makes
every process read only its own rows of each batch (``jax.process_index()``) and assembles the
global batch with ``jax.make_array_from_process_local_data``. All processes must see the shard
folder and run the same code with the same configuration.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ..nn.checkpoint import checkpoint_manager, restore_trees, save_trees
from .shards import ShardDataset, open_shards
from .stream import ShardStream, StreamBatch

__all__ = ["make_mesh", "data_sharding", "replicated", "replicate", "global_batch", "make_sharded_steps",
           "fit_stream"]

log = logging.getLogger(__name__)
AXIS = "data"
_IN_FLIGHT = 2  # train steps dispatched ahead of the one being computed


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
        if not hasattr(a, "shape"):
            return a
        host = np.asarray(jax.device_get(a))
        return jax.make_array_from_callback(host.shape, sh, lambda idx: host[idx])

    return jax.tree.map(put, tree)


def _host(a: Any) -> Any:
    """This process's copy of a replicated array as NumPy (also when the mesh spans processes)."""
    return np.asarray(a.addressable_data(0)) if isinstance(a, jax.Array) else a


def global_batch(batch: StreamBatch, mesh: Mesh) -> tuple[jax.Array, ...]:
    """This process's rows of a batch -> global arrays sharded over the mesh's data axis."""
    sh = data_sharding(mesh)
    return tuple(jax.make_array_from_process_local_data(sh, a) for a in batch.arrays())


def make_sharded_steps(graphdef: Any, ta: Any, tx: Any, mesh: Mesh):
    """Jitted ``train_step(params, rest, opt_state, x, lengths, static, label, weight)`` ->
    ``(params, opt_state, loss)`` and ``eval_step(params, rest, x, lengths, static, label,
    weight)`` -> ``(sum of weighted losses, sum of weights)``, with the batch sharded over
    ``mesh`` and everything else replicated. The loss is
    :func:`elasticc_fast.nn.loss.hierarchical_loss` as in :func:`elasticc_fast.nn.train.make_steps`."""
    import optax
    from flax import nnx

    from ..nn.loss import hierarchical_loss

    rep, dat = replicated(mesh), data_sharding(mesh)

    def loss_fn(params, rest, x, lengths, static, label, weight):
        logits, _ = nnx.merge(graphdef, params, rest)(x, lengths, static)
        return hierarchical_loss(logits, label, ta, weight)

    def train_step(params, rest, opt_state, x, lengths, static, label, weight):
        loss, grads = jax.value_and_grad(loss_fn)(params, rest, x, lengths, static, label, weight)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def eval_step(params, rest, x, lengths, static, label, weight):
        loss = loss_fn(params, rest, x, lengths, static, label, weight)
        total = jnp.sum(weight)
        return loss * total, total

    train = jax.jit(train_step, in_shardings=(rep, rep, rep, dat, dat, dat, dat, dat),
                    out_shardings=(rep, rep, rep), donate_argnums=(0, 2))
    evaluate = jax.jit(eval_step, in_shardings=(rep, rep, dat, dat, dat, dat, dat), out_shardings=(rep, rep))
    return train, evaluate


def _checkpoints(out_dir: Path, config: Any, resume: bool):
    """Orbax manager of ``out_dir/checkpoints`` (latest epoch kept); writes ``config.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    mgr = checkpoint_manager(out_dir)
    if not resume and mgr.latest_step() is not None:
        mgr.close()
        raise FileExistsError(f"{out_dir} already holds checkpoints: pass resume=True or use a new folder")
    if jax.process_index() == 0:
        (out_dir / "config.json").write_text(config.to_json())
    return mgr


def _stream(ds: ShardDataset, config: Any, norm: Any, shuffle: bool, seed: int, block_rows: int,
            prefetch: int) -> ShardStream:
    return ShardStream(ds, config.batch_size, shuffle=shuffle, seed=seed, block_rows=block_rows,
                       prefetch=prefetch, buckets=config.buckets, static_norm=norm,
                       process_index=jax.process_index(), process_count=jax.process_count())


def fit_stream(train: ShardDataset | str, tree: Any, config: Any = None, *, val: ShardDataset | str | None = None,
               mesh: Mesh | None = None, block_rows: int = 16, prefetch: int = 4,
               max_steps: int | None = None, out_dir: str | Path | None = None, resume: bool = False,
               show_progress: bool | None = None):
    """Train a hierarchical classifier on shards, data-parallel over ``mesh``.

    Args:
        train: a shard dataset (or its folder) from :func:`elasticc_fast.scale.augment_dataset`.
        tree: the :class:`~elasticc_fast.taxonomy.Tree` the labels index.
        config: :class:`~elasticc_fast.nn.TrainConfig` (``arch``, ``epochs``, ``batch_size`` the
            global batch, ``buckets``, ``patience``, ``time_limit_s``, ``learning_rate`` ...).
            The window options (``max_length``, ``augment``, ``preprocess``) were fixed when the
            shards were written and ``max_per_class`` is not applied here (choose the shards).
        val: validation shards; None: ``config.val_fraction`` of the shards (by majority label,
            see ``ShardDataset.split``), none when it is 0.
        mesh: devices to use (default :func:`make_mesh` over all devices).
        max_steps: stop after this many train steps in total (tests, benchmarks).
        out_dir: receives ``config.json`` and an Orbax checkpoint after every epoch
            (``out_dir/checkpoints``: parameters, optimizer state, best parameters, history);
            ``resume=True`` continues from it. The batches of an epoch depend only on the seed
            and the epoch number, so a resumed run gives the result of an uninterrupted one.

    Returns:
        :class:`elasticc_fast.nn.train.FitResult` with the parameters of the best epoch (by
        validation loss, else training loss).
    """
    from flax import nnx

    from ..nn import TrainConfig, build_model
    from ..nn.cache import enable_compilation_cache
    from ..nn.loss import TreeArrays
    from ..nn.train import FitResult, make_optimizer
    from ..progress import progress

    config = config if config is not None else TrainConfig()
    enable_compilation_cache()
    train = open_shards(train) if not isinstance(train, ShardDataset) else train
    if val is None and config.val_fraction > 0:
        train, val = train.split(config.val_fraction, config.seed)
        val = val if val.shards else None
    elif val is not None and not isinstance(val, ShardDataset):
        val = open_shards(val)
    mesh = mesh if mesh is not None else make_mesh()
    if config.batch_size % mesh.size:
        raise ValueError(f"batch_size {config.batch_size} is not a multiple of the {mesh.size} devices of the mesh")
    if len(train) == 0:
        raise ValueError(f"{train.path}: no training windows")
    if train.tree and list(train.tree.get("nodes", [])) != list(tree.nodes):
        raise ValueError(f"{train.path}: the shards' labels index tree {train.tree.get('name')!r}, "
                         f"not {tree.name!r}")
    if not len(train.object_leaves()):
        raise ValueError(f"{train.path}: the shards have no labels (written with label_column=None?)")

    norm = train.static_norm()
    cw = tree.class_weights(train.object_leaves()) if config.class_weighted else None
    ta = TreeArrays.build(tree, cw, config.alpha)
    model = build_model(config.arch, train.F, train.S, len(tree), config.seed, **config.model_kwargs())
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    tx = make_optimizer(config)
    params, rest = replicate(params, mesh), replicate(rest, mesh)
    opt_state = replicate(tx.init(params), mesh)
    train_step, eval_step = make_sharded_steps(graphdef, ta, tx, mesh)
    log.info("fit_stream: %s on %d windows in %d shards over %d devices (%s), global batch %d",
             config.arch, len(train), len(train.shards), mesh.size, mesh.devices.ravel()[0].platform,
             config.batch_size)

    history: list[dict] = []
    # a copy: train steps donate (free) the buffers of the parameters they are given
    best = {"loss": np.inf, "epoch": -1, "params": jax.tree.map(jnp.copy, params), "bad": 0}
    steps = start = 0
    mgr = None
    if out_dir is not None:
        mgr = _checkpoints(Path(out_dir), config, resume)
        got = restore_trees(mgr, {"params": params, "opt_state": opt_state, "best": best["params"]}) if resume else None
        if got is not None:
            trees, meta, last = got
            trees, start = {k: replicate(v, mesh) for k, v in trees.items()}, last + 1
            params, opt_state = trees["params"], trees["opt_state"]
            best.update(loss=meta["best_loss"], epoch=meta["best_epoch"], params=trees["best"], bad=meta["bad"])
            history, steps = meta["history"], meta["steps"]
            log.info("fit_stream: resumed after epoch %d from %s", start - 1, out_dir)
    bar = progress(range(start, config.epochs), total=config.epochs, initial=start, desc="train", unit="epoch",
                   enabled=show_progress)
    t_start = time.perf_counter()
    for epoch in bar:
        if best["bad"] >= config.patience or (max_steps is not None and steps >= max_steps):
            break
        if config.time_limit_s is not None and time.perf_counter() - t_start > config.time_limit_s:
            log.info("fit_stream: stopping before epoch %d, time limit of %.0f s reached", epoch, config.time_limit_s)
            break
        t0 = time.perf_counter()
        losses, weights = [], []
        for batch in _stream(train, config, norm, True, config.seed, block_rows, prefetch).epoch(epoch):
            params, opt_state, loss = train_step(params, rest, opt_state, *global_batch(batch, mesh))
            losses.append(loss)
            if len(losses) > _IN_FLIGHT:
                # JAX dispatches asynchronously: without this wait the loop would run ahead of the
                # devices and queue every batch of the epoch (memory would grow with the dataset)
                losses[-1 - _IN_FLIGHT].block_until_ready()
            weights.append(float(batch.weight.sum()))
            steps += 1
            if max_steps is not None and steps >= max_steps:
                break
        rec = {"epoch": epoch, "loss": float(np.average([_host(v) for v in losses], weights=weights)),
               "steps": steps}
        if val is not None:
            tot = wsum = 0.0
            for batch in _stream(val, config, norm, False, config.seed, block_rows, prefetch).epoch(0):
                lsum, w = eval_step(params, rest, *global_batch(batch, mesh))
                tot, wsum = tot + float(_host(lsum)), wsum + float(_host(w))
            rec["val_loss"] = tot / max(wsum, 1e-12)
        monitored = rec.get("val_loss", rec["loss"])
        if monitored < best["loss"] - 1e-6:
            # the step donates its parameter buffers: keep a copy of the best ones
            best.update(loss=monitored, epoch=epoch, params=jax.tree.map(jnp.copy, params), bad=0)
        else:
            best["bad"] += 1
        rec["seconds"] = time.perf_counter() - t0
        history.append(rec)
        bar.set_postfix({k: f"{v:.3f}" for k, v in rec.items() if k in ("loss", "val_loss")})
        log.debug("epoch %s", rec)
        if mgr is not None:
            save_trees(mgr, epoch, {"params": params, "opt_state": opt_state, "best": best["params"]},
                       {"history": history, "best_loss": float(best["loss"]), "best_epoch": best["epoch"],
                        "bad": best["bad"], "steps": steps, "static_norm": norm.to_dict()}, to_host=_host)
    bar.close()
    if mgr is not None:
        mgr.close()
    model = nnx.merge(graphdef, jax.tree.map(_host, best["params"]), jax.tree.map(_host, rest))
    return FitResult(model, norm, config, tree, train.feature_names, train.static_names, history, best["epoch"])
