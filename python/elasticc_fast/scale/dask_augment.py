"""Augmentation of a folder of converted Parquet files into training shards, as Dask tasks.

    from dask.distributed import Client
    from elasticc_fast.scale import augment_dataset
    ds = augment_dataset("parquet/", "shards/", windows="fraction", copies=4, client=Client(...))

One task per (Parquet file, row group): it reads the row group, cuts it into chunks of objects,
runs ``LightCurveBatch.from_arrow`` -> ``preprocess`` -> ``augment`` on each and writes one shard
per chunk (format: :mod:`.shards`). Tasks write their shards straight to ``OUT_DIR`` (a file
system every worker sees) and return only small metadata, so the calling process never holds
data; the manifest is written last. Without a client the same tasks run one after the other
here. Shard names and random seeds derive from the file name, row group and chunk, so the
shards are identical for any number of workers, and a rerun skips tasks already done.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_path
from ..errors import OutputExistsError
from ..options import PreprocessOptions, WindowOptions
from ..progress import progress
from ..taxonomy import Tree
from .shards import ShardDataset, label_objects, shard_seed, write_manifest, write_shard

__all__ = ["augment_dataset", "augment_row_group"]

log = logging.getLogger(__name__)
_ROW = "__elasticc_fast_row"  # row of each object in its Parquet file, carried through preprocess
_TASK_ERRORS = (OSError, ValueError, KeyError, pa.ArrowInvalid, pa.ArrowTypeError)


@dataclasses.dataclass(frozen=True)
class _Options:
    windows: str
    copies: int
    seed: int
    shard_objects: int
    shard_windows: int
    label_column: str | None
    label_map: Callable[[str], str] | None
    tree: Any
    id_column: str
    preprocess: PreprocessOptions
    augment: WindowOptions   # max_length set: every window is padded to it (the shards' T)
    threads: int


def _windows_per_object(lengths: np.ndarray, opts: _Options) -> np.ndarray:
    """Upper bound of the windows ``augment`` makes per object (for cutting shards)."""
    if opts.windows == "prefix":
        return np.maximum(lengths, 1) * opts.copies
    if opts.windows == "days":
        return np.full(len(lengths), len(opts.augment.days) * opts.copies)
    return np.full(len(lengths), opts.copies)


def _sub_chunks(lengths: np.ndarray, opts: _Options) -> list[tuple[int, int]]:
    """Contiguous object ranges holding at most ``shard_windows`` windows each (one object at least)."""
    cum = np.cumsum(_windows_per_object(lengths, opts))
    out, start, base = [], 0, 0
    while start < len(lengths):
        stop = int(np.searchsorted(cum, base + opts.shard_windows, side="right"))
        stop = max(stop, start + 1)
        out.append((start, stop))
        base, start = int(cum[stop - 1]), stop
    return out


def _windows_of(batch: Any, name: str, opts: _Options) -> dict[str, np.ndarray] | None:
    """Every copy's windows of ``batch`` concatenated, rows shuffled (seeded by ``name``)."""
    from ..augment import augment

    parts = []
    for copy in range(opts.copies):
        aug = augment(batch, opts.windows, opts.augment, pad_to=opts.augment.max_length,
                      seed=shard_seed(opts.seed, name, copy), threads=opts.threads)
        if len(aug):
            parts.append(aug)
    if not parts:
        return None
    ids = batch.ids
    source_ids = (np.asarray(ids, np.int64) if np.asarray(ids).dtype.kind in "iu"
                  else batch.static.column(_ROW).to_numpy().astype(np.int64))
    cat = {k: np.concatenate([getattr(p, k) for p in parts]) for k in ("x", "lengths", "static", "t_end")}
    src = np.concatenate([p.source for p in parts])
    cat["label"] = np.asarray(batch.labels, np.int64)[src]
    cat["source"] = source_ids[src]
    perm = np.random.default_rng(shard_seed(opts.seed, name + "/rows", 0)).permutation(len(src))
    out = {k: v[perm] for k, v in cat.items()}
    out["_names"] = (parts[0].feature_names, parts[0].static_names)
    return out


def augment_row_group(path: str | os.PathLike, row_group: int, out_dir: str | os.PathLike,
                      opts: _Options) -> dict[str, dict]:
    """One task: row group ``row_group`` of Parquet file ``path`` -> shards in ``out_dir/shards``.
    Returns ``{shard name: meta}``."""
    from ..batch import LightCurveBatch
    from ..preprocess import preprocess

    path, out_dir = Path(path), Path(out_dir)
    pf = pq.ParquetFile(path)
    first_row = sum(pf.metadata.row_group(i).num_rows for i in range(row_group))
    table = pf.read_row_group(row_group)
    table = table.append_column(_ROW, pa.array(np.arange(first_row, first_row + table.num_rows, dtype=np.int64)))
    metas: dict[str, dict] = {}
    stem = path.name[:-len(".parquet")] if path.name.endswith(".parquet") else path.name
    for c, c0 in enumerate(range(0, table.num_rows, opts.shard_objects)):
        batch = LightCurveBatch.from_arrow(table.slice(c0, opts.shard_objects), id_column=opts.id_column)
        labels = label_objects(batch.static, opts.label_column, opts.tree, opts.label_map)
        if opts.label_column is not None and np.any(labels < 0):
            bad = sorted(set(batch.static.column(opts.label_column).take(pa.array(np.flatnonzero(labels < 0))).to_pylist()))
            log.warning("%s: %d objects whose %s (%s) has no leaf in the tree are left out",
                        path, int(np.sum(labels < 0)), opts.label_column, ", ".join(map(str, bad[:5])))
            keep = np.flatnonzero(labels >= 0)
            batch, labels = batch.take(keep), labels[keep]
        batch = preprocess(dataclasses.replace(batch, labels=labels), threads=opts.threads, **opts.preprocess.to_dict())
        for k, (a, b) in enumerate(_sub_chunks(batch.lengths, opts)):
            name = f"{stem}.rg{row_group:05d}.{c:04d}.{k:03d}"
            w = _windows_of(batch[a:b], name, opts)
            if w is None:
                continue
            feature_names, static_names = w.pop("_names")
            metas[name] = write_shard(out_dir / "shards" / name, **w,
                                      extra={"file": path.name, "row_group": row_group,
                                             "feature_names": list(feature_names),
                                             "static_names": list(static_names)})
    return metas


def _task(path: str, row_group: int, out_dir: str, opts: _Options) -> tuple[dict, str | None]:
    """Run one task unless its marker says it is done; returns (metas, failure or None)."""
    marker = Path(out_dir) / "tasks" / f"{Path(path).name}.rg{row_group:05d}.json"
    if marker.is_file():
        return json.loads(marker.read_text()), None
    try:
        metas = augment_row_group(path, row_group, out_dir, opts)
    except _TASK_ERRORS as e:
        return {}, f"{path} (row group {row_group}): {e}"
    with atomic_path(marker) as tmp:
        tmp.write_text(json.dumps(metas))
    return metas, None


def _tasks(parquet_dir: Path) -> tuple[list[tuple[str, int]], list[str]]:
    """(file, row group) of every readable ``*.parquet`` file, and the files that are not."""
    from ..io.tables import parquet_files

    out, bad = [], []
    for f in parquet_files(parquet_dir, recursive=False):
        try:
            n = pq.ParquetFile(f).metadata.num_row_groups
        except (OSError, pa.ArrowInvalid) as e:
            bad.append(f"{f}: not a readable Parquet file ({e})")
            continue
        out += [(str(f), rg) for rg in range(n)]
    return out, bad


def _check_ours(out: Path) -> None:
    """Refuse to delete ``out/shards`` unless ``out`` holds our manifest or task records (ours, then)."""
    if (out / "shards").exists() and not ((out / "manifest.json").is_file() or (out / "tasks").is_dir()):
        raise OutputExistsError(f"{out}: has a shards/ folder but no manifest.json or tasks/ of augment_dataset; "
                                "not deleting what it did not write (give a new folder)")


def augment_dataset(parquet_dir: str | os.PathLike, out_dir: str | os.PathLike, *,
                    windows: str = "fraction", copies: int = 1, seed: int = 0,
                    options: WindowOptions | None = None, preprocess: PreprocessOptions | None = None,
                    tree: Any = None, label_column: str | None = "model",
                    label_map: Callable[[str], str] | None = None, id_column: str = "SNID",
                    shard_objects: int = 4096, shard_windows: int = 16384, client: Any = None,
                    threads: int | None = None, overwrite: bool = False, on_error: str = "stop",
                    show_progress: bool | None = None, **window_changes: Any) -> ShardDataset:
    """Windows of every object of ``parquet_dir/*.parquet`` (the converter's output) as shards.

    Args:
        parquet_dir: folder of converted Parquet files (or one file).
        out_dir: the shard dataset folder (see :mod:`.shards`); ``manifest.json`` is written last.
        windows: the window kind of ``elasticc_fast.augment``.
        options, window_changes: a :class:`~elasticc_fast.options.WindowOptions` (default:
            augment's defaults with ``max_length=256``) and keyword changes to it
            (``max_length=64``, ``flux_scale="asinh"`` ...). Every window is padded to
            ``max_length`` points (T), so all batches have the same shape.
        preprocess: :class:`~elasticc_fast.options.PreprocessOptions` (default: defaults).
        copies: windows drawn per object with different seeds (``windows="fraction"``: several
            random prefixes per object, i.e. several epochs' worth of augmentation).
        seed: base seed; each shard's seed derives from it and the shard's name.
        tree, label_column, label_map: labels are ``tree.index(label_map(row[label_column]))``;
            the default is ORACLE's tree through ``leaf_for_model`` of the ``model`` column.
            Objects whose value has no leaf are left out (logged). ``label_column=None``: no
            labels (stored as -1).
        shard_objects: objects read per chunk; shard_windows: windows per shard at most
            (about ``shard_windows * T * F * 4`` bytes: 80 MB for 16384 x 256 x 5).
        client: a ``dask.distributed.Client``: one task per (file, row group) on its workers.
            None: the tasks run in this process.
        threads: C++ threads per task (default 1 on Dask, where tasks run side by side; else all).
        overwrite: delete a previous dataset in ``out_dir`` first; otherwise finished tasks are
            kept (an interrupted run resumes).
        on_error: "stop" raises on the first task that fails (naming the file and row group);
            "skip" lists failures in the manifest's ``failures`` and logs them.

    Returns:
        the :class:`~elasticc_fast.scale.shards.ShardDataset` written.
    """
    from ..taxonomy import ORACLE_TREE, leaf_for_model

    if on_error not in ("stop", "skip"):
        raise ValueError(f"on_error must be 'stop' or 'skip', not {on_error!r}")
    win = WindowOptions.build(options if options is not None else {"max_length": 256}, **window_changes)
    if copies < 1 or shard_objects < 1 or shard_windows < 1 or win.max_length is None:
        raise ValueError("copies, shard_objects, shard_windows and max_length must be >= 1")
    if tree is None:
        tree, label_map = ORACLE_TREE, label_map or leaf_for_model
    out = _prepare_out(Path(out_dir), overwrite)
    opts = _Options(windows, int(copies), int(seed), int(shard_objects), int(shard_windows), label_column,
                    label_map, tree, id_column, PreprocessOptions.build(preprocess), win,
                    int(threads if threads is not None else (1 if client else 0)))
    metas, failures = _run_all(Path(parquet_dir), out, opts, client, on_error, show_progress)
    write_manifest(out, metas, _manifest_info(metas, failures, opts))
    ds = ShardDataset(out)
    log.info("augment_dataset: %d windows in %d shards -> %s", len(ds), len(ds.shards), out)
    return ds


def _manifest_info(metas: dict[str, dict], failures: list[str], opts: _Options) -> dict:
    """The dataset-wide part of ``manifest.json``: names, tree, failures and the options used."""
    names = next(iter(metas.values()), {})
    return {"feature_names": names.get("feature_names", []), "static_names": names.get("static_names", []),
            "tree": opts.tree.to_dict() if isinstance(opts.tree, Tree) else None, "failures": failures,
            "options": {"windows": opts.windows, "copies": opts.copies, "seed": opts.seed,
                        "max_length": opts.augment.max_length, "label_column": opts.label_column,
                        "preprocess": opts.preprocess.to_dict(), "augment": opts.augment.to_dict()}}


def _prepare_out(out: Path, overwrite: bool) -> Path:
    """``out/shards`` ready; with ``overwrite`` an earlier dataset of ours removed first."""
    if overwrite:
        _check_ours(out)
        for sub in ("shards", "tasks"):
            shutil.rmtree(out / sub, ignore_errors=True)
        (out / "manifest.json").unlink(missing_ok=True)
    (out / "shards").mkdir(parents=True, exist_ok=True)
    return out


def _run_all(parquet_dir: Path, out: Path, opts: _Options, client: Any, on_error: str,
             show_progress: bool | None) -> tuple[dict[str, dict], list[str]]:
    """Run every task; (shard metas, failures). ``on_error="stop"`` raises on the first failure."""
    tasks, failures = _tasks(parquet_dir)
    if failures and on_error == "stop":
        raise ValueError(f"augment_dataset: {failures[0]}")
    for f in failures:
        log.warning("augment_dataset: skipped %s", f)
    metas: dict[str, dict] = {}
    with progress(total=len(tasks), desc="augment", unit="row group", enabled=show_progress) as bar:
        for got, failure in _run(tasks, str(out), opts, client):
            bar.update(1)
            if failure is not None:
                if on_error == "stop":
                    raise RuntimeError(f"augment_dataset: {failure}")
                log.warning("augment_dataset: skipped %s", failure)
                failures.append(failure)
            metas.update(got)
    return metas, failures


def _run(tasks: Sequence[tuple[str, int]], out: str, opts: _Options, client: Any):
    """Yield (metas, failure) per task, in completion order (on Dask) or task order (here)."""
    if client is None:
        for path, rg in tasks:
            yield _task(path, rg, out, opts)
        return
    from dask.distributed import as_completed

    futures = client.map(_task, [p for p, _ in tasks], [rg for _, rg in tasks], [out] * len(tasks),
                         [opts] * len(tasks), pure=False)
    for fut in as_completed(futures):
        yield fut.result()
        fut.release()
