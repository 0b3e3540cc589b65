"""The CLI's start-up (parser of every verb, what each call pays first; `convert`'s planning
process included) imports neither JAX, pandas nor pyarrow.compute: together about 1 s of CPU per call."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CODE = ("import sys; from elasticc_fast.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('jax', 'pandas', 'flax', 'pyarrow.compute') if m in sys.modules))")


def test_parser_of_every_verb_loads_no_heavy_module():
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "python")}
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]", out.stdout
