"""Simulated versus real light curves, side by side: per-class distributions of ``light-curve``
features (:func:`elasticc_fast.baselines.features.extract_features`), their medians and the
two-sample Kolmogorov-Smirnov distance, and a grid of histograms.

Used by ``tools/compare_sim_real.py`` for the plots and tables in ``docs/simulator.md``.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: features compared for ZTF (g, r): counts and span of detections, brightness, shape and colour
ZTF_FEATURES = ("n_detections", "time_span", "mag_mean_r", "mag_amplitude_r", "flux_bazin_fit_rise_time_r",
                "flux_bazin_fit_fall_time_r", "mag_maximum_slope_r", "color_median_g_r")
#: the same for ELAsTiCC (LSST g, r, i; magnitudes of FLUXCAL are offset by 3.6 mag from AB, equally
#: on both sides)
ELASTICC_FEATURES = ("n_detections", "time_span", "mag_mean_r", "mag_amplitude_i", "flux_bazin_fit_rise_time_i",
                     "flux_bazin_fit_fall_time_i", "mag_maximum_slope_r", "color_median_r_i")


def feature_table(batch, groups: Sequence[str], bands: Sequence[str] = ("g", "r"), n_jobs: int = 1) -> pd.DataFrame:
    """``extract_features`` of ``batch`` plus a ``group`` column (e.g. the class of each object)."""
    from ..baselines.features import extract_features

    feats = extract_features(batch, bands=bands, n_jobs=n_jobs)
    feats["group"] = list(groups)
    return feats


def compare(real: pd.DataFrame, sim: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """One row per (group, feature) present on both sides: counts, medians, KS distance and p-value."""
    from scipy.stats import ks_2samp

    rows = []
    for g in sorted(set(real["group"]) & set(sim["group"])):
        r, s = real[real["group"] == g], sim[sim["group"] == g]
        for f in features:
            a, b = r[f].to_numpy(float), s[f].to_numpy(float)
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            if len(a) < 3 or len(b) < 3:
                continue
            ks = ks_2samp(a, b)
            rows.append({"group": g, "feature": f, "n_real": len(a), "n_sim": len(b),
                         "median_real": float(np.median(a)), "median_sim": float(np.median(b)),
                         "ks": float(ks.statistic), "p": float(ks.pvalue)})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, features: Sequence[str]) -> str:
    """Medians real / simulated per group and feature, the KS distance in brackets."""
    head = "| class (n real / sim) | " + " | ".join(f"`{f}`" for f in features) + " |"
    lines = [head, "|" + "---|" * (len(features) + 1)]
    for g, t in table.groupby("group"):
        t = t.set_index("feature")
        n = f"{int(t['n_real'].max())} / {int(t['n_sim'].max())}"
        cells = [f"{t.at[f, 'median_real']:.3g} / {t.at[f, 'median_sim']:.3g} ({t.at[f, 'ks']:.2f})"
                 if f in t.index else "" for f in features]
        lines.append(f"| {g} ({n}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _log_scale(feature: str) -> bool:
    return any(k in feature for k in ("_time_", "slope", "time_span", "n_detections"))


def _log10(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, np.log10(np.where(x > 0, x, 1.0)), np.nan)


def plot(real: pd.DataFrame, sim: pd.DataFrame, features: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Histograms (rows: groups, columns: features), real filled, simulated as a line; PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted(set(real["group"]) & set(sim["group"]))
    fig, axes = plt.subplots(len(groups), len(features), figsize=(2.3 * len(features), 1.7 * len(groups)),
                             squeeze=False)
    for i, g in enumerate(groups):
        for j, f in enumerate(features):
            ax = axes[i, j]
            a = real.loc[real["group"] == g, f].to_numpy(float)
            b = sim.loc[sim["group"] == g, f].to_numpy(float)
            if _log_scale(f):  # heavy right tails (failed fits, minutes-apart pairs)
                a, b = _log10(a), _log10(b)
            both = np.concatenate([a, b])
            both = both[np.isfinite(both)]
            if both.size:
                lo, hi = np.percentile(both, [2, 98])
                bins = np.linspace(lo, hi if hi > lo else lo + 1, 25)
                ax.hist(np.clip(a[np.isfinite(a)], lo, hi), bins=bins, density=True, alpha=0.5, color="C0")
                ax.hist(np.clip(b[np.isfinite(b)], lo, hi), bins=bins, density=True, histtype="step", color="C3")
            ax.set_yticks([])
            ax.tick_params(labelsize=6)
            if i == 0:
                name = f.replace("flux_bazin_fit_", "bazin ").replace("_", " ")
                ax.set_title(f"log10 {name}" if _log_scale(f) else name, fontsize=7)
            if j == 0:
                ax.set_ylabel(g, fontsize=7)
    fig.suptitle(title or "real (filled) vs simulated (line)", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
