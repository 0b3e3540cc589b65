"""``elasticc-fast demo``: the whole ELAsTiCC pipeline on a simulated set, end to end."""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from ..errors import UsageError

NAME = "demo"
ORDER = 1

log = logging.getLogger(__name__)

DESCRIPTION = """\
Run the whole pipeline on a freshly simulated set, on this machine:

  1. simulate SNANA-format light curves of all 19 ORACLE classes (DIR/sim/),
  2. convert them to Parquet (DIR/parquet/),
  3. split objects per class into training and test sets (70/30, seeded),
  4. train the hierarchical classifier (fresh random truncation windows every epoch) and save it
     to DIR/model/,
  5. evaluate it on the test set with ORACLE's protocol (1, 2, 4, ..., 1024 days after the
     trigger and the full curve; every taxonomy level) and write DIR/report/ (report.md,
     metrics.json, PNG plots).

DIR is built under a temporary name beside it and renamed when complete; an existing non-empty
DIR is refused unless it is an earlier demo output and --overwrite is given.

Prints where the model and report are and the headline numbers: leaf and level-1 macro-F1 at
8, 64 and 1024 days. With the defaults the whole run stays under 10 minutes on 2 CPU cores:
training stops at 40 epochs or after the epoch that passes 6 minutes (--train-minutes), whichever
comes first (report.md and metrics.json say how many epochs ran). Raise --objects-per-class,
--epochs and --train-minutes for a better model."""

#: defaults sized for about 10 minutes on a 2-core CPU (see benchmarks/RESULTS.md)
DEFAULT_OBJECTS_PER_CLASS = 300
DEFAULT_EPOCHS = 40
DEFAULT_BATCH_SIZE = 32
DEFAULT_TRAIN_MINUTES = 6.0
TEST_FRACTION = 0.3


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="simulate, convert, train and evaluate end to end (the main demo)",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="demo_out", metavar="DIR", help="output folder (default ./demo_out)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier demo output in DIR")
    p.add_argument("--objects-per-class", type=int, default=DEFAULT_OBJECTS_PER_CLASS, metavar="N",
                   help=f"simulated objects per class (default {DEFAULT_OBJECTS_PER_CLASS})")
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, metavar="E",
                   help=f"maximum training epochs (default {DEFAULT_EPOCHS}; early stopping may end sooner)")
    p.add_argument("--arch", choices=("gru", "transformer"), default="gru", help="model architecture")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, metavar="B",
                   help=f"training windows per step (default {DEFAULT_BATCH_SIZE}: many steps on a small set)")
    p.add_argument("--train-minutes", type=float, default=DEFAULT_TRAIN_MINUTES, metavar="M",
                   help=f"stop training after the epoch that passes M minutes (default {DEFAULT_TRAIN_MINUTES:g}: "
                        "keeps the demo near 10 minutes on a slow or busy machine; 0 = no limit)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulation, split and training")
    from .evaluate import _days

    p.add_argument("--days", type=_days, default=None, metavar="D1,D2,...",
                   help="evaluation day counts (default 1,2,4,...,1024)")
    return p


def split_per_class(labels, test_fraction: float, seed: int):
    """Indices (train, test) with ``test_fraction`` of every class in the test set (at least one
    object of each class with two or more on both sides)."""
    import numpy as np

    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train, test = [], []
    for value in sorted(set(labels.tolist())):
        idx = rng.permutation(np.flatnonzero(labels == value))
        n_test = int(round(test_fraction * len(idx)))
        if len(idx) >= 2:
            n_test = min(max(n_test, 1), len(idx) - 1)
        test.extend(idx[:n_test])
        train.extend(idx[n_test:])
    return np.sort(np.asarray(train, dtype=np.int64)), np.sort(np.asarray(test, dtype=np.int64))


def _step(name: str, t0: float) -> float:
    now = time.perf_counter()
    print(f"[{now - t0:6.1f} s] {name}", flush=True)
    return now


def run(args: argparse.Namespace) -> int:
    from ..atomic import output_dir

    if args.objects_per_class < 2:
        raise UsageError("--objects-per-class must be at least 2 (one for training, one for testing)")
    # Orbax/absl log every checkpoint step at INFO, and the steps below print what they do (with the
    # final folder names, not the temporary ones the library logs): keep the demo's output readable
    for name in ("absl", *(() if args.verbose else ("elasticc_fast.sim", "elasticc_fast.convert",
                                                    "elasticc_fast.convert_run"))):
        logging.getLogger(name).setLevel(logging.WARNING)
    with output_dir(args.out, command=NAME, overwrite=args.overwrite) as work:
        return _run_in(args, work)


def _run_in(args: argparse.Namespace, work: Path) -> int:
    """The demo, writing into ``work`` (renamed to ``args.out`` when complete); prints use the final names."""
    from .. import evaluate as ev_mod
    from ..batch import LightCurveBatch
    from ..classifier import Classifier
    from ..convert import convert
    from ..io.tables import read_table
    from ..sim import simulate
    from ..taxonomy import ORACLE_TREE
    from .evaluate import format_headline

    days = args.days or ev_mod.DEFAULT_DAYS
    out = Path(args.out)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    _step(f"simulating {args.objects_per_class} objects per class, 19 classes -> {out / 'sim'}", t0)
    t = time.perf_counter()
    simulate(work / "sim", objects_per_class=args.objects_per_class, seed=args.seed)
    timings["simulate"] = time.perf_counter() - t

    _step(f"converting to Parquet -> {out / 'parquet'}", t0)
    t = time.perf_counter()
    convert(work / "sim", work / "parquet", overwrite=True)
    table = read_table(work / "parquet")
    timings["convert"] = time.perf_counter() - t

    batch = LightCurveBatch.from_arrow(table)
    leaves, labelled = ev_mod.true_leaves(batch, ORACLE_TREE)
    if not labelled.all():
        raise RuntimeError(f"demo: {int((~labelled).sum())} simulated objects have no ORACLE leaf")
    missing = set(ORACLE_TREE.leaves) - set(leaves.tolist())
    if missing:
        raise RuntimeError(f"demo: the simulation lacks classes {[ORACLE_TREE.nodes[i] for i in sorted(missing)]}")
    train_idx, test_idx = split_per_class(leaves, TEST_FRACTION, args.seed)
    train, test = batch.take(train_idx), batch.take(test_idx)
    _step(f"training {args.arch} on {len(train)} objects ({len(test)} held out for the test), "
          f"at most {args.epochs} epochs", t0)
    t = time.perf_counter()
    clf = Classifier(tree=ORACLE_TREE, arch=args.arch, epochs=args.epochs, batch_size=args.batch_size,
                     seed=args.seed, time_limit_s=args.train_minutes * 60 if args.train_minutes > 0 else None)
    clf.fit(train, labels=leaves[train_idx])
    clf.save(work / "model")
    timings["train"] = time.perf_counter() - t

    _step(f"evaluating on {len(test)} test objects at {len(days)} day counts and the full curve", t0)
    t = time.perf_counter()
    ev = ev_mod.evaluate(clf, test, days=days, leaves=leaves[test_idx])
    ev.meta.update({"demo": {"objects_per_class": args.objects_per_class, "epochs": args.epochs,
                             "arch": args.arch, "seed": args.seed, "batch_size": args.batch_size,
                             "train_minutes": args.train_minutes, "n_train": int(len(train)),
                             "n_test": int(len(test)), "epochs_run": len(clf.history),
                             "best_epoch": clf.best_epoch}})
    headline_windows = [d for d in ev_mod.HEADLINE_DAYS if d in days] + [ev_mod.FULL]
    ev_mod.write_report(ev, work / "report", title=f"elasticc-fast demo ({args.arch}, seed {args.seed})",
                        confusion_windows=headline_windows)
    timings["evaluate"] = time.perf_counter() - t
    total = _step("done", t0) - t0
    ev.meta["timings_s"] = {k: round(v, 1) for k, v in timings.items()} | {"total": round(total, 1)}
    # the report already exists; add timings to metrics.json without rewriting the PNGs
    _rewrite_metrics(work / "report", ev)

    n_ep = len(clf.history)
    print(f"\nmodel:  {out / 'model'}  ({n_ep} epoch{'s' if n_ep != 1 else ''} on {len(train)} objects, "
          f"{clf.config.val_fraction:.0%} of them for validation; best epoch {clf.best_epoch})")
    print(f"report: {out / 'report' / 'report.md'}")
    print(format_headline(ev))
    print("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in ev.meta["timings_s"].items()))
    return 0


def _rewrite_metrics(report_dir: Path, ev) -> None:
    import json

    from ..atomic import atomic_path

    with atomic_path(report_dir / "metrics.json", suffix=".json") as tmp:
        tmp.write_text(json.dumps(ev.to_json(), indent=1))
