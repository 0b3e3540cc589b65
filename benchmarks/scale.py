"""Scaling benchmarks: Dask conversion vs the process pool, Dask augmentation, and the memory of
streaming training.

    PYTHONPATH=python python benchmarks/scale.py                 # ~10 min on 2 busy cores
    PYTHONPATH=python python benchmarks/scale.py --objects 300   # quick look

1. Simulates an ELAsTiCC2-like training set (``elasticc_fast.sim``, ``--classes`` models of
   ``--objects`` objects in ``--pairs`` file pairs each; cached in ``--work``).
2. Converts it with ``convert(workers=1)`` (in this process, the baseline), ``convert(workers=2)``
   (the process pool) and ``convert_dask`` (modes "pairs" and "models") on a LocalCluster of 1
   and 2 worker processes; checks
   the outputs are byte-identical and prints pairs/s and the ratios to the process pool.
   Cluster start-up (and the workers' first import of the library) is timed apart (a cluster
   is started once and reused); the pool's spawn is inside its time, as it is inside every
   ``convert`` call.
3. Writes shards with ``augment_dataset`` here and on the 2-worker cluster.
4. Trains two epochs of ``fit_stream`` in a fresh process on shard subsets 1x, 10x and 40x the
   size of the stream's batch buffer (prefetch x batch) and reports the peak resident memory of
   that process (``ru_maxrss``, JAX's runtime included) next to the dataset size, and the
   windows/s of the second epoch (compiled). This machine has no GPU: training runs on the CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _machine import machine, write_json  # noqa: E402 (benchmarks/ is on sys.path when run as a script)

CLASSES = ["SNIa", "SNII", "SNIb/c", "AGN", "RR Lyrae", "EB", "KN", "M-dwarf Flare"]




def timed(fn, *a, **kw):
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t0


def same_files(a: Path, b: Path) -> bool:
    fa, fb = sorted(p.name for p in a.glob("*.parquet")), sorted(p.name for p in b.glob("*.parquet"))
    return fa == fb and all((a / f).read_bytes() == (b / f).read_bytes() for f in fa)


def _warm() -> None:
    import elasticc_fast.augment  # noqa: F401
    import elasticc_fast.convert  # noqa: F401
    import elasticc_fast.preprocess  # noqa: F401


def bench_convert(raw: Path, work: Path, n_pairs: int) -> dict:
    from dask.distributed import Client, LocalCluster

    from elasticc_fast.convert import convert
    from elasticc_fast.scale import convert_dask

    res = {}
    for name, workers in (("in-process (workers=1)", 1), ("process pool (workers=2)", 2)):
        out = work / f"conv_pool{workers}"
        shutil.rmtree(out, ignore_errors=True)
        _, dt = timed(convert, raw, out, workers=workers, show_progress=False)
        res[name] = dt
    for n in (1, 2):
        t0 = time.perf_counter()
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0") as cl, \
                Client(cl) as client:
            client.run(_warm)  # workers import the library once; not part of a conversion
            res[f"(Dask {n} start-up)"] = time.perf_counter() - t0
            for mode in ("pairs", "models"):
                out = work / f"conv_dask{n}_{mode}"
                shutil.rmtree(out, ignore_errors=True)
                _, dt = timed(convert_dask, raw, out, client, mode=mode, show_progress=False)
                res[f"Dask {n} worker(s), mode={mode}"] = dt
                assert same_files(out, work / "conv_pool1"), f"Dask {n}-worker {mode} output differs"
    assert same_files(work / "conv_pool2", work / "conv_pool1")
    pool = res["process pool (workers=2)"]
    print(f"\nconversion of {n_pairs} file pairs (outputs byte-identical in every mode)")
    print(f"{'mode':34s} {'seconds':>8s} {'pairs/s':>8s} {'vs pool':>8s}")
    for k, v in res.items():
        if k.startswith("("):
            print(f"{k:34s} {v:8.2f}")
        else:
            print(f"{k:34s} {v:8.2f} {n_pairs / v:8.1f} {pool / v:7.2f}x")
    return res


def bench_augment(parquet: Path, work: Path, copies: int, shard_windows: int) -> tuple[dict, Path]:
    from dask.distributed import Client, LocalCluster

    from elasticc_fast.scale import augment_dataset

    res = {}
    here = work / "shards_here"
    ds, res["here"] = timed(augment_dataset, parquet, here, copies=copies, shard_windows=shard_windows,
                            overwrite=True, show_progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cl, \
            Client(cl) as client:
        client.run(_warm)
        ds2, res["dask2"] = timed(augment_dataset, parquet, work / "shards_dask", copies=copies,
                                  shard_windows=shard_windows, overwrite=True, client=client, show_progress=False)
    assert [s.name for s in ds.shards] == [s.name for s in ds2.shards]
    print(f"\naugment_dataset ({len(ds)} windows, T={ds.T}, {len(ds.shards)} shards): "
          f"in this process {res['here']:.1f} s, Dask 2 workers {res['dask2']:.1f} s "
          f"({res['here'] / res['dask2']:.2f}x)")
    return res, here


def child_train(shards: str, n_shards: int, batch: int, prefetch: int, hidden: int) -> None:
    """Run in a fresh process: one epoch of fit_stream on the first n_shards shards."""
    import numpy as np  # noqa: F401

    from elasticc_fast.nn import TrainConfig
    from elasticc_fast.scale import fit_stream, open_shards
    from elasticc_fast.scale.shards import ShardDataset
    from elasticc_fast.taxonomy import ORACLE_TREE

    ds = open_shards(shards)
    ds = ShardDataset(ds.path, ds.shards[:n_shards], ds.manifest)
    # one padded length (T) for every batch: one compiled shape, so the runs differ only by data
    cfg = TrainConfig(epochs=2, patience=10, batch_size=batch, hidden=hidden, val_fraction=0.0,
                      buckets=(ds.T,)).replace(max_length=ds.T)
    t0 = time.perf_counter()
    res = fit_stream(ds, ORACLE_TREE, cfg, prefetch=prefetch)
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print("RESULT" + json.dumps({"windows": len(ds), "bytes": len(ds) * ds.T * ds.F * 4, "peak_rss": rss,
                                 "seconds": dt, "epoch2_seconds": res.history[-1]["seconds"]}))


def bench_stream(shards: Path, batch: int, prefetch: int, hidden: int) -> list[dict]:
    from elasticc_fast.scale import ShardStream, open_shards

    ds = open_shards(shards)
    buffer = prefetch * ShardStream(ds, batch).batch_nbytes()
    out = []
    print(f"\nstreaming training, 2 epochs, batch {batch} x T {ds.T}, prefetch {prefetch} "
          f"(buffer {buffer / 2**20:.1f} MiB), GRU hidden {hidden}, CPU only (no GPU on this machine)")
    print(f"{'dataset / buffer':>16s} {'windows':>8s} {'data MiB':>9s} {'peak RSS MiB':>13s} {'windows/s':>10s}")
    for factor in (1, 10, 40):
        need = factor * buffer
        n, size = 0, 0
        for s in ds.shards:
            n += 1
            size += s.n * ds.T * ds.F * 4
            if size >= need:
                break
        if size < need:
            print(f"{factor:>15d}x  (not enough windows: rerun with more --objects or --copies)")
            continue
        proc = subprocess.run([sys.executable, __file__, "--child-train", str(shards), str(n), str(batch),
                               str(prefetch), str(hidden)], capture_output=True, text=True, env=os.environ)
        if proc.returncode:
            raise RuntimeError(proc.stderr[-2000:])
        r = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))[6:])
        r["factor"] = r["bytes"] / buffer
        out.append(r)
        print(f"{r['factor']:15.1f}x {r['windows']:8d} {r['bytes'] / 2**20:9.1f} {r['peak_rss'] / 2**20:13.1f} "
              f"{r['windows'] / r['epoch2_seconds']:10.0f}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="/tmp/elasticc_fast_scale_bench")
    ap.add_argument("--objects", type=int, default=1000, help="objects per class")
    ap.add_argument("--classes", type=int, default=6)
    ap.add_argument("--pairs", type=int, default=10, help="file pairs per model")
    ap.add_argument("--copies", type=int, default=4, help="windows per object in the shards")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--prefetch", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--parts", default="convert,augment,stream",
                    help="comma-separated subset (stream reuses the shards of an earlier augment run)")
    ap.add_argument("--json", default=None, help="write every number here (with the machine)")
    ap.add_argument("--child-train", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_train:
        s, n, b, p, h = args.child_train
        child_train(s, int(n), int(b), int(p), int(h))
        return
    import logging

    logging.basicConfig(level=logging.WARNING)
    from elasticc_fast.sim import simulate

    work = Path(args.work)
    raw = work / f"raw_{args.classes}x{args.objects}x{args.pairs}"
    if not raw.is_dir():
        _, dt = timed(simulate, raw, objects_per_class=args.objects, classes=CLASSES[:args.classes],
                      files_per_model=args.pairs, seed=7, show_progress=False)
        print(f"simulated {args.classes} x {args.objects} objects in {dt:.0f} s -> {raw}")
    n_pairs = sum(1 for _ in raw.glob("*/*_HEAD.FITS*"))
    print(machine())
    print(f"load average (1, 5, 15 min) at start: {os.getloadavg()}  (other jobs share these cores)")
    parts, results = set(args.parts.split(",")), {"args": vars(args)}
    if "convert" in parts:
        results["convert"] = bench_convert(raw, work, n_pairs)
    shards = work / "shards_here"
    if "augment" in parts:
        # small shards (half a batch buffer) so that the training subsets hit 1x, 10x, 40x closely
        results["augment"], shards = bench_augment(work / "conv_pool1", work, args.copies,
                                                   args.batch * args.prefetch // 2)
    if "stream" in parts:
        results["stream"] = bench_stream(shards, args.batch, args.prefetch, args.hidden)
    if args.json:
        write_json(args.json, results)


if __name__ == "__main__":
    main()
