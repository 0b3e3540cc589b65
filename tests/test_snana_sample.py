"""read_snana on the real ELAsTiCC2 sample and the other SNANA dialects, checked against astropy."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from astropy.io import fits

from elasticc_fast.io.snana import SnanaFormatError, read_snana, read_snana_schema

pytestmark = pytest.mark.cpp

ARROW_OF_NUMPY = {"f4": pa.float32(), "f8": pa.float64(), "i2": pa.int16(), "i4": pa.int32(), "i8": pa.int64(),
                  "u1": pa.uint8(), "b1": pa.bool_()}


def sample_pairs(root: Path) -> list[tuple[Path, Path]]:
    heads = sorted(root.glob("*/*_HEAD.FITS.gz"))
    assert len(heads) == 120
    return [(h, h.with_name(h.name.replace("_HEAD.", "_PHOT."))) for h in heads]


def astropy_expected(head: Path, phot: Path) -> tuple[fits.FITS_rec, fits.FITS_rec, list[np.ndarray]]:
    """HEAD rows, PHOT rows and, per object, its PHOT row indices in stable MJD order (astropy + numpy)."""
    with fits.open(head) as h, fits.open(phot) as p:
        hd, pd = h[1].data, p[1].data
        hd = hd if hd is not None else []
        mjd = np.asarray(pd["MJD"], float) if len(pd) else np.zeros(0)
        rows = []
        for lo, hi in zip(hd["PTROBS_MIN"], hd["PTROBS_MAX"], strict=True) if len(hd) else []:
            idx = np.arange(lo - 1, hi)
            rows.append(idx[np.argsort(mjd[idx], kind="stable")])
        return hd, pd, rows


def assert_column_equal(ours: list | np.ndarray, theirs: np.ndarray, what: str) -> None:
    if theirs.dtype.kind in "SU":
        assert list(ours) == [str(s).rstrip() for s in theirs], what
    else:
        np.testing.assert_array_equal(np.asarray(ours, dtype=theirs.dtype.newbyteorder("=")), theirs, err_msg=what)


def test_every_column_of_every_object_equals_astropy(elasticc_sample):
    n_objects = 0
    for head, phot in sample_pairs(elasticc_sample):
        table = read_snana(head, phot)
        hd, pd, rows = astropy_expected(head, phot)
        assert table.num_rows == len(rows)
        n_objects += table.num_rows
        if not len(rows):
            continue
        for name in hd.columns.names:
            col = np.asarray(hd[name])
            if name == "SNID":
                assert table.schema.field("SNID").type == pa.int64()
                assert table["SNID"].to_pylist() == [int(s) for s in col], head
                continue
            if col.dtype.kind not in "SU":
                assert table.schema.field(name).type == ARROW_OF_NUMPY[col.dtype.str[1:]], name
            assert_column_equal(table[name].to_numpy(zero_copy_only=False), col, f"{head.name}:{name}")
        for name in pd.columns.names:
            col = np.asarray(pd[name])
            lists = table[name].to_pylist()
            assert table.schema.field(name).type.value_type == (
                pa.string() if col.dtype.kind in "SU" else ARROW_OF_NUMPY[col.dtype.str[1:]])
            for i, idx in enumerate(rows):
                assert_column_equal(lists[i], col[idx], f"{phot.name}:{name}:object {i}")
    assert n_objects == 346


def test_counts_match_reference_summary(elasticc_sample):
    ref = {}
    with open(elasticc_sample / "reference_per_object_summary.csv") as f:
        for r in csv.DictReader(f):
            ref[int(r["SNID"])] = r
    seen = {}
    total_rows = 0
    for head, phot in sample_pairs(elasticc_sample):
        t = read_snana(head, phot)
        with fits.open(phot) as p:
            total_rows += p[1].header["NAXIS2"]
        for snid, mjd, flag in zip(t["SNID"].to_pylist(), t["MJD"].to_pylist(), t["PHOTFLAG"].to_pylist(), strict=True):
            seen[snid] = (len(mjd), int(np.sum(np.asarray(flag) & 4096 > 0)), head.name, mjd)
            assert np.all(np.diff(mjd) >= 0), "MJD order"
            assert -777.0 not in mjd, "separator rows are left out"
    assert set(seen) == set(ref) and len(seen) == 346
    for snid, r in ref.items():
        nobs, ndet, fname, mjd = seen[snid]
        assert (nobs, ndet, fname) == (int(r["nobs"]), int(r["ndet"]), r["file"]), snid
        assert mjd[-1] - mjd[0] == pytest.approx(float(r["span_days"]), abs=1e-9)
    # the README's count: 52,518 PHOT rows = observations + one separator per object
    assert total_rows == 52518 == sum(v[0] for v in seen.values()) + 346


def test_cpp_equals_python_twin_on_sample(elasticc_sample):
    for head, phot in sample_pairs(elasticc_sample)[::3]:
        assert read_snana(head, phot, engine="cpp").equals(read_snana(head, phot, engine="python")), head


def test_schema_from_headers_equals_table_schema(elasticc_sample):
    for head, phot in sample_pairs(elasticc_sample)[::10]:
        assert read_snana_schema(head, phot).equals(read_snana(head, phot).schema)


def test_sncosmo_dialect_flt_decl(shared_data):
    d = shared_data / "snana_variants" / "sncosmo"
    head, phot = d / "snana_fits_example_head.fits", d / "snana_fits_example_phot.fits"
    with pytest.raises(SnanaFormatError, match="03D1aw.*not an integer"):
        read_snana(head, phot)
    t = read_snana(head, phot, snid="string")
    assert t["SNID"].to_pylist() == ["03D1aw", "03D1ax"]
    assert "BAND" in t.column_names and "FLT" not in t.column_names
    assert "DEC" in t.column_names and "DECL" not in t.column_names
    assert t.schema.field("BAND").type == pa.list_(pa.string())
    with fits.open(head) as h, fits.open(phot) as p:
        np.testing.assert_array_equal(t["DEC"].to_numpy(), h[1].data["DECL"])
        flt, mjd = p[1].data["FLT"], p[1].data["MJD"]
        for i, (lo, hi) in enumerate(zip(h[1].data["PTROBS_MIN"], h[1].data["PTROBS_MAX"], strict=True)):
            idx = np.arange(lo - 1, hi)[np.argsort(mjd[lo - 1:hi], kind="stable")]
            assert t["BAND"][i].as_py() == [s.rstrip() for s in flt[idx]]
            np.testing.assert_array_equal(t["MJD"][i].values.to_numpy(), mjd[idx])
    assert t.equals(read_snana(head, phot, snid="string", engine="python"))


def test_des_dialect_needs_separator_layout(shared_data):
    """SuperNNova's DES sample was subset without rewriting PTROBS: pointers fail loudly, separators work."""
    d = shared_data / "snana_variants" / "des_supernnova"
    head, phot = d / "DES_Ia-0001_HEAD.FITS", d / "DES_Ia-0001_PHOT.FITS"
    with pytest.raises(SnanaFormatError, match=r"DES_Ia-0001_PHOT.FITS.*SNID 587172 \(HEAD row 5\).*separator"):
        read_snana(head, phot)
    t = read_snana(head, phot, layout="separators")
    assert t.num_rows == 200 and t.schema.field("SNID").type == pa.int64()
    with fits.open(head) as h, fits.open(phot) as p:
        hd, pd = h[1].data, p[1].data
        assert t["SNID"].to_pylist() == [int(s) for s in hd["SNID"]]
        assert [len(x) for x in t["MJD"].to_pylist()] == list(hd["NOBS"])
        mjd = pd["MJD"]
        seps = np.flatnonzero(mjd == -777.0)
        bounds = list(zip(np.r_[0, seps + 1], np.r_[seps, len(pd)], strict=True))
        for i in (0, 4, 99, 199):
            a, b = bounds[i]
            idx = np.arange(a, b)[np.argsort(mjd[a:b], kind="stable")]
            np.testing.assert_array_equal(t["FLUXCAL"][i].values.to_numpy(), pd["FLUXCAL"][idx])
            assert t["BAND"][i].as_py() == [s.rstrip() for s in pd["FLT"][idx]]
    assert t.equals(read_snana(head, phot, layout="separators", engine="python"))
