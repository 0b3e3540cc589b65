"""Metrics against hand-computed examples and against scikit-learn on random labels."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elasticc_fast import metrics


def test_confusion_matrix_hand_example():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2])
    cm = metrics.confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    np.testing.assert_allclose(metrics.normalize_rows(cm), [[0.5, 0.5, 0], [0, 2 / 3, 1 / 3], [0, 0, 1]])


def test_scores_hand_example():
    # class 0: P = 1/1, R = 1/2, F1 = 2/3;  class 1: P = 2/3, R = 2/3, F1 = 2/3;  class 2: P = 1/2, R = 1, F1 = 2/3
    s = metrics.scores(np.array([0, 0, 1, 1, 1, 2]), np.array([0, 1, 1, 1, 2, 2]), 3)
    assert s.precision == pytest.approx((1 + 2 / 3 + 1 / 2) / 3)
    assert s.recall == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    assert s.f1 == pytest.approx(2 / 3)
    assert s.accuracy == pytest.approx(4 / 6)
    np.testing.assert_array_equal(s.support, [2, 3, 1])


def test_absent_classes_are_left_out_of_the_macro_average_and_never_predicted_scores_zero():
    # 4 classes declared; class 3 never occurs; class 2 is true once but never predicted
    s = metrics.scores(np.array([0, 1, 2]), np.array([0, 1, 1]), 4)
    assert s.per_class_precision[2] == 0 and s.per_class_recall[2] == 0 and s.per_class_f1[2] == 0
    assert s.precision == pytest.approx((1 + 0.5 + 0) / 3)
    assert s.recall == pytest.approx((1 + 1 + 0) / 3)
    assert s.f1 == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_macro_over_true_classes_only():
    # truth: class 0 only; predictions 0, 0, 1: class 1 counts in the "present" average, not in "true"
    y_true, y_pred = np.array([0, 0, 0]), np.array([0, 0, 1])
    assert metrics.scores(y_true, y_pred, 3).f1 == pytest.approx((0.8 + 0) / 2)
    s = metrics.scores(y_true, y_pred, 3, over="true")
    assert s.f1 == pytest.approx(0.8) and s.precision == pytest.approx(1.0) and s.recall == pytest.approx(2 / 3)
    assert s.accuracy == pytest.approx(2 / 3)


def test_bad_labels_raise():
    with pytest.raises(ValueError, match="y_pred"):
        metrics.confusion_matrix(np.array([0, 1]), np.array([0, 5]), 3)
    with pytest.raises(ValueError, match="equal length"):
        metrics.confusion_matrix(np.array([0, 1]), np.array([0]), 3)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7).flatmap(lambda k: st.tuples(
    st.just(k), st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=60))))
def test_agrees_with_scikit_learn(case):
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    k, pairs = case
    y_true = np.array([a for a, _ in pairs])
    y_pred = np.array([b for _, b in pairs])
    s = metrics.scores(y_true, y_pred, k)
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="macro", zero_division=0)
    assert s.precision == pytest.approx(p)
    assert s.recall == pytest.approx(r)
    assert s.f1 == pytest.approx(f)
    assert s.accuracy == pytest.approx(accuracy_score(y_true, y_pred))
