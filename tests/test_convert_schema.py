"""One schema per convert run: pyarrow, pandas, polars and DuckDB read the output folder whole
(every column of every model); a rerun that adds a model with new columns widens the kept outputs."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elasticc_fast.convert import convert, find_models
from elasticc_fast.io.snana import read_snana
from snana_factory import write_pair

pytestmark = pytest.mark.cpp


def _raw(root):
    """Three models with different HEAD columns (as ELAsTiCC's KN, M-dwarf and SNIb files)."""
    write_pair(root / "SIM_01_KN_K17", "SIM_01_NONIaMODEL0-0001", [3, 2], seed=1, snid_start=10,
               extra_head={"KN_ONLY": np.array([1.5, 2.5], np.float32)})
    write_pair(root / "SIM_01_Mdwarf-flare", "SIM_01_NONIaMODEL0-0001", [4], seed=2, snid_start=20)
    write_pair(root / "SIM_01_SNIb-Templates", "SIM_01_NONIaMODEL0-0001", [1, 5, 2], seed=3, snid_start=30,
               extra_head={"SN_ONLY": np.array([7, 8, 9], np.int16)})
    return root


def _every_column(raw) -> set[str]:
    cols = {"model"}
    for _, folder in find_models(raw):
        for head in folder.glob("*_HEAD.FITS.gz"):
            cols |= set(read_snana(head, str(head).replace("_HEAD.", "_PHOT.")).column_names)
    return cols


def test_every_reader_gets_every_column_of_every_model(tmp_path):
    import duckdb
    import pandas as pd
    import polars as pl

    raw, out = _raw(tmp_path / "raw"), tmp_path / "out"
    convert(raw, out)
    want = _every_column(raw)
    assert {"KN_ONLY", "SN_ONLY"} <= want
    t = pq.read_table(out)
    assert set(t.column_names) == want and t.num_rows == 6
    assert t.filter(pa.compute.equal(t["model"], "KN_K17"))["KN_ONLY"].to_pylist() == [1.5, 2.5]
    df = pd.read_parquet(out)
    assert set(df.columns) == want and len(df) == 6
    assert sorted(df["SN_ONLY"].dropna().astype(int)) == [7, 8, 9]
    for frame in (pl.read_parquet(f"{out}/*.parquet"), pl.scan_parquet(f"{out}/*.parquet").collect()):
        assert set(frame.columns) == want and frame.height == 6
        assert frame["KN_ONLY"].drop_nulls().to_list() == [1.5, 2.5]
    rel = duckdb.sql(f"SELECT * FROM '{out}/*.parquet'")
    assert set(rel.columns) == want
    assert duckdb.sql(f"SELECT count(*), sum(SN_ONLY) FROM '{out}/*.parquet'").fetchall() == [(6, 24)]


def test_rerun_with_a_new_model_widens_the_kept_outputs(tmp_path):
    import polars as pl

    raw, out = _raw(tmp_path / "raw"), tmp_path / "out"
    convert(raw, out)
    kn_before = pq.read_table(out / "KN_K17.parquet")
    write_pair(raw / "SIM_01_AGN", "SIM_01_NONIaMODEL0-0001", [2], seed=4, snid_start=40,
               extra_head={"AGN_ONLY": np.array([3], np.int32)})
    s = convert(raw, out)
    assert {m.model: m.status for m in s.models} == {
        "AGN": "written", "KN_K17": "rewritten", "Mdwarf-flare": "rewritten", "SNIb-Templates": "rewritten"}
    assert "rewritten with the new columns" in s.describe()
    schemas = {p.name: pq.read_schema(p).remove_metadata() for p in out.glob("*.parquet")}
    assert len(set(map(str, schemas.values()))) == 1 and "AGN_ONLY" in schemas["KN_K17.parquet"].names
    kn = pq.read_table(out / "KN_K17.parquet")
    assert kn.select(kn_before.column_names).equals(kn_before.cast(kn.select(kn_before.column_names).schema))
    assert kn["AGN_ONLY"].null_count == 2
    assert pl.read_parquet(f"{out}/*.parquet")["AGN_ONLY"].drop_nulls().to_list() == [3]
    again = convert(raw, out)  # all one schema now: nothing rewritten
    assert {m.status for m in again.models} == {"exists"}
