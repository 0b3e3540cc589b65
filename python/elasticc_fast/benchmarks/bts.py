"""The real-data classification benchmark (``elasticc-fast benchmark ztf-bts``) on the ZTF Bright
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

    from elasticc_fast.benchmarks.bts import run_bts
    result = run_bts(Path("ztf_bts"), models=("gru", "rf"), folds=5, seed=0)   # JSON-ready dict

The pieces, each replaceable: :func:`load_bts` (the objects and their labels), the protocol
(:func:`elasticc_fast.crossval.stratified_folds` and :class:`~elasticc_fast.crossval.OutOfFold`:
every model on the same folds, pooled out-of-fold scores), one function per model family
(:func:`flax_fold`, :func:`feature_fold`: training objects in, marginals per cut of the test
objects out, registered in :data:`FOLD_RUNNERS`), and :mod:`.bts_report` for the tables.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

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

FEATURE_MODELS = ("rf", "lgbm", "hlgbm")


def cut_key(cut: float) -> str:
    """The JSON key of a cut in days (``"4"``, ``"8"`` ...; whole curves: ``"full"``)."""
    return f"{cut:g}"


CUT_KEYS = tuple(cut_key(c) for c in CUTS) + ("full",)


@dataclasses.dataclass
class BtsData:
    """The benchmark's objects: photometry only (``static`` holds just the object id: redshift and
    peak magnitudes in the BTS table would leak the type), labels, and the BTS type counts."""

    batch: Any
    labels: np.ndarray
    tree: Any
    kept: dict
    aside: dict


def load_bts(data: Path, max_objects: int | None = None, seed: int = 0) -> BtsData:
    """Read the BTS folder; ``max_objects``: a stratified random subset (smoke tests)."""
    import pyarrow as pa

    from ..io.bts import bts_types, read_bts
    from ..taxonomy.ztf import BTS_TREE, count_bts_types

    batch = read_bts(data, tree=BTS_TREE)
    kept, aside = count_bts_types(bts_types(data))
    if max_objects is not None and max_objects < len(batch):
        batch = batch.take(stratified_subset(batch.labels, max_objects, seed))
    batch = dataclasses.replace(batch, static=pa.table({"object_id": batch.ids.astype(str)}))
    return BtsData(batch, batch.labels.astype(np.int64), BTS_TREE, kept, aside)


def stratified_subset(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted indices of a stratified random subset of ``n`` objects."""
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(labels)), train_size=n, stratify=labels, random_state=seed)
    return np.sort(keep)


# ---------------------------------------------------------------------- models
@dataclasses.dataclass
class FoldSettings:
    """What every model of one run shares."""

    quick: bool = False
    epochs: int | None = None
    seed: int = 0
    jobs: int = 2
    features: dict = dataclasses.field(default_factory=dict)  #: cut key -> feature table (feature models)


def features_per_cut(batch: Any, jobs: int) -> dict:
    """Light-curve features of every object cut at each of :data:`CUTS` days and whole."""
    from ..baselines.features import extract_features

    feats = {cut_key(c): extract_features(batch, max_days=c, n_jobs=jobs) for c in CUTS}
    feats["full"] = extract_features(batch, n_jobs=jobs)
    return feats


def feature_fold(m: str, d: BtsData, tr: np.ndarray, te: np.ndarray, s: FoldSettings) -> dict:
    """Train a feature model on all cuts of the training objects; marginals per cut on the test ones."""
    import pandas as pd

    from ..baselines import FlatLightGBM, HierarchicalLightGBM, HierarchicalRandomForest

    X = pd.concat([f.iloc[tr] for f in s.features.values()], ignore_index=True)
    labels = np.tile(d.labels[tr], len(s.features))
    if m == "rf":
        model = HierarchicalRandomForest(d.tree, n_estimators=200 if s.quick else 500, seed=s.seed, n_jobs=s.jobs)
    else:
        cls = FlatLightGBM if m == "lgbm" else HierarchicalLightGBM
        model = cls(d.tree, seed=s.seed, n_jobs=s.jobs, n_estimators=150 if s.quick else 300)
    model.fit(X, labels)
    return {k: model.predict_proba(f.iloc[te]).to_numpy() for k, f in s.features.items()}


def flax_fold(arch: str, d: BtsData, tr: np.ndarray, te: np.ndarray, s: FoldSettings) -> dict:
    """Train a Flax classifier on the training objects; marginals per cut on the test ones."""
    from ..classifier import Classifier

    epochs = s.epochs if s.epochs is not None else (
        (6 if arch == "gru" else 3) if s.quick else (40 if arch == "gru" else 10))
    # fluxes are microjansky: asinh keeps 25 to 25,000 uJy in a range the networks like; long
    # curves (years of host detections) keep their first points after the cut, not the last
    clf = Classifier(tree=d.tree, arch=arch, epochs=epochs, seed=s.seed, batch_size=32, class_weighted=False,
                     patience=12, static_columns=(), static_flags=False, flux_scale="asinh", keep="first")
    clf.fit(clf.windows(d.batch.take(tr), windows="days", days=(*CUTS, WHOLE_CURVE_DAYS)), show_progress=False)
    test = d.batch.take(te)
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
        out[cut_key(c)] = p
    return out


#: model name -> ``(name, data, train, test, settings) -> {cut key: (len(test), K) marginals}``
FOLD_RUNNERS: dict[str, Callable[..., dict]] = {
    "gru": flax_fold, "transformer": flax_fold, "rf": feature_fold, "lgbm": feature_fold, "hlgbm": feature_fold}


# ---------------------------------------------------------------------- the run
def run_bts(data: Path, *, models: Sequence[str] = ALL_MODELS, quick: bool = False, folds: int = 5,
            seed: int = 0, epochs: int | None = None, max_objects: int | None = None, jobs: int = 2,
            fold_limit: int | None = None) -> dict:
    """Run the BTS cross-validation; returns the JSON-ready result (see the module docstring)."""
    from ..crossval import OutOfFold, stratified_folds
    from ..progress import progress

    t0 = time.perf_counter()
    d = load_bts(data, max_objects, seed)
    log.info("BTS: %d objects, leaves %s", len(d.batch), _counts(d))
    s = FoldSettings(quick, epochs, seed, jobs)
    t_feat = time.perf_counter()
    if any(m in FEATURE_MODELS for m in models):
        s.features = features_per_cut(d.batch, jobs)
    t_feat = time.perf_counter() - t_feat
    splits = stratified_folds(d.labels, folds, seed)
    if quick or fold_limit is not None:
        splits = splits[:1 if fold_limit is None else fold_limit]
    oof, seconds = OutOfFold(d.tree, d.labels, CUT_KEYS), {m: 0.0 for m in models}
    for f, (tr, te) in enumerate(progress(splits, desc="BTS folds", unit="fold")):
        for m in models:
            t = time.perf_counter()
            oof.add(m, f, te, FOLD_RUNNERS[m](m, d, tr, te, s))
            seconds[m] += time.perf_counter() - t
            log.info("fold %d/%d %s: %.0f s", f + 1, len(splits), m, time.perf_counter() - t)
    return _result(data, d, oof, seconds, folds=folds, folds_run=len(splits), seed=seed, quick=quick,
                   feature_seconds=t_feat, total_seconds=time.perf_counter() - t0)


def _counts(d: BtsData) -> dict[str, int]:
    return {d.tree.nodes[k]: int(v) for k, v in zip(*np.unique(d.labels, return_counts=True), strict=True)}


def _result(data: Path, d: BtsData, oof: Any, seconds: dict, *, folds: int, folds_run: int, seed: int,
            quick: bool, feature_seconds: float, total_seconds: float) -> dict:
    from .machine import machine

    return {
        "benchmark": "ztf-bts", "data": str(data), "tree": d.tree.to_dict(),
        "n_objects": int(len(d.labels)), "n_evaluated": int((oof.fold_of >= 0).sum()),
        "class_counts": _counts(d), "bts_types_kept": d.kept, "bts_types_set_aside": d.aside,
        "folds": folds, "folds_run": folds_run, "seed": seed, "quick": quick, "cuts": list(CUT_KEYS),
        "models": {m: {**oof.scores(m), "seconds": round(t, 1)} for m, t in seconds.items()},
        "feature_seconds": round(feature_seconds, 1), "total_seconds": round(total_seconds, 1),
        "references": REFERENCES, "goal_full_leaf_macro_f1": GOAL_FULL_LEAF_F1, "machine": machine(),
    }
