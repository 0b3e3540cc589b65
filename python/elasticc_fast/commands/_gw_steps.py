"""The steps of ``elasticc-fast gw`` (extract, classify, evaluate; listen: :mod:`._gw_listen`)."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from ..errors import DataError, UsageError

log = logging.getLogger("elasticc_fast.gw")


def mean_counts(args, fallback_csv: Path | None = None) -> dict:
    from ..gw.counts import fit_mean_counts, read_mean_counts

    if args.mean_counts:
        return read_mean_counts(args.mean_counts)
    csv = args.fit_counts or fallback_csv
    return {} if csv is None else fit_mean_counts(csv, args.far_star, args.snr_star)


def config(args, counts):
    from ..gw.pastro import ClassifyConfig

    return ClassifyConfig(a0=args.a0, b0=args.b0, b1=args.b1, m0=args.m0, mass_gap=args.mass_gap,
                          cosmology=args.cosmology, far_star=args.far_star, snr_star=args.snr_star,
                          mean_counts=counts)


def extract(args) -> int:
    from ..gw.extract import extract

    failures: list[str] = []
    table = extract(args.inputs, args.out, workers=args.workers, on_error=args.on_error, failures=failures)
    print(f"{table.num_rows} triggers -> {args.out}")
    for err in failures:
        print(f"skipped {err}", file=sys.stderr)
    return 1 if failures else 0


def classify(args) -> int:
    import pyarrow.parquet as pq

    from ..atomic import check_output_dir
    from ..gw.pastro import classify, write_products

    check_output_dir(args.out, "gw classify", args.overwrite)
    counts = mean_counts(args)
    if not counts:
        raise UsageError("classify needs --mean-counts JSON or --fit-counts CSV for p_astro")
    try:
        probs = classify(pq.read_table(args.table), config(args, counts))
    except (KeyError, ValueError) as e:       # PAstroError, a missing column, unreadable Parquet
        raise DataError(f"{args.table}: {e}") from e
    write_products(probs, args.out, args.schema_dir, overwrite=args.overwrite)
    print(f"{len(probs)} p_astro.json files -> {args.out}")
    return 0


def evaluate(args) -> int:
    from ..atomic import atomic_path
    from ..gw.evaluation import evaluate
    from ..shared_data import require_shared

    args.data = args.data or require_shared("gw", "--data")
    fallback = args.data / "spiir" / "fgmc_data.csv"
    counts = mean_counts(args, fallback if fallback.is_file() else None)
    report = evaluate(args.data, config(args, counts))
    report["mean_counts"] = counts
    text = json.dumps(report, indent=2)
    if args.out:
        with atomic_path(args.out) as tmp:
            tmp.write_text(text + "\n")
    print(text)
    return 0
