"""ELAsTiCC alerts -> light curves: hand-made records, and the shared Fink/avro samples."""
from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from elasticc_fast.io import alerts
from elasticc_fast.taxonomy import leaf_for_gentype
from elasticc_fast.units import FLUXCAL_PER_NJY, PHOTFLAG_DETECTION, PHOTFLAG_TRIGGER


def _src(i, mjd, band, flux, err=10.0):
    return {"diaSourceId": i, "diaObjectId": 7, "midPointTai": mjd, "filterName": band, "ra": 1.0,
            "decl": -2.0, "psFlux": flux, "psFluxErr": err, "snr": flux / err}


def _forced(i, mjd, band, flux, err=10.0):
    return {"diaForcedSourceId": i, "diaObjectId": 7, "midPointTai": mjd, "filterName": band,
            "psFlux": flux, "psFluxErr": err}


def _alert(alert_id, source, prv, forced, obj=True):
    return {"alertId": alert_id, "diaSource": source, "prvDiaSources": prv, "prvDiaForcedSources": forced,
            "diaObject": {"diaObjectId": 7, "ra": 1.0, "decl": -2.0, "mwebv": 0.05, "z_final": 0.3,
                          "z_final_err": 0.01, "hostgal_zphot": 0.29, "hostgal_mag_g": 22.5,
                          "hostgal2_zspec_err": 0.001} if obj else None}


def test_hand_made_alerts_merge_forced_photometry_and_detections():
    first = _alert(101, _src(1, 100.0, "r", 500.0), None, None)
    # second alert: forced points at 90 (u, before anything), 100 (r, also a detection), 104 (g);
    # detections at 100 (r) and 104 (g, only in prvDiaSources) and the new one at 110 (i)
    second = _alert(102, _src(3, 110.0, "i", 800.0),
                    [_src(1, 100.0, "r", 500.0), _src(2, 104.0, "g", 700.0)],
                    [_forced(0, 90.0, "u", -3.0), _forced(1, 100.0, "r", 501.0), _forced(2, 104.0, "g", 699.0)])
    t = alerts.records_to_table([first, second])
    assert t["alertId"].to_pylist() == [101, 102]
    assert t["SNID"].to_pylist() == [7, 7]
    assert t["NOBS"].to_pylist() == [1, 4]
    r = t.slice(1, 1).to_pylist()[0]
    assert r["MJD"] == [90.0, 100.0, 104.0, 110.0]
    assert r["BAND"] == ["u", "r", "g", "i"]
    # the forced flux wins where an epoch has both; nJy -> FLUXCAL
    np.testing.assert_allclose(r["FLUXCAL"], np.array([-3.0, 501.0, 699.0, 800.0]) * FLUXCAL_PER_NJY, rtol=1e-6)
    assert r["PHOTFLAG"] == [0, PHOTFLAG_DETECTION | PHOTFLAG_TRIGGER, PHOTFLAG_DETECTION, PHOTFLAG_DETECTION]
    assert r["MJD_ALERT"] == 110.0 and r["MJD_TRIGGER"] == 100.0 and r["MJD_DETECT_LAST"] == 110.0
    # diaObject fields under their SNANA HEAD names
    assert r["MWEBV"] == pytest.approx(0.05) and r["REDSHIFT_HELIO"] == pytest.approx(0.3)
    assert r["HOSTGAL_PHOTOZ"] == pytest.approx(0.29) and r["HOSTGAL_MAG_g"] == pytest.approx(22.5)
    assert r["HOSTGAL2_SPECZ_ERR"] == pytest.approx(0.001)


def test_head_names():
    assert alerts.head_name("hostgal_zphot_q010") == "HOSTGAL_ZPHOT_Q010"
    assert alerts.head_name("hostgal2_magerr_Y") == "HOSTGAL2_MAGERR_Y"
    assert alerts.head_name("hostgal_snsep") == "HOSTGAL_SNSEP"
    assert alerts.head_name("mwebv_err") == "MWEBV_ERR"
    assert alerts.head_name("decl") == "DEC"


def test_unknown_band_names_the_alert():
    bad = _alert(555, _src(1, 100.0, "Q", 5.0), None, None)
    with pytest.raises(alerts.AlertError, match=r"alert 555: unknown filterName 'Q'"):
        alerts.records_to_table([bad])


def test_missing_file_and_non_alert_parquet(tmp_path):
    with pytest.raises(alerts.AlertError, match="no such file"):
        alerts.read_alerts(tmp_path / "nope.parquet")
    import pyarrow as pa

    pq.write_table(pa.table({"x": [1]}), tmp_path / "x.parquet")
    with pytest.raises(alerts.AlertError, match=r"x.parquet: no 'alertId' column"):
        alerts.read_alerts(tmp_path / "x.parquet")


def _check_light_curves(t):
    """Invariants of every alert light curve: time order, one trigger on the first detection,
    nothing later than the alert itself."""
    for r in t.select(["MJD", "PHOTFLAG", "MJD_ALERT", "MJD_TRIGGER"]).to_pylist():
        mjd, flag = np.array(r["MJD"]), np.array(r["PHOTFLAG"])
        assert np.all(np.diff(mjd) >= 0)
        assert np.count_nonzero(flag & PHOTFLAG_TRIGGER) == 1
        det = np.flatnonzero(flag & PHOTFLAG_DETECTION)
        assert flag[det[0]] & PHOTFLAG_TRIGGER and mjd[det[0]] == r["MJD_TRIGGER"]
        assert mjd.max() == pytest.approx(r["MJD_ALERT"])


@pytest.mark.shared
def test_fink_sn_ia_truth_file(shared_data):
    path = shared_data / "elasticc_alerts/fink/elasticc_parquet/test_elasticc_earlysnia.parquet"
    t = alerts.read_alerts(path)
    assert t.num_rows == 556
    assert len(pc.unique(t["SNID"])) == 318
    assert set(t["GENTYPE"].to_pylist()) == {10}
    assert {leaf_for_gentype(g) for g in t["SIM_TYPE_INDEX"].to_pylist()} == {"SNIa"}
    _check_light_curves(t)
    # the triggering diaSource appears with its flux converted from nJy
    raw = pq.read_table(path, columns=["alertId", "diaSource", "prvDiaSources"])
    src = raw["diaSource"].combine_chunks()
    r0 = t.slice(0, 1).to_pylist()[0]
    assert r0["alertId"] == raw["alertId"][0].as_py()
    i = r0["MJD"].index(src.field("midPointTai")[0].as_py())
    assert r0["FLUXCAL"][i] == pytest.approx(src.field("psFlux")[0].as_py() * FLUXCAL_PER_NJY, rel=1e-6)
    n_det = [sum(1 for x in flags if x & PHOTFLAG_DETECTION) for flags in t["PHOTFLAG"].to_pylist()]
    n_src = [1 + len(p or []) for p in raw["prvDiaSources"].to_pylist()]
    assert n_det == n_src   # every detection once


@pytest.mark.shared
def test_fink_kn_truth_partitions(shared_data):
    t = alerts.read_alerts(shared_data / "elasticc_alerts/fink_kn_truth")
    assert t.num_rows == 40
    assert len(pc.unique(t["SNID"])) == 23
    counts = {d["values"]: d["counts"] for d in pc.value_counts(t["GENTYPE"]).to_pylist()}
    assert counts == {50: 9, 51: 31}
    assert {leaf_for_gentype(g) for g in t["GENTYPE"].to_pylist()} == {"KN"}
    assert set(t["classId"].to_pylist()) == {121}   # the hive partition, kept as a column
    _check_light_curves(t)


@pytest.mark.shared
def test_avro_container_and_schemaless_alert(shared_data):
    d = shared_data / "elasticc_alerts"
    t = alerts.read_alerts(d / "11290844.avro")
    assert t["alertId"].to_pylist() == [22581688068, 22581688070, 22581688069]
    assert set(t["SNID"].to_pylist()) == {11290844}
    _check_light_curves(t)
    gz = d / "alert_mjd60563.1120_obj104044681_src208089362038.avro.gz"
    with pytest.raises(alerts.AlertError, match="schemaless avro alert"):
        alerts.read_alerts(gz)
    # the official v0.9.1 schema is not the one this alert was written with: a clear error
    with pytest.raises(alerts.AlertError, match="does not decode"):
        alerts.read_alerts(gz, schema=d / "schema/elasticc.v0_9_1.alert.avsc")
    one = alerts.read_alerts(gz, schema=d / "11290844.avro")   # same writer schema (v0.9)
    r = one.to_pylist()[0]
    assert r["alertId"] == 208089362038 and r["SNID"] == 104044681
    assert r["MJD_ALERT"] == pytest.approx(60563.112)
    _check_light_curves(one)


@pytest.mark.shared
def test_whole_fink_folder_reads(shared_data):
    t = alerts.read_alerts(shared_data / "elasticc_alerts/fink")
    assert t.num_rows == 100 + 89 + 260 + 556 + 29
    assert len(pc.unique(t["alertId"])) > 0
    _check_light_curves(t)
