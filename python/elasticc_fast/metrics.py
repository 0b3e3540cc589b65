"""Classification metrics for hierarchical classifiers, in plain NumPy.

Conventions follow scikit-learn's ``precision_recall_fscore_support(average="macro")`` so numbers
compare with published ORACLE/ALeRCE tables (which used scikit-learn):

- the confusion matrix has true classes in rows and predicted classes in columns;
- macro averages run over the classes that occur in the truth *or* in the predictions
  (``over="true"``: over the classes in the truth only, for a set with a single true class);
- a class never predicted has precision 0, a class never true has recall 0, and F1 is 0 when
  precision + recall is 0 (scikit-learn's ``zero_division=0``).

Levels of a taxonomy are handled by the caller (:mod:`elasticc_fast.evaluate`): it maps the true
leaf to its ancestor at each level and takes the predicted node at each level, then calls
:func:`scores` once per level.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``cm[i, j]`` of objects of true class ``i`` predicted as ``j``; shape (K, K) int64.

    Labels are integers in ``[0, n_classes)``; anything else raises ``ValueError``.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must be 1-d and of equal length")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} must hold integer labels in [0, {n_classes})")
    flat = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def normalize_rows(cm: np.ndarray) -> np.ndarray:
    """Row-normalised confusion matrix (each true class sums to 1; empty rows stay 0)."""
    cm = np.asarray(cm, dtype=np.float64)
    totals = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)


@dataclass
class Scores:
    """Macro-averaged and per-class scores of one level at one time."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    n: int
    per_class_precision: np.ndarray = field(repr=False)
    per_class_recall: np.ndarray = field(repr=False)
    per_class_f1: np.ndarray = field(repr=False)
    support: np.ndarray = field(repr=False)
    confusion: np.ndarray = field(repr=False)

    def as_dict(self, class_names: Sequence[str] | None = None) -> dict:
        """JSON-ready dict; per-class entries keyed by class name when given."""
        names = list(class_names) if class_names is not None else [str(i) for i in range(len(self.support))]
        return {
            "precision": self.precision, "recall": self.recall, "f1": self.f1,
            "accuracy": self.accuracy, "n": self.n,
            "per_class": {n: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                          for n, p, r, f, s in zip(names, self.per_class_precision, self.per_class_recall,
                                                   self.per_class_f1, self.support, strict=True)},
            "confusion": self.confusion.tolist(),
        }


def scores_from_confusion(cm: np.ndarray, over: str = "present") -> Scores:
    """Macro precision, recall, F1 and accuracy from a confusion matrix (rows true, cols predicted).

    ``over``: macro averages over classes in the truth or the predictions (``"present"``,
    scikit-learn's convention) or in the truth only (``"true"``).
    """
    if over not in ("present", "true"):
        raise ValueError(f"over must be 'present' or 'true', not {over!r}")
    cm = np.asarray(cm, dtype=np.int64)
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1)          # true count per class
    predicted = cm.sum(axis=0)        # predicted count per class
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    present = (support > 0) | ((predicted > 0) if over == "present" else False)
    n = int(cm.sum())

    def macro(v: np.ndarray) -> float:
        return float(v[present].mean()) if present.any() else float("nan")

    return Scores(precision=macro(precision), recall=macro(recall), f1=macro(f1),
                  accuracy=float(tp.sum() / n) if n else float("nan"), n=n,
                  per_class_precision=precision, per_class_recall=recall, per_class_f1=f1,
                  support=support, confusion=cm)


def scores(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int, over: str = "present") -> Scores:
    """Macro precision, recall, F1 and accuracy of integer labels (see the module docstring)."""
    return scores_from_confusion(confusion_matrix(y_true, y_pred, n_classes), over)
