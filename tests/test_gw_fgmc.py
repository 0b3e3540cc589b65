"""FGMC counts posterior and p_astro against p-astro 1.0.2 results on real inputs."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elasticc_fast.gw import fgmc

O3_START = 1238166018  # GPS start of O3, as in the reference's selection


@pytest.fixture(scope="module")
def fgmc_dir(shared_data):
    return shared_data / "gw" / "gstlal_fgmc"


@pytest.fixture(scope="module")
def reference(fgmc_dir):
    return json.loads((fgmc_dir / "reference_p_astro_1.0.2.json").read_text())


def test_gstlal_two_component(fgmc_dir, reference):
    ref = reference["gstlal_f_divby_b"]
    fb = np.loadtxt(fgmc_dir / "p_astro_test_data" / "f_divby_b.txt")
    assert fb.size == ref["n"] == 8822
    post = fgmc.fit_counts(fb, prior=ref["prior"], method="p-astro")
    means = post.mean_counts
    assert means["Astro"] == pytest.approx(ref["posterior_mean_counts"]["Astro"], rel=1e-9)
    assert means["Terrestrial"] == pytest.approx(ref["posterior_mean_counts"]["Terr"], rel=1e-9)
    rows = ref["p_astro_at_bayes_factor"]
    got = post.p_astro([r["bayes_factor"] for r in rows])
    np.testing.assert_allclose(got["Astro"], [r["p_astro"] for r in rows], rtol=1e-6)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-12)


def _spiir_o3(shared_data):
    df = pd.read_csv(shared_data / "gw" / "spiir" / "fgmc_data.csv")
    assert len(df) == 5367
    return df[df.end_time >= O3_START].reset_index(drop=True)


def test_spiir_snr_far_model(shared_data, reference):
    ref = reference["spiir_o3_triggers"]
    df = _spiir_o3(shared_data)
    assert len(df) == ref["n"]
    bf = fgmc.snr_far_bayes_factor(df.far, df.snr, ref["far_star_hz"], ref["snr_star"])
    first = pd.DataFrame(ref["p_astro_first_50"])
    assert (df.graceid.iloc[:50].to_numpy() == first.graceid.to_numpy()).all()
    np.testing.assert_allclose(bf[:50], first.bayes_factor, rtol=1e-12)
    post = fgmc.fit_counts(bf, method="p-astro")
    assert post.mean_counts["Astro"] == pytest.approx(ref["posterior_mean_counts"]["Astro"], rel=1e-9)
    assert post.mean_counts["Terrestrial"] == pytest.approx(ref["posterior_mean_counts"]["Terr"], rel=1e-9)
    np.testing.assert_allclose(post.p_astro()["Astro"].iloc[:50], first.p_astro, rtol=1e-6)


def test_exact_method_agrees_with_p_astro_where_its_grid_resolves(fgmc_dir, reference):
    ref = reference["gstlal_f_divby_b"]["posterior_mean_counts"]
    fb = np.loadtxt(fgmc_dir / "p_astro_test_data" / "f_divby_b.txt")
    exact = fgmc.fit_counts(fb, method="exact").mean_counts
    assert exact["Astro"] == pytest.approx(ref["Astro"], rel=1e-4)
    # p-astro's Gaussian stand-in for exp(-L) L**N has mean N, the Gamma posterior N + 1
    assert exact["Terrestrial"] - ref["Terr"] == pytest.approx(1.0, abs=0.05)
    assert exact["Astro"] + exact["Terrestrial"] == pytest.approx(fb.size + 2, rel=1e-12)


def test_fit_on_all_spiir_triggers(shared_data, reference, caplog):
    df = pd.read_csv(shared_data / "gw" / "spiir" / "fgmc_data.csv")
    assert len(df) == 5367
    bf = fgmc.snr_far_bayes_factor(df.far, df.snr, 3e-4, 8.5)
    post = fgmc.fit_counts(bf)
    means = post.mean_counts
    assert means["Astro"] + means["Terrestrial"] == pytest.approx(len(df) + 2, rel=1e-12)
    # p-astro's 20-node grid cannot hold this many signals: its mean is its largest node
    with caplog.at_level("WARNING", logger="elasticc_fast.gw.fgmc"):
        grid = fgmc.fit_counts(bf, method="p-astro").mean_counts["Astro"]
    assert "outermost Laguerre node" in caplog.text
    from scipy.special import roots_laguerre
    assert grid == pytest.approx(roots_laguerre(20)[0].max(), rel=1e-9)
    assert means["Astro"] > 20 * grid
    p = post.p_astro()["Astro"].to_numpy()
    assert np.all((p >= 0) & (p <= 1))
    order = np.argsort(bf)
    assert np.all(np.diff(p[order]) >= -1e-15)


def test_exact_method_matches_brute_force_grid():
    rng = np.random.default_rng(3)
    fb = np.concatenate([np.exp(rng.normal(-2, 1.5, 150)), rng.uniform(20, 200, 8)])
    post = fgmc.fit_counts(fb, method="exact")
    n = fb.size
    lam_a = np.linspace(1e-6, 40, 500)
    lam_t = np.linspace(n - 100, n + 100, 300)
    a, t = np.meshgrid(lam_a, lam_t, indexing="ij")
    logp = -a - t + n * np.log(t) + np.log1p((a / t)[..., None] * fb).sum(axis=-1)
    w = np.exp(logp - logp.max())
    w /= w.sum()
    assert post.mean_counts["Astro"] == pytest.approx((w * a).sum(), rel=1e-4)
    assert post.mean_counts["Terrestrial"] == pytest.approx((w * t).sum(), rel=1e-5)
    marg = post.p_astro_marginal()
    means = post.p_astro()
    assert np.all(np.abs(marg["Astro"] - means["Astro"]) < 0.05)


def test_multiclass_from_bayes_factor(reference):
    ref = reference["multiclass_from_bayes_factor"]
    rows = pd.DataFrame(ref["rows"])
    counts = dict(ref["mean_counts"], counts_Terrestrial=ref["counts_Terrestrial"])
    bf = fgmc.snr_far_bayes_factor(rows.far, rows.snr, ref["far_star_hz"], ref["snr_star"])
    np.testing.assert_allclose(bf, rows.bayes_factor, rtol=1e-12)
    got = fgmc.p_astro_from_counts(bf, counts, fgmc.hard_cut_weights(rows.mass1, rows.mass2), num_bins=3)
    cols = ["BNS", "NSBH", "BBH", "Terrestrial"]
    assert list(got.columns) == cols
    np.testing.assert_allclose(got[cols].to_numpy(), rows[cols].to_numpy(), rtol=1e-6, atol=1e-15)


def test_multicomponent_svd_bin_weights(fgmc_dir):
    """p-astro's own multi-class check: BBH p_astro of the last GstLAL trigger is 0.446."""
    d = fgmc_dir / "p_astro_test_data"
    _, svd = np.loadtxt(d / "zerolag_svd_bank_nums.txt", unpack=True)
    fb = np.loadtxt(d / "f_divby_b.txt")

    def weights(name):
        hits = np.genfromtxt(d / name, names=True)["hit_count"]
        return (hits / hits.sum())[svd.astype(int)]

    w = {c: weights(f"{c.lower()}_wellfound_hits.txt") for c in ("BNS", "NSBH", "BBH")}
    # a subset keeps the test quick; the last trigger (the loud BBH) is kept
    keep = np.r_[np.arange(0, fb.size - 1, 7), fb.size - 1]
    post = fgmc.fit_counts(fb, w, weights("background_hits.txt"), fixed={"Terrestrial": fb.size})
    assert post.mean_counts["Terrestrial"] == pytest.approx(fb.size)
    p = post.p_astro_marginal(keep)
    last = p.loc[fb.size - 1]
    assert last["BBH"] == pytest.approx(0.446, rel=1e-3)
    assert last["BNS"] == pytest.approx(0.0, abs=1e-12) and last["NSBH"] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(fb=st.lists(st.floats(0.0, 1e4), min_size=1, max_size=300),
       ratios=st.lists(st.floats(1e-8, 0.05), min_size=1, max_size=20))
def test_power_series_matches_direct_sum(fb, ratios):
    k, r = np.array(fb), np.array(ratios)
    direct = np.log1p(r[:, None] * k[None, :]).sum(axis=1)
    np.testing.assert_allclose(fgmc._log_sum_1p(r, k), direct, rtol=1e-12, atol=1e-300)


@settings(max_examples=25, deadline=None)
@given(n_classes=st.integers(1, 4), n_trig=st.integers(1, 200), seed=st.integers(0, 2**31),
       scale=st.floats(1e-6, 0.2))
def test_multiclass_series_matches_direct_sum(n_classes, n_trig, seed, scale):
    rng = np.random.default_rng(seed)
    y = rng.uniform(0, scale, (30, n_classes))
    v = np.exp(rng.normal(-1, 2.5, (n_classes, n_trig)))
    direct = np.log1p(y @ v).sum(axis=1)
    np.testing.assert_allclose(fgmc._log_sum_1p_multi(y, v), direct, rtol=1e-11, atol=1e-280)


def test_one_class_general_path_equals_fast_path():
    rng = np.random.default_rng(1)
    fb = np.exp(rng.normal(-3, 3, 500))
    fast = fgmc.fit_counts(fb, method="p-astro")
    general = fgmc.fit_counts(fb, {"Astro": np.ones(500)}, np.full(500, 1.0 + 1e-16), method="p-astro")
    assert fast.mean_counts["Astro"] == pytest.approx(general.mean_counts["Astro"], rel=1e-10)
    jeff = fgmc.fit_counts(fb, prior="jeffreys", method="p-astro")
    assert jeff.mean_counts["Astro"] < fast.mean_counts["Astro"]  # 1/sqrt(L) pulls counts down


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="indices"):
        fgmc.fit_counts([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="exact"):
        fgmc.fit_counts([1.0, 2.0], fixed={"Terrestrial": 2}, method="exact")
    with pytest.raises(ValueError, match="prior"):
        fgmc.fit_counts([1.0], prior="flat")
    with pytest.raises(ValueError, match="Terrestrial"):
        fgmc.p_astro_from_counts([1.0], {"BNS": 1.0})
