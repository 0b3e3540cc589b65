"""Training on imbalanced classes, for any taxonomy: class-balanced sampling and tempered weights.

- :func:`class_rates` / :func:`balanced_epoch`: the objects of one epoch, drawn so that class
  ``c`` makes up a fraction ``N_c**power / sum_k N_k**power`` of the epoch (``power=0``: every
  class equally often; ``power=1``: the natural mix). Within a class objects are used in a random
  order without repeats until the class runs out, then again (so a class is oversampled only as
  much as its rate asks).
- :func:`tempered_weights`: ORACLE's node weights ``N / (K N_node)`` raised to ``power``
  (ORACLE-2 uses 0.5; 1 is ORACLE's, which collapsed onto the rare classes on ZTF BTS).
"""
from __future__ import annotations

import numpy as np


def class_rates(labels: np.ndarray, power: float = 0.0) -> dict[int, float]:
    """``{class: fraction of an epoch}`` for the classes present in ``labels``."""
    classes, counts = np.unique(np.asarray(labels), return_counts=True)
    w = counts.astype(np.float64) ** float(power)
    w /= w.sum()
    return {int(c): float(r) for c, r in zip(classes, w, strict=True)}


def balanced_epoch(labels: np.ndarray, rng: np.random.Generator, power: float = 0.0,
                   size: int | None = None) -> np.ndarray:
    """Indices into ``labels`` for one epoch of ``size`` draws (default ``len(labels)``), class
    ``c`` drawn ``round(size * class_rates(labels, power)[c])`` times, in a shuffled order."""
    labels = np.asarray(labels)
    size = len(labels) if size is None else int(size)
    out = []
    for c, rate in class_rates(labels, power).items():
        members = np.flatnonzero(labels == c)
        k = max(1, int(round(size * rate)))
        reps = -(-k // len(members))  # ceil: whole shuffled passes, then cut
        order = np.concatenate([rng.permutation(members) for _ in range(reps)])
        out.append(order[:k])
    idx = np.concatenate(out)
    return idx[rng.permutation(len(idx))]


def tempered_weights(tree, leaf_idx: np.ndarray, power: float = 0.5) -> np.ndarray:
    """(K,) node weights ``tree.class_weights(leaf_idx) ** power`` (``power=0``: all ones)."""
    return np.asarray(tree.class_weights(np.asarray(leaf_idx)), dtype=np.float64) ** float(power)
