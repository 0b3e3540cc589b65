"""benchmarks/device_check.sh (the GPU check, never run by CI on a GPU): the script parses, stops
at once with a clear message where no GPU is visible, and the Python it calls runs every step on
the CPU with --dry-run, printing one JSON object."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "device_check.sh"


def test_script_parses():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="a GPU machine: the no-GPU path is not taken")
def test_no_gpu_fails_fast_with_a_clear_message():
    r = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "device_check: error: no GPU visible" in r.stderr and r.stdout == ""
    env = {**os.environ, "PYTHONPATH": str(REPO / "python"), "JAX_PLATFORMS": "cpu"}
    r = subprocess.run([sys.executable, str(REPO / "benchmarks" / "device_check.py")], capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 2 and "JAX sees no GPU" in r.stderr and r.stdout == ""


@pytest.mark.slow
def test_dry_run_prints_one_json_object():
    env = {**os.environ, "PYTHON": sys.executable}
    r = subprocess.run(["bash", str(SCRIPT), "--dry-run"], capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert out["dry_run"] is True and out["platform"] == "cpu"
    for arch in ("gru", "transformer"):
        assert out[arch]["infer_lc_per_s"] > 0 and out[arch]["train_windows_per_s"] > 0
    torch_row = out["pytorch_gru"]
    assert torch_row is None or torch_row["infer_lc_per_s"] > 0  # torch is optional

