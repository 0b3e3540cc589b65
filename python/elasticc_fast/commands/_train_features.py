"""Helpers of ``elasticc-fast train``: the training configuration of its options, and (``--data
alerce-features``) a hierarchical LightGBM on ALeRCE's labelled feature table (the model ``stream
--format alerce-features`` uses)."""
from __future__ import annotations

import argparse
import time

from ..errors import UsageError
from ..nn.config import TrainConfig, base_config

#: TrainConfig field (or option field) -> command-line argument
CONFIG_ARGS = {f: f for f in ("arch", "epochs", "batch_size", "max_per_class", "val_fraction", "patience", "max_length",
                              "seed", "flux_scale", "trigger", "context", "ensemble", "full_views", "seq",
                              "thin_nondetections")} | {
    "learning_rate": "lr", "time_limit_s": "time_limit"}


def training_config(args: argparse.Namespace) -> TrainConfig:
    """The training of ``args`` (the options given, over the defaults of ``--data`` and ``--arch``);
    a value out of range is a usage error (exit 2), reported before any data is read."""
    given = {f: getattr(args, a) for f, a in CONFIG_ARGS.items() if getattr(args, a) is not None}
    if given.get("seq") is False and args.arch not in (None, "hybrid"):
        raise UsageError(f"--no-light-curve drops the hybrid's light-curve branch; --arch {args.arch} has no other")
    try:
        return base_config(args.data, args.arch, given)
    except ValueError as e:
        raise UsageError(str(e)) from None


def train_feature_model(args: argparse.Namespace) -> int:
    """Train on ``DIR/hbrf_15class_features.pkl`` + labels and save to ``--out`` (temporary name,
    renamed when complete). ``--epochs`` is the number of boosting rounds per node (default 300)."""
    from ..atomic import output_dir
    from ..baselines.feature_model import train_alerce_features

    t0 = time.perf_counter()
    with output_dir(args.out, command="train", overwrite=args.overwrite) as work:  # refuses before training
        model = train_alerce_features(args.parquet_dir, n_estimators=args.epochs or 300, seed=args.seed or 0)
        model.save(work)
    print(f"train: hierarchical LightGBM on {model.meta['objects']} objects, {len(model.feature_names)} "
          f"features, {len(model.boosters)} nodes -> {args.out} ({time.perf_counter() - t0:.1f} s)")
    return 0
