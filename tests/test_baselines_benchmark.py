"""``elasticc-fast benchmark ztf-bts`` on a small stratified subset (feature models only: quick)."""
from __future__ import annotations

import json
import warnings

import pytest

from elasticc_fast.benchmarks.bts_models import CUTS
from elasticc_fast.benchmarks.bts_report import markdown
from elasticc_fast.cli import main


def test_help_lists_the_benchmark(capsys):
    with pytest.raises(SystemExit) as e:
        main(["benchmark", "ztf-bts", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--quick" in out and "--json" in out and "stratified" in out


def test_unknown_model_is_refused(shared_data):
    assert main(["benchmark", "ztf-bts", "--data", str(shared_data / "ztf_bts"), "--models", "svm"]) == 2


@pytest.mark.parametrize("option", [["--pretrain-models", "0"], ["--ensemble", "0"], ["--horizon", "-1"],
                                    ["--pretrain-seed", "-1"], ["--pretrain-epochs", "0"]])
def test_bad_numbers_are_refused_before_any_work(tmp_path, capsys, option):
    # tmp_path is not a BTS folder: reaching the data check would print a different error
    assert main(["benchmark", "ztf-bts", "--data", str(tmp_path), *option]) == 2
    assert f"{option[0]} must be at least" in capsys.readouterr().err


def test_run_track_refuses_bad_numbers_before_reading_data(tmp_path):
    from elasticc_fast.benchmarks.bts import run_track
    from elasticc_fast.errors import UsageError

    with pytest.raises(UsageError, match="--pretrain-models must be at least 1, not 0"):  # not a missing-file error
        run_track(tmp_path, models=["lgbm"], options={"pretrain_models": 0})


def test_missing_data_is_refused(tmp_path):
    assert main(["benchmark", "ztf-bts", "--data", str(tmp_path)]) == 2


def test_small_benchmark_json(shared_data, tmp_path, capsys):
    out = tmp_path / "bts.json"
    md = tmp_path / "bts.md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["benchmark", "ztf-bts", "--data", str(shared_data / "ztf_bts"), "--models", "lgbm,hlgbm",
                   "--max-objects", "160", "--folds", "2", "--quick", "--jobs", "1",
                   "--json", str(out), "--markdown", str(md)])
    assert rc == 0
    tracks = json.loads(out.read_text())["tracks"]
    assert set(tracks) == {"none", "redshift"}                 # --quick runs both context tracks
    res = tracks["none"]
    assert tracks["redshift"]["context_columns"] == ["redshift", "abs_b", "A_V"]
    assert res["n_objects"] == 160 and res["folds_run"] == 1 and res["n_evaluated"] == 80
    assert res["bts_types_set_aside"]["TDE"] == 9
    cuts = [f"{c:g}" for c in CUTS] + ["full"]
    assert res["cuts"] == cuts
    for m in ("lgbm", "hlgbm"):
        r = res["models"][m]
        assert list(r["macro_f1"]) == cuts
        assert all(0.0 <= r["macro_f1"][c] <= 1.0 for c in cuts)
        assert set(r["per_class_f1"]["full"]) == {"SN Ia", "SN Ib/c", "SN II", "SLSN", "CV/nova"}
        assert set(r["top_per_class_f1"]["full"]) == {"SN", "SLSN", "CV/nova"}
        # SN Ia dominates the subset: a trained model separates it well
        assert r["per_class_f1"]["full"]["SN Ia"] > 0.7
    assert md.read_text().strip() == markdown([tracks["none"], tracks["redshift"]]).strip()
    assert "| LightGBM (flat) |" in capsys.readouterr().out
