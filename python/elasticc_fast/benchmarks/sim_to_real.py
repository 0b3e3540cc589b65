"""Sim-to-real for ELAsTiCC: train on the built-in simulator only, then measure per-class recall and
the confusion on every labelled real ELAsTiCC set in the reference data (``elasticc-fast benchmark
sim-to-real``). The real sets are never trained on.

Real sets (``../shared/data``): the genuine ELAsTiCC2 training sample (SNANA FITS; models KN_K17,
Mdwarf-flare, SNIb-Templates: full light curves) and two Fink alert samples with SNANA truth (early
SN Ia alerts and KN alerts: each alert is the light curve up to that alert, often a single
detection). Each set has one true ORACLE leaf; its recall is the share of its objects (alerts)
whose most probable leaf is the truth, also given by host redshift (:mod:`.host_redshift`).

Beside each real set, the recall of the same model on freshly simulated objects of the same class
(another seed, never trained on; whole curves, first-detection trigger): what the model reaches
on its own simulation, so a real set's gap splits into the model's own limit and the
simulation's distance from the sky.
"""
from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:  # the simulator loads only when a benchmark runs, not with the CLI's parser
    from ..sim.models import SimModels

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RealSet:
    """A labelled real ELAsTiCC set: what it is, where it is under the reference folder, its truth."""

    name: str
    path: str
    kind: str    # "snana" (a model folder of SNANA FITS) or "alerts" (Fink parquet)
    truth: str   # ORACLE leaf


REAL_SETS: tuple[RealSet, ...] = (
    RealSet("ELAsTiCC2 training sample KN_K17", "elasticc2_train_sample/ELASTICC2_TRAIN_01_1percent_KN_K17",
            "snana", "KN"),
    RealSet("ELAsTiCC2 training sample Mdwarf-flare",
            "elasticc2_train_sample/ELASTICC2_TRAIN_01_1percent_Mdwarf-flare", "snana", "M-dwarf Flare"),
    RealSet("ELAsTiCC2 training sample SNIb-Templates",
            "elasticc2_train_sample/ELASTICC2_TRAIN_01_1percent_SNIb-Templates", "snana", "SNIb/c"),
    RealSet("Fink ELAsTiCC alerts test_elasticc_earlysnia",
            "elasticc_alerts/fink/elasticc_parquet/test_elasticc_earlysnia.parquet", "alerts", "SNIa"),
    RealSet("Fink ELAsTiCC KN alerts fink_kn_truth", "elasticc_alerts/fink_kn_truth", "alerts", "KN"),
)
GOAL_MEAN_RECALL, GOAL_MIN_RECALL = 0.70, 0.5
#: the held-out simulation's seed is the training seed plus this (never the same objects)
HELDOUT_SEED_OFFSET = 10_007
#: the command a ``--save`` folder's marker names (an earlier one is replaced only with ``--overwrite``)
SAVE_COMMAND = "benchmark sim-to-real"


def load_real_set(shared: Path, real: RealSet, work: Path):
    """The set as a LightCurveBatch (SNANA folders are converted to Parquet under ``work`` first)."""
    from ..convert import convert_model
    from ..io.tables import load_batch

    src = shared / real.path
    if not src.exists():
        raise FileNotFoundError(f"{src}: real set {real.name!r} not found")
    if real.kind == "snana":
        out = work / f"{src.name}.parquet"
        convert_model(src, out)
        return load_batch(out)
    return load_batch(src)


def simulate_and_load(work: Path, name: str, objects_per_class: int, seed: int, trigger_rule: str = "first",
                      classes: Sequence[str] | None = None, models: SimModels | None = None):
    """Simulate ``classes`` (default all 19) into ``work/name`` with the simulator's ``models``
    (detection rule, SN Ib/c, KN and host models), convert to ``work/name_parquet`` and load it as one batch."""
    from ..convert import convert
    from ..io.tables import load_batch
    from ..sim import simulate
    from ..sim.models import SimModels

    models = models or SimModels()
    simulate(work / name, objects_per_class=objects_per_class, seed=seed, classes=classes,
             trigger_rule=trigger_rule, show_progress=False, **models.as_dict())
    convert(work / name, work / f"{name}_parquet", overwrite=True)
    return load_batch(work / f"{name}_parquet")


def simulated_training_set(work: Path, objects_per_class: int, seed: int, trigger_rule: str = "first",
                           models: SimModels | None = None):
    """Simulate all 19 classes into ``work``, convert, and return (batch, ORACLE leaf indices)."""
    from ..evaluate import true_leaves
    from ..taxonomy import ORACLE_TREE

    batch = simulate_and_load(work, "sim", objects_per_class, seed, trigger_rule, models=models)
    leaves, ok = true_leaves(batch, ORACLE_TREE)
    if not ok.all():
        raise RuntimeError(f"{int((~ok).sum())} simulated objects have no ORACLE leaf")
    return batch, leaves


def training_config(arch: str = "hybrid", epochs: int = 40, seed: int = 0, train_minutes: float | None = 6.0,
                    changes: dict | None = None):
    """``elasticc-fast train``'s configuration for ``arch`` (``nn.config.base_config``: the hybrid is
    :data:`~elasticc_fast.nn.config.ELASTICC_HYBRID`, the demo's training, 2 members) with the
    benchmark's epochs, seed and time limit (minutes; None: none); ``changes``: TrainConfig fields as
    ``train``'s options set them (``{"seq": False}``: ``--no-light-curve``; ``thin_nondetections``)."""
    from ..nn.config import base_config

    return base_config("parquet", arch, changes).replace(
        epochs=epochs, seed=seed, time_limit_s=None if train_minutes is None else train_minutes * 60)


def train_on_simulation(work: Path, objects_per_class: int = 300, seed: int = 0, epochs: int = 40,
                        train_minutes: float | None = 6.0, arch: str = "hybrid", models: SimModels | None = None,
                        changes: dict | None = None):
    """A Classifier trained only on the built-in simulator (``objects_per_class`` per leaf) with
    ``train``'s configuration (:func:`training_config`)."""
    from ..classifier import Classifier
    from ..taxonomy import ORACLE_TREE

    batch, leaves = simulated_training_set(work, objects_per_class, seed, models=models)
    clf = Classifier(tree=ORACLE_TREE, config=training_config(arch, epochs, seed, train_minutes, changes))
    clf.fit(batch, labels=leaves, show_progress=None)  # an epoch bar on a terminal: 1000/class trains ~30 min
    return clf


def score_set(clf, batch, truth: str, top: int = 4) -> dict:
    """Recall of ``truth``, the share of each predicted leaf (the confusion row of the set) and the
    recall by host redshift (:mod:`.host_redshift`); objects the model's preprocessing drops (no
    detection) count as misses, "(dropped)"."""
    from ..predict import leaf_argmax, predict_probabilities
    from .host_redshift import host_redshift, recall_by_host_z

    tree = clf.tree
    pred = leaf_argmax(predict_probabilities(clf, batch), tree)
    names, counts = np.unique([tree.nodes[p] if p >= 0 else "(dropped)" for p in pred], return_counts=True)
    order = np.argsort(-counts)
    confusion = {str(names[i]): round(float(counts[i]) / len(batch), 3) for i in order}
    hit = pred == tree.index(truth)
    return {"n": int(len(batch)), "truth": truth, "recall": round(float(np.mean(hit)), 3),
            "predicted": confusion, "most_often": dict(list(confusion.items())[:top]),
            "by_host_z": recall_by_host_z(hit, host_redshift(batch.static))}


def heldout_recall(clf, work: Path, truths: Sequence[str], objects_per_class: int, seed: int,
                   models: SimModels | None = None) -> dict[str, float]:
    """Recall of each leaf of ``truths`` on ``objects_per_class`` freshly simulated objects of it
    (seed ``seed + HELDOUT_SEED_OFFSET``, first-detection trigger, whole curves)."""
    from ..evaluate import true_leaves

    leaves = sorted(set(truths))
    batch = simulate_and_load(work, "heldout", objects_per_class, seed + HELDOUT_SEED_OFFSET, classes=leaves,
                              models=models)
    truth_idx, _ = true_leaves(batch, clf.tree)
    return {t: score_set(clf, batch.take(np.flatnonzero(truth_idx == clf.tree.index(t))), t)["recall"]
            for t in leaves}


def run(shared: Path, *, objects_per_class: int = 300, seed: int = 0, epochs: int = 40,
        train_minutes: float | None = 6.0, model_dir: Path | None = None, arch: str = "hybrid",
        sets: Sequence[RealSet] = REAL_SETS, heldout: int = 300, models: SimModels | None = None,
        save_dir: Path | None = None, overwrite: bool = False, changes: dict | None = None) -> dict:
    """Train on the simulator (or load ``model_dir``) and score every real set, and ``heldout``
    simulated objects of each set's class (0: not); ``models``: the simulator's models
    (``sim.models.SimModels``), for both simulations; ``changes``: as :func:`training_config`;
    ``save_dir``: also save the trained model there (checked before training; ``overwrite`` replaces an earlier
    one). The JSON-ready result."""
    from ..atomic import check_output_dir, output_dir
    from ..classifier import Classifier
    from ..sim.models import SimModels
    from .machine import machine

    models = models or SimModels()
    if save_dir is not None:
        check_output_dir(save_dir, SAVE_COMMAND, overwrite)  # fail before the training, not after it
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sim_to_real_") as tmp:
        work = Path(tmp)
        if model_dir is not None:
            clf, trained = Classifier.load(model_dir), f"loaded from {model_dir}"
        else:
            clf = train_on_simulation(work, objects_per_class, seed, epochs, train_minutes, arch, models, changes)
            c = clf.config
            branch = ("" if c.seq or arch != "hybrid" else " without its light-curve branch") + (
                f", non-detections thinned U(0, {c.thin_nondetections:g})" if c.thin_nondetections else "")
            trained = (f"{c.arch}{branch} ({c.ensemble} member(s)), {objects_per_class} simulated objects "
                       f"per class, seed {seed}, {len(clf.history)} epochs (best {clf.best_epoch})")
            if save_dir is not None:
                with output_dir(save_dir, command=SAVE_COMMAND, overwrite=overwrite) as out:
                    clf.save(out)
                trained += f", saved to {save_dir}"
        t_train = time.perf_counter() - t0
        results = {s.name: score_set(clf, load_real_set(shared, s, work), s.truth) for s in sets}
        if heldout > 0:
            sim = heldout_recall(clf, work, [s.truth for s in sets], heldout, seed, models)
            for r in results.values():
                r["simulated_recall"] = sim[r["truth"]]
    recalls = [r["recall"] for r in results.values()]
    return {"benchmark": "sim-to-real", "model": trained, **models.as_dict(), "sets": results,
            "mean_recall": round(float(np.mean(recalls)), 3), "min_recall": round(float(np.min(recalls)), 3),
            "goal_mean_recall": GOAL_MEAN_RECALL, "goal_min_recall": GOAL_MIN_RECALL,
            "train_seconds": round(t_train, 1), "total_seconds": round(time.perf_counter() - t0, 1),
            "machine": machine()}


def markdown(result: dict) -> str:
    """The per-set table (recall and the most often predicted leaves), the mean, and the recall by
    host redshift."""
    from .host_redshift import markdown_rows

    lines = [f"Model: {result['model']}.", "", "| real set | truth | n | recall | most often predicted | "
             "recall on held-out simulated objects of the class |", "|---|---|---|---|---|---|"]
    for name, r in result["sets"].items():
        most = ", ".join(f"{k} {v:.2f}" for k, v in r["most_often"].items())
        sim = f"{r['simulated_recall']:.2f}" if "simulated_recall" in r else "-"
        lines.append(f"| {name} | {r['truth']} | {r['n']} | {r['recall']:.2f} | {most} | {sim} |")
    lines += ["", f"Mean recall {result['mean_recall']:.2f} (goal {result['goal_mean_recall']:.2f}), lowest "
              f"{result['min_recall']:.2f} (goal: none below {result['goal_min_recall']:.2f}); training "
              f"{result['train_seconds']:.0f} s, total {result['total_seconds']:.0f} s.",
              f"Machine: {result.get('machine', 'not recorded')}.", "",
              "Recall by host redshift (the host's spec-z where it has one, else its photo-z; in brackets the "
              "objects):", "", *markdown_rows(result["sets"])]
    return "\n".join(lines)


# ---------------------------------------------------------------------- command line
def register_cli(sub) -> None:
    """The ``sim-to-real`` sub-command of ``elasticc-fast benchmark``."""
    import argparse

    s = sub.add_parser("sim-to-real", help="train on the built-in simulator only; recall on the real ELAsTiCC sets",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--data", type=Path, default=None,
                   help="the reference-data folder (default: $ELASTICC_FAST_SHARED or ../shared/data)")
    s.add_argument("--objects-per-class", type=int, default=300, help="simulated training objects per class (300)")
    s.add_argument("--arch", choices=("hybrid", "gru", "transformer"), default="hybrid",
                   help="the model: `train`'s default ELAsTiCC training (hybrid, 2 members; default) or its gru/transformer")
    s.add_argument("--no-light-curve", dest="light_curve", action="store_false",
                   help="hybrid: without its light-curve branch (light-curve features + context; `train --no-light-curve`)")
    s.add_argument("--thin-nondetections", type=float, default=0.0, metavar="F", help="hybrid: drop a training view's "
                   "non-detections at a rate U(0, F) drawn per view (`train --thin-nondetections`; default 0)")
    s.add_argument("--epochs", type=int, default=40, help="maximum epochs (default 40)")
    s.add_argument("--train-minutes", type=float, default=6.0,
                   help="training time limit in minutes, all members together (default 6, the demo's; 0: none, only --epochs)")
    s.add_argument("--seed", type=int, default=0, help="seed of the simulation and the model (default 0)")
    s.add_argument("--model", type=Path, default=None,
                   help="score this saved model instead of training one (e.g. the demo's DIR/model)")
    s.add_argument("--save", type=Path, default=None, metavar="DIR",
                   help="also save the trained model in DIR (new or empty; `predict --model DIR` and `--model DIR` read it)")
    s.add_argument("--overwrite", action="store_true", help="with --save: replace an earlier sim-to-real model in DIR")
    s.add_argument("--heldout", type=int, default=300,
                   help="also score this many freshly simulated objects of each real set's class (300; 0: not)")
    s.add_argument("--detection", choices=("noise-free", "measured"), default="noise-free",
                   help="the simulator's detection rule (as `simulate --detection`; default noise-free)")
    s.add_argument("--sn-ibc", choices=("round4", "round9"), default="round4",
                   help="the simulator's SN Ib/c model (as `simulate --sn-ibc`; default round4)")
    s.add_argument("--kn", choices=("default", "round9"), default="default",
                   help="the simulator's KN model (as `simulate --kn`; default default)")
    s.add_argument("--hosts", choices=("default", "library"), default="default",
                   help="the simulator's host model (as `simulate --hosts`; default default)")
    s.add_argument("--specz", choices=("flat", "nearby"), default="flat",
                   help="who has a spec-z in the simulation (as `simulate --specz`; default flat)")
    s.add_argument("--cadence", choices=("random", "pairs"), default="random",
                   help="the bands of a night's visits (as `simulate --cadence`; default random)")
    s.add_argument("--json", type=Path, default=None, help="write the result here")


def run_cli(args) -> int:
    """Run the benchmark for parsed ``args``; prints the table, writes ``--json``."""
    import json

    from ..atomic import atomic_path
    from ..errors import UsageError
    from ..shared_data import require_shared
    from ..sim.models import CHOICES, SimModels

    if args.save is not None and args.model is not None:
        raise UsageError("--save saves the model this run trains; with --model DIR nothing is trained")
    for opt, given in (("--no-light-curve", not args.light_curve), ("--thin-nondetections", args.thin_nondetections)):
        if given and (args.arch != "hybrid" or args.model is not None):
            raise UsageError(f"{opt} changes the hybrid's training: not with --arch {args.arch} or --model")
    changes = {"seq": False} if not args.light_curve else {}
    if args.thin_nondetections:
        changes["thin_nondetections"] = args.thin_nondetections
    try:  # a value out of range: before simulating anything
        training_config(args.arch, changes=changes)
    except ValueError as e:
        raise UsageError(str(e)) from None
    data = args.data or require_shared(".", "--data")
    result = run(data, objects_per_class=args.objects_per_class, seed=args.seed, epochs=args.epochs,
                 train_minutes=args.train_minutes if args.train_minutes > 0 else None, model_dir=args.model,
                 arch=args.arch, heldout=args.heldout,
                 models=SimModels(**{name: getattr(args, name) for name in CHOICES}),  # options named as fields
                 save_dir=args.save, overwrite=args.overwrite, changes=changes)
    print(markdown(result))
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(result, indent=1))
    return 0
