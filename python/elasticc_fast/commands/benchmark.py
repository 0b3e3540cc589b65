"""``elasticc-fast benchmark ztf-bts``: the ZTF BTS classification benchmark
(:mod:`elasticc_fast.benchmarks.bts`); this module holds only the command line."""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from ..benchmarks import bts, sim_to_real
from ..benchmarks.bts import ALL_MODELS
from ..benchmarks.bts_report import markdown
from ..errors import UsageError
from ..shared_data import shared_path

NAME = "benchmark"
ORDER = 80
log = logging.getLogger(__name__)


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME, help="run a named benchmark (ztf-bts, sim-to-real)",
        description="Run a named benchmark and print its table.")
    sub = p.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    z = sub.add_parser(
        "ztf-bts", help="ZTF BTS: Flax GRU/transformer vs random forest and LightGBM, k-fold CV",
        description=bts.__doc__.split("\n\n", 1)[1].split("\n\n    from")[0] if bts.__doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    z.add_argument("--data", type=Path, default=None,
                   help="the ztf_bts folder (default: $ELASTICC_FAST_SHARED/ztf_bts or ../shared/data/ztf_bts)")
    z.add_argument("--quick", action="store_true",
                   help="one fold, fewer epochs and trees (under 5 minutes on a laptop)")
    z.add_argument("--json", type=Path, default=None, help="write the results (per model macro_f1 by cut) here")
    z.add_argument("--markdown", type=Path, default=None, help="write the markdown tables here")
    z.add_argument("--folds", type=int, default=5, help="number of stratified folds (default 5)")
    z.add_argument("--fold-limit", type=int, default=None,
                   help="run only the first N folds of the split (--quick: 1)")
    z.add_argument("--seed", type=int, default=0, help="seed of the split and of every model (default 0)")
    z.add_argument("--models", default=",".join(ALL_MODELS),
                   help=f"comma-separated subset of {','.join(ALL_MODELS)}")
    z.add_argument("--epochs", type=int, default=None, help="override the epochs of the Flax models")
    z.add_argument("--max-objects", type=int, default=None,
                   help="stratified random subset of this many objects (smoke tests)")
    z.add_argument("--jobs", type=int, default=2, help="threads for features and tree models (default 2)")
    sim_to_real.register_cli(sub)
    return p


def run(args: argparse.Namespace) -> int:
    if getattr(args, "benchmark", None) == "sim-to-real":
        return sim_to_real.run_cli(args)
    if getattr(args, "benchmark", None) != "ztf-bts":
        raise UsageError("choose a benchmark: elasticc-fast benchmark ztf-bts|sim-to-real --help")
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - set(ALL_MODELS))
    if unknown:
        raise UsageError(f"unknown models {unknown} (choose from {', '.join(ALL_MODELS)})")
    data = args.data or shared_path("ztf_bts")
    if not (data / "ANTARES").is_dir():
        raise UsageError(f"{data}: not the ztf_bts folder (no ANTARES/ inside); give --data or set "
                         "ELASTICC_FAST_SHARED")
    result = bts.run_bts(data, models=models, quick=args.quick, folds=args.folds, seed=args.seed,
                     epochs=args.epochs, max_objects=args.max_objects, jobs=args.jobs,
                     fold_limit=args.fold_limit)
    text = markdown(result)
    print(text)
    from ..atomic import atomic_path
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(result, indent=1))
    if args.markdown:
        with atomic_path(args.markdown) as tmp:
            tmp.write_text(text + "\n")
    return 0
