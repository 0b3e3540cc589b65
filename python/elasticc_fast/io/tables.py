"""Reading converted Parquet (a file or a folder of them) and ELAsTiCC alerts as one table.

    from elasticc_fast.io.tables import read_table, load_batch
    table = read_table("converted/")        # pyarrow.Table, every *.parquet below the folder
    batch = load_batch("alerts/")           # LightCurveBatch (alerts keyed by alertId)
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import pyarrow as pa

from ..batch import LightCurveBatch
from ..errors import DataError

PathLike = str | os.PathLike


def parquet_files(path: PathLike, *, recursive: bool = True) -> list[Path]:
    """``path`` itself when it is a file, else its ``*.parquet`` files (below it when
    ``recursive``), sorted. ``FileNotFoundError`` when ``path`` does not exist, ``DataError``
    when a folder holds no Parquet file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if not path.is_dir():
        return [path]
    files = sorted(path.rglob("*.parquet") if recursive else path.glob("*.parquet"))
    if not files:
        raise DataError(f"{path}: no .parquet files (write them with `elasticc-fast convert`)")
    return files


def read_parquet_folder(path: PathLike, *, recursive: bool = True, required: Sequence[str] = ()) -> pa.Table:
    """All Parquet files of :func:`parquet_files` as one table (schemas unified: a column missing
    from a file is null there). A file that cannot be read, or lacks a ``required`` column,
    raises :class:`~elasticc_fast.errors.DataError` naming it."""
    import pyarrow.parquet as pq

    tables = []
    for f in parquet_files(path, recursive=recursive):
        try:
            t = pq.read_table(f)
        except (OSError, pa.ArrowInvalid) as exc:
            raise DataError(f"{f}: cannot read Parquet ({exc})") from None
        missing = [c for c in required if c not in t.column_names]
        if missing:
            raise DataError(f"{f}: no {missing[0]!r} column (was it written by `elasticc-fast convert`?)")
        tables.append(t)
    return pa.concat_tables(tables, promote_options="permissive")


def read_table(source: PathLike) -> pa.Table:
    """Converted Parquet (a file or a folder of ``<MODEL>.parquet``) or ELAsTiCC alerts -> table."""
    from .alerts import is_alert_input, read_alerts

    if is_alert_input(Path(source)):
        return read_alerts(Path(source))
    return read_parquet_folder(source)


def load_batch(source: PathLike) -> LightCurveBatch:
    """:func:`read_table` wrapped as a ``LightCurveBatch`` (alerts keyed by ``alertId``)."""
    table = read_table(source)
    id_column = "alertId" if "alertId" in table.column_names else "SNID"
    return LightCurveBatch.from_arrow(table, id_column=id_column)


def load_training_batch(folder: PathLike) -> LightCurveBatch:
    """The ``*.parquet`` files of ``folder`` (from ``elasticc-fast convert``) as one batch, after
    checking that every value of their ``model`` column names an ORACLE leaf."""
    from ..taxonomy import leaf_for_model

    table = read_parquet_folder(folder, recursive=False, required=("model",))
    for m in set(table.column("model").to_pylist()):
        try:
            leaf_for_model(m)
        except KeyError as e:
            raise DataError(f"{folder}: {e.args[0]}") from None
    return LightCurveBatch.from_arrow(table)


def load_training_set(folder: PathLike, kind: str = "parquet"):
    """(labelled LightCurveBatch, taxonomy tree) to train on: ``kind="parquet"`` the converted
    ELAsTiCC files of ``folder`` (:func:`load_training_batch`, ORACLE's tree), ``"bts"`` the ZTF
    BTS folder (:func:`elasticc_fast.io.bts.read_bts`, the BTS tree)."""
    if kind == "bts":
        from ..taxonomy.ztf import BTS_TREE
        from .bts import read_bts

        return read_bts(folder, tree=BTS_TREE), BTS_TREE
    if kind != "parquet":
        raise ValueError(f"unknown training data kind {kind!r}: 'parquet' or 'bts'")
    from ..taxonomy import ORACLE_TREE

    return load_training_batch(folder), ORACLE_TREE
