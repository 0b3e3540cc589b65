"""preprocess (C++) against the pure-Python twin, on random light curves and the real sample."""
from __future__ import annotations

import csv
import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astropy_snana import sample_table
from elasticc_fast import reference
from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.preprocess import preprocess
from lightcurve_strategies import batches

pytestmark = pytest.mark.cpp
COLUMNS = ("mjd", "band", "flux", "flux_err", "flag", "offsets", "trigger_mjd", "ids")


def assert_same_batch(a: LightCurveBatch, b: LightCurveBatch) -> None:
    for name in COLUMNS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.n_dropped == b.n_dropped
    assert a.static.schema == b.static.schema
    for name in a.static.column_names:  # NaN-aware, unlike Table.equals
        np.testing.assert_array_equal(a.static.column(name).to_numpy(), b.static.column(name).to_numpy())
    np.testing.assert_array_equal(a.labels, b.labels)


@settings(max_examples=100, deadline=None)
@given(batch=batches(), trigger=st.sampled_from(["first_detection", "photflag"]),
       history=st.sampled_from(["window", "all"]), threads=st.integers(1, 3))
def test_cpp_matches_reference_on_random_curves(batch, trigger, history, threads):
    assert_same_batch(preprocess(batch, trigger, history, threads=threads),
                      reference.preprocess(batch, trigger, history))


def _one(points, trigger="first_detection", history="window"):
    mjd, flag = zip(*points, strict=True)
    b = LightCurveBatch.from_arrays(mjd=mjd, band=[0] * len(mjd), flux=np.arange(len(mjd)), flux_err=[1] * len(mjd),
                                    flag=flag, lengths=[len(mjd)], ids=[1])
    out = preprocess(b, trigger, history)
    assert_same_batch(out, reference.preprocess(b, trigger, history))
    return out


def test_window_keeps_the_documented_points():
    # times 0..8 out of order; D detection, T trigger flag, S saturated
    pts = [(5, 0), (0, 0), (1, 0), (2, 4096), (3, 0), (4, 4096 | 2048), (6, 4096), (7, 0), (8, 1024 | 4096)]
    first = _one(pts)
    # first detection at t=2: non-det at t=1 before it, non-dets 3 and 5 between, the saturated t=8 gone
    np.testing.assert_array_equal(first.mjd, [1, 2, 3, 4, 5, 6])
    assert first.trigger_mjd[0] == 2
    late = _one(pts, trigger="photflag")
    # trigger at t=4: every detection, last non-det before it (t=3), non-det t=5; not t=1
    np.testing.assert_array_equal(late.mjd, [2, 3, 4, 5, 6])
    assert late.trigger_mjd[0] == 4
    np.testing.assert_array_equal(_one(pts, history="all").mjd, [0, 1, 2, 3, 4, 5, 6, 7])


def test_saturated_photflag_trigger_falls_back_to_first_detection():
    out = _one([(0, 4096), (1, 2048 | 1024 | 4096), (2, 4096)], trigger="photflag")
    assert out.trigger_mjd[0] == 0
    np.testing.assert_array_equal(out.mjd, [0, 2])


def test_dropped_objects_are_counted_and_logged(caplog):
    b = LightCurveBatch.from_arrays(mjd=[1, 2, 3, 4], band=[0, 1, 2, 3], flux=[1] * 4, flux_err=[1] * 4,
                                    flag=[0, 1024 | 4096, 4096, 0], lengths=[2, 0, 2], ids=[7, 8, 9])
    with caplog.at_level(logging.INFO, logger="elasticc_fast.preprocess"):
        out = preprocess(b)
    assert out.n_dropped == 2 and list(out.ids) == [9]
    assert "dropped 2 of 3 objects" in caplog.text


def test_bad_arguments_raise():
    b = LightCurveBatch.from_arrays(mjd=[1.0], band=[0], flux=[1], flux_err=[1], flag=[4096], lengths=[1], ids=[1])
    with pytest.raises(ValueError, match="trigger must be"):
        preprocess(b, trigger="peak")
    from elasticc_fast import _core
    with pytest.raises(ValueError, match="mjd: expected dtype float64"):
        _core.preprocess(b.mjd.astype(np.float32), b.band, b.flux, b.flux_err, b.flag, b.offsets, "photflag", "all")
    with pytest.raises(ValueError, match="offsets: must be non-decreasing"):
        _core.preprocess(b.mjd, b.band, b.flux, b.flux_err, b.flag, np.array([0, 1, 0, 1]), "photflag", "all")
    with pytest.raises(ValueError, match="flag: expected length 1"):
        _core.preprocess(b.mjd, b.band, b.flux, b.flux_err, np.zeros(2, np.int32), b.offsets, "photflag", "all")


@pytest.mark.shared
def test_real_sample_matches_reference_and_astropy_summary(elasticc_sample):
    raw = LightCurveBatch.from_arrow(sample_table(elasticc_sample))
    summary = {int(r["SNID"]): r for r in csv.DictReader(open(elasticc_sample / "reference_per_object_summary.csv"))}
    assert len(raw) == len(summary) == 346
    for trigger in ("first_detection", "photflag"):
        for history in ("window", "all"):
            assert_same_batch(preprocess(raw, trigger, history, threads=2), reference.preprocess(raw, trigger, history))
    out = preprocess(raw)
    assert out.n_dropped == sum(int(r["ndet"]) == 0 for r in summary.values())
    lengths = dict(zip(out.ids.tolist(), out.lengths.tolist(), strict=True))
    for i, snid in enumerate(raw.ids.tolist()):
        r, o = summary[snid], raw.object(i)
        det = (o["flag"] & 4096) != 0
        assert raw.lengths[i] == int(r["nobs"]) and det.sum() == int(r["ndet"])
        assert ((o["flag"] & 1024) != 0).sum() == int(r["nsat"])
        if int(r["ndet"]):
            assert np.flatnonzero(det)[0] == int(r["first_det_idx"])
            assert lengths[snid] == int(r["oracle_len_incl_last"])  # window = ORACLE's cut + last detection
    # in this sample the PHOTFLAG trigger sits on the first detection (data/README.md)
    np.testing.assert_array_equal(preprocess(raw, "photflag").trigger_mjd, out.trigger_mjd)


@settings(max_examples=60, deadline=None)
@given(batch=batches(max_points=40), trigger=st.sampled_from(["first_detection", "photflag"]),
       history=st.sampled_from(["window", "all"]))
def test_cpp_fast_path_for_ordered_unsaturated_curves(batch, trigger, history):
    # the kernel takes a shortcut for time-ordered curves without saturated points: same answers
    order = np.lexsort((batch.mjd, np.repeat(np.arange(len(batch)), batch.lengths)))
    clean = LightCurveBatch(mjd=batch.mjd[order], band=batch.band[order], flux=batch.flux[order],
                            flux_err=batch.flux_err[order], flag=batch.flag[order] & ~1024,
                            offsets=batch.offsets, ids=batch.ids, static=batch.static, labels=batch.labels)
    assert_same_batch(preprocess(clean, trigger, history), reference.preprocess(clean, trigger, history))
