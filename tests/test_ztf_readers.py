"""ZTF photometry conversions and the real ZTF alert avro reader."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from elasticc_fast.io import ztf
from elasticc_fast.units import BAND_INDEX, PHOTFLAG_DETECTION


def test_magnitude_conversions():
    flux, err = ztf.diffmag_to_flux(np.array([23.9, 18.9, 18.9]), np.array([0.1, 0.1, 0.0]), ["t", "f", "1"])
    np.testing.assert_allclose(flux, [1.0, -100.0, 100.0])
    np.testing.assert_allclose(err, [0.1 * np.log(10) / 2.5, 10 * np.log(10) / 2.5, 0.0])
    np.testing.assert_allclose(ztf.limit_to_flux_err([23.9, 21.4]), [0.2, 2.0])
    # a forced-photometry flux in counts with zero point 26: 100 counts = mag 21 = 10**(2.9/2.5) uJy
    np.testing.assert_allclose(ztf.dn_to_microjansky([100.0], [26.0]), [10 ** (2.9 / 2.5)])
    np.testing.assert_array_equal(ztf.isdiffpos_sign([1, -1, 1.0]), [1, -1, 1])
    np.testing.assert_array_equal(ztf.isdiffpos_sign(np.array([True, False])), [1, -1])
    with pytest.raises(ValueError, match="isdiffpos"):
        ztf.isdiffpos_sign(["x"])


def test_bands():
    np.testing.assert_array_equal(ztf.fid_to_band([1, 2, 3]), [BAND_INDEX["g"], BAND_INDEX["r"], BAND_INDEX["i"]])
    np.testing.assert_array_equal(ztf.fid_to_band(["g", "R", "r"]), [1, 2, 2])
    with pytest.raises(ValueError, match="unknown ZTF filter"):
        ztf.fid_to_band([4])


def test_non_detections_drop_sentinel_limits():
    rows = ztf.non_detection_frame([1.0, 2.0, 3.0], [1, 2, 1], [20.0, -1007.8, np.nan])
    assert len(rows) == 1 and rows["flux"].iloc[0] == 0 and rows["flag"].iloc[0] == 0


def _expected_from_avro(paths: list[Path]) -> dict[str, tuple[set, set]]:
    """Independent count: unique detection candids and unique (jd, fid) upper limits per object."""
    import fastavro
    out: dict[str, tuple[set, set]] = {}
    for p in paths:
        with open(p, "rb") as fh:
            for alert in fastavro.reader(fh):
                det, lim = out.setdefault(alert["objectId"], (set(), set()))
                for c in (alert.get("prv_candidates") or []) + [alert["candidate"]]:
                    if c["magpsf"] is not None:
                        det.add(c["candid"])
                    elif c["diffmaglim"] is not None and c["diffmaglim"] > 0:
                        lim.add((c["jd"], c["fid"]))
    return out


def test_real_alerts_counts_per_object(shared_data):
    pytest.importorskip("cramjam")   # snappy codec
    paths = sorted((shared_data / "alerce" / "ztf_alert_avro").glob("*.avro"))
    assert len(paths) == 98
    batch = ztf.read_ztf_alerts(paths)
    expected = _expected_from_avro(paths)
    assert sorted(batch.ids) == sorted(expected)
    assert len(batch) == 87
    for i, oid in enumerate(batch.ids):
        obj = batch.object(i)
        det, lim = expected[oid]
        assert (obj["flag"] == PHOTFLAG_DETECTION).sum() == len(det), oid
        assert (obj["flag"] == 0).sum() == len(lim), oid
        assert np.all(np.diff(obj["mjd"]) >= 0)
    assert int(batch.static.column("n_alerts").to_numpy().sum()) == 98
    assert np.all(batch.flux_err > 0)


def test_alert_values_and_forced_photometry(shared_data):
    pytest.importorskip("cramjam")
    import fastavro
    path = shared_data / "alerce" / "pipeline_examples" / "2454460970015010006.avro"
    with open(path, "rb") as fh:
        alert = next(iter(fastavro.reader(fh)))
    c = alert["candidate"]
    batch = ztf.read_ztf_alerts([path], include_forced=True)
    obj = batch.object(0)
    i = int(np.argmin(np.abs(obj["mjd"] - (c["jd"] - 2400000.5)) + (obj["flag"] == 0) * 1e9))
    sign = 1 if c["isdiffpos"] in ("t", "1") else -1
    assert obj["flux"][i] == pytest.approx(sign * 10 ** ((23.9 - c["magpsf"]) / 2.5), rel=1e-5)
    n_fp = sum(f["forcediffimflux"] not in (None, -99999.0) for f in alert["fp_hists"])
    without = ztf.read_ztf_alerts([path])
    assert batch.n_obs - without.n_obs == n_fp


def test_bad_avro_names_the_file(tmp_path):
    bad = tmp_path / "broken.avro"
    bad.write_bytes(b"not avro at all")
    with pytest.raises(ValueError, match="broken.avro"):
        ztf.read_ztf_alerts([bad])
