"""Joining Parquet files by copying their column chunks and rewriting the footer: every reader
reads the joined file as the concatenation of the parts (statistics and page indexes included)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elasticc_fast.io.parquet_concat import concat_parquet, footer_of, shift_row_groups

SCHEMA = pa.schema([("a", pa.int64()), ("s", pa.string()), ("l", pa.list_(pa.float64())), ("b", pa.bool_())])


def _part(path, n, seed, **opts):
    rng = np.random.default_rng(seed)
    t = pa.table({"a": rng.integers(-5, 5, n), "s": [f"x{i % 3}" if i % 7 else None for i in range(n)],
                  "l": pa.array([list(rng.random(i % 4)) for i in range(n)], pa.list_(pa.float64())),
                  "b": [i % 2 == 0 for i in range(n)]}, schema=SCHEMA)
    pq.write_table(t, path, compression="zstd", use_dictionary=["a", "s"], **opts)
    return t


def _template(path, **opts):
    pq.ParquetWriter(path, SCHEMA.with_metadata({b"who": b"us"}), compression="zstd", **opts).close()
    return footer_of(path)


@pytest.mark.parametrize("opts", [{}, {"write_page_index": True, "row_group_size": 40}])
def test_concat_reads_as_the_concatenation(tmp_path, opts):
    import duckdb
    import polars as pl

    parts = [tmp_path / f"p{k}.parquet" for k in range(3)]
    tables = [_part(p, n, k, **opts) for k, (p, n) in enumerate(zip(parts, (5, 130, 77), strict=True))]
    footer = _template(tmp_path / "empty.parquet")
    for p in parts:  # moved by 0, a part's row groups are its own bytes
        raw = footer_of(p)
        groups, rows, _ = shift_row_groups(raw, 0, 0)
        assert b"".join(groups) in raw and rows == pq.ParquetFile(p).metadata.num_rows
    out = tmp_path / "all.parquet"
    assert concat_parquet(parts, out, footer) == 212
    want = pa.concat_tables(tables)
    got = pq.read_table(out)
    assert got.schema.metadata == {b"who": b"us"}
    assert got.replace_schema_metadata(None).equals(want)
    meta = pq.ParquetFile(out).metadata
    groups = [pq.ParquetFile(p).metadata.num_row_groups for p in parts]
    assert meta.num_row_groups == sum(groups)
    stats = meta.row_group(groups[0]).column(0).statistics
    assert (stats.min, stats.max) == (min(tables[1]["a"].to_pylist()[:stats.num_values]),
                                     max(tables[1]["a"].to_pylist()[:stats.num_values]))
    if opts:  # page indexes: filtered reads use them
        assert pq.ParquetFile(out).metadata.row_group(1).column(0).has_offset_index
    assert pl.read_parquet(out).to_arrow().cast(want.schema).equals(want)
    assert duckdb.sql(f"SELECT sum(a), count(s) FROM '{out}'").fetchall() == [
        (sum(want["a"].to_pylist()), want["s"].drop_null().length())]


def test_no_parts_is_an_empty_file_and_other_schemas_are_refused(tmp_path):
    footer = _template(tmp_path / "empty.parquet")
    assert concat_parquet([], tmp_path / "none.parquet", footer) == 0
    assert pq.read_table(tmp_path / "none.parquet").num_rows == 0
    pq.write_table(pa.table({"z": [1]}), tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="other.parquet: Parquet schema differs"):
        concat_parquet([tmp_path / "other.parquet"], tmp_path / "bad.parquet", footer)
    (tmp_path / "junk.parquet").write_bytes(b"not a parquet file at all")
    with pytest.raises(ValueError, match="junk.parquet: not a Parquet file"):
        concat_parquet([tmp_path / "junk.parquet"], tmp_path / "bad2.parquet", footer)
