"""The one training loop, shared by :func:`elasticc_fast.nn.fit` (windows in memory) and
:func:`elasticc_fast.scale.fit_stream` (shards streamed from disk).

The pieces, each replaceable:

- a **batch source** ``(epoch, seed) -> iterable of Batch``: called once per epoch; the batches
  of an epoch must depend only on its arguments (then a resumed run equals an uninterrupted one);
- the **steps** (:class:`~elasticc_fast.nn.steps.Steps`): one jitted train step and one
  validation step over a device mesh;
- a **validation source** ``() -> iterable of Batch`` (optional): scored after every epoch into
  ``val_loss``, ``val_f1`` (macro over leaves) and ``val_acc``;
- a **selector** (:class:`BestEpoch`): which epoch's parameters to keep, and when to stop;
- a **checkpointer** (:class:`Checkpointer`, optional): Orbax state after every epoch, resume.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import jax
import numpy as np
from jax.sharding import Mesh

from ..progress import progress
from ..taxonomy import Tree
from .checkpoint import checkpoint_manager, restore_trees, save_trees
from .config import TrainConfig
from .data import Batch
from .loss import TreeArrays
from .steps import Steps, copy_tree, global_batch, replicate, to_host

log = logging.getLogger(__name__)
_IN_FLIGHT = 2  # train steps dispatched ahead of the one being computed

BatchSource = Callable[[int, int], Iterable[Batch]]


# ------------------------------------------------------------------------------- best epoch
@dataclass
class BestEpoch:
    """Keeps the parameters of the best epoch by ``monitor`` (a key of the epoch record; records
    without it use ``fallback``) and says when ``patience`` epochs went by without a better one.
    ``mode``: ``"min"`` (losses) or ``"max"`` (e.g. ``monitor="val_f1"``). ``keep`` > 1: the result
    (:meth:`final_params`) is the mean of the parameters of the ``keep`` best epochs (ties: the earlier
    first), which is less at the mercy of one lucky validation score; ``epoch`` stays the best one."""

    monitor: str = "val_loss"
    mode: str = "min"
    patience: int = 8
    fallback: str = "loss"
    min_delta: float = 1e-6
    keep: int = 1  #: the model is the parameters averaged over this many best epochs (1: the best one's)
    value: float = field(default=np.inf)
    epoch: int = -1
    bad_epochs: int = 0
    params: Any = None
    top: list = field(default_factory=list)  #: [(value, epoch, params)] of the ``keep`` best, best first

    def __post_init__(self) -> None:
        if self.mode not in ("min", "max"):
            raise ValueError(f"BestEpoch: mode must be 'min' or 'max', not {self.mode!r}")
        if self.keep < 1:
            raise ValueError(f"BestEpoch: keep must be >= 1, not {self.keep}")
        if self.epoch < 0:
            self.value = np.inf if self.mode == "min" else -np.inf

    def update(self, rec: dict, params: Any) -> bool:
        """Score epoch ``rec``; keeps a copy of ``params`` when it is the best so far."""
        v = float(rec.get(self.monitor, rec[self.fallback]))
        better = v < self.value - self.min_delta if self.mode == "min" else v > self.value + self.min_delta
        if better:
            self.value, self.epoch, self.bad_epochs, self.params = v, int(rec["epoch"]), 0, copy_tree(params)
        else:
            self.bad_epochs += 1
        if self.keep > 1:
            self._rank(v, int(rec["epoch"]), self.params if better else params)
        return better

    def _rank(self, value: float, epoch: int, params: Any) -> None:
        """Add the epoch to :attr:`top` when it is among the ``keep`` best (copies only then)."""
        sign = 1.0 if self.mode == "min" else -1.0
        if len(self.top) >= self.keep and sign * value >= sign * self.top[-1][0]:
            return
        self.top.append((value, epoch, params if params is self.params else copy_tree(params)))
        self.top = sorted(self.top, key=lambda e: (sign * e[0], e[1]))[:self.keep]

    def final_params(self) -> Any:
        """The model's parameters: the best epoch's, or the mean over the ``keep`` best."""
        if self.keep <= 1 or len(self.top) <= 1:
            return self.params
        return jax.tree.map(lambda *a: sum(a) / len(a), *[p for _, _, p in self.top])

    def top_trees(self) -> dict:
        """The ``keep`` best epochs' parameters for a checkpoint (``top_i``; padded with the last
        one kept, so a checkpoint always holds ``keep`` trees; :meth:`load` reads only the ranked ones); {} when ``keep`` is 1."""
        if self.keep <= 1 or not self.top:
            return {}
        return {f"top_{i}": self.top[min(i, len(self.top) - 1)][2] for i in range(self.keep)}

    def should_stop(self) -> bool:
        return self.bad_epochs >= self.patience

    def meta(self) -> dict:
        return {"monitor": self.monitor, "best_value": float(self.value), "best_epoch": self.epoch,
                "bad_epochs": self.bad_epochs, "top": [[float(v), int(e)] for v, e, _ in self.top]}

    def load(self, meta: dict, params: Any, top: list | None = None) -> None:
        """State from a checkpoint's meta (also the keys written before the loops were merged);
        ``top``: the trees ``top_i`` of :meth:`top_trees`, in order."""
        self.value = float(meta.get("best_value", meta.get("best_loss", self.value)))
        self.epoch = int(meta["best_epoch"])
        self.bad_epochs = int(meta.get("bad_epochs", meta.get("bad", 0)))
        self.params = params
        ranked = meta.get("top", []) if self.keep > 1 else []
        if len(ranked) > len(top or []):
            raise ValueError(f"the checkpoint ranks {len(ranked)} best epochs but holds {len(top or [])} of their "
                             f"parameters: resume it with the average_best it was started with")
        self.top = [(float(v), int(e), p) for (v, e), p in zip(ranked, (top or [])[:len(ranked)], strict=True)]


def config_selector(config: TrainConfig, has_val: bool = True) -> BestEpoch:
    """The best-epoch rule of ``config``: lowest ``val_loss`` or highest ``val_f1`` (leaf
    macro-F1), the parameters averaged over ``config.average_best`` best epochs. Without validation
    (``has_val`` False) ``monitor`` cannot be honoured: the lowest training loss (``fallback``)."""
    if config.monitor == "val_f1" and has_val:
        return BestEpoch(monitor="val_f1", mode="max", patience=config.patience, keep=config.average_best)
    return BestEpoch(patience=config.patience, keep=config.average_best)


# ------------------------------------------------------------------------------- checkpoints
class Checkpointer:
    """Orbax checkpoints in ``out_dir/checkpoints`` (latest epoch kept) and ``out_dir/config.json``.

    Refuses a folder that already holds checkpoints unless ``resume`` (checked here, before any
    training work). Saved trees: ``params``, ``opt_state``, ``best``; meta: ``history``,
    ``steps``, the :class:`BestEpoch` state and whatever ``extra`` holds."""

    def __init__(self, out_dir: str | Path, config: TrainConfig, resume: bool = False):
        self.out_dir, self.resume = Path(out_dir), resume
        ckpt = self.out_dir / "checkpoints"
        if not resume and ckpt.is_dir() and any(ckpt.iterdir()):
            raise FileExistsError(f"{out_dir} already holds checkpoints: pass resume=True or use a new folder")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if jax.process_index() == 0:
            (self.out_dir / "config.json").write_text(config.to_json())
        self.mgr = checkpoint_manager(self.out_dir)
        self.extra: dict = {}

    def restore(self, templates: dict) -> tuple[dict, dict, int] | None:
        """(trees as NumPy, meta, epoch) of the latest checkpoint when resuming, else None."""
        return restore_trees(self.mgr, templates) if self.resume else None

    def save(self, epoch: int, trees: dict, meta: dict) -> None:
        save_trees(self.mgr, epoch, trees, {**meta, **self.extra}, to_host=to_host)

    def close(self) -> None:
        self.mgr.close()


# ------------------------------------------------------------------------------- validation
def validation_scores(lm: np.ndarray, label: np.ndarray, weight: np.ndarray, tree: Tree,
                      ta: TreeArrays) -> dict:
    """``val_loss`` (weighted hierarchical cross-entropy), ``val_f1`` (leaf macro-F1) and
    ``val_acc`` of log marginals ``lm`` (N, K) against true leaves ``label`` (N,)."""
    from ..metrics import scores
    from ..predict import leaf_argmax

    keep = weight > 0
    lm, label, weight = lm[keep], label[keep], weight[keep]
    parents = np.asarray(tree.parents)
    log_cond = lm - np.where(parents >= 0, lm[:, np.maximum(parents, 0)], 0.0)
    log_cond[:, 0] = 0.0
    y = np.asarray(ta.ancestry)[label]
    per_row = -np.sum(y * np.asarray(ta.node_weights) * log_cond, axis=1)
    s = scores(label, leaf_argmax(lm, tree), len(tree))
    return {"val_loss": float(np.sum(per_row * weight) / max(float(weight.sum()), 1e-12)),
            "val_f1": s.f1, "val_acc": s.accuracy}


def _validate(steps: Steps, mesh: Mesh, params: Any, rest: Any, batches: Iterable[Batch], tree: Tree,
              ta: TreeArrays) -> dict:
    parts: list[tuple[np.ndarray, ...]] = []
    for batch in batches:
        out = steps.evaluate(params, rest, *global_batch(batch, mesh))
        parts.append(tuple(to_host(a) for a in out))
    if not parts:
        return {}
    lm, label, weight = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return validation_scores(lm, label, weight, tree, ta)


# ------------------------------------------------------------------------------- the loop
def describe_epoch(rec: dict) -> str:
    """One readable line of an epoch's history record: losses, validation scores, seconds."""
    parts = [f"{k} {rec[k]:.4f}" for k in ("loss", "val_loss") if k in rec]
    parts += [f"{k} {rec[k]:.3f}" for k in ("val_f1", "val_acc") if k in rec]
    if "seconds" in rec:
        parts.append(f"{rec['seconds']:.1f} s")
    return ", ".join(parts)


@dataclass
class TrainState:
    """What the train step updates (arrays replicated over the mesh), and the step count."""

    params: Any
    rest: Any
    opt_state: Any
    steps: int = 0


def build_state(config: TrainConfig, tree: Tree, ta: TreeArrays, n_features: int, n_static: int,
                mesh: Mesh, init: Any = None) -> tuple[Any, TrainState, Steps]:
    """(graphdef, initial :class:`TrainState` replicated over ``mesh``, the steps) of a new model,
    or of the model ``init`` (an nnx module of the same architecture: fine-tuning starts from its
    weights, with a fresh optimizer state)."""
    from flax import nnx

    from .models import build_model
    from .steps import make_optimizer, make_steps

    model = init if init is not None else build_model(config.arch, n_features, n_static, len(tree), config.seed,
                                                      **config.model_kwargs())
    if config.aux:
        model = with_aux_head(model, len(config.aux_targets), config.seed)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    tx = make_optimizer(config)
    params, rest = replicate(params, mesh), replicate(rest, mesh)
    steps = make_steps(graphdef, ta, tx, mesh, aux_weight=float(config.aux_weight) if config.aux else None)
    return graphdef, TrainState(params, rest, replicate(tx.init(params), mesh)), steps


_AUX_SEED_OFFSET = 0xA0C  # the auxiliary head's initialisation: seed + this (the model's own draws unchanged)


def with_aux_head(model: Any, n_aux: int, seed: int) -> Any:
    """A copy of ``model`` with an ``aux_head``: Linear(embedding width -> ``n_aux``) on the
    embedding its call returns (training only: :func:`without_aux_head` removes it; the copy
    leaves a pretrained ``model`` as it was)."""
    from flax import nnx

    out = nnx.clone(model)
    out.aux_head = nnx.Linear(out.head.fc2.out_features, n_aux, rngs=nnx.Rngs(params=seed + _AUX_SEED_OFFSET))
    return out


def without_aux_head(model: Any) -> Any:
    """``model`` without its ``aux_head`` (if any): what is saved and predicts is the classifier alone."""
    if hasattr(model, "aux_head"):
        del model.aux_head
    return model


@dataclass
class Loop:
    """Everything one training run needs besides its state (see the module docstring)."""

    steps: Steps
    mesh: Mesh
    config: TrainConfig
    tree: Tree
    ta: TreeArrays
    train_batches: BatchSource
    val_batches: Callable[[], Iterable[Batch]] | None = None
    selector: BestEpoch | None = None
    checkpointer: Checkpointer | None = None
    max_steps: int | None = None

    def __post_init__(self) -> None:
        if self.selector is None:
            self.selector = config_selector(self.config, has_val=self.val_batches is not None)


@dataclass
class LoopResult:
    """The best epoch's parameters (host NumPy), the rest of the model state, the history."""

    params: Any
    rest: Any
    history: list[dict]
    best_epoch: int
    steps: int
    first_epoch: int = 0  #: > 0 when the run resumed from a checkpoint


def _train_epoch(loop: Loop, state: TrainState, epoch: int) -> dict:
    losses, weights = [], []
    for batch in loop.train_batches(epoch, loop.config.seed):
        state.params, state.opt_state, loss = loop.steps.train(state.params, state.rest, state.opt_state,
                                                               *global_batch(batch, loop.mesh))
        losses.append(loss)
        if len(losses) > _IN_FLIGHT:
            # JAX dispatches asynchronously: without this wait the loop would run ahead of the
            # devices and queue every batch of the epoch (memory would grow with the dataset)
            losses[-1 - _IN_FLIGHT].block_until_ready()
        weights.append(float(batch.weight.sum()))
        state.steps += 1
        if loop.max_steps is not None and state.steps >= loop.max_steps:
            break
    if not losses:
        raise ValueError(f"epoch {epoch}: the batch source gave no batches")
    return {"epoch": epoch, "loss": float(np.average([to_host(v) for v in losses], weights=weights)),
            "steps": state.steps}


def _resume(loop: Loop, state: TrainState) -> tuple[list[dict], int]:
    """Restore state, history and the selector from the checkpointer; (history, first epoch)."""
    sel = loop.selector
    tops = [f"top_{i}" for i in range(sel.keep)] if sel.keep > 1 else []
    got = loop.checkpointer.restore({"params": state.params, "opt_state": state.opt_state, "best": state.params,
                                     **{k: state.params for k in tops}})
    if got is None:
        return [], 0
    trees, meta, last = got
    trees = {k: replicate(v, loop.mesh) for k, v in trees.items()}
    state.params, state.opt_state, state.steps = trees["params"], trees["opt_state"], int(meta.get("steps", 0))
    sel.load(meta, trees["best"], [trees[k] for k in tops if k in trees])
    log.info("resumed after epoch %d from %s", last, loop.checkpointer.out_dir)
    return list(meta["history"]), last + 1


def _stop_before(loop: Loop, state: TrainState, epoch: int, t_start: float) -> bool:
    cfg = loop.config
    if loop.selector.should_stop():
        log.info("early stop after epoch %d: no better %s in %d epochs", epoch - 1, loop.selector.monitor,
                 loop.selector.patience)
        return True
    if loop.max_steps is not None and state.steps >= loop.max_steps:
        return True
    if cfg.time_limit_s is not None and time.perf_counter() - t_start > cfg.time_limit_s:
        log.info("stopping before epoch %d: time limit of %.0f s reached", epoch, cfg.time_limit_s)
        return True
    return False


def run(loop: Loop, state: TrainState, show_progress: bool | None = None) -> LoopResult:
    """Train epoch by epoch until ``config.epochs``, early stopping, ``max_steps`` or the time
    limit; returns the parameters of the best epoch (see :class:`BestEpoch`)."""
    sel, ckpt = loop.selector, loop.checkpointer
    if sel.params is None:
        sel.params = copy_tree(state.params)
    history, start = _resume(loop, state) if ckpt is not None else ([], 0)
    bar = progress(range(start, loop.config.epochs), total=loop.config.epochs, initial=start, desc="train",
                   unit="epoch", enabled=show_progress)
    t_start = time.perf_counter()
    try:
        for epoch in bar:
            if _stop_before(loop, state, epoch, t_start):
                break
            t0 = time.perf_counter()
            rec = _train_epoch(loop, state, epoch)
            if loop.val_batches is not None:
                rec.update(_validate(loop.steps, loop.mesh, state.params, state.rest, loop.val_batches(),
                                     loop.tree, loop.ta))
            sel.update(rec, state.params)
            rec["seconds"] = time.perf_counter() - t0
            history.append(rec)
            bar.set_postfix({k: f"{v:.3f}" for k, v in rec.items() if k in ("loss", "val_loss", "val_f1")})
            log.debug("epoch %d: %s", epoch, describe_epoch(rec))
            if ckpt is not None:
                ckpt.save(epoch, {"params": state.params, "opt_state": state.opt_state, "best": sel.params,
                                  **sel.top_trees()}, {"history": history, "steps": state.steps, **sel.meta()})
    finally:
        bar.close()
        if ckpt is not None:
            ckpt.close()
    if len(sel.top) > 1:
        log.info("parameters averaged over the %d best epochs by %s: %s", len(sel.top), sel.monitor,
                 ", ".join(str(e) for _, e, _ in sel.top))
    return LoopResult(jax.tree.map(to_host, sel.final_params()), jax.tree.map(to_host, state.rest), history,
                      sel.epoch, state.steps, start)
