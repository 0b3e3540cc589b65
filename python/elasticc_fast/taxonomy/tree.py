"""A generic rooted classification tree (taxonomy) and the arrays a hierarchical model needs.

Nodes are identified by unique string keys and stored in breadth-first order (root first), so
every level is a contiguous block and a parent always precedes its children. A model emits one
logit per node (the root's logit is ignored: its sibling group has one member).

Arrays (``K`` = number of nodes, ``G`` = number of sibling groups):

- ``parents`` (K,) int: parent index, -1 for the root.
- ``depth`` (K,) int: distance from the root (root 0, level-1 nodes 1).
- ``group`` (K,) int: sibling-group index of each node; the root forms group 0 by itself.
- ``ancestry`` (K, K) float: ``ancestry[i, j] = 1`` when node ``j`` is on the root-to-``i`` path
  (``i`` itself included). Row ``i`` of it is the path-indicator target of leaf ``i``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class Tree:
    """A rooted tree of class names.

    Build one with :meth:`from_nested` (``{"Alert": {"Transient": ["SNIa", ...], ...}}``) or
    :meth:`from_parents`; serialise with :meth:`to_dict` / :meth:`from_dict`.
    ``labels`` are optional display names (default: the keys).
    """

    name: str
    nodes: tuple[str, ...]
    parents: tuple[int, ...]
    labels: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.nodes) != len(self.parents):
            raise ValueError(f"tree {self.name!r}: {len(self.nodes)} nodes but {len(self.parents)} parents")
        if len(set(self.nodes)) != len(self.nodes):
            dup = sorted({n for n in self.nodes if self.nodes.count(n) > 1})
            raise ValueError(f"tree {self.name!r}: duplicate node names {dup}")
        if not self.nodes or self.parents[0] != -1 or any(p == -1 for p in self.parents[1:]):
            raise ValueError(f"tree {self.name!r}: node 0 must be the only root (parent -1)")
        for i, p in enumerate(self.parents[1:], start=1):
            if not 0 <= p < i:
                raise ValueError(f"tree {self.name!r}: node {self.nodes[i]!r} has parent index {p}; "
                                 "parents must precede children (breadth-first order)")
        if self.labels and len(self.labels) != len(self.nodes):
            raise ValueError(f"tree {self.name!r}: {len(self.labels)} labels for {len(self.nodes)} nodes")
        if not self.labels:
            object.__setattr__(self, "labels", tuple(self.nodes))

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_parents(cls, name: str, parent_of: Mapping[str, str | None],
                     labels: Mapping[str, str] | None = None) -> "Tree":
        """Build from ``{node: parent}`` (the root maps to ``None``); children keep mapping order."""
        roots = [n for n, p in parent_of.items() if p is None]
        if len(roots) != 1:
            raise ValueError(f"tree {name!r}: need exactly one root, got {roots}")
        children: dict[str, list[str]] = {n: [] for n in parent_of}
        for n, p in parent_of.items():
            if p is not None:
                if p not in children:
                    raise ValueError(f"tree {name!r}: parent {p!r} of {n!r} is not a node")
                children[p].append(n)
        order, queue = [], [roots[0]]
        while queue:  # breadth-first
            n = queue.pop(0)
            order.append(n)
            queue.extend(children[n])
        if len(order) != len(parent_of):
            raise ValueError(f"tree {name!r}: nodes not reachable from the root: "
                             f"{sorted(set(parent_of) - set(order))}")
        index = {n: i for i, n in enumerate(order)}
        parents = tuple(-1 if parent_of[n] is None else index[parent_of[n]] for n in order)
        lab = tuple(labels.get(n, n) for n in order) if labels else ()
        return cls(name, tuple(order), parents, lab)

    @classmethod
    def from_nested(cls, name: str, nested: Mapping, labels: Mapping[str, str] | None = None) -> "Tree":
        """Build from nested dicts whose innermost values are lists of leaf names."""
        parent_of: dict[str, str | None] = {}

        def walk(obj, parent):
            items = obj.items() if isinstance(obj, Mapping) else ((leaf, None) for leaf in obj)
            for key, sub in items:
                if key in parent_of:
                    raise ValueError(f"tree {name!r}: node {key!r} appears twice")
                parent_of[key] = parent
                if sub:
                    walk(sub, key)

        if len(nested) != 1:
            raise ValueError(f"tree {name!r}: nested form needs exactly one root key")
        walk(nested, None)
        return cls.from_parents(name, parent_of, labels)

    def to_dict(self) -> dict:
        """JSON-ready description (inverse of :meth:`from_dict`)."""
        return {"name": self.name, "nodes": list(self.nodes), "parents": list(self.parents),
                "labels": list(self.labels)}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Tree":
        return cls(d["name"], tuple(d["nodes"]), tuple(int(p) for p in d["parents"]),
                   tuple(d.get("labels") or ()))

    # ---------------------------------------------------------------- structure
    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def root(self) -> str:
        return self.nodes[0]

    @cached_property
    def _index(self) -> dict[str, int]:
        return {n: i for i, n in enumerate(self.nodes)}

    def index(self, names: str | Iterable[str]) -> int | np.ndarray:
        """Node index of one name, or an int64 array of indices for many; KeyError names the unknown."""
        if isinstance(names, str):
            try:
                return self._index[names]
            except KeyError:
                raise KeyError(f"{names!r} is not a node of tree {self.name!r}") from None
        names = list(names)
        try:
            return np.fromiter((self._index[n] for n in names), dtype=np.int64, count=len(names))
        except KeyError as e:
            raise KeyError(f"{e.args[0]!r} is not a node of tree {self.name!r}") from None

    @cached_property
    def children(self) -> tuple[tuple[int, ...], ...]:
        """``children[i]``: indices of node ``i``'s children (empty for a leaf)."""
        kids: list[list[int]] = [[] for _ in self.nodes]
        for i, p in enumerate(self.parents):
            if p >= 0:
                kids[p].append(i)
        return tuple(tuple(k) for k in kids)

    @cached_property
    def depth(self) -> np.ndarray:
        d = np.zeros(len(self), dtype=np.int64)
        for i, p in enumerate(self.parents):
            if p >= 0:
                d[i] = d[p] + 1
        return d

    @property
    def max_depth(self) -> int:
        return int(self.depth.max())

    @cached_property
    def leaves(self) -> tuple[int, ...]:
        """Indices of the leaves, in node order."""
        return tuple(i for i, k in enumerate(self.children) if not k)

    @property
    def leaf_names(self) -> tuple[str, ...]:
        return tuple(self.nodes[i] for i in self.leaves)

    @cached_property
    def sibling_groups(self) -> tuple[tuple[int, ...], ...]:
        """Groups that share one softmax: ``(root,)`` first, then each internal node's children."""
        return ((0,),) + tuple(k for k in self.children if k)

    @cached_property
    def group(self) -> np.ndarray:
        g = np.empty(len(self), dtype=np.int64)
        for gi, members in enumerate(self.sibling_groups):
            g[list(members)] = gi
        return g

    @cached_property
    def ancestry(self) -> np.ndarray:
        a = np.zeros((len(self), len(self)), dtype=np.float32)
        for i in range(len(self)):
            j = i
            while j >= 0:
                a[i, j] = 1.0
                j = self.parents[j]
        return a

    def path(self, node: str | int) -> tuple[str, ...]:
        """Names from the root down to ``node`` (inclusive)."""
        i = self.index(node) if isinstance(node, str) else int(node)
        return tuple(self.nodes[j] for j in np.flatnonzero(self.ancestry[i]))

    def levels(self) -> list[tuple[int, ...]]:
        """``levels()[k]``: indices of the nodes at depth ``k``."""
        return [tuple(np.flatnonzero(self.depth == k)) for k in range(self.max_depth + 1)]

    # ---------------------------------------------------------------- targets and probabilities
    def path_targets(self, leaf_idx: np.ndarray) -> np.ndarray:
        """(N,) node indices of true leaves -> (N, K) float32 0/1 path indicators (root included)."""
        return self.ancestry[np.asarray(leaf_idx, dtype=np.int64)]

    def ancestor_at(self, idx: np.ndarray, level: int) -> np.ndarray:
        """Ancestor at depth ``level`` of each node in ``idx``; nodes shallower than ``level``
        (e.g. ORACLE's AGN leaf at level 2, asked for level 3) map to themselves."""
        idx = np.asarray(idx, dtype=np.int64)
        table = np.arange(len(self), dtype=np.int64)
        for i in range(len(self)):
            for j in np.flatnonzero(self.ancestry[i]):
                if self.depth[j] == level:
                    table[i] = j
        return table[idx]

    def marginals(self, conditionals: np.ndarray) -> np.ndarray:
        """(N, K) conditional probabilities p(node | parent) -> (N, K) marginals p(node) as the
        product along each path. The root's conditional is taken as 1. Parents precede children,
        so one pass in node order multiplies each node onto its parent's marginal (exact zeros stay
        zeros; a log-space product would turn 0 * log 0 into NaN)."""
        c = np.asarray(conditionals, dtype=np.float64)
        m = np.empty_like(c)
        m[..., 0] = 1.0
        for k in range(1, len(self.nodes)):
            m[..., k] = m[..., self.parents[k]] * c[..., k]
        return m

    def class_weights(self, leaf_idx: np.ndarray) -> np.ndarray:
        """(K,) weights ``N_total / (K * N_with_node)`` from the training leaves (Villar et al. 2023);
        nodes no training object passes through get weight 0."""
        counts = self.path_targets(leaf_idx).sum(axis=0).astype(np.float64)
        n_total = float(len(np.asarray(leaf_idx)))
        with np.errstate(divide="ignore"):
            w = np.where(counts > 0, n_total / (len(self) * counts), 0.0)
        return w.astype(np.float32)

    # ---------------------------------------------------------------- drawing
    def draw(self, probs: Sequence[float] | None = None) -> str:
        """An ascii drawing of the tree (with one probability per node when given)."""
        lines: list[str] = []

        def walk(i: int, prefix: str, last: bool, top: bool) -> None:
            label = self.labels[i]
            if probs is not None:
                label += f"  {probs[i]:.3f}"
            lines.append(label if top else prefix + ("└── " if last else "├── ") + label)
            kids = self.children[i]
            child_prefix = "" if top else prefix + ("    " if last else "│   ")
            for n, k in enumerate(kids):
                walk(k, child_prefix, n == len(kids) - 1, False)

        walk(0, "", True, True)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.draw()
