"""Feature-based baselines: light-curve features, hierarchical balanced RF, LightGBM."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from elasticc_fast.baselines import FlatLightGBM, HierarchicalLightGBM, HierarchicalRandomForest, extract_features
from elasticc_fast.baselines.features import _increasing
from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.taxonomy.ztf import ALERCE_TREE, BTS_TREE, leaf_indices, top_level
from elasticc_fast.units import PHOTFLAG_DETECTION


@pytest.fixture(scope="module")
def alerce_features(shared_data):
    from elasticc_fast.io.alerce import safe_load_pickle
    X = safe_load_pickle(shared_data / "alerce" / "hbrf_15class_features.pkl")
    labels = safe_load_pickle(shared_data / "alerce" / "hbrf_15class_labels.pkl").loc[X.index, "classALeRCE"]
    return X, leaf_indices(labels)


def _cv_predict(make, X, y, folds=3):
    from sklearn.model_selection import StratifiedKFold
    pred = np.zeros(len(y), dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
            pred[te] = make().fit(X.iloc[tr], y[tr]).predict(X.iloc[te])
    return pred


def test_hierarchical_forest_learns_alerce_classes(alerce_features):
    X, y = alerce_features
    pred = _cv_predict(lambda: HierarchicalRandomForest(ALERCE_TREE, n_estimators=40), X, y)
    # 15 balanced classes (chance 0.07) and 3 top-level classes (majority 0.4), 100 training objects
    assert (pred == y).mean() > 0.2
    assert (top_level(ALERCE_TREE, pred) == top_level(ALERCE_TREE, y)).mean() > 0.6


@pytest.mark.parametrize("make", [lambda: FlatLightGBM(ALERCE_TREE, n_estimators=60),
                                  lambda: HierarchicalLightGBM(ALERCE_TREE, n_estimators=60)])
def test_lightgbm_learns_alerce_classes(alerce_features, make):
    X, y = alerce_features
    pred = _cv_predict(make, X, y)
    assert (pred == y).mean() > 0.2
    assert (top_level(ALERCE_TREE, pred) == top_level(ALERCE_TREE, y)).mean() > 0.6


@pytest.mark.parametrize("make", [lambda: HierarchicalRandomForest(ALERCE_TREE, n_estimators=30),
                                  lambda: HierarchicalLightGBM(ALERCE_TREE, n_estimators=30),
                                  lambda: FlatLightGBM(ALERCE_TREE, n_estimators=30)])
def test_probabilities_multiply_down_the_tree(alerce_features, make):
    X, y = alerce_features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make().fit(X.iloc[::2], y[::2])
    test = X.iloc[1::2]
    p = model.predict_proba(test)
    assert list(p.columns) == list(ALERCE_TREE.nodes) and (p.index == test.index).all()
    np.testing.assert_allclose(p["Alert"], 1.0)
    for level in ALERCE_TREE.levels()[1:]:
        np.testing.assert_allclose(p.iloc[:, list(level)].sum(axis=1), 1.0, atol=1e-9)
    out = model.predict_alerce(test)
    assert set(out) == {"probabilities", "top", "Transient", "Stochastic", "Periodic"}
    assert list(out["top"].columns) == ["Transient", "Stochastic", "Periodic"]
    np.testing.assert_allclose(out["probabilities"].sum(axis=1), 1.0, atol=1e-9)
    for branch in ("Transient", "Stochastic", "Periodic"):
        np.testing.assert_allclose(out[branch].sum(axis=1), 1.0, atol=1e-9)
        for leaf in out[branch].columns:  # P(leaf) = P(branch) x P(leaf | branch)
            np.testing.assert_allclose(out["probabilities"][leaf], out["top"][branch] * out[branch][leaf], atol=1e-9)
            np.testing.assert_allclose(p[leaf], out["probabilities"][leaf], atol=1e-9)
    np.testing.assert_array_equal(model.predict(test), np.asarray(ALERCE_TREE.leaves)[
        p.iloc[:, list(ALERCE_TREE.leaves)].to_numpy().argmax(axis=1)])


def test_labels_must_be_leaves(alerce_features):
    X, _ = alerce_features
    with pytest.raises(ValueError, match="not leaves"):
        HierarchicalRandomForest(ALERCE_TREE, n_estimators=5).fit(X, np.zeros(len(X), dtype=int))


# ---------------------------------------------------------------- features
def _toy_batch() -> LightCurveBatch:
    """Two objects: a 12-point rising-then-fading g/r curve and a single detection."""
    t = np.arange(12, dtype=np.float64) * 3.0
    flux = 100 * np.exp(-(t - 15) / 10) / (1 + np.exp(-(t - 15) / 3)) + 5
    band = np.tile([1, 2], 6).astype(np.uint8)
    mjd = np.concatenate([59000 + t, [59100.0]])
    return LightCurveBatch.from_arrays(
        mjd=mjd, band=np.concatenate([band, [1]]), flux=np.concatenate([flux, [50.0]]),
        flux_err=np.full(13, 2.0), flag=np.full(13, PHOTFLAG_DETECTION), ids=["a", "b"], lengths=[12, 1])


def test_features_per_band_and_colours():
    F = extract_features(_toy_batch())
    assert list(F.index) == ["a", "b"]
    for b in "gr":
        assert f"flux_bazin_fit_amplitude_{b}" in F and f"mag_amplitude_{b}" in F
    assert {"color_median_g_r", "color_max_g_r", "color_min_g_r", "n_detections", "time_span"} <= set(F.columns)
    assert F.loc["a", "flux_observation_count_g"] == 6 and F.loc["a", "n_detections"] == 12
    assert F.loc["a", "time_span"] == pytest.approx(33.0)
    # one point: no Bazin fit, no colour
    assert np.isnan(F.loc["b", "flux_bazin_fit_amplitude_g"]) and np.isnan(F.loc["b", "color_median_g_r"])
    assert F.loc["b", "flux_observation_count_r"] == 0
    # colour of medians equals the difference of the per-band median magnitudes
    assert F.loc["a", "color_median_g_r"] == pytest.approx(F.loc["a", "mag_median_g"] - F.loc["a", "mag_median_r"])


def test_feature_cuts():
    batch = _toy_batch()
    full = extract_features(batch)
    cut = extract_features(batch, max_days=10)
    assert cut.loc["a", "n_detections"] == 4            # t = 0, 3, 6, 9
    assert cut.loc["a", "time_span"] == pytest.approx(9.0)
    assert cut.loc["b", "n_detections"] == full.loc["b", "n_detections"] == 1


def test_repeated_epochs_are_made_increasing():
    t = _increasing(np.array([1.0, 1.0, 1.0, 2.0, 0.0, 0.0]), np.array([0, 0, 0, 0, 1, 1]))
    assert np.all(np.diff(t[:4]) > 0) and t[3] == 2.0
    assert t[4] == 0.0 and t[5] > 0.0          # each object on its own: nothing carried across the boundary


def _mixed_batch(n: int = 60, seed: int = 3) -> LightCurveBatch:
    """Curves over all six bands with repeated epochs, negative fluxes, non-detections, an object
    without a detection and objects missing bands."""
    rng = np.random.default_rng(seed)
    cols = {k: [] for k in ("mjd", "band", "flux", "flux_err", "flag")}
    lengths = []
    for i in range(n):
        m = int(rng.integers(1, 40))
        t = np.sort(np.round(rng.uniform(0, 120, m))) + 60000.0   # rounded: repeated epochs
        cols["mjd"].append(t)
        cols["band"].append(rng.integers(0, 6 if i % 3 else 2, m).astype(np.uint8))
        cols["flux"].append(rng.normal(200, 150, m))
        cols["flux_err"].append(rng.uniform(1, 30, m))
        flag = np.where(rng.random(m) < 0.8, PHOTFLAG_DETECTION, 0).astype(np.int32)
        cols["flag"].append(flag * (i != 5))
        lengths.append(m)
    return LightCurveBatch.from_arrays(**{k: np.concatenate(v) for k, v in cols.items()},
                                       ids=[f"o{i}" for i in range(n)], lengths=lengths)


@pytest.mark.parametrize("kwargs", [{}, {"max_days": 20.0}, {"detections_only": False}])
def test_batch_features_equal_each_object_extracted_alone(kwargs):
    """The per-band work runs on the whole batch's points at once: it must give, bit for bit, what
    each object gives on its own (nothing leaks between neighbouring objects)."""
    batch = _mixed_batch()
    bands = ("u", "g", "r", "i", "z", "Y")
    together = extract_features(batch, bands=bands, n_jobs=2, **kwargs)
    alone = pd.concat([extract_features(batch[i:i + 1], bands=bands, **kwargs) for i in range(len(batch))])
    pd.testing.assert_frame_equal(together, alone, check_exact=True)
    assert together.notna().to_numpy().mean() > 0.1                       # not a table of NaN
    assert together.loc["o5", "n_detections"] == 0 and np.isnan(together.loc["o5", "flux_bazin_fit_amplitude_r"])


def test_bts_subset_end_to_end(shared_data):
    from elasticc_fast.io.bts import bts_types, read_bts
    types = bts_types(shared_data / "ztf_bts")
    ids = list(types[types == "SN Ia"].index[:60]) + list(types[types.isin(["SN II", "SN IIP"])].index[:60])
    batch = read_bts(shared_data / "ztf_bts", ids=ids, progress=False)
    F = extract_features(batch)
    assert F.shape[0] == 120 and F.notna().mean().mean() > 0.8
    y = batch.labels
    pred = _cv_predict(lambda: FlatLightGBM(BTS_TREE, n_estimators=60), F, y)
    assert set(np.unique(pred)) <= {BTS_TREE.index("SN Ia"), BTS_TREE.index("SN II")} | set(BTS_TREE.leaves)
    assert (pred == y).mean() > 0.6   # two balanced classes: chance is 0.5
