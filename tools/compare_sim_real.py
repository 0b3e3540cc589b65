"""Per-class light-curve feature distributions, simulated vs real: the plots and tables of
docs/simulator.md.

    PYTHONPATH=python python tools/compare_sim_real.py ztf [--per-class 300] [--seed 0]
    PYTHONPATH=python python tools/compare_sim_real.py elasticc [--per-class 150] [--seed 0]

``ztf``: the real BTS curves (``../shared/data/ztf_bts``, detections only) against the simulated
objects ``benchmark ztf-bts --pretrain`` pretrains on (``simulate_pretraining``: alert detections,
g and r, each leaf's types in the BTS catalogue's proportions) grouped by BTS-tree leaf. ``elasticc``: the
real ELAsTiCC2 training sample (KN_K17, Mdwarf-flare, SNIb-Templates) against the built-in LSST
simulator's KN, M-dwarf Flare and SNIb/c. Writes ``docs/img/sim_vs_real_<which>.png`` and
``.json`` (medians and KS distances) and prints the Markdown table.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
SHARED = REPO.parent / "shared" / "data"
HOST_COLUMNS = ("HOSTGAL_MAG_r", "HOSTGAL_PHOTOZ_ERR", "HOSTGAL_SNSEP")


def ztf_tables(per_class: int, seed: int):
    from elasticc_fast.benchmarks.bts_pretrain import simulate_pretraining
    from elasticc_fast.io.bts import read_bts
    from elasticc_fast.sim.compare import feature_table

    real = read_bts(SHARED / "ztf_bts", progress=False)
    # per_class objects of each BTS leaf, its types in the BTS catalogue's proportions (no TDE)
    sim = simulate_pretraining(5 * per_class, seed, workers=2)
    return (feature_table(real, real.static.column("class_name").to_pylist(), n_jobs=2),
            feature_table(sim, sim.static.column("class_name").to_pylist(), n_jobs=2))


def last_alert_per_object(batch):
    """The longest light curve of each SNID (an object's last alert carries its whole history)."""
    import numpy as np

    snid = np.asarray(batch.static.column("SNID").to_pylist())
    order = np.lexsort((-batch.lengths, snid))
    first = np.r_[True, snid[order][1:] != snid[order][:-1]]
    return batch.take(order[first])


def elasticc_batches(per_class: int, seed: int, work: Path):
    """(real, simulated) LightCurveBatches with their ORACLE leaf names: the real training sample and
    the Fink SN Ia alerts (last alert per object) against the simulator's KN, M-dwarf Flare, SNIb/c, SNIa."""
    import numpy as np
    import pyarrow as pa

    from elasticc_fast.batch import LightCurveBatch
    from elasticc_fast.convert import convert
    from elasticc_fast.evaluate import true_leaves
    from elasticc_fast.io.tables import load_batch
    from elasticc_fast.sim import simulate
    from elasticc_fast.taxonomy import ORACLE_TREE

    convert(SHARED / "elasticc2_train_sample", work / "real", overwrite=True)
    simulate(work / "sim", objects_per_class=per_class, seed=seed, trigger_rule="first",
             classes=["KN", "Mdwarf-flare", "SNIb-Templates", "SNIa"])
    convert(work / "sim", work / "sim_pq", overwrite=True)
    fink = last_alert_per_object(load_batch(SHARED / "elasticc_alerts/fink/elasticc_parquet/"
                                            "test_elasticc_earlysnia.parquet"))
    out = []
    for parts in ([load_batch(work / "real"), fink], [load_batch(work / "sim_pq")]):
        names = []
        for b in parts:
            leaves, _ = true_leaves(b, ORACLE_TREE)
            names += [ORACLE_TREE.nodes[i] if i >= 0 else "" for i in leaves]
        cols = ["mjd", "band", "flux", "flux_err", "flag"]
        cat = {c: np.concatenate([getattr(b, c) for b in parts]) for c in cols}
        lengths = np.concatenate([b.lengths for b in parts])
        ids = [str(i) for b in parts for i in b.ids]
        static = {"id": ids}
        for c in HOST_COLUMNS:  # host context the classifier sees, sentinels as NaN
            v = np.concatenate([np.asarray(b.static.column(c).to_numpy(zero_copy_only=False), float) for b in parts])
            static[c] = np.where((v <= -9) | (v >= 999), np.nan, v)
        out.append((LightCurveBatch.from_arrays(**cat, ids=ids, lengths=lengths, static=pa.table(static)), names))
    return out


def elasticc_tables(per_class: int, seed: int):
    from elasticc_fast.sim.compare import feature_table

    with tempfile.TemporaryDirectory() as tmp:
        (real, rn), (sim, sn) = elasticc_batches(per_class, seed, Path(tmp))
    bands = ("g", "r", "i")
    tables = []
    for batch, names in ((real, rn), (sim, sn)):
        t = feature_table(batch, names, bands, n_jobs=2)
        for c in HOST_COLUMNS:
            t[c] = batch.static.column(c).to_numpy()
        tables.append(t)
    return tables


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", choices=("ztf", "elasticc"))
    ap.add_argument("--per-class", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from elasticc_fast.sim import compare

    if args.which == "ztf":
        real, sim = ztf_tables(args.per_class or 300, args.seed)
        features = compare.ZTF_FEATURES
    else:
        real, sim = elasticc_tables(args.per_class or 150, args.seed)
        features = compare.ELASTICC_FEATURES + HOST_COLUMNS
    table = compare.compare(real, sim, features)
    out = REPO / "docs" / "img" / f"sim_vs_real_{args.which}.png"
    compare.plot(real, sim, features, out, title=f"{args.which}: real (filled) vs simulated (line)")
    out.with_suffix(".json").write_text(json.dumps(table.to_dict(orient="records"), indent=1))
    print(compare.markdown(table, features))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
