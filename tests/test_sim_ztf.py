"""The ZTF survey of the simulator: deterministic, independent of the number of workers; cadence,
depth, noise, alerts and the BTS selection within the bounds stated in ``sim/ztf_survey.py``;
statistics close to the real BTS light curves; Parquet round trip and CLI."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.sim import ztf_survey as zs
from elasticc_fast.sim.ztf import ZTF_CLASSES, read_ztf_sim, simulate_ztf, write_ztf_sim
from elasticc_fast.taxonomy.ztf import BTS_TREE
from elasticc_fast.units import PHOTFLAG_DETECTION

CLASSES = ["SN Ia", "SN II", "SLSN-I", "CV", "TDE"]


@pytest.fixture(scope="module")
def alerts():
    return simulate_ztf(60, seed=5, classes=CLASSES)


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in
               ("mjd", "band", "flux", "flux_err", "flag", "offsets", "labels")) \
        and a.static.to_pandas().equals(b.static.to_pandas())  # pandas: NaN equals NaN


def test_deterministic_and_independent_of_workers(alerts):
    again = simulate_ztf(60, seed=5, classes=CLASSES, workers=2)
    assert _same(alerts, again)
    other = simulate_ztf(60, seed=6, classes=CLASSES)
    assert not np.array_equal(alerts.flux[:100], other.flux[:100])


def test_labels_types_and_ids(alerts):
    types = alerts.static.column("bts_type").to_pylist()
    assert [types.count(c) for c in CLASSES] == [60] * len(CLASSES)
    leaves = alerts.static.column("class_name").to_pylist()
    for t, leaf, label in zip(types, leaves, alerts.labels, strict=True):
        if t == "TDE":  # no leaf in the BTS tree: set aside like read_bts(keep_unclassified=True)
            assert (leaf, label) == ("", -1)
        else:
            assert BTS_TREE.nodes[label] == leaf
    assert len(set(alerts.ids.tolist())) == len(alerts)


def test_cadence_and_depth_of_the_library():
    lib = zs.build_ztf_library(np.random.default_rng(1), n_fields=60)
    share = np.bincount(lib.band, minlength=4)[1:4] / lib.band.size
    np.testing.assert_allclose(share, [0.485, 0.485, 0.03], atol=0.02)
    for band, depth in zs.DEPTH.items():  # median depth within 0.25 mag (the Moon brightens the sky)
        m = lib.maglim[lib.band == band]
        assert depth - 0.3 < np.median(m) < depth + 0.05 and 0.25 < np.std(m) < 0.55
    gaps, per_night = [], []
    for k in range(lib.size):
        t = lib.mjd[lib.offsets[k]:lib.offsets[k + 1]]
        nights, counts = np.unique(np.floor(t), return_counts=True)
        d = np.diff(nights)
        gaps.append(d[d < 60])  # within a season
        per_night.append(counts)
    gaps, per_night = np.concatenate(gaps), np.concatenate(per_night)
    assert np.median(gaps) == 2 and 4 <= np.percentile(gaps, 90) <= 8
    assert np.mean(per_night == 1) == pytest.approx(0.45, abs=0.03)
    assert lib.mjd.min() >= zs.SURVEY_START and lib.mjd.max() < zs.SURVEY_END + 1


def test_noise_matches_the_real_magnitude_errors():
    """Median alert magnitude errors of the real BTS curves at 16, 18, 20 mag: 0.034, 0.073, 0.209
    (at the library's median depth, 20.25; the real medians also mix in worse nights)."""
    mags = np.array([16.0, 18.0, 20.0])
    flux = 10 ** (-0.4 * (mags - 23.9))
    mag_err = 1.0857 * zs.noise_sigma(np.full(3, 20.25), flux) / flux
    np.testing.assert_allclose(mag_err, [0.034, 0.073, 0.209], rtol=0.2)


def test_alerts_and_upper_limits(alerts):
    det = alerts.flag == PHOTFLAG_DETECTION
    assert np.all(alerts.flux[det] >= 5 * alerts.flux_err[det])  # 5-sigma alerts
    assert np.all(alerts.flux[~det] == 0) and np.all(alerts.flux_err[~det] > 0)
    obj = np.repeat(np.arange(len(alerts)), alerts.lengths)
    for i in np.flatnonzero(~det)[:500]:  # each limit precedes an alert of its object by <= 30 days
        later = det & (obj == obj[i]) & (alerts.mjd >= alerts.mjd[i])
        assert later.any() and alerts.mjd[later].min() - alerts.mjd[i] <= zs.HISTORY_DAYS


def test_bts_selection(alerts):
    det = alerts.flag == PHOTFLAG_DETECTION
    obj = np.repeat(np.arange(len(alerts)), alerts.lengths)
    assert np.all(np.bincount(obj[det], minlength=len(alerts)) >= 2)
    gr = det & (alerts.band != zs.I)
    mag = 23.9 - 2.5 * np.log10(np.where(gr, alerts.flux, 1.0))
    peak = np.full(len(alerts), np.inf)
    np.minimum.at(peak, obj[gr], mag[gr])
    np.testing.assert_allclose(peak, alerts.static.column("peakmag").to_numpy(), rtol=1e-6)
    assert peak.max() < 19.0
    # complete to 18.5, half of 18.5-19: for a Euclidean population about 2/3 peak brighter than 18.5
    assert 0.55 < np.mean(peak < 18.5) < 0.85


def test_photometry_modes():
    kw = dict(objects_per_class=15, seed=2, classes=["SN Ic", "nova"])
    dets, forced = simulate_ztf(photometry="detections", **kw), simulate_ztf(photometry="forced", **kw)
    assert np.all(dets.flag == PHOTFLAG_DETECTION)
    assert np.array_equal(dets.ids, forced.ids) and forced.n_obs > dets.n_obs
    f_det = forced.flag == PHOTFLAG_DETECTION
    np.testing.assert_array_equal(forced.flux[f_det], dets.flux)  # the same alerts, plus forced points
    assert np.any(forced.flux[~f_det] != 0)
    with pytest.raises(ValueError, match="photometry"):
        simulate_ztf(photometry="all", **kw)


def test_magnitude_limited_redshifts(alerts):
    """Brighter classes reach further: SLSN-I median z several times that of SN II."""
    types = np.array(alerts.static.column("bts_type").to_pylist())
    z = alerts.static.column("redshift").to_numpy()
    assert 3 * np.median(z[types == "SN II"]) < np.median(z[types == "SLSN-I"])
    assert 0.03 < np.median(z[types == "SN Ia"]) < 0.1 and np.all(z[types == "CV"] == 0)


def test_close_to_the_real_bts_curves(shared_data):
    from elasticc_fast.io.bts import read_bts

    real = read_bts(shared_data / "ztf_bts", progress=False)
    sim = simulate_ztf(120, seed=3, classes=["SN Ia", "SN II", "SN Ic", "SN IIn"], photometry="detections",
                       i_share=0.0)
    for b in (real, sim):
        mag = 23.9 - 2.5 * np.log10(b.flux)
        err = 1.0857 * b.flux_err / b.flux
        b.summary = (np.mean(b.band == 1), np.median(err[(mag > 18.8) & (mag < 19.2)]))
    g_real, e_real = real.summary
    g_sim, e_sim = sim.summary
    assert abs(g_sim - g_real) < 0.06 and e_sim == pytest.approx(e_real, rel=0.2)
    real_leaf = np.asarray(real.static.column("class_name").to_pylist())
    sim_type = np.asarray(sim.static.column("bts_type").to_pylist())
    for leaf, typ in (("SN Ia", "SN Ia"), ("SN II", "SN II"), ("SN Ib/c", "SN Ic")):  # alerts per object
        n_real, n_sim = np.median(real.lengths[real_leaf == leaf]), np.median(sim.lengths[sim_type == typ])
        assert n_real / 1.5 < n_sim < n_real * 1.5, (leaf, n_sim, n_real)  # real medians 24, 38, 22


def test_parquet_round_trip_and_cli(tmp_path, capsys):
    from elasticc_fast.cli import main

    batch = simulate_ztf(4, seed=1, classes=["SN Ia", "CV"])
    back = read_ztf_sim(write_ztf_sim(batch, tmp_path / "a"))
    assert _same(batch, back)
    assert main(["simulate", str(tmp_path / "b"), "--survey", "ztf", "--objects-per-class", "4", "--classes",
                 "SN Ia", "CV", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[-1].startswith("8 objects, ") and "CV " in printed
    assert _same(batch, read_ztf_sim(tmp_path / "b"))
    assert main(["simulate", str(tmp_path / "c"), "--survey", "ztf", "--classes", "SN Iz"]) == 1
    assert "unknown ZTF class 'SN Iz'" in capsys.readouterr().err
    assert main(["simulate", "unused", "--survey", "ztf", "--list-classes"]) == 0
    listed = capsys.readouterr().out
    assert all(c.leaf in listed for c in ZTF_CLASSES)
    with pytest.raises(ValueError, match="not a simulated ZTF"):
        read_ztf_sim(tmp_path / "nothing.parquet")
