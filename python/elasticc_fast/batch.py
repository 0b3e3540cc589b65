"""`LightCurveBatch`: many light curves as flat observation columns plus offsets.

Object ``i`` owns observations ``offsets[i]:offsets[i + 1]`` of every column. Units follow
`elasticc_fast.units`: ``mjd`` in days (MJD), ``flux``/``flux_err`` in SNANA FLUXCAL (zero point
27.5) unless a reader says otherwise, ``flag`` the SNANA PHOTFLAG bits, ``band`` a uint8 index into
``units.BANDS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from .units import BAND_INDEX, BANDS

#: converter list columns -> (LightCurveBatch attribute, NumPy dtype)
ARROW_COLUMNS = {
    "MJD": ("mjd", np.float64),
    "BAND": ("band", np.uint8),
    "FLUXCAL": ("flux", np.float32),
    "FLUXCALERR": ("flux_err", np.float32),
    "PHOTFLAG": ("flag", np.int32),
}
_DTYPES = {attr: dtype for attr, dtype in ARROW_COLUMNS.values()}


@dataclass(eq=False)
class LightCurveBatch:
    """Light curves of ``n`` objects as flat columns (see docs/data_model.md).

    Attributes:
        mjd: (M,) float64, observation time in days (MJD).
        band: (M,) uint8, index into ``units.BANDS`` (``ugrizY`` = 0..5).
        flux, flux_err: (M,) float32, FLUXCAL (zero point 27.5) for SNANA data.
        flag: (M,) int32, PHOTFLAG bits (1024 saturated, 2048 trigger, 4096 detection).
        offsets: (n + 1,) int64, object ``i`` owns ``offsets[i]:offsets[i + 1]``; starts at 0.
        ids: (n,) object ids (int64 SNIDs, or strings for ZTF ids).
        static: ``pyarrow.Table`` of n rows, per-object scalars (HEAD columns, ``model``, ...);
            when none is given, a table with the ids as column ``id``.
        labels: optional (n,) integer labels.
        trigger_mjd: (n,) float64 trigger time of each object (MJD), set by ``preprocess``;
            None for a batch that was not preprocessed.
        n_dropped: objects ``preprocess`` dropped for having no detection (0 otherwise).
    """

    mjd: np.ndarray
    band: np.ndarray
    flux: np.ndarray
    flux_err: np.ndarray
    flag: np.ndarray
    offsets: np.ndarray
    ids: np.ndarray
    static: pa.Table = field(default=None)  # type: ignore[assignment]
    labels: np.ndarray | None = None
    trigger_mjd: np.ndarray | None = None
    n_dropped: int = 0

    def __post_init__(self) -> None:
        band = np.asarray(self.band)
        if band.size and band.dtype.kind in "iu" and band.dtype != np.uint8 and (band.min() < 0 or band.max() >= len(BANDS)):
            # check before the cast to uint8, which would wrap e.g. 256 to 0
            raise ValueError(f"LightCurveBatch: band index {int(band.max()) if band.max() >= len(BANDS) else int(band.min())} "
                             f"outside 0..{len(BANDS) - 1}")
        for name, dtype in _DTYPES.items():
            setattr(self, name, np.ascontiguousarray(getattr(self, name), dtype=dtype))
        self.offsets = np.ascontiguousarray(self.offsets, dtype=np.int64)
        n = len(self.offsets) - 1
        if n < 0 or self.offsets[0] != 0:
            raise ValueError("LightCurveBatch: offsets must have n + 1 >= 1 entries starting at 0")
        if np.any(np.diff(self.offsets) < 0):
            raise ValueError("LightCurveBatch: offsets must be non-decreasing")
        m = int(self.offsets[-1])
        for name in _DTYPES:
            if getattr(self, name).shape != (m,):
                raise ValueError(f"LightCurveBatch: {name} has shape {getattr(self, name).shape}, "
                                 f"expected ({m},) from offsets")
        if m and int(self.band.max()) >= len(BANDS):
            raise ValueError(f"LightCurveBatch: band index {int(self.band.max())} outside 0..{len(BANDS) - 1}")
        self.ids = np.asarray(self.ids)
        if self.ids.shape != (n,):
            raise ValueError(f"LightCurveBatch: ids has shape {self.ids.shape}, expected ({n},)")
        if self.static is None or (self.static.num_columns == 0 and n):
            # a table without columns cannot hold a row count: keep the ids as its one column
            self.static = pa.table({"id": pa.array(self.ids)})
        if self.static.num_rows != n:
            raise ValueError(f"LightCurveBatch: static has {self.static.num_rows} rows, expected {n}")
        if self.labels is not None:
            self.labels = np.asarray(self.labels)
            if self.labels.shape != (n,):
                raise ValueError(f"LightCurveBatch: labels has shape {self.labels.shape}, expected ({n},)")
        if self.trigger_mjd is not None:
            self.trigger_mjd = np.ascontiguousarray(self.trigger_mjd, dtype=np.float64)
            if self.trigger_mjd.shape != (n,):
                raise ValueError(f"LightCurveBatch: trigger_mjd has shape {self.trigger_mjd.shape}, expected ({n},)")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_arrow(cls, table: pa.Table, *, id_column: str = "SNID",
                   label_column: str | None = None) -> "LightCurveBatch":
        """Wrap the converter's table (one row per object, list columns MJD, BAND, FLUXCAL,
        FLUXCALERR, PHOTFLAG; see docs/data_model.md).

        List values are wrapped without copying when the column is one chunk, has no nulls and
        already has the batch's dtype (float64 MJD, float32 fluxes, int32 PHOTFLAG); BAND letters
        are mapped to uint8 through ``units.BAND_INDEX``. Every other column goes to ``static``.
        """
        missing = [c for c in ARROW_COLUMNS if c not in table.column_names]
        if missing:
            raise ValueError(f"from_arrow: table lacks list column(s) {missing}")
        if id_column not in table.column_names:
            raise ValueError(f"from_arrow: table lacks id column {id_column!r}")
        ids = table.column(id_column).to_numpy(zero_copy_only=False)
        offsets = None
        cols: dict[str, np.ndarray] = {}
        for name, (attr, dtype) in ARROW_COLUMNS.items():
            values, offs = _list_values(table.column(name), name)
            if offsets is None:
                offsets = offs
            elif not np.array_equal(offsets, offs):
                bad = int(np.flatnonzero(np.diff(offsets) != np.diff(offs))[0])
                raise ValueError(f"from_arrow: object {_id(ids, bad)!r} has {np.diff(offs)[bad]} {name} "
                                 f"values but {np.diff(offsets)[bad]} MJD values")
            cols[attr] = _band_codes(values, ids, offs) if attr == "band" else _to_numpy(values, dtype)
        labels = None
        if label_column is not None:
            labels = table.column(label_column).to_numpy(zero_copy_only=False)
        static = table.drop([c for c in ARROW_COLUMNS if c in table.column_names])
        return cls(offsets=offsets, ids=ids, static=static, labels=labels, **cols)

    @classmethod
    def from_arrays(cls, *, mjd: Any, band: Any, flux: Any, flux_err: Any, flag: Any,
                    ids: Any, offsets: Any = None, lengths: Any = None,
                    static: pa.Table | dict | None = None, labels: Any = None) -> "LightCurveBatch":
        """Build a batch from flat arrays (for readers other than SNANA: alerts, ZTF, ALeRCE).

        Give either ``offsets`` (n + 1) or ``lengths`` (n). ``band`` may be uint8 indices or band
        letters (mapped through ``units.BAND_INDEX``). ``ids`` may be integers or strings.
        ``static`` may be a dict of columns or a ``pyarrow.Table``.
        """
        if (offsets is None) == (lengths is None):
            raise ValueError("from_arrays: give exactly one of offsets or lengths")
        if offsets is None:
            offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])
        band = np.asarray(band)
        if band.dtype.kind in "USO":
            band = _letters_to_codes(band, np.asarray(ids), np.asarray(offsets, dtype=np.int64))
        if isinstance(static, dict):
            static = pa.table(static)
        return cls(mjd=mjd, band=band, flux=flux, flux_err=flux_err, flag=flag, offsets=offsets,
                   ids=ids, static=static, labels=labels)

    # ------------------------------------------------------------------ views
    @property
    def lengths(self) -> np.ndarray:
        """(n,) int64 observations per object."""
        return np.diff(self.offsets)

    @property
    def n_obs(self) -> int:
        """Total observations in the batch."""
        return int(self.offsets[-1])

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, key: slice | Sequence[int] | np.ndarray) -> "LightCurveBatch":
        """``batch[a:b]`` (contiguous, shares the observation arrays) or ``batch[indices]``."""
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step == 1:
                return self._slice(start, max(start, stop))
            key = np.arange(start, stop, step)
        return self.take(key)

    def _slice(self, start: int, stop: int) -> "LightCurveBatch":
        lo, hi = int(self.offsets[start]), int(self.offsets[stop])
        return self._replace(
            slice(lo, hi), self.offsets[start:stop + 1] - lo, slice(start, stop),
            self.static.slice(start, stop - start))

    def take(self, indices: Sequence[int] | np.ndarray) -> "LightCurveBatch":
        """A new batch with objects ``indices`` (in that order; copies their observations)."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.ndim != 1:
            raise ValueError("take: indices must be one-dimensional")
        if idx.size and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError(f"take: index out of range for a batch of {len(self)} objects")
        idx = idx % max(len(self), 1)
        lens = self.lengths[idx]
        new_offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        # gather positions of every observation of the chosen objects, vectorised
        starts = np.repeat(self.offsets[idx] - new_offsets[:-1], lens)
        rows = starts + np.arange(int(new_offsets[-1]), dtype=np.int64)
        return self._replace(rows, new_offsets, idx, self.static.take(pa.array(idx)))

    def _replace(self, rows: Any, offsets: np.ndarray, objs: Any, static: pa.Table) -> "LightCurveBatch":
        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[objs]

        return LightCurveBatch(
            mjd=self.mjd[rows], band=self.band[rows], flux=self.flux[rows],
            flux_err=self.flux_err[rows], flag=self.flag[rows], offsets=offsets,
            ids=self.ids[objs], static=static, labels=pick(self.labels),
            trigger_mjd=pick(self.trigger_mjd), n_dropped=self.n_dropped)

    def object(self, i: int) -> dict[str, np.ndarray]:
        """The observations of object ``i`` as a dict of arrays (views)."""
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return {name: getattr(self, name)[lo:hi] for name in _DTYPES}

    def __repr__(self) -> str:
        return (f"LightCurveBatch({len(self)} objects, {self.n_obs} observations, "
                f"{self.static.num_columns} static columns, labels={'yes' if self.labels is not None else 'no'}, "
                f"preprocessed={'yes' if self.trigger_mjd is not None else 'no'})")


# ---------------------------------------------------------------------- Arrow helpers
def _list_values(column: pa.ChunkedArray | pa.Array, name: str) -> tuple[pa.Array, np.ndarray]:
    """The flat values of a list column (only the part its rows use) and int64 offsets from 0."""
    if isinstance(column, pa.ChunkedArray):  # combine_chunks copies even a single chunk
        arr = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    else:
        arr = column
    if not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
        raise ValueError(f"from_arrow: column {name} is {arr.type}, expected a list column")
    offs = arr.offsets.to_numpy().astype(np.int64, copy=False)
    if arr.null_count:  # a null list owns no values; Arrow keeps offsets equal for it
        offs = offs.copy()
    lo, hi = int(offs[0]), int(offs[-1])
    values = arr.values.slice(lo, hi - lo)
    return values, offs - lo


def _to_numpy(values: pa.Array, dtype: type) -> np.ndarray:
    """Zero-copy when the Arrow type is the target and there are no nulls; else cast (nulls -> NaN)."""
    target = pa.from_numpy_dtype(dtype)
    if values.null_count:
        if not np.issubdtype(dtype, np.floating):
            raise ValueError(f"from_arrow: null values in an integer column ({values.type})")
        values = values.fill_null(float("nan"))
    if values.type != target:
        values = values.cast(target)
    return values.to_numpy(zero_copy_only=values.null_count == 0)


def _band_codes(values: pa.Array, ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """BAND strings (one letter, maybe padded) -> uint8 indices into ``units.BANDS``."""
    import pyarrow.compute as pc  # here, not at import: the CLI's start-up goes without it (0.1 s CPU)

    if pa.types.is_integer(values.type):
        return _to_numpy(values, np.uint8)
    enc = pc.utf8_trim_whitespace(values).dictionary_encode()
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    letters = enc.dictionary.to_pylist()
    unknown = [b for b in letters if b not in BAND_INDEX]
    if unknown:
        bad = np.flatnonzero(pc.is_in(enc.dictionary.take(enc.indices), pa.array(unknown)).to_numpy(zero_copy_only=False))[0]
        obj = int(np.searchsorted(offsets, bad, side="right") - 1)
        raise ValueError(f"from_arrow: object {_id(ids, obj)!r} has unknown band {unknown[0]!r} "
                         f"(known: {sorted(BAND_INDEX)})")
    lut = np.array([BAND_INDEX[b] for b in letters], dtype=np.uint8)
    return lut[enc.indices.to_numpy(zero_copy_only=False)] if len(lut) else np.zeros(0, np.uint8)


def _id(ids: np.ndarray, i: int) -> Any:
    """Object id ``i`` as a plain Python value (for error messages)."""
    v = ids[i]
    return v.item() if isinstance(v, np.generic) else v


def _letters_to_codes(band: np.ndarray, ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return _band_codes(pa.array(band.astype(str)), ids, offsets)
