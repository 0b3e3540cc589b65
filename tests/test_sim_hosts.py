"""Host context of the LSST simulator against what the real ELAsTiCC2 files show (the inputs of the
ELAsTiCC hybrid's context branch): photo-z and their quoted errors, spec-z errors, host colours,
and the sky distribution of M-dwarf flares."""
from __future__ import annotations

import numpy as np

from elasticc_fast.sim import hosts


def _hosts(z, gentype=20, seed=0, model="default", specz="flat"):
    rng = np.random.default_rng(seed)
    n = len(z)
    return hosts.host_columns(rng, np.asarray(z, float), rng.uniform(0, 360, n), rng.uniform(-60, 0, n), gentype, model,
                              specz)


def test_photoz_close_to_truth_quoted_error_about_the_photoz_no_pile_up_at_zero():
    z = np.random.default_rng(1).uniform(0.05, 1.0, 20000)
    h = _hosts(z)
    matched = h["HOSTGAL_NMATCH"] == 1  # the unmatched ones (4 %) have no host photo-z: test_sim.py
    assert 0.03 < 1 - matched.mean() < 0.05
    h, z = {k: v[matched] for k, v in h.items()}, z[matched]
    zp, err = h["HOSTGAL_PHOTOZ"], h["HOSTGAL_PHOTOZ_ERR"]
    assert zp.min() >= 0.02 and np.mean(zp < 0.03) < 0.01          # the old model piled 15-29 % at 0.001
    ratio = err / zp
    assert np.mean((ratio > 0.8) & (ratio < 1.25)) > 0.95            # real: 0.9-1.1 (10-90 %)
    dz = np.abs(zp - z) / (1 + z)
    assert np.median(dz) < 0.08 and 0.08 < np.mean(dz > 0.15) < 0.35  # real KN / SN Ib/c hosts
    spec = h["HOSTGAL_SPECZ"] > 0
    assert set(np.unique(h["HOSTGAL_SPECZ_ERR"][spec])) == {5e-4, 1e-3}
    np.testing.assert_array_equal(h["REDSHIFT_HELIO_ERR"][~spec], err[~spec])
    q = np.stack([h[f"HOSTGAL_ZPHOT_Q{k:03d}"] for k in range(10, 100, 10)], axis=1)
    assert 0.8 < np.median((q[:, -1] - q[:, 0]) / err) < 1.1          # real 10-90 % width / error: 0.9-1.0


def test_host_colours_spread_redden_with_redshift_and_mass():
    rng = np.random.default_rng(2)
    def g_i(z, logmass):
        c = hosts.host_colours(rng, np.full(5000, z), np.full(5000, logmass))
        return c[:, 1] - c[:, 3]
    low, high = g_i(0.1, 10.0), g_i(0.45, 10.0)
    for c in (low, high):  # real 10-90 % ranges: 0.64-1.45 (z ~ 0.1), 1.10-2.18 (z ~ 0.45)
        assert np.quantile(c, 0.9) - np.quantile(c, 0.1) > 0.4
    assert np.median(high) > np.median(low) + 0.3
    assert np.median(g_i(0.2, 11.0)) > np.median(g_i(0.2, 9.0)) + 0.3


def test_flares_spread_far_from_the_galactic_plane():
    rng = np.random.default_rng(3)
    def abs_b(scale):
        ra, dec, _ = hosts.draw_positions(rng, 4000, True, latitude_scale=scale)
        return np.abs(hosts.galactic_latitude(ra, dec))
    flare, disc = abs_b(30.0), abs_b(10.0)
    assert 12 < np.median(flare) < 30 and 0.2 < np.mean(flare < 15) < 0.6  # real flares: 20 deg, 1/3
    assert np.median(disc) < 10


def test_host_size_and_offset_grow_with_stellar_mass():
    """r_e ~ M^0.22: at one redshift, hosts 1.5 dex apart in mass differ by 10^(0.33) in radius;
    KN hosts (mean log M 9.2) are smaller than SN Ib/c hosts (10.3) as in the real files (SQRADIUS
    median 17 vs 13 at lower redshift; the old mass-blind sizes gave the KN hosts 30)."""
    z = np.full(20000, 0.15)
    kn, ibc = _hosts(z, gentype=50, seed=3), _hosts(z, gentype=20, seed=3)
    assert np.median(kn["HOSTGAL_SQRADIUS"]) < 0.75 * np.median(ibc["HOSTGAL_SQRADIUS"])
    assert np.median(kn["HOSTGAL_SNSEP"]) < 0.85 * np.median(ibc["HOSTGAL_SNSEP"])
    m = ibc["HOSTGAL_LOGMASS"]
    r = np.sqrt(ibc["HOSTGAL_SQRADIUS"])
    ratio = np.median(r[(m > 10.9) & (m < 11.1)]) / np.median(r[(m > 9.4) & (m < 9.6)])
    assert 10 ** 0.33 / 1.15 < ratio < 10 ** 0.33 * 1.15


def test_lsst_milky_way_law_matches_the_real_sets_ztf_law_unchanged():
    """Same sky, both laws: the LSST one gives the real ELAsTiCC sets' MWEBV (median 0.034-0.038,
    90 % ~0.10 at high latitude), the ZTF one keeps its old values (0.018 at the pole, 40 % scatter)."""
    ra, dec = hosts.galactic_to_equatorial(np.random.default_rng(4).uniform(0, 360, 20000),
                                           np.random.default_rng(5).uniform(35, 75, 20000))
    lsst, _ = hosts.milky_way_ebv(np.random.default_rng(6), ra, dec, hosts.LSST_EBV)
    ztf, _ = hosts.milky_way_ebv(np.random.default_rng(6), ra, dec)
    assert hosts.ZTF_EBV == (0.018, 0.4)
    assert np.median(lsst) > 1.1 * np.median(ztf)
    assert np.quantile(lsst, 0.9) / np.median(lsst) > np.quantile(ztf, 0.9) / np.median(ztf)


def _absolute_r(h, z):
    from elasticc_fast.sim.lightcurves import distance_modulus
    ok = h["HOSTGAL_NMATCH"] == 1
    return (h["HOSTGAL_MAG_r"] - distance_modulus(z))[ok]


def test_library_hosts_of_nearby_transients_come_from_farther_away():
    """`--hosts library`: the real KN / SN Ib/c hosts at z < 0.1 have photo-z median 0.17 and look 2-3 mag
    fainter at the true z than those beyond 0.3 (SN Ib/c absolute r -16.7 / -19.6 at z 0.03 / 0.37); at
    their photo-z their absolute r is the same. A host beyond z 0.3 keeps its own redshift; the
    default hosts do not fade."""
    z_lib = hosts.library_redshift(np.random.default_rng(4), np.r_[np.full(5000, 0.03), np.full(5000, 0.6)])
    assert 0.13 < np.median(z_lib[:5000]) < 0.17 and 0.1 < np.quantile(z_lib[:5000], 0.1)
    np.testing.assert_array_equal(z_lib[5000:], 0.6)
    m, pz = {}, {}
    for model, z in [(model, z) for model in ("default", "library") for z in (0.03, 0.4, 0.6)]:
        h = _hosts(np.full(4000, z), seed=5, model=model)
        m[model, z] = np.median(_absolute_r(h, np.full(4000, z)))
        pz[model, z] = np.median(h["HOSTGAL_PHOTOZ"][h["HOSTGAL_NMATCH"] == 1])
    assert 2.3 < m["library", 0.03] - m["library", 0.4] < 3.7
    assert abs(m["default", 0.03] - m["default", 0.4]) < 0.5  # (0.3: the (1 + z) term)
    for model in ("default", "library"):
        assert -20.2 < m[model, 0.4] < -19.2  # the real SN Ib/c beyond z 0.3: -19.6
        assert abs(pz[model, 0.6] - 0.6) < 0.03
    assert 0.12 < pz["library", 0.03] < 0.2 and pz["default", 0.03] < 0.06


def test_nearby_specz_goes_to_nearby_objects_with_bright_hosts_the_rest_unchanged():
    """The real files' shares (sixth round): 100 % below z 0.05, 75 % at 0.05-0.1, 40 % at 0.15-0.2, 6 % at
    0.3-0.5; "flat" keeps 35 % everywhere; the other columns are the same draws either way."""
    z = np.repeat([0.03, 0.075, 0.175, 0.4], 5000)
    flat, near = _hosts(z, seed=3), _hosts(z, seed=3, specz="nearby")
    for h, lo, hi in ((flat, [0.32] * 4, [0.38] * 4), (near, [0.8, 0.6, 0.25, 0.03], [1.0, 0.95, 0.5, 0.12])):
        matched = h["HOSTGAL_NMATCH"] == 1  # unmatched hosts (4 %) have their columns blanked
        share = np.array([np.mean(h["HOSTGAL_SPECZ"][matched & (z == zi)] > 0) for zi in np.unique(z)])
        assert np.all((lo < share) & (share < hi)), share
    for name in ("HOSTGAL_MAG_r", "HOSTGAL_PHOTOZ", "HOSTGAL_NMATCH", "SIM_REDSHIFT_CMB"):
        np.testing.assert_array_equal(flat[name], near[name])
    spec = near["HOSTGAL_SPECZ"] > 0
    np.testing.assert_allclose(near["REDSHIFT_HELIO"][spec], z[spec], atol=1e-3)
    bright, faint = hosts.specz_share(np.full(2, 0.15), np.array([19.0, 23.0]))
    assert bright > faint + 0.15


def test_unknown_host_model_is_refused():
    import pytest

    from elasticc_fast.sim.models import SimModels

    with pytest.raises(ValueError, match="hosts must be one of default, library"):
        _hosts([0.1], model="nearby")
    with pytest.raises(ValueError, match="kn must be one of default, round9, not 'x'"):
        SimModels(kn="x")
    with pytest.raises(ValueError, match="specz must be one of flat, nearby, not 'some'"):
        _hosts([0.1], specz="some")


def test_every_model_default_is_the_first_choice_everywhere():
    """SimModels' defaults are the first value of each CHOICES tuple, and simulate() and cadence.measure()
    default to the same (one place decides the simulator's default, e.g. the noise-free detection rule)."""
    import inspect

    from elasticc_fast.sim import cadence, simulate
    from elasticc_fast.sim.models import CHOICES, SimModels

    assert SimModels().as_dict() == {name: allowed[0] for name, allowed in CHOICES.items()}
    assert SimModels().detection == "noise-free"
    params = inspect.signature(simulate).parameters
    assert {name: params[name].default for name in CHOICES} == SimModels().as_dict()
    assert inspect.signature(cadence.measure).parameters["detection"].default == SimModels().detection
