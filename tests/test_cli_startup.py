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


VERB_CODE = ("import sys; from elasticc_fast.cli import main; code = main(['convert', sys.argv[1], sys.argv[2]]); "
             "print(code, sorted(m for m in sys.modules if m.startswith('elasticc_fast.commands.')), "
             "sorted(m for m in ('asyncio', 'pyarrow.parquet', 'tqdm.contrib') if m in sys.modules))")


def test_a_verb_loads_its_own_parser_only_and_no_progress_redirect_off_a_terminal(tmp_path):
    """`elasticc-fast convert` (stderr not a terminal, so no progress bar to keep log lines above)
    imports neither the other verbs, tqdm.contrib (asyncio, ssl) nor pyarrow.parquet before it needs it."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "python")}
    out = subprocess.run([sys.executable, "-c", VERB_CODE, str(tmp_path / "missing"), str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "1 ['elasticc_fast.commands.convert'] []", out.stdout
    assert "RAW_DIR is not a folder" in out.stderr
