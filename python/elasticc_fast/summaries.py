"""Readable summaries of what a command did, as the command line prints them (not raw dicts)."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def describe_simulation(summary: dict) -> str:
    """What ``elasticc-fast simulate`` prints: one line per class (objects; for LSST also observations,
    detections, files), then the totals and the time in seconds."""
    lines = []
    for name, e in summary["classes"].items():
        if isinstance(e, dict):   # lsst: per-model entries
            lines.append(f"{name:22s} {e['class']:15s} {e['n_objects']:6d} objects {e['n_obs']:8d} observations "
                         f"{e['n_det']:7d} detections {e['files']:3d} files")
        else:                     # ztf: objects per BTS type
            lines.append(f"{name:22s} {e:6d} objects")
    alerts = f", {summary['n_alerts']} alerts" if "n_alerts" in summary else ""
    lines.append(f"{summary['n_objects']} objects, {summary['n_obs']} observations{alerts} of "
                 f"{len(summary['classes'])} classes in {summary['seconds']:.1f} s -> "
                 f"{summary.get('path', summary['out_dir'])}")
    return "\n".join(lines)


def describe_fit(clf: Any, out: Path, seconds: float) -> str:
    """What ``elasticc-fast train`` prints, two lines: where the model went, the epochs this call ran
    in ``seconds`` (and in all, when resumed), the best epoch's validation loss and leaf macro-F1."""
    run = [h for h in clf.history if h["epoch"] >= getattr(clf, "first_epoch", 0)]
    best = next((h for h in clf.history if h["epoch"] == clf.best_epoch), {})
    resumed = f" (resumed at epoch {run[0]['epoch'] if run else len(clf.history)}; {len(clf.history)} in all)" \
        if getattr(clf, "first_epoch", 0) else ""
    return (f"model written to {out}: {len(run)} epoch{'s' if len(run) != 1 else ''} in {seconds:.0f} s{resumed}\n"
            f"best epoch {clf.best_epoch}: val_loss {best.get('val_loss', float('nan')):.4f}, "
            f"val leaf macro-F1 {best.get('val_f1', float('nan')):.3f}")
