"""Plots for evaluation reports: normalised confusion matrices and F1 versus days since trigger.

Every function takes ``ax=None`` (a new figure is made) and returns the axes; nothing calls
``plt.show()``. Use :func:`save` to write a figure atomically. Matplotlib runs on the Agg backend
when no backend has been chosen, so this works on headless machines.
"""
from __future__ import annotations

import os
from typing import Mapping, Sequence

import numpy as np


def _pyplot():
    import matplotlib

    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_matrix(cm: np.ndarray, class_names: Sequence[str], *, ax=None, title: str = "",
                     annotate: bool | None = None):
    """Draw a row-normalised confusion matrix (true class in rows); returns the axes.

    ``cm`` holds counts; each row is divided by its total so the diagonal reads as recall.
    Cells are annotated with the fraction when there are at most 20 classes (or ``annotate``).
    """
    from .metrics import normalize_rows

    plt = _pyplot()
    k = len(class_names)
    if ax is None:
        size = max(4.0, 0.45 * k + 2.0)
        _, ax = plt.subplots(figsize=(size + 1.0, size))
    frac = normalize_rows(cm)
    im = ax.imshow(frac, vmin=0.0, vmax=1.0, cmap="Blues")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    ax.set_xticks(range(k), class_names, rotation=90)
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    if annotate if annotate is not None else k <= 20:
        for i in range(k):
            for j in range(k):
                if frac[i, j] >= 0.005:
                    ax.text(j, i, f"{frac[i, j]:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if frac[i, j] > 0.5 else "black")
    return ax


def metric_vs_days(days: Sequence[float], curves: Mapping[str, Sequence[float]], *, ax=None,
                   ylabel: str = "macro F1", title: str = "", full_curve: Mapping[str, float] | None = None):
    """Draw one line per entry of ``curves`` (e.g. per taxonomy level) against days since trigger.

    ``days`` are plotted on a log2 axis; ``full_curve`` values (metric on the whole light curve)
    are drawn as dashed horizontal lines in the matching colour. Returns the axes.
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.0))
    for name, values in curves.items():
        (line,) = ax.plot(days, values, marker="o", label=name)
        if full_curve and name in full_curve:
            ax.axhline(full_curve[name], ls="--", lw=1, color=line.get_color())
    if full_curve:
        ax.plot([], [], ls="--", lw=1, color="gray", label="full curve")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(days), [f"{d:g}" for d in days])
    ax.set_xlabel("days since trigger")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0.0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def save(ax_or_fig, path: str | os.PathLike, *, dpi: int = 120) -> None:
    """Write the figure holding ``ax_or_fig`` to ``path`` atomically and close it."""
    from .atomic import atomic_path

    plt = _pyplot()
    fig = getattr(ax_or_fig, "figure", ax_or_fig)
    fig.tight_layout()
    suffix = os.path.splitext(str(path))[1]
    with atomic_path(path, suffix=suffix) as tmp:
        fig.savefig(tmp, dpi=dpi, format=suffix.lstrip(".") or "png")
    plt.close(fig)
