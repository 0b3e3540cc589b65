"""Benchmark: preprocess + windowing of >= 100,000 ELAsTiCC objects, three implementations in one run.

- reference: elasticc_fast.reference (pure Python, one object at a time; timed on a subset and
  reported per object, since a full run would take many minutes),
- numpy: benchmarks/numpy_augment.py (whole-batch vectorised NumPy),
- cpp: elasticc_fast.preprocess / augment (C++ kernels), 1 and 2 threads.

The objects are the 346 of ../shared/data/elasticc2_train_sample (read with read_snana),
replicated in memory. The output rate of augment (bytes of x written per second) is compared with
this machine's memory bandwidth, measured here with large NumPy copies and fills.

Broker-size batches (``--broker``, or part of the full run): the fixed cost of one call of
``preprocess`` + ``augment`` (prefix windows, ORACLE's static features) on 1, 10, 100 and 1,000
objects (median of many calls), and on the 346 real objects against the reference's per-object
loop. ``--json FILE`` writes the numbers.

Usage: PYTHONPATH=python python benchmarks/augment.py [--objects 100000] [--repeats 3] [--broker] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import numpy_augment as npa  # noqa: E402 (benchmarks/ is on sys.path when run as a script)
from _machine import machine  # noqa: E402 (benchmarks/ is on sys.path when run as a script)
from elasticc_fast import reference
from elasticc_fast.augment import augment, iter_augment
from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.io.snana import read_snana
from elasticc_fast.preprocess import preprocess

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "elasticc2_train_sample"


CPU_RATIO: dict[str, float] = {}


def best(fn, repeats: int, tag: str | None = None) -> tuple[float, object]:
    """Fastest of ``repeats`` runs (wall seconds) and the last result; with ``tag``, also record
    the process CPU seconds / wall seconds of that run (how many cores it kept busy)."""
    times, out = [], None
    for _ in range(repeats):
        out = None
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        if not times or wall < min(times):
            if tag:
                CPU_RATIO[tag] = cpu / wall
        times.append(wall)
    return min(times), out


def memory_bandwidth(mib: int = 512) -> dict[str, float]:
    """GB/s of a large copy (read + write counted) and of a fill (write only)."""
    a = np.ones(mib * 2**20 // 8)
    b = np.empty_like(a)
    t_copy, _ = best(lambda: np.copyto(b, a), 5)
    t_fill, _ = best(lambda: b.fill(0.5), 5)
    # a freshly allocated array pays page faults on first touch, as every new x does
    t_new, _ = best(lambda: np.empty_like(a).fill(0.5), 5)
    return {"copy_rw": 2 * a.nbytes / t_copy / 1e9, "fill_w": a.nbytes / t_fill / 1e9,
            "new_fill_w": a.nbytes / t_new / 1e9}


def load_sample() -> LightCurveBatch:
    tables = []
    for head in sorted(SAMPLE.glob("*/*_HEAD.FITS.gz")):
        t = read_snana(head, str(head).replace("_HEAD.FITS", "_PHOT.FITS"))
        if t.num_rows:
            tables.append(t.select(["SNID", "RA", "DEC", "MWEBV", "MWEBV_ERR", "REDSHIFT_HELIO",
                                    "REDSHIFT_HELIO_ERR", "HOSTGAL_PHOTOZ", "HOSTGAL_PHOTOZ_ERR",
                                    "HOSTGAL_SPECZ", "HOSTGAL_SPECZ_ERR", "HOSTGAL_RA", "HOSTGAL_DEC",
                                    "HOSTGAL_SNSEP", "HOSTGAL_ELLIPTICITY", *[f"HOSTGAL_MAG_{b}" for b in "ugrizY"],
                                    "MJD", "BAND", "FLUXCAL", "FLUXCALERR", "PHOTFLAG"]))
    return LightCurveBatch.from_arrow(pa.concat_tables(tables, promote_options="default"))




def broker_batches(base: LightCurveBatch, calls: int = 200) -> dict:
    """Median wall time of one preprocess + prefix-windows call, as a broker would make it, on
    1..1000 objects; and the 346 real objects against the reference (pure Python, per object)."""
    def one(b: LightCurveBatch) -> object:
        return augment(preprocess(b), "prefix")

    out = {"per_call_ms": {}}
    for n in (1, 10, 100, 1000):
        b = base.take(np.arange(n) % len(base))
        one(b)
        ts = []
        for _ in range(calls if n <= 100 else max(calls // 10, 5)):
            t = time.perf_counter()
            one(b)
            ts.append(time.perf_counter() - t)
        out["per_call_ms"][n] = 1e3 * float(np.median(ts))
        print(f"broker batch of {n:5d} objects: preprocess + prefix windows {out['per_call_ms'][n]:8.3f} ms "
              f"per call (median of {len(ts)})", flush=True)
    t_ref, _ = best(lambda: reference.augment(reference.preprocess(base), "prefix"), 1)
    t_ours = float(np.median([best(lambda: one(base), 1)[0] for _ in range(21)]))
    out.update(sample_objects=len(base), reference_s=t_ref, ours_s=t_ours, speedup=t_ref / t_ours)
    print(f"346 real objects, preprocess + prefix windows: reference {t_ref:.3f} s, ours {1e3 * t_ours:.2f} ms "
          f"(median of 21): {t_ref / t_ours:.0f}x", flush=True)
    return out


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--reference-objects", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=8192, help="objects per chunk for the streamed days windows")
    ap.add_argument("--broker", action="store_true", help="only the broker-size batches")
    ap.add_argument("--json", type=Path, help="write the results here")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    print("machine:", machine(), "+ NumPy", np.__version__)
    base = load_sample()
    results = {"broker": broker_batches(base)}
    if not args.broker:
        results["large"] = large_batches(base, args)
    print("machine at the end:", machine())
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), **results}, indent=1))


def large_batches(base: LightCurveBatch, args: argparse.Namespace) -> list[str]:
    """>= 100,000 objects: reference (scaled), NumPy and C++ with 1 and 2 threads, step by step."""
    bw = memory_bandwidth()
    print(f"memory bandwidth (NumPy, 512 MiB): copy {bw['copy_rw']:.1f} GB/s (read+write), fill {bw['fill_w']:.1f} GB/s (write), "
          f"fill of a new array {bw['new_fill_w']:.1f} GB/s (write incl. page faults)")
    reps = -(-args.objects // len(base))
    raw = base.take(np.tile(np.arange(len(base)), reps)[:args.objects])
    print(f"objects: {len(raw):,} ({len(base)} real ones replicated), observations: {raw.n_obs:,}; "
          f"load average at start: {os.getloadavg()[0]:.1f}")
    rows: list[str] = []
    report = _reporter(len(raw), rows)
    pre = _preprocess_rows(raw, raw[: args.reference_objects], args.repeats, report)
    _window_rows(raw, pre, raw[: args.reference_objects], args, report)
    return rows


def _reporter(n: int, rows: list[str]):
    def report(name: str, t_ref_per_obj: float | None, t_np: float, t_c1: float, t_c2: float, x_bytes: int | None) -> None:
        line = f"{name:<34} numpy {t_np:7.3f} s  cpp-1t {t_c1:7.3f} s  cpp-2t {t_c2:7.3f} s"
        line += f" | cpp-1t vs numpy {t_np / t_c1:5.1f}x, 2t/1t speed-up {t_c1 / t_c2:4.2f}x"
        if t_ref_per_obj is not None:
            t_ref = t_ref_per_obj * n
            line += f", cpp-1t vs reference {t_ref / t_c1:7.0f}x (reference {t_ref:.0f} s extrapolated)"
        if name in CPU_RATIO:
            line += f" | cores busy (CPU s / wall s) 2t: {CPU_RATIO[name]:.2f}"
        if x_bytes:
            line += f" | x {x_bytes / 1e9:.2f} GB: {x_bytes / t_c1 / 1e9:.2f} GB/s (1t), {x_bytes / t_c2 / 1e9:.2f} GB/s (2t)"
        print(line, flush=True)
        rows.append(line)
    return report


def _preprocess_rows(raw: LightCurveBatch, sub: LightCurveBatch, r: int, report) -> LightCurveBatch:
    t_ref, _ = best(lambda: reference.preprocess(sub), 1)
    t_np, pre_np = best(lambda: npa.preprocess(raw), r)
    t_c1, pre = best(lambda: preprocess(raw, threads=1), r)
    t_c2, _ = best(lambda: preprocess(raw, threads=2), r, "preprocess (window)")
    assert np.array_equal(pre.mjd, pre_np.mjd) and np.array_equal(pre.offsets, pre_np.offsets)
    report("preprocess (window)", t_ref / len(sub), t_np, t_c1, t_c2, None)
    return pre


def _window_rows(raw: LightCurveBatch, pre: LightCurveBatch, sub: LightCurveBatch, args: argparse.Namespace,
                 report) -> None:
    r = args.repeats
    # --- augment, one random prefix per object (training)
    pre_sub = preprocess(sub)
    kw = dict(seed=1, static_columns=(), static_flags=False)
    t_ref, _ = best(lambda: reference.augment(pre_sub, "fraction", **kw), 1)
    t_np, (x_np, _, _) = best(lambda: npa.augment_x(pre, "fraction", seed=1), r)
    del x_np
    t_c1, res = best(lambda: augment(pre, "fraction", threads=1, **kw), r)
    t_c2, res = best(lambda: augment(pre, "fraction", threads=2, **kw), r, f"augment fraction (T={pre.lengths.max()})")
    x_np, _, _ = npa.augment_x(pre, "fraction", seed=1)
    assert np.array_equal(res.x, x_np)
    nbytes = res.x.nbytes
    del res, x_np
    report(f"augment fraction (T={pre.lengths.max()})", t_ref / len(sub), t_np, t_c1, t_c2, nbytes)

    # --- the same into a buffer reused between calls (a training loop's epochs): no page faults
    T = int(pre.lengths.max())
    buf = np.empty(len(pre) * T * 5, np.float32)
    buf.fill(0)
    t_np, _ = best(lambda: npa.augment_x(pre, "fraction", seed=1, pad_to=T, out=buf), r)
    t_c1, res = best(lambda: augment(pre, "fraction", threads=1, out=buf, pad_to=T, **kw), r)
    tag = "augment fraction, buffer reused"
    t_c2, res = best(lambda: augment(pre, "fraction", threads=2, out=buf, pad_to=T, **kw), r, tag)
    report(tag, None, t_np, t_c1, t_c2, res.x.nbytes)
    del res

    # --- end to end, raw batch -> x (preprocess + fraction windows)
    t_ref, _ = best(lambda: reference.augment(reference.preprocess(sub), "fraction", **kw), 1)
    t_np, _ = best(lambda: npa.augment_x(npa.preprocess(raw), "fraction", seed=1), r)
    t_c1, _ = best(lambda: augment(preprocess(raw, threads=1), "fraction", threads=1, **kw), r)
    t_c2, _ = best(lambda: augment(preprocess(raw, threads=2), "fraction", threads=2, **kw), r,
                   "end to end (preprocess + fraction)")
    report("end to end (preprocess + fraction)", t_ref / len(sub), t_np, t_c1, t_c2, None)

    # --- evaluation windows (11 per object), streamed in chunks so only one chunk's x lives
    days = tuple(2.0 ** k for k in range(11))

    def stream_cpp(threads: int) -> int:
        return sum(c.x.nbytes for c in iter_augment(pre, "days", days=days, chunk_objects=args.chunk,
                                                     threads=threads, reuse_buffer=True, **kw))

    def stream_np() -> int:
        total, buf = 0, np.empty(args.chunk * len(days) * T * 5, np.float32)
        for s in range(0, len(pre), args.chunk):
            total += npa.augment_x(pre[s:s + args.chunk], "days", days=days, pad_to=T, out=buf)[0].nbytes
        return total

    sub_pre = preprocess(sub)
    t_ref, _ = best(lambda: reference.augment(sub_pre, "days", days=days, **kw), 1)
    t_np, _ = best(stream_np, r)
    t_c1, nbytes = best(lambda: stream_cpp(1), r)
    t_c2, _ = best(lambda: stream_cpp(2), r, f"days x11, streamed, buffer reused ({args.chunk}/chunk)")
    report(f"days x11, streamed, buffer reused ({args.chunk}/chunk)", t_ref / len(sub), t_np, t_c1, t_c2, nbytes)



if __name__ == "__main__":
    main()
