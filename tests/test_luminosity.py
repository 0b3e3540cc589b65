"""The luminosity input (issue 12, spec-z track): each window's brightest absolute magnitude so far,
from the window's own detections, the redshift and A_V."""
import numpy as np
import pandas as pd
import pytest
from astropy.cosmology import FlatLambdaCDM

from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.context import context_matrix
from elasticc_fast.luminosity import absmag_names, context_absmag, window_absmag
from elasticc_fast.nn.config import TrainConfig
from elasticc_fast.nn.hybrid_data import HybridData
from elasticc_fast.units import PHOTFLAG_DETECTION

DET = PHOTFLAG_DETECTION


def _batch() -> LightCurveBatch:
    """Object 0: g 100 -> 400 uJy, r 250, a brighter g point (900) at day 10 and a brighter
    non-detection (2000) at day 2; object 1: r only, no redshift; object 2: one negative g detection."""
    mjd = [0.0, 1.0, 2.0, 3.0, 10.0, 0.0, 1.0, 0.0]
    band = ["g", "r", "g", "g", "g", "r", "r", "g"]
    flux = [100.0, 250.0, 2000.0, 400.0, 900.0, 50.0, 80.0, -30.0]
    flag = [DET, DET, 0, DET, DET, DET, DET, DET]
    return LightCurveBatch.from_arrays(mjd=mjd, band=band, flux=flux, flux_err=np.full(8, 5.0), flag=flag,
                                       ids=[1, 2, 3], lengths=[5, 2, 1],
                                       static={"redshift": [0.1, np.nan, 0.05], "b": [30.0, -40.0, 50.0],
                                               "A_V": [0.2, 0.1, 0.0]})


def _hand(flux: float, z: float, a_v: float, r_band: float) -> float:
    mu = FlatLambdaCDM(H0=70.0, Om0=0.315).distmod(z).value
    return 23.9 - 2.5 * np.log10(flux) - mu - a_v * r_band / 3.1 + 2.5 * np.log10(1.0 + z)


def test_window_absmag_equals_a_hand_computation_on_the_window():
    b = _batch()
    out = window_absmag(b, [0.1, np.nan, 0.05], [0.2, 0.1, 0.0])
    assert out.shape == (3, 3) and absmag_names(("g", "r")) == ["absmag_g", "absmag_r", "absmag"]
    g, r = _hand(900.0, 0.1, 0.2, 3.204), _hand(250.0, 0.1, 0.2, 2.262)  # ZTF g, r A_b / E(B-V)
    np.testing.assert_allclose(out[0], [g, r, min(g, r)], rtol=1e-9)
    assert np.isnan(out[1]).all()                         # no redshift: NaN
    assert np.isnan(out[2]).all()                         # no positive detection: NaN


def test_only_points_inside_the_window_enter():
    from elasticc_fast.views import cut_batch

    b = _batch()
    cut = cut_batch(b, 4.0)  # object 0 keeps days 0-3: g 100, 2000 (not detected), 400; r 250
    out = window_absmag(cut, [0.1, np.nan, 0.05], [0.2, 0.1, 0.0])
    np.testing.assert_allclose(out[0, :2], [_hand(400.0, 0.1, 0.2, 3.204), _hand(250.0, 0.1, 0.2, 2.262)], rtol=1e-9)
    # the hybrid's lum: columns of a 4-day cut are the same values (context decoded from log10 z)
    names = ("redshift", "abs_b", "A_V")
    data = HybridData(b, context=context_matrix(b.static, "redshift"), context_names=names, features=False,
                      luminosity=True)
    w = data.cut(4.0)
    cols = [w.static_names.index(f"lum:{c}") for c in absmag_names(("g", "r"))]
    np.testing.assert_allclose(w.static[:, cols], out.astype(np.float32), rtol=1e-5)
    assert "lum:absmag" not in HybridData(b, context=context_matrix(b.static, "redshift"), context_names=names,
                                          features=False).cut(4.0).static_names


def test_context_without_redshift_and_config_checks_are_refused():
    b = _batch()
    with pytest.raises(ValueError, match="redshift"):
        context_absmag(b, np.zeros((3, 0)), ())
    with pytest.raises(ValueError, match="luminosity"):
        TrainConfig(arch="hybrid", context="none", luminosity=True)
    assert TrainConfig(arch="hybrid", context="redshift", luminosity=True).luminosity


def test_feature_baselines_get_the_same_values(monkeypatch):
    from elasticc_fast.benchmarks import bts

    b = _batch()
    monkeypatch.setattr("elasticc_fast.baselines.features.extract_features",
                        lambda batch, **kw: pd.DataFrame(index=pd.Index(batch.ids, name="object_id")))
    feats = bts.cut_features(b, "redshift", 1, horizon=None, luminosity=True)
    assert list(feats["4"].columns) == ["redshift", "abs_b", "A_V", *absmag_names(("g", "r"))]
    np.testing.assert_allclose(feats["full"]["absmag_g"].to_numpy()[0], _hand(900.0, 0.1, 0.2, 3.204), rtol=1e-9)
    np.testing.assert_allclose(feats["4"]["absmag_g"].to_numpy()[0], _hand(400.0, 0.1, 0.2, 3.204), rtol=1e-9)
    assert "absmag" not in bts.cut_features(b, "redshift", 1).get("4").columns


def test_absmag_kind_gives_the_overall_column_alone_to_every_model(monkeypatch):
    from elasticc_fast.benchmarks import bts
    from elasticc_fast.cli import build_parser

    b = _batch()
    out = window_absmag(b, [0.1, np.nan, 0.05], [0.2, 0.1, 0.0])
    names = ("redshift", "abs_b", "A_V")
    w = HybridData(b, context=context_matrix(b.static, "redshift"), context_names=names, features=False,
                   luminosity="absmag").cut(None)
    assert [c for c in w.static_names if c.startswith("lum:")] == ["lum:absmag"]
    np.testing.assert_allclose(w.static[:, w.static_names.index("lum:absmag")], out[:, -1].astype(np.float32),
                               rtol=1e-5)
    monkeypatch.setattr("elasticc_fast.baselines.features.extract_features",
                        lambda batch, **kw: pd.DataFrame(index=pd.Index(batch.ids, name="object_id")))
    feats = bts.cut_features(b, "redshift", 1, horizon=None, luminosity="absmag")
    assert list(feats["full"].columns) == ["redshift", "abs_b", "A_V", "absmag"]
    np.testing.assert_allclose(feats["full"]["absmag"].to_numpy(), out[:, -1], rtol=1e-9)
    assert TrainConfig(arch="hybrid", context="redshift", luminosity="absmag").luminosity == "absmag"
    with pytest.raises(ValueError, match="luminosity must be"):
        TrainConfig(arch="hybrid", context="redshift", luminosity="peak")
    parse = build_parser().parse_args
    assert parse(["benchmark", "ztf-bts", "--luminosity"]).luminosity == "all"
    assert parse(["benchmark", "ztf-bts", "--luminosity", "absmag"]).luminosity == "absmag"
    assert parse(["benchmark", "ztf-bts"]).luminosity is None
    from types import SimpleNamespace

    from elasticc_fast.benchmarks.bts_models import luminosity_of

    fold = SimpleNamespace(options={"luminosity": "absmag"}, context_names=names)  # pretraining and fine-tuning
    assert luminosity_of(fold) == "absmag" and luminosity_of(SimpleNamespace(options={"luminosity": True},
                                                                             context_names=names)) == "all"
    assert luminosity_of(SimpleNamespace(options={"luminosity": "absmag"}, context_names=())) is None
