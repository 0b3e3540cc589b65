"""`elasticc-fast benchmark sim-to-real`: a model trained only on the simulator, scored on every
labelled real ELAsTiCC set (here a tiny model: the numbers' consistency is the point, not quality)."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = pytest.mark.shared

SIZES = {"ELAsTiCC2 training sample KN_K17": 47, "ELAsTiCC2 training sample Mdwarf-flare": 27,
         "ELAsTiCC2 training sample SNIb-Templates": 272, "Fink ELAsTiCC alerts test_elasticc_earlysnia": 556,
         "Fink ELAsTiCC KN alerts fink_kn_truth": 40}


def test_sim_to_real_scores_every_real_set(shared_data, tmp_path, capsys):
    from elasticc_fast.cli import main

    out = tmp_path / "r.json"
    assert main(["benchmark", "sim-to-real", "--data", str(shared_data), "--objects-per-class", "4",
                 "--epochs", "1", "--heldout", "3", "--detection", "measured", "--sn-ibc", "round9", "--kn", "round9",
                 "--hosts", "library", "--specz", "nearby", "--save", str(tmp_path / "m"), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert {k: v["n"] for k, v in result["sets"].items()} == SIZES
    for name, r in result["sets"].items():
        assert sum(r["predicted"].values()) == pytest.approx(1.0, abs=0.01)
        assert r["recall"] == pytest.approx(r["predicted"].get(r["truth"], 0.0), abs=1e-3)
        assert f"| {name} | {r['truth']} | {r['n']} | {r['recall']:.2f} |" in printed
        assert 0.0 <= r["simulated_recall"] <= 1.0 and f"| {r['simulated_recall']:.2f} |" in printed
        bins = r["by_host_z"].values()  # every object in one host-redshift bin; the bins' hits add up
        assert sum(b["n"] for b in bins) == r["n"]
        assert sum(b["n"] * b["recall"] for b in bins) == pytest.approx(r["n"] * r["recall"], abs=0.01 * r["n"])
    assert list(result["sets"]["ELAsTiCC2 training sample Mdwarf-flare"]["by_host_z"]) == ["no host z"]  # hostless
    assert "Recall by host redshift" in printed
    kn = [r["simulated_recall"] for r in result["sets"].values() if r["truth"] == "KN"]
    assert len(kn) == 2 and kn[0] == kn[1]  # one held-out simulation per class, shared by its sets
    recalls = [r["recall"] for r in result["sets"].values()]
    assert result["mean_recall"] == pytest.approx(np.mean(recalls), abs=1e-3)
    assert result["min_recall"] == pytest.approx(min(recalls), abs=1e-3)
    assert "4 simulated objects per class" in result["model"] and result["detection"] == "measured"
    assert result["sn_ibc"] == "round9" and result["kn"] == "round9" and result["hosts"] == "library"
    assert result["specz"] == "nearby"


def test_sim_to_real_saved_model_scores_the_same_and_is_not_overwritten(shared_data, tmp_path, capsys):
    """--save keeps the trained model (here --no-light-curve's, its views thinned): --model DIR rescoring it gives the same recalls;
    a second --save to the same folder is refused before any training unless --overwrite; --save with --model
    is refused, and so is --no-light-curve with --model or another --arch; --thin-nondetections out of range too."""
    from elasticc_fast.cli import main

    common = ["benchmark", "sim-to-real", "--data", str(shared_data), "--heldout", "0"]
    first, again = tmp_path / "a.json", tmp_path / "b.json"
    assert main([*common, "--objects-per-class", "4", "--epochs", "1", "--save", str(tmp_path / "m"),
                 "--json", str(first), "--no-light-curve", "--thin-nondetections", "0.5"]) == 0
    assert main([*common, "--model", str(tmp_path / "m"), "--json", str(again)]) == 0
    a, b = json.loads(first.read_text()), json.loads(again.read_text())
    assert a["model"].startswith("hybrid without its light-curve branch, non-detections thinned U(0, 0.5) (2 member(s))")
    assert {k: v["recall"] for k, v in a["sets"].items()} == {k: v["recall"] for k, v in b["sets"].items()}
    before = sorted(p.name for p in (tmp_path / "m").iterdir())
    capsys.readouterr()
    assert main([*common, "--objects-per-class", "4", "--epochs", "1", "--save", str(tmp_path / "m")]) != 0
    assert "earlier `elasticc-fast benchmark sim-to-real` output" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == before
    assert main([*common, "--model", str(tmp_path / "m"), "--save", str(tmp_path / "n")]) != 0
    assert "--save saves the model" in capsys.readouterr().err and not (tmp_path / "n").exists()
    for extra in (["--model", str(tmp_path / "m")], ["--arch", "gru"]):
        assert main([*common, *extra, "--no-light-curve"]) == 2
        assert "--no-light-curve changes the hybrid's training" in capsys.readouterr().err
        assert main([*common, *extra, "--thin-nondetections", "0.5"]) == 2
        assert "--thin-nondetections changes the hybrid's training" in capsys.readouterr().err
    assert main([*common, "--thin-nondetections", "1.5"]) == 2
    assert "thin_nondetections must be in [0, 1)" in capsys.readouterr().err
