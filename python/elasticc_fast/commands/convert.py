"""``elasticc-fast convert RAW_DIR OUT_DIR``: SNANA FITS folders -> one Parquet file per model."""
from __future__ import annotations

import argparse
import logging
import sys

NAME = "convert"
ORDER = 10

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME, help="convert SNANA FITS (HEAD/PHOT, .FITS or .FITS.gz) to one Parquet file per model",
        description="Convert RAW_DIR/<PREFIX>_<MODEL>/ folders of SNANA HEAD/PHOT FITS pairs (as in the "
                    "ELAsTiCC2 tarballs) to OUT_DIR/<MODEL>.parquet: one row per object, HEAD columns as "
                    "scalars, PHOT columns as lists in MJD order, plus a 'model' column. Complete outputs "
                    "are kept unless --overwrite, so an interrupted run resumes. Exit status 1 when any "
                    "file failed (also with --on-error skip).")
    p.add_argument("raw_dir", metavar="RAW_DIR", help="folder of <PREFIX>_<MODEL>/ model folders")
    p.add_argument("out_dir", metavar="OUT_DIR", help="where <MODEL>.parquet files are written")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="processes over file pairs (default 1)")
    p.add_argument("--overwrite", action="store_true", help="convert again models whose output exists")
    p.add_argument("--on-error", choices=("stop", "skip"), default="stop",
                   help="stop at the first bad file (default), or skip bad files, convert the rest and "
                        "list the failures")
    p.add_argument("--layout", choices=("pointers", "separators"), default="pointers",
                   help="assign PHOT rows to objects by PTROBS_MIN/MAX (default) or by the MJD=-777 "
                        "separator rows (files subset without rewriting the pointers)")
    p.add_argument("--snid", choices=("int64", "string"), default="int64",
                   help="SNID type: int64 (default) or string (surveys with names such as '03D1aw')")
    # --dask: the same per-pair work as Dask tasks (elasticc_fast.scale.dask_convert)
    p.add_argument("--dask", metavar="SCHEDULER", default=None,
                   help="convert file pairs as Dask tasks: 'local:N' (a LocalCluster of N worker "
                        "processes), a scheduler address (tcp://host:8786) or a scheduler file (.json); "
                        "outputs are byte-identical to the local run; --workers is then ignored "
                        "(needs the 'scale' extra: pip install elasticc_fast[scale])")
    return p


def run(args: argparse.Namespace) -> int:
    from ..convert import convert
    from ..io.snana import SnanaFormatError

    if not args.verbose:   # the summary below lists each model once
        for name in ("elasticc_fast.convert", "elasticc_fast.convert_run"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        if getattr(args, "dask", None):
            from ..scale.dask_convert import convert_dask, dask_client

            with dask_client(args.dask) as client:
                summary = convert_dask(args.raw_dir, args.out_dir, client, overwrite=args.overwrite,
                                       on_error=args.on_error, layout=args.layout, snid=args.snid)
        else:
            summary = convert(args.raw_dir, args.out_dir, workers=args.workers, overwrite=args.overwrite,
                              on_error=args.on_error, layout=args.layout, snid=args.snid)
    except (SnanaFormatError, OSError, ValueError) as e:
        print(f"elasticc-fast convert: error: {e}", file=sys.stderr)
        if isinstance(e, SnanaFormatError) and args.on_error == "stop":  # one bad file stopped the run
            print("(nothing partial was written; --on-error skip converts the other files)", file=sys.stderr)
        return 1
    print(summary.describe(), file=sys.stderr if summary.failures else sys.stdout)
    return 1 if summary.failures else 0
