"""elasticc_fast.read_parquet: converted Parquet as a nested_pandas NestedFrame with one nested
light-curve column `lc` and the HEAD columns as ordinary columns."""
from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import elasticc_fast as ef
from elasticc_fast.errors import MissingExtraError
from snana_factory import write_pair


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    root = tmp_path_factory.mktemp("nested")
    write_pair(root / "raw" / "SIM_01_KN_K17", "SIM_01_NONIaMODEL0-0001", [3, 2], seed=1, snid_start=10)
    write_pair(root / "raw" / "SIM_01_Mdwarf-flare", "SIM_01_NONIaMODEL0-0001", [4, 1, 6], seed=2, snid_start=20,
               mutate=lambda head, phot: phot.update(XPIX=np.arange(len(phot["MJD"]), dtype=np.float32)))
    ef.convert(root / "raw", root / "out")
    return root / "out"


@pytest.mark.cpp
def test_objects_as_rows_light_curves_nested(converted):
    nf = ef.read_parquet(converted)
    flat = pq.read_table(converted)
    assert len(nf) == flat.num_rows == 5
    assert "lc" in nf.columns and "SNID" in nf.columns and "MJD" not in nf.columns
    assert {"MJD", "BAND", "FLUXCAL", "FLUXCALERR", "PHOTFLAG"} <= set(nf["lc"].nest.columns)
    snids = nf["SNID"].to_numpy()
    for i, snid in enumerate(flat["SNID"].to_pylist()):
        row = int(np.flatnonzero(snids == snid)[0])
        np.testing.assert_array_equal(nf["lc"].iloc[row]["MJD"].to_numpy(), flat["MJD"][i].as_py())
    # an LSDB-style query on the nested column keeps the detections of every light curve
    kept = nf.query("lc.PHOTFLAG >= 4096")
    n_det = pc.sum(pc.greater_equal(pc.list_flatten(flat["PHOTFLAG"]), 4096)).as_py()
    assert len(kept["lc"].nest.to_flat()) == n_det > 0


@pytest.mark.cpp
def test_a_phot_column_of_one_model_only_is_null_elsewhere(converted):
    nf = ef.read_parquet(converted)
    x = nf["lc"].nest.to_flat()["XPIX"]
    models = nf["model"].to_numpy()
    for row in range(len(nf)):
        values = nf["lc"].iloc[row]["XPIX"]
        assert values.isna().all() == (models[row] == "KN_K17")
    assert x.notna().sum() == 4 + 1 + 6


def test_columns_selects_and_unknown_is_an_error(converted):
    nf = ef.read_parquet(converted, columns=["SNID", "FLUXCAL"])
    assert list(nf.columns) == ["SNID", "lc"] and set(nf["lc"].nest.columns) == {"FLUXCAL", "MJD"}
    with pytest.raises(ValueError, match="NOPE"):
        ef.read_parquet(converted, columns=["NOPE"])


def test_not_light_curves_is_an_error(tmp_path):
    pq.write_table(pa.table({"SNID": [1]}), tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="no MJD list column"):
        ef.read_parquet(tmp_path / "x.parquet")


def test_without_nested_pandas_the_error_names_the_extra(converted, monkeypatch):
    monkeypatch.setitem(sys.modules, "nested_pandas", None)
    with pytest.raises(MissingExtraError, match=r'pip install "elasticc_fast\[nested\]"'):
        ef.read_parquet(converted)
