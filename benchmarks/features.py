"""Time the ``light-curve`` feature extraction of one training epoch's views (the hybrid's hot path).

Simulates the demo's set (``elasticc-fast demo`` defaults: 300 objects per class, seed 0), draws
one epoch of the demo's random views (a quarter of them whole curves) and extracts the six-band
features of every view with :func:`elasticc_fast.baselines.extract_features` (ours: every band's
points of the whole batch at once, the Rust extractors' ``many`` on 2 threads) and, as the
baseline, the same function called object by object (how a per-alert pipeline calls it). Checks
that both give the same table bit for bit, prints the times, their ratio and JSON.

    python benchmarks/features.py [--objects-per-class 300] [--repeats 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from _machine import machine, write_json  # noqa: E402 (benchmarks/ is on sys.path when run as a script)
from elasticc_fast.baselines import extract_features
from elasticc_fast.demo import DemoSettings, _Clock, simulated_batch
from elasticc_fast.nn.config import ELASTICC_HYBRID, TrainConfig
from elasticc_fast.preprocess import preprocess
from elasticc_fast.views import ViewOptions, random_views

BANDS = tuple(ELASTICC_HYBRID["feature_bands"])


def best_of(fn, repeats: int) -> tuple[float, object]:
    """The shortest wall time of ``repeats`` calls (seconds) and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects-per-class", type=int, default=DemoSettings.objects_per_class)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    s = DemoSettings(objects_per_class=args.objects_per_class)
    with tempfile.TemporaryDirectory() as tmp:
        batch = simulated_batch(s, Path(tmp), Path(tmp), _Clock(lambda *a: None))
    curves = preprocess(batch, **TrainConfig().preprocess.to_dict())
    views, _ = random_views(curves, 1, ViewOptions(full_share=ELASTICC_HYBRID["full_views"]))
    t_ours, ours = best_of(lambda: extract_features(views, bands=BANDS, n_jobs=2), args.repeats)
    t_base, base = best_of(lambda: pd.concat([extract_features(views[i:i + 1], bands=BANDS)
                                              for i in range(len(views))]), 1)
    pd.testing.assert_frame_equal(ours, base, check_exact=True)
    print(f"machine: {machine()}")
    print(f"{len(views)} views, {views.n_obs} points, bands {''.join(BANDS)}")
    print(f"extract_features, whole batch (2 threads): {t_ours:.2f} s (best of {args.repeats})")
    print(f"extract_features, object by object:        {t_base:.2f} s")
    print(f"ratio: {t_base / t_ours:.1f}x")
    if args.json:
        write_json(args.json, {"benchmark": "features", "views": len(views), "points": int(views.n_obs),
                               "batch_s": round(t_ours, 3), "per_object_s": round(t_base, 3),
                               "ratio": round(t_base / t_ours, 2)})


if __name__ == "__main__":
    main()
