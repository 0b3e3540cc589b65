"""Every command reports bad input as one line, `elasticc-fast VERB: error: <what, which file, why>`,
with a stable exit status: 1 bad data, 2 bad usage (or a missing optional extra), 130 interrupted;
the traceback only with -v."""
from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli_helpers import one_error_line
from elasticc_fast import cli
from elasticc_fast.errors import EXTRA_FOR_MODULE
from test_evaluate import CountingClassifier

REPO = Path(__file__).resolve().parents[1]
ALERT = "elasticc_alerts/alert_mjd60563.1120_obj104044681_src208089362038.avro.gz"


@pytest.fixture
def stand_in_model(monkeypatch):
    """Classifier.load answers the stand-in classifier of test_evaluate (the data path is real)."""
    from elasticc_fast.classifier import Classifier

    monkeypatch.setattr(Classifier, "load", classmethod(lambda cls, path: CountingClassifier()))


def _fails(capsys, argv, code, verb, *needles):
    assert cli.main([str(a) for a in argv]) == code
    line = one_error_line(capsys, verb)
    for needle in needles:
        assert str(needle) in line, line
    return line


@pytest.mark.parametrize("what", ["missing", "empty"])
def test_missing_or_empty_input_folder(tmp_path, capsys, stand_in_model, what):
    data = tmp_path / "in"
    if what == "empty":
        data.mkdir()
    _fails(capsys, ["train", data, "--out", tmp_path / "m"], 1, "train", data)
    _fails(capsys, ["evaluate", "M", data, "--out", tmp_path / "r"], 1, "evaluate", data)
    _fails(capsys, ["predict", "M", data, "--out", tmp_path / "p.parquet"], 1, "predict", data)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["in"] if what == "empty" else [])


def test_a_folder_that_is_not_a_model(tmp_path, capsys):
    data = tmp_path / "pq"
    data.mkdir()
    pq.write_table(pa.table({"SNID": [1], "model": ["KN_K17"]}), data / "KN_K17.parquet")
    _fails(capsys, ["predict", data, data, "--out", tmp_path / "p.parquet"], 1, "predict", data,
           "not a saved Classifier")


def test_predict_never_replaces_an_input_or_an_existing_file_unasked(tmp_path, capsys, stand_in_model):
    data = tmp_path / "pq"
    data.mkdir()
    src = data / "KN_K17.parquet"
    pq.write_table(pa.table({"SNID": [1], "model": ["KN_K17"]}), src)
    before = src.read_bytes()
    _fails(capsys, ["predict", "M", src, "--out", src, "--overwrite"], 2, "predict", src, "one of the inputs")
    _fails(capsys, ["predict", "M", data, "--out", data / "p.parquet"], 2, "predict", "inside one")
    old = tmp_path / "p.csv"
    old.write_text("earlier results\n")
    _fails(capsys, ["predict", "M", data, "--out", old], 2, "predict", old, "--overwrite")
    (tmp_path / "dir.parquet").mkdir()
    _fails(capsys, ["predict", "M", data, "--out", tmp_path / "dir.parquet"], 2, "predict", "is a folder")
    assert src.read_bytes() == before and old.read_text() == "earlier results\n"
    assert sorted(p.name for p in data.iterdir()) == ["KN_K17.parquet"]


def test_a_corrupt_parquet_file(tmp_path, capsys, stand_in_model):
    bad = tmp_path / "KN.parquet"
    bad.write_bytes(b"PAR1")
    _fails(capsys, ["predict", "M", bad, "--out", tmp_path / "p.parquet"], 1, "predict", bad, "cannot read Parquet")
    _fails(capsys, ["evaluate", "M", bad, "--out", tmp_path / "r"], 1, "evaluate", bad, "cannot read Parquet")


def test_a_model_folder_without_params(tmp_path, capsys):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text("{}")
    data = tmp_path / "KN_K17.parquet"
    pq.write_table(pa.table({"SNID": [1], "model": ["KN_K17"]}), data)
    _fails(capsys, ["predict", model, data, "--out", tmp_path / "p.parquet"], 1, "predict", model, "params")


def test_schemaless_alert_without_its_schema(shared_data, tmp_path, capsys, stand_in_model):
    alert = shared_data / ALERT
    _fails(capsys, ["predict", "M", alert, "--out", tmp_path / "p.parquet"], 1, "predict", alert, "--alert-schema")


def test_schemaless_alert_with_the_wrong_schema(shared_data, tmp_path, capsys, stand_in_model):
    alert = shared_data / ALERT
    wrong = shared_data / "elasticc_alerts" / "schema" / "elasticc.v0_9_1.brokerClassification.avsc"
    _fails(capsys, ["predict", "M", alert, "--alert-schema", wrong, "--out", tmp_path / "p.parquet"], 1,
           "predict", alert, "schema")


def test_evaluate_on_unlabelled_alerts(shared_data, tmp_path, capsys, stand_in_model):
    data = shared_data / "elasticc_alerts" / "fink" / "agn_elasticc_alerts.parquet"
    _fails(capsys, ["evaluate", "M", data, "--out", tmp_path / "r"], 1, "evaluate", data, "no labels")
    assert not (tmp_path / "r").exists()


def test_gw_evaluate_needs_its_reference_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ELASTICC_FAST_SHARED", str(tmp_path))
    _fails(capsys, ["gw", "evaluate"], 2, "gw evaluate", tmp_path / "gw", "ELASTICC_FAST_SHARED", "--data")


def test_gw_evaluate_honours_elasticc_fast_shared(shared_data, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ELASTICC_FAST_SHARED", str(shared_data))
    monkeypatch.chdir(tmp_path)                      # ../shared/data is not there from here
    assert cli.main(["gw", "evaluate", "--out", "report.json"]) == 0
    assert '"catalogue"' in (tmp_path / "report.json").read_text()


def test_missing_extra_names_it(tmp_path, capsys, monkeypatch):
    xml = tmp_path / "coinc.xml"
    xml.write_text("<LIGO_LW/>")
    monkeypatch.setitem(sys.modules, "igwn_ligolw", None)       # as if not installed
    _fails(capsys, ["gw", "extract", xml, "--out", tmp_path / "t.parquet", "--workers", "1"], 2, "gw extract",
           'pip install "elasticc_fast[gw]"')


@pytest.mark.parametrize("module, extra", [("sklearn.model_selection", "ztf"), ("confluent_kafka", "stream"),
                                           ("dask.distributed", "scale"), ("nested_pandas", "nested")])
def test_cli_maps_a_missing_optional_module_to_its_extra(capsys, module, extra):
    import argparse

    def verb(args):
        raise ModuleNotFoundError(f"No module named '{module}'")   # as from a worker: no .name

    assert cli.run_verb(argparse.Namespace(command="x", _run=verb, verbose=0)) == 2
    assert f'pip install "elasticc_fast[{extra}]"' in one_error_line(capsys, "x")


def test_a_missing_module_that_is_no_extra_is_a_bug_with_a_traceback():
    import argparse

    def verb(args):
        raise ModuleNotFoundError("No module named 'nonexistent_dependency'", name="nonexistent_dependency")

    with pytest.raises(ModuleNotFoundError):
        cli.run_verb(argparse.Namespace(command="x", _run=verb, verbose=0))


def test_every_extra_named_in_messages_exists():
    text = (REPO / "pyproject.toml").read_text()
    section = text[text.index("[project.optional-dependencies]"):]
    section = section[:section.index("\n[", 1)]
    missing = [e for e in set(EXTRA_FOR_MODULE.values()) if f"\n{e} = [" not in section]
    assert not missing, f"extras named in messages but not in pyproject.toml: {missing}"


def test_gw_extract_on_error_skip(shared_data, tmp_path, capsys):
    bad = tmp_path / "broken.xml"
    bad.write_text("<LIGO_LW><Table Name='sngl_inspiral:table'>")
    good = shared_data / "gw" / "coinc_xml" / "coinc_G5351.xml"
    out = tmp_path / "t.parquet"
    _fails(capsys, ["gw", "extract", bad, good, "--out", out, "--workers", "1"], 1, "gw extract", bad)
    assert not out.exists()
    assert cli.main(["gw", "extract", str(bad), str(good), "--out", str(out), "--workers", "1",
                     "--on-error", "skip"]) == 1                    # done, but a file failed
    captured = capsys.readouterr()
    assert "1 triggers" in captured.out and f"skipped {bad}" in captured.err and out.is_file()


def test_usage_errors_exit_2(tmp_path, capsys):
    _fails(capsys, ["simulate"], 2, "simulate", "OUT_DIR")
    _fails(capsys, ["gw", "classify", tmp_path / "t.parquet", "--out", tmp_path / "o"], 2, "gw classify",
           "--mean-counts")


def test_train_refuses_view_options_out_of_range(tmp_path, capsys):
    data = tmp_path / "pq"
    data.mkdir()
    _fails(capsys, ["train", data, "--out", tmp_path / "m", "--full-views", "1.5"], 2, "train", "full_views", "1.5")
    _fails(capsys, ["train", data, "--out", tmp_path / "m", "--thin-nondetections", "1"], 2, "train",
           "thin_nondetections must be in [0, 1)")
    _fails(capsys, ["train", data, "--out", tmp_path / "m", "--arch", "gru", "--thin-nondetections", "0.5"], 2,
           "train", "needs arch='hybrid'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pq"]         # refused before anything was written


def test_simulate_list_classes_without_out_dir(capsys):
    assert cli.main(["simulate", "--list-classes"]) == 0
    assert "SNIa-SALT3" in capsys.readouterr().out


def test_traceback_only_with_verbose(tmp_path, capsys):
    assert cli.main(["train", str(tmp_path / "none"), "--out", str(tmp_path / "m")]) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert cli.main(["-v", "train", str(tmp_path / "none"), "--out", str(tmp_path / "m")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("elasticc-fast train: error: ")
