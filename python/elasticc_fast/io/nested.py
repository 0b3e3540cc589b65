"""Converted Parquet as a :class:`nested_pandas.NestedFrame`: one row per object, the HEAD columns
as ordinary columns and the light curve as one nested column ``lc`` (MJD, BAND, FLUXCAL,
FLUXCALERR, PHOTFLAG, ...), so LSDB-style queries work at once::

    nf = elasticc_fast.read_parquet("parquet/")
    nf.query("lc.PHOTFLAG >= 4096")      # keep the detections of every light curve

Needs the ``nested`` extra (``pip install "elasticc_fast[nested]"``).
"""
from __future__ import annotations

import os
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataError, MissingExtraError
from .tables import read_parquet_folder

#: name of the nested light-curve column
LC = "lc"


def _filled(column: pa.Array, like: pa.ListArray) -> pa.Array:
    """``column`` (a list column) with null rows replaced by lists of nulls as long as ``like``'s rows
    (a model without this PHOT column), so every field of the nested column has the same lengths."""
    if column.null_count == 0:
        return column
    nulls = pa.ListArray.from_arrays(like.offsets, pa.nulls(len(like.values), column.type.value_type))
    return pc.if_else(pc.is_null(column), nulls, column)


def nest_light_curves(table: pa.Table, name: str = LC) -> pa.Table:
    """``table`` with its list columns (the PHOT columns) packed into one struct-of-lists column ``name``."""
    lists = [f.name for f in table.schema if pa.types.is_list(f.type) or pa.types.is_large_list(f.type)]
    if "MJD" not in lists:
        raise DataError(f"no MJD list column: not converted light curves (list columns: {lists})")
    table = table.combine_chunks()
    mjd = table["MJD"].chunk(0) if table.num_rows else pa.array([], table.schema.field("MJD").type)
    fields = [_filled(table[c].chunk(0), mjd) if table.num_rows else table[c].combine_chunks() for c in lists]
    lc = pa.StructArray.from_arrays(fields, names=lists)
    return table.drop_columns(lists).append_column(name, lc)


def read_parquet(path: str | os.PathLike, columns: list[str] | None = None) -> Any:
    """Converted Parquet (a file or a folder from ``elasticc-fast convert``) as a ``NestedFrame``.

    ``columns``: read only these columns (HEAD or PHOT names; PHOT ones end up inside ``lc``).
    Fluxes stay in FLUXCAL units and times in MJD (days), as in the files.
    """
    try:
        import nested_pandas as npd
    except ModuleNotFoundError as exc:
        raise MissingExtraError("elasticc_fast.read_parquet", "nested", "nested-pandas") from exc
    table = read_parquet_folder(path, recursive=False)
    if columns is not None:
        missing = sorted(set(columns) - set(table.column_names))
        if missing:
            raise DataError(f"{path}: no column(s) {missing}")
        table = table.select(list(dict.fromkeys([*columns, "MJD"])))
    return npd.from_pyarrow(nest_light_curves(table))
