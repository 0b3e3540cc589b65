"""``elasticc-fast train``: train the hierarchical classifier on converted Parquet files."""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from ..nn.config import ARCHS, TrainConfig
from ..options import FLUX_SCALES, TRIGGERS

D = TrainConfig()  # the defaults shown in --help and used for options not given

NAME = "train"
ORDER = 40
log = logging.getLogger("elasticc_fast.train")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME, help="train the hierarchical classifier on converted Parquet",
        description="Train a hierarchical classifier (ORACLE's taxonomy) on the Parquet files written by "
                    "`elasticc-fast convert` (one file per model; the `model` column gives the class). "
                    "Every epoch draws fresh random prefix windows of each light curve; a validation split "
                    "per class drives early stopping. Checkpoints go to MODEL_DIR/training/ (--resume continues); "
                    "the model to MODEL_DIR (elasticc_fast.Classifier.load reads it), which must be new or "
                    "empty, or an earlier `train` output with --resume or --overwrite.")
    p.add_argument("parquet_dir", type=Path, metavar="PARQUET_DIR", help="folder of converted *.parquet files")
    p.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR", help="output model folder")
    p.add_argument("--arch", choices=ARCHS, default=D.arch,
                   help=f"gru: ORACLE's recurrent model (default {D.arch}); transformer: ATAT-style time-modulated attention")
    p.add_argument("--epochs", type=int, default=None, help=f"maximum epochs (default {D.epochs})")
    p.add_argument("--batch-size", type=int, default=None, help=f"windows per step (default {D.batch_size})")
    p.add_argument("--lr", type=float, default=None, help=f"Adam learning rate (default {D.learning_rate:g})")
    p.add_argument("--max-per-class", type=int, default=None, help="cap on training objects per class")
    p.add_argument("--val-fraction", type=float, default=None,
                   help=f"objects per class held out (default {D.val_fraction})")
    p.add_argument("--patience", type=int, default=None, help=f"early-stopping patience in epochs (default {D.patience})")
    p.add_argument("--max-length", type=int, default=None,
                   help=f"points per window at most (default {D.windows.max_length})")
    p.add_argument("--flux-scale", choices=FLUX_SCALES, default=None,
                   help=f"flux feature: asinh(FLUXCAL) or ORACLE's FLUXCAL / 1000 (linear) (default {D.windows.flux_scale})")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop after the epoch that passes this wall time (not reproducible across machines)")
    p.add_argument("--seed", type=int, default=None, help="seed of initialisation, split, windows (default 0)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoints in MODEL_DIR/training")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier model in MODEL_DIR (the new one is built beside it and swapped in "
                        "when complete)")
    p.add_argument("--trigger", choices=TRIGGERS, default=D.preprocess.trigger,
                   help=f"trigger used by preprocessing (default {D.preprocess.trigger})")
    return p


#: TrainConfig field (or option field) -> command-line argument
_CONFIG_ARGS = {f: f for f in ("arch", "epochs", "batch_size", "max_per_class", "val_fraction", "patience", "max_length",
                               "seed", "flux_scale", "trigger")} | {"learning_rate": "lr", "time_limit_s": "time_limit"}


def run(args: argparse.Namespace) -> int:
    from ..atomic import check_output_dir, resumable_output_dir
    from ..classifier import Classifier
    from ..io.tables import load_training_batch
    from ..summaries import describe_fit

    logging.getLogger("absl").setLevel(logging.WARNING)  # Orbax logs every file it writes
    config = D.replace(**{f: getattr(args, a) for f, a in _CONFIG_ARGS.items() if getattr(args, a) is not None})
    if not args.resume:   # before reading the data
        check_output_dir(args.out, NAME, args.overwrite, hint="--resume continues it, --overwrite replaces it")
    t0 = time.perf_counter()
    batch = load_training_batch(args.parquet_dir)
    log.info("read %d objects from %s in %.1f s", len(batch), args.parquet_dir, time.perf_counter() - t0)
    clf = Classifier(config=config)
    with resumable_output_dir(args.out, command=NAME, work_dir="training", resume=args.resume,
                              overwrite=args.overwrite) as work:
        clf.fit(batch, out_dir=work / "training", resume=args.resume)
        clf.save(work)
    print(describe_fit(clf, args.out, time.perf_counter() - t0))
    return 0
