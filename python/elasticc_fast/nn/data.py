"""From windows (``AugmentedBatch``-like arrays) to fixed-shape model batches.

Batches have a fixed number of rows (padded with zero-weight rows) and a padded length taken
from a short list of buckets, so each (rows, length) shape compiles once. Windows are grouped by
length before batching: most batches then pad little.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .config import STATIC_ENCODINGS


@dataclass
class Batch:
    """One fixed-shape model batch: ``x`` (B, T, F) float32, ``lengths`` (B,) int32 (>= 1),
    ``static`` (B, S) float32 (normalised), ``label`` (B,) int64 leaf node index (0 on padding
    rows), ``weight`` (B,) float32 (1 for real rows, 0 for padding); ``aux`` (B, A) float32
    standardised auxiliary targets (NaN: unknown and on padding rows) or None (no auxiliary head)."""

    x: np.ndarray
    lengths: np.ndarray
    static: np.ndarray
    label: np.ndarray
    weight: np.ndarray
    aux: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays())

    def arrays(self) -> tuple[np.ndarray, ...]:
        base = (self.x, self.lengths, self.static, self.label, self.weight)
        return base if self.aux is None else (*base, self.aux)


_QUANTILES = 64          # training quantiles kept per column by the quantile encoding
_U_CLIP = 1e-3           # the quantile encoding's uniform value is clipped to [c, 1-c]: |z| <= 3.09


@dataclass(frozen=True)
class StaticNorm:
    """Encoding of the static (tabular) inputs, fitted on the training windows, saved with the model.

    - ``standard`` (``edges`` None): ``(s - mean) / scale``, NaN -> 0, clipped to +-10;
    - ``quantile`` (``kind="quantile"``, ``edges`` (Q, S): training quantiles of each column):
      each value's training CDF mapped to a standard normal (scikit-learn's QuantileTransformer
      with ``output_distribution="normal"``), NaN -> 0;
    - ``ple`` (``edges`` (B+1, S): bin edges at training quantiles): piecewise-linear encoding
      (Gorishniy et al. 2022), B columns per input, bin ``t`` = clip((s - e_t) / (e_{t+1} - e_t),
      0, 1), NaN -> all 0.

    ``missing`` (M,) columns whose NaN/inf get a 0/1 indicator appended after the encoded columns
    (those with a missing value in training). :attr:`width` is the number of outputs.
    """

    mean: np.ndarray
    scale: np.ndarray
    kind: str = "standard"
    edges: np.ndarray | None = None
    missing: np.ndarray | None = None

    @property
    def width(self) -> int:
        """Columns of the encoded output (the network's tabular input width)."""
        n_in = len(self.mean)
        per = self.edges.shape[0] - 1 if self.kind == "ple" and self.edges is not None else 1
        return n_in * per + (0 if self.missing is None else len(self.missing))

    @classmethod
    def fit(cls, static: np.ndarray, kind: str = "standard", missing: bool = False, bins: int = 8) -> "StaticNorm":
        """Fit on training windows ``static`` (n, S); ``bins``: the ``ple`` bins per column."""
        if kind not in STATIC_ENCODINGS:
            raise ValueError(f"static encoding must be one of {', '.join(STATIC_ENCODINGS)}, not {kind!r}")
        s = np.asarray(static, dtype=np.float64)
        if s.shape[1] == 0:
            return cls(np.zeros(0, np.float32), np.ones(0, np.float32))
        finite = np.isfinite(s)
        cnt = np.maximum(finite.sum(axis=0), 1)
        mean = np.where(finite, s, 0.0).sum(axis=0) / cnt
        var = (np.where(finite, s - mean, 0.0) ** 2).sum(axis=0) / cnt
        scale = np.where(var > 1e-12, np.sqrt(var), 1.0)
        edges = None if kind == "standard" else _column_quantiles(s, _QUANTILES if kind == "quantile" else bins + 1)
        miss = np.flatnonzero(~finite.all(axis=0)).astype(np.int64) if missing else None
        return cls(mean.astype(np.float32), scale.astype(np.float32), kind, edges, miss)

    def __call__(self, static: np.ndarray) -> np.ndarray:
        s = np.asarray(static, dtype=np.float32)
        if self.kind == "standard":
            z = np.clip(np.nan_to_num((s - self.mean) / self.scale, nan=0.0, posinf=10.0, neginf=-10.0), -10.0, 10.0)
        elif self.kind == "quantile":
            z = _quantile_normal(s.astype(np.float64), self.edges)
        else:
            z = _piecewise_linear(s.astype(np.float64), self.edges)
        if self.missing is not None and len(self.missing):
            z = np.concatenate([z, (~np.isfinite(s[:, self.missing])).astype(np.float32)], axis=1)
        return np.asarray(z, np.float32)

    def to_dict(self) -> dict:
        d = {"mean": self.mean.tolist(), "scale": self.scale.tolist()}
        if self.kind != "standard":
            d |= {"kind": self.kind, "edges": self.edges.tolist()}
        if self.missing is not None:
            d["missing"] = self.missing.tolist()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "StaticNorm":
        edges = None if d.get("edges") is None else np.asarray(d["edges"], np.float64).reshape(-1, len(d["mean"]))
        miss = None if d.get("missing") is None else np.asarray(d["missing"], np.int64)
        return cls(np.asarray(d["mean"], np.float32), np.asarray(d["scale"], np.float32), d.get("kind", "standard"),
                   edges, miss)


def _column_quantiles(s: np.ndarray, n: int) -> np.ndarray:
    """(n, S) quantiles 0, 1/(n-1), ..., 1 of each column's finite values (0 where none)."""
    clean = np.where(np.isfinite(s), s, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        q = np.nanquantile(clean, np.linspace(0.0, 1.0, n), axis=0)
    return np.nan_to_num(q, nan=0.0)


def _quantile_normal(s: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Each column's training CDF (interpolated between quantiles ``q``; ties averaged from both
    sides, as scikit-learn does) mapped to a standard normal; NaN -> 0."""
    from scipy.special import ndtri

    ref = np.linspace(0.0, 1.0, q.shape[0])
    out = np.zeros(s.shape, np.float64)
    for j in range(s.shape[1]):
        x, qj = s[:, j], q[:, j]
        u = 0.5 * (np.interp(x, qj, ref) - np.interp(-x, -qj[::-1], -ref[::-1]))
        out[:, j] = ndtri(np.clip(u, _U_CLIP, 1.0 - _U_CLIP))
    return np.where(np.isnan(s), 0.0, out)


def _piecewise_linear(s: np.ndarray, e: np.ndarray) -> np.ndarray:
    """(n, S * B) piecewise-linear encoding with bin edges ``e`` (B+1, S): column ``j * B + t`` is
    how far ``s[:, j]`` has crossed bin ``t`` (0..1; a zero-width bin is a step); NaN -> 0."""
    lo, hi = e[:-1][None], e[1:][None]                       # (1, B, S)
    x = s[:, None, :]
    width = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(width > 0, (x - lo) / np.where(width > 0, width, 1.0), (x >= hi).astype(np.float64))
    frac = np.nan_to_num(np.clip(frac, 0.0, 1.0), nan=0.0)
    return np.swapaxes(frac, 1, 2).reshape(len(s), -1)


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
                   idx: np.ndarray, rows: int, buckets: tuple[int, ...], aux: np.ndarray | None = None) -> Batch:
    """:func:`take_batch` of rows ``idx`` with their labels (``static`` already normalised) and,
    when given, their auxiliary targets (padding rows NaN)."""
    xb, lb, sb, wb = take_batch(x, lengths, static, idx, rows, buckets)
    leaf = np.zeros(rows, np.int64)
    leaf[:len(idx)] = label[idx]
    ab = None
    if aux is not None:
        ab = np.full((rows, aux.shape[1]), np.nan, np.float32)
        ab[:len(idx)] = aux[idx]
    return Batch(xb, lb, sb, leaf, wb, ab)


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
