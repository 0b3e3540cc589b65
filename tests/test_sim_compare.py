"""Simulated-vs-real feature comparison: KS distances and medians per group, the Markdown table and
the plot (tools/compare_sim_real.py builds docs/simulator.md's tables from these)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from elasticc_fast.sim import compare


def _frame(rng, shift: float, groups=("A", "B"), n: int = 200) -> pd.DataFrame:
    return pd.DataFrame({"x": np.concatenate([rng.normal(shift * (k + 1), 1, n) for k in range(len(groups))]),
                         "y": np.concatenate([rng.exponential(2, n) for _ in groups]),
                         "group": np.repeat(groups, n)})


def test_compare_detects_a_shift_and_not_noise(tmp_path):
    rng = np.random.default_rng(0)
    real, sim = _frame(rng, 0.0), _frame(rng, 1.0, groups=("A", "B", "C"))
    t = compare.compare(real, sim, ["x", "y"]).set_index(["group", "feature"])
    assert set(t.index.get_level_values(0)) == {"A", "B"}  # only groups on both sides
    assert t.loc[("A", "x"), "ks"] > 0.3 and t.loc[("B", "x"), "ks"] > t.loc[("A", "x"), "ks"]
    assert t.loc[("A", "y"), "ks"] < 0.15 and t.loc[("A", "y"), "p"] > 0.01
    assert abs(t.loc[("B", "x"), "median_sim"] - 2.0) < 0.2
    md = compare.markdown(t.reset_index(), ["x", "y"])
    assert md.splitlines()[2].startswith("| A (200 / 200) |")
    png = compare.plot(real, sim, ["x", "y"], tmp_path / "p.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
