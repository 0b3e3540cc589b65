"""The models of the BTS benchmark, one registry: name -> how it trains on a fold and what it
predicts for the fold's test objects at every cut.

Every model gets a :class:`Fold`: the same training objects (the deep models hold a stratified
15 % of them out for epoch selection; nothing of the test fold is seen), the same test objects,
the same context columns. Feature models train on the ``light-curve`` features of each training
object cut at 4, 8, 16, 32, 64 days and whole (+ the context columns); deep models on fresh random
views every epoch (:class:`~elasticc_fast.nn.hybrid_data.HybridData`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:  # pandas loads when a model runs: the CLI's start-up (every verb) stays without it
    import pandas as pd

log = logging.getLogger(__name__)

CUTS = (4.0, 8.0, 16.0, 32.0, 64.0)


def cut_key(cut: float | None) -> str:
    return "full" if cut is None else f"{cut:g}"


def horizon_of(options: dict) -> float | None:
    """The run's horizon in days (``options["horizon"]``, default :data:`BTS_HYBRID`'s; 0 or None:
    none): every model, feature baselines included, ignores points later than this after the
    first detection, so "full" means "up to the horizon" for all of them alike."""
    from ..nn.config import BTS_HYBRID

    h = options.get("horizon", BTS_HYBRID.get("horizon"))
    return float(h) if h else None


#: run options (``options`` of :func:`~elasticc_fast.benchmarks.bts.run_track`, the CLI's flags) refused
#: below these values before any work starts: a long run must not fail when a late model begins
OPTION_MINIMUM = {"ensemble": 1, "epochs": 1, "test_views": 1, "pretrain_models": 1,
                  "pretrain": 0, "sim_share": 0, "horizon": 0, "aux_weight": 0,
                  "redshift_augment": 0, "pretrain_seed": 0, "pretrain_epochs": 1}


def check_options(options: dict) -> None:
    """Raise :class:`~elasticc_fast.errors.UsageError` naming the flag of an option below its least value."""
    from ..errors import UsageError

    for name, low in OPTION_MINIMUM.items():
        value = options.get(name)
        if value is not None and value < low:
            raise UsageError(f"--{name.replace('_', '-')} must be at least {low}, not {value}")
    if (options.get("redshift_augment") or 0) > 1:
        raise UsageError(f"--redshift-augment is a chance: at most 1, not {options['redshift_augment']}")


@dataclass
class Fold:
    """One fold of one track: everything a model may use."""

    batch: object                      #: LightCurveBatch of all objects (raw, microjansky)
    labels: np.ndarray                 #: (n,) leaf node index
    tree: object
    train: np.ndarray                  #: training objects of the fold
    val: np.ndarray                    #: a stratified part of ``train`` for epoch selection
    test: np.ndarray
    features: dict[str, pd.DataFrame]  #: cut key -> features (+ context) of every object
    context: np.ndarray | None         #: (n, C) network context (None: photometry only)
    context_names: tuple[str, ...] = ()
    seed: int = 0
    quick: bool = False
    jobs: int = 2
    options: dict = field(default_factory=dict)  #: per-run overrides (epochs, ensemble, ...)
    cache: dict = field(default_factory=dict)    #: the deep models' view features, shared by folds
    members: dict = field(default_factory=dict)  #: this fold's trained deep members, shared by the
    #: models that differ only in how they predict (hybrid, hybrid-tta)


@dataclass(frozen=True)
class ModelSpec:
    label: str
    run: Callable[[Fold], dict[str, np.ndarray]]  #: fold -> {cut key: (len(test), K) marginals}
    deep: bool = False


# ---------------------------------------------------------------------- feature baselines
def _feature_model(kind: str) -> Callable[[Fold], dict[str, np.ndarray]]:
    def run(fold: Fold) -> dict[str, np.ndarray]:
        import pandas as pd

        from ..baselines import FlatLightGBM, HierarchicalLightGBM, HierarchicalRandomForest

        X = pd.concat([f.iloc[fold.train] for f in fold.features.values()], ignore_index=True)
        y = np.tile(fold.labels[fold.train], len(fold.features))
        n_trees = (200 if kind == "rf" else 150) if fold.quick else (500 if kind == "rf" else 300)
        if kind == "rf":
            model = HierarchicalRandomForest(fold.tree, n_estimators=n_trees, seed=fold.seed, n_jobs=fold.jobs)
        else:
            # one thread: on a busy 2-core machine LightGBM's OpenMP threads spin and 2 took 5x longer
            # than 1 (measured, 100 trees on 8,000 rows: 180 s vs 37 s at load average 10)
            cls = FlatLightGBM if kind == "lgbm" else HierarchicalLightGBM
            model = cls(fold.tree, seed=fold.seed, n_jobs=1, n_estimators=n_trees)
        model.fit(X, y)
        return {k: model.predict_proba(f.iloc[fold.test]).to_numpy() for k, f in fold.features.items()}
    return run


# ---------------------------------------------------------------------- deep models
#: the deep models' training beyond :data:`elasticc_fast.nn.config.BTS_HYBRID` (``train --data bts``
#: trains the same model); ``ensemble``: members averaged (``quick_ensemble`` with --quick);
#: ``test_views``: hybrid-tta's noise-only views of each test curve averaged with the curve itself
DEEP_DEFAULTS = {"quick_epochs": 12, "ensemble": 2, "quick_ensemble": 1, "test_views": 4}


def _deep_model(features: bool, seq: bool, tta: bool = False) -> Callable[[Fold], dict[str, np.ndarray]]:
    def run(fold: Fold) -> dict[str, np.ndarray]:
        opts = {**DEEP_DEFAULTS, **fold.options}
        data = _hybrid_data(fold, fold.train[~np.isin(fold.train, fold.val)], opts, features)
        if (features, seq) not in fold.members:  # hybrid and hybrid-tta: the same members
            val = data.cuts([*CUTS, None], objects=fold.val)
            k_members = opts["ensemble"] if "ensemble" in fold.options or not fold.quick else opts["quick_ensemble"]
            fold.members[features, seq] = [_fit_member(fold, data, val, opts, seq, fold.seed + k)
                                           for k in range(int(k_members))]
        members = fold.members[features, seq]
        views = [None, *range(1, int(opts["test_views"]) + 1)] if tta else [None]
        out = {}
        for cut in (*CUTS, None):
            ws = [data.cut(cut, objects=fold.test, view=v) for v in views]
            out[cut_key(cut)] = np.mean([m.predict_proba(w).to_numpy() for w in ws for m in members], axis=0)
        return out
    return run


def _hybrid_data(fold: Fold, pool: np.ndarray, opts: dict, features: bool):
    from ..nn.config import BTS_HYBRID
    from ..nn.hybrid_data import HybridData

    # every fold draws from the same views of the whole batch: the feature cache serves them all
    share, z = redshift_augment_of(fold, pool)
    return HybridData(fold.batch, fold.labels, fold.context, fold.context_names, pool=pool,
                      sampler_power=BTS_HYBRID["sampler_power"], features=features, n_jobs=fold.jobs,
                      cache=fold.cache.setdefault(("features", features), {}), horizon=horizon_of(fold.options),
                      luminosity=luminosity_of(fold), redshift=z, redshift_share=share)


def redshift_augment_of(fold: Fold, pool: np.ndarray) -> tuple[float, np.ndarray | None]:
    """The redshift augmentation of the deep models' training views (``options["redshift_augment"]``,
    ``--redshift-augment P``; default :data:`BTS_HYBRID`'s on the photometry-only track, 0 with spec-z,
    where it was not measured, or without a ``redshift`` column): (share, the BTS table's redshift of the objects of ``pool``, NaN for
    every other object: a test or validation object is never moved)."""
    from ..context import context_frame
    from ..nn.config import BTS_HYBRID

    names = getattr(fold.batch.static, "column_names", None) or list(getattr(fold.batch.static, "columns", ()))
    # the default needs a redshift to move by (a batch without one: off); an explicit share without one fails
    default = 0.0 if fold.context_names or "redshift" not in names else BTS_HYBRID.get("redshift_augment", 0.0)
    share = float(fold.options.get("redshift_augment", default) or 0.0)
    if not share:
        return 0.0, None
    z = np.full(len(fold.batch), np.nan)
    z[pool] = context_frame(fold.batch.static, "redshift")["redshift"].to_numpy(np.float64)[pool]
    return share, z


def luminosity_of(fold: Fold) -> str | None:
    """Which ``lum:`` inputs the deep models get (``options["luminosity"]``, ``--luminosity``: "all"
    or "absmag"; None: none): only on a track with a redshift; the feature baselines then get the
    same values (:func:`~elasticc_fast.benchmarks.bts.cut_features`)."""
    from ..luminosity import luminosity_kind

    return luminosity_kind(fold.options.get("luminosity")) if "redshift" in fold.context_names else None


def _fit_member(fold: Fold, data, val, opts: dict, seq: bool, seed: int):
    from ..classifier import Classifier
    from ..nn.config import BTS_HYBRID

    epochs = fold.options.get("epochs") or (opts["quick_epochs"] if fold.quick else BTS_HYBRID["epochs"])
    clf = Classifier(tree=fold.tree, **{**BTS_HYBRID, "epochs": epochs, "seed": seed, "seq": seq,
                                        "horizon": horizon_of(fold.options)})
    clf.fit(data, val=val, show_progress=False)
    log.info("deep member seed %d: best epoch %d of %d", seed, clf.best_epoch, len(clf.history))
    return clf


def _flax_model(arch: str) -> Callable[[Fold], dict[str, np.ndarray]]:
    """The earlier Flax GRU / transformer (issue 6): trained on the fixed cut views of the training
    objects, unweighted, selected on validation loss; the track's context as static inputs."""
    def run(fold: Fold) -> dict[str, np.ndarray]:
        import dataclasses

        import pyarrow as pa

        from ..classifier import Classifier
        from ..context import context_frame

        ctx = context_frame(fold.batch.static, "redshift" if fold.context_names else "none")
        batch = dataclasses.replace(fold.batch, static=pa.Table.from_pandas(ctx.reset_index(drop=True)))
        epochs = fold.options.get("epochs") or ((6 if arch == "gru" else 3) if fold.quick else (40 if arch == "gru" else 10))
        clf = Classifier(tree=fold.tree, arch=arch, epochs=epochs, seed=fold.seed, batch_size=32, class_weighted=False,
                         patience=12, static_columns=tuple(ctx.columns), static_flags=False, flux_scale="asinh",
                         keep="first")
        clf.fit(clf.windows(batch.take(fold.train), windows="days", days=(*CUTS, 1e5)), show_progress=False)
        test = batch.take(fold.test)
        out = {"full": clf.predict_proba(test).loc[test.ids].to_numpy()}
        win = clf.windows(test, windows="days", days=CUTS)
        probs = clf.predict_proba(win).to_numpy()
        for c in CUTS:
            rows = np.flatnonzero(win.days == c)
            p = np.empty((len(fold.test), probs.shape[1]))
            p[win.source[rows]] = probs[rows]
            out[cut_key(c)] = p
        return out
    return run


def _pretrained_hybrid(fine_tune: bool) -> Callable[[Fold], dict[str, np.ndarray]]:
    def run(fold: Fold) -> dict[str, np.ndarray]:  # issue 13: pretrained on simulated ZTF objects
        from .bts_pretrain import run_pretrained, run_sim_only

        return (run_pretrained if fine_tune else run_sim_only)(fold)
    return run


MODELS: dict[str, ModelSpec] = {
    "hybrid": ModelSpec("hybrid (light curve + features)", _deep_model(True, True), deep=True),
    "hybrid-tta": ModelSpec("hybrid, averaged over noise-only test views (same members)",
                            _deep_model(True, True, tta=True), deep=True),
    "hybrid-pre": ModelSpec("hybrid, pretrained on simulated ZTF (--pretrain N)", _pretrained_hybrid(True), deep=True),
    "hybrid-sim": ModelSpec("hybrid, simulated ZTF only (--pretrain N)", _pretrained_hybrid(False), deep=True),
    "deep-features": ModelSpec("deep, features only", _deep_model(True, False), deep=True),
    "deep-lc": ModelSpec("deep, light curve only", _deep_model(False, True), deep=True),
    "gru": ModelSpec("Flax GRU (issue 6 training)", _flax_model("gru"), deep=True),
    "transformer": ModelSpec("Flax transformer (issue 6 training)", _flax_model("transformer"), deep=True),
    "rf": ModelSpec("hierarchical balanced RF", _feature_model("rf")),
    "lgbm": ModelSpec("LightGBM (flat)", _feature_model("lgbm")),
    "hlgbm": ModelSpec("LightGBM (hierarchical)", _feature_model("hlgbm")),
}
DEFAULT_MODELS = ("hybrid", "rf", "lgbm", "hlgbm")
ALL_MODELS = tuple(MODELS)
