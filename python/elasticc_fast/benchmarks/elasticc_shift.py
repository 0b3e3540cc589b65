"""How far the built-in LSST simulator is from each labelled real ELAsTiCC set on the inputs the
ELAsTiCC hybrid's tabular branch sees: per real set (``sim_to_real.REAL_SETS``), a LightGBM told to
separate the real windows from simulated objects of the set's true class (cross-validated ROC AUC,
``bts_shift.origin_auc``: 0.5 = indistinguishable), on all inputs, on the ``light-curve`` features
alone (u, g, r, i, z, Y) and on the host/MW context alone, and the most shifted inputs (median
difference in units of the real interquartile range, ``bts_shift.shifted_features``).

    python -m elasticc_fast.benchmarks.elasticc_shift [--objects 300] [--seed 1000] [--detection noise-free|measured]
                                                      [--json FILE]

Both sides go through the classifier's preprocessing (trigger = first detection). The training
sample's sets are whole curves; a Fink alert is the curve up to that alert, so each simulated
object is cut at a span (days after its first detection) drawn from the real alerts' spans.
Beside the AUCs, what the light-curve branch sees of both: points and detections per object, the
share of non-detections and of objects with a single detection (:func:`window_counts`).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .bts_shift import origin_auc, shifted_features

LSST_BANDS = ("u", "g", "r", "i", "z", "Y")


def spans(batch) -> np.ndarray:
    """(n,) days from each object's first detection to its last point (NaN: no detection)."""
    from ..views import first_detection_mjd

    last = np.full(len(batch), -np.inf)
    np.maximum.at(last, np.repeat(np.arange(len(batch)), batch.lengths), batch.mjd)
    return last - first_detection_mjd(batch)


def window_counts(batch) -> dict:
    """Mean points and detections per object, the share of points that are non-detections and the
    share of objects with exactly one detection, of a preprocessed batch."""
    from ..units import PHOTFLAG_DETECTION

    det = (batch.flag & PHOTFLAG_DETECTION) != 0
    per_object = np.bincount(np.repeat(np.arange(len(batch)), batch.lengths)[det], minlength=len(batch))
    return {"points": round(batch.n_obs / len(batch), 2), "detections": round(float(per_object.mean()), 2),
            "nondetection_share": round(1.0 - float(det.mean()), 3),
            "single_detection": round(float(np.mean(per_object == 1)), 3)}


def tabular_inputs(batch, jobs: int = 2) -> pd.DataFrame:
    """asinh of the hybrid's ``light-curve`` features (``lc_`` columns, all six bands) and the raw
    ORACLE context (``ctx_`` columns) of every object of an already preprocessed batch."""
    from ..baselines.features import extract_features
    from ..context import context_frame

    lc = np.arcsinh(extract_features(batch, bands=LSST_BANDS, n_jobs=jobs).reset_index(drop=True))
    ctx = context_frame(batch.static, "oracle").reset_index(drop=True)
    return pd.concat([lc.add_prefix("lc_"), ctx.add_prefix("ctx_")], axis=1)


def matched_sim(real, sim, alerts: bool, seed: int):
    """The simulated objects, cut like the real set's windows: unchanged for whole curves; for
    alerts each cut at a span drawn from the real alerts' spans."""
    from ..views import cut_batch

    if not alerts:
        return sim
    real_spans = spans(real)
    real_spans = real_spans[np.isfinite(real_spans)]
    return cut_batch(sim, np.random.default_rng(seed).choice(real_spans, len(sim)))


def set_row(name: str, real, sim, alerts: bool, seed: int, top: int = 6) -> dict:
    """Sizes, origin AUC on all / light-curve / context inputs, the most shifted inputs and both
    sides' :func:`window_counts`."""
    sim = matched_sim(real, sim, alerts, seed)
    r, s = (tabular_inputs(b) for b in (real, sim))
    cols = {"all": list(r.columns), "lc": [c for c in r.columns if c.startswith("lc_")],
            "ctx": [c for c in r.columns if c.startswith("ctx_")]}
    row = {"set": name, "n_real": len(r), "n_sim": len(s)}
    for k, c in cols.items():
        row[f"auc_{k}"] = round(origin_auc(r[c], s[c], seed), 3)
    row["most_shifted"] = shifted_features(r, s, top)
    row["windows_real"], row["windows_sim"] = window_counts(real), window_counts(sim)
    return row


def simulated_classes(work: Path, classes: list[str], objects: int, seed: int, models=None):
    """``objects`` simulated objects of each ORACLE leaf in ``classes`` (the real files' trigger; the
    simulator's ``models``, ``sim.models.SimModels``, default its defaults), converted and preprocessed
    like the classifier's inputs, and their leaf names."""
    from ..convert import convert
    from ..evaluate import true_leaves
    from ..io.tables import load_batch
    from ..preprocess import preprocess
    from ..sim import simulate
    from ..sim.models import SimModels
    from ..taxonomy import ORACLE_TREE

    simulate(work / "sim", objects_per_class=objects, seed=seed, classes=classes, trigger_rule="first",
             show_progress=False, **(models or SimModels()).as_dict())
    convert(work / "sim", work / "sim_parquet", overwrite=True)
    sim = preprocess(load_batch(work / "sim_parquet"))
    leaves, _ = true_leaves(sim, ORACLE_TREE)
    return sim, np.array([ORACLE_TREE.nodes[i] if i >= 0 else "" for i in leaves])


def shift_rows(shared: Path, objects: int = 300, seed: int = 1000, models=None) -> list[dict]:
    """One row (:func:`set_row`) per real set, against ``objects`` simulated objects of its class
    (the simulator's ``models``: :func:`simulated_classes`)."""
    from ..preprocess import preprocess
    from .sim_to_real import REAL_SETS, load_real_set

    with tempfile.TemporaryDirectory(prefix="elasticc_shift_") as tmp:
        work = Path(tmp)
        sim, names = simulated_classes(work, sorted({s.truth for s in REAL_SETS}), objects, seed, models)
        return [set_row(s.name, preprocess(load_real_set(shared, s, work)),
                        sim.take(np.flatnonzero(names == s.truth)), s.kind == "alerts", seed)
                for s in REAL_SETS]


def main(argv: list[str] | None = None) -> int:
    from ..shared_data import require_shared

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=300, help="simulated objects per class (default 300)")
    ap.add_argument("--seed", type=int, default=1000, help="simulation seed (default 1000)")
    ap.add_argument("--data", type=Path, default=None, help="the reference-data folder")
    ap.add_argument("--detection", choices=("noise-free", "measured"), default="noise-free",
                    help="the simulator's detection rule (as `simulate --detection`; default noise-free)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    from ..sim.models import SimModels

    rows = shift_rows(args.data or require_shared(".", "--data"), args.objects, args.seed,
                      SimModels(detection=args.detection))
    print("| real set | real | simulated | origin AUC: all | light curve | context | most shifted inputs "
          "(median difference / real IQR) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        shifted = ", ".join(f"{k} {v:+.2f}" for k, v in r["most_shifted"].items())
        print(f"| {r['set']} | {r['n_real']} | {r['n_sim']} | {r['auc_all']:.3f} | {r['auc_lc']:.3f} | "
              f"{r['auc_ctx']:.3f} | {shifted} |")
    print("\n| real set | points / detections per object, real | simulated | non-detections, real | simulated | "
          "one detection, real | simulated |\n|---|---|---|---|---|---|---|")
    for r in rows:
        a, b = r["windows_real"], r["windows_sim"]
        print(f"| {r['set']} | {a['points']:.1f} / {a['detections']:.1f} | {b['points']:.1f} / {b['detections']:.1f} | "
              f"{a['nondetection_share']:.2f} | {b['nondetection_share']:.2f} | {a['single_detection']:.2f} | "
              f"{b['single_detection']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"objects": args.objects, "seed": args.seed, "detection": args.detection,
                                         "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
