"""augment (C++) against the pure-Python twin; determinism, streaming, documented features."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astropy_snana import sample_table
from elasticc_fast import reference
from elasticc_fast.augment import augment, iter_augment
from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.preprocess import preprocess
from elasticc_fast.units import BAND_WAVELENGTH_UM
from lightcurve_strategies import batches

pytestmark = pytest.mark.cpp
FIELDS = ("x", "lengths", "source", "t_end", "static", "labels", "days")


def assert_same(a, b) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x is None or y is None:
            assert x is None and y is None, name
            continue
        assert x.dtype == y.dtype and x.shape == y.shape, (name, x.shape, y.shape)
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.feature_names == b.feature_names and a.static_names == b.static_names
    assert a.n_dropped == b.n_dropped


options = st.fixed_dictionaries({
    "windows": st.sampled_from(["prefix", "fraction", "days", "full"]),
    "min_length": st.integers(1, 4),
    "max_length": st.one_of(st.none(), st.integers(1, 6)),
    "keep": st.sampled_from(["first", "last"]),
    "seed": st.integers(-2**63, 2**64 - 1),
    "flux_scale": st.sampled_from(["linear", "asinh"]),
    "band_encoding": st.sampled_from(["wavelength", "onehot"]),
    "days": st.lists(st.floats(-5, 3000), max_size=4),
    "time_scale": st.sampled_from([1.0, 100.0, 3.7]),
})


@settings(max_examples=100, deadline=None)
@given(batch=batches(), opts=options, trigger=st.sampled_from(["first_detection", "photflag"]),
       threads=st.integers(1, 3))
def test_cpp_matches_reference_on_random_curves(batch, opts, trigger, threads):
    pre = preprocess(batch, trigger, "window")
    assert_same(augment(pre, threads=threads, **opts), reference.augment(pre, **opts))


@settings(max_examples=30, deadline=None)
@given(batch=batches(max_objects=12), opts=options, chunk=st.integers(1, 5), reuse=st.booleans())
def test_streaming_gives_the_same_windows(batch, opts, chunk, reuse):
    pre = preprocess(batch)
    whole = augment(pre, **opts, pad_to=opts["max_length"] or int(pre.lengths.max(initial=0)))
    parts = [_copy(p) if reuse else p for p in iter_augment(pre, chunk_objects=chunk, reuse_buffer=reuse, **opts)]
    assert len(parts) == -(-len(pre) // chunk)
    for name in ("x", "lengths", "source", "t_end", "static"):
        joined = np.concatenate([getattr(p, name) for p in parts]) if parts else getattr(whole, name)[:0]
        np.testing.assert_array_equal(joined, getattr(whole, name), err_msg=name)


def _copy(res):
    res.x = res.x.copy()  # a reused buffer is overwritten by the next chunk
    return res


def _toy() -> LightCurveBatch:
    # one object: non-detection at 9.5, detections at 10 (trigger), 11, 13 days; bands u, g, r, Y
    return LightCurveBatch.from_arrays(
        mjd=[60009.5, 60010.0, 60011.0, 60013.0], band=[0, 1, 2, 5], flux=[-20.0, 500.0, 1500.0, 2e4],
        flux_err=[10.0, 20.0, 30.0, 40.0], flag=[0, 4096, 4096, 4096], lengths=[4], ids=[42],
        static={"RA": [150.1], "DEC": [2.2], "MWEBV": [0.02], "HOSTGAL_MAG_u": [999.0]}, labels=[3])


def test_features_follow_the_documented_order_and_units():
    res = augment(preprocess(_toy()), "full", static_columns=("MWEBV", "HOSTGAL_MAG_u"))
    assert res.feature_names == ["t", "detection", "flux", "flux_err", "wavelength_um"]
    x = res.x[0]
    np.testing.assert_allclose(x[:, 0], [-0.005, 0.0, 0.01, 0.03], rtol=1e-6)  # days / 100
    np.testing.assert_array_equal(x[:, 1], [0, 1, 1, 1])
    np.testing.assert_allclose(x[:, 2], [-0.02, 0.5, 1.5, 20.0], rtol=1e-6)  # FLUXCAL / 1000
    np.testing.assert_allclose(x[:, 3], [0.01, 0.02, 0.03, 0.04], rtol=1e-6)
    np.testing.assert_allclose(x[:, 4], np.array(BAND_WAVELENGTH_UM, np.float32)[[0, 1, 2, 5]])
    assert res.t_end[0] == 3.0 and res.lengths[0] == 4 and res.labels[0] == 3
    # static: MWEBV, sentinel 999 -> -9, then COSMOS (150.1, 2.2) sets its DDF flag only
    assert res.static_names[-1] == "COSMOS_flag"
    np.testing.assert_array_equal(res.static[0], np.array([0.02, -9, 0, 0, 0, 0, 1], np.float32))
    one = augment(preprocess(_toy()), "full", flux_scale="asinh", band_encoding="onehot", static_columns=())
    np.testing.assert_allclose(one.x[0, :, 2], np.arcsinh([-20.0, 500.0, 1500.0, 2e4]), rtol=1e-6)
    np.testing.assert_array_equal(one.x[0, :, 4:].argmax(axis=1), [0, 1, 2, 5])


def test_window_modes_on_a_known_curve():
    pre = preprocess(_toy())
    kw = {"static_columns": ()}
    prefix = augment(pre, "prefix", min_length=2, **kw)
    np.testing.assert_array_equal(prefix.lengths, [2, 3, 4])
    assert prefix.x.shape == (3, 4, 5) and not prefix.x[0, 2:].any()  # zero padding
    days = augment(pre, "days", days=(0.5, 1, 2, 4), **kw)
    np.testing.assert_array_equal(days.lengths, [2, 3, 3, 4])
    np.testing.assert_array_equal(days.days, [0.5, 1, 2, 4])
    np.testing.assert_array_equal(days.t_end, [0, 1, 1, 3])
    last = augment(pre, "full", max_length=2, keep="last", **kw)
    np.testing.assert_allclose(last.x[0, :, 0], [0.01, 0.03], rtol=1e-6)
    first = augment(pre, "full", max_length=2, keep="first", **kw)
    np.testing.assert_allclose(first.x[0, :, 0], [-0.005, 0.0], rtol=1e-6)
    assert first.t_end[0] == 0.0


def test_fraction_windows_are_seeded_and_thread_independent():
    rng = np.random.default_rng(0)
    n, m = 400, 30
    mjd = np.sort(rng.uniform(0, 100, (n, m)), axis=1).ravel()
    batch = preprocess(LightCurveBatch.from_arrays(
        mjd=mjd, band=rng.integers(0, 6, n * m), flux=rng.normal(size=n * m), flux_err=np.ones(n * m),
        flag=np.full(n * m, 4096), lengths=[m] * n, ids=np.arange(n), static={"RA": np.zeros(n), "DEC": np.zeros(n)}))
    runs = [augment(batch, "fraction", seed=7, threads=t, static_columns=()) for t in (1, 2, 3)]
    for r in runs[1:]:
        assert_same(runs[0], r)
    other = augment(batch, "fraction", seed=8, static_columns=())
    assert not np.array_equal(other.lengths, runs[0].lengths)
    # lengths max(1, int(f * n)) with f ~ U(0, 1): about uniform on 1..30
    assert runs[0].lengths.min() >= 1 and runs[0].lengths.max() <= m
    assert 12 < runs[0].lengths.mean() < 18


def test_unpreprocessed_batch_is_preprocessed_first():
    raw = _toy()
    assert_same(augment(raw, "prefix", static_columns=()), augment(preprocess(raw), "prefix", static_columns=()))


def test_errors_name_the_argument():
    pre = preprocess(_toy())
    with pytest.raises(ValueError, match="windows must be one of"):
        augment(pre, "random")
    with pytest.raises(ValueError, match="flux_divisor must be a positive number"):
        augment(pre, flux_divisor=0.0, static_columns=())
    with pytest.raises(ValueError, match="min_length must be >= 1"):
        augment(pre, min_length=0)
    with pytest.raises(ValueError, match=r"static column\(s\) \['MWEBV_ERR', .*'HOSTGAL_SNSEP'.* not in"):
        augment(pre)  # the toy static table lacks most ORACLE columns
    with pytest.raises(ValueError, match="pad_to: 2 is shorter"):
        augment(pre, "full", pad_to=2, static_columns=())
    with pytest.raises(ValueError, match="out: buffer of 3 floats, need 20"):
        augment(pre, "full", static_columns=(), out=np.zeros(3, np.float32))
    pre.band[0] = 9  # corrupt after validation: the kernel must refuse, not read out of bounds
    with pytest.raises(ValueError, match="band index 9"):
        augment(pre, "full", static_columns=(), static_flags=False)


@pytest.mark.shared
def test_real_sample_matches_reference(elasticc_sample):
    table = sample_table(elasticc_sample)
    labels = pa.compute.dictionary_encode(table.column("model")).combine_chunks().indices.to_numpy()
    raw = LightCurveBatch.from_arrow(table.append_column("label", pa.array(labels)), label_column="label")
    cases = [("window", {"windows": "prefix"}), ("window", {"windows": "fraction", "seed": 5}),
             ("window", {"windows": "days", "max_length": 50, "keep": "first"}),
             ("window", {"windows": "full", "flux_scale": "asinh", "band_encoding": "onehot"}),
             # every point (about 150 per object): prefix windows would take the twin a minute
             ("all", {"windows": "fraction", "seed": 9, "max_length": 60}), ("all", {"windows": "full"})]
    for history, opts in cases:
        pre = preprocess(raw, history=history)
        assert_same(augment(pre, threads=2, **opts), reference.augment(pre, **opts))
    import elasticc_fast as ef  # the training-script spelling; the submodules are imported already

    res = ef.augment(ef.LightCurveBatch.from_arrow(table.append_column("label", pa.array(labels)),
                                                   label_column="label"))
    assert isinstance(res, ef.AugmentedBatch) and res.n_dropped == 0
    np.testing.assert_array_equal(ef.preprocess(raw).mjd, preprocess(raw).mjd)
    assert res.static.shape == (346, 23) and res.x.shape[2] == 5
    np.testing.assert_array_equal(res.labels, labels)


def test_static_kernel_matches_reference_near_fields_and_plane():
    from elasticc_fast.augment import object_static_features
    from elasticc_fast.static_features import DDF_CENTRES_DEG, ORACLE_STATIC_COLUMNS

    rng = np.random.default_rng(3)
    centres = np.repeat(np.array(DDF_CENTRES_DEG), 100, axis=0) + rng.uniform(-2.5, 2.5, (400, 2))
    ra = np.concatenate([centres[:, 0], rng.uniform(0, 360, 400)])
    dec = np.concatenate([centres[:, 1], rng.uniform(-90, 90, 400)])
    n = len(ra)
    values = rng.choice([-9.0, -99.0, -999.0, -9999.0, 999.0, np.nan, 0.25, 1e-3, 21.7], (n, len(ORACLE_STATIC_COLUMNS)))
    static = {c: values[:, j] for j, c in enumerate(ORACLE_STATIC_COLUMNS)} | {"RA": ra, "DEC": dec}
    batch = LightCurveBatch.from_arrays(mjd=[], band=[], flux=[], flux_err=[], flag=[], lengths=[0] * n,
                                        ids=np.arange(n), static=static)
    ours = object_static_features(batch)
    np.testing.assert_array_equal(ours, reference.static_features(batch))
    assert ours.shape == (n, 23) and 50 < ours[:, 19:].sum() < 400 and ours[:, 18].sum() > 50


def test_values_beyond_float32_become_inf_in_both_paths():
    pre = preprocess(_toy())
    opts = {"windows": "full", "flux_divisor": 1e-300, "static_columns": (), "static_flags": False}
    with np.errstate(over="ignore"):
        ours, twin = augment(pre, **opts), reference.augment(pre, **opts)
    assert_same(ours, twin)
    assert np.isinf(ours.x[0, :4, 2]).all() and np.isinf(ours.x[0, :4, 3]).all()


def test_named_edge_cases_match_the_twin():
    nan = float("nan")
    cases = {  # name: (mjd, flag, flux)
        "empty": ([], [], []),
        "one point": ([5.0], [4096], [1.0]),
        "all saturated": ([1.0, 2.0], [1024 | 4096, 1024], [1.0, 2.0]),
        "no detection": ([1.0, 2.0], [0, 0], [1.0, 2.0]),
        "unsorted MJD": ([3.0, 1.0, 2.0, 0.5], [4096, 0, 4096, 0], [3.0, 1.0, 2.0, 0.5]),
        "NaN flux": ([1.0, 2.0, 3.0], [0, 4096, 4096], [nan, nan, 2.0]),
        "trigger after first detection": ([1.0, 2.0, 3.0, 4.0, 5.0], [4096, 0, 4096 | 2048, 0, 4096], [1.0] * 5),
    }
    mjd = [m for c in cases.values() for m in c[0]]
    flag = [f for c in cases.values() for f in c[1]]
    flux = [f for c in cases.values() for f in c[2]]
    raw = LightCurveBatch.from_arrays(mjd=mjd, band=[k % 6 for k in range(len(mjd))], flux=flux,
                                      flux_err=[1.0] * len(mjd), flag=flag, lengths=[len(c[0]) for c in cases.values()],
                                      ids=np.arange(len(cases)), labels=np.arange(len(cases)))
    for trigger in ("first_detection", "photflag"):
        pre = preprocess(raw, trigger)
        assert pre.n_dropped == 3 and list(pre.ids) == [1, 4, 5, 6]
        for windows in ("prefix", "fraction", "days", "full"):
            opts = {"windows": windows, "static_columns": (), "static_flags": False}
            assert_same(augment(pre, **opts), reference.augment(pre, **opts))
    late = preprocess(raw, "photflag")
    np.testing.assert_array_equal(late.trigger_mjd, [5.0, 2.0, 2.0, 3.0])
    assert np.isnan(augment(late, "full", static_columns=(), static_flags=False).x[2, 0, 2])  # NaN flux kept
