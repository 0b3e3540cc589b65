"""ORACLE's evaluation protocol on a hand-made set with a stand-in classifier whose answers are known.

The stand-in classifier (a test double, not the package's model) answers the true leaf when an
object has at least 3 points and "SNIa" otherwise, so the scores at every day count follow by hand.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from elasticc_fast import evaluate as ev_mod
from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.taxonomy import ORACLE_TREE, leaf_for_model
from elasticc_fast.units import PHOTFLAG_DETECTION, PHOTFLAG_TRIGGER

DET, TRIG = PHOTFLAG_DETECTION, PHOTFLAG_DETECTION | PHOTFLAG_TRIGGER


class CountingClassifier:
    tree = ORACLE_TREE

    def predict_proba(self, batch: LightCurveBatch) -> pd.DataFrame:
        models = batch.static["model"].to_pylist()
        leaves = [leaf_for_model(m) if n >= 3 else "SNIa" for m, n in zip(models, batch.lengths, strict=True)]
        p = self.tree.ancestry[self.tree.index(leaves)]      # one-hot marginals along the path
        return pd.DataFrame(p, index=batch.ids, columns=list(self.tree.nodes))


def _batch() -> LightCurveBatch:
    # (model, [(days from trigger, flag)])
    objs = [("SNIa-SALT3", [(0, TRIG), (1.5, DET), (3, DET)]),
            ("KN_K17", [(0, TRIG), (0.5, DET), (0.7, DET)]),
            ("RRL", [(-10, 0), (0, TRIG), (5, DET)]),
            ("SL-SN1a", [(0, TRIG), (1, DET), (2, DET)])]       # no ORACLE leaf: left out
    t = np.concatenate([[60000.0 + d for d, _ in pts] for _, pts in objs])
    flag = np.concatenate([[f for _, f in pts] for _, pts in objs])
    m = len(t)
    return LightCurveBatch.from_arrays(
        mjd=t, band=np.zeros(m, np.uint8), flux=np.full(m, 100.0, np.float32),
        flux_err=np.full(m, 5.0, np.float32), flag=flag, ids=np.array([11, 12, 13, 14]),
        lengths=[len(p) for _, p in objs], static={"model": [o for o, _ in objs]})


def test_truncate_keeps_points_up_to_d_days_after_the_trigger():
    b = _batch()
    trig = ev_mod.trigger_mjd(b)
    np.testing.assert_allclose(trig, 60000.0)
    cut = ev_mod.truncate(b, trig, 1.0)
    np.testing.assert_array_equal(cut.lengths, [1, 3, 2, 2])
    np.testing.assert_allclose(cut.mjd[cut.offsets[2]:cut.offsets[3]], [59990.0, 60000.0])


def test_scores_per_level_and_day_match_hand_values():
    ev = ev_mod.evaluate(CountingClassifier(), _batch(), days=(1, 2, 4, 8))
    assert ev.n_objects == 3 and ev.n_unlabelled == 1
    assert ev.levels == ("level 1", "level 2", "leaf")
    # d = 1, 2, 4: truth (SNIa, KN, RR Lyrae) predicted (SNIa, KN, SNIa)
    for d in (1, 2, 4):
        leaf = ev.scores[d]["leaf"]
        assert leaf.f1 == pytest.approx((2 / 3 + 1 + 0) / 3)
        assert leaf.precision == pytest.approx((0.5 + 1 + 0) / 3)
        assert leaf.accuracy == pytest.approx(2 / 3)
        assert ev.scores[d]["level 2"].f1 == pytest.approx(5 / 9)
        # level 1: truth (T, T, V) predicted (T, T, T): Transient F1 0.8, Variable 0
        assert ev.scores[d]["level 1"].f1 == pytest.approx(0.4)
        assert ev.scores[d]["level 1"].confusion.tolist() == [[2, 0], [1, 0]]
    # from 8 days on (and on the full curve) every object has 3 points: all right
    for w in (8, "full"):
        for level in ev.levels:
            assert ev.scores[w][level].f1 == pytest.approx(1.0)
    assert ev.headline() == {"leaf": {"8": 1.0, "full": 1.0}, "level 1": {"8": 1.0, "full": 1.0}}


def test_report_files(tmp_path):
    ev = ev_mod.evaluate(CountingClassifier(), _batch(), days=(1, 2, 4, 8))
    out = ev_mod.write_report(ev, tmp_path / "report", title="hand-made", confusion_windows=[1, "full"])
    names = sorted(p.name for p in out.iterdir())
    for expected in ("report.md", "metrics.json", "f1_vs_days.png", "precision_vs_days.png",
                     "cm_leaf_full.png", "cm_leaf_1d.png", "cm_level1_full.png", "cm_level2_1d.png"):
        assert expected in names
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in out.glob("*.png"))
    data = json.loads((out / "metrics.json").read_text())
    assert data["results"]["1"]["leaf"]["f1"] == pytest.approx(5 / 9)
    assert data["results"]["full"]["leaf"]["per_class"]["RR Lyrae"]["support"] == 1
    md = (out / "report.md").read_text()
    assert "| leaf | 1.000 | n/a | n/a | 1.000 |" in md      # 8 d known; 64 and 1024 not evaluated
    assert "| 1 | 0.500 | 0.667 | 0.556 | 0.667 |" in md     # leaf table, d = 1
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temporary left behind


def test_no_labels_is_an_error():
    b = _batch()
    b.static = b.static.drop(["model"])
    with pytest.raises(ValueError, match="no labels"):
        ev_mod.evaluate(CountingClassifier(), b)


def test_chunked_prediction_gives_the_same_scores():
    whole = ev_mod.evaluate(CountingClassifier(), _batch(), days=(1, 8))
    chunked = ev_mod.evaluate(CountingClassifier(), _batch(), days=(1, 8), chunk_size=2)
    for w in (1, 8, "full"):
        for level in whole.levels:
            np.testing.assert_array_equal(whole.scores[w][level].confusion, chunked.scores[w][level].confusion)


def test_one_true_class_macro_over_the_truth(tmp_path, caplog):
    """All objects KN; one has 2 points, so the stand-in answers SNIa for it. Over the classes in the
    truth or the predictions the leaf macro-F1 would be (0.8 + 0) / 2; over the truth it is KN's 0.8."""
    n_pts = [3, 3, 2]
    m = sum(n_pts)
    t = np.concatenate([60000.0 + np.arange(k) for k in n_pts])
    flag = np.concatenate([[TRIG] + [DET] * (k - 1) for k in n_pts])
    b = LightCurveBatch.from_arrays(
        mjd=t, band=np.zeros(m, np.uint8), flux=np.full(m, 100.0, np.float32), flux_err=np.full(m, 5.0, np.float32),
        flag=flag, ids=np.array([1, 2, 3]), lengths=n_pts, static={"model": ["KN_K17"] * 3})
    with caplog.at_level("WARNING"):
        ev = ev_mod.evaluate(CountingClassifier(), b, days=(8,))
    assert "every object is of one class (KN)" in caplog.text
    assert ev.scores["full"]["leaf"].f1 == pytest.approx(0.8)
    assert ev.scores["full"]["leaf"].precision == pytest.approx(1.0)
    out = ev_mod.write_report(ev, tmp_path / "r", confusion_windows=[])
    assert "macro averages over classes in the truth (the set has one true class)" in (out / "report.md").read_text()
    assert "one true class" in json.loads((out / "metrics.json").read_text())["meta"]["macro_over"]
    assert ev_mod.evaluate(CountingClassifier(), _batch(), days=(8,)).meta["macro_over"].startswith(
        "classes in the truth or the predictions")
