"""The pure-Python twin on its own: windows, static flags against astropy, seeded numbers, the plot."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import astropy.units as u  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from astropy.coordinates import SkyCoord  # noqa: E402

from elasticc_fast import reference  # noqa: E402
from elasticc_fast.reference import BAND_COLOURS, LSSTSource  # noqa: E402
from elasticc_fast.static_features import DDF_CENTRES_DEG, NGP_ICRS  # noqa: E402


def _source(**kw) -> LSSTSource:
    # t = 3 saturated, 0 non-det, 1 det (trigger), 2 non-det, 4 det (bands u g r i z), given out of order
    return LSSTSource(mjd=[3.0, 0.0, 4.0, 1.0, 2.0], band=[0, 1, 4, 2, 3], flux=[9e5, 1.0, 30.0, 20.0, 2.0],
                      flux_err=[1.0, 1.0, 2.0, 2.0, 1.0], flag=[1024 | 4096, 0, 4096, 4096 | 2048, 0], snid=7, **kw)


def test_source_preprocesses_and_windows_like_the_seed():
    s = _source()
    assert s.MJD == [0.0, 1.0, 2.0, 4.0] and s.trigger_mjd == 1.0 and s.saturated_mjd == [3.0]
    windows = s.get_augmented_sources(min_length=2)
    assert [len(w) for w in windows] == [4, 3, 2]  # longest first, as the seed
    assert windows[-1].MJD == [0.0, 1.0] and windows[-1].trigger_mjd == 1.0
    assert len(s) == 4  # the parent is untouched
    with pytest.raises(ValueError):
        s.get_augmented_sources(min_length=0)
    assert LSSTSource([1.0], [0], [1.0], [1.0], [0]).dropped  # no detection


def test_from_batch_reads_one_object():
    from elasticc_fast.batch import LightCurveBatch

    b = LightCurveBatch.from_arrays(mjd=[2.0, 1.0, 3.0], band=[0, 1, 2], flux=[1, 2, 3], flux_err=[1, 1, 1],
                                    flag=[4096, 0, 1024], lengths=[3], ids=[99])
    s = LSSTSource.from_batch(b, 0)
    assert s.SNID == 99 and s.MJD == [1.0, 2.0] and s.trigger_mjd == 2.0
    again = LSSTSource.from_batch(reference.preprocess(b), 0)  # preprocessed: taken as it is
    assert again.MJD == s.MJD and again.trigger_mjd == 2.0


def test_uniform_is_a_seeded_uniform_stream():
    u1 = np.array([reference.uniform(3, i) for i in range(20000)])
    assert np.array_equal(u1, [reference.uniform(3, i) for i in range(20000)])
    assert not np.array_equal(u1[:100], [reference.uniform(4, i) for i in range(100)])
    assert u1.min() >= 0 and u1.max() < 1
    counts, _ = np.histogram(u1, bins=10, range=(0, 1))
    assert np.all(np.abs(counts - 2000) < 5 * np.sqrt(2000))  # chi-by-eye: within 5 sigma per bin


def test_static_row_flags_agree_with_astropy():
    rng = np.random.default_rng(1)
    ra, dec = rng.uniform(0, 360, 3000), np.degrees(np.arcsin(rng.uniform(-1, 1, 3000)))
    c = SkyCoord(ra=ra * u.deg, dec=dec * u.deg)
    b = c.galactic.b.deg
    centres = SkyCoord(l=[311.30, 171.20, 224.07, 236.83] * u.deg, b=[-72.90, -58.77, -54.47, 42.09] * u.deg,
                       frame="galactic")
    np.testing.assert_allclose(centres.icrs.ra.deg, [r for r, _ in DDF_CENTRES_DEG], atol=1e-9)
    ngp = SkyCoord(l=0 * u.deg, b=90 * u.deg, frame="galactic").icrs.cartesian.xyz.value
    np.testing.assert_allclose(ngp, NGP_ICRS, atol=1e-12)
    # points near the DDFs, so the flags are exercised
    near = [(r + dr, d + dd) for r, d in DDF_CENTRES_DEG for dr, dd in rng.uniform(-2.5, 2.5, (50, 2))]
    ra = np.concatenate([ra, [p[0] for p in near]])
    dec = np.concatenate([dec, [p[1] for p in near]])
    c = SkyCoord(ra=ra * u.deg, dec=dec * u.deg)
    b = c.galactic.b.deg
    seps = np.array([c.separation(centres[k]).deg for k in range(4)]).T
    rows = np.array([reference.static_row([-999.0, 0.5], r, d) for r, d in zip(ra, dec, strict=True)])
    assert np.all(rows[:, 0] == -9) and np.all(rows[:, 1] == 0.5)
    clear_b = np.abs(np.abs(b) - 15) > 1e-6  # ignore points on the boundary itself
    np.testing.assert_array_equal(rows[clear_b, 2], (np.abs(b) < 15)[clear_b])
    clear_s = np.all(np.abs(seps - 1.75) > 1e-6, axis=1)
    np.testing.assert_array_equal(rows[clear_s, 3:], (seps < 1.75)[clear_s].astype(float))
    assert 40 < rows[:, 3:].sum() < len(near) and rows[:, 2].sum() > 100  # both outcomes occur


def test_plot_draws_what_it_says():
    s = _source(trigger="photflag")
    fig, given_ax = plt.subplots()
    ax = s.plot_flux_curve(ax=given_ax)
    assert ax is given_ax
    labels = ax.get_legend_handles_labels()[1]
    assert "g non-detection" in labels and "u detection" not in labels  # the u point was saturated
    assert {"r detection", "z detection", "i non-detection", "saturated (removed)", "trigger"} <= set(labels)
    # one errorbar container per (band, kind) present, drawn in the band's fixed colour
    kinds = {c.get_label(): c for c in ax.containers}
    assert set(kinds) == {"g non-detection", "r detection", "i non-detection", "z detection"}
    assert matplotlib.colors.same_color(kinds["z detection"].lines[0].get_color(), BAND_COLOURS["z"])
    np.testing.assert_array_equal(kinds["z detection"].lines[0].get_xdata(), [4.0])
    np.testing.assert_array_equal(kinds["r detection"].lines[0].get_ydata(), [20.0])
    # the trigger line sits at the trigger MJD; the saturated point is drawn at MJD 3
    vlines = [ln for ln in ax.lines if ln.get_label() == "trigger"]
    assert len(vlines) == 1 and vlines[0].get_xdata()[0] == 1.0
    sat = [c for c in ax.collections if c.get_label() == "saturated (removed)"]
    assert len(sat) == 1 and sat[0].get_offsets()[0][0] == 3.0
    assert ax.get_ylabel().startswith("FLUXCAL")
    plt.close(fig)
    new_ax = s.plot_flux_curve()  # makes its own axes when none given
    assert new_ax.figure is not None
    plt.close(new_ax.figure)
