"""Mass-contour source classification: PyCBC 2.11.0 reproduction, distance-model fits, and a
slow quadrature twin on random inputs."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from elasticc_fast.gw import cosmology
from elasticc_fast.gw import mass_contour as mcm


@pytest.fixture(scope="module")
def pycbc_dir(shared_data):
    return shared_data / "gw" / "pycbc_live_o3a"


def test_reproduces_pycbc_2_11_every_row(pycbc_dir):
    ref = pd.read_csv(pycbc_dir / "reference_pycbc_2.11.0_mchirp_area.csv")
    assert len(ref) == 216
    for _, g in ref.groupby("config", sort=False):
        r = g.iloc[0]
        got = mcm.source_probabilities(
            g.mchirp_det.to_numpy(), g.min_eff_distance.to_numpy(), g.snr.to_numpy(),
            a0=r.a0, b0=r.b0, b1=r.b1, mass_gap=bool(r.mass_gap),
            cosmology="lal" if r.lal_cosmology else "planck15")
        cols = ["BNS", "NSBH", "BBH"] + (["MassGap"] if r.mass_gap else [])
        assert list(got.columns) == cols
        np.testing.assert_allclose(got[cols].to_numpy(), g[cols].to_numpy(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(got.sum(axis=1), 1.0, atol=1e-12)


def _events(pycbc_dir):
    events = [json.loads(p.read_text()) for p in sorted((pycbc_dir / "event_data").glob("G*.json"))]
    assert len(events) == 22
    return events


def test_refit_pycbc_coefficients(pycbc_dir):
    ev = _events(pycbc_dir)
    # per-detector columns (NaN where a detector is absent): the fit takes the smallest
    dets = ["H1", "L1", "V1"]
    deff = np.array([[e["eff_dist"].get(d, np.nan) for d in dets] for e in ev])
    a0, b0, b1 = mcm.fit_distance_model(deff, [e["coinc_snr"] for e in ev],
                                        [e["bay_dist"] for e in ev], [e["bay_std"] for e in ev])
    want_a0 = float((pycbc_dir / "distance_estimation_coeff.txt").read_text().split()[0])
    want_b1, want_b0 = np.loadtxt(pycbc_dir / "dist_std_est_coeff.txt")
    assert a0 == pytest.approx(want_a0, rel=1e-12)
    assert b0 == pytest.approx(want_b0, rel=1e-9)
    assert b1 == pytest.approx(want_b1, rel=1e-9)


def test_fit_spiir_distance_model(shared_data):
    df = pd.read_csv(shared_data / "gw" / "spiir" / "mchirp_area_train_data.csv")
    a0, b0, b1 = mcm.fit_distance_model(df.min_dist, df.cohsnr, df.bay_dist, df.bay_std)
    # the definition, recomputed independently: mean ratio and a least-squares line
    assert a0 == pytest.approx(np.mean(df.bay_dist / df.min_dist), rel=1e-12)
    y = np.log(df.bay_std / (a0 * df.min_dist))
    x = np.log(df.cohsnr)
    slope = np.cov(x, y, bias=True)[0, 1] / np.var(x)
    assert b1 == pytest.approx(slope, rel=1e-9)
    assert b0 == pytest.approx(y.mean() - slope * x.mean(), rel=1e-9)
    # luminosity distance below the smallest effective distance, as for PyCBC (a0 = 0.749)
    assert 0.5 < a0 < 1.0
    # the fitted model used as such: SPIIR's own training events classify without NaNs
    p = mcm.source_probabilities(df.mchirp, df.min_dist, df.cohsnr, a0=a0, b0=b0, b1=b1)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def test_redshift_table_matches_astropy():
    import astropy.units as u
    from astropy.cosmology import z_at_value

    for name in cosmology.COSMOLOGIES:
        cos = cosmology.get_cosmology(name)
        z = np.array([1e-4, 0.01, 0.2, 1.0, 3.0, 10.0])
        d = cos.luminosity_distance(z).to_value("Mpc")
        np.testing.assert_allclose(cosmology.redshift_from_distance(d, name), z, rtol=1e-9)
        assert float(cosmology.redshift_from_distance(800.0, name)) == pytest.approx(
            z_at_value(cos.luminosity_distance, 800 * u.Mpc).value, rel=1e-7)
    assert cosmology.redshift_from_distance(-5.0)[()] == 0.0
    with pytest.raises(ValueError, match="unknown cosmology"):
        cosmology.get_cosmology("WMAP1")


def _slow_area(mc_lo, mc_hi, upper, lower, left, right):
    """PyCBC's get_area written plainly: numpy.roots per point, scipy quad per integral."""
    def other(mc, m):
        a = mc ** 5 / m ** 3
        roots = np.roots([1, 0, -a, -a * m])
        real = roots[np.abs(roots.imag) < 1e-9 * np.abs(roots).max()].real
        return real.max()

    if upper == "diagonal":
        hi1, lo1, sup = 2 ** 0.2 * mc_hi, 2 ** 0.2 * mc_lo, (lambda x: x)
    else:
        hi1, lo1, sup = other(mc_hi, upper), other(mc_lo, upper), (lambda x: upper)
    hi2, lo2 = other(mc_hi, lower), other(mc_lo, lower)
    hi1, hi2, lo1, lo2 = (float(np.clip(v, left, right)) for v in (hi1, hi2, lo1, lo2))
    i_hi = quad(lambda x: other(mc_hi, x), hi1, hi2, epsabs=1e-12, epsrel=1e-12)[0]
    i_lo = quad(lambda x: other(mc_lo, x), lo1, lo2, epsabs=1e-12, epsrel=1e-12)[0]
    return i_hi + quad(sup, lo1, hi1)[0] - i_lo - quad(lambda x: lower, lo2, hi2)[0]


@settings(max_examples=40, deadline=None)
@given(mc=st.floats(0.6, 40.0), rel=st.floats(0.001, 0.4),
       region=st.sampled_from([("diagonal", 1.0, 1.0, 3.0), (3.0, 1.0, 3.0, 45.0),
                               ("diagonal", 3.0, 3.0, 45.0), (5.0, 3.0, 5.0, 45.0),
                               ("diagonal", 5.0, 5.0, 45.0), (3.0, 1.0, 3.0, 5.0)]))
def test_closed_form_area_matches_quadrature(mc, rel, region):
    lo, hi = mc * (1 - rel), mc * (1 + rel)
    fast = mcm.region_area(np.array([lo]), np.array([hi]), *region)[0]
    slow = _slow_area(lo, hi, *region)
    assert fast == pytest.approx(slow, rel=1e-7, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(mc=st.floats(0.1, 100.0), m=st.floats(0.5, 100.0))
def test_other_component_is_the_chirp_mass_partner(mc, m):
    m2 = mcm.other_component(np.array([mc]), m)[0]
    assert m2 > 0
    assert (m * m2) ** 0.6 / (m + m2) ** 0.2 == pytest.approx(mc, rel=1e-10)


def test_vectorised_edges_and_shapes():
    # far above / below the plane's chirp-mass range: certain BBH / BNS
    p = mcm.source_probabilities([80.0, 0.5, 8.0], [100.0, 100.0, 900.0], [12.0, 12.0, 12.0])
    assert p.loc[0, "BBH"] == 1.0 and p.loc[1, "BNS"] == 1.0
    assert p.loc[2].sum() == pytest.approx(1.0)
    # (n, detectors) effective distances: the smallest positive one per trigger is used
    two = mcm.source_probabilities([2.0], [[np.nan, 400.0, 0.0]], [10.0])
    one = mcm.source_probabilities([2.0], [400.0], [10.0])
    pd.testing.assert_frame_equal(two, one)
    nan = mcm.source_probabilities([np.nan, 3.0], [100.0, 100.0], [10.0, 10.0])
    assert nan.loc[0].isna().all() and nan.loc[1].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one row per trigger"):
        mcm.source_probabilities([1.0, 2.0], [100.0], [10.0, 11.0])
