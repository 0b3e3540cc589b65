"""The hierarchical light-curve classifier: scikit-learn-like front end to :mod:`elasticc_fast.nn`.

Public API (stable; other modules build on it)::

    from elasticc_fast import Classifier, LightCurveBatch
    from elasticc_fast.taxonomy import ORACLE_TREE

    clf = Classifier(tree=ORACLE_TREE, arch="gru", epochs=40, seed=0)   # keywords -> TrainConfig
    clf.fit(batch, labels=None, val=None, val_labels=None, out_dir=None, resume=False)
    probs = clf.predict_proba(batch)      # pandas DataFrame (n, K): marginal p(node), one column per node
    pred = clf.predict(batch)             # DataFrame: columns "leaf", "path", "probability"
    z = clf.embed(batch)                  # (n, 64) float32 penultimate-layer embedding
    win = clf.windows(batch, windows="days", days=(1, 2, 4))   # AugmentedBatch with the model's options
    probs_w = clf.predict_proba(win)      # one row per window; align with win.source / win.t_end
    clf.save(model_dir);  clf = Classifier.load(model_dir)
    clf = Classifier.from_fit_result(elasticc_fast.scale.fit_stream(...))   # data-parallel training

- ``batch`` is a raw :class:`~elasticc_fast.batch.LightCurveBatch` (``LightCurveBatch.from_arrow``
  of the converter's table) or an :class:`~elasticc_fast.augment.AugmentedBatch`. A
  ``LightCurveBatch`` is preprocessed and windowed with the options saved in the model
  (``windows="full"``: one row per object, indexed by object id; objects that preprocessing drops,
  those with no detection, are absent from the index). An ``AugmentedBatch`` is used as it is
  (build it with :meth:`Classifier.windows` so its features match the model's): one row per window,
  in window order (``RangeIndex``).
- ``labels`` for ``fit``: (n,) leaf names or node indices of ``tree``; by default ``batch.labels``
  (node indices) or, for the ELAsTiCC trees, the leaves of the ``model`` column
  (:func:`elasticc_fast.taxonomy.leaf_for_model`).
- Columns of ``predict_proba``: ``tree.nodes`` in tree order (root first, column ``Alert`` = 1);
  the leaf columns sum to 1, and so does each level (``tree.levels()``).
- ``save(dir)`` writes everything ``load(dir)`` needs (weights, the tree, the resolved
  ``TrainConfig``, the static-feature normalisation, the preprocess/augment options) as
  ``dir/model.json`` + an Orbax checkpoint ``dir/params``.
- Any :class:`~elasticc_fast.taxonomy.Tree` works (ZTF/ALeRCE trees too).
"""
from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ._version import __version__
from .atomic import atomic_path
from .augment import AugmentedBatch
from .errors import DataError
from .taxonomy import ORACLE_TREE, Tree, leaf_for_model

log = logging.getLogger(__name__)
_FORMAT = 1


class _Budget:
    """A wall-time budget (seconds, None: none) shared by the members of an ensemble in turn."""

    def __init__(self, seconds: float | None):
        import time

        self.seconds, self.t0, self.clock = seconds, time.perf_counter(), time.perf_counter

    def share(self, members_left: int) -> float | None:
        """An equal part of what is left for each of ``members_left`` members (at least 1 s)."""
        if self.seconds is None:
            return None
        return max(1.0, (self.seconds - (self.clock() - self.t0)) / members_left)


class Classifier:
    """Hierarchical classifier over a taxonomy tree (see the module docstring for the API).

    Args:
        tree: the taxonomy (default ORACLE's 26-node tree).
        config: a :class:`~elasticc_fast.nn.TrainConfig`; keyword arguments override its fields
            (``arch``, ``epochs``, ``max_per_class``, ``seed``, window options such as
            ``max_length`` or ``flux_scale``, ...; see :meth:`TrainConfig.replace`).
    """

    def __init__(self, tree: Tree | None = None, config: Any = None, **overrides: Any):
        from .nn import TrainConfig

        self.tree = tree if tree is not None else ORACLE_TREE
        config = config if config is not None else TrainConfig()
        self.config = config.replace(**overrides) if overrides else config
        self._model = None
        self._norm = None
        self._members: list = []   # (model, static norm) of every ensemble member, the first = _model
        self._eval_step = None
        self.feature_names: tuple[str, ...] = ()
        self.static_names: tuple[str, ...] = ()
        self.history: list[dict] = []
        self.best_epoch = -1

    def __repr__(self) -> str:
        state = "fitted" if self._model is not None else "not fitted"
        return f"Classifier(tree={self.tree.name!r}, arch={self.config.arch!r}, {state})"

    # ------------------------------------------------------------------ inputs
    def leaf_labels(self, batch: Any, labels: Sequence | np.ndarray | None = None) -> np.ndarray:
        """(n,) node indices of the true leaves: from ``labels`` (names or indices), else
        ``batch.labels``, else the ``model`` column through :func:`leaf_for_model`."""
        if labels is None:
            labels = getattr(batch, "labels", None)
        if labels is None:
            static = getattr(batch, "static", None)
            if static is None or "model" not in getattr(static, "column_names", ()):
                raise DataError("no labels: pass labels=, or give the batch labels or a 'model' column")
            models = static.column("model").to_pylist()
            try:
                labels = [leaf_for_model(m) for m in models]
            except KeyError as e:
                raise DataError(f"cannot label the batch from its 'model' column: {e.args[0]}") from None
        arr = np.asarray(labels)
        if arr.dtype.kind in "OUS":
            return np.asarray(self.tree.index([str(v) for v in arr]), dtype=np.int64)
        arr = arr.astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= len(self.tree)):
            raise ValueError(f"labels must be node indices of tree {self.tree.name!r} (0..{len(self.tree) - 1})")
        return arr

    def _prepared(self, batch: Any, labels: np.ndarray | None = None) -> Any:
        """Raw LightCurveBatch -> preprocessed (with ``labels`` attached); AugmentedBatch as it is."""
        if isinstance(batch, AugmentedBatch):
            return batch
        if labels is not None:
            batch = dataclasses.replace(batch, labels=labels)
        if batch.trigger_mjd is None:
            from .preprocess import preprocess

            batch = preprocess(batch, **self.config.preprocess.to_dict())
        return batch

    def windows(self, batch: Any, windows: str = "full", **kwargs: Any) -> Any:
        """An ``AugmentedBatch`` of ``batch`` with this model's preprocessing and features;
        ``windows`` and ``kwargs`` (e.g. ``days=(1, 2, 4)``, ``seed``; hybrid: ``view``, a seed of
        noise-only test-time views) choose the windows."""
        from .augment import augment

        if self.config.arch == "hybrid":
            from .nn.hybrid_data import classifier_windows

            return classifier_windows(self._prepared(batch), self.config, windows, kwargs.get("days"),
                                      kwargs.get("view"))
        return augment(self._prepared(batch), windows, self.config.windows, **kwargs)

    # ------------------------------------------------------------------ training
    def fit(self, batch: Any, labels: Sequence | np.ndarray | None = None, *, val: Any = None,
            val_labels: Sequence | np.ndarray | None = None, out_dir: str | Path | None = None,
            resume: bool = False, show_progress: bool | None = None,
            init_from: "str | Path | Classifier | None" = None) -> "Classifier":
        """Train on ``batch`` (raw or preprocessed LightCurveBatch, or an AugmentedBatch with labels).

        ``out_dir`` receives Orbax checkpoints every epoch and ``config.json``; ``resume=True``
        continues from them. ``init_from``: a saved model folder (or a fitted Classifier) of the
        same tree and architecture to fine-tune: training starts from its weights and its
        static-feature normalisation (pretrain on simulations, fine-tune on real data). Returns ``self``.
        """
        from .nn import fit

        if isinstance(batch, AugmentedBatch):
            train, lab = batch, (None if labels is None else self.leaf_labels(batch, labels))
        elif callable(batch):  # seed -> AugmentedBatch, e.g. nn.hybrid_data.HybridData; labels per object
            train, lab = batch, self.leaf_labels(batch, labels)
            pool = getattr(batch, "pool", None)  # objects outside a HybridData's pool do not train
            if pool is not None:
                lab = np.where(np.isin(np.arange(len(lab)), pool), lab, -1)
        else:
            train = self._prepared(batch, self.leaf_labels(batch, labels))
            lab = train.labels
        vb = vl = None
        if val is not None:
            if isinstance(val, AugmentedBatch):
                vb, vl = val, (None if val_labels is None else self.leaf_labels(val, val_labels))
            else:
                vb = self._prepared(val, self.leaf_labels(val, val_labels))
                vl = vb.labels
        results, init = [], self._pretrained(init_from)
        budget = _Budget(self.config.time_limit_s)
        for k in range(self.config.ensemble):  # member k: seed + k, its checkpoints in member_k/
            cfg = self.config.replace(seed=self.config.seed + k, time_limit_s=budget.share(self.config.ensemble - k))
            member_dir = out_dir if out_dir is None or self.config.ensemble == 1 else Path(out_dir) / f"member_{k}"
            results.append(fit(train, lab, self.tree, cfg, val=vb, val_labels=vl, out_dir=member_dir,
                               resume=resume, show_progress=show_progress, init=init))
        return self._adopt(results[0], [(r.model, r.static_norm) for r in results])

    def _pretrained(self, init_from: "str | Path | Classifier | None") -> Any:
        """What ``nn.fit(init=...)`` takes, from a saved model folder or a fitted Classifier."""
        if init_from is None:
            return None
        pre = init_from if isinstance(init_from, Classifier) else Classifier.load(init_from)
        pre._check_fitted()
        if tuple(pre.tree.nodes) != tuple(self.tree.nodes) or pre.config.arch != self.config.arch:
            raise ValueError(f"init_from: the pretrained model ({pre.config.arch}, tree {pre.tree.name}) does not "
                             f"match this one ({self.config.arch}, tree {self.tree.name})")
        from types import SimpleNamespace
        return SimpleNamespace(model=pre._model, static_norm=pre._norm, feature_names=pre.feature_names,
                               static_names=pre.static_names)

    @classmethod
    def from_fit_result(cls, result: Any) -> "Classifier":
        """A fitted classifier from what :func:`elasticc_fast.nn.fit` or
        :func:`elasticc_fast.scale.fit_stream` returned, ready for ``predict_proba`` and ``save``.
        Weights trained on a device mesh are copied to the host first, so inference runs on the
        default device whatever mesh trained them."""
        import jax
        from flax import nnx

        def host(a: Any) -> Any:  # a replicated array's local copy (also on a multi-host mesh)
            return np.asarray(a.addressable_data(0)) if isinstance(a, jax.Array) else a

        nnx.update(result.model, jax.tree.map(host, nnx.state(result.model)))
        return cls(tree=result.tree, config=result.config)._adopt(result)

    def _adopt(self, res: Any, members: list | None = None) -> "Classifier":
        self._model, self._norm, self._eval_step = res.model, res.static_norm, None
        self._members = members or [(res.model, res.static_norm)]
        self.feature_names, self.static_names = tuple(res.feature_names), tuple(res.static_names)
        self.history, self.best_epoch = res.history, res.best_epoch
        self.first_epoch = getattr(res, "first_epoch", 0)   # > 0 when fit resumed from a checkpoint
        return self

    # ------------------------------------------------------------------ inference
    def _check_fitted(self) -> None:
        if self._model is None:
            raise RuntimeError("Classifier is not fitted: call fit() or Classifier.load(dir)")

    def _infer(self, batch: Any) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        """(log marginals (N, K), embeddings (N, E), index) of every row of the output."""
        from .nn.cache import enable_compilation_cache

        self._check_fitted()
        enable_compilation_cache()
        if isinstance(batch, AugmentedBatch):
            aug, index = batch, pd.RangeIndex(len(batch.lengths), name="window")
            views = [aug]
        else:
            aug = self.windows(batch, "full")
            index = pd.Index(self._prepared(batch).ids[aug.source], name="object_id")
            # test-time views (hybrid): the same windows with fluxes redrawn, seeds 1..test_views
            n_views = self.config.test_views if self.config.arch == "hybrid" else 0
            views = [aug] + [self.windows(batch, "full", view=v) for v in range(1, n_views + 1)]
        self._check_features(aug)
        if len(aug) == 0:
            k = len(self.tree)
            return np.zeros((0, k), np.float32), np.zeros((0, 64), np.float32), index
        outs = [o for w in views for o in self._member_outputs(w)]
        if len(outs) == 1:
            return outs[0][0], outs[0][1], index
        # an ensemble (and the test views) average probabilities; the embedding is the first member's
        lm = np.log(np.mean([np.exp(o[0].astype(np.float64)) for o in outs], axis=0)).astype(np.float32)
        return lm, outs[0][1], index

    def _member_outputs(self, aug: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        """(log marginals, embeddings) of the windows ``aug`` by every member."""
        from flax import nnx

        from .nn.loss import TreeArrays
        from .nn.steps import make_infer_step
        from .predict import infer_windows

        outs = []
        for model, norm in self._members:  # the members share one graph: one compiled step
            graphdef, params, rest = nnx.split(model, nnx.Param, ...)
            if self._eval_step is None:
                self._eval_step = make_infer_step(graphdef, TreeArrays.build(self.tree))
            outs.append(infer_windows(self._eval_step, params, rest, np.asarray(aug.x, np.float32), aug.lengths,
                                      norm(aug.static), batch_size=self.config.eval_batch_size,
                                      buckets=self.config.buckets))
        return outs

    def _check_features(self, w: Any) -> None:
        if self.feature_names and w.feature_names and tuple(w.feature_names) != tuple(self.feature_names):
            raise ValueError(f"windows have features {list(w.feature_names)}, the model was trained on "
                             f"{list(self.feature_names)}: build them with Classifier.windows()")
        if w.static.shape[1] != len(self._norm.mean):
            raise ValueError(f"windows have {w.static.shape[1]} static features, the model expects "
                             f"{len(self._norm.mean)}: build them with Classifier.windows()")

    def predict_proba(self, batch: Any) -> pd.DataFrame:
        """Marginal probability of every tree node (columns ``tree.nodes``), one row per object
        (LightCurveBatch, indexed by object id) or per window (AugmentedBatch)."""
        lm, _, index = self._infer(batch)
        return pd.DataFrame(np.exp(lm.astype(np.float64)), index=index, columns=list(self.tree.nodes))

    def predict(self, batch: Any) -> pd.DataFrame:
        """Most probable leaf per row: columns ``leaf`` (name), ``probability`` (its marginal) and
        ``path`` (root to leaf, joined by " > ")."""
        from .predict import leaf_argmax

        lm, _, index = self._infer(batch)
        best = leaf_argmax(lm, self.tree)
        paths = {i: " > ".join(self.tree.path(int(i))) for i in np.unique(best)}
        return pd.DataFrame({"leaf": [self.tree.nodes[i] for i in best],
                             "probability": np.exp(lm[np.arange(len(best)), best].astype(np.float64)),
                             "path": [paths[i] for i in best]}, index=index)

    def embed(self, batch: Any) -> np.ndarray:
        """(N, 64) float32 embedding (the last hidden layer before the logits) of every row."""
        return self._infer(batch)[1]

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write ``path/params`` (Orbax) then ``path/model.json`` (written last: its presence marks a
        complete model); each is written under a temporary name and renamed. Other files in
        ``path`` (e.g. ``training/`` checkpoints) are kept."""
        import orbax.checkpoint as ocp
        from flax import nnx

        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {"format": _FORMAT, "elasticc_fast_version": __version__, "tree": self.tree.to_dict(),
                "config": json.loads(self.config.to_json()), "static_norm": self._norm.to_dict(),
                "feature_names": list(self.feature_names), "static_names": list(self.static_names),
                "n_features": self._n_features(), "history": self.history, "best_epoch": self.best_epoch,
                "member_static_norms": [n.to_dict() for _, n in self._members[1:]]}
        for k, (model, _) in enumerate(self._members):  # member 0 in params/, member k in params_k/
            params = nnx.to_pure_dict(nnx.state(model, nnx.Param))
            with atomic_path(path / ("params" if k == 0 else f"params_{k}")) as tmp:
                with ocp.StandardCheckpointer() as ckptr:
                    ckptr.save(tmp.resolve(), params)
                    ckptr.wait_until_finished()
        with atomic_path(path / "model.json") as tmp:
            tmp.write_text(json.dumps(meta, indent=1))
        log.info("saved classifier to %s", path)
        return path

    def _n_features(self) -> int:
        if self.config.arch == "hybrid":
            return len(self.feature_names)
        if self.config.arch == "gru":
            return int(self._model.gru1.w_i[...].shape[0])
        return int(self._model.point.kernel[...].shape[0])

    @classmethod
    def load(cls, path: str | Path) -> "Classifier":
        """Read a folder written by :meth:`save`; ready to predict."""
        import orbax.checkpoint as ocp
        from flax import nnx

        from .nn import TrainConfig, build_model
        from .nn.data import StaticNorm

        path = Path(path)
        meta_file = path / "model.json"
        if not meta_file.is_file():
            raise FileNotFoundError(f"{path}: not a saved Classifier (no model.json; write one with "
                            "`elasticc-fast train` or Classifier.save)")
        if not (path / "params").is_dir():
            raise FileNotFoundError(f"{path}: incomplete saved Classifier (no params/ folder with the weights)")
        try:
            meta = json.loads(meta_file.read_text())
        except ValueError as e:
            raise DataError(f"{meta_file}: not valid JSON ({e})") from None
        if meta.get("format") != _FORMAT:
            raise DataError(f"{meta_file}: unsupported model format {meta.get('format')!r}")
        clf = cls(Tree.from_dict(meta["tree"]), TrainConfig.from_dict(meta["config"]))
        clf._norm = StaticNorm.from_dict(meta["static_norm"])
        clf.feature_names, clf.static_names = tuple(meta["feature_names"]), tuple(meta["static_names"])
        clf.history, clf.best_epoch = meta.get("history", []), meta.get("best_epoch", -1)
        norms = [clf._norm] + [StaticNorm.from_dict(d) for d in meta.get("member_static_norms", [])]
        members = []
        for k, norm in enumerate(norms):
            model = build_model(clf.config.arch, meta["n_features"], norm.width, len(clf.tree),
                                clf.config.seed, **clf.config.model_kwargs())
            state = nnx.state(model, nnx.Param)
            with ocp.StandardCheckpointer() as ckptr:
                restored = ckptr.restore((path / ("params" if k == 0 else f"params_{k}")).resolve())
            nnx.replace_by_pure_dict(state, restored)
            nnx.update(model, state)
            members.append((model, norm))
        clf._model, clf._members = members[0][0], members
        return clf
