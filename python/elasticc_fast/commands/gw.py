"""``elasticc-fast gw {extract,classify,listen,evaluate}``: gravitational-wave triggers to IGWN p_astro."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..errors import DataError, UsageError
from . import _gw_listen

NAME = "gw"
ORDER = 80

log = logging.getLogger("elasticc_fast.gw")


def _model_options(p: argparse.ArgumentParser) -> None:
    from ..gw.defaults import M0_DEFAULT, PYCBC_A0, PYCBC_B0, PYCBC_B1

    g = p.add_argument_group("mass contour (PyCBC Live's model)")
    g.add_argument("--a0", type=float, default=PYCBC_A0, help="D_L = a0 * min D_eff (default %(default)s)")
    g.add_argument("--b0", type=float, default=PYCBC_B0, help="sigma_D = D_L exp(b0) snr**b1: intercept (default %(default)s)")
    g.add_argument("--b1", type=float, default=PYCBC_B1, help="slope (default %(default)s)")
    g.add_argument("--m0", type=float, default=M0_DEFAULT, help="relative chirp-mass spread (default %(default)s)")
    g.add_argument("--mass-gap", action="store_true", help="add a MassGap class (components in 3-5 Msun)")
    g.add_argument("--cosmology", choices=["planck15", "lal"], default="planck15",
                   help="astropy Planck15, or LAL's flat H0=67.90, Om=0.3065 (default %(default)s)")
    f = p.add_argument_group("p_astro (FGMC with the SNR/FAR density model)")
    f.add_argument("--far-star", type=float, default=3e-4, help="FAR threshold in Hz (default %(default)s)")
    f.add_argument("--snr-star", type=float, default=8.5, help="SNR threshold (default %(default)s)")
    src = f.add_mutually_exclusive_group()
    src.add_argument("--mean-counts", type=Path, metavar="JSON",
                     help='posterior mean counts: {"Astro": .., "Terrestrial": ..} or p-astro\'s counts_* file')
    src.add_argument("--fit-counts", type=Path, metavar="CSV",
                     help="fit the counts on a trigger list with far (Hz) and snr columns (e.g. SPIIR's fgmc_data.csv)")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="gravitational-wave triggers: LIGO-LW extraction, source classes, p_astro",
                              description="Classify gravitational-wave triggers: extract LIGO-LW XML to Parquet, "
                                          "compute IGWN p_astro.json (mass contour + FGMC), evaluate on real events.")
    sub = p.add_subparsers(dest="gw_command", metavar="STEP")

    ex = sub.add_parser("extract", help="LIGO-LW XML files or folders -> one Parquet trigger table",
                        description="Read coinc/injection/SPIIR postcoh LIGO-LW files (.xml, .xml.gz) in parallel "
                                    "into one Parquet table, one row per trigger.")
    ex.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="files or folders (searched recursively)")
    ex.add_argument("--out", required=True, type=Path, metavar="FILE.parquet", help="output Parquet file")
    ex.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    ex.add_argument("--on-error", choices=("stop", "skip"), default="stop",
                    help="stop at the first unreadable file (default), or skip unreadable files, extract the "
                         "rest and list the failures (exit status 1 when any file failed)")

    cl = sub.add_parser("classify", help="trigger table -> IGWN p_astro.json per trigger + p_astro.parquet",
                        description="Class probabilities BNS/NSBH/BBH/Terrestrial for every trigger of an "
                                    "extracted table, written as validated p_astro.json files and one Parquet table.")
    cl.add_argument("table", type=Path, metavar="FILE.parquet", help="output of `elasticc-fast gw extract`")
    cl.add_argument("--out", required=True, type=Path, metavar="DIR",
                    help="output folder, new or empty (built under a temporary name, renamed when complete)")
    cl.add_argument("--overwrite", action="store_true", help="replace an earlier `gw classify` output in DIR")
    cl.add_argument("--schema-dir", type=Path, default=None,
                    help="folder with igwn.alerts.Alert.schema.json and .avsc to validate every file against")
    _model_options(cl)

    ev = sub.add_parser("evaluate", help="report on GWTC events, BNS injections and catalogue p_astro",
                        description="Evaluate the classifier on the reference folder's GWTC catalogue and 250 "
                                    "BNS injections; compare p_astro with the catalogue's.")
    ev.add_argument("--data", type=Path, default=None,
                    help="the gw reference folder (default $ELASTICC_FAST_SHARED/gw, else ../shared/data/gw)")
    ev.add_argument("--out", type=Path, default=None, metavar="REPORT.json", help="also write the report here")
    _model_options(ev)
    _model_options(_gw_listen.register(sub))
    p.set_defaults(_gw_parser=p)
    return p


def _mean_counts(args, fallback_csv: Path | None = None) -> dict:
    from ..gw import fgmc

    if args.mean_counts:
        try:
            raw = json.loads(args.mean_counts.read_text())
        except ValueError as e:
            raise DataError(f"{args.mean_counts}: not JSON ({e})") from None
        counts = {k.removeprefix("counts_"): float(v) for k, v in raw.items()}
        terr = counts.pop("Terrestrial", counts.pop("Terr", None))
        if terr is None:
            raise DataError(f"{args.mean_counts}: no Terrestrial count in {sorted(raw)}")
        return {"Astro": sum(counts.values()), "Terrestrial": terr}
    csv = args.fit_counts or fallback_csv
    if csv is None:
        return {}
    import pandas as pd

    df = pd.read_csv(csv)
    missing = {"far", "snr"} - set(df.columns)
    if missing:
        raise DataError(f"{csv}: missing columns {sorted(missing)}")
    bf = fgmc.snr_far_bayes_factor(df.far.to_numpy(), df.snr.to_numpy(), args.far_star, args.snr_star)
    counts = fgmc.fit_counts(bf).mean_counts
    log.info("FGMC mean counts fitted on %d triggers of %s: %s", len(df), csv, counts)
    return counts


def _config(args, counts):
    from ..gw.pastro import ClassifyConfig

    return ClassifyConfig(a0=args.a0, b0=args.b0, b1=args.b1, m0=args.m0, mass_gap=args.mass_gap,
                          cosmology=args.cosmology, far_star=args.far_star, snr_star=args.snr_star,
                          mean_counts=counts)


def run(args) -> int:
    step = getattr(args, "gw_command", None)
    if step is None:
        args._gw_parser.print_help()
        return 2
    if step == "extract":
        from ..gw.extract import extract

        failures: list[str] = []
        table = extract(args.inputs, args.out, workers=args.workers, on_error=args.on_error, failures=failures)
        print(f"{table.num_rows} triggers -> {args.out}")
        for err in failures:
            print(f"skipped {err}", file=sys.stderr)
        return 1 if failures else 0
    if step == "classify":
        import pyarrow.parquet as pq

        from ..atomic import check_output_dir
        from ..gw.pastro import classify, write_products

        check_output_dir(args.out, "gw classify", args.overwrite)
        counts = _mean_counts(args)
        if not counts:
            raise UsageError("classify needs --mean-counts JSON or --fit-counts CSV for p_astro")
        try:
            probs = classify(pq.read_table(args.table), _config(args, counts))
        except (KeyError, ValueError) as e:       # PAstroError, a missing column, unreadable Parquet
            raise DataError(f"{args.table}: {e}") from e
        write_products(probs, args.out, args.schema_dir, overwrite=args.overwrite)
        print(f"{len(probs)} p_astro.json files -> {args.out}")
        return 0
    if step == "listen":
        return _gw_listen.run(args, _config(args, _mean_counts(args)))
    if step == "evaluate":
        from ..atomic import atomic_path
        from ..gw.evaluation import evaluate
        from ..shared_data import require_shared

        args.data = args.data or require_shared("gw", "--data")
        fallback = args.data / "spiir" / "fgmc_data.csv"
        counts = _mean_counts(args, fallback if fallback.is_file() else None)
        report = evaluate(args.data, _config(args, counts))
        report["mean_counts"] = counts
        text = json.dumps(report, indent=2)
        if args.out:
            with atomic_path(args.out) as tmp:
                tmp.write_text(text + "\n")
        print(text)
        return 0
    raise AssertionError(step)
