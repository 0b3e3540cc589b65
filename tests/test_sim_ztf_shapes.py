"""The opt-in ZTF light-curve shapes ``round11`` (``simulate --survey ztf --ztf-shapes round11``): the
parameters move draw for draw into the stated ranges, the light curves move the way the real BTS objects
ask (SN Ib/c found earlier before their brightest point, SN II brightest early on the plateau), other
types are byte-identical, and the CLI reaches it."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.sim import params
from elasticc_fast.sim.ztf import get_ztf_class, read_ztf_sim, simulate_ztf

KW = dict(objects_per_class=60, seed=11, classes=["SN Ic", "SN IIP", "nova"], photometry="detections", i_share=0.0)


@pytest.fixture(scope="module")
def pair():
    return simulate_ztf(**KW), simulate_ztf(**KW, shapes="round11")


def _draws(leaf: str, model: str) -> dict:
    spec = get_ztf_class(leaf)
    extra = params.plateau_params if spec.family == "plateau" else params.rise_and_tail
    p = params.sample_transient(spec, np.random.default_rng(3), 4000, extra=extra)
    params.refit_ztf_shapes(leaf, p, model)
    return p


def test_parameters_move_draw_for_draw_into_the_stated_ranges():
    old, new = _draws("SN Ib", "round8"), _draws("SN Ib", "round11")
    assert 4.3 <= old["tau_rise"].min() and old["tau_rise"].max() <= 6.0
    assert 10.0 <= new["tau_rise"].min() and new["tau_rise"].max() <= 14.0
    assert np.corrcoef(old["tau_rise"], new["tau_rise"])[0, 1] > 0.999  # the same quantile of each draw
    np.testing.assert_array_equal(old["M"], new["M"])
    ia = _draws("SN Ia", "round11")
    assert abs(ia["M"].std() - 0.3) < 0.015 and abs(_draws("SN Ia", "round8")["M"].std() - 0.2) < 0.01
    ii = _draws("SN II", "round11")
    assert 25.0 <= ii["plateau_tau"].min() and ii["plateau_tau"].max() <= 80.0
    with pytest.raises(ValueError, match="ZTF shapes must be one of"):
        params.refit_ztf_shapes("SN Ib", old, "round10")


def _delay(batch, label_name: str) -> float:
    """Median days from the first detection to the brightest one, over the objects of one BTS type."""
    types = np.asarray(batch.static.column("bts_type").to_pylist())
    out = []
    for i in np.flatnonzero(types == label_name):
        s = slice(batch.offsets[i], batch.offsets[i] + batch.lengths[i])
        t, f = batch.mjd[s], batch.flux[s]
        out.append(t[np.argmax(f)] - t.min())
    return float(np.median(out))


def test_light_curves_move_towards_the_real_ones_and_other_types_stay(pair):
    """Real BTS medians (tools/ztf_survey_stats.py): SN Ib/c brightest 12 d after the first detection,
    SN II 13 d; round8 4 d and ~40 d."""
    old, new = pair
    assert _delay(old, "SN Ic") < 6.0 < 8.0 < _delay(new, "SN Ic")
    assert _delay(new, "SN IIP") < 25.0 < _delay(old, "SN IIP")
    keep = {b: np.asarray(b.static.column("bts_type").to_pylist()) == "nova" for b in (old, new)}
    for b in (old, new):
        assert keep[b].sum() == 60
    np.testing.assert_array_equal(old.take(np.flatnonzero(keep[old])).flux, new.take(np.flatnonzero(keep[new])).flux)


def test_round11_from_the_cli(tmp_path, pair):
    from elasticc_fast.cli import main

    assert main(["simulate", str(tmp_path), "--survey", "ztf", "--objects-per-class", "60", "--seed", "11",
                 "--classes", "SN Ic", "SN IIP", "nova", "--photometry", "detections", "--i-share", "0",
                 "--ztf-shapes", "round11"]) == 0
    np.testing.assert_array_equal(read_ztf_sim(tmp_path).flux, pair[1].flux)
    with pytest.raises(ValueError, match="ZTF shapes must be one of"):
        simulate_ztf(**KW, shapes="round10")
