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

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "dask_convert": ["convert_dask", "dask_client"],
        "dask_augment": ["augment_dataset"],
        "shards": ["ShardDataset", "open_shards", "write_shard", "write_manifest"],
        "stream": ["ShardStream", "StreamBatch"],
        "sharded": ["fit_stream", "make_mesh", "global_batch"],
    },
)
