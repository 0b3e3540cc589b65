"""Classifier end to end on small converter-format tables: fit, predict, save/load, CLI train."""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.classifier import Classifier
from elasticc_fast.static_features import ORACLE_STATIC_COLUMNS
from elasticc_fast.taxonomy import ORACLE_TREE as T

MODELS = ["SNIa-SALT3", "KN_K17", "EB", "CLAGN"]
SMALL = dict(epochs=2, batch_size=32, max_length=32, buckets=(32,), eval_batch_size=64, seed=1)


def toy_table(models=MODELS, n_per=12, seed=0) -> pa.Table:
    """Objects in the converter's layout (list columns, HEAD scalars, ``model``), one light-curve
    shape per model: a Gaussian bump whose width and height depend on the class."""
    rng = np.random.default_rng(seed)
    rows = {c: [] for c in ["SNID", "RA", "DEC", "model", "MJD", "BAND", "FLUXCAL", "FLUXCALERR", "PHOTFLAG",
                            *ORACLE_STATIC_COLUMNS]}
    snid = 1000
    for k, m in enumerate(models):
        for _ in range(n_per):
            n = int(rng.integers(15, 40))
            t = np.sort(rng.uniform(0, 120, n))
            f = (100 + 150 * k) * np.exp(-0.5 * ((t - 50) / (4 + 10 * k)) ** 2) + rng.normal(0, 5, n)
            flag = np.where(f > 25, 4096, 0)
            flag[np.argmax(f)] = 4096
            snid += 1
            rows["SNID"].append(snid)
            rows["RA"].append(float(rng.uniform(0, 360)))
            rows["DEC"].append(float(rng.uniform(-60, 0)))
            rows["model"].append(m)
            rows["MJD"].append((60000 + t).tolist())
            rows["BAND"].append(list(rng.choice(list("ugrizY"), n)))
            rows["FLUXCAL"].append(f.astype(np.float32).tolist())
            rows["FLUXCALERR"].append([5.0] * n)
            rows["PHOTFLAG"].append(flag.astype(np.int32).tolist())
            for c in ORACLE_STATIC_COLUMNS:
                rows[c].append(float(-9.0 if (c.startswith("HOSTGAL") and m == "EB") else rng.normal(0.1 * k, 0.05)))
    types = {"SNID": pa.int64(), "RA": pa.float64(), "DEC": pa.float64(), "model": pa.string(),
             "MJD": pa.list_(pa.float64()), "BAND": pa.list_(pa.string()), "FLUXCAL": pa.list_(pa.float32()),
             "FLUXCALERR": pa.list_(pa.float32()), "PHOTFLAG": pa.list_(pa.int32())}
    return pa.table({c: pa.array(v, types.get(c, pa.float32())) for c, v in rows.items()})


@pytest.fixture(scope="module")
def batch() -> LightCurveBatch:
    return LightCurveBatch.from_arrow(toy_table())


@pytest.fixture(scope="module")
def fitted(batch) -> Classifier:
    return Classifier(**SMALL).fit(batch, show_progress=False)


def test_labels_from_model_column(batch):
    clf = Classifier()
    leaves = clf.leaf_labels(batch)
    assert [T.nodes[i] for i in leaves[::12]] == ["SNIa", "KN", "EB", "AGN"]
    np.testing.assert_array_equal(clf.leaf_labels(batch, ["EB"] * len(batch)), T.index("EB"))
    with pytest.raises(ValueError, match="node indices"):
        clf.leaf_labels(batch, np.full(len(batch), 99))


def test_predict_proba_columns_and_sums(fitted, batch):
    p = fitted.predict_proba(batch)
    assert list(p.columns) == list(T.nodes)
    assert p.index.name == "object_id" and set(p.index) <= set(batch.ids.tolist()) and len(p) == len(batch)
    np.testing.assert_allclose(p["Alert"], 1.0, rtol=1e-6)
    np.testing.assert_allclose(p[[T.nodes[i] for i in T.leaves]].sum(axis=1), 1.0, rtol=1e-5)
    for level in T.levels()[1:3]:
        np.testing.assert_allclose(p[[T.nodes[i] for i in level]].sum(axis=1), 1.0, rtol=1e-5)
    pred = fitted.predict(batch)
    assert list(pred.columns) == ["leaf", "probability", "path"]
    assert set(pred["leaf"]) <= set(T.leaf_names)
    row = pred.iloc[0]
    assert row["path"].split(" > ")[-1] == row["leaf"] and row["path"].startswith("Alert > ")
    np.testing.assert_allclose(pred["probability"], p[[T.nodes[i] for i in T.leaves]].max(axis=1), rtol=1e-6)
    assert fitted.embed(batch).shape == (len(batch), 64)


def test_windows_give_one_row_per_window(fitted, batch):
    win = fitted.windows(batch, "days", days=(2.0, 64.0))
    p = fitted.predict_proba(win)
    assert len(p) == len(win.lengths) and p.index.name == "window"
    np.testing.assert_allclose(p[[T.nodes[i] for i in T.leaves]].sum(axis=1), 1.0, rtol=1e-5)
    # the full-curve window of an object gives the same probabilities as predict_proba(batch)
    full = fitted.windows(batch, "full")
    np.testing.assert_allclose(fitted.predict_proba(full).to_numpy(), fitted.predict_proba(batch).to_numpy(),
                               rtol=1e-6)


def test_save_load_round_trip(fitted, batch, tmp_path):
    fitted.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["tree"]["nodes"] == list(T.nodes) and meta["config"]["windows"]["max_length"] == 32
    loaded = Classifier.load(tmp_path / "m")
    assert loaded.tree == T and loaded.config == fitted.config
    a, b = fitted.predict_proba(batch), loaded.predict_proba(batch)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert a.index.equals(b.index)
    with pytest.raises(FileNotFoundError, match="model.json"):
        Classifier.load(tmp_path)


def test_unfitted_and_mismatched_inputs(fitted, batch):
    with pytest.raises(RuntimeError, match="not fitted"):
        Classifier().predict_proba(batch)
    other = fitted.windows(batch, "full", band_encoding="onehot")
    with pytest.raises(ValueError, match="Classifier.windows"):
        fitted.predict_proba(other)


def _n_params(model) -> int:
    import jax
    from flax import nnx

    return sum(int(x.size) for x in jax.tree_util.tree_leaves(nnx.state(model, nnx.Param)))


def test_cli_train(tmp_path, capsys):
    from elasticc_fast.cli import main

    table = toy_table(n_per=8, seed=5)
    src = tmp_path / "parquet"
    src.mkdir()
    for m in MODELS:
        pq.write_table(table.filter(pa.compute.equal(table["model"], m)), src / f"{m}.parquet")
    out = tmp_path / "model"
    # the default training (the demo's): the hybrid, 2 members, ugrizY features, ORACLE's host context
    assert main(["train", str(src), "--out", str(tmp_path / "hybrid"), "--epochs", "1"]) == 0
    hyb = Classifier.load(tmp_path / "hybrid")
    assert hyb.config.arch == "hybrid" and len(hyb._members) == 2 and hyb.config.context == "oracle"
    assert hyb.config.thin_nondetections == 0                         # no thinning by default
    assert "lc:mag_amplitude_Y" in hyb.static_names and "ctx:HOSTGAL_PHOTOZ" in hyb.static_names
    assert len(hyb.predict_proba(LightCurveBatch.from_arrow(table))) == len(table)
    # --no-light-curve: the same training without the light-curve branch (fewer parameters, same inputs)
    assert main(["train", str(src), "--out", str(tmp_path / "tabular"), "--epochs", "1", "--ensemble", "1",
                 "--no-light-curve", "--thin-nondetections", "0.8"]) == 0
    tab = Classifier.load(tmp_path / "tabular")
    assert tab.config.seq is False and tab.static_names == hyb.static_names and tab.config.thin_nondetections == 0.8
    assert _n_params(tab._members[0][0]) < _n_params(hyb._members[0][0])
    assert len(tab.predict_proba(LightCurveBatch.from_arrow(table))) == len(table)
    assert main(["train", str(src), "--out", str(tmp_path / "x"), "--arch", "gru", "--no-light-curve"]) == 2
    assert "--arch gru has no other" in capsys.readouterr().err
    assert main(["train", str(src), "--out", str(out), "--epochs", "1", "--max-length", "32",
                 "--batch-size", "32", "--seed", "2", "--arch", "gru"]) == 0
    clf = Classifier.load(out)
    assert (out / "training" / "config.json").is_file() and len(clf.history) == 1
    probs = clf.predict_proba(LightCurveBatch.from_arrow(table))
    assert len(probs) == len(table)
    assert main(["train", str(src), "--out", str(out), "--epochs", "1"]) == 2   # exists, no --resume
    capsys.readouterr()
    assert main(["train", str(src), "--out", str(out), "--epochs", "2", "--max-length", "32",
                 "--batch-size", "32", "--seed", "2", "--resume", "--arch", "gru"]) == 0
    printed = capsys.readouterr().out
    assert ": 1 epoch in " in printed and "(resumed at epoch 1; 2 in all)" in printed
    assert len(Classifier.load(out).history) == 2
    pq.write_table(pa.table({"model": ["SL-SNII"], "SNID": [1]}), src / "bad.parquet")
    capsys.readouterr()
    assert main(["train", str(src), "--out", str(tmp_path / "m2"), "--epochs", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"elasticc-fast train: error: {src}: ") and "strongly lensed" in err
