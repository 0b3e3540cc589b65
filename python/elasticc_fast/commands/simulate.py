"""``elasticc-fast simulate OUT_DIR``: write an ELAsTiCC2-format training set of all 19 classes."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "simulate"
ORDER = 5


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME, help="simulate ELAsTiCC2-like SNANA FITS light curves of the 19 ORACLE classes",
        description="Write OUT_DIR/<PREFIX>_<MODEL>/ folders of SNANA HEAD/PHOT .FITS.gz pairs laid out like "
                    "the ELAsTiCC2 training set (plus .DUMP truth tables, .LIST and .README), one model per "
                    "ORACLE leaf class, from parametric light-curve families observed with an LSST-like "
                    "cadence. Only objects the survey triggers on are written. Seeded: the same arguments "
                    "give identical files. The per-class statistics are documented in docs/simulator.md.")
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder that receives the model folders")
    p.add_argument("--objects-per-class", type=int, default=200, metavar="N",
                   help="objects written per class (default 200)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--classes", nargs="+", metavar="CLASS",
                   help="ORACLE leaf names or model names (default: all 19), e.g. SNIa KN Mdwarf-flare")
    p.add_argument("--files-per-model", type=int, default=None, metavar="K",
                   help="HEAD/PHOT pairs per model (default: about 2,000 objects per pair, at most 40)")
    p.add_argument("--prefix", default="ELASTICC2_TRAIN_02", help="folder and file prefix (default %(default)s)")
    p.add_argument("--trigger", choices=("pair", "first"), default="pair",
                   help="PHOTFLAG 2048 on the first detection >= 30 min after an earlier one (pair, default) or "
                        "on the first detection (first, as in the real ELAsTiCC2 training files)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="processes, each simulating and writing whole classes (default 1); the files do not "
                        "depend on it")
    p.add_argument("--list-classes", action="store_true", help="print the classes, models and GENTYPEs and exit")
    return p


def run(args: argparse.Namespace) -> int:
    from ..sim import CLASSES, simulate

    if args.list_classes:
        for c in CLASSES:
            print(f"{c.leaf:15s} {c.model:22s} GENTYPE {c.gentype:3d}  class id {c.class_id}")
        return 0
    try:
        summary = simulate(args.out_dir, objects_per_class=args.objects_per_class, seed=args.seed,
                           classes=args.classes, files_per_model=args.files_per_model, prefix=args.prefix,
                           trigger_rule=args.trigger, workers=args.workers)
    except (ValueError, RuntimeError, OSError) as e:
        print(f"elasticc-fast simulate: error: {e}", file=sys.stderr)
        return 1
    print(json.dumps({k: summary[k] for k in ("out_dir", "n_objects", "n_obs", "seconds")}))
    return 0
