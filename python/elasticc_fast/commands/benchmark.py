"""``elasticc-fast benchmark ztf-bts``: the real-data classification benchmark on the ZTF Bright
Transient Survey (2,710 spectroscopically typed objects; 17 of unclassifiable types set aside).

Stratified k-fold cross-validation (fixed seed) of the Flax GRU and transformer against the
hierarchical balanced random forest and LightGBM (flat and hierarchical) on light-curve features.
Every model is scored on the same out-of-fold predictions: macro-F1 and per-class F1 on the leaves
and the top level, for full curves and for curves cut at 4, 8, 16, 32 and 64 days after the first
detection. Every model trains on the same views of the training objects: each object cut at 4,
8, 16, 32 and 64 days and whole (features of each view for the feature models, the padded windows
of each view for the Flax models), so all learn partial curves alike. The Flax models train with
an unweighted hierarchical loss: with ORACLE's class weights (up to ~100x for CV/nova) they
collapsed onto the rarest classes on these 2,150 training objects.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from pathlib import Path
from typing import Any

from ..errors import UsageError

NAME = "benchmark"
ORDER = 80
log = logging.getLogger(__name__)

CUTS = (4.0, 8.0, 16.0, 32.0, 64.0)
ALL_MODELS = ("gru", "transformer", "rf", "lgbm", "hlgbm")
MODEL_LABELS = {"gru": "Flax GRU", "transformer": "Flax transformer", "rf": "hierarchical balanced RF",
                "lgbm": "LightGBM (flat)", "hlgbm": "LightGBM (hierarchical)"}
#: published reference points (leaf macro-F1), SCIENCE.md / the issue
REFERENCES = {
    "ORACLE-2 on BTS, light curves + images + metadata (full curves)": 0.73,
    "ORACLE-2 on BTS, without images (full curves)": 0.66,
    "ALeRCE 22-class forest, full forced-photometry curves (different set; context only)": 0.69,
}
GOAL_FULL_LEAF_F1 = 0.75
#: a "days" window this long holds the whole curve (BTS curves span < 6 years)
WHOLE_CURVE_DAYS = 1e5


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME, help="run a named benchmark (ztf-bts: real-data classification benchmark)",
        description="Run a named benchmark and print its table.")
    sub = p.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    z = sub.add_parser(
        "ztf-bts", help="ZTF BTS: Flax GRU/transformer vs random forest and LightGBM, k-fold CV",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    z.add_argument("--data", type=Path, default=None,
                   help="the ztf_bts folder (default: $ELASTICC_FAST_SHARED/ztf_bts or ../shared/data/ztf_bts)")
    z.add_argument("--quick", action="store_true",
                   help="one fold, fewer epochs and trees (under 5 minutes on a laptop)")
    z.add_argument("--json", type=Path, default=None, help="write the results (per model macro_f1 by cut) here")
    z.add_argument("--markdown", type=Path, default=None, help="write the markdown tables here")
    z.add_argument("--folds", type=int, default=5, help="number of stratified folds (default 5)")
    z.add_argument("--fold-limit", type=int, default=None,
                   help="run only the first N folds of the split (--quick: 1)")
    z.add_argument("--seed", type=int, default=0, help="seed of the split and of every model (default 0)")
    z.add_argument("--models", default=",".join(ALL_MODELS),
                   help=f"comma-separated subset of {','.join(ALL_MODELS)}")
    z.add_argument("--epochs", type=int, default=None, help="override the epochs of the Flax models")
    z.add_argument("--max-objects", type=int, default=None,
                   help="stratified random subset of this many objects (smoke tests)")
    z.add_argument("--jobs", type=int, default=2, help="threads for features and tree models (default 2)")
    return p


def run(args: argparse.Namespace) -> int:
    if getattr(args, "benchmark", None) != "ztf-bts":
        raise UsageError("choose a benchmark: elasticc-fast benchmark ztf-bts --help")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(ALL_MODELS))
    if unknown:
        raise UsageError(f"unknown models {unknown} (choose from {', '.join(ALL_MODELS)})")
    data = args.data or _default_data()
    if not (data / "ANTARES").is_dir():
        raise UsageError(f"{data}: not the ztf_bts folder (no ANTARES/ inside); give --data or set "
                         "ELASTICC_FAST_SHARED")
    result = ztf_bts(data, models=models, quick=args.quick, folds=args.folds, seed=args.seed,
                     epochs=args.epochs, max_objects=args.max_objects, jobs=args.jobs,
                     fold_limit=args.fold_limit)
    text = markdown(result)
    print(text)
    from ..atomic import atomic_path
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(result, indent=1))
    if args.markdown:
        with atomic_path(args.markdown) as tmp:
            tmp.write_text(text + "\n")
    return 0


def _default_data() -> Path:
    from ..shared_data import shared_path

    return shared_path("ztf_bts")


# ---------------------------------------------------------------------- the benchmark
def ztf_bts(data: Path, *, models=ALL_MODELS, quick: bool = False, folds: int = 5, seed: int = 0,
            epochs: int | None = None, max_objects: int | None = None, jobs: int = 2,
            fold_limit: int | None = None) -> dict:
    """Run the BTS cross-validation; returns the JSON-ready result (see the module docstring)."""
    import dataclasses

    import numpy as np
    import pyarrow as pa
    from sklearn.model_selection import StratifiedKFold

    from ..baselines.features import extract_features
    from ..io.bts import bts_types, read_bts
    from ..taxonomy.ztf import BTS_TREE, count_bts_types

    tree = BTS_TREE
    t0 = time.perf_counter()
    batch = read_bts(data, tree=tree)
    kept, aside = count_bts_types(bts_types(data))
    if max_objects is not None and max_objects < len(batch):
        batch = batch.take(_stratified_subset(batch.labels, max_objects, seed))
    # the models see photometry only: redshift and peak magnitudes in the BTS table would leak the type
    batch = dataclasses.replace(batch, static=pa.table({"object_id": batch.ids.astype(str)}))
    y = batch.labels.astype(np.int64)
    log.info("BTS: %d objects, leaves %s", len(batch), {tree.nodes[k]: int(v) for k, v in
                                                         zip(*np.unique(y, return_counts=True))})
    cut_keys = [_key(c) for c in CUTS] + ["full"]
    t_feat = time.perf_counter()
    feats = {}
    if any(m in ("rf", "lgbm", "hlgbm") for m in models):
        feats = {_key(c): extract_features(batch, max_days=c, n_jobs=jobs) for c in CUTS}
        feats["full"] = extract_features(batch, n_jobs=jobs)
    t_feat = time.perf_counter() - t_feat

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(y)), y))
    if quick or fold_limit is not None:
        splits = splits[:1 if fold_limit is None else fold_limit]
    pred = {m: {k: np.full(len(y), -1, np.int64) for k in cut_keys} for m in models}
    pred_top = {m: {k: np.full(len(y), -1, np.int64) for k in cut_keys} for m in models}
    seconds = {m: 0.0 for m in models}
    fold_of = np.full(len(y), -1, np.int64)
    from ..progress import progress
    for f, (tr, te) in enumerate(progress(splits, desc="BTS folds", unit="fold")):
        fold_of[te] = f
        for m in models:
            t = time.perf_counter()
            if m in ("gru", "transformer"):
                probs = _flax_fold(m, batch, tr, te, tree, quick, epochs, seed)
            else:
                probs = _feature_fold(m, feats, y, tr, te, tree, quick, seed, jobs)
            seconds[m] += time.perf_counter() - t
            for k, p in probs.items():
                pred[m][k][te], pred_top[m][k][te] = _argmax_levels(tree, p)
            log.info("fold %d/%d %s: leaf macro-F1 full %.3f (%.0f s)", f + 1, len(splits), m,
                     _f1(tree, y[te], pred[m]["full"][te]), time.perf_counter() - t)
    evaluated = fold_of >= 0
    top_true = tree.ancestor_at(y, 1)
    out_models = {}
    for m in models:
        out_models[m] = _model_scores(tree, y, top_true, pred[m], pred_top[m], fold_of, evaluated, cut_keys)
        out_models[m]["seconds"] = round(seconds[m], 1)
    return {
        "benchmark": "ztf-bts", "data": str(data), "tree": tree.to_dict(),
        "n_objects": int(len(y)), "n_evaluated": int(evaluated.sum()),
        "class_counts": {tree.nodes[k]: int(v) for k, v in zip(*np.unique(y, return_counts=True))},
        "bts_types_kept": kept, "bts_types_set_aside": aside,
        "folds": folds, "folds_run": len(splits), "seed": seed, "quick": quick, "cuts": cut_keys,
        "models": out_models, "feature_seconds": round(t_feat, 1),
        "total_seconds": round(time.perf_counter() - t0, 1), "references": REFERENCES,
        "goal_full_leaf_macro_f1": GOAL_FULL_LEAF_F1, "machine": _machine(),
    }


def _key(cut: float) -> str:
    return f"{cut:g}"


def _stratified_subset(labels, n: int, seed: int):
    import numpy as np
    from sklearn.model_selection import train_test_split
    idx = np.arange(len(labels))
    keep, _ = train_test_split(idx, train_size=n, stratify=labels, random_state=seed)
    return np.sort(keep)


def _argmax_levels(tree, probs):
    """(n, K) marginals -> (leaf prediction, top-level prediction), each by argmax at its level."""
    import numpy as np
    leaves = np.asarray(tree.leaves)
    top = np.asarray(tree.levels()[1])
    return leaves[np.argmax(probs[:, leaves], axis=1)], top[np.argmax(probs[:, top], axis=1)]


def _f1(tree, yt, yp) -> float:
    from ..metrics import scores
    return scores(yt, yp, len(tree)).f1


def _model_scores(tree, y, top_true, pred, pred_top, fold_of, evaluated, cut_keys) -> dict:
    """Pooled out-of-fold scores plus the spread over folds."""
    import numpy as np

    from ..metrics import scores
    res: dict[str, dict] = {"macro_f1": {}, "macro_f1_fold_std": {}, "top_macro_f1": {},
                            "per_class_f1": {}, "top_per_class_f1": {}}
    folds = sorted(set(fold_of[evaluated].tolist()))
    for k in cut_keys:
        e = evaluated
        s = scores(y[e], pred[k][e], len(tree))
        st = scores(top_true[e], pred_top[k][e], len(tree))
        res["macro_f1"][k] = round(s.f1, 4)
        res["top_macro_f1"][k] = round(st.f1, 4)
        res["per_class_f1"][k] = {tree.nodes[i]: round(float(s.per_class_f1[i]), 4) for i in tree.leaves}
        res["top_per_class_f1"][k] = {tree.nodes[i]: round(float(st.per_class_f1[i]), 4)
                                      for i in tree.levels()[1]}
        per_fold = [scores(y[fold_of == f], pred[k][fold_of == f], len(tree)).f1 for f in folds]
        res["macro_f1_fold_std"][k] = round(float(np.std(per_fold)), 4) if len(per_fold) > 1 else None
    return res


def _feature_fold(m, feats, y, tr, te, tree, quick, seed, jobs) -> dict:
    """Train a feature model on all cuts of the training objects; marginals per cut on the test ones."""
    import numpy as np
    import pandas as pd

    from ..baselines import FlatLightGBM, HierarchicalLightGBM, HierarchicalRandomForest
    X = pd.concat([f.iloc[tr] for f in feats.values()], ignore_index=True)
    labels = np.tile(y[tr], len(feats))
    if m == "rf":
        model = HierarchicalRandomForest(tree, n_estimators=200 if quick else 500, seed=seed, n_jobs=jobs)
    elif m == "lgbm":
        model = FlatLightGBM(tree, seed=seed, n_jobs=jobs, n_estimators=150 if quick else 300)
    else:
        model = HierarchicalLightGBM(tree, seed=seed, n_jobs=jobs, n_estimators=150 if quick else 300)
    model.fit(X, labels)
    return {k: model.predict_proba(f.iloc[te]).to_numpy() for k, f in feats.items()}


def _flax_fold(arch, batch, tr, te, tree, quick, epochs, seed) -> dict:
    """Train a Flax classifier on the training objects; marginals per cut on the test ones."""
    import numpy as np

    from ..classifier import Classifier
    if epochs is None:
        epochs = (6 if arch == "gru" else 3) if quick else (40 if arch == "gru" else 10)
    # fluxes are microjansky: asinh keeps 25 to 25,000 uJy in a range the networks like; long
    # curves (years of host detections) keep their first points after the cut, not the last
    clf = Classifier(tree=tree, arch=arch, epochs=epochs, seed=seed, batch_size=32, class_weighted=False, patience=12,
                     static_columns=(), static_flags=False, flux_scale="asinh", keep="first")
    train = clf.windows(batch.take(tr), windows="days", days=(*CUTS, WHOLE_CURVE_DAYS))
    clf.fit(train, show_progress=False)
    test = batch.take(te)
    full = clf.predict_proba(test)
    if len(full) != len(te):
        raise RuntimeError(f"{arch}: {len(te) - len(full)} test objects got no full-curve prediction")
    out = {"full": full.loc[test.ids].to_numpy()}
    win = clf.windows(test, windows="days", days=CUTS)
    probs = clf.predict_proba(win).to_numpy()
    for c in CUTS:
        rows = np.flatnonzero(win.days == c)
        if len(rows) != len(te) or not np.array_equal(np.sort(win.source[rows]), np.arange(len(te))):
            raise RuntimeError(f"{arch}: the {c:g}-day windows do not cover every test object once")
        p = np.empty((len(te), probs.shape[1]))
        p[win.source[rows]] = probs[rows]
        out[_key(c)] = p
    return out


def _machine() -> str:
    return f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, {platform.system()}".strip()


# ---------------------------------------------------------------------- report
def markdown(result: dict) -> str:
    """The benchmark tables (leaf and top-level macro-F1 by cut, per-class F1 on full curves)."""
    cuts = result["cuts"]
    head = "| model | " + " | ".join(f"{c} d" if c != "full" else "full" for c in cuts) + " |"
    sep = "|---" * (len(cuts) + 1) + "|"
    lines = [f"ZTF BTS: {result['n_evaluated']} objects evaluated of {result['n_objects']} "
             f"({result['folds_run']} of {result['folds']} stratified folds, seed {result['seed']}"
             f"{', --quick' if result['quick'] else ''}); set aside: "
             + ", ".join(f"{k} {v}" for k, v in result["bts_types_set_aside"].items()) + ".", "",
             "Leaf macro-F1 (pooled out-of-fold; cuts in days after the first detection):", "", head, sep]
    for m, r in result["models"].items():
        std = r.get("macro_f1_fold_std") or {}
        cells = [f"{r['macro_f1'][c]:.3f}" + (f" ± {std[c]:.3f}" if std.get(c) is not None else "") for c in cuts]
        lines.append(f"| {MODEL_LABELS.get(m, m)} | " + " | ".join(cells) + " |")
    lines += ["", "Top-level macro-F1 (SN / SLSN / CV-nova):", "", head, sep]
    for m, r in result["models"].items():
        lines.append(f"| {MODEL_LABELS.get(m, m)} | " + " | ".join(f"{r['top_macro_f1'][c]:.3f}" for c in cuts) + " |")
    leaves = list(next(iter(result["models"].values()))["per_class_f1"]["full"]) if result["models"] else []
    lines += ["", "Per-class F1, full curves (support: " + ", ".join(
        f"{k} {v}" for k, v in result["class_counts"].items()) + "):", "",
        "| model | " + " | ".join(leaves) + " |", "|---" * (len(leaves) + 1) + "|"]
    for m, r in result["models"].items():
        lines.append(f"| {MODEL_LABELS.get(m, m)} | " + " | ".join(f"{r['per_class_f1']['full'][c]:.2f}" for c in leaves) + " |")
    lines += ["", "Published reference points (leaf macro-F1):", ""]
    lines += [f"- {k}: {v:.2f}" for k, v in result["references"].items()]
    lines += ["", f"Time: {result['total_seconds']:.0f} s in all ("
              + ", ".join(f"{m} {r['seconds']:.0f} s" for m, r in result["models"].items())
              + f", features {result['feature_seconds']:.0f} s) on {result['machine']}."]
    return "\n".join(lines)
