"""The demo pipeline behind ``elasticc-fast demo``.

Run the whole pipeline on a freshly simulated set, on this machine:

  1. simulate SNANA-format light curves of all 19 ORACLE classes (DIR/sim/),
  2. convert them to Parquet (DIR/parquet/),
  3. split objects per class into training and test sets (70/30, seeded),
  4. train the hierarchical classifier with ``elasticc-fast train``'s ELAsTiCC training (a hybrid
     network: each window's points, its ``light-curve`` features in all six bands and the host/MW
     context; fresh random views every epoch, 40 % of them whole curves, class-balanced
     epochs, the epoch of the best validation macro-F1; 2 members averaged) and save it to
     DIR/model/,
  5. evaluate it on the test set with ORACLE's protocol (1, 2, 4, ..., 1024 days after the
     trigger and the full curve; every taxonomy level) and write DIR/report/ (report.md,
     metrics.json, PNG plots), with a LightGBM row trained and tested on the same split with the
     same inputs (the ``light-curve`` features of all six bands and the ORACLE host/MW columns):
     the baseline every deep model should beat.

DIR is built under a temporary name beside it and renamed when complete; an existing non-empty
DIR is refused unless it is an earlier demo output and --overwrite is given.

Prints where the model and report are and the headline numbers: leaf and level-1 macro-F1 at
8, 64 and 1024 days. With the defaults the whole run stays under 10 minutes on 2 CPU cores:
training stops at 40 epochs or after the epoch that passes 6 minutes (--train-minutes), whichever
comes first (report.md and metrics.json say how many epochs ran). Raise --objects-per-class,
--epochs and --train-minutes for a better model.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

from .options import DEFAULT_DAYS

log = logging.getLogger(__name__)

TEST_FRACTION = 0.3
#: the baseline row's name in the printout and report
BASELINE_LABEL = "LightGBM on light-curve features + ORACLE host/MW columns (same split)"


@dataclasses.dataclass(frozen=True)
class DemoSettings:
    """The demo's knobs; the defaults are sized for about 10 minutes on a 2-core CPU (see
    benchmarks/RESULTS.md). ``train_minutes``: stop training after the epoch that passes it (0:
    no limit); ``days``: evaluation day counts."""

    objects_per_class: int = 300
    epochs: int = 40
    arch: str = "hybrid"
    batch_size: int = 64
    train_minutes: float = 6.0
    seed: int = 0
    days: tuple[int, ...] = DEFAULT_DAYS


class _Clock:
    """Step lines ``[  12.3 s] what`` through ``say`` and the seconds spent in each named stage."""

    def __init__(self, say: Callable[[str], None]):
        self.say, self.t0, self.timings = say, time.perf_counter(), {}

    def step(self, what: str) -> None:
        self.say(f"[{time.perf_counter() - self.t0:6.1f} s] {what}")

    def timed(self, name: str, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        out = fn()
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t
        return out


def simulated_batch(s: DemoSettings, work: Path, out: Path, clock: _Clock) -> Any:
    """Simulate every ORACLE class into ``work/sim``, convert to ``work/parquet``, read it back."""
    from .batch import LightCurveBatch
    from .convert import convert
    from .io.tables import read_table
    from .sim import simulate

    clock.step(f"simulating {s.objects_per_class} objects per class, 19 classes -> {out / 'sim'}")
    clock.timed("simulate", lambda: simulate(work / "sim", objects_per_class=s.objects_per_class, seed=s.seed))
    clock.step(f"converting to Parquet -> {out / 'parquet'}")
    table = clock.timed("convert", lambda: (convert(work / "sim", work / "parquet", overwrite=True),
                                            read_table(work / "parquet"))[1])
    return LightCurveBatch.from_arrow(table)


def split_labelled(batch: Any, s: DemoSettings) -> tuple[Any, Any, Any, Any]:
    """(train batch, test batch, train leaves, test leaves): every object labelled, every class
    present, ``TEST_FRACTION`` of each class held out for the test."""
    from .evaluate import true_leaves
    from .splits import split_per_class
    from .taxonomy import ORACLE_TREE

    leaves, labelled = true_leaves(batch, ORACLE_TREE)
    if not labelled.all():
        raise RuntimeError(f"demo: {int((~labelled).sum())} simulated objects have no ORACLE leaf")
    missing = set(ORACLE_TREE.leaves) - set(leaves.tolist())
    if missing:
        raise RuntimeError(f"demo: the simulation lacks classes {[ORACLE_TREE.nodes[i] for i in sorted(missing)]}")
    tr, te = split_per_class(leaves, TEST_FRACTION, s.seed, both_sides=True)
    return batch.take(tr), batch.take(te), leaves[tr], leaves[te]


def run_demo(s: DemoSettings, work: Path, out: Path, say: Callable[[str], None] = log.info) -> tuple[Any, Any]:
    """Run the pipeline writing into ``work`` (``out``: the name reported, where ``work`` is moved
    when complete); returns the trained :class:`~elasticc_fast.Classifier` and its
    :class:`~elasticc_fast.evaluate.Evaluation` (``meta["timings_s"]``: seconds per stage)."""
    from .classifier import Classifier
    from .evaluate import evaluate

    clock = _Clock(say)
    train, test, y_train, y_test = split_labelled(simulated_batch(s, work, out, clock), s)
    clock.step(f"training {s.arch} on {len(train)} objects ({len(test)} held out for the test), "
               f"at most {s.epochs} epochs")
    clf = Classifier(**training_settings(s))
    clock.timed("train", lambda: (clf.fit(train, labels=y_train), clf.save(work / "model")))
    clock.step(f"evaluating on {len(test)} test objects at {len(s.days)} day counts and the full curve")
    ev = clock.timed("evaluate", lambda: evaluate(clf, test, days=s.days, leaves=y_test))
    ev.meta["demo"] = {**dataclasses.asdict(s), "n_train": int(len(train)), "n_test": int(len(test)),
                       "epochs_run": len(clf.history), "best_epoch": clf.best_epoch}
    del ev.meta["demo"]["days"]
    clock.step(f"{BASELINE_LABEL} (the baseline row)")
    ev.meta["lightgbm"] = clock.timed("baseline", lambda: baseline_row(train, y_train, test, y_test, s))
    clock.timed("evaluate", lambda: _report(ev, s, work))
    clock.step("done")
    total = time.perf_counter() - clock.t0
    ev.meta["timings_s"] = {k: round(v, 1) for k, v in clock.timings.items()} | {"total": round(total, 1)}
    # the report already exists; add timings to metrics.json without rewriting the PNGs
    _rewrite_metrics(work / "report", ev)
    return clf, ev


def training_settings(s: DemoSettings) -> dict:
    """Classifier keywords of the demo: ``train``'s ELAsTiCC training (``nn.config.ELASTICC_HYBRID``:
    hybrid network, 2 members) for the hybrid, else class-balanced epochs (power 0.5); always the
    epoch of the best validation leaf macro-F1 and the demo's epochs, batch size, seed, time limit."""
    from .nn.config import ELASTICC_HYBRID

    base = dict(ELASTICC_HYBRID) if s.arch == "hybrid" else {"arch": s.arch, "sampler_power": 0.5, "monitor": "val_f1"}
    return base | {"epochs": s.epochs, "batch_size": s.batch_size, "seed": s.seed,
                   "time_limit_s": s.train_minutes * 60 if s.train_minutes > 0 else None}


def baseline_row(train: Any, y_train: Any, test: Any, y_test: Any, s: DemoSettings) -> dict:
    """Leaf macro-F1 per window of :class:`~elasticc_fast.baselines.feature_classifier.FeatureLightGBM`
    trained and tested on the demo's split with the same protocol (``evaluate``) and the deep model's
    inputs: the six-band ``light-curve`` features and the ``oracle`` context (host/MW columns)."""
    from .baselines.feature_classifier import FeatureLightGBM
    from .evaluate import evaluate
    from .taxonomy import ORACLE_TREE

    base = FeatureLightGBM(ORACLE_TREE, seed=s.seed, n_jobs=1, context="oracle").fit(train, y_train)
    ev = evaluate(base, test, days=s.days, leaves=y_test)
    return {"label": BASELINE_LABEL, "context": "oracle",
            "leaf_macro_f1": {str(w): round(ev.scores[w]["leaf"].f1, 4) for w in ev.windows},
            "level_1_macro_f1": {str(w): round(ev.scores[w][ev.levels[0]].f1, 4) for w in ev.windows}}


def _report(ev: Any, s: DemoSettings, work: Path) -> None:
    from .evaluate import FULL, HEADLINE_DAYS, write_report

    headline_windows = [d for d in HEADLINE_DAYS if d in s.days] + [FULL]
    write_report(ev, work / "report", title=f"elasticc-fast demo ({s.arch}, seed {s.seed})",
                 confusion_windows=headline_windows)
    base = ev.meta.get("lightgbm")
    if base:  # the deep model beside the feature baseline, window by window
        cols = [str(w) for w in ev.windows]
        rows = [f"| {s.arch} (this model) | " + " | ".join(f"{ev.scores[w]['leaf'].f1:.3f}" for w in ev.windows) + " |",
                f"| {base['label']} | " + " | ".join(f"{base['leaf_macro_f1'][c]:.3f}" for c in cols) + " |"]
        text = ["", "## Leaf macro-F1 beside a feature baseline (same split, same protocol)", "",
                "| model | " + " | ".join(c if c == "full" else f"{c} d" for c in cols) + " |",
                "|---" * (len(cols) + 1) + "|", *rows, ""]
        with open(work / "report" / "report.md", "a") as fh:
            fh.write("\n".join(text))


def _rewrite_metrics(report_dir: Path, ev: Any) -> None:
    from .atomic import atomic_path

    with atomic_path(report_dir / "metrics.json", suffix=".json") as tmp:
        tmp.write_text(json.dumps(ev.to_json(), indent=1))
