"""``elasticc-fast train DIR --data alerce-features --out MODEL_DIR``: a hierarchical LightGBM on
ALeRCE's labelled feature table (the model ``stream --format alerce-features`` uses)."""
from __future__ import annotations

import argparse
import time


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
