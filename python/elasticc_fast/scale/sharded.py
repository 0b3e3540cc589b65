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
from pathlib import Path
from typing import Any

import jax
from jax.sharding import Mesh

from ..nn.steps import data_sharding, global_batch, make_mesh, replicate, replicated
from .shards import ShardDataset, open_shards
from .stream import ShardStream

__all__ = ["make_mesh", "data_sharding", "replicated", "replicate", "global_batch", "fit_stream"]

log = logging.getLogger(__name__)


def _stream(ds: ShardDataset, config: Any, norm: Any, shuffle: bool, seed: int, block_rows: int,
            prefetch: int) -> ShardStream:
    return ShardStream(ds, config.batch_size, shuffle=shuffle, seed=seed, block_rows=block_rows,
                       prefetch=prefetch, buckets=config.buckets, static_norm=norm,
                       process_index=jax.process_index(), process_count=jax.process_count())


def _sources(train: ShardDataset, val: ShardDataset | None, config: Any, norm: Any, block_rows: int,
             prefetch: int) -> tuple[Any, Any]:
    """The loop's training batch source ``(epoch, seed) -> batches`` (shuffled) and validation
    source ``() -> batches`` (in order; None without validation shards)."""

    def train_batches(epoch: int, seed: int):
        return _stream(train, config, norm, True, seed, block_rows, prefetch).epoch(epoch)

    def val_batches():
        return _stream(val, config, norm, False, config.seed, block_rows, prefetch).epoch(0)

    return train_batches, (val_batches if val is not None else None)


def _datasets(train: ShardDataset | str, val: ShardDataset | str | None, config: Any
              ) -> tuple[ShardDataset, ShardDataset | None]:
    """Open the shard folders; without ``val`` split ``config.val_fraction`` of the shards off."""
    train = open_shards(train) if not isinstance(train, ShardDataset) else train
    if val is None and config.val_fraction > 0:
        train, val = train.split(config.val_fraction, config.seed)
        val = val if val.shards else None
    elif val is not None and not isinstance(val, ShardDataset):
        val = open_shards(val)
    return train, val


def _check(train: ShardDataset, tree: Any, config: Any, mesh: Mesh) -> None:
    if config.batch_size % mesh.size:
        raise ValueError(f"batch_size {config.batch_size} is not a multiple of the {mesh.size} devices of the mesh")
    if len(train) == 0:
        raise ValueError(f"{train.path}: no training windows")
    if train.tree and list(train.tree.get("nodes", [])) != list(tree.nodes):
        raise ValueError(f"{train.path}: the shards' labels index tree {train.tree.get('name')!r}, "
                         f"not {tree.name!r}")
    if not len(train.object_leaves()):
        raise ValueError(f"{train.path}: the shards have no labels (written with label_column=None?)")
    if config.static_encoding != "standard" or config.missing_indicators:
        raise ValueError("fit_stream: shards keep the moments of the static features, so only "
                         "static_encoding='standard' without missing_indicators is supported")
    if config.aux:
        raise ValueError(f"fit_stream: shards carry no auxiliary targets, so aux_targets "
                         f"{list(config.aux_targets)} need fit (windows in memory)")


def fit_stream(train: ShardDataset | str, tree: Any, config: Any = None, *, val: ShardDataset | str | None = None,
               mesh: Mesh | None = None, block_rows: int = 16, prefetch: int = 4,
               max_steps: int | None = None, out_dir: str | Path | None = None, resume: bool = False,
               show_progress: bool | None = None, selector: Any = None):
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
        selector: a :class:`~elasticc_fast.nn.loop.BestEpoch` (default: ``config.monitor`` with
            validation, else the lowest training loss; ``config.patience``).
        out_dir: receives ``config.json`` and an Orbax checkpoint after every epoch
            (``out_dir/checkpoints``: parameters, optimizer state, best parameters, history);
            ``resume=True`` continues from it. The batches of an epoch depend only on the seed
            and the epoch number, so a resumed run gives the result of an uninterrupted one.

    Returns:
        :class:`elasticc_fast.nn.train.FitResult` with the parameters of the best epoch (by
        validation loss, else training loss).
    """
    from flax import nnx

    from ..nn import TrainConfig
    from ..nn.cache import enable_compilation_cache
    from ..nn.loop import Checkpointer, Loop, build_state, run
    from ..nn.loss import TreeArrays
    from ..nn.train import FitResult

    config = config if config is not None else TrainConfig()
    enable_compilation_cache()
    train, val = _datasets(train, val, config)
    mesh = mesh if mesh is not None else make_mesh()
    _check(train, tree, config, mesh)
    ckpt = Checkpointer(out_dir, config, resume) if out_dir is not None else None
    norm = train.static_norm()
    cw = tree.class_weights(train.object_leaves()) if config.class_weighted else None
    ta = TreeArrays.build(tree, cw, config.alpha)
    graphdef, state, steps = build_state(config, tree, ta, train.F, train.S, mesh)
    log.info("fit_stream: %s on %d windows in %d shards over %d devices (%s), global batch %d",
             config.arch, len(train), len(train.shards), mesh.size, mesh.devices.ravel()[0].platform,
             config.batch_size)
    if ckpt is not None:
        ckpt.extra["static_norm"] = norm.to_dict()
    loop = Loop(steps, mesh, config, tree, ta, *_sources(train, val, config, norm, block_rows, prefetch),
                selector=selector, checkpointer=ckpt, max_steps=max_steps)
    res = run(loop, state, show_progress)
    return FitResult(nnx.merge(graphdef, res.params, res.rest), norm, config, tree, train.feature_names,
                     train.static_names, res.history, res.best_epoch, first_epoch=res.first_epoch)
