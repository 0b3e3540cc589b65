"""``python -m elasticc_fast.benchmarks.elasticc_shift``: origin AUC of the simulated objects against
each labelled real ELAsTiCC set on the ELAsTiCC hybrid's tabular inputs."""
from __future__ import annotations

import json

import numpy as np
import pytest

from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.benchmarks import elasticc_shift


def _toy():
    # object 0: a non-detection, detections at 10 and 30 days; object 1: no detection at all
    return LightCurveBatch.from_arrays(mjd=[0.0, 10.0, 20.0, 40.0, 5.0], band=[1, 2, 2, 3, 1],
                                       flux=[1.0, 50.0, 60.0, 40.0, 1.0], flux_err=[1.0] * 5,
                                       flag=[0, 4096, 4096, 4096, 0], ids=["a", "b"], lengths=[4, 1])


def test_spans_and_alert_matched_cuts():
    b = _toy()
    s = elasticc_shift.spans(b)
    assert s[0] == pytest.approx(30.0) and np.isnan(s[1])
    assert elasticc_shift.matched_sim(b, b, alerts=False, seed=0) is b
    real = b.take([0])
    real_short = LightCurveBatch.from_arrays(mjd=[0.0, 3.0], band=[1, 1], flux=[9.0, 9.0], flux_err=[1.0, 1.0],
                                             flag=[4096, 4096], ids=["r"], lengths=[2])
    cut = elasticc_shift.matched_sim(real_short, real, alerts=True, seed=0)  # alert span 3 d: the sim object is cut
    assert elasticc_shift.spans(cut)[0] == pytest.approx(0.0) and cut.lengths[0] == 2


@pytest.mark.shared
def test_every_real_set_gets_an_origin_auc(shared_data, tmp_path, capsys):
    out = tmp_path / "shift.json"
    assert elasticc_shift.main(["--data", str(shared_data), "--objects", "20", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    printed = capsys.readouterr().out
    assert [r["n_real"] for r in rows] == [47, 27, 272, 556, 40]
    assert rows[0]["windows_real"]["points"] == pytest.approx(4.8, abs=0.05)       # KN_K17: 4.8 points, 3.0 detections
    assert rows[0]["windows_real"]["detections"] == pytest.approx(3.0, abs=0.05)
    for r in rows:
        assert r["n_sim"] == 20 and all(0.0 <= r[k] <= 1.0 for k in ("auc_all", "auc_lc", "auc_ctx"))
        assert r["most_shifted"] and all(k.startswith(("lc_", "ctx_")) for k in r["most_shifted"])
        assert f"| {r['set']} | {r['n_real']} | 20 | {r['auc_all']:.3f} |" in printed
        for w in (r["windows_real"], r["windows_sim"]):  # what the light-curve branch sees, both sides
            assert w["points"] >= w["detections"] >= 1 and 0 <= w["nondetection_share"] < 1
            assert w["nondetection_share"] == pytest.approx(1 - w["detections"] / w["points"], abs=0.01)
