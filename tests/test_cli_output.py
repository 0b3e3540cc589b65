"""What the commands print: each converted model once, readable summaries."""
from __future__ import annotations

import pytest

from elasticc_fast.cli import main
from snana_factory import write_pair


@pytest.mark.cpp
def test_convert_reports_each_model_once(tmp_path, capsys, caplog):
    raw = tmp_path / "raw"
    write_pair(raw / "SIM_01_KN_K17", "SIM_01_NONIaMODEL0-0001", [3, 2], seed=1, snid_start=10)
    write_pair(raw / "SIM_01_Mdwarf-flare", "SIM_01_NONIaMODEL0-0001", [4], seed=2, snid_start=20)
    for run in range(2):                       # a rerun keeps the outputs and says so, once
        caplog.clear()
        assert main(["convert", str(raw), str(tmp_path / "out")]) == 0
        captured = capsys.readouterr()
        both = captured.out + captured.err + "\n".join(r.getMessage() for r in caplog.records)  # logs: stderr
        for model in ("KN_K17", "Mdwarf-flare"):
            assert sum(model in line for line in both.splitlines()) == 1, both
        assert ("KN_K17: 2 objects" if run == 0 else "KN_K17: ") in captured.out


def test_epoch_lines_are_readable():
    from elasticc_fast.nn.train import describe_epoch

    rec = {"epoch": 3, "loss": 0.51234, "val_loss": 0.6, "val_f1": 0.4123, "val_acc": 0.5, "seconds": 2.04}
    assert describe_epoch(rec) == "loss 0.5123, val_loss 0.6000, val_f1 0.412, val_acc 0.500, 2.0 s"
    assert describe_epoch({"epoch": 0, "loss": 1.0}) == "loss 1.0000"


def test_simulate_summary_is_a_table_not_a_dict():
    from elasticc_fast.summaries import describe_simulation as describe

    summary = {"out_dir": "sim", "n_objects": 5, "n_obs": 70, "seconds": 1.23,
               "classes": {"KN_K17": {"class": "KN", "n_objects": 5, "n_obs": 70, "n_det": 9, "files": 1}}}
    lines = describe(summary).splitlines()
    assert lines[0].split() == ["KN_K17", "KN", "5", "objects", "70", "observations", "9", "detections", "1", "files"]
    assert lines[-1] == "5 objects, 70 observations of 1 classes in 1.2 s -> sim"
    ztf = {"out_dir": "z", "path": "z/ztf_sim.parquet", "n_objects": 3, "n_obs": 40, "n_alerts": 12,
           "classes": {"SN Ia": 2, "CV": 1}, "seconds": 0.5}
    assert describe(ztf).splitlines()[-1] == "3 objects, 40 observations, 12 alerts of 2 classes in 0.5 s -> z/ztf_sim.parquet"


@pytest.mark.parametrize("terminal", [True, False])
def test_log_lines_go_through_tqdm_while_a_command_runs(monkeypatch, terminal):
    """On a terminal (where progress bars show) a console log handler is swapped for tqdm's while
    the verb runs, so a log line never breaks a progress bar; it is back afterwards. Elsewhere
    (no bar) the handlers stay as they are."""
    import argparse
    import logging
    import sys

    from elasticc_fast.cli import run_verb

    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    root = logging.getLogger()
    console = logging.StreamHandler(sys.stderr)
    root.addHandler(console)
    seen = {}

    def verb(args):
        seen["handlers"] = list(root.handlers)
        return 0

    try:
        assert run_verb(argparse.Namespace(command="x", _run=verb, verbose=0)) == 0
        assert console in root.handlers
    finally:
        root.removeHandler(console)
    assert (console not in seen["handlers"]) == terminal
    assert any(type(h).__module__.startswith("tqdm") for h in seen["handlers"]) == terminal
