"""Per-object reductions over flat observation arrays (object ``i`` owns ``offsets[i]:offsets[i + 1]``),
vectorised: no loop over objects or observations."""
from __future__ import annotations

import numpy as np


def argmax_per_object(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Flat index of each object's largest value (-1 for objects without points), without sorting."""
    n = len(offsets) - 1
    counts = np.diff(offsets)
    out = np.full(n, -1, dtype=np.int64)
    has = counts > 0
    if not has.any():
        return out
    obj = np.repeat(np.arange(n), counts)
    best = np.full(n, -np.inf)
    best[has] = np.maximum.reduceat(values, offsets[:-1][has])
    hit = np.flatnonzero(values == best[obj])
    o, first = np.unique(obj[hit], return_index=True)
    out[o] = hit[first]
    return out


def top_k_per_object(values: np.ndarray, offsets: np.ndarray, k: int) -> np.ndarray:
    """(n, k) array of each object's k largest values in decreasing order (0 where fewer)."""
    n = len(offsets) - 1
    counts = np.diff(offsets)
    obj = np.repeat(np.arange(n), counts)
    # one float key: object index plus a decreasing, bounded transform of the value
    order = np.argsort(obj + (0.5 - np.arctan(values / 10.0) / np.pi), kind="stable")
    out = np.zeros((n, k))
    for j in range(k):  # k = 3 ranks, not a loop over observations
        has = counts > j
        out[has, j] = values[order[offsets[:-1][has] + j]]
    return out
