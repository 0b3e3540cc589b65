"""Training loop for the hierarchical classifiers, generic over a :class:`~elasticc_fast.taxonomy.Tree`.

    from elasticc_fast.nn import fit, TrainConfig
    result = fit(batch, labels, tree, TrainConfig(epochs=30), out_dir="run/")   # FitResult

``batch`` is a preprocessed :class:`~elasticc_fast.batch.LightCurveBatch` (every epoch draws fresh
random prefix windows with ``elasticc_fast.augment(batch, windows="fraction", seed=...)``), or an
``AugmentedBatch``-like object with ``x``, ``lengths``, ``static``, ``source`` (fixed windows, e.g.
features of another survey), or a callable ``epoch -> AugmentedBatch``. ``labels`` (n_objects,)
are node indices of the true leaves in ``tree``, aligned with the batch's objects (windows take
``labels[source]``).

The train step is one ``jax.jit`` function of the model's parameters and optimizer state; batches
are padded to a few length buckets so it compiles once per bucket. Checkpoints (Orbax) go to
``out_dir/checkpoints`` every epoch with ``out_dir/config.json`` (the resolved TrainConfig)
beside them; ``resume=True`` continues from the latest. Deterministic for a seed on CPU.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from ..progress import progress
from ..taxonomy import Tree
from .cache import enable_compilation_cache
from .checkpoint import checkpoint_manager, restore_trees, save_trees
from .config import TrainConfig
from .data import StaticNorm, inference_batches, length_grouped_order, take_batch
from .loss import TreeArrays, hierarchical_loss, log_marginals
from .models import build_model

log = logging.getLogger(__name__)
_VAL_SEED_OFFSET = 7919  # validation windows use seed + this, fixed across epochs


@dataclass
class Windows:
    """Model inputs: ``x`` (N, T, F) float32, ``lengths`` (N,) int32, ``static`` (N, S) float32
    (raw, not normalised), ``source`` (N,) int64 object index, ``leaf`` (N,) int64 or None."""

    x: np.ndarray
    lengths: np.ndarray
    static: np.ndarray
    source: np.ndarray
    leaf: np.ndarray | None = None
    feature_names: tuple[str, ...] = ()
    static_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, aug: Any, object_labels: np.ndarray | None = None) -> "Windows":
        """Wrap an ``AugmentedBatch``-like object; window labels from ``object_labels[source]``
        when given, else from ``aug.labels`` (per window)."""
        x = np.asarray(aug.x, dtype=np.float32)
        n = x.shape[0]
        source = np.asarray(getattr(aug, "source", None) if getattr(aug, "source", None) is not None
                            else np.arange(n), dtype=np.int64)
        static = getattr(aug, "static", None)
        static = np.zeros((n, 0), np.float32) if static is None else np.asarray(static, np.float32)
        if object_labels is not None:
            leaf = np.asarray(object_labels, dtype=np.int64)[source]
        elif getattr(aug, "labels", None) is not None:
            leaf = np.asarray(aug.labels, dtype=np.int64)
        else:
            leaf = None
        return cls(x, np.asarray(aug.lengths, dtype=np.int32), static.reshape(n, -1), source, leaf,
                   tuple(getattr(aug, "feature_names", ()) or ()), tuple(getattr(aug, "static_names", ()) or ()))

    def select(self, mask: np.ndarray) -> "Windows":
        return Windows(self.x[mask], self.lengths[mask], self.static[mask], self.source[mask],
                       None if self.leaf is None else self.leaf[mask], self.feature_names, self.static_names)

    def __len__(self) -> int:
        return len(self.lengths)


@dataclass
class FitResult:
    """What training produced: the best model (by validation loss), its static-feature
    normalisation, the per-epoch history (dicts with loss, val_loss, val_f1, val_acc, seconds)."""

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
def _is_lightcurves(obj: Any) -> bool:
    return hasattr(obj, "offsets") and not hasattr(obj, "x")


def window_source(batch: Any, config: TrainConfig) -> Callable[[int], Any]:
    """``seed -> AugmentedBatch`` for a LightCurveBatch (fresh fraction windows), a callable, or a
    fixed AugmentedBatch."""
    if callable(batch) and not hasattr(batch, "x") and not _is_lightcurves(batch):
        return batch
    if _is_lightcurves(batch):
        from ..augment import augment

        opts = config.augment_options()
        return lambda seed: augment(batch, windows="fraction", seed=int(seed), **opts)
    return lambda seed: batch


def n_objects(batch: Any, labels: np.ndarray | None) -> int:
    if labels is not None:
        return len(labels)
    if _is_lightcurves(batch):
        return len(batch.offsets) - 1
    return int(np.max(batch.source)) + 1


def split_objects(leaf: np.ndarray, val_fraction: float, max_per_class: int | None,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-leaf random split of object indices into (train, val); the cap applies to train only."""
    train, val = [], []
    for c in np.unique(leaf[leaf >= 0]):
        idx = rng.permutation(np.flatnonzero(leaf == c))
        n_val = int(round(val_fraction * len(idx))) if len(idx) > 1 else 0
        val.append(idx[:n_val])
        tr = idx[n_val:]
        train.append(tr[:max_per_class] if max_per_class else tr)
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val)) if val else np.zeros(0, np.int64)


# ------------------------------------------------------------------------------- jitted steps
def make_steps(graphdef: nnx.GraphDef, ta: TreeArrays, tx: optax.GradientTransformation):
    """Jitted ``train_step(params, rest, opt_state, x, lengths, static, leaf, weight)`` ->
    ``(params, opt_state, loss)``; ``eval_step(params, rest, x, lengths, static)`` ->
    ``(log_marginals, embedding)``."""

    def loss_fn(params, rest, x, lengths, static, leaf, weight):
        logits, _ = nnx.merge(graphdef, params, rest)(x, lengths, static)
        return hierarchical_loss(logits, leaf, ta, weight)

    @jax.jit
    def train_step(params, rest, opt_state, x, lengths, static, leaf, weight):
        loss, grads = jax.value_and_grad(loss_fn)(params, rest, x, lengths, static, leaf, weight)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    @jax.jit
    def eval_step(params, rest, x, lengths, static):
        logits, emb = nnx.merge(graphdef, params, rest)(x, lengths, static)
        return log_marginals(logits, ta), emb

    return train_step, eval_step


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    schedule = optax.exponential_decay(config.learning_rate, config.decay_steps, config.lr_decay)
    return optax.chain(optax.clip_by_global_norm(config.clip_norm), optax.adam(schedule))


def run_inference(eval_step, params, rest, w: Windows, norm: StaticNorm, config: TrainConfig
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(N, K) log marginals and (N, E) embeddings of every window, in window order."""
    static = norm(w.static)
    out_lm, out_e = None, None
    for idx, (xb, lb, sb, _) in inference_batches(w.x, w.lengths, static, config.eval_batch_size, config.buckets):
        lm, e = eval_step(params, rest, xb, lb, sb)
        lm, e = np.asarray(lm)[:len(idx)], np.asarray(e)[:len(idx)]
        if out_lm is None:
            out_lm = np.empty((len(w), lm.shape[1]), np.float32)
            out_e = np.empty((len(w), e.shape[1]), np.float32)
        out_lm[idx], out_e[idx] = lm, e
    if out_lm is None:
        raise ValueError("no windows to classify")
    return out_lm, out_e


def _val_metrics(lm: np.ndarray, w: Windows, tree: Tree, ta: TreeArrays) -> dict:
    from ..metrics import scores

    leaves = np.asarray(tree.leaves)
    pred = leaves[np.argmax(lm[:, leaves], axis=1)]
    y = ta.ancestry[w.leaf]
    loss = float(np.mean(-np.sum(np.asarray(y) * np.asarray(ta.node_weights) * _log_cond_np(lm, tree), axis=1)))
    s = scores(w.leaf, pred, len(tree))
    return {"val_loss": loss, "val_f1": s.f1, "val_acc": s.accuracy}


def _log_cond_np(log_marg: np.ndarray, tree: Tree) -> np.ndarray:
    """log p(node | parent) = log p(node) - log p(parent) (root: 0)."""
    parents = np.asarray(tree.parents)
    lc = log_marg - np.where(parents >= 0, log_marg[:, np.maximum(parents, 0)], 0.0)
    lc[:, 0] = 0.0
    return lc


# ------------------------------------------------------------------------------- fit
def describe_epoch(rec: dict) -> str:
    """One readable line of an epoch's history record: losses, validation scores, seconds."""
    parts = [f"{k} {rec[k]:.4f}" for k in ("loss", "val_loss") if k in rec]
    parts += [f"{k} {rec[k]:.3f}" for k in ("val_f1", "val_acc") if k in rec]
    if "seconds" in rec:
        parts.append(f"{rec['seconds']:.1f} s")
    return ", ".join(parts)


def fit(train: Any, labels: np.ndarray | None, tree: Tree, config: TrainConfig = TrainConfig(), *,
        val: Any = None, val_labels: np.ndarray | None = None, out_dir: str | Path | None = None,
        resume: bool = False, show_progress: bool | None = None) -> FitResult:
    """Train a hierarchical classifier on ``tree`` (see the module docstring for the inputs).

    Without ``val``, ``config.val_fraction`` of each leaf's objects are held out. Early stopping
    keeps the parameters of the epoch with the lowest validation loss.
    """
    enable_compilation_cache()
    ckpt_dir = None if out_dir is None else Path(out_dir) / "checkpoints"
    if ckpt_dir is not None and not resume and ckpt_dir.is_dir() and any(ckpt_dir.iterdir()):
        raise FileExistsError(f"{out_dir} already holds checkpoints: pass resume=True or use a new folder")
    rng = np.random.default_rng(config.seed)
    make = window_source(train, config)
    labels = None if labels is None else np.asarray(labels, dtype=np.int64)
    first = Windows.of(make(config.seed * 100_003), labels)
    if first.leaf is None:
        raise ValueError("no labels: pass labels= or give the batch labels")
    bad = set(np.unique(first.leaf).tolist()) - set(tree.leaves)
    if bad:
        raise ValueError(f"labels {sorted(bad)} are not leaves of tree {tree.name!r}")
    obj_leaf = labels if labels is not None else _object_leaf(first)

    if val is None:
        tr_obj, va_obj = split_objects(obj_leaf, config.val_fraction, config.max_per_class, rng)
        val_w = Windows.of(make(config.seed * 100_003 + _VAL_SEED_OFFSET), labels)
        val_w = val_w.select(np.isin(val_w.source, va_obj)) if len(va_obj) else None
    else:
        tr_obj, _ = split_objects(obj_leaf, 0.0, config.max_per_class, rng)
        vl = None if val_labels is None else np.asarray(val_labels, np.int64)
        val_w = Windows.of(window_source(val, config)(config.seed * 100_003 + _VAL_SEED_OFFSET), vl)
    in_train = np.zeros(len(obj_leaf), bool)
    in_train[tr_obj] = True
    first = first.select(in_train[first.source])
    norm = StaticNorm.fit(first.static)

    counts_leaf = obj_leaf[tr_obj]
    cw = tree.class_weights(counts_leaf) if config.class_weighted else None
    ta = TreeArrays.build(tree, cw, config.alpha)
    model = build_model(config.arch, first.x.shape[2], first.static.shape[1], len(tree), config.seed,
                        **config.model_kwargs())
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    tx = make_optimizer(config)
    opt_state = tx.init(params)
    train_step, eval_step = make_steps(graphdef, ta, tx)
    log.info("training %s on %d objects (%d validation windows), %d leaves, %d parameters",
             config.arch, len(tr_obj), 0 if val_w is None else len(val_w), len(set(counts_leaf.tolist())),
             sum(int(np.size(a)) for a in jax.tree.leaves(params)))

    history: list[dict] = []
    best = {"loss": np.inf, "epoch": -1, "params": params, "bad": 0}
    start = 0
    mgr = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "config.json").write_text(config.to_json())
        mgr = checkpoint_manager(out_dir)
        if resume:
            got = restore_trees(mgr, {"params": params, "opt_state": opt_state, "best": params})
            if got is not None:
                trees, meta, step = got
                trees = jax.tree.map(jnp.asarray, trees)
                params, opt_state = trees["params"], trees["opt_state"]
                best = {"loss": meta["best_loss"], "epoch": meta["best_epoch"], "params": trees["best"],
                        "bad": meta["bad_epochs"]}
                history, start = meta["history"], step + 1
                log.info("resumed from epoch %d in %s", step, out_dir)

    bar = progress(range(start, config.epochs), total=config.epochs, initial=start, desc="train",
                   unit="epoch", enabled=show_progress)
    t_start = time.perf_counter()
    for epoch in bar:
        if best["bad"] >= config.patience:
            log.info("early stop after epoch %d: no better validation loss in %d epochs", epoch - 1, config.patience)
            break
        if config.time_limit_s is not None and time.perf_counter() - t_start > config.time_limit_s:
            log.info("stopping before epoch %d: time limit of %.0f s reached", epoch, config.time_limit_s)
            break
        t0 = time.perf_counter()
        w = first if epoch == 0 else Windows.of(make(config.seed * 100_003 + epoch), labels)
        w = w if epoch == 0 else w.select(in_train[w.source])
        static = norm(w.static)
        erng = np.random.default_rng([config.seed, epoch])
        losses, weights = [], []
        for idx in length_grouped_order(w.lengths, config.batch_size, erng):
            xb, lb, sb, wb = take_batch(w.x, w.lengths, static, idx, config.batch_size, config.buckets)
            leaf = np.zeros(config.batch_size, np.int64)
            leaf[:len(idx)] = w.leaf[idx]
            params, opt_state, loss = train_step(params, rest, opt_state, xb, lb, sb, leaf, wb)
            losses.append(loss)
            weights.append(len(idx))
        rec = {"epoch": epoch, "loss": float(np.average(np.asarray(jax.device_get(losses)), weights=weights))}
        if val_w is not None and len(val_w):
            lm, _ = run_inference(eval_step, params, rest, val_w, norm, config)
            rec.update(_val_metrics(lm, val_w, tree, ta))
        monitored = rec.get("val_loss", rec["loss"])
        if monitored < best["loss"] - 1e-6:
            best.update(loss=monitored, epoch=epoch, params=params, bad=0)
        else:
            best["bad"] += 1
        rec["seconds"] = time.perf_counter() - t0
        history.append(rec)
        bar.set_postfix({k: f"{v:.3f}" for k, v in rec.items() if k in ("loss", "val_loss", "val_f1")})
        log.debug("epoch %d: %s", epoch, describe_epoch(rec))
        if mgr is not None:
            save_trees(mgr, epoch, {"params": params, "opt_state": opt_state, "best": best["params"]},
                       {"history": history, "best_loss": float(best["loss"]), "best_epoch": best["epoch"],
                        "bad_epochs": best["bad"], "static_norm": norm.to_dict()})
    bar.close()
    if mgr is not None:
        mgr.close()
    model = nnx.merge(graphdef, best["params"], rest)
    best_rec = [r for r in history if r["epoch"] == best["epoch"]]
    if best_rec:
        log.info("best epoch %d: %s", best["epoch"], describe_epoch(best_rec[0]))
    return FitResult(model, norm, config, tree, first.feature_names, first.static_names, history, best["epoch"],
                     n_train=len(tr_obj), n_val_windows=0 if val_w is None else len(val_w), first_epoch=start)


def _object_leaf(w: Windows) -> np.ndarray:
    """Per-object leaf from per-window labels (objects with no window get -1, never selected)."""
    out = np.full(int(w.source.max()) + 1, -1, np.int64)
    out[w.source] = w.leaf
    return out
