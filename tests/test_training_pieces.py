"""Training on imbalanced real light curves: balanced sampling, fresh views, hybrid inputs, context."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from elasticc_fast.baselines.features import extract_features
from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.context import context_frame, context_matrix
from elasticc_fast.nn.hybrid_inputs import POINT_FEATURES, hybrid_windows, point_features
from elasticc_fast.nn.sampling import balanced_epoch, class_rates, tempered_weights
from elasticc_fast.taxonomy.ztf import BTS_TREE
from elasticc_fast.units import PHOTFLAG_DETECTION
from elasticc_fast.views import ViewOptions, cut_batch, first_detection_mjd, random_views


def _toy_batch(n: int = 40, seed: int = 0) -> LightCurveBatch:
    """Curves of 5..60 points over up to 300 days, bands g/r, one non-detection before the first
    detection in every other object."""
    rng = np.random.default_rng(seed)
    cols = {k: [] for k in ("mjd", "band", "flux", "flux_err", "flag")}
    lengths = []
    for i in range(n):
        m = int(rng.integers(5, 60))
        t = np.sort(rng.uniform(0, 300, m)) + 59000.0
        flag = np.full(m, PHOTFLAG_DETECTION, np.int32)
        if i % 2:
            flag[0] = 0
        cols["mjd"].append(t)
        cols["band"].append(rng.integers(1, 3, m))
        cols["flux"].append(rng.uniform(50, 500, m))
        cols["flux_err"].append(rng.uniform(1, 20, m))
        cols["flag"].append(flag)
        lengths.append(m)
    static = {"object_id": [f"o{i}" for i in range(n)], "redshift": rng.uniform(0.01, 0.2, n),
              "b": rng.uniform(-90, 90, n), "A_V": rng.uniform(0, 1, n)}
    return LightCurveBatch.from_arrays(**{k: np.concatenate(v) for k, v in cols.items()},
                                       ids=np.array(static["object_id"]), lengths=lengths, static=static)


# ---------------------------------------------------------------------- sampler
def test_balanced_sampler_draws_classes_at_the_stated_rates():
    labels = np.array([0] * 900 + [1] * 90 + [2] * 10)
    rng = np.random.default_rng(0)
    for power, expect in ((0.0, [1 / 3] * 3), (1.0, [0.9, 0.09, 0.01]),
                          (0.5, np.sqrt([900, 90, 10]) / np.sqrt([900, 90, 10]).sum())):
        rates = class_rates(labels, power)
        np.testing.assert_allclose([rates[c] for c in (0, 1, 2)], expect, rtol=1e-12)
        idx = balanced_epoch(labels, rng, power, size=3000)
        got = np.bincount(labels[idx], minlength=3) / len(idx)
        np.testing.assert_allclose(got, expect, atol=1.5e-3)  # only the rounding of round(size * rate)
    # power 1 on an epoch of the natural size uses every object exactly once
    idx = balanced_epoch(labels, rng, 1.0)
    np.testing.assert_array_equal(np.sort(idx), np.arange(len(labels)))
    # a rare class is cycled through in whole passes: every member drawn 100 or 101 times
    idx = balanced_epoch(labels, rng, 0.0, size=3000)
    counts = np.bincount(idx[labels[idx] == 2], minlength=1000)[900 + 90:]
    assert counts.min() >= 99 and counts.max() <= 101


def test_tempered_weights_are_oracle_weights_to_a_power():
    leaves = np.array([4] * 80 + [2] * 5 + [3] * 15)
    full = BTS_TREE.class_weights(leaves)
    np.testing.assert_allclose(tempered_weights(BTS_TREE, leaves, 1.0), full, rtol=1e-6)
    np.testing.assert_allclose(tempered_weights(BTS_TREE, leaves, 0.5), np.sqrt(full), rtol=1e-6)


# ---------------------------------------------------------------------- views
def test_random_views_are_fresh_per_seed_and_deterministic():
    b = _toy_batch()
    v1, c1 = random_views(b, 1)
    v1b, c1b = random_views(b, 1)
    v2, c2 = random_views(b, 2)
    for name in ("mjd", "flux", "band", "offsets"):
        np.testing.assert_array_equal(getattr(v1, name), getattr(v1b, name))
    np.testing.assert_array_equal(c1, c1b)
    assert not np.array_equal(c1, c2)
    assert v1.n_obs != v2.n_obs or not np.array_equal(v1.flux, v2.flux)
    assert np.all((c1 >= 1.0) & (c1 <= 2.0 ** 11))
    assert list(v1.ids) == list(b.ids) and v1.static is b.static


def test_random_views_cut_noise_and_drop():
    b = _toy_batch(200)
    first = first_detection_mjd(b)
    views, cut = random_views(b, 5, ViewOptions(noise=True, drop=0.3))
    obj = np.repeat(np.arange(len(views)), views.lengths)
    assert np.all(views.mjd - first[obj] <= cut[obj])                 # nothing after the cut
    np.testing.assert_array_equal(first_detection_mjd(views), first)    # the first detection stays
    # every kept point is an original point (same time and error); flux moved by its own error
    full = cut_batch(b, cut)
    assert views.n_obs < 0.85 * full.n_obs                             # about 30 % of the later points dropped
    orig = {(o, t): (f, e) for o, t, f, e in zip(np.repeat(np.arange(len(b)), b.lengths), b.mjd, b.flux,
                                                  b.flux_err, strict=True)}
    z = np.array([(f - orig[(o, t)][0]) / orig[(o, t)][1] for o, t, f in zip(obj, views.mjd, views.flux, strict=True)])
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1                 # N(0, 1) in units of the error
    quiet, _ = random_views(b, 5, ViewOptions(noise=False, drop=0.0))
    np.testing.assert_array_equal(quiet.flux, cut_batch(b, cut).flux)



def test_full_share_views_keep_the_whole_curve_at_the_stated_rate():
    b = _toy_batch(400)
    base_views, base_cut = random_views(b, 9)
    same, same_cut = random_views(b, 9, ViewOptions(full_share=0.0))   # 0: the views of before, bit for bit
    np.testing.assert_array_equal(same_cut, base_cut)
    np.testing.assert_array_equal(same.flux, base_views.flux)
    views, cut = random_views(b, 9, ViewOptions(full_share=0.25, noise=False, drop=0.0))
    whole = np.isinf(cut)
    assert 0.18 < whole.mean() < 0.32                                   # 100 of 400 expected
    np.testing.assert_array_equal(views.lengths[whole], b.lengths[whole])  # every point of a whole view
    assert np.all(cut[~whole] <= 2.0 ** 11)
    everything, c = random_views(b, 9, ViewOptions(full_share=1.0, noise=False, drop=0.0))
    assert np.isinf(c).all() and everything.n_obs == b.n_obs
    with pytest.raises(ValueError, match="full_share"):
        ViewOptions(full_share=1.5)
    # the hybrid training passes TrainConfig.full_views on to its views
    from elasticc_fast.nn.config import TrainConfig
    from elasticc_fast.nn.train import hybrid_source

    assert hybrid_source(b, TrainConfig(arch="hybrid", full_views=0.25)).views.full_share == 0.25
    assert hybrid_source(b, TrainConfig(arch="hybrid")).views == ViewOptions()

def test_thinned_views_drop_only_non_detections_at_per_view_rates():
    b = _toy_batch(400)
    nondet = np.zeros(b.n_obs, bool)
    nondet[::3] = True                                # a third of the points undetected, first ones included
    b = b.take(np.arange(len(b)))
    b.flag[:] = np.where(nondet, 0, PHOTFLAG_DETECTION)
    plain, cut = random_views(b, 4, ViewOptions(noise=False, drop=0.0))
    same, same_cut = random_views(b, 4, ViewOptions(noise=False, drop=0.0, thin=0.0))  # 0: as before
    np.testing.assert_array_equal(same.mjd, plain.mjd)
    thin, thin_cut = random_views(b, 4, ViewOptions(noise=False, drop=0.0, thin=0.8))
    np.testing.assert_array_equal(thin_cut, cut)      # the same cuts
    det = lambda v: (v.flag & PHOTFLAG_DETECTION) != 0  # noqa: E731
    np.testing.assert_array_equal(thin.mjd[det(thin)], plain.mjd[det(plain)])  # every detection kept
    kept = (~det(thin)).sum() / (~det(plain)).sum()
    assert 0.52 < kept < 0.68                         # E[1 - U(0, 0.8)] = 0.6 of the non-detections
    count = lambda v: np.bincount(np.repeat(np.arange(len(b)), v.lengths)[~det(v)], minlength=len(b))  # noqa: E731
    many = count(plain) >= 15                          # about a hundred objects
    assert np.std(count(thin)[many] / count(plain)[many]) > 0.18  # one rate per view (a global one: < 0.13)
    with pytest.raises(ValueError, match="thin"):
        ViewOptions(thin=1.0)
    from elasticc_fast.nn.config import TrainConfig
    from elasticc_fast.nn.train import hybrid_source

    assert hybrid_source(b, TrainConfig(arch="hybrid", thin_nondetections=0.5)).views.thin == 0.5
    with pytest.raises(ValueError, match="thin_nondetections"):
        TrainConfig(arch="hybrid", thin_nondetections=1.0)


def test_cut_batch_keeps_what_the_feature_extractor_keeps():
    b = _toy_batch()
    cut = cut_batch(b, 16.0)
    pd.testing.assert_frame_equal(extract_features(cut), extract_features(b, max_days=16.0))
    # points before the first detection stay (non-detections); those after the cut go
    obj = np.repeat(np.arange(len(cut)), cut.lengths)
    assert np.all(cut.mjd - first_detection_mjd(b)[obj] <= 16.0)
    assert np.any(cut.mjd < first_detection_mjd(b)[obj])


# ---------------------------------------------------------------------- hybrid inputs
def test_hybrid_features_of_a_window_equal_the_extractors():
    b = _toy_batch()
    views, _ = random_views(b, 3)
    ctx = context_matrix(b.static, "redshift")
    w = hybrid_windows(views, ctx, ("redshift", "abs_b", "A_V"), max_length=32)
    feats = extract_features(views)
    lc = [i for i, n in enumerate(w.static_names) if n.startswith("lc:")]
    assert [w.static_names[i][3:] for i in lc] == list(feats.columns)
    np.testing.assert_allclose(np.sinh(w.static[:, lc].astype(np.float64)), feats.to_numpy(),
                               rtol=2e-6, atol=1e-30, equal_nan=True)
    # and on one window alone (object 7's view), the same values
    one = extract_features(views[7:8]).to_numpy()[0]
    np.testing.assert_allclose(np.sinh(w.static[7, lc].astype(np.float64)), one, rtol=2e-6, equal_nan=True)
    np.testing.assert_allclose(w.static[:, -3:], ctx, rtol=1e-6)
    assert w.static_names[-3:] == ["ctx:redshift", "ctx:abs_b", "ctx:A_V"]


def test_point_features_normalise_each_object_by_its_brightest_point():
    b = _toy_batch(10)
    x, lengths = point_features(b, max_length=20)
    np.testing.assert_array_equal(lengths, np.minimum(b.lengths, 20))
    fn = POINT_FEATURES.index("flux_norm")
    for i in range(len(b)):
        o = b.object(i)
        n = lengths[i]
        np.testing.assert_allclose(x[i, :n, fn], o["flux"][:n] / np.abs(o["flux"]).max(), rtol=1e-6)
        assert np.all(x[i, n:] == 0)


def test_context_is_redshift_abs_b_and_extinction():
    static = pa.table({"redshift": [0.05, None], "b": [-30.0, 12.0], "A_V": [0.1, 0.2]})
    f = context_frame(static, "redshift")
    assert list(f.columns) == ["redshift", "abs_b", "A_V"]
    np.testing.assert_allclose(f["abs_b"], [30.0, 12.0])
    assert np.isnan(f["redshift"][1])
    np.testing.assert_allclose(context_matrix(static, "redshift")[0], [np.log10(0.05), 30.0, 0.1], rtol=1e-6)
    assert context_matrix(static, "none").shape == (2, 0)
    with pytest.raises(ValueError, match="unknown context"):
        context_frame(static, "photoz")


def test_oracle_context_is_the_static_features_with_missing_as_nan():
    from elasticc_fast.static_features import ORACLE_STATIC_COLUMNS, static_matrix

    cols = {c: [0.5, -9.0] for c in ORACLE_STATIC_COLUMNS}   # -9: a SNANA sentinel (missing)
    static = pa.table({**cols, "RA": [10.0, 150.1], "DEC": [-44.0, 2.2]})
    m = context_matrix(static, "oracle")
    ref = static_matrix(static, ORACLE_STATIC_COLUMNS, flags=True, missing=-9.0)
    assert m.shape == ref.shape == (2, len(ORACLE_STATIC_COLUMNS) + 5)
    np.testing.assert_array_equal(np.where(np.isnan(m), -9.0, m), ref)
    assert np.isnan(m[1, :len(ORACLE_STATIC_COLUMNS)]).all() and not np.isnan(m[0]).any()
    assert list(context_frame(static, "oracle").columns)[:2] == ["MWEBV", "MWEBV_ERR"]


def test_feature_lightgbm_gets_the_context_columns_beside_the_features():
    """The demo's baseline row sees what the deep model sees: features + the ``oracle`` context."""
    from elasticc_fast.baselines.feature_classifier import FeatureLightGBM
    from elasticc_fast.static_features import ORACLE_STATIC_COLUMNS
    from elasticc_fast.taxonomy import ORACLE_TREE

    batch = _toy_batch(6)
    rng = np.random.default_rng(1)
    cols = {c: rng.uniform(0.1, 1.0, 6).tolist() for c in ORACLE_STATIC_COLUMNS}
    cols[ORACLE_STATIC_COLUMNS[0]][2] = -9.0   # a SNANA sentinel: NaN for LightGBM
    batch.static = pa.table({**cols, "RA": rng.uniform(0, 360, 6), "DEC": rng.uniform(-60, 0, 6)})
    plain = FeatureLightGBM(ORACLE_TREE, bands=("g", "r"), n_jobs=1).features(batch)
    both = FeatureLightGBM(ORACLE_TREE, bands=("g", "r"), n_jobs=1, context="oracle").features(batch)
    ctx = context_frame(batch.static, "oracle")
    assert list(both.columns) == list(plain.columns) + list(ctx.columns)
    pd.testing.assert_frame_equal(both[plain.columns], plain)
    np.testing.assert_array_equal(both[ctx.columns].to_numpy(), ctx.to_numpy())
    assert np.isnan(both[ORACLE_STATIC_COLUMNS[0]].iloc[2]) and list(both.index) == list(batch.ids)


def test_ensemble_members_share_the_time_limit():
    from elasticc_fast.classifier import _Budget

    ticks = iter([30.0, 100.0])
    b = _Budget(60.0)
    b.t0, b.clock = 0.0, lambda: next(ticks)
    assert b.share(2) == pytest.approx(15.0)      # 30 s used: half of the 30 s left each
    assert b.share(1) == 1.0                       # over the limit: one more epoch's chance only
    assert _Budget(None).share(3) is None


def test_hybrid_data_cache_and_pool_give_the_same_windows():
    from elasticc_fast.nn.hybrid_data import HybridData, draw_rank

    np.testing.assert_array_equal(draw_rank(np.array([5, 3, 5, 5, 3, 1])), [0, 0, 1, 2, 1, 0])
    b = _toy_batch(30)
    labels = np.array([4] * 20 + [2] * 6 + [3] * 4)
    pool = np.arange(0, 30, 2)
    plain = HybridData(b, labels, pool=pool, sampler_power=0.0)
    cached = HybridData(b, labels, pool=pool, sampler_power=0.0, cache={})
    for seed in (3, 4):
        w1, w2 = plain(seed), cached(seed)
        assert set(w1.source.tolist()) <= set(pool.tolist())
        np.testing.assert_array_equal(w1.source, w2.source)
        np.testing.assert_array_equal(w1.x, w2.x)
        np.testing.assert_allclose(w1.static, w2.static, equal_nan=True)
        np.testing.assert_array_equal(w1.labels, labels[w1.source])
    # an object drawn twice in an epoch gets two different views
    w = cached(5)
    twice = [s for s in np.unique(w.source) if (w.source == s).sum() > 1]
    assert twice
    rows = np.flatnonzero(w.source == twice[0])
    assert not np.array_equal(w.x[rows[0]], w.x[rows[1]])
    # a noise-only test view of a cut: the same through the cache, not the plain cut
    objs = np.array([1, 2, 3])
    np.testing.assert_array_equal(plain.cut(8.0, objs, view=3).x, cached.cut(8.0, objs, view=3).x)
    assert not np.array_equal(cached.cut(8.0, objs, view=3).x, cached.cut(8.0, objs).x)
    cut = cached.cuts([8.0, None], objects=np.array([1, 2]))
    np.testing.assert_array_equal(cut.source, [1, 2, 1, 2])
    np.testing.assert_array_equal(cut.days, [8.0, 8.0, np.inf, np.inf])
