"""``elasticc-fast demo``: the whole ELAsTiCC pipeline on a simulated set, end to end
(:mod:`elasticc_fast.demo`); this module holds only the command line."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .. import demo
from ..errors import UsageError
from ..nn.config import ARCHS
from .evaluate import _days

NAME = "demo"
ORDER = 1
D = demo.DemoSettings()


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="simulate, convert, train and evaluate end to end (the main demo)",
                              description=demo.__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="demo_out", metavar="DIR", help="output folder (default ./demo_out)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier demo output in DIR")
    p.add_argument("--objects-per-class", type=int, default=D.objects_per_class, metavar="N",
                   help=f"simulated objects per class (default {D.objects_per_class})")
    p.add_argument("--epochs", type=int, default=D.epochs, metavar="E",
                   help=f"maximum training epochs (default {D.epochs}; early stopping may end sooner)")
    p.add_argument("--arch", choices=ARCHS, default=D.arch, help="model architecture")
    p.add_argument("--batch-size", type=int, default=D.batch_size, metavar="B",
                   help=f"training windows per step (default {D.batch_size}: many steps on a small set)")
    p.add_argument("--train-minutes", type=float, default=D.train_minutes, metavar="M",
                   help=f"stop training after the epoch that passes M minutes (default {D.train_minutes:g}: "
                        "keeps the demo near 10 minutes on a slow or busy machine; 0 = no limit)")
    p.add_argument("--seed", type=int, default=D.seed, help="seed of the simulation, split and training")
    p.add_argument("--days", type=_days, default=None, metavar="D1,D2,...",
                   help="evaluation day counts (default 1,2,4,...,1024)")
    return p


def run(args: argparse.Namespace) -> int:
    from ..atomic import output_dir
    from ..evaluate import format_headline

    if args.objects_per_class < 2:
        raise UsageError("--objects-per-class must be at least 2 (one for training, one for testing)")
    # Orbax/absl log every checkpoint step at INFO, and the steps below print what they do (with the
    # final folder names, not the temporary ones the library logs): keep the demo's output readable
    for name in ("absl", *(() if args.verbose else ("elasticc_fast.sim", "elasticc_fast.convert",
                                                    "elasticc_fast.convert_run"))):
        logging.getLogger(name).setLevel(logging.WARNING)
    s = demo.DemoSettings(args.objects_per_class, args.epochs, args.arch, args.batch_size, args.train_minutes,
                          args.seed, args.days or D.days)
    with output_dir(args.out, command=NAME, overwrite=args.overwrite) as work:
        clf, ev = demo.run_demo(s, work, Path(args.out), say=lambda line: print(line, flush=True))
    n_ep = len(clf.history)
    print(f"\nmodel:  {args.out}/model  ({n_ep} epoch{'s' if n_ep != 1 else ''} on {ev.meta['demo']['n_train']} "
          f"objects, {clf.config.val_fraction:.0%} of them for validation; best epoch {clf.best_epoch})")
    print(f"report: {args.out}/report/report.md")
    print(format_headline(ev))
    print("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in ev.meta["timings_s"].items()))
    return 0
