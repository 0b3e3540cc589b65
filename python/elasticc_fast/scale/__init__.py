"""Scaling past one machine: Dask for conversion and augmentation, sharded JAX training.

- :mod:`.dask_convert`: ``elasticc-fast convert --dask SCHEDULER`` (:func:`convert_dask`), the
  converter's per-file-pair work as Dask tasks, byte-identical outputs.
- :mod:`.dask_augment`: :func:`augment_dataset`, converted Parquet -> training shards as Dask
  tasks (one per file and row group).
- :mod:`.shards`: the shard format (fixed-shape ``.npy`` arrays + ``manifest.json``) and
  :class:`ShardDataset`.
- :mod:`.stream`: :class:`ShardStream`, fixed-shape batches read by a background thread in
  bounded memory.
- :mod:`.sharded`: :func:`fit_stream`, data-parallel training over a ``jax.sharding.Mesh``
  (multi-host with ``jax.distributed.initialize``).

Names are loaded lazily: ``import elasticc_fast.scale`` imports neither Dask nor JAX.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "convert_dask": "dask_convert", "dask_client": "dask_convert",
    "augment_dataset": "dask_augment",
    "ShardDataset": "shards", "open_shards": "shards", "write_shard": "shards", "write_manifest": "shards",
    "ShardStream": "stream", "StreamBatch": "stream",
    "fit_stream": "sharded", "make_mesh": "sharded",
    "global_batch": "sharded",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'elasticc_fast.scale' has no attribute {name!r}")
