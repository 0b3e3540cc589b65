"""Benchmark of ``elasticc-fast convert`` against named baselines, in one run, on the ELAsTiCC2
sample replicated (symlinks under /tmp) to at least 200 MB of ``.FITS.gz``.

    PYTHONPATH=python python benchmarks/convert.py [--copies 84] [--seed-subset 4] [--work /tmp/ef_bench]
        [--no-baselines] [--json out.json]

Times (wall and CPU of the whole process tree, peak RSS via /usr/bin/time -v):
  (a) seed style: astropy tables, one astropy Table per object, rows appended one object at a time
      (timed on a subset of the copies and scaled by bytes; the script says so);
  (b) vectorised fitsio + NumPy converter (whole-file reads, lexsort, Arrow list columns);
  (c) ours, ``elasticc-fast convert`` with 1 and 2 workers, with the parent process's own CPU
      time (``getrusage(RUSAGE_SELF)`` at exit) against the whole tree's;
  (d) ``gzip -dc > /dev/null`` on the same files: the decompression bound.
``--no-baselines`` skips (a) and (b) (minutes). Prints ratios and the load average. Not a test:
no assertions on timings.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

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


def run_ours(raw: Path, out: Path, workers: int, usage: Path) -> None:
    """The CLI's ``main`` in this process (this script imports nothing else of its own before);
    then this process's own CPU (split: interpreter and CLI start-up, i.e. imports, against the
    rest: the verb's parser and the conversion) and its children's."""
    import resource

    def cpu(who: int) -> float:
        r = resource.getrusage(who)
        return r.ru_utime + r.ru_stime

    from elasticc_fast.cli import main as cli

    startup = cpu(resource.RUSAGE_SELF)
    if cli(["convert", str(raw), str(out), "--workers", str(workers)]) != 0:
        raise SystemExit(1)
    usage.write_text(json.dumps({"parent": cpu(resource.RUSAGE_SELF), "parent_startup": startup,
                                 "children": cpu(resource.RUSAGE_CHILDREN)}))


def time_ours(py: str, raw: Path, work: Path, workers: int, env: dict, name: str = "") -> dict:
    out, usage = work / f"ours{name or workers}", work / f"usage{name or workers}.json"
    shutil.rmtree(out, ignore_errors=True)
    r = timed([py, __file__, "--run", "ours", "--raw", str(raw), "--out", str(out), "--workers", str(workers),
               "--usage", str(usage)], env=env)
    u = json.loads(usage.read_text())
    total = max(u["parent"] + u["children"], 1e-9)
    r["parent_cpu"], r["parent_share"] = u["parent"], u["parent"] / total
    r["parent_startup_cpu"] = u["parent_startup"]
    r["parent_convert_share"] = (u["parent"] - u["parent_startup"]) / total
    return r


def baselines(py: str, args: argparse.Namespace, raw: Path, env: dict) -> dict:
    """(b) fitsio + NumPy on everything, (a) seed style on a subset, scaled."""
    out = args.work / "fitsio"
    shutil.rmtree(out, ignore_errors=True)
    res = {"(b) fitsio + numpy": timed([py, __file__, "--run", "fitsio", "--raw", str(raw), "--out", str(out)],
                                       env=env)}
    out = args.work / "seed"
    shutil.rmtree(out, ignore_errors=True)
    seed = timed([py, __file__, "--run", "seed", "--raw", str(raw), "--out", str(out),
                  "--seed-subset", str(args.seed_subset)], env=env)
    scale = args.copies / args.seed_subset
    res[f"(a) seed style (x{scale:.0f} from {args.seed_subset} copies)"] = {
        "wall": seed["wall"] * scale, "cpu": seed["cpu"] * scale, "rss_mb": seed["rss_mb"]}
    return res


def report(results: dict, gz_bytes: int, quarter: dict) -> None:
    bound, ours1, o2 = results["gzip -dc (bound)"], results["ours, 1 worker(s)"], results["ours, 2 worker(s)"]
    print(f"\n{'':44s} {'wall s':>8s} {'cpu s':>8s} {'peak RSS MB':>12s} {'wall/ours1':>11s} {'cpu/gzip':>9s}")
    for name, r in results.items():
        print(f"{name:44s} {r['wall']:8.2f} {r['cpu']:8.2f} {r['rss_mb']:12.0f} {r['wall'] / ours1['wall']:11.2f} "
              f"{r['cpu'] / bound['cpu']:9.2f}")
    for key, name in (("(a)", "(a) seed style"), ("(b)", "(b) fitsio+numpy")):
        base = next((v for k, v in results.items() if k.startswith(key)), None)
        if base is not None:
            print(f"ours (1 worker) vs {name}: {base['wall'] / ours1['wall']:.1f}x wall, "
                  f"{base['cpu'] / ours1['cpu']:.1f}x cpu")
    print(f"ours (1 worker) / gzip -dc bound: {ours1['wall'] / bound['wall']:.2f}x wall, "
          f"{ours1['cpu'] / bound['cpu']:.2f}x cpu")
    print(f"peak RSS of ours (1 worker): {ours1['rss_mb']:.0f} MB on {gz_bytes / 1e6:.0f} MB of .gz, "
          f"{quarter['rss_mb']:.0f} MB on a quarter of it")
    print(f"ours 2 workers vs 1 worker: {ours1['wall'] / o2['wall']:.2f}x faster (wall); parent process CPU: "
          f"{o2['parent_cpu']:.2f} s = {100 * o2['parent_share']:.1f}% of the total {o2['cpu']:.2f} s, of which "
          f"{o2['parent_startup_cpu']:.2f} s start-up (Python, CLI imports); parser + converting: "
          f"{100 * o2['parent_convert_share']:.1f}% of the total")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=84, help="replications of the 120-pair sample (84 = 204 MB)")
    ap.add_argument("--seed-subset", type=int, default=4, help="copies the slow seed-style baseline converts")
    ap.add_argument("--work", type=Path, default=Path("/tmp/ef_bench"))
    ap.add_argument("--no-baselines", action="store_true", help="skip the astropy and fitsio converters")
    ap.add_argument("--json", type=Path, help="also write the results here")
    for hidden in ("--run", "--raw", "--out", "--usage"):
        ap.add_argument(hidden, help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    if args.run:
        runner = {"seed": lambda: convert_seed_style(Path(args.raw), Path(args.out), args.seed_subset),
                  "fitsio": lambda: convert_fitsio(Path(args.raw), Path(args.out)),
                  "ours": lambda: run_ours(Path(args.raw), Path(args.out), args.workers, Path(args.usage))}
        return runner[args.run]()
    from _machine import machine  # not in the timed runs above: they import what the CLI imports
    raw = args.work / "raw"
    gz_bytes = replicate(raw, args.copies)
    files = sorted(str(p) for p in raw.glob("*/*.FITS.gz"))
    print(f"data: {len(files)} files, {gz_bytes / 1e6:.1f} MB of .FITS.gz ({args.copies} copies of the sample)")
    print("machine at the start:", machine())
    env, py = {**os.environ, "PYTHONPATH": str(REPO / "python")}, sys.executable
    listing = args.work / "files.txt"
    listing.write_text("\0".join(files))
    results = {"gzip -dc (bound)": timed(["sh", "-c", f"xargs -0 gzip -dc < {listing} > /dev/null"])}
    for w in (1, 2):
        results[f"ours, {w} worker(s)"] = time_ours(py, raw, args.work, w, env)
    replicate(args.work / "raw_quarter", max(1, args.copies // 4))  # memory against data size
    quarter = time_ours(py, args.work / "raw_quarter", args.work, 1, env, name="_quarter")
    if not args.no_baselines:
        results.update(baselines(py, args, raw, env))
    _check_same_output(args.work, not args.no_baselines)
    report(results, gz_bytes, quarter)
    print("machine at the end:", machine())
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "gz_bytes": gz_bytes, "results": results}, indent=1))


def _check_same_output(work: Path, against_fitsio: bool) -> None:
    """Ours with 1 and 2 workers: same bytes; and the same objects as the fitsio baseline."""
    import pyarrow.parquet as pq
    for f in sorted((work / "ours1").glob("*.parquet")):
        same = f.read_bytes() == (work / "ours2" / f.name).read_bytes()
        line = f"check {f.name}: 1 vs 2 workers identical bytes: {same}"
        if against_fitsio:
            ours, base = pq.read_table(f), pq.read_table(work / "fitsio" / f.name)
            equal = all(ours[c].to_pylist() == base[c].to_pylist() for c in ("SNID", "MJD", "BAND", "FLUXCAL"))
            line += f"; equals fitsio baseline: {equal}"
        print(line)


if __name__ == "__main__":
    main()
