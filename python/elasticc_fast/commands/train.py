"""``elasticc-fast train``: train the hierarchical classifier on converted Parquet or ZTF BTS curves."""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from ..nn.config import ARCHS, ELASTICC_HYBRID, TrainConfig
from ..options import FLUX_SCALES, TRIGGERS
from ._train_features import train_feature_model, training_config

D, H = TrainConfig(), ELASTICC_HYBRID  # the gru/transformer and the default (hybrid) training in --help
NAME, ORDER = "train", 40
log = logging.getLogger("elasticc_fast.train")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="train the hierarchical classifier on converted Parquet", description=(
        "Train a hierarchical classifier on the Parquet files of `elasticc-fast convert` (ORACLE's taxonomy; the `model` "
        "column gives the class) or, with --data bts, on the ZTF BTS curves (BTS taxonomy). Default: the hybrid model, "
        "class-balanced epochs, epoch chosen on validation macro-F1 (the demo's training). Every epoch draws fresh random "
        "windows. Checkpoints go to MODEL_DIR/training/ (--resume continues); the model to MODEL_DIR (Classifier.load "
        "reads it): new or empty, or an earlier output with --resume or --overwrite."))
    p.add_argument("parquet_dir", type=Path, metavar="PARQUET_DIR", help="converted *.parquet (--data bts: ztf_bts folder)")
    p.add_argument("--data", choices=("parquet", "bts", "alerce-features"), default="parquet", help="the input's kind (default parquet; alerce-features: the folder of ALeRCE's hbrf_15class_*.pkl feature table, trains a hierarchical LightGBM, --epochs boosting rounds)")
    p.add_argument("--context", choices=("none", "redshift", "oracle"), default=None, help="hybrid: context (default: "
                   "Parquet oracle = host/MW HEAD columns; bts none; redshift = BTS redshift, |b|, A_V)")
    p.add_argument("--ensemble", type=int, default=None, help="train K seeds, average them (default 2; bts, gru: 1)")
    p.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR", help="output model folder")
    p.add_argument("--arch", choices=ARCHS, default=None, help="hybrid (default; curve + light-curve features + "
                   "context, 2 members), gru (ORACLE's model) or transformer (ATAT-style)")
    p.add_argument("--epochs", type=int, default=None, help=f"maximum epochs (default {D.epochs})")
    p.add_argument("--batch-size", type=int, default=None, help=f"windows per step (default {H['batch_size']}; gru {D.batch_size})")
    p.add_argument("--lr", type=float, default=None, help=f"Adam learning rate (default {D.learning_rate:g})")
    p.add_argument("--max-per-class", type=int, default=None, help="cap on training objects per class")
    p.add_argument("--val-fraction", type=float, default=None, help=f"held out per class (default {D.val_fraction})")
    p.add_argument("--patience", type=int, default=None, help=f"early-stopping patience (default {H['patience']}; gru {D.patience})")
    p.add_argument("--max-length", type=int, default=None, help=f"points per window (default {H['max_length']}; gru {D.windows.max_length})")
    p.add_argument("--flux-scale", choices=FLUX_SCALES, default=None,
                   help=f"flux feature: asinh(FLUXCAL) or ORACLE's FLUXCAL / 1000 (linear) (default {D.windows.flux_scale})")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS", help="stop after the epoch that "
                   "passes this wall time (not reproducible across machines)")
    p.add_argument("--full-views", type=float, default=None, metavar="P", help="hybrid: chance that a training "
                   f"view is the whole curve, not cut (default {H['full_views']:g}; bts 0)")
    p.add_argument("--thin-nondetections", type=float, default=None, metavar="F", help="hybrid: drop a training view's "
                   "non-detections at a rate drawn per view from U(0, F) (default 0: keep them)")
    p.add_argument("--no-light-curve", dest="seq", action="store_const", const=False, default=None,
                   help="hybrid: drop the light-curve branch (the light-curve features + context only; on the real "
                        "ELAsTiCC sets about as good as the hybrid when trained on simulations, on simulations lower: benchmarks/RESULTS.md)")
    p.add_argument("--seed", type=int, default=None, help="seed of initialisation, split, windows (default 0)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoints in MODEL_DIR/training")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier model in MODEL_DIR (built beside it)")
    p.add_argument("--trigger", choices=TRIGGERS, default=D.preprocess.trigger,
                   help=f"trigger used by preprocessing (default {D.preprocess.trigger})")
    return p


def run(args: argparse.Namespace) -> int:
    from ..atomic import check_output_dir, resumable_output_dir
    from ..classifier import Classifier
    from ..io.tables import load_training_set
    from ..summaries import describe_fit

    if args.data == "alerce-features":   # no GRU: a hierarchical LightGBM (stream --format alerce-features)
        return train_feature_model(args)
    logging.getLogger("absl").setLevel(logging.WARNING)  # Orbax logs every file it writes
    config = training_config(args)
    if not args.resume:   # before reading the data
        check_output_dir(args.out, NAME, args.overwrite, hint="--resume continues it, --overwrite replaces it")
    t0 = time.perf_counter()
    batch, tree = load_training_set(args.parquet_dir, kind=args.data)
    log.info("read %d objects from %s in %.1f s", len(batch), args.parquet_dir, time.perf_counter() - t0)
    clf = Classifier(tree=tree, config=config)
    with resumable_output_dir(args.out, command=NAME, work_dir="training", resume=args.resume,
                              overwrite=args.overwrite) as work:
        clf.fit(batch, out_dir=work / "training", resume=args.resume)
        clf.save(work)
    print(describe_fit(clf, args.out, time.perf_counter() - t0))
    return 0
