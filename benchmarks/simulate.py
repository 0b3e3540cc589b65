"""Speed of the built-in simulator: objects per second for a 100,000-object ELAsTiCC2-like set, or
(``--survey ztf``) a 100,000-object ZTF/BTS-like set; writes the numbers as JSON (``--json``).

    PYTHONPATH=python python benchmarks/simulate.py [--objects 100000] [--workers 2] [--out /tmp/x]
    PYTHONPATH=python python benchmarks/simulate.py --survey ztf [--objects 100000] [--workers 2]

Reports wall time, CPU time (this process and its workers) and the load average, because the
machine may be shared. Baseline: SNANA itself, from the STAT_SUMMARY of the real ELAsTiCC2 sample's
README files (objects generated and written per CPU minute, with full SED models and a host
library; ../shared/data): a reference for scale, not the same physics. The ZTF survey has no
outside baseline here; it is measured against the issue's goal (100,000 objects in 180 s, 2 cores).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
from _machine import machine  # noqa: E402 (benchmarks/ is on sys.path when run as a script)

SAMPLE = REPO.parent / "shared" / "data" / "elasticc2_train_sample"


def snana_rates() -> list[tuple[str, int, int, float]]:
    """(model, generated, written, CPU minutes) from the real READMEs' STAT_SUMMARY, if present."""
    rows = []
    for readme in sorted(SAMPLE.glob("*/*.README")):
        m = re.search(r"- TOTAL\s+(\d+)\s+(\d+)\s+\d+\s+([\d.]+)", readme.read_text())
        if m:
            rows.append((readme.stem.split("1percent_")[-1], int(m[1]), int(m[2]), float(m[3])))
    return rows


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=100_000, help="total objects (split over 19 classes)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="output folder (default: a temporary folder, removed)")
    ap.add_argument("--survey", choices=("lsst", "ztf"), default="lsst")
    ap.add_argument("--ztf-survey", choices=("round8", "round9"), default="round8", help="ZTF survey model (ztf)")
    ap.add_argument("--ztf-shapes", choices=("round8", "round11"), default="round8", help="ZTF light-curve shapes (ztf)")
    ap.add_argument("--json", default=None, help="write the result here (default: print only)")
    args = ap.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="sim_bench_"))
    print(f"machine: {machine()}")
    result = (ztf if args.survey == "ztf" else lsst)(args, out)
    result.update(machine=machine(), command=" ".join(sys.argv), workers=args.workers)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if not args.out:
        shutil.rmtree(out)


def ztf(args, out: Path) -> dict:
    from elasticc_fast.sim.ztf import ZTF_CLASSES, simulate_ztf_to

    per_class = math.ceil(args.objects / len(ZTF_CLASSES))
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    summary = simulate_ztf_to(out, per_class, args.seed, workers=args.workers, survey=args.ztf_survey,
                              shapes=args.ztf_shapes)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    n = summary["n_objects"]
    size = Path(summary["path"]).stat().st_size
    print(f"elasticc_fast.sim.ztf: {n} objects, {summary['n_obs']} rows ({summary['n_alerts']} alerts), "
          f"{size / 1e6:.0f} MB Parquet, survey {args.ztf_survey}, shapes {args.ztf_shapes}, workers={args.workers}: wall {wall:.1f} s ({n / wall:.0f} objects/s), "
          f"CPU {cpu:.1f} s; goal 100,000 in 180 s wall -> {100_000 / (n / wall):.0f} s at this rate "
          f"({'met' if 100_000 / (n / wall) < 180 else 'missed'}); load average after {os.getloadavg()[0]:.1f}")
    return {"survey": "ztf", "ztf_survey": args.ztf_survey, "ztf_shapes": args.ztf_shapes, "n_objects": n, "n_obs": summary["n_obs"], "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "objects_per_s": round(n / wall, 1), "goal_s_per_100k": 180}


def lsst(args, out: Path) -> dict:
    from elasticc_fast.sim import CLASSES, simulate

    per_class = math.ceil(args.objects / len(CLASSES))
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    summary = simulate(out, objects_per_class=per_class, seed=args.seed, workers=args.workers)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    n = summary["n_objects"]
    print(f"elasticc_fast.sim: {n} objects, {summary['n_obs']} observations, {size / 1e6:.0f} MB gzipped, "
          f"workers={args.workers}: wall {wall:.1f} s ({n / wall:.0f} objects/s), CPU {cpu:.1f} s "
          f"({n / cpu:.0f} objects per CPU-second); load average after {os.getloadavg()[0]:.1f}")
    for model, gen, written, minutes in snana_rates():
        cpu_s = minutes * 60
        print(f"SNANA baseline {model}: {gen} generated, {written} written in {cpu_s:.0f} CPU-s "
              f"({written / cpu_s:.2f} written/CPU-s; ours is {n / cpu / (written / cpu_s):.0f}x)")
    return {"survey": "lsst", "n_objects": n, "n_obs": summary["n_obs"], "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "objects_per_s": round(n / wall, 1), "bytes": size,
            "snana_written_per_cpu_s": {m: round(w / (c * 60), 3) for m, _, w, c in snana_rates()}}


if __name__ == "__main__":
    main()
