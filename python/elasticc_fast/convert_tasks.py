"""The converter's worker tasks: everything that touches rows runs here, in the worker processes
(or Dask workers), never in the process that plans the run (:mod:`elasticc_fast.convert`).

- :func:`write_part`: read a chunk of consecutive HEAD/PHOT pairs of one model (one C++ call per
  run of pairs with the same columns), conform them to the run's schema and write them as one
  Parquet row group in a part file.
- :func:`merge_parts`: join a model's part files into its output by copying the column chunks
  (:func:`elasticc_fast.io.parquet_concat.concat_parquet`), so the bytes do not depend on which
  worker wrote which part.
- :func:`rewrite_output`: a kept output of an earlier run, rewritten with this run's schema when
  a new model brought new columns (one schema for every file of the folder).
- :func:`read_headers`: the FITS headers of a list of files (column descriptions).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .io.parquet_concat import concat_parquet, read_footer
from .io.snana import SnanaFormatError, _engine, read_snana, read_snana_many, schema_from_header

if TYPE_CHECKING:
    import pyarrow.parquet as pq

__all__ = ["PartTask", "PartResult", "write_part", "merge_parts", "rewrite_output", "read_headers",
           "conform", "fits_schema", "parquet_writer", "META_KEY"]

PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 1}  # decode speed of snappy, smaller
META_KEY = b"elasticc_fast.convert"
# errors that concern one file pair: reported and skipped with on_error="skip"
PAIR_ERRORS = (SnanaFormatError, OSError, pa.ArrowInvalid, pa.ArrowTypeError)


@dataclass(frozen=True)
class PartTask:
    """One part of one model's output: consecutive file pairs, read and written together.

    keys: each pair's header key (its files' column descriptions) when the headers were read
    first, else None: the schema is then a guess from first files, and a pair that does not fit
    it stops the task (``PartResult.grew``). The pairs are file names in ``folder`` (strings:
    a task is pickled to a worker, and Path objects cost the planning process more)."""
    folder: str
    heads: tuple[str, ...]
    phots: tuple[str, ...]
    keys: tuple | None
    schema: pa.Schema
    model: str
    path: Path
    layout: str = "pointers"
    snid: str = "int64"
    on_error: str = "stop"

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The HEAD and PHOT paths of each pair."""
        join = os.path.join
        return [(join(self.folder, h), join(self.folder, p)) for h, p in zip(self.heads, self.phots, strict=True)]


@dataclass
class PartResult:
    """What a part task did. ``failures``: ``(head file, reason)`` in pair order."""
    n_pairs: int = 0
    n_objects: int = 0
    n_observations: int = 0
    written: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    grew: str | None = None


class _SchemaGrew(Exception):
    """A pair has columns (or wider types) beyond the schema the run started with."""


def conform(table: pa.Table, schema: pa.Schema, model: str | None, head: Any) -> pa.Table:
    """``table`` with the columns of ``schema`` in its order and types (absent ones null); the
    ``model`` column set to ``model`` when given."""
    index = {name: i for i, name in enumerate(table.column_names)}
    extra = set(index) - set(schema.names)
    if extra:
        raise SnanaFormatError(f"{head}: columns {sorted(extra)} are not in the run's schema")
    n = table.num_rows
    cols = []
    for f in schema:
        if f.name == "model" and model is not None:
            cols.append(pa.array([model] * n, f.type))
        elif f.name in index:
            col = table.column(index[f.name])
            cols.append(col if col.type == f.type else col.cast(f.type))
        else:
            cols.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def fits_schema(other: pa.Table | pa.Schema, schema: pa.Schema) -> bool:
    """Whether conforming ``other`` to ``schema`` is what the union of both schemas would give."""
    base = pa.schema([f for f in schema if f.name != "model"])
    other = other if isinstance(other, pa.Schema) else other.schema
    if other.equals(base):
        return True
    try:
        return pa.unify_schemas([base, other], promote_options="permissive").equals(base)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False


def _header_fits(head: str, phot: str, schema: pa.Schema, snid: str) -> bool:
    """For a pair that failed to read: whether its headers (if they read) fit ``schema``; the
    run's schema is the union of all readable headers, failed pairs included."""
    h, p = _engine("auto").read_fits_headers([str(head), str(phot)])
    if h[0] != "ok" or p[0] != "ok":
        return True
    try:
        return fits_schema(schema_from_header(*parse_key((h[2], p[2])), str(head), str(phot), snid=snid), schema)
    except SnanaFormatError:
        return True


def parse_key(key: tuple[str, str]) -> tuple[list, list]:
    """HEAD and PHOT column descriptions ``[(name, kind, tform), ...]`` from a header key."""
    return tuple([tuple(line.split("\t")) for line in sig.splitlines()] for sig in key)  # type: ignore


def _groups(task: PartTask) -> list[list[tuple[str, str]]]:
    """Consecutive pairs with the same columns (all pairs as one group when the keys are unknown)."""
    pairs = task.pairs
    if task.keys is None:
        return [pairs]
    groups: list[list[tuple[str, str]]] = []
    for i, pair in enumerate(pairs):
        if not groups or task.keys[i] != task.keys[i - 1]:
            groups.append([])
        groups[-1].append(pair)
    return groups


def _read_group(group: list[tuple[str, str]], task: PartTask) -> list[tuple[str, pa.Table | None, Exception | None]]:
    """``(head, table, error)`` per pair of a group; one C++ call unless a pair fails (then one by
    one, so each failure is reported on its own)."""
    speculative = task.keys is None
    try:
        table = read_snana_many(group, layout=task.layout, snid=task.snid)
        if speculative and not fits_schema(table, task.schema):
            raise _SchemaGrew(str(group[0][0]))
        table = conform(table, task.schema, task.model, group[0][0])
        return [(group[0][0], table, None)] + [(h, None, None) for h, _ in group[1:]]
    except _SchemaGrew:
        if len(group) == 1:
            raise
    except PAIR_ERRORS:
        pass  # find out which pair(s) failed below
    out: list[tuple[str, pa.Table | None, Exception | None]] = []
    for head, phot in group:
        try:
            table = read_snana(head, phot, layout=task.layout, snid=task.snid)
            if speculative and not fits_schema(table, task.schema):
                raise _SchemaGrew(str(head))
            out.append((head, conform(table, task.schema, task.model, head), None))
        except PAIR_ERRORS as e:
            if speculative and not _header_fits(head, phot, task.schema, task.snid):
                raise _SchemaGrew(str(head)) from None
            if task.on_error == "stop":
                raise
            out.append((head, None, e))
    return out


def n_observations(table: pa.Table) -> int:
    """Observations in a converted table (the lengths of its MJD lists)."""
    if "MJD" in table.column_names and table.num_rows:
        col = table["MJD"]
        return sum(int(c.offsets[-1].as_py()) - int(c.offsets[0].as_py()) for c in col.chunks)
    return 0


def write_part(task: PartTask) -> PartResult:
    """Read, conform and write one part (one row group); see :class:`PartTask`. With
    ``on_error="stop"`` the first bad pair's error is raised."""
    result, tables = PartResult(), []
    try:
        for group in _groups(task):
            for head, table, error in _read_group(group, task):
                if error is not None:
                    result.failures.append((str(head), str(error)))
                    continue
                result.n_pairs += 1
                if table is not None and table.num_rows:
                    tables.append(table)
    except _SchemaGrew as grew:
        return PartResult(grew=str(grew))
    if tables:
        table = pa.concat_tables(tables)
        result.n_objects, result.n_observations = table.num_rows, n_observations(table)
        with parquet_writer(task.path, task.schema) as writer:
            writer.write_table(table, row_group_size=table.num_rows)
        result.written = True
    return result


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Leaf paths of the non-float columns: strings, flags and integer codes repeat, so dictionary
    encoding pays; floats (MJD, fluxes) rarely do and only cost the attempt."""
    out = []
    for f in schema:
        t, path = f.type, f.name
        if pa.types.is_list(t):
            t, path = t.value_type, f"{f.name}.list.element"
        if not pa.types.is_floating(t):
            out.append(path)
    return out


def parquet_writer(path: str | Path, schema: pa.Schema) -> pq.ParquetWriter:
    """The converter's Parquet writer (zstd level 1, dictionaries for non-float columns)."""
    import pyarrow.parquet as pq  # here, not at the top: the planning process imports this module too

    return pq.ParquetWriter(path, schema, use_dictionary=dictionary_columns(schema), **PARQUET_OPTIONS)


def _template_footer(schema: pa.Schema, path: Path) -> bytes:
    """The footer of a file with ``schema`` (metadata included) and no rows."""
    parquet_writer(path, schema).close()
    try:
        with open(path, "rb") as f:
            return read_footer(f, str(path))[0]
    finally:
        path.unlink()


def merge_parts(parts: list[Path], out: Path, schema: pa.Schema) -> int:
    """Join a model's part files (in order) into ``out`` under ``schema`` with its metadata;
    returns the rows. With no parts, ``out`` is a valid file with no rows."""
    footer = _template_footer(schema, out.with_name(out.name + ".empty"))
    rows = concat_parquet(parts, out, footer)
    for part in parts:
        part.unlink()
    return rows


def rewrite_output(path: Path, out: Path, schema: pa.Schema) -> int:
    """Write the Parquet file ``path`` to ``out`` conformed to ``schema`` (same row groups, its own
    ``elasticc_fast.convert`` metadata kept); returns the rows."""
    import pyarrow.parquet as pq

    src = pq.ParquetFile(path)
    meta = (src.schema_arrow.metadata or {}).get(META_KEY)
    if meta is not None:
        schema = schema.with_metadata({META_KEY: meta})
    rows = 0
    with parquet_writer(out, schema) as writer:
        for i in range(src.num_row_groups):
            table = conform(src.read_row_group(i), schema, None, path)
            writer.write_table(table, row_group_size=max(1, table.num_rows))
            rows += table.num_rows
    return rows


def read_headers(files: list[str]) -> list[tuple]:
    """The FITS headers of ``files``: ``("ok", ..., key)`` or ``("error", reason)`` per file."""
    return list(_engine("auto").read_fits_headers(files))


def model_metadata(model: str, names: list[str], layout: str, version: str) -> dict[bytes, bytes]:
    """The ``elasticc_fast.convert`` entry of a model's output: where it came from."""
    meta = {"model": model, "pairs": names, "layout": layout, "elasticc_fast": version}
    return {META_KEY: json.dumps(meta).encode()}
