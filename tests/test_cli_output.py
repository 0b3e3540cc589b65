"""What the commands print: each converted model once, readable summaries."""
from __future__ import annotations

import pytest
from snana_factory import write_pair

from elasticc_fast.cli import main


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
