"""Training shards: augmented windows written as fixed-shape ``.npy`` arrays, and their manifest.

Format (one folder per dataset)::

    OUT_DIR/manifest.json                 written last: its presence marks a complete dataset
    OUT_DIR/shards/<NAME>/x.npy           (n, T, F) float32 point features, zero-padded to T
                          lengths.npy     (n,) int32 valid rows of each window
                          static.npy      (n, S) float32 static features (raw, not normalised)
                          label.npy       (n,) int64 tree node index of the true leaf (-1: none)
                          source.npy      (n,) int64 SNID (or row in its Parquet file) of the object
                          t_end.npy       (n,) float64 days since trigger of the window's last point
                          meta.json       counts and static-feature moments of this shard

Why raw ``.npy``: every shard of a dataset has the same T, F and S, so a row of ``x`` is a fixed
number of bytes at a computable offset. The streaming reader (:mod:`.stream`) reads a block of
rows with one ``pread`` straight into the batch buffer: no decompression, no parsing, no Python
object per window, no memory map that would grow the resident set with the dataset, and random
access for shuffling. NumPy is the one dependency, JAX takes the arrays as they are, and any tool
can open a shard with ``np.load(..., mmap_mode="r")``. (Compressed ``.npz`` cannot be read by
offset; Arrow IPC would need a tensor extension type for ``x`` and buys nothing here; Parquet is
the right format for the converted light curves upstream, not for padded tensors.) The price is
disk: T x F x 4 bytes per window (5 kB for ORACLE's 256 x 5), uncompressed.

Rows of a shard are shuffled when written (seeded), every shard holds whole objects (a
validation split by shard never shares an object with training), and shard names derive from
the Parquet file, row group and chunk, so the output does not depend on the number of workers.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .._version import __version__
from ..atomic import atomic_path

__all__ = ["ShardDataset", "ShardInfo", "write_shard", "open_shards", "write_manifest", "static_moments",
           "FORMAT", "ARRAYS"]

log = logging.getLogger(__name__)

FORMAT = 1
#: array file -> dtype, the same in every shard
ARRAYS = {"x": np.float32, "lengths": np.int32, "static": np.float32, "label": np.int64,
          "source": np.int64, "t_end": np.float64}


def static_moments(static: np.ndarray) -> dict[str, list[float]]:
    """Per column: count of finite values, their mean and sum of squared deviations (M2)."""
    s = np.asarray(static, dtype=np.float64)
    finite = np.isfinite(s)
    cnt = finite.sum(axis=0).astype(np.float64)
    mean = np.where(finite, s, 0.0).sum(axis=0) / np.maximum(cnt, 1)
    m2 = (np.where(finite, s - mean, 0.0) ** 2).sum(axis=0)
    return {"count": cnt.tolist(), "mean": mean.tolist(), "m2": m2.tolist()}


def _merge_moments(parts: Sequence[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chan et al.'s parallel merge of (count, mean, M2) per column."""
    n = mean = m2 = None
    for p in parts:
        nb, mb, qb = (np.asarray(p[k], np.float64) for k in ("count", "mean", "m2"))
        if n is None:
            n, mean, m2 = nb, mb, qb
            continue
        tot = n + nb
        delta = mb - mean
        safe = np.maximum(tot, 1)
        mean = mean + delta * nb / safe
        m2 = m2 + qb + delta ** 2 * n * nb / safe
        n = tot
    return n, mean, m2


def write_shard(path: str | os.PathLike, *, x: np.ndarray, lengths: np.ndarray, static: np.ndarray,
                label: np.ndarray, source: np.ndarray, t_end: np.ndarray,
                objects: dict[str, int] | None = None, extra: dict | None = None) -> dict:
    """Write one shard folder atomically; returns its ``meta.json`` content.

    ``objects``: per leaf node index (as a string), how many distinct objects the shard holds
    (for class weights); computed from ``label``/``source`` when not given.
    """
    n = len(lengths)
    arrays = {"x": x, "lengths": lengths, "static": static, "label": label, "source": source, "t_end": t_end}
    for name, a in arrays.items():
        if len(a) != n:
            raise ValueError(f"write_shard {path}: {name} has {len(a)} rows, lengths has {n}")
    if objects is None:
        objects = _object_counts(np.asarray(label), np.asarray(source))
    lab, cnt = np.unique(np.asarray(label), return_counts=True)
    meta = {"n": int(n), "T": int(x.shape[1]), "F": int(x.shape[2]), "S": int(static.shape[1]),
            "windows_per_label": {str(int(k)): int(c) for k, c in zip(lab, cnt, strict=True)},
            "objects_per_label": objects, "static_moments": static_moments(static), **(extra or {})}
    with atomic_path(path) as tmp:
        tmp.mkdir()
        for name, a in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(a, dtype=ARRAYS[name]))
        (tmp / "meta.json").write_text(json.dumps(meta))
    return meta


def _object_counts(label: np.ndarray, source: np.ndarray) -> dict[str, int]:
    if not len(label):
        return {}
    pairs = np.unique(np.stack([label, source]), axis=1)
    lab, cnt = np.unique(pairs[0], return_counts=True)
    return {str(int(k)): int(c) for k, c in zip(lab, cnt, strict=True)}


def write_manifest(out_dir: str | os.PathLike, shard_metas: dict[str, dict], info: dict) -> Path:
    """``out_dir/manifest.json`` listing the shards (sorted by name) and ``info`` (names, options)."""
    out_dir = Path(out_dir)
    shapes = {(m["T"], m["F"], m["S"]) for m in shard_metas.values()}
    if len(shapes) > 1:
        raise ValueError(f"{out_dir}: shards have different (T, F, S) shapes {sorted(shapes)}")
    t, f, s = shapes.pop() if shapes else (0, 0, 0)
    manifest = {"format": FORMAT, "elasticc_fast": __version__, "T": t, "F": f, "S": s, **info,
                "shards": [{"name": k, **shard_metas[k]} for k in sorted(shard_metas)]}
    with atomic_path(out_dir / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    return out_dir / "manifest.json"


@dataclass(frozen=True)
class ShardInfo:
    """One shard: its folder and number of windows (rows)."""
    name: str
    path: Path
    n: int
    meta: dict = field(repr=False, compare=False, default_factory=dict)


class _NpyRows:
    """Rows ``[start, start + count)`` of a C-ordered ``.npy`` file by ``os.pread`` (no memory map)."""

    __slots__ = ("path", "shape", "dtype", "offset", "row_bytes", "fd")

    def __init__(self, path: Path):
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"{path}: .npy format version {version} not supported (1.0 or 2.0)")
            self.offset = f.tell()
        if fortran:
            raise ValueError(f"{path}: Fortran-ordered array, expected C order")
        self.path, self.shape, self.dtype = path, shape, dtype
        self.row_bytes = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY)

    def read_into(self, out: np.ndarray, start: int, count: int) -> None:
        """Fill ``out[:count]`` (C-contiguous, this dtype) with rows ``start..start+count``."""
        nbytes = count * self.row_bytes
        view = memoryview(out.reshape(-1).view(np.uint8))[:nbytes]
        got, pos = 0, self.offset + start * self.row_bytes
        while got < nbytes:  # pread may return less than asked (signals, network file systems)
            k = os.preadv(self.fd, [view[got:]], pos + got)
            if k <= 0:
                raise OSError(f"{self.path}: file ends before row {start + count} (truncated shard?)")
            got += k

    def close(self) -> None:
        os.close(self.fd)


class ShardDataset:
    """A folder written by :func:`elasticc_fast.scale.augment_dataset` (or :func:`write_manifest`).

    Attributes: ``path``, ``manifest`` (dict), ``shards`` (list of :class:`ShardInfo`), ``T``,
    ``F``, ``S``, ``feature_names``, ``static_names``, ``tree`` (dict or None).
    """

    MAX_OPEN = 256  #: open shard files at most (file descriptors are limited)

    def __init__(self, path: str | os.PathLike, shards: Sequence[ShardInfo] | None = None,
                 manifest: dict | None = None):
        self.path = Path(path)
        if manifest is None:
            mf = self.path / "manifest.json"
            if not mf.is_file():
                raise FileNotFoundError(f"{self.path}: no manifest.json (not a complete shard dataset)")
            manifest = json.loads(mf.read_text())
            if manifest.get("format") != FORMAT:
                raise ValueError(f"{mf}: unsupported shard format {manifest.get('format')!r}")
        self.manifest = manifest
        if shards is None:
            shards = [ShardInfo(s["name"], self.path / "shards" / s["name"], int(s["n"]), s)
                      for s in manifest["shards"]]
        self.shards = list(shards)
        self.T, self.F, self.S = int(manifest["T"]), int(manifest["F"]), int(manifest["S"])
        self.feature_names = tuple(manifest.get("feature_names", ()))
        self.static_names = tuple(manifest.get("static_names", ()))
        self.tree = manifest.get("tree")
        self._open: dict[tuple[int, str], _NpyRows] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Number of windows."""
        return sum(s.n for s in self.shards)

    def __repr__(self) -> str:
        return f"ShardDataset({self.path}, {len(self.shards)} shards, {len(self)} windows, T={self.T}, F={self.F}, S={self.S})"

    def subset(self, indices: Sequence[int]) -> "ShardDataset":
        """The same dataset restricted to shards ``indices``."""
        return ShardDataset(self.path, [self.shards[i] for i in indices], self.manifest)

    def split(self, val_fraction: float, seed: int = 0) -> tuple["ShardDataset", "ShardDataset"]:
        """(train, val) by whole shards (so by object): per majority label, ``val_fraction`` of
        its shards (rounded; none when it has a single shard) go to validation."""
        rng = np.random.default_rng(seed)
        groups: dict[str, list[int]] = {}
        for i, s in enumerate(self.shards):
            wl = s.meta.get("windows_per_label", {})
            key = max(wl, key=wl.get) if wl else ""
            groups.setdefault(key, []).append(i)
        val: list[int] = []
        for key in sorted(groups):
            idx = rng.permutation(groups[key])
            n_val = int(round(val_fraction * len(idx))) if len(idx) > 1 else 0
            val += idx[:n_val].tolist()
        val_set = set(val)
        train = [i for i in range(len(self.shards)) if i not in val_set]
        return self.subset(train), self.subset(sorted(val))

    def static_norm(self):
        """:class:`elasticc_fast.nn.data.StaticNorm` of the static features of these shards
        (the same mean and scale ``StaticNorm.fit`` gives on all their windows, from moments)."""
        from ..nn.data import StaticNorm

        if self.S == 0:
            return StaticNorm(np.zeros(0, np.float32), np.ones(0, np.float32))
        n, mean, m2 = _merge_moments([s.meta["static_moments"] for s in self.shards if s.n])
        var = m2 / np.maximum(n, 1)
        scale = np.where(var > 1e-12, np.sqrt(var), 1.0)
        return StaticNorm(mean.astype(np.float32), scale.astype(np.float32))

    def object_leaves(self) -> np.ndarray:
        """(n_objects,) leaf index of every labelled object (order meaningless): the input of
        ``Tree.class_weights``."""
        counts: dict[int, int] = {}
        for s in self.shards:
            for k, c in s.meta.get("objects_per_label", {}).items():
                if int(k) >= 0:
                    counts[int(k)] = counts.get(int(k), 0) + int(c)
        keys = sorted(counts)
        return np.repeat(np.asarray(keys, np.int64), [counts[k] for k in keys])

    def rows(self, shard: int, name: str) -> _NpyRows:
        """Row reader of array ``name`` of shard ``shard`` (the last ``MAX_OPEN`` stay open)."""
        key = (shard, name)
        r = self._open.pop(key, None)
        if r is None:
            r = _NpyRows(self.shards[shard].path / f"{name}.npy")
            if r.shape[0] != self.shards[shard].n:
                r.close()
                raise ValueError(f"{r.path}: {r.shape[0]} rows, the manifest says {self.shards[shard].n}")
            if len(self._open) >= self.MAX_OPEN:  # least recently used first in the dict
                self._open.pop(next(iter(self._open))).close()
        self._open[key] = r
        return r

    def read_rows(self, shard: int, name: str, out: np.ndarray, start: int, count: int) -> None:
        """Fill ``out[:count]`` with rows ``start..start+count`` of array ``name`` of shard ``shard``."""
        with self._lock:
            self.rows(shard, name).read_into(out, start, count)

    def load(self, shard: int) -> dict[str, np.ndarray]:
        """Every array of one shard, read whole (tests, inspection)."""
        return {name: np.load(self.shards[shard].path / f"{name}.npy") for name in ARRAYS}

    def close(self) -> None:
        for r in self._open.values():
            r.close()
        self._open.clear()

    def __del__(self) -> None:  # file descriptors are a limited resource
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def open_shards(path: str | os.PathLike) -> ShardDataset:
    """Open a shard dataset folder (see the module docstring)."""
    return ShardDataset(path)


def shard_seed(seed: int, name: str, copy: int) -> int:
    """A 63-bit seed for one shard and copy, independent of which other shards exist."""
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode()), int(copy)])
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def label_objects(static: Any, label_column: str | None, tree: Any,
                  label_map: Callable[[str], str] | None) -> np.ndarray:
    """(n,) leaf index per object from ``label_column`` of a static table; -1 for values that
    ``label_map`` rejects (KeyError) or none when ``label_column`` is None."""
    n = static.num_rows
    if label_column is None:
        return np.full(n, -1, np.int64)
    if label_column not in static.column_names:
        raise ValueError(f"no label column {label_column!r} in the table (columns: {static.column_names[:8]}...)")
    values = static.column(label_column).to_pylist()
    out = np.full(n, -1, np.int64)
    cache: dict[Any, int] = {}
    for i, v in enumerate(values):
        if v not in cache:
            try:
                leaf = label_map(v) if label_map is not None else v
                cache[v] = int(tree.index(str(leaf))) if tree is not None else int(leaf)
            except (KeyError, ValueError):
                cache[v] = -1
        out[i] = cache[v]
    return out
