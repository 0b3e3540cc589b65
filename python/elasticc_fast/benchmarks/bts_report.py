"""Markdown tables of the BTS benchmark's result (:func:`elasticc_fast.benchmarks.bts.run_bts`)."""
from __future__ import annotations

from .bts import MODEL_LABELS


def markdown(result: dict) -> str:
    """The benchmark tables (leaf and top-level macro-F1 by cut, per-class F1 on full curves)."""
    cuts = result["cuts"]
    head = "| model | " + " | ".join(f"{c} d" if c != "full" else "full" for c in cuts) + " |"
    sep = "|---" * (len(cuts) + 1) + "|"
    lines = [f"ZTF BTS: {result['n_evaluated']} objects evaluated of {result['n_objects']} "
             f"({result['folds_run']} of {result['folds']} stratified folds, seed {result['seed']}"
             f"{', --quick' if result['quick'] else ''}); set aside: "
             + ", ".join(f"{k} {v}" for k, v in result["bts_types_set_aside"].items()) + ".", "",
             "Leaf macro-F1 (pooled out-of-fold; cuts in days after the first detection):", "", head, sep]
    for m, r in result["models"].items():
        std = r.get("macro_f1_fold_std") or {}
        cells = [f"{r['macro_f1'][c]:.3f}" + (f" ± {std[c]:.3f}" if std.get(c) is not None else "") for c in cuts]
        lines.append(f"| {MODEL_LABELS.get(m, m)} | " + " | ".join(cells) + " |")
    lines += ["", "Top-level macro-F1 (SN / SLSN / CV-nova):", "", head, sep]
    for m, r in result["models"].items():
        lines.append(f"| {MODEL_LABELS.get(m, m)} | " + " | ".join(f"{r['top_macro_f1'][c]:.3f}" for c in cuts) + " |")
    leaves = list(next(iter(result["models"].values()))["per_class_f1"]["full"]) if result["models"] else []
    lines += ["", "Per-class F1, full curves (support: " + ", ".join(
        f"{k} {v}" for k, v in result["class_counts"].items()) + "):", "",
        "| model | " + " | ".join(leaves) + " |", "|---" * (len(leaves) + 1) + "|"]
    for m, r in result["models"].items():
        lines.append(f"| {MODEL_LABELS.get(m, m)} | " + " | ".join(f"{r['per_class_f1']['full'][c]:.2f}" for c in leaves) + " |")
    lines += ["", "Published reference points (leaf macro-F1):", ""]
    lines += [f"- {k}: {v:.2f}" for k, v in result["references"].items()]
    lines += ["", f"Time: {result['total_seconds']:.0f} s in all ("
              + ", ".join(f"{m} {r['seconds']:.0f} s" for m, r in result["models"].items())
              + f", features {result['feature_seconds']:.0f} s) on {result['machine']}."]
    return "\n".join(lines)
