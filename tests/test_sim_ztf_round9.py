"""The opt-in ZTF survey model ``round9`` (``simulate --survey ztf --ztf-survey round9``): ZTF's cadence by
era and alerts on the background noise, within the bounds stated in ``sim/ztf_survey.py``; deterministic,
independent of the workers, reachable from the CLI; the default (round8) is untouched by it."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.sim import ztf_survey as zs
from elasticc_fast.sim.ztf import read_ztf_sim, simulate_ztf
from elasticc_fast.units import PHOTFLAG_DETECTION

KW = dict(objects_per_class=40, seed=7, classes=["SN Ia", "SN II"], photometry="detections", i_share=0.0)


@pytest.fixture(scope="module")
def pair():
    return simulate_ztf(**KW), simulate_ztf(**KW, survey="round9")


def _era_gaps(lib: zs.ZtfLibrary) -> list[np.ndarray]:
    """Gaps (days) between a field's observed nights within a season, per era of :data:`zs.ERAS`."""
    per_era = [[] for _ in zs.ERAS]
    for k in range(lib.size):
        nights = np.unique(np.floor(lib.mjd[lib.offsets[k]:lib.offsets[k + 1]]))
        gap, at = np.diff(nights), nights[1:]
        era = np.searchsorted([e[0] for e in zs.ERAS], at, side="right") - 1
        for i in range(len(zs.ERAS)):
            per_era[i].append(gap[(gap < 60) & (era == i)])
    return [np.concatenate(g) for g in per_era]


def test_cadence_by_era():
    """round8: every night with probability 0.45 (mean gap 2.35 d in every era); round9: ZTF's 3-night
    cadence in 2018-19 (mean 3.0 d, half of the gaps exactly 3) and 2 nights from 2020 (mean 2.2-2.8 d)."""
    old = _era_gaps(zs.build_ztf_library(np.random.default_rng(1), n_fields=60))
    new = _era_gaps(zs.build_ztf_library(np.random.default_rng(1), n_fields=60, survey="round9"))
    assert all(2.2 < g.mean() < 2.5 for g in old)
    assert 2.85 < new[0].mean() < 3.2 and 0.4 < np.mean(new[0] == 3) < 0.55 and np.mean(new[0] == 1) < 0.25
    for g in new[1:]:
        assert 2.1 < g.mean() < 2.95 and 0.4 < np.mean(g == 2) < 0.55
    with pytest.raises(ValueError, match="ZTF survey must be one of"):
        zs.build_ztf_library(np.random.default_rng(1), n_fields=2, survey="round7")


def test_alerts_on_the_background_noise():
    """Alerts are 5 sigma above the background noise: a faint source passes where its quoted error
    (background plus its own photon noise) puts it below S/N 5; round8 asks S/N >= 5 on the quoted error."""
    flux, err, lim = np.array([10.0, 10.0, 4.0]), np.array([2.2, 2.2, 0.9]), np.array([1.9, 1.9, 0.9])
    np.testing.assert_array_equal(zs.alerts_of(flux, err, lim), [False, False, False])
    np.testing.assert_array_equal(zs.alerts_of(flux, err, lim, "round9"), [True, True, False])
    with pytest.raises(ValueError, match="ZTF survey must be one of"):
        zs.alerts_of(flux, err, lim, "v9")


def test_round9_detections_reach_fainter_like_the_real_ones(pair):
    """Real BTS detections: 9.8 % quote S/N < 5 (1st percentile 3.3), 95th percentile magnitude 20.27;
    round8: none below 5 and 19.9; round9 within these bounds of the real values."""
    old, new = pair
    snr = {k: b.flux / b.flux_err for k, b in (("old", old), ("new", new))}
    mag95 = {k: np.percentile(23.9 - 2.5 * np.log10(b.flux), 95) for k, b in (("old", old), ("new", new))}
    assert np.all(new.flag == PHOTFLAG_DETECTION) and np.all(new.flux > 0)
    assert snr["old"].min() >= 5.0 and 0.03 < np.mean(snr["new"] < 5.0) < 0.16 and snr["new"].min() > 3.0
    assert mag95["new"] > mag95["old"] + 0.15 and 19.95 < mag95["new"] < 20.5
    assert np.all(new.static.column("peakmag").to_numpy() < 19.0)  # the BTS selection still holds


def test_round9_deterministic_independent_of_workers_and_from_the_cli(tmp_path, pair):
    from elasticc_fast.cli import main

    _, new = pair
    again = simulate_ztf(**KW, survey="round9", workers=2)
    for k in ("mjd", "band", "flux", "flux_err", "flag", "offsets", "labels"):
        np.testing.assert_array_equal(getattr(new, k), getattr(again, k))
    assert main(["simulate", str(tmp_path), "--survey", "ztf", "--objects-per-class", "40", "--seed", "7",
                 "--classes", "SN Ia", "SN II", "--photometry", "detections", "--i-share", "0",
                 "--ztf-survey", "round9"]) == 0
    np.testing.assert_array_equal(read_ztf_sim(tmp_path).flux, new.flux)
    with pytest.raises(ValueError, match="ZTF survey must be one of"):
        simulate_ztf(**KW, survey="round10")


def test_rise_covered_needs_a_g_or_r_visit_below_half_the_peak_before_it():
    """Object 0 was seen at a tenth of its peak flux first; object 1 only from 80 % (found near peak at a
    season start); object 2 only in i below half; object 3 below half only after its peak."""
    from types import SimpleNamespace

    obj = np.repeat(np.arange(4), 3)
    mjd = np.tile([0.0, 3.0, 6.0], 4)
    band = np.array([1, 2, 1, 1, 2, 1, 3, 2, 1, 2, 1, 2], np.uint8)
    flux = np.array([10.0, 60, 100, 80, 95, 100, 10, 100, 90, 100, 90, 20])
    obs = SimpleNamespace(offsets=np.arange(0, 13, 3), obj=obj, mjd=mjd, band=band)
    phot = SimpleNamespace(flux=flux, alert=flux >= 50.0)
    np.testing.assert_array_equal(zs.rise_covered(obs, phot), [True, False, False, False])


def test_pretraining_takes_the_survey_model(monkeypatch):
    """``benchmark ztf-bts --ztf-survey round9`` reaches the pretraining simulation (default round8)."""
    import elasticc_fast.sim.ztf as ztf
    from elasticc_fast.benchmarks import bts_pretrain
    from elasticc_fast.benchmarks.bts_cli import register_cli

    seen = []
    real = ztf.simulate_ztf
    monkeypatch.setattr(ztf, "simulate_ztf", lambda *a, **kw: seen.append(kw["survey"]) or real(*a, **kw))
    assert bts_pretrain.PRETRAIN_DEFAULTS["ztf_survey"] == "round8"
    bts_pretrain.simulate_pretraining(10, seed=1, survey="round9")
    bts_pretrain.simulate_pretraining(10, seed=1)
    assert seen == ["round9", "round8"]
    import argparse

    sub = argparse.ArgumentParser().add_subparsers(dest="which")
    register_cli(sub)
    parser = sub.choices["ztf-bts"]
    assert parser.parse_args(["--ztf-survey", "round9"]).ztf_survey == "round9"
    assert parser.parse_args([]).ztf_survey is None
