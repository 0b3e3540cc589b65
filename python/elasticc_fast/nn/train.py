"""Training on windows held in memory, generic over a :class:`~elasticc_fast.taxonomy.Tree`.

    from elasticc_fast.nn import fit, TrainConfig
    result = fit(batch, labels, tree, TrainConfig(epochs=30), out_dir="run/")   # FitResult

``batch`` is a preprocessed :class:`~elasticc_fast.batch.LightCurveBatch` (every epoch draws fresh
random prefix windows with ``elasticc_fast.augment(batch, windows="fraction", seed=...)``), an
:class:`~elasticc_fast.augment.AugmentedBatch` (fixed windows, e.g. features of another survey),
or a callable ``seed -> AugmentedBatch``. ``labels`` (n_objects,) are node indices of the true
leaves in ``tree``, aligned with the batch's objects (windows take ``labels[source]``); without
them the windows' own ``labels`` are used.

The epochs run in :func:`elasticc_fast.nn.loop.run`, the loop :func:`elasticc_fast.scale.fit_stream`
also uses, on a one-device mesh unless ``mesh`` says otherwise. Batches are padded to a few
length buckets so the train step compiles once per bucket. Checkpoints (Orbax) go to
``out_dir/checkpoints`` every epoch with ``out_dir/config.json`` (the resolved TrainConfig)
beside them; ``resume=True`` continues from the latest. Deterministic for a seed on CPU.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import jax
import numpy as np
from flax import nnx
from jax.sharding import Mesh

from ..augment import AugmentedBatch
from ..batch import LightCurveBatch
from ..splits import split_per_class
from ..taxonomy import Tree
from .cache import enable_compilation_cache
from .config import TrainConfig
from .data import Batch, StaticNorm, inference_order, labelled_batch, length_grouped_order
from .loop import BestEpoch, Checkpointer, Loop, build_state, describe_epoch, run, without_aux_head
from .loss import TreeArrays
from .sampling import tempered_weights
from .steps import make_mesh

log = logging.getLogger(__name__)
_VAL_SEED_OFFSET = 7919  # validation windows use seed + this, fixed across epochs
_EPOCH_SEED_STRIDE = 100_003  # window seed of epoch e: seed * stride + e
__all__ = ["FitResult", "fit", "window_source", "labelled", "window_batches", "describe_epoch"]


@dataclass
class FitResult:
    """What training produced: the best model (see :class:`~elasticc_fast.nn.loop.BestEpoch`),
    its static-feature normalisation, the per-epoch history (dicts with loss, val_loss, val_f1,
    val_acc, steps, seconds)."""

    model: nnx.Module
    static_norm: StaticNorm
    config: TrainConfig
    tree: Tree
    feature_names: tuple[str, ...]
    static_names: tuple[str, ...]
    history: list[dict] = field(default_factory=list)
    best_epoch: int = -1
    n_train: int = 0          #: training objects (after the per-class cap)
    n_val_windows: int = 0    #: validation windows
    first_epoch: int = 0      #: first epoch this call ran (> 0 when it resumed from a checkpoint)


# ------------------------------------------------------------------------------- windows per epoch
@functools.singledispatch
def window_source(data: Any, config: TrainConfig) -> Callable[[int], AugmentedBatch]:
    """``seed -> AugmentedBatch`` for a LightCurveBatch (fresh fraction windows), a fixed
    AugmentedBatch, or a callable (used as it is)."""
    if callable(data):
        return data
    raise TypeError(f"cannot train on a {type(data).__name__}: give a LightCurveBatch, an AugmentedBatch "
                    "or a callable seed -> AugmentedBatch")


@window_source.register
def _(data: LightCurveBatch, config: TrainConfig) -> Callable[[int], AugmentedBatch]:
    """Fresh windows every epoch: random prefixes (``augment(windows="fraction")``), or for the
    hybrid model random views with their features (:class:`~.hybrid_data.HybridData`); with
    ``config.sampler_power`` the epoch's objects are drawn class-balanced first."""
    from ..augment import augment
    from .sampling import balanced_epoch

    if config.arch == "hybrid":
        return hybrid_source(data, config)
    if config.sampler_power is None or data.labels is None:
        return lambda seed: augment(data, "fraction", config.windows, seed=int(seed))
    labels = np.asarray(data.labels)

    def make(seed: int) -> AugmentedBatch:
        idx = balanced_epoch(labels, np.random.default_rng([int(seed) & 0xFFFFFFFF, 0xBA1]), config.sampler_power)
        aug = augment(data.take(idx), "fraction", config.windows, seed=int(seed))
        return dataclasses.replace(aug, source=idx[aug.source])

    return make


def hybrid_source(data: LightCurveBatch, config: TrainConfig):
    """The hybrid model's :class:`~.hybrid_data.HybridData` of ``data`` (context by ``config.context``)."""
    from ..context import aux_matrix, context_columns, context_frame, context_matrix
    from ..views import ViewOptions
    from .hybrid_data import HybridData

    names = context_columns(config.context)
    ctx = context_matrix(data.static, config.context) if names else None
    power = 0.5 if config.sampler_power is None else config.sampler_power
    z = context_frame(data.static, "redshift")["redshift"].to_numpy(np.float64) if config.redshift_augment else None
    return HybridData(data, None if data.labels is None else np.asarray(data.labels), ctx, names,
                      sampler_power=power if data.labels is not None else None,
                      max_length=config.windows.max_length or 128, bands=config.feature_bands,
                      n_jobs=config.threads, horizon=config.horizon, luminosity=config.luminosity,
                      aux=aux_matrix(data.static, config.aux_targets) if config.aux else None,
                      redshift=z, redshift_share=config.redshift_augment,
                      views=ViewOptions(full_share=config.full_views, thin=config.thin_nondetections))


@window_source.register
def _(data: AugmentedBatch, config: TrainConfig) -> Callable[[int], AugmentedBatch]:
    return lambda seed: data


def labelled(aug: AugmentedBatch, object_labels: np.ndarray | None) -> AugmentedBatch:
    """``aug`` with int64 window labels: ``object_labels[source]`` when given, else its own."""
    if object_labels is not None:
        return dataclasses.replace(aug, labels=np.asarray(object_labels, np.int64)[aug.source])
    if aug.labels is None:
        raise ValueError("no labels: pass labels= or give the batch labels")
    return dataclasses.replace(aug, labels=np.asarray(aug.labels, np.int64))


@dataclass
class _Windows:
    """The windows of one run: how to make them, which objects train, the validation windows."""

    make: Callable[[int], AugmentedBatch]
    labels: np.ndarray | None       # per object, or None (windows carry labels)
    first: AugmentedBatch           # training windows of epoch 0
    in_train: np.ndarray            # (n_objects,) bool
    n_train: int
    object_leaf: np.ndarray         # (n_objects,) leaf of each object (-1: no window)
    val: AugmentedBatch | None

    def epoch(self, seed: int, epoch: int) -> AugmentedBatch:
        if epoch == 0:
            return self.first
        w = labelled(self.make(seed * _EPOCH_SEED_STRIDE + epoch), self.labels)
        return w.take(self.in_train[w.source])


def _object_leaf(w: AugmentedBatch) -> np.ndarray:
    """Per-object leaf from per-window labels (objects with no window get -1, never selected)."""
    out = np.full(int(w.source.max()) + 1, -1, np.int64)
    out[w.source] = w.labels
    return out


def _prepare(train: Any, labels: np.ndarray | None, tree: Tree, config: TrainConfig, val: Any,
             val_labels: np.ndarray | None) -> _Windows:
    make = window_source(train, config)
    labels = None if labels is None else np.asarray(labels, dtype=np.int64)
    first = labelled(make(config.seed * _EPOCH_SEED_STRIDE), labels)
    bad = set(np.unique(first.labels).tolist()) - set(tree.leaves)
    if bad:
        raise ValueError(f"labels {sorted(bad)} are not leaves of tree {tree.name!r}")
    obj_leaf = labels if labels is not None else _object_leaf(first)
    rng = np.random.default_rng(config.seed)
    val_seed = config.seed * _EPOCH_SEED_STRIDE + _VAL_SEED_OFFSET
    if val is None:
        tr_obj, va_obj = split_per_class(obj_leaf, config.val_fraction, rng, max_per_class=config.max_per_class)
        plain = getattr(make, "without_redshift", lambda: make)()  # held-out views are never moved
        val_w = labelled(plain(val_seed), labels) if len(va_obj) else None
        val_w = val_w.take(np.isin(val_w.source, va_obj)) if val_w is not None else None
    else:
        tr_obj, _ = split_per_class(obj_leaf, 0.0, rng, max_per_class=config.max_per_class)
        vl = None if val_labels is None else np.asarray(val_labels, np.int64)
        val_w = labelled(window_source(val, config)(val_seed), vl)
    in_train = np.zeros(len(obj_leaf), bool)
    in_train[tr_obj] = True
    return _Windows(make, labels, first.take(in_train[first.source]), in_train, len(tr_obj), obj_leaf, val_w)


def _train_batches(wins: _Windows, norm: StaticNorm, config: TrainConfig):
    """The batch source of :func:`fit`: fresh windows every epoch, shuffled in length groups (with
    ``config.aux_targets``, the windows' auxiliary targets standardised by :func:`aux_scaler`)."""
    scale = aux_scaler(wins.first, config)

    def source(epoch: int, seed: int) -> Iterator[Batch]:
        w = wins.epoch(seed, epoch)
        static, aux = norm(w.static), scale(w)
        for idx in length_grouped_order(w.lengths, config.batch_size, np.random.default_rng([seed, epoch])):
            yield labelled_batch(w.x, w.lengths, static, w.labels, idx, config.batch_size, config.buckets, aux)

    return source


_AUX_CLIP = 4.0  # standardised auxiliary targets are clipped to +-this (a few far outliers, e.g. Galactic redshifts)


def aux_scaler(first: AugmentedBatch, config: TrainConfig) -> Callable[[AugmentedBatch], np.ndarray | None]:
    """``windows -> (N, A)`` auxiliary targets standardised by the mean and standard deviation of the
    known values of the first epoch's windows, clipped to +-4 (NaN stays NaN); None without
    ``config.aux_targets``."""
    if not config.aux:
        return lambda w: None
    if first.aux is None or first.aux.shape[1] != len(config.aux_targets):
        raise ValueError(f"aux_targets {list(config.aux_targets)}: the training windows carry no such targets "
                         "(give a LightCurveBatch with those static columns, or windows with aux)")
    a = np.where(np.isfinite(first.aux), first.aux, np.nan).astype(np.float64)
    mean = np.nan_to_num(np.nanmean(a, axis=0)) if np.isfinite(a).any() else np.zeros(a.shape[1])
    std = np.nanstd(a, axis=0) if np.isfinite(a).any() else np.ones(a.shape[1])
    std = np.where(np.nan_to_num(std) > 1e-12, std, 1.0)
    return lambda w: np.clip((np.asarray(w.aux, np.float64) - mean) / std, -_AUX_CLIP, _AUX_CLIP).astype(np.float32)


def window_batches(w: AugmentedBatch, norm: StaticNorm, config: TrainConfig) -> Callable[[], Iterator[Batch]]:
    """``() -> batches`` of every labelled window of ``w``, grouped by length (validation)."""
    static = norm(w.static)

    def batches() -> Iterator[Batch]:
        for idx, rows in inference_order(w.lengths, config.eval_batch_size):
            yield labelled_batch(w.x, w.lengths, static, w.labels, idx, rows, config.buckets)

    return batches


# ------------------------------------------------------------------------------- fit
def _check_init(init: Any, first: Any) -> None:
    """The model to fine-tune must take the same inputs as the windows it will see."""
    for what in ("feature_names", "static_names"):
        ours, theirs = tuple(getattr(first, what)), tuple(getattr(init, what))
        if ours != theirs:
            raise ValueError(f"init_from: the pretrained model's {what} {list(theirs)} differ from the "
                             f"training windows' {list(ours)}")


def fit(train: Any, labels: np.ndarray | None, tree: Tree, config: TrainConfig = TrainConfig(), *,
        val: Any = None, val_labels: np.ndarray | None = None, out_dir: str | Path | None = None,
        resume: bool = False, show_progress: bool | None = None, mesh: Mesh | None = None,
        selector: BestEpoch | None = None, init: FitResult | None = None) -> FitResult:
    """Train a hierarchical classifier on ``tree`` (see the module docstring for the inputs).

    Without ``val``, ``config.val_fraction`` of each leaf's objects are held out. Early stopping
    keeps the parameters of the best epoch: by default ``config.monitor`` with ``config.patience``
    (:func:`~elasticc_fast.nn.loop.config_selector`); ``selector`` (a :class:`~elasticc_fast.nn.loop.BestEpoch`, e.g.
    ``BestEpoch("val_f1", "max", patience=8)``) chooses otherwise. ``mesh``: devices to train
    on (default: the first device). ``init``: a trained model (its ``model``, ``static_norm``,
    ``feature_names``, ``static_names``) to fine-tune: training starts from its weights and
    keeps its static-feature normalisation.
    """
    enable_compilation_cache()
    ckpt = Checkpointer(out_dir, config, resume) if out_dir is not None else None
    wins = _prepare(train, labels, tree, config, val, val_labels)
    if init is not None:
        _check_init(init, wins.first)
    norm = init.static_norm if init is not None else StaticNorm.fit(
        wins.first.static, config.static_encoding, config.missing_indicators, config.static_bins)
    counts_leaf = wins.object_leaf[wins.in_train]
    weights = tempered_weights(tree, counts_leaf, config.class_weight_power) if config.class_weighted else None
    ta = TreeArrays.build(tree, weights, config.alpha)
    mesh = mesh if mesh is not None else make_mesh(jax.devices()[:1])
    graphdef, state, steps = build_state(config, tree, ta, wins.first.x.shape[2], norm.width, mesh,
                                         init=None if init is None else init.model)
    log.info("training %s on %d objects (%d validation windows), %d leaves, %d parameters", config.arch,
             wins.n_train, 0 if wins.val is None else len(wins.val), len(set(counts_leaf.tolist())),
             sum(int(np.size(a)) for a in jax.tree.leaves(state.params)))
    if ckpt is not None:
        ckpt.extra["static_norm"] = norm.to_dict()
    has_val = wins.val is not None and len(wins.val) > 0
    loop = Loop(steps, mesh, config, tree, ta, _train_batches(wins, norm, config),
                window_batches(wins.val, norm, config) if has_val else None,
                selector, ckpt)
    res = run(loop, state, show_progress)
    best_rec = [r for r in res.history if r["epoch"] == res.best_epoch]
    if best_rec:
        log.info("best epoch %d: %s", res.best_epoch, describe_epoch(best_rec[0]))
    return FitResult(without_aux_head(nnx.merge(graphdef, res.params, res.rest)), norm, config, tree,
                     tuple(wins.first.feature_names), tuple(wins.first.static_names), res.history,
                     res.best_epoch, n_train=wins.n_train, n_val_windows=len(wins.val) if has_val else 0,
                     first_epoch=res.first_epoch)
