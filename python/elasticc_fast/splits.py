"""The per-class random split used wherever objects are held out (validation in ``nn.fit``, the
demo's test set)."""
from __future__ import annotations

import numpy as np


def split_per_class(labels: np.ndarray, fraction: float, rng: np.random.Generator | int, *,
                    max_per_class: int | None = None, both_sides: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per-class random split of indices into (rest, held out), both sorted int64.

    ``round(fraction * n)`` of each class's ``n`` indices are held out (none of a class with one
    member); ``both_sides=True`` keeps at least one index of every class with two or more on each
    side. The rest is capped at ``max_per_class``. Entries < 0 (unlabelled) are in neither.
    ``rng``: a NumPy generator or a seed; classes are drawn in increasing label order.
    """
    labels = np.asarray(labels)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    keep, held = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for c in np.unique(labels[labels >= 0]):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_held = int(round(fraction * len(idx))) if len(idx) > 1 else 0
        if both_sides and len(idx) >= 2:
            n_held = min(max(n_held, 1), len(idx) - 1)
        held.append(idx[:n_held])
        keep.append(idx[n_held:][:max_per_class] if max_per_class else idx[n_held:])
    return np.sort(np.concatenate(keep)).astype(np.int64), np.sort(np.concatenate(held)).astype(np.int64)
