"""From windows (``AugmentedBatch``-like arrays) to fixed-shape model batches.

Batches have a fixed number of rows (padded with zero-weight rows) and a padded length taken
from a short list of buckets, so each (rows, length) shape compiles once. Windows are grouped by
length before batching: most batches then pad little.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np


@dataclass
class Batch:
    """One fixed-shape model batch: ``x`` (B, T, F) float32, ``lengths`` (B,) int32 (>= 1),
    ``static`` (B, S) float32 (normalised), ``label`` (B,) int64 leaf node index (0 on padding
    rows), ``weight`` (B,) float32 (1 for real rows, 0 for padding)."""

    x: np.ndarray
    lengths: np.ndarray
    static: np.ndarray
    label: np.ndarray
    weight: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays())

    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.x, self.lengths, self.static, self.label, self.weight


@dataclass(frozen=True)
class StaticNorm:
    """Per-column standardisation of static features: ``(s - mean) / scale``, NaN -> 0, clipped to
    +-10. Fitted on the training windows; saved with the model."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, static: np.ndarray) -> "StaticNorm":
        s = np.asarray(static, dtype=np.float64)
        if s.shape[1] == 0:
            return cls(np.zeros(0, np.float32), np.ones(0, np.float32))
        finite = np.isfinite(s)
        cnt = np.maximum(finite.sum(axis=0), 1)
        mean = np.where(finite, s, 0.0).sum(axis=0) / cnt
        var = (np.where(finite, s - mean, 0.0) ** 2).sum(axis=0) / cnt
        scale = np.where(var > 1e-12, np.sqrt(var), 1.0)
        return cls(mean.astype(np.float32), scale.astype(np.float32))

    def __call__(self, static: np.ndarray) -> np.ndarray:
        s = (np.asarray(static, dtype=np.float32) - self.mean) / self.scale
        return np.clip(np.nan_to_num(s, nan=0.0, posinf=10.0, neginf=-10.0), -10.0, 10.0).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> "StaticNorm":
        return cls(np.asarray(d["mean"], np.float32), np.asarray(d["scale"], np.float32))


def bucket_length(n: int, buckets: tuple[int, ...]) -> int:
    """Smallest bucket >= n (n itself when longer than every bucket)."""
    for b in buckets:
        if b >= n:
            return b
    return n


def length_grouped_order(lengths: np.ndarray, batch_size: int, rng: np.random.Generator,
                         chunk_batches: int = 16) -> list[np.ndarray]:
    """Shuffled batches of indices whose windows have similar lengths: shuffle, sort each chunk of
    ``chunk_batches`` batches by length, cut into batches, shuffle the batch order."""
    perm = rng.permutation(len(lengths))
    out = []
    step = batch_size * chunk_batches
    for s in range(0, len(perm), step):
        chunk = perm[s:s + step]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    return [out[i] for i in rng.permutation(len(out))]


def sorted_order(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Batches of indices sorted by length (inference: no shuffling needed)."""
    order = np.argsort(lengths, kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def take_batch(x: np.ndarray, lengths: np.ndarray, static: np.ndarray, idx: np.ndarray, rows: int,
               buckets: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gather rows ``idx`` padded to ``rows`` rows and a bucketed length.

    Returns ``x`` (rows, T, F) float32, ``lengths`` (rows,) int32, ``static`` (rows, S) float32 and
    ``weight`` (rows,) float32 (1 for real rows, 0 for padding).
    """
    n = len(idx)
    lens = np.maximum(lengths[idx], 1).astype(np.int32)
    t = min(bucket_length(int(lens.max()), buckets), x.shape[1]) if n else 1
    xb = np.zeros((rows, t, x.shape[2]), np.float32)
    xb[:n] = x[idx, :t]
    lb = np.ones(rows, np.int32)
    lb[:n] = np.minimum(lens, t)
    sb = np.zeros((rows, static.shape[1]), np.float32)
    sb[:n] = static[idx]
    w = np.zeros(rows, np.float32)
    w[:n] = 1.0
    return xb, lb, sb, w


def labelled_batch(x: np.ndarray, lengths: np.ndarray, static: np.ndarray, label: np.ndarray,
                   idx: np.ndarray, rows: int, buckets: tuple[int, ...]) -> Batch:
    """:func:`take_batch` of rows ``idx`` with their labels (``static`` already normalised)."""
    xb, lb, sb, wb = take_batch(x, lengths, static, idx, rows, buckets)
    leaf = np.zeros(rows, np.int64)
    leaf[:len(idx)] = label[idx]
    return Batch(xb, lb, sb, leaf, wb)


def inference_order(lengths: np.ndarray, batch_size: int) -> Iterator[tuple[np.ndarray, int]]:
    """``(idx, rows)`` over all windows, grouped by length; ``rows`` is a power of two >= 32 (at
    most ``batch_size``) so small inputs pad little."""
    for idx in sorted_order(np.asarray(lengths), batch_size):
        yield idx, min(batch_size, max(32, 1 << int(np.ceil(np.log2(max(len(idx), 1))))))


def inference_batches(x: np.ndarray, lengths: np.ndarray, static: np.ndarray, batch_size: int,
                      buckets: tuple[int, ...]) -> Iterator[tuple[np.ndarray, tuple]]:
    """Yield ``(idx, (x, lengths, static, weight))`` over all windows (:func:`inference_order`)."""
    for idx, rows in inference_order(lengths, batch_size):
        yield idx, take_batch(x, lengths, static, idx, rows, buckets)
