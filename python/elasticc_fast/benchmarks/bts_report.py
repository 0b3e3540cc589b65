"""Markdown tables of BTS benchmark results (:func:`.bts_cv.run_track` output), one track or two
side by side: leaf and top-level macro-F1 by cut (pooled out-of-fold, ± the spread over folds),
per-class F1 on full curves at both levels, the published reference points, the time."""
from __future__ import annotations


def _head(cuts: list[str]) -> list[str]:
    return ["| model | " + " | ".join(f"{c} d" if c != "full" else "full" for c in cuts) + " |",
            "|---" * (len(cuts) + 1) + "|"]


def _cells(r: dict, key: str, cuts: list[str], spread: bool) -> str:
    std = r.get("macro_f1_fold_std") or {}
    return " | ".join(f"{r[key][c]:.3f}" + (f" ± {std[c]:.3f}" if spread and std.get(c) is not None else "")
                      for c in cuts)


def _per_class(result: dict, key: str) -> list[str]:
    models = result["models"]
    if not models:
        return []
    names = list(next(iter(models.values()))[key]["full"])
    lines = ["| model | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for r in models.values():
        lines.append(f"| {r['label']} | " + " | ".join(f"{r[key]['full'][c]:.2f}" for c in names) + " |")
    return lines


def track_markdown(result: dict) -> str:
    """The tables of one track."""
    cuts, tag = result["cuts"], result["context_label"]
    lines = [f"**Track `--context {result['context']}` ({tag})**: {result['n_evaluated']} objects evaluated of "
             f"{result['n_objects']} ({result['folds_run']} of {result['folds']} stratified folds, seed "
             f"{result['seed']}{', --quick' if result['quick'] else ''}).", "",
             f"Leaf macro-F1 ({tag}; pooled out-of-fold, ± spread over folds; cuts in days after the first "
             "detection" + (f"; every model ignores points later than {result['horizon_days']:g} d, so full = up to "
                            f"{result['horizon_days']:g} d" if result.get("horizon_days") else "")
             + "):", "", *_head(cuts)]
    lines += [f"| {r['label']} | {_cells(r, 'macro_f1', cuts, True)} |" for r in result["models"].values()]
    lines += ["", f"Top-level macro-F1 (SN / SLSN / CV-nova; {tag}):", "", *_head(cuts)]
    lines += [f"| {r['label']} | {_cells(r, 'top_macro_f1', cuts, False)} |" for r in result["models"].values()]
    lines += ["", "Per-class F1, full curves, leaves (support: " + ", ".join(
        f"{k} {v}" for k, v in result["class_counts"].items()) + f"; {tag}):", "", *_per_class(result, "per_class_f1")]
    lines += ["", f"Per-class F1, full curves, top level ({tag}):", "", *_per_class(result, "top_per_class_f1")]
    lines += ["", f"Goal: leaf macro-F1 >= {result['goal_full_leaf_macro_f1']:.2f} on full curves. Published "
              "reference points (leaf macro-F1, full curves):", ""]
    lines += [f"- {k}: {v:.2f}" for k, v in result["references"].items()]
    lines += ["", f"Time: {result['total_seconds']:.0f} s ("
              + ", ".join(f"{m} {r['seconds']:.0f} s" for m, r in result["models"].items())
              + f", features {result['feature_seconds']:.0f} s) on {result['machine']}."]
    return "\n".join(lines)


def markdown(results: list[dict]) -> str:
    """The tables of every track, one after the other."""
    return "\n\n".join(track_markdown(r) for r in results)
