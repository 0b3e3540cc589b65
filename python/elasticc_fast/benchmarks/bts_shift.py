"""How far the simulated ZTF objects are from the real BTS ones on the inputs the pretrained model's
tabular branch sees: per leaf class, a LightGBM told to separate real from simulated objects on the
``light-curve`` features of whole curves (cross-validated ROC AUC: 0.5 = indistinguishable, 1 =
every object's origin is plain), and the features whose medians differ most (in units of the real
objects' interquartile range).

    python -m elasticc_fast.benchmarks.bts_shift [--objects 5000] [--seed 1000] [--cut DAYS]
                                                  [--context none|redshift|only] [--json FILE]

``--context redshift`` adds the spec-z track's context (log10 redshift, |b|, A_V: what the network
gets with ``--context redshift``) to the features; ``only``: those three columns alone.

The simulated objects are those ``benchmark ztf-bts --pretrain N`` pretrains on
(:func:`elasticc_fast.benchmarks.bts_pretrain.simulate_pretraining`).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd


def origin_auc(real: pd.DataFrame, sim: pd.DataFrame, seed: int = 0) -> float:
    """3-fold cross-validated ROC AUC of LightGBM separating ``real`` rows from ``sim`` rows
    (the larger side subsampled to at most 3x the smaller one)."""
    from lightgbm import LGBMClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    rng = np.random.default_rng(seed)
    cap = 3 * min(len(real), len(sim))
    real, sim = (d.iloc[np.sort(rng.permutation(len(d))[:cap])] for d in (real, sim))
    X = pd.concat([real, sim], ignore_index=True)
    y = np.r_[np.zeros(len(real)), np.ones(len(sim))]
    folds = StratifiedKFold(3, shuffle=True, random_state=seed)
    model = LGBMClassifier(n_estimators=100, num_leaves=15, class_weight="balanced", n_jobs=1, verbose=-1,
                           random_state=seed)
    p = cross_val_predict(model, X, y, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, p))


def shifted_features(real: pd.DataFrame, sim: pd.DataFrame, top: int = 4) -> dict[str, float]:
    """The ``top`` features with the largest |median(sim) - median(real)| / IQR(real)."""
    iqr = (real.quantile(0.75) - real.quantile(0.25)).replace(0.0, np.nan)
    d = ((sim.median() - real.median()) / iqr).dropna()
    return {k: round(float(d[k]), 2) for k in d.abs().sort_values(ascending=False).index[:top]}


def shift_inputs(batch, cut: float | None = None, context: str = "none", jobs: int = 2) -> pd.DataFrame:
    """The compared inputs of ``batch``: arcsinh of its ``light-curve`` features (curves cut ``cut``
    days after the first detection), with the spec-z context (``context="redshift"``: log10 z, |b|,
    A_V) or that context alone (``"only"``)."""
    from ..baselines.features import extract_features
    from ..context import network_frame
    from ..views import cut_batch

    if context not in ("none", "redshift", "only"):
        raise ValueError(f"bts_shift: context must be none, redshift or only, not {context!r}")
    parts = []
    if context != "only":
        parts.append(np.arcsinh(extract_features(cut_batch(batch, cut), n_jobs=jobs).reset_index(drop=True)))
    if context != "none":
        parts.append(network_frame(batch.static, "redshift").reset_index(drop=True))
    return pd.concat(parts, axis=1)


def shift_table(real_batch, sim_batch, tree, cut: float | None = None, jobs: int = 2,
                context: str = "none") -> list[dict]:
    """Per leaf class (and all together): sizes, origin AUC and the most shifted inputs
    (:func:`shift_inputs`)."""
    feats = [shift_inputs(b, cut, context, jobs) for b in (real_batch, sim_batch)]
    labels = [np.asarray(b.labels) for b in (real_batch, sim_batch)]
    rows = []
    for k in [*sorted(set(labels[0]) & set(labels[1])), None]:
        r, s = ((f if k is None else f[lab == k]) for f, lab in zip(feats, labels, strict=True))
        rows.append({"class": "all" if k is None else tree.nodes[k], "n_real": len(r), "n_sim": len(s),
                     "origin_auc": round(origin_auc(r, s), 3), "most_shifted": shifted_features(r, s)})
    return rows


def main(argv: list[str] | None = None) -> int:
    from ..taxonomy.ztf import BTS_TREE
    from .bts import default_data, load
    from .bts_pretrain import simulate_pretraining

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=5000, help="simulated objects (default 5000)")
    ap.add_argument("--seed", type=int, default=1000, help="simulation seed (default 1000, as --pretrain)")
    ap.add_argument("--cut", type=float, default=None, help="cut curves this many days after the first detection")
    ap.add_argument("--context", choices=("none", "redshift", "only"), default="none",
                    help="add the spec-z track's log10 z, |b|, A_V to the features (redshift) or use them alone (only)")
    ap.add_argument("--data", type=Path, default=None, help="the ztf_bts folder")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    real, _, _ = load(args.data or default_data())
    rows = shift_table(real, simulate_pretraining(args.objects, args.seed, workers=2), BTS_TREE, args.cut,
                       context=args.context)
    print("| class | real | simulated | origin AUC | most shifted features (median difference / real IQR) |")
    print("|---|---|---|---|---|")
    for r in rows:
        shifted = ", ".join(f"{k} {v:+.2f}" for k, v in r["most_shifted"].items())
        print(f"| {r['class']} | {r['n_real']} | {r['n_sim']} | {r['origin_auc']:.3f} | {shifted} |")
    if args.json:
        args.json.write_text(json.dumps({"cut": args.cut, "context": args.context, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
