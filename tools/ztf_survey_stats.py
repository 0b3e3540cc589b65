"""How the real BTS objects are observed against the ZTF simulator's survey models (docs/simulator.md,
"Ninth round"): per BTS leaf, medians of the days from the first detection to the brightest one, the
magnitudes risen by then, the points by 16 days after the first detection, and the shares first
detected within 4 days of the brightest point and brighter than absolute magnitude -19.6 by 16 days;
over all detections, the share quoting S/N < 5, the 95th-percentile magnitude and the mean gap between
an object's detection nights per era.

    PYTHONPATH=python python tools/ztf_survey_stats.py [--per-type 500] [--seed 1000]
        [--surveys round8 round9] [--shapes round8 round11] [--json FILE]

Real: every object of ``../shared/data/ztf_bts`` (detections only). Simulated: ``--per-type`` objects of
each type the pretraining uses (alert detections, g and r only), weighted by the BTS catalogue's type
shares (``bts_pretrain.TYPE_SHARES``).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
SHARED = REPO.parent / "shared" / "data"
HORIZON = 96.0
ERAS = (("2018-19", 58000.0, 58850.0), ("2020 Jan-Oct", 58850.0, 59150.0), ("2020 Nov-2021", 59150.0, 60000.0))


def per_object(batch) -> dict[str, np.ndarray]:
    """Per object, within :data:`HORIZON` days of the first detection (the BTS models' horizon): days first
    detection -> brightest, mag risen; points and brightest absolute magnitude by 16 d."""
    import pandas as pd

    from elasticc_fast.context import context_frame
    from elasticc_fast.luminosity import window_absmag
    from elasticc_fast.views import cut_batch, max_days

    ctx = context_frame(batch.static, "redshift", index=pd.Index(np.arange(len(batch))))
    batch, c16 = cut_batch(batch, max_days(None, HORIZON)), cut_batch(batch, max_days(16, HORIZON))
    absmag16 = window_absmag(c16, ctx["redshift"].to_numpy(), ctx["A_V"].to_numpy())[:, 2]
    delay, rise = np.full(len(batch), np.nan), np.full(len(batch), np.nan)
    for i in range(len(batch)):
        s = slice(batch.offsets[i], batch.offsets[i] + batch.lengths[i])
        t, f = batch.mjd[s], batch.flux[s]
        first, top = int(np.argmin(t)), int(np.argmax(f))
        delay[i] = t[top] - t[first]
        rise[i] = 2.5 * np.log10(f[top] / f[first])
    return {"delay": delay, "rise": rise, "n16": c16.lengths.astype(float), "absmag16": absmag16}


def detection_stats(batch) -> dict[str, float]:
    """Over all detections: share S/N < 5, 95th-percentile magnitude, mean night gap (< 30 d) per era."""
    snr, mag = batch.flux / batch.flux_err, 23.9 - 2.5 * np.log10(batch.flux)
    out = {"snr_below_5": float(np.mean(snr < 5.0)), "mag_p95": float(np.percentile(mag, 95))}
    gaps = {name: [] for name, _, _ in ERAS}
    for i in range(len(batch)):
        nights = np.unique(np.floor(batch.mjd[batch.offsets[i]:batch.offsets[i] + batch.lengths[i]] - 0.3))
        gap, at = np.diff(nights), nights[1:]
        for name, lo, hi in ERAS:
            gaps[name].append(gap[(gap < 30) & (at >= lo) & (at < hi)])
    out.update({f"gap_mean {name}": float(np.concatenate(g).mean()) for name, g in gaps.items()})
    return out


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    ok = np.isfinite(x)
    x, w = x[ok], w[ok]
    order = np.argsort(x)
    cum = (np.cumsum(w[order]) - 0.5 * w[order]) / w.sum()
    return float(np.interp(0.5, cum, x[order]))


def leaf_rows(stats: dict, leaves: np.ndarray, weights: np.ndarray) -> dict[str, dict[str, float]]:
    """Per leaf: weighted medians and shares of :func:`per_object`'s values."""
    rows = {}
    for leaf in dict.fromkeys(leaves.tolist()):
        m, w = leaves == leaf, weights[leaves == leaf]
        rows[leaf] = {"n": int(m.sum()), **{k: weighted_median(stats[k][m], w) for k in ("delay", "rise", "n16")},
                      "found_near_peak": float(np.average(stats["delay"][m] < 4.0, weights=w)),
                      "brighter_than_-19.6_by_16d": float(np.average(stats["absmag16"][m] < -19.6, weights=w))}
    return rows


def simulated(survey: str, per_type: int, seed: int, shapes: str = "round8") -> tuple:
    """(batch, leaf per object, weight per object) of the pretraining types under ``survey`` and ``shapes``."""
    from elasticc_fast.benchmarks.bts_pretrain import TYPE_SHARES
    from elasticc_fast.sim.ztf import simulate_ztf

    leaf_of = {t: leaf for leaf, shares in TYPE_SHARES.items() for t in shares}
    share = {t: f for shares in TYPE_SHARES.values() for t, f in shares.items()}
    sim = simulate_ztf(per_type, seed=seed, classes=list(leaf_of), photometry="detections", i_share=0.0,
                       survey=survey, shapes=shapes)
    types = sim.static.column("bts_type").to_pylist()
    return sim, np.array([leaf_of[t] for t in types]), np.array([share[t] for t in types])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-type", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--surveys", nargs="+", default=["round8", "round9"])
    ap.add_argument("--shapes", nargs="+", default=["round8"], help="light-curve shapes (simulate --ztf-shapes)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    from elasticc_fast.io.bts import read_bts
    from elasticc_fast.taxonomy.ztf import BTS_TREE

    real = read_bts(SHARED / "ztf_bts", tree=BTS_TREE, progress=False)
    leaves = np.array([BTS_TREE.nodes[v] for v in real.labels])
    result = {"real": {"leaves": leaf_rows(per_object(real), leaves, np.ones(len(real))),
                       "detections": detection_stats(real)}}
    for survey, shapes in ((a, b) for a in args.surveys for b in args.shapes):
        name = survey if shapes == "round8" else f"{survey} {shapes}"
        sim, sim_leaves, weights = simulated(survey, args.per_type, args.seed, shapes)
        result[name] = {"leaves": leaf_rows(per_object(sim), sim_leaves, weights), "detections": detection_stats(sim)}
    print("| leaf | set | days 1st det -> brightest | mag risen | points by 16 d | found within 4 d of brightest "
          "| brighter than -19.6 by 16 d |\n|---|---|---|---|---|---|---|")
    for leaf in result["real"]["leaves"]:
        for name, r in result.items():
            row = r["leaves"].get(leaf)
            if row:
                print(f"| {leaf} | {name} | {row['delay']:.1f} | {row['rise']:.2f} | {row['n16']:.0f} | "
                      f"{row['found_near_peak']:.3f} | {row['brighter_than_-19.6_by_16d']:.3f} |")
    for name, r in result.items():
        print(name, {k: round(v, 3) for k, v in r["detections"].items()})
    if args.json:
        Path(args.json).write_text(json.dumps({"command": " ".join(sys.argv), **result}, indent=1))


if __name__ == "__main__":
    main()
