"""The real-data classification benchmark (``elasticc-fast benchmark ztf-bts``) on the ZTF Bright
Transient Survey: every model of :mod:`.bts_models` on the same stratified folds, for one context
track, scored on pooled out-of-fold predictions (:class:`elasticc_fast.crossval.OutOfFold`);
:mod:`.bts_report` writes the tables.

    from elasticc_fast.benchmarks.bts import run_track
    result = run_track("../shared/data/ztf_bts", context="redshift")   # JSON-ready dict

2,710 BTS objects with spectroscopic types; the 17 of types with no leaf are set aside. Photometry:
ANTARES alert detections, g and r, microjansky. Cuts: days after the first detection.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from .bts_models import ALL_MODELS, CUTS, DEFAULT_MODELS, MODELS, Fold, check_options, cut_key, horizon_of  # noqa: F401
from .machine import machine

log = logging.getLogger(__name__)

#: published reference points (leaf macro-F1, full curves), SCIENCE.md / issue 12
REFERENCES = {
    "none": {"Superphot+ without redshift, 5 ZTF SN classes (different sample; context only)": 0.61,
             "ORACLE-2 on BTS without images (alert metadata included)": 0.66},
    "redshift": {"Superphot+ with redshift (different sample; context only)": 0.71,
                 "ORACLE-2 on BTS, light curves + images + metadata": 0.73},
}
GOALS = {"none": 0.62, "redshift": 0.80}
VAL_FRACTION = 0.15


def default_data() -> Path:
    from ..shared_data import shared_path

    return shared_path("ztf_bts")


def load(data: Path, max_objects: int | None = None, seed: int = 0):
    """(batch with labels, {set-aside type: count}, {kept type: count})."""
    from ..io.bts import bts_types, read_bts
    from ..taxonomy.ztf import BTS_TREE, count_bts_types

    batch = read_bts(data, tree=BTS_TREE, progress=False)
    kept, aside = count_bts_types(bts_types(data))
    if max_objects is not None and max_objects < len(batch):
        from sklearn.model_selection import train_test_split
        keep, _ = train_test_split(np.arange(len(batch)), train_size=max_objects, stratify=batch.labels,
                                   random_state=seed)
        batch = batch.take(np.sort(keep))
    return batch, aside, kept


def cut_features(batch, context: str, jobs: int, horizon: float | None = None,
                 luminosity: bool | str | None = False) -> dict[str, pd.DataFrame]:
    """Features of every object at every cut (points later than ``horizon`` days after the first
    detection ignored), with the track's raw context columns appended; ``luminosity`` (a track
    with a redshift; True/"all" or "absmag", :func:`elasticc_fast.luminosity.luminosity_kind`): also
    the cut curve's brightest absolute magnitudes (:func:`elasticc_fast.luminosity.window_absmag`),
    the deep models' ``lum:`` inputs."""
    from ..baselines.features import extract_features
    from ..context import context_frame
    from ..luminosity import absmag_names, luminosity_kind, select_absmag, window_absmag
    from ..views import cut_batch, max_days

    ctx = context_frame(batch.static, context, index=pd.Index(batch.ids, name="object_id"))
    kind = luminosity_kind(luminosity)
    out = {}
    for cut in (*CUTS, None):
        f = extract_features(batch, max_days=max_days(cut, horizon), n_jobs=jobs)
        parts = [f, ctx] if len(ctx.columns) else [f]
        if kind and "redshift" in ctx.columns:
            lum = window_absmag(cut_batch(batch, max_days(cut, horizon)), ctx["redshift"].to_numpy(),
                                ctx["A_V"].to_numpy() if "A_V" in ctx.columns else None)
            parts.append(pd.DataFrame(select_absmag(lum, kind), columns=absmag_names(("g", "r"), kind),
                                      index=ctx.index))
        out[cut_key(cut)] = pd.concat(parts, axis=1) if len(parts) > 1 else f
    return out


def run_track(data: str | Path | None = None, *, context: str = "none", models: Sequence[str] = DEFAULT_MODELS,
              folds: int = 5, fold_limit: int | None = None, seed: int = 0, quick: bool = False,
              jobs: int = 2, max_objects: int | None = None, options: dict | None = None,
              cache: dict | None = None, on_fold: Callable[[dict], None] | None = None) -> dict:
    """Cross-validate ``models`` on one context track; returns the JSON-ready result.

    ``cache``: extracted features of the deep models' views, shared by every fold (and by the
    tracks of one process when passed again: the views do not depend on the context).
    ``on_fold``: called with the result so far after every fold (every model of it done), so a
    long run leaves its finished folds behind."""
    from ..context import context_columns, context_matrix
    from ..crossval import OutOfFold, stratified_folds, validation_split
    from ..taxonomy.ztf import BTS_TREE as tree

    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        raise ValueError(f"unknown models {unknown} (choose from {', '.join(MODELS)})")
    check_options(options or {})
    data = Path(data) if data is not None else default_data()
    run = {"t0": time.perf_counter(), "data": data, "context": context, "folds": folds, "seed": seed,
           "quick": quick, "options": dict(options or {}), "seconds": dict.fromkeys(models, 0.0)}
    batch, run["aside"], run["kept"] = load(data, max_objects, seed)
    y = batch.labels.astype(np.int64)
    t_feat = time.perf_counter()
    feats = cut_features(batch, context, jobs, horizon_of(run["options"]), run["options"].get("luminosity"))
    run["feature_seconds"] = time.perf_counter() - t_feat
    ctx = context_matrix(batch.static, context) if context_columns(context) else None
    splits = stratified_folds(y, folds, seed)[:1 if quick and fold_limit is None else fold_limit]
    oof = OutOfFold(tree, y, tuple(cut_key(c) for c in (*CUTS, None)))
    result: dict = {}
    for f, (tr, te) in enumerate(splits):
        _, va = validation_split(tr, y, VAL_FRACTION, seed)
        fold = Fold(batch, y, tree, tr, va, te, feats, ctx, context_columns(context), seed, quick, jobs,
                    dict(options or {}), cache if cache is not None else {})
        for m in models:
            t = time.perf_counter()
            oof.add(m, f, te, MODELS[m].run(fold))
            run["seconds"][m] += time.perf_counter() - t
            log.info("%s fold %d/%d %s: leaf macro-F1 full %.3f (%.0f s)", context, f + 1, len(splits), m,
                     oof.scores(m)["macro_f1"]["full"], time.perf_counter() - t)
        result = _result(run, oof, tree, y, f + 1)
        if on_fold is not None:
            on_fold(result)
    return result


def _result(run: dict, oof, tree, y: np.ndarray, folds_run: int) -> dict:
    """The JSON-ready result of the folds run so far."""
    from ..context import CONTEXT_LABELS, context_columns

    c = run["context"]
    models = {m: {**oof.scores(m), "label": MODELS[m].label, "deep": MODELS[m].deep, "seconds": round(t, 1)}
              for m, t in run["seconds"].items()}
    return {"benchmark": "ztf-bts", "context": c, "context_label": CONTEXT_LABELS[c],
            "context_columns": list(context_columns(c)), "data": str(run["data"]), "tree": tree.to_dict(),
            "n_objects": int(len(y)), "n_evaluated": int((oof.fold_of >= 0).sum()),
            "class_counts": {tree.nodes[k]: int(v) for k, v in zip(*np.unique(y, return_counts=True), strict=True)},
            "bts_types_kept": run["kept"], "bts_types_set_aside": run["aside"], "folds": run["folds"],
            "folds_run": folds_run, "seed": run["seed"], "quick": run["quick"], "cuts": list(oof.cuts),
            "models": models, "options": run["options"], "horizon_days": horizon_of(run["options"]), "feature_seconds": round(run["feature_seconds"], 1),
            "total_seconds": round(time.perf_counter() - run["t0"], 1), "references": REFERENCES[c],
            "goal_full_leaf_macro_f1": GOALS[c], "machine": machine()}
