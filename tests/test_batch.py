"""LightCurveBatch: construction from the converter's Arrow table and from flat arrays, views."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from elasticc_fast.batch import LightCurveBatch


def _table(n_chunks: int = 1) -> pa.Table:
    rows = {
        "SNID": pa.array([11, 22, 33], pa.int64()),
        "MWEBV": pa.array([0.1, -999.0, 0.3], pa.float32()),
        "MJD": pa.array([[1.0, 2.0], [], [3.0, 4.0, 5.0]], pa.list_(pa.float64())),
        "BAND": pa.array([["u", "Y"], [], ["g ", "r", "i"]], pa.list_(pa.string())),
        "FLUXCAL": pa.array([[1.5, 2.5], [], [3.5, None, 5.5]], pa.list_(pa.float32())),
        "FLUXCALERR": pa.array([[0.1, 0.2], [], [0.3, 0.4, 0.5]], pa.list_(pa.float32())),
        "PHOTFLAG": pa.array([[0, 4096], [], [6144, 0, 1024]], pa.list_(pa.int32())),
    }
    t = pa.table(rows)
    if n_chunks > 1:
        t = pa.concat_tables([t.slice(0, 1), t.slice(1)])
    return t


def test_from_arrow_values_offsets_and_static():
    b = LightCurveBatch.from_arrow(_table())
    assert len(b) == 3 and b.n_obs == 5
    np.testing.assert_array_equal(b.offsets, [0, 2, 2, 5])
    np.testing.assert_array_equal(b.lengths, [2, 0, 3])
    np.testing.assert_array_equal(b.band, [0, 5, 1, 2, 3])
    np.testing.assert_array_equal(b.mjd, [1, 2, 3, 4, 5])
    assert np.isnan(b.flux[3]) and b.flux[4] == np.float32(5.5)  # null flux -> NaN
    np.testing.assert_array_equal(b.flag, [0, 4096, 6144, 0, 1024])
    np.testing.assert_array_equal(b.ids, [11, 22, 33])
    assert b.static.column_names == ["SNID", "MWEBV"]
    assert (b.mjd.dtype, b.band.dtype, b.flux.dtype, b.flag.dtype) == (np.float64, np.uint8, np.float32, np.int32)


def test_from_arrow_wraps_values_without_copy():
    t = _table()
    b = LightCurveBatch.from_arrow(t)
    mjd_values = t.column("MJD").chunk(0).values.to_numpy()
    flag_values = t.column("PHOTFLAG").chunk(0).values.to_numpy()
    assert np.shares_memory(b.mjd, mjd_values)
    assert np.shares_memory(b.flag, flag_values)


def test_from_arrow_multichunk_and_sliced_table_match():
    whole = LightCurveBatch.from_arrow(_table())
    chunked = LightCurveBatch.from_arrow(_table(n_chunks=2))
    np.testing.assert_array_equal(whole.mjd, chunked.mjd)
    np.testing.assert_array_equal(whole.offsets, chunked.offsets)
    sliced = LightCurveBatch.from_arrow(_table().slice(2, 1))  # list array with a non-zero offset
    np.testing.assert_array_equal(sliced.mjd, [3, 4, 5])
    np.testing.assert_array_equal(sliced.offsets, [0, 3])


def test_from_arrow_errors_name_the_problem():
    t = _table()
    bad_band = t.set_column(t.column_names.index("BAND"), "BAND",
                            pa.array([["u", "Q"], [], ["g", "r", "i"]], pa.list_(pa.string())))
    with pytest.raises(ValueError, match=r"object 11 .*unknown band 'Q'"):
        LightCurveBatch.from_arrow(bad_band)
    short = t.set_column(t.column_names.index("FLUXCAL"), "FLUXCAL",
                         pa.array([[1.0, 2.0], [], [3.0]], pa.list_(pa.float32())))
    with pytest.raises(ValueError, match=r"object 33 has 1 FLUXCAL values but 3 MJD"):
        LightCurveBatch.from_arrow(short)
    with pytest.raises(ValueError, match="lacks list column"):
        LightCurveBatch.from_arrow(t.drop(["PHOTFLAG"]))


def test_from_arrays_with_string_ids_and_band_letters():
    b = LightCurveBatch.from_arrays(
        mjd=[3.0, 1.0, 2.0], band=["g", "R", "r"], flux=[1, 2, 3], flux_err=[1, 1, 1], flag=[4096, 0, 0],
        lengths=[1, 2], ids=np.array(["ZTF18a", "ZTF18b"]), static={"z": [0.1, 0.2]}, labels=[1, 0])
    np.testing.assert_array_equal(b.band, [1, 2, 2])
    np.testing.assert_array_equal(b.offsets, [0, 1, 3])
    assert b.ids[1] == "ZTF18b" and b.static.column("z").to_pylist() == [0.1, 0.2]
    with pytest.raises(ValueError, match="exactly one of offsets or lengths"):
        LightCurveBatch.from_arrays(mjd=[], band=[], flux=[], flux_err=[], flag=[], ids=[])
    with pytest.raises(ValueError, match="band index 256 outside 0..5"):
        LightCurveBatch.from_arrays(mjd=[1.0], band=[256], flux=[1], flux_err=[1], flag=[0], lengths=[1], ids=[1])
    with pytest.raises(ValueError, match="flux has shape"):
        LightCurveBatch.from_arrays(mjd=[1.0], band=[0], flux=[], flux_err=[1], flag=[0], lengths=[1], ids=[1])


def test_take_and_slices():
    b = LightCurveBatch.from_arrow(_table())
    b.labels = np.array([7, 8, 9])
    t = b.take([2, 0])
    np.testing.assert_array_equal(t.mjd, [3, 4, 5, 1, 2])
    np.testing.assert_array_equal(t.offsets, [0, 3, 5])
    np.testing.assert_array_equal(t.ids, [33, 11])
    np.testing.assert_array_equal(t.labels, [9, 7])
    assert t.static.column("SNID").to_pylist() == [33, 11]
    s = b[1:3]
    np.testing.assert_array_equal(s.mjd, [3, 4, 5])
    np.testing.assert_array_equal(s.offsets, [0, 0, 3])
    assert np.shares_memory(s.mjd, b.mjd)  # contiguous slices are views
    np.testing.assert_array_equal(b[::2].ids, [11, 33])
    assert len(b[5:9]) == 0 and len(b.take([])) == 0
    with pytest.raises(IndexError):
        b.take([3])


def test_empty_static_keeps_row_count():
    b = LightCurveBatch.from_arrays(mjd=[1.0], band=[0], flux=[1], flux_err=[1], flag=[0], lengths=[1, 0], ids=[5, 6])
    assert b.static.num_rows == 2 and len(b) == 2


@pytest.mark.cpp
@pytest.mark.shared
def test_read_snana_table_gives_the_same_batch_as_astropy(elasticc_sample):
    from astropy_snana import read_pair
    from elasticc_fast.io.snana import read_snana

    heads = sorted(elasticc_sample.glob("*KN_K17/*_HEAD.FITS.gz"))[:8]
    ours, theirs = [], []
    for h in heads:
        t = read_pair(h, "KN_K17")
        if t is None:
            continue
        theirs.append(LightCurveBatch.from_arrow(t))
        ours.append(LightCurveBatch.from_arrow(read_snana(h, str(h).replace("_HEAD", "_PHOT"))))
    assert sum(len(b) for b in ours) > 5
    for a, b in zip(ours, theirs, strict=True):
        for name in ("mjd", "band", "flux", "flux_err", "flag", "offsets", "ids"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert a.static.column("MWEBV").equals(b.static.column("MWEBV"))
