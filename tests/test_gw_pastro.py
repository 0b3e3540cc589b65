"""IGWN p_astro.json products (schema validation), classification of extracted triggers,
the evaluation report and the `elasticc-fast gw` command line."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from elasticc_fast.cli import main
from elasticc_fast.gw import evaluation, ligolw, mass_contour, pastro

COUNTS = {"Astro": 50.0, "Terrestrial": 5000.0}


@pytest.fixture(scope="module")
def gw(shared_data):
    return shared_data / "gw"


def test_public_names_resolve():
    import elasticc_fast
    from elasticc_fast import gw as gw_pkg

    assert elasticc_fast.gw is gw_pkg
    for name in gw_pkg.__all__:
        assert callable(getattr(gw_pkg, name)), name


def test_real_p_astro_file_validates(gw):
    doc = json.loads((gw / "alert_format" / "updated_RapidPE_RIFT.p_astro.json").read_text())
    pastro.validate_against_schema(doc, gw / "alert_format")


@pytest.mark.parametrize("doc, reason", [
    ({"BNS": 0.5, "NSBH": 0.5, "BBH": 0.1, "Terrestrial": 0.0}, "sum"),
    ({"BNS": 1.0, "NSBH": 0.0, "BBH": 0.0}, "keys"),
    ({"BNS": 1.0, "NSBH": 0.0, "BBH": 0.0, "Terrestrial": 0.0, "Noise": 0.0}, "keys"),
    ({"BNS": -0.1, "NSBH": 0.6, "BBH": 0.5, "Terrestrial": 0.0}, "probability"),
    ({"BNS": True, "NSBH": 0.0, "BBH": 0.0, "Terrestrial": 0.0}, "probability"),
])
def test_bad_p_astro_is_rejected(gw, doc, reason):
    with pytest.raises(pastro.PAstroError, match=reason):
        pastro.validate_against_schema(doc, gw / "alert_format")


def test_classify_combines_mass_contour_and_p_astro(gw):
    table = ligolw.read_triggers(gw / "coinc_xml" / "coinc_G5351.xml")
    probs = pastro.classify(table, pastro.ClassifyConfig(mean_counts=COUNTS))
    x = pastro.trigger_inputs(table)
    mc = mass_contour.source_probabilities(x["mchirp"], x["eff_distance"], x["snr"])
    row = probs.iloc[0]
    for c in ("BNS", "NSBH", "BBH"):
        assert row[c] == pytest.approx(mc[c].iloc[0] * row["p_astro"], rel=1e-12)
    assert row[["BNS", "NSBH", "BBH", "Terrestrial"]].sum() == pytest.approx(1.0, abs=1e-12)
    assert row["file"] == "coinc_G5351.xml"
    with pytest.raises(ValueError, match="mean counts"):
        pastro.classify(table)
    no_far = table.drop_columns([c for c in table.column_names if "far" in c or "false_alarm" in c])
    with pytest.raises(ValueError, match=r"without a positive far, e.g. \['coinc_G5351.xml#0'\]"):
        pastro.classify(no_far, pastro.ClassifyConfig(mean_counts=COUNTS))


def test_write_products_validated_and_atomic(gw, tmp_path):
    probs = pd.DataFrame({"file": ["a.xml.gz", "a.xml.gz"], "trigger_index": [0, 1],
                          "BNS": [0.2, 0.0], "NSBH": [0.1, 0.0], "BBH": [0.3, 0.9], "Terrestrial": [0.4, 0.1]})
    out = pastro.write_products(probs, tmp_path / "out", gw / "alert_format")
    files = sorted(p.name for p in out.iterdir())
    assert files == [".elasticc_fast_output.json", "a.0.p_astro.json", "a.1.p_astro.json", "p_astro.parquet"]
    assert json.loads((out / "a.1.p_astro.json").read_text()) == {"BNS": 0.0, "NSBH": 0.0, "BBH": 0.9, "Terrestrial": 0.1}
    bad = probs.assign(Terrestrial=[0.9, 0.1])
    with pytest.raises(pastro.PAstroError, match="a.0.p_astro.json"):
        pastro.write_products(bad, tmp_path / "bad", gw / "alert_format")
    assert not (tmp_path / "bad").exists() and not list(tmp_path.glob(".bad*"))


def test_evaluation_report(gw):
    report = evaluation.evaluate(gw, pastro.ClassifyConfig(mean_counts=COUNTS))
    cat = report["catalogue"]
    assert cat["n_events"] == 90
    assert cat["truth_counts"] == {"BNS": 2, "NSBH": 5, "BBH": 83}
    assert cat["top_class_accuracy"] > 0.9
    assert 0.0 <= cat["p_astro"]["mean_abs_difference"] <= 1.0
    inj = report["bns_injections"]
    assert inj["n_injections"] == 250 and inj["injected_bns"] == 250
    assert inj["share_top_bns"] > 0.95
    assert list(evaluation.catalogue_class([1.4, 10, 30], [1.2, 1.4, 20])) == ["BNS", "NSBH", "BBH"]


def test_cli_extract_classify_evaluate(gw, tmp_path, capsys):
    assert main(["gw"]) == 2   # no step: help and usage error
    with pytest.raises(SystemExit) as e:
        main(["gw", "--help"])
    assert e.value.code == 0
    assert "extract" in capsys.readouterr().out
    table = tmp_path / "t.parquet"
    assert main(["gw", "extract", str(gw / "spiir" / "postcoh_coinc"), str(gw / "coinc_xml" / "coinc_G5351.xml"),
                 "--out", str(table), "--workers", "2"]) == 0
    counts = tmp_path / "counts.json"
    counts.write_text(json.dumps({"counts_BNS": 2.0, "counts_NSBH": 1.0, "counts_BBH": 10.0, "counts_Terrestrial": 3000.0}))
    out = tmp_path / "out"
    assert main(["gw", "classify", str(table), "--out", str(out), "--mean-counts", str(counts),
                 "--schema-dir", str(gw / "alert_format"), "--mass-gap"]) == 0
    jsons = sorted(out.glob("*.p_astro.json"))
    assert len(jsons) == 15
    doc = json.loads(jsons[0].read_text())
    assert set(doc) == {"BNS", "NSBH", "BBH", "MassGap", "Terrestrial"}
    assert sum(doc.values()) == pytest.approx(1.0)
    assert pd.read_parquet(out / "p_astro.parquet").shape[0] == 15
    assert main(["gw", "classify", str(table), "--out", str(tmp_path / "o2")]) == 2  # no counts given
    assert main(["gw", "extract", str(tmp_path / "missing.xml"), "--out", str(tmp_path / "m.parquet")]) == 1
    report = tmp_path / "report.json"
    assert main(["gw", "evaluate", "--data", str(gw), "--out", str(report)]) == 0
    rep = json.loads(report.read_text())
    assert rep["bns_injections"]["n_injections"] == 250 and "p_astro" in rep["catalogue"]
