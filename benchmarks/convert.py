"""Benchmark of ``elasticc-fast convert`` against named baselines, in one run, on the ELAsTiCC2
sample replicated (symlinks under /tmp) to at least 200 MB of ``.FITS.gz``.

    PYTHONPATH=python python benchmarks/convert.py [--copies 84] [--seed-subset 4] [--work /tmp/ef_bench]

Times (wall and CPU of the whole process tree, peak RSS via /usr/bin/time -v):
  (a) seed style: astropy tables, one astropy Table per object, rows appended one object at a time
      (timed on a subset of the copies and scaled by bytes; the script says so);
  (b) vectorised fitsio + NumPy converter (whole-file reads, lexsort, Arrow list columns);
  (c) ours, ``elasticc-fast convert`` with 1 and 2 workers;
  (d) ``gzip -dc > /dev/null`` on the same files: the decompression bound.
Prints ratios. Not a test: no assertions on timings.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("ELASTICC_FAST_SHARED", REPO.parent / "shared" / "data")) / "elasticc2_train_sample"
PARQUET = {"compression": "zstd", "compression_level": 1}


# ---------------------------------------------------------------- data
def replicate(dst: Path, copies: int) -> int:
    """Symlink the sample's pairs `copies` times under new file names; returns the .gz bytes."""
    total = 0
    for folder in sorted(p for p in SAMPLE.iterdir() if p.is_dir()):
        out = dst / folder.name
        out.mkdir(parents=True, exist_ok=True)
        for k in range(copies):
            for i, h in enumerate(sorted(folder.glob("*_HEAD.FITS.gz"))):
                stem = h.name[: h.name.index("NONIaMODEL0-")] + f"NONIaMODEL{k}-{i + 1:04d}"
                for part in ("HEAD", "PHOT"):
                    src = h.with_name(h.name.replace("_HEAD.", f"_{part}."))
                    link = out / f"{stem}_{part}.FITS.gz"
                    if not link.exists():
                        os.symlink(src, link)
                    total += src.stat().st_size
    return total


def pairs_of(model_dir: Path) -> list[tuple[Path, Path]]:
    heads = sorted(model_dir.glob("*_HEAD.FITS.gz"))
    return [(h, h.with_name(h.name.replace("_HEAD.", "_PHOT."))) for h in heads]


def model_of(folder: Path) -> str:
    return folder.name.split("1percent_", 1)[-1]


# ---------------------------------------------------------------- (a) seed style
def convert_seed_style(raw: Path, out: Path, copies: int | None) -> None:
    """One astropy Table per object (as sncosmo.read_snana_fits returns), appended row by row."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from astropy.table import Table

    out.mkdir(parents=True, exist_ok=True)
    for folder in sorted(p for p in raw.iterdir() if p.is_dir()):
        rows = []
        pairs = pairs_of(folder)
        if copies is not None:
            pairs = [p for p in pairs if int(re.search(r"NONIaMODEL(\d+)-", p[0].name).group(1)) < copies]
        for head_path, phot_path in pairs:
            head = Table.read(head_path, hdu=1)
            phot = Table.read(phot_path, hdu=1)
            for i in range(len(head)):
                lo, hi = int(head["PTROBS_MIN"][i]) - 1, int(head["PTROBS_MAX"][i])
                lc = Table(phot[lo:hi])           # the object's light curve, its own table
                lc.sort("MJD", kind="stable")
                row = {}
                for name in head.colnames:
                    v = head[name][i]
                    row[name] = v.strip() if isinstance(v, str) else v.item()
                row["SNID"] = int(row["SNID"])
                for name in lc.colnames:
                    col = lc[name]
                    row[name] = [s.strip() for s in col] if col.dtype.kind in "SU" else list(np.asarray(col))
                row["model"] = model_of(folder)
                rows.append(row)
        pq.write_table(pa.Table.from_pylist(rows), out / f"{model_of(folder)}.parquet", **PARQUET)


# ---------------------------------------------------------------- (b) fitsio + numpy
def _arrow_column(a):
    import numpy as np
    import pyarrow as pa
    if a.dtype.kind == "S":
        return pa.array(np.char.rstrip(np.char.decode(a, "ascii")))
    if a.dtype.kind == "U":
        return pa.array(np.char.rstrip(a))
    return pa.array(a.astype(a.dtype.newbyteorder("=")))


def convert_fitsio(raw: Path, out: Path) -> None:
    """Whole-file fitsio reads, vectorised PTROBS slicing and per-object MJD sort, Arrow lists."""
    import fitsio
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    for folder in sorted(p for p in raw.iterdir() if p.is_dir()):
        tables = []
        for head_path, phot_path in pairs_of(folder):
            head = fitsio.read(str(head_path), ext=1)
            phot = fitsio.read(str(phot_path), ext=1)
            if head is None or len(head) == 0:
                continue
            lo = head["PTROBS_MIN"].astype(np.int64) - 1
            n = head["PTROBS_MAX"].astype(np.int64) - lo
            obj = np.repeat(np.arange(len(head)), n)
            rows = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + np.repeat(lo, n)
            rows = rows[np.lexsort((phot["MJD"][rows], obj))]      # stable per-object MJD sort
            offsets = pa.array(np.concatenate([[0], np.cumsum(n)]).astype(np.int32))
            cols = {name: _arrow_column(head[name]) for name in head.dtype.names}
            cols["SNID"] = pa.array(head["SNID"].astype(np.int64))
            for name in phot.dtype.names:
                cols[name] = pa.ListArray.from_arrays(offsets, _arrow_column(phot[name][rows]))
            cols["model"] = pa.array([model_of(folder)] * len(head))
            tables.append(pa.table(cols))
        table = pa.concat_tables(tables, promote_options="permissive")
        pq.write_table(table, out / f"{model_of(folder)}.parquet", row_group_size=50_000, **PARQUET)


# ---------------------------------------------------------------- timing
def timed(cmd: list[str], **kw) -> dict:
    """Wall, CPU (user + sys of the process tree) and peak RSS of one command, via /usr/bin/time -v."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, **kw)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{r.stderr[-3000:]}")
    def field(name: str) -> float:
        return float(re.search(rf"{name}: ([0-9.]+)", r.stderr).group(1))
    return {"wall": wall, "cpu": field("User time \\(seconds\\)") + field("System time \\(seconds\\)"),
            "rss_mb": field("Maximum resident set size \\(kbytes\\)") / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=84, help="replications of the 120-pair sample (84 = 204 MB)")
    ap.add_argument("--seed-subset", type=int, default=4, help="copies the slow seed-style baseline converts")
    ap.add_argument("--work", type=Path, default=Path("/tmp/ef_bench"))
    ap.add_argument("--run", choices=["seed", "fitsio"], help=argparse.SUPPRESS)
    ap.add_argument("--raw", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run == "seed":
        return convert_seed_style(args.raw, args.out, args.seed_subset)
    if args.run == "fitsio":
        return convert_fitsio(args.raw, args.out)

    raw = args.work / "raw"
    gz_bytes = replicate(raw, args.copies)
    files = sorted(str(p) for p in raw.glob("*/*.FITS.gz"))
    print(f"data: {len(files)} files, {gz_bytes / 1e6:.1f} MB of .FITS.gz ({args.copies} copies of the sample)")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{_lscpu_model()}")
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    py = sys.executable
    results = {}

    listing = args.work / "files.txt"
    listing.write_text("\0".join(files))
    results["gzip -dc (bound)"] = timed(["sh", "-c", f"xargs -0 gzip -dc < {listing} > /dev/null"])
    for w in (1, 2):
        out = args.work / f"ours{w}"
        shutil.rmtree(out, ignore_errors=True)
        results[f"ours, {w} worker(s)"] = timed([py, "-m", "elasticc_fast", "convert", str(raw), str(out),
                                                 "--workers", str(w)], env=env)
    # memory against data size: the same conversion on a quarter of the copies
    small_raw = args.work / "raw_quarter"
    replicate(small_raw, max(1, args.copies // 4))
    out = args.work / "ours_quarter"
    shutil.rmtree(out, ignore_errors=True)
    quarter = timed([py, "-m", "elasticc_fast", "convert", str(small_raw), str(out)], env=env)
    out = args.work / "fitsio"
    shutil.rmtree(out, ignore_errors=True)
    results["(b) fitsio + numpy"] = timed([py, __file__, "--run", "fitsio", "--raw", str(raw), "--out", str(out)],
                                          env=env)
    out = args.work / "seed"
    shutil.rmtree(out, ignore_errors=True)
    seed = timed([py, __file__, "--run", "seed", "--raw", str(raw), "--out", str(out),
                  "--seed-subset", str(args.seed_subset)], env=env)
    scale = args.copies / args.seed_subset
    results[f"(a) seed style (x{scale:.0f} from {args.seed_subset} copies)"] = {
        "wall": seed["wall"] * scale, "cpu": seed["cpu"] * scale, "rss_mb": seed["rss_mb"]}

    _check_same_output(args.work)
    bound = results["gzip -dc (bound)"]
    print(f"\n{'':44s} {'wall s':>8s} {'cpu s':>8s} {'peak RSS MB':>12s} {'wall/ours1':>11s} {'cpu/gzip':>9s}")
    ours1 = results["ours, 1 worker(s)"]
    for name, r in results.items():
        print(f"{name:44s} {r['wall']:8.2f} {r['cpu']:8.2f} {r['rss_mb']:12.0f} {r['wall'] / ours1['wall']:11.2f} "
              f"{r['cpu'] / bound['cpu']:9.2f}")
    a = next(v for k, v in results.items() if k.startswith("(a)"))
    b = results["(b) fitsio + numpy"]
    print(f"\nours (1 worker) vs (a) seed style: {a['wall'] / ours1['wall']:.1f}x wall, {a['cpu'] / ours1['cpu']:.1f}x cpu")
    print(f"ours (1 worker) vs (b) fitsio+numpy: {b['wall'] / ours1['wall']:.1f}x wall, {b['cpu'] / ours1['cpu']:.1f}x cpu")
    print(f"ours (1 worker) / gzip -dc bound: {ours1['wall'] / bound['wall']:.2f}x wall, "
          f"{ours1['cpu'] / bound['cpu']:.2f}x cpu")
    print(f"peak RSS of ours (1 worker): {ours1['rss_mb']:.0f} MB on {gz_bytes / 1e6:.0f} MB of .gz, "
          f"{quarter['rss_mb']:.0f} MB on a quarter of it")
    o2 = results["ours, 2 worker(s)"]
    print(f"ours 2 workers / 1 worker: {o2['wall'] / ours1['wall']:.2f}x wall")


def _lscpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return re.search(r"Model name:\s*(.+)", out).group(1).strip()
    except Exception:  # noqa: BLE001 - description only
        return "unknown CPU model"


def _check_same_output(work: Path) -> None:
    """Ours with 1 and 2 workers: same bytes; and the same objects as the fitsio baseline."""
    import pyarrow.parquet as pq
    for f in sorted((work / "ours1").glob("*.parquet")):
        same = f.read_bytes() == (work / "ours2" / f.name).read_bytes()
        ours = pq.read_table(f)
        base = pq.read_table(work / "fitsio" / f.name)
        equal = all(ours[c].to_pylist() == base[c].to_pylist() for c in ("SNID", "MJD", "BAND", "FLUXCAL"))
        print(f"check {f.name}: 1 vs 2 workers identical bytes: {same}; equals fitsio baseline: {equal}")


if __name__ == "__main__":
    main()
