"""ORACLE's evaluation protocol for a trained hierarchical classifier.

For each day count ``d`` in 1, 2, 4, ..., 1024 and for the full light curve, every object's light
curve is cut to the points with ``t - t_trigger <= d`` (days; the trigger as the model's
preprocessing defines it, by default the first detection; earlier points are kept, as a broker
would have them), classified, and scored at every level of the taxonomy:

- ``level 1``, ``level 2``, ...: the predicted node is the argmax of the marginal probabilities of
  that level's nodes; the true node is the true leaf's ancestor at that depth (a leaf shallower
  than the level, such as ORACLE's AGN at level 2, stands for itself);
- ``leaf``: argmax over the leaves.

Macro precision, recall, F1 and accuracy (:mod:`elasticc_fast.metrics`, scikit-learn
conventions) and the confusion matrix of each (window, level) are kept. :func:`write_report`
writes ``report.md`` (Markdown tables), ``metrics.json`` and PNG plots (F1 versus days, normalised
confusion matrices) into a folder, atomically.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import metrics
from .batch import LightCurveBatch
from .errors import DataError

log = logging.getLogger(__name__)

#: ORACLE's day counts after the trigger
DEFAULT_DAYS: tuple[int, ...] = tuple(2 ** k for k in range(11))
FULL = "full"
#: days shown in the headline (the issue's and ORACLE's quoted numbers)
HEADLINE_DAYS: tuple[int, ...] = (8, 64, 1024)


@dataclass
class Evaluation:
    """Scores of one classifier on one labelled set, per window and level.

    ``scores[window][level]`` is a :class:`~elasticc_fast.metrics.Scores`, ``window`` being a day
    count (int) or ``"full"``; ``class_names[level]`` names the classes of each level in the
    order of the confusion matrices.
    """

    days: tuple[int, ...]
    levels: tuple[str, ...]
    class_names: dict[str, list[str]]
    scores: dict[Any, dict[str, metrics.Scores]]
    n_objects: int
    n_unlabelled: int = 0
    n_dropped: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def windows(self) -> list:
        return [*self.days, FULL]

    def curve(self, level: str, what: str = "f1") -> list[float]:
        """``what`` ("f1", "precision", "recall", "accuracy") of ``level`` at each day count."""
        return [getattr(self.scores[d][level], what) for d in self.days]

    def headline(self, days: Sequence[int] = HEADLINE_DAYS) -> dict[str, dict[str, float]]:
        """``{"leaf": {"8": F1, ...}, "level 1": {...}}``: macro-F1 at the headline day counts."""
        out: dict[str, dict[str, float]] = {}
        for level in ("leaf", "level 1"):
            out[level] = {str(d): self.scores[d][level].f1 for d in days if d in self.scores}
            out[level][FULL] = self.scores[FULL][level].f1
        return out

    def to_json(self) -> dict:
        return {
            "days": list(self.days), "levels": list(self.levels), "class_names": self.class_names,
            "n_objects": self.n_objects, "n_unlabelled": self.n_unlabelled, "n_dropped": self.n_dropped,
            "meta": self.meta, "headline_macro_f1": self.headline(),
            "results": {str(w): {lvl: s.as_dict(self.class_names[lvl]) for lvl, s in per.items()}
                        for w, per in self.scores.items()},
        }


# ----------------------------------------------------------------------------------- labels
def true_leaves(batch: LightCurveBatch, tree) -> tuple[np.ndarray, np.ndarray]:
    """(leaf node indices, mask of labelled objects) of a batch.

    Uses ``batch.labels`` (node indices of ``tree``) when set; otherwise, for the ELAsTiCC trees,
    the ``model`` column (training model names) or ``SIM_TYPE_INDEX``/``GENTYPE`` (SNANA truth,
    e.g. on Fink alerts). Objects whose label has no leaf (strongly lensed SNe) are unlabelled.
    """
    from .taxonomy import leaf_for_gentype, leaf_for_model

    n = len(batch)
    if batch.labels is not None:
        labels = np.asarray(batch.labels, dtype=np.int64)
        return labels, (labels >= 0) & (labels < len(tree))
    cols = batch.static.column_names
    for column, mapper in (("model", leaf_for_model), ("SIM_TYPE_INDEX", leaf_for_gentype),  # noqa: B007
                           ("GENTYPE", leaf_for_gentype)):
        if column in cols:
            values = batch.static[column].to_pylist()
            break
    else:
        raise DataError("no labels: the data has neither batch.labels nor a 'model', 'SIM_TYPE_INDEX' "
                         "or 'GENTYPE' column")
    leaves = np.full(n, -1, dtype=np.int64)
    cache: dict[Any, int] = {}
    for i, v in enumerate(values):
        if v is None:
            continue
        if v not in cache:
            try:
                cache[v] = int(tree.index(mapper(v)))
            except KeyError:
                cache[v] = -1
        leaves[i] = cache[v]
    return leaves, leaves >= 0


# --------------------------------------------------------------------------------- windows
def trigger_mjd(batch: LightCurveBatch, trigger: str = "first_detection") -> np.ndarray:
    """(n,) trigger MJD of every object as ``preprocess`` defines it; NaN for objects it drops."""
    from .preprocess import preprocess

    tagged = LightCurveBatch(mjd=batch.mjd, band=batch.band, flux=batch.flux, flux_err=batch.flux_err,
                             flag=batch.flag, offsets=batch.offsets, ids=np.arange(len(batch)),
                             static=batch.static)
    pre = preprocess(tagged, trigger=trigger)
    out = np.full(len(batch), np.nan)
    out[pre.ids.astype(np.int64)] = pre.trigger_mjd
    return out


def truncate(batch: LightCurveBatch, trigger: np.ndarray, days: float) -> LightCurveBatch:
    """Keep each object's points with ``mjd - trigger <= days`` (all points of NaN-trigger objects)."""
    obj = np.repeat(np.arange(len(batch)), batch.lengths)
    keep = ~(batch.mjd - trigger[obj] > days)
    offsets = np.zeros(len(batch) + 1, dtype=np.int64)
    np.cumsum(np.bincount(obj[keep], minlength=len(batch)), out=offsets[1:])
    return LightCurveBatch(mjd=batch.mjd[keep], band=batch.band[keep], flux=batch.flux[keep],
                           flux_err=batch.flux_err[keep], flag=batch.flag[keep], offsets=offsets,
                           ids=batch.ids, static=batch.static, labels=batch.labels)


def _level_nodes(tree) -> dict[str, np.ndarray]:
    """``{"level 1": node indices, ..., "leaf": leaf indices}`` for the levels between root and leaves."""
    levels = {f"level {k}": np.asarray(tree.levels()[k], dtype=np.int64) for k in range(1, tree.max_depth)}
    levels["leaf"] = np.asarray(tree.leaves, dtype=np.int64)
    return levels


def _preprocess_options(classifier) -> dict:
    """The model's preprocessing trigger option, so evaluation windows match what it was trained on
    (a stand-in classifier without a TrainConfig gets the default trigger)."""
    from .options import PreprocessOptions

    options = getattr(getattr(classifier, "config", None), "preprocess", None)
    return {"trigger": (options if isinstance(options, PreprocessOptions) else PreprocessOptions()).trigger}


def evaluate(classifier, batch: LightCurveBatch, *, days: Sequence[int] = DEFAULT_DAYS,
             leaves: np.ndarray | None = None, chunk_size: int = 16384) -> Evaluation:
    """Score ``classifier`` (an :class:`elasticc_fast.Classifier`) on ``batch`` with ORACLE's protocol.

    ``leaves``: true leaf node indices (default :func:`true_leaves`). Unlabelled objects and
    objects without a detection are left out (counted in the result). ``chunk_size`` objects are
    classified at a time.
    """
    from .predict import predict_probabilities
    from .progress import progress

    tree = classifier.tree
    if leaves is None:
        leaves, labelled = true_leaves(batch, tree)
    else:
        leaves = np.asarray(leaves, dtype=np.int64)
        labelled = leaves >= 0
    trig = trigger_mjd(batch, **_preprocess_options(classifier))
    usable = labelled & np.isfinite(trig)
    n_unlabelled, n_dropped = int((~labelled).sum()), int((labelled & ~np.isfinite(trig)).sum())
    if n_unlabelled:
        log.warning("evaluate: %d of %d objects have no leaf in tree %r and are left out",
                    n_unlabelled, len(batch), tree.name)
    if n_dropped:
        log.warning("evaluate: %d objects have no detection and are left out", n_dropped)
    if not usable.any():
        raise DataError("no labelled object with a detection")
    idx = np.flatnonzero(usable)
    sub = batch.take(idx)
    trig, truth = trig[idx], leaves[idx]
    over = macro_classes(truth, tree)
    levels = _level_nodes(tree)
    true_at = {name: tree.ancestor_at(truth, k + 1) if name != "leaf" else truth
               for k, name in enumerate(levels)}
    class_names = {name: [tree.nodes[i] for i in nodes] for name, nodes in levels.items()}
    scores: dict[Any, dict[str, metrics.Scores]] = {}
    for window in progress([*days, FULL], desc="evaluate", unit="window"):
        view = sub if window == FULL else truncate(sub, trig, float(window))
        p = predict_probabilities(classifier, view, chunk_size)
        if np.isnan(p).any():
            raise RuntimeError(f"evaluate: the classifier returned no probabilities for "
                               f"{int(np.isnan(p).any(axis=1).sum())} objects at window {window}")
        scores[window] = {}
        for name, nodes in levels.items():
            pos = {int(node): j for j, node in enumerate(nodes)}
            y_true = np.fromiter((pos[int(t)] for t in true_at[name]), dtype=np.int64, count=len(sub))
            y_pred = np.argmax(p[:, nodes], axis=1)
            scores[window][name] = metrics.scores(y_true, y_pred, len(nodes), over=over)
    return Evaluation(days=tuple(days), levels=tuple(levels), class_names=class_names, scores=scores,
                      n_objects=len(sub), n_unlabelled=n_unlabelled, n_dropped=n_dropped,
                      meta={"tree": tree.name, "trigger": _preprocess_options(classifier)["trigger"],
                            "macro_over": MACRO_OVER[over]})


#: what the macro averages run over, as written in metrics.json and report.md
MACRO_OVER = {"present": "classes in the truth or the predictions",
              "true": "classes in the truth (the set has one true class)"}


def macro_classes(truth: np.ndarray, tree) -> str:
    """``"true"`` (macro averages over the true classes only, with a warning) when ``truth`` holds a
    single leaf class: averaging over every predicted class would read as a near-zero F1 for a
    good classifier; else ``"present"`` (scikit-learn's convention, comparable with published tables)."""
    found = np.unique(truth)
    if len(found) != 1:
        return "present"
    log.warning("evaluate: every object is of one class (%s): macro averages run over the classes in the "
                "truth only, not over the predicted ones", tree.nodes[int(found[0])])
    return "true"


# ----------------------------------------------------------------------------------- report
def format_headline(ev: Evaluation) -> str:
    """Two lines of macro-F1 at 8, 64, 1024 days and the full curve (leaf and level 1)."""
    lines = []
    for level, values in ev.headline().items():
        parts = [f"{k} d {v:.3f}" if k != "full" else f"full {v:.3f}" for k, v in values.items()]
        lines.append(f"macro-F1 {level:8s}: " + ", ".join(parts))
    base = ev.meta.get("lightgbm")
    if isinstance(base, dict):  # the demo's feature baseline on the same split
        keys = [str(d) for d in HEADLINE_DAYS if str(d) in base["leaf_macro_f1"]] + ["full"]
        lines.append(f"{base['label']}, leaf: " + ", ".join(
            f"{k} d {base['leaf_macro_f1'][k]:.3f}" if k != "full" else f"full {base['leaf_macro_f1'][k]:.3f}" for k in keys))
    return "\n".join(lines)


def _fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"


def markdown(ev: Evaluation, *, title: str = "Evaluation") -> str:
    """The Markdown summary: headline, one table per level, per-class F1 on full curves."""
    lines = [f"# {title}", "",
             f"{ev.n_objects} labelled objects (left out: {ev.n_unlabelled} without a leaf, "
             f"{ev.n_dropped} without a detection). Light curves cut at d days after the trigger "
             f"({ev.meta.get('trigger', 'first_detection')}); macro averages over "
             f"{ev.meta.get('macro_over', MACRO_OVER['present'])}.", "",
             *(["Demo settings: " + ", ".join(f"{k} {v}" for k, v in ev.meta["demo"].items()) + ".", ""]
               if isinstance(ev.meta.get("demo"), dict) else []),
             "## Headline: macro-F1", "",
             "| level | " + " | ".join(f"{d} d" for d in HEADLINE_DAYS) + " | full |",
             "|---|" + "---|" * (len(HEADLINE_DAYS) + 1)]
    for level in ("leaf", "level 1"):
        row = [_fmt(ev.scores[d][level].f1) if d in ev.scores else "n/a" for d in HEADLINE_DAYS]
        lines.append(f"| {level} | " + " | ".join(row) + f" | {_fmt(ev.scores[FULL][level].f1)} |")
    lines += ["", "![macro-F1 versus days](f1_vs_days.png)", ""]
    for level in ev.levels:
        lines += [f"## {level} ({len(ev.class_names[level])} classes)", "",
                  "| days | precision | recall | F1 | accuracy |", "|---|---|---|---|---|"]
        for w in ev.windows:
            s = ev.scores[w][level]
            lines.append(f"| {w} | {_fmt(s.precision)} | {_fmt(s.recall)} | {_fmt(s.f1)} | {_fmt(s.accuracy)} |")
        lines += ["", f"![confusion matrix, {level}, full curve]({_cm_name(level, FULL)})", ""]
    full = ev.scores[FULL]["leaf"]
    lines += ["## Leaves on full light curves", "", "| class | support | precision | recall | F1 |",
              "|---|---|---|---|---|"]
    for name, n, p, r, f in zip(ev.class_names["leaf"], full.support, full.per_class_precision,
                                full.per_class_recall, full.per_class_f1, strict=True):
        lines.append(f"| {name} | {int(n)} | {_fmt(p)} | {_fmt(r)} | {_fmt(f)} |")
    lines += ["", "Confusion matrices for every day count and level: `cm_<level>_<days>.png` "
              "(rows: true class, normalised).", ""]
    return "\n".join(lines)


def _cm_name(level: str, window) -> str:
    return f"cm_{level.replace(' ', '')}_{window}{'' if window == FULL else 'd'}.png"


def write_report(ev: Evaluation, out_dir: str | os.PathLike, *, title: str = "Evaluation",
                 confusion_windows: Sequence | None = None, overwrite: bool = False) -> Path:
    """Write ``report.md``, ``metrics.json`` and PNGs into the new folder ``out_dir``, built under a
    temporary name and renamed when complete. An existing non-empty ``out_dir`` is refused
    (:class:`~elasticc_fast.errors.OutputExistsError`) unless it is an earlier report and ``overwrite``.

    ``confusion_windows``: windows whose confusion matrices are drawn (default: all).
    """
    from . import plots
    from .atomic import output_dir

    out_dir = Path(out_dir)
    windows = ev.windows if confusion_windows is None else list(confusion_windows)
    with output_dir(out_dir, command="evaluate", overwrite=overwrite) as tmp:
        (tmp / "metrics.json").write_text(json.dumps(ev.to_json(), indent=1))
        (tmp / "report.md").write_text(markdown(ev, title=title))
        for what in ("f1", "precision", "recall"):
            ax = plots.metric_vs_days(ev.days, {lvl: ev.curve(lvl, what) for lvl in ev.levels},
                                      ylabel="macro-F1" if what == "f1" else f"macro {what}", title=title,
                                      full_curve={lvl: getattr(ev.scores[FULL][lvl], what) for lvl in ev.levels})
            plots.save(ax, tmp / f"{what}_vs_days.png")
        for w in windows:
            for level in ev.levels:
                label = "full curve" if w == FULL else f"{w} days after trigger"
                ax = plots.confusion_matrix(ev.scores[w][level].confusion, ev.class_names[level],
                                            title=f"{level}, {label}")
                plots.save(ax, tmp / _cm_name(level, w), dpi=90)
    return out_dir
