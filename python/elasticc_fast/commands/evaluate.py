"""``elasticc-fast evaluate MODEL_DIR DATA --out REPORT_DIR``: ORACLE's evaluation protocol."""
from __future__ import annotations

import argparse

NAME = "evaluate"
ORDER = 50

DESCRIPTION = """\
Evaluate a trained classifier on a labelled set with ORACLE's protocol: for each day count d in
1, 2, 4, ..., 1024 after the trigger, and for the full light curve, every light curve is cut to
the points with t - t_trigger <= d and classified; macro precision, recall, F1 and accuracy are
computed at every level of the taxonomy (level 1, level 2, leaves).

DATA is converted Parquet (a file, or a folder of <MODEL>.parquet from `elasticc-fast convert`;
labels from the `model` column) or ELAsTiCC alerts with SNANA truth (Fink parquet with GENTYPE).

Writes REPORT_DIR/report.md (Markdown tables), REPORT_DIR/metrics.json (every number, with
confusion matrices), f1/precision/recall_vs_days.png and cm_<level>_<days>.png (normalised
confusion matrices), and .elasticc_fast_output.json (what wrote the folder, which files). The
report is built under a temporary name beside REPORT_DIR and renamed when complete; an existing
non-empty REPORT_DIR is refused unless it is an earlier report and --overwrite is given."""


def _days(text: str) -> tuple[int, ...]:
    try:
        days = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--days must be comma-separated integers, not {text!r}") from None
    if not days or days[0] < 0:
        raise argparse.ArgumentTypeError("--days needs at least one non-negative day count")
    return days


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="score a trained classifier per level and per day since trigger",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", metavar="MODEL_DIR", help="folder written by `elasticc-fast train` (or demo)")
    p.add_argument("data", metavar="DATA", help="converted Parquet file/folder, or labelled alerts")
    p.add_argument("--out", required=True, metavar="REPORT_DIR", help="report folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier report in REPORT_DIR")
    p.add_argument("--days", type=_days, default=None, metavar="D1,D2,...",
                   help="day counts after the trigger (default 1,2,4,...,1024)")
    p.add_argument("--confusion", choices=("all", "headline", "full"), default="all",
                   help="which windows get confusion-matrix PNGs: every day count, 8/64/1024 d + full, "
                        "or the full curve only (default all)")
    return p


def run(args: argparse.Namespace) -> int:
    from .. import evaluate as ev_mod
    from ..atomic import check_output_dir
    from ..classifier import Classifier
    from ..errors import DataError
    from ..io.tables import load_batch

    check_output_dir(args.out, NAME, args.overwrite)   # before the work, not after
    days = args.days or ev_mod.DEFAULT_DAYS
    clf = Classifier.load(args.model_dir)
    batch = load_batch(args.data)
    try:
        ev = ev_mod.evaluate(clf, batch, days=days)
    except DataError as e:
        raise DataError(f"{args.data}: {e}") from e
    ev.meta.update({"model": str(args.model_dir), "data": str(args.data)})
    windows = {"all": None, "full": [ev_mod.FULL],
               "headline": [d for d in ev_mod.HEADLINE_DAYS if d in days] + [ev_mod.FULL]}[args.confusion]
    out = ev_mod.write_report(ev, args.out, title="Evaluation", confusion_windows=windows,
                               overwrite=args.overwrite)
    print(f"report: {out / 'report.md'}  (metrics: {out / 'metrics.json'})")
    print(ev_mod.format_headline(ev))
    return 0
