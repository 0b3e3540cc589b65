"""Redshift augmentation of training light curves (elasticc_fast.redshifting, HybridData.redshift_share,
TrainConfig.redshift_augment, benchmark ztf-bts --redshift-augment)."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.nn.hybrid_data import HybridData
from elasticc_fast.redshifting import (
    RedshiftOptions,
    draw_redshifts,
    luminosity_distance,
    redshift_at_distance,
    redshift_batch,
    usable,
)
from elasticc_fast.units import PHOTFLAG_DETECTION

O = RedshiftOptions()


def _bell(n: int = 12, seed: int = 0, z_max: float = 0.15) -> LightCurveBatch:
    """Rise-and-fall curves (g/r, detections only) peaking at 40-400 uJy (16.6-19.9 mag), 10-60 points."""
    rng = np.random.default_rng(seed)
    cols = {k: [] for k in ("mjd", "band", "flux", "flux_err", "flag")}
    lengths = []
    for _ in range(n):
        m = int(rng.integers(10, 60))
        t = np.sort(rng.uniform(0, 120, m))
        peak, t0 = rng.uniform(40, 400), rng.uniform(15, 40)
        err = rng.uniform(3, 12, m)
        cols["mjd"].append(59000.0 + t)
        cols["band"].append(rng.integers(1, 3, m))
        cols["flux"].append(peak * np.exp(-0.5 * ((t - t0) / 20.0) ** 2) + 20 + err * rng.standard_normal(m))
        cols["flux_err"].append(err)
        cols["flag"].append(np.full(m, PHOTFLAG_DETECTION, np.int32))
        lengths.append(m)
    z = rng.uniform(0.02, z_max, n)
    static = {"object_id": [f"o{i}" for i in range(n)], "redshift": z, "b": rng.uniform(20, 90, n),
              "A_V": rng.uniform(0, 0.3, n)}
    return LightCurveBatch.from_arrays(**{k: np.concatenate(v) for k, v in cols.items()},
                                       ids=np.array(static["object_id"]), lengths=lengths, static=static)


def _z(batch: LightCurveBatch) -> np.ndarray:
    return np.asarray(batch.static.column("redshift").to_pylist(), np.float64)


def _obj(batch: LightCurveBatch, i: int):
    from types import SimpleNamespace

    return SimpleNamespace(**batch.object(i))


def _match(src, new, s: float) -> tuple[np.ndarray, float]:
    """(index in ``src`` of each point of ``new``, the time of the brightest point): the kept points
    are original points at their times stretched by ``s`` around it."""
    t_peak = src.mjd[int(np.argmax(src.flux))]
    stretched = t_peak + (src.mjd - t_peak) * s
    pos = np.searchsorted(stretched, new.mjd - 1e-7)
    np.testing.assert_allclose(stretched[pos], new.mjd, rtol=0, atol=1e-6)
    return pos, t_peak


def test_distance_table_is_astropys_planck15_and_inverts():
    from astropy.cosmology import Planck15

    z = np.array([0.002, 0.03, 0.1, 0.4, 2.0])
    np.testing.assert_allclose(luminosity_distance(z), Planck15.luminosity_distance(z).to_value("Mpc"), rtol=1e-5)
    np.testing.assert_allclose(redshift_at_distance(luminosity_distance(z)), z, rtol=1e-6)


def test_new_redshifts_respect_the_shift_the_selection_and_leave_unusable_ones():
    z = np.array([0.05, 0.05, 0.1, np.nan, 0.00017, 0.2])
    peak = np.array([1000.0, 144.0, 50.0, 100.0, 3000.0, 200.0])   # uJy; 18.5 mag is 144.5 uJy
    for seed in range(20):
        zn = draw_redshifts(z, peak, np.random.default_rng(seed), O)
        ok = usable(z, O)
        np.testing.assert_array_equal(ok, [True, True, True, False, False, True])
        assert np.isnan(zn[3]) and zn[4] == z[4]
        assert np.all(np.abs(np.log10(zn[ok] / z[ok])) <= O.max_shift_dex + 1e-12)
        scale = (luminosity_distance(z[ok]) / luminosity_distance(zn[ok])) ** 2
        # the brightest point stays brighter than 18.5 mag, or (already fainter) does not get fainter
        assert np.all(peak[ok] * scale >= np.minimum(O.flux_at(O.peak_mag), peak[ok]) * (1 - 1e-9))
    assert zn[2] <= z[2]   # already fainter than the selection: only closer


def test_a_farther_object_is_stretched_dimmed_noisier_and_loses_points_below_the_limit():
    b = _bell(40)
    z = _z(b)
    z_new = z * 1.6
    out = redshift_batch(b, z, z_new, seed=3)
    assert len(out) == len(b) and list(out.ids) == list(b.ids)
    s, a = (1 + z_new) / (1 + z), (luminosity_distance(z) / luminosity_distance(z_new)) ** 2
    lost, ratios = 0, []
    for i in range(len(b)):
        src, new = _obj(b, i), _obj(out, i)
        pos, t_peak = _match(src, new, s[i])
        np.testing.assert_allclose(new.flux_err, src.flux_err[pos], rtol=1e-6)   # the absolute error kept
        assert t_peak in new.mjd                                           # the brightest point stays
        others = new.mjd != t_peak
        snr_old = src.flux[pos] / src.flux_err[pos]
        assert np.all(new.flux[others] >= np.minimum(O.flux_at(O.mag_limit), src.flux[pos][others]) - 1e-3)
        assert np.all(new.flux[others] / new.flux_err[others] >= np.minimum(O.min_snr, snr_old[others]) - 1e-4)
        lost += len(src.mjd) - len(new.mjd)
        ratios.append(new.flux / (a[i] * src.flux[pos]))
    assert lost > 0
    assert 0.8 < np.median(np.concatenate(ratios)) < 1.3   # dimmed by a (noise added, faint points cut)


def test_a_closer_object_is_brighter_compressed_thinned_and_keeps_its_signal_to_noise():
    b = _bell(30, seed=1)
    z = _z(b)
    z_new = z / 1.8
    out = redshift_batch(b, z, z_new, seed=4)
    a = (luminosity_distance(z) / luminosity_distance(z_new)) ** 2
    assert np.all(a > 1)
    s = (1 + z_new) / (1 + z)
    for i in range(len(b)):
        src, new = _obj(b, i), _obj(out, i)
        pos, _ = _match(src, new, s[i])
        np.testing.assert_allclose(new.flux, a[i] * src.flux[pos], rtol=1e-5)   # only scaled, no noise added
        np.testing.assert_allclose(new.flux / new.flux_err, src.flux[pos] / src.flux_err[pos], rtol=1e-5)
        assert np.ptp(new.mjd) <= np.ptp(src.mjd) + 1e-6
    assert out.n_obs < b.n_obs                                           # thinned by s < 1


def test_unusable_or_unmoved_objects_are_untouched_and_draws_are_deterministic():
    b = _bell(10, seed=2)
    z = _z(b)
    z[[1, 4]] = [np.nan, 0.00017]
    z_new = z * 0.7
    z_new[7] = z[7]
    one, two, other = (redshift_batch(b, z, z_new, seed=s) for s in (5, 5, 6))
    for f in ("mjd", "flux", "flux_err", "band", "flag", "offsets"):
        np.testing.assert_array_equal(getattr(one, f), getattr(two, f))
    assert not np.array_equal(one.flux, other.flux) or not np.array_equal(one.offsets, other.offsets)
    for i in (1, 4, 7):
        for f in ("mjd", "flux", "flux_err", "band"):
            np.testing.assert_array_equal(one.object(i)[f], b.object(i)[f])


def test_hybrid_data_off_is_unchanged_moves_only_objects_with_a_redshift_and_moves_the_context():
    from elasticc_fast.context import context_columns, context_matrix

    b = _bell(24, seed=3)
    labels = np.array([4] * 12 + [5] * 8 + [2] * 4)
    z = _z(b)
    names = context_columns("redshift")
    ctx = context_matrix(b.static, "redshift")
    plain = HybridData(b, labels, ctx, names, sampler_power=None)
    off = HybridData(b, labels, ctx, names, sampler_power=None, redshift=z, redshift_share=0.0)
    z_some = np.where(np.arange(len(b)) % 3 == 0, z, np.nan)   # NaN: a test/validation object, never moved
    on = HybridData(b, labels, ctx, names, sampler_power=None, redshift=z_some, redshift_share=1.0)
    w0, w1, w2, w3 = plain(7), off(7), on(7), on(7)
    for f in ("x", "static", "source", "lengths"):
        np.testing.assert_array_equal(getattr(w0, f), getattr(w1, f))
        np.testing.assert_array_equal(getattr(w2, f), getattr(w3, f))   # deterministic for a seed
    by0, by2 = {s: r for r, s in enumerate(w0.source)}, {s: r for r, s in enumerate(w2.source)}
    zcol = names.index("redshift")
    lz = w2.static_names.index("ctx:redshift")
    for obj in range(len(b)):
        r0, r2 = by0[obj], by2[obj]
        if np.isnan(z_some[obj]):
            assert w2.lengths[r2] == w0.lengths[r0]   # (x is padded to the longest window of the epoch)
            np.testing.assert_array_equal(w2.x[r2, :w2.lengths[r2]], w0.x[r0, :w0.lengths[r0]])
            np.testing.assert_array_equal(w2.static[r2], w0.static[r0])
        else:
            assert not np.array_equal(w2.static[r2], w0.static[r0])
            assert w2.static[r2, lz] != pytest.approx(ctx[obj, zcol])
            assert abs(w2.static[r2, lz] - ctx[obj, zcol]) <= O.max_shift_dex + 1e-6
    # evaluation cuts are never augmented
    np.testing.assert_array_equal(on.cut(16.0).x, plain.cut(16.0).x)
    with pytest.raises(ValueError, match="one redshift per object"):
        HybridData(b, labels, redshift_share=0.5)
    with pytest.raises(ValueError, match=r"redshift_share must be in \[0, 1\], not 1.5"):
        HybridData(b, labels, redshift=_z(b), redshift_share=1.5)


@pytest.mark.parametrize("kw, shown", [({"draw": "uniform"}, "'uniform', 8"), ({"tries": 0}, "'shift', 0"),
                                       ({"max_shift_dex": -0.1}, "-0.1, 0.001"), ({"min_redshift": 0.0}, "0.3, 0.0")])
def test_redshift_options_refuse_bad_rules_naming_the_values(kw, shown):
    with pytest.raises(ValueError, match=f"RedshiftOptions: .*not {shown}$"):
        RedshiftOptions(**kw)


def test_train_config_and_benchmark_options(monkeypatch):
    from elasticc_fast.benchmarks.bts_models import Fold, check_options, redshift_augment_of
    from elasticc_fast.errors import UsageError
    from elasticc_fast.nn.config import TrainConfig

    c = TrainConfig(arch="hybrid", redshift_augment=0.5)
    assert TrainConfig.from_json(c.to_json()) == c and TrainConfig().redshift_augment == 0.0
    with pytest.raises(ValueError, match="redshift_augment"):
        TrainConfig(redshift_augment=1.5)
    for bad in (-0.1, 1.2):
        with pytest.raises(UsageError, match="--redshift-augment"):
            check_options({"redshift_augment": bad})
    b = _bell(8)
    fold = Fold(batch=b, labels=np.zeros(8, np.int64), tree=None, train=np.arange(6), val=np.array([5]),
                test=np.array([6, 7]), features={}, context=None)
    from elasticc_fast.nn.config import BTS_HYBRID

    assert BTS_HYBRID["redshift_augment"] == 0.0 and redshift_augment_of(fold, np.arange(5)) == (0.0, None)
    monkeypatch.setitem(BTS_HYBRID, "redshift_augment", 0.5)          # the photometry track's default, if set
    share, z = redshift_augment_of(fold, np.arange(5))
    assert share == 0.5 and np.isnan(z[5:]).all()
    fold.context_names = ("redshift", "abs_b", "A_V")
    assert redshift_augment_of(fold, np.arange(5)) == (0.0, None)      # spec-z: off unless asked for
    fold.options["redshift_augment"] = 0.0
    fold.context_names = ()
    assert redshift_augment_of(fold, np.arange(5)) == (0.0, None)      # --redshift-augment 0: off
    import dataclasses

    fold.options.clear()
    fold.batch = dataclasses.replace(b, static=b.static.drop_columns(["redshift"]))
    assert redshift_augment_of(fold, np.arange(5)) == (0.0, None)      # no redshift to move by: off
    fold.batch = b
    fold.options["redshift_augment"] = 0.4
    share, z = redshift_augment_of(fold, np.arange(5))
    assert share == 0.4
    np.testing.assert_array_equal(z[:5], _z(b)[:5])
    assert np.isnan(z[5:]).all()                                       # validation and test objects: never moved


def test_cotraining_moves_only_the_real_objects():
    from elasticc_fast.benchmarks.bts_cotrain import CoTrainData
    from elasticc_fast.benchmarks.bts_pretrain import simulate_pretraining

    real, sim = simulate_pretraining(25, seed=5), simulate_pretraining(40, seed=6)
    y, ys = np.asarray(real.labels), np.asarray(sim.labels)
    z = np.asarray(real.static.column("redshift").to_pylist(), np.float64)
    co = [CoTrainData(HybridData(real, y, sampler_power=None, redshift=z, redshift_share=p), sim, ys, None,
                      np.arange(len(sim)), share=1.0) for p in (0.0, 1.0)]
    off, on = co[0](2), co[1](2)
    real_rows = [w.source < len(real) for w in (off, on)]
    n_real = int(real_rows[0].sum())
    assert n_real == int(real_rows[1].sum()) and n_real < len(off)
    s_off, s_on = off.take(~real_rows[0]), on.take(~real_rows[1])
    np.testing.assert_array_equal(s_off.source, s_on.source)
    np.testing.assert_array_equal(s_off.static, s_on.static)           # simulated views: never moved
    r_off, r_on = off.take(real_rows[0]), on.take(real_rows[1])
    assert not np.array_equal(r_off.static[np.argsort(r_off.source)], r_on.static[np.argsort(r_on.source)])


def test_volume_and_class_draws():
    from elasticc_fast.redshifting import farthest_redshift, pick_redshifts

    z = np.full(4000, 0.05)
    peak = np.full(4000, 1000.0)
    vol = draw_redshifts(z, peak, np.random.default_rng(1), RedshiftOptions(draw="volume"))
    lo, hi = 0.05 * 10 ** -0.3, 0.05 * 10 ** 0.3
    assert np.all((vol >= lo * (1 - 1e-9)) & (vol <= hi * (1 + 1e-9)))
    # uniform in z**3: the median is where half the volume lies
    assert np.median(vol) == pytest.approx(np.cbrt((lo ** 3 + hi ** 3) / 2), rel=0.02)
    # class draws: the first candidate the selection allows, else not moved
    z3, pk3 = np.array([0.05, 0.05, np.nan]), np.array([200.0, 200.0, 200.0])
    far = farthest_redshift(z3[:2], pk3[:2])
    cand = np.array([[far[0] * 1.5, 0.03, 0.02], [far[1] * 2, np.nan, 0.0001], [0.03, 0.03, 0.03]])
    np.testing.assert_array_equal(pick_redshifts(z3, pk3, cand), [0.03, 0.05, np.nan])
    b = _bell(30, seed=4)
    labels = np.array([4] * 20 + [5] * 10)
    zb = np.where(np.arange(30) < 25, _z(b), np.nan)
    h = HybridData(b, labels, redshift=zb, redshift_share=1.0, features=False,
                   redshift_options=RedshiftOptions(draw="class"))
    c = h._class_redshifts(np.arange(30), np.random.default_rng(0))
    for i in range(30):   # drawn from the redshifts of its own class's objects that have one
        assert set(c[i]) <= set(zb[(labels == labels[i]) & np.isfinite(zb)])
    with pytest.raises(ValueError, match="needs labels"):
        HybridData(b, None, redshift=zb, redshift_share=1.0, redshift_options=RedshiftOptions(draw="class"))


def test_fit_holds_validation_objects_out_of_the_augmentation():
    from elasticc_fast.nn.config import TrainConfig
    from elasticc_fast.nn.train import _prepare
    from elasticc_fast.taxonomy.ztf import BTS_TREE

    b = _bell(30, seed=5)
    labels = np.array([4] * 14 + [5] * 8 + [6] * 8)
    config = TrainConfig(arch="hybrid", val_fraction=0.3, seed=2)
    wins = [_prepare(HybridData(b, labels, sampler_power=None, features=False, redshift=_z(b), redshift_share=p),
                     None, BTS_TREE, config, None, None) for p in (0.0, 1.0)]
    np.testing.assert_array_equal(wins[0].val.source, wins[1].val.source)
    np.testing.assert_array_equal(wins[0].val.static, wins[1].val.static)   # validation views: not moved
    assert not np.array_equal(wins[0].first.static, wins[1].first.static)    # training views: moved


def test_train_data_bts_follows_the_photometry_default_and_spec_z_stays_off(monkeypatch):
    from elasticc_fast.nn.config import BTS_HYBRID, base_config

    assert base_config("bts").redshift_augment == 0.0                 # not the default (5-fold run, RESULTS)
    monkeypatch.setitem(BTS_HYBRID, "redshift_augment", 0.5)
    assert base_config("bts").redshift_augment == 0.5
    assert base_config("bts", None, {"context": "redshift"}).redshift_augment == 0.0   # spec-z: as the benchmark's
    assert base_config("bts", None, {"context": "redshift", "redshift_augment": 0.3}).redshift_augment == 0.3
    assert base_config("parquet").redshift_augment == 0.0 and base_config("parquet", None, {"epochs": 3}).epochs == 3
