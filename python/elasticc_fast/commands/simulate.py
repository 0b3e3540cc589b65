"""``elasticc-fast simulate OUT_DIR [--survey lsst|ztf]``: simulated light curves of an LSST
(ELAsTiCC2-format SNANA FITS, 19 classes) or a ZTF survey (BTS-like Parquet)."""
from __future__ import annotations

import argparse
import logging

from ..errors import DataError, UsageError

NAME = "simulate"
ORDER = 5


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME, help="simulate light curves: ELAsTiCC2-like SNANA FITS (LSST) or BTS-like ZTF Parquet",
        description="--survey lsst (default): OUT_DIR/<PREFIX>_<MODEL>/ folders of SNANA HEAD/PHOT .FITS.gz "
                    "pairs laid out like the ELAsTiCC2 training set (plus .DUMP, .LIST, .README), one model per "
                    "ORACLE leaf class. --survey ztf: OUT_DIR/ztf_sim.parquet, one row per object as the BTS "
                    "reader gives it (flux in microjansky, BTS types and tree labels), for objects passing the "
                    "BTS selection. Seeded: the same arguments give identical output, whatever --workers. "
                    "Details in docs/simulator.md.")
    p.add_argument("out_dir", metavar="OUT_DIR", nargs="?", help="output folder (not needed with --list-classes)")
    p.add_argument("--survey", choices=("lsst", "ztf"), default="lsst", help="survey to simulate (default lsst)")
    p.add_argument("--objects-per-class", type=int, default=200, metavar="N", help="objects per class (default 200)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--classes", nargs="+", metavar="CLASS",
                   help="classes (default all): ORACLE leaf or model names for lsst (e.g. SNIa KN Mdwarf-flare), "
                        "BTS types for ztf (e.g. 'SN Ia' SLSN-I CV)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processes, each simulating whole classes "
                   "(default 1); the output does not depend on it")
    p.add_argument("--list-classes", action="store_true", help="print the classes of --survey and exit")
    lsst = p.add_argument_group("lsst only")
    lsst.add_argument("--files-per-model", type=int, default=None, metavar="K",
                      help="HEAD/PHOT pairs per model (default: about 2,000 objects per pair, at most 40)")
    lsst.add_argument("--prefix", default="ELASTICC2_TRAIN_02", help="folder and file prefix (default %(default)s)")
    lsst.add_argument("--trigger", choices=("pair", "first"), default="pair",
                      help="PHOTFLAG 2048: a detection >= 30 min after another (pair, default) or the first one (first)")
    lsst.add_argument("--detection", choices=("noise-free", "measured"), default="noise-free", help="detection probability "
                      "from the noise-free S/N as in SNANA (noise-free, default) or from the measured S/N (measured)")
    for opt, old, new in (("--sn-ibc", "round4", "round9"), ("--kn", "default", "round9"), ("--hosts", "default", "library"),
                          ("--specz", "flat", "nearby"), ("--cadence", "random", "pairs")):  # SimModels' fields
        lsst.add_argument(opt, choices=(old, new), default=old, help=f"{opt[2:]} model (default {old}; docs/simulator.md)")
    ztf = p.add_argument_group("ztf only")
    ztf.add_argument("--photometry", choices=("alerts", "detections", "forced"), default="alerts",
                     help="alerts: 5-sigma alert detections plus the upper limits of the 30 days before each (default); "
                          "detections: alerts only, like the ANTARES BTS files; forced: plus forced photometry elsewhere")
    ztf.add_argument("--i-share", type=float, default=0.03, metavar="F", help="share of i-band visits (default 0.03; "
                     "0 for g and r only, like the BTS files)")
    for opt, new, what in (("--ztf-survey", "round9", "survey model"), ("--ztf-shapes", "round11", "light-curve shapes")):
        ztf.add_argument(opt, choices=("round8", new), default="round8", help=f"{what} (default round8; docs/simulator.md)")
    return p


def run(args: argparse.Namespace) -> int:
    if args.list_classes:
        from ..sim import class_lines
        print("\n".join(class_lines(args.survey)))
        return 0
    if args.out_dir is None:
        raise UsageError("OUT_DIR is required (except with --list-classes)")
    if not args.verbose:   # the summary below lists each class once
        logging.getLogger("elasticc_fast.sim").setLevel(logging.WARNING)
    try:
        if args.survey == "ztf":
            from ..sim.ztf import simulate_ztf_to
            summary = simulate_ztf_to(args.out_dir, args.objects_per_class, args.seed, classes=args.classes,
                                      photometry=args.photometry, workers=args.workers, i_share=args.i_share,
                                      survey=args.ztf_survey, shapes=args.ztf_shapes)
        else:
            from ..sim import models, simulate  # each model's option is named as its SimModels field
            summary = simulate(args.out_dir, objects_per_class=args.objects_per_class, seed=args.seed, classes=args.classes,
                               files_per_model=args.files_per_model, prefix=args.prefix, trigger_rule=args.trigger,
                               workers=args.workers, **{name: getattr(args, name) for name in models.CHOICES})
    except (ValueError, RuntimeError) as e:    # an unknown class, a bad option value
        raise DataError(str(e)) from e
    from ..summaries import describe_simulation

    print(describe_simulation(summary))
    return 0
