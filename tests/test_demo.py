"""A tiny end-to-end `elasticc-fast demo`: simulate, convert, train one epoch, evaluate."""
from __future__ import annotations

import json

import numpy as np
import pytest

from elasticc_fast.cli import main
from elasticc_fast.splits import split_per_class


def test_split_per_class_is_stratified_and_disjoint():
    labels = np.repeat([3, 5, 9], [10, 4, 2])
    train, test = split_per_class(labels, 0.3, 1, both_sides=True)
    assert np.intersect1d(train, test).size == 0
    assert np.union1d(train, test).tolist() == list(range(16))
    assert [int((labels[test] == c).sum()) for c in (3, 5, 9)] == [3, 1, 1]
    again = split_per_class(labels, 0.3, 1, both_sides=True)
    assert np.array_equal(again[1], test)
    # without both_sides: round(0.3 n) held out per class; the cap applies to the rest only;
    # unlabelled objects (-1) are in neither part
    rest, held = split_per_class(np.r_[labels, -1], 0.3, 1, max_per_class=2)
    assert 16 not in rest and 16 not in held
    assert [int((labels[rest] == c).sum()) for c in (3, 5, 9)] == [2, 2, 1]
    assert [int((labels[held] == c).sum()) for c in (3, 5, 9)] == [3, 1, 1]


@pytest.mark.slow
def test_tiny_demo_writes_model_and_report(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--objects-per-class", "6", "--epochs", "1", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert f"model:  {out / 'model'}  (1 epoch on 76 objects" in printed
    assert f"report: {out / 'report' / 'report.md'}" in printed
    assert "macro-F1 leaf" in printed and "macro-F1 level 1" in printed
    assert "LightGBM on light-curve features + ORACLE host/MW columns (same split), leaf: 8 d " in printed
    assert (out / "model" / "model.json").is_file() and (out / "model" / "params").is_dir()
    report = out / "report"
    for name in ("report.md", "metrics.json", "f1_vs_days.png", "cm_leaf_full.png", "cm_leaf_8d.png",
                 "cm_level1_64d.png", "cm_level2_1024d.png"):
        assert (report / name).is_file(), name
    data = json.loads((report / "metrics.json").read_text())
    # 6 objects of each of the 19 classes, 30 % (2 each) held out for the test
    assert data["n_objects"] == 38
    assert data["meta"]["demo"]["n_train"] == 19 * 4
    assert len(data["class_names"]["leaf"]) == 19
    assert set(data["results"]) == {str(2 ** k) for k in range(11)} | {"full"}
    for level in ("leaf", "level 1", "level 2"):
        f1 = data["results"]["full"][level]["f1"]
        assert 0.0 <= f1 <= 1.0
        assert sum(map(sum, data["results"]["full"][level]["confusion"])) == 38
    md = (report / "report.md").read_text()
    assert "| leaf |" in md and "Demo settings: objects_per_class 6, epochs 1," in md
    # the feature baseline, trained and tested on the same split, beside the deep model
    base = data["meta"]["lightgbm"]["leaf_macro_f1"]
    assert set(base) == set(data["results"]) and all(0.0 <= v <= 1.0 for v in base.values())
    assert data["meta"]["lightgbm"]["context"] == "oracle"
    assert "| LightGBM on light-curve features + ORACLE host/MW columns (same split) |" in md and "| hybrid (this model) |" in md
    # the model on disk is the one evaluated: reloading it and scoring the same held-out objects
    # reproduces the report's numbers
    from elasticc_fast import evaluate as ev_mod
    from elasticc_fast.classifier import Classifier
    from elasticc_fast.io.tables import load_batch
    from elasticc_fast.taxonomy import ORACLE_TREE

    clf = Classifier.load(out / "model")
    batch = load_batch(out / "parquet")
    leaves, _ = ev_mod.true_leaves(batch, ORACLE_TREE)
    _, test = split_per_class(leaves, 0.3, 3, both_sides=True)
    again = ev_mod.evaluate(clf, batch.take(test), days=(8, 64), leaves=leaves[test])
    for w in ("8", "64", "full"):
        for level in ("leaf", "level 1"):
            assert again.scores[int(w) if w != "full" else "full"][level].f1 == pytest.approx(
                data["results"][w][level]["f1"], abs=1e-9)
    # the evaluate verb on the demo's converted Parquet (labels from the `model` column)
    rep = tmp_path / "eval"
    assert main(["evaluate", str(out / "model"), str(out / "parquet"), "--out", str(rep),
                 "--days", "8,64", "--confusion", "headline"]) == 0
    full = json.loads((rep / "metrics.json").read_text())
    assert full["n_objects"] == 19 * 6 and full["days"] == [8, 64]
    assert sorted(p.name for p in rep.glob("cm_leaf_*.png")) == ["cm_leaf_64d.png", "cm_leaf_8d.png",
                                                                  "cm_leaf_full.png"]
