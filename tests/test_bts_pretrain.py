"""``benchmark ztf-bts --pretrain N``: the hybrid pretrained on simulated ZTF objects (never on real
ones), once per track, then fine-tuned on each training fold, next to the plain hybrid."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from elasticc_fast.benchmarks.bts_pretrain import pretraining_classes, simulate_pretraining
from elasticc_fast.cli import main
from elasticc_fast.context import context_matrix
from elasticc_fast.taxonomy.ztf import BTS_TREE


def test_pretraining_objects_are_simulated_bts_leaves_with_context():
    sim = simulate_pretraining(30, seed=3)
    types = sim.static.column("bts_type").to_pylist()
    assert set(types) == set(pretraining_classes()) and "TDE" not in types
    assert len(sim) >= 30 and all(i.startswith("ZTFsim") for i in sim.ids)
    assert (sim.labels >= 0).all()
    assert {BTS_TREE.nodes[k] for k in np.unique(sim.labels)} == {"SN Ia", "SN Ib/c", "SN II", "SLSN", "CV/nova"}
    assert (sim.flag != 0).all()  # alert detections only, like the ANTARES BTS files
    ctx = context_matrix(sim.static, "redshift")  # log10 z, |b|, A_V as the spec-z track reads them
    assert np.isfinite(ctx).all()
    s = sim.static.to_pandas()
    nova = s[s.bts_type == "nova"]  # M31 / M33 novae, with the table's host redshifts and latitudes
    assert set(nova.redshift.round(5)) <= {0.00017, 0.00019}
    assert nova.b.between(-33.0, -20.0).all()
    extragalactic = s[~s.bts_type.isin(["nova", "CV"])]
    assert (extragalactic.redshift > 1e-3).all() and (extragalactic.b.abs() > 7.0).all()


def test_pretrain_option_runs_both_models_once_pretrained_per_track(shared_data, tmp_path, caplog):
    out = tmp_path / "bts.json"
    caplog.set_level("INFO", logger="elasticc_fast.benchmarks.bts_pretrain")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["benchmark", "ztf-bts", "--data", str(shared_data / "ztf_bts"), "--models", "lgbm",
                   "--pretrain", "40", "--context", "redshift", "--max-objects", "120", "--folds", "3",
                   "--fold-limit", "2", "--epochs", "2", "--ensemble", "1", "--jobs", "1", "--sim-share", "0.5", "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())["tracks"]["redshift"]
    assert list(res["models"]) == ["lgbm", "hybrid", "hybrid-pre", "hybrid-sim"]  # same run, same folds
    assert res["folds_run"] == 2 and res["options"]["pretrain"] == 40 and res["options"]["sim_share"] == 0.5
    for m in ("hybrid", "hybrid-pre", "hybrid-sim"):
        assert all(0.0 <= v <= 1.0 for v in res["models"][m]["macro_f1"].values())
    pretrained = [r.getMessage() for r in caplog.records if r.getMessage().startswith("pretrained on")]
    assert len(pretrained) == 1 and "redshift, abs_b, A_V" in pretrained[0]  # once for the track's 2 folds
    tuned = [r.getMessage() for r in caplog.records if "fine-tuned member" in r.getMessage()]
    assert len(tuned) == 2 and all("0.5 simulated views per real view" in m for m in tuned)  # co-trained


def test_members_fine_tune_from_pretrained_model_k_mod_m(shared_data, monkeypatch, caplog):
    import jax
    from flax import nnx

    from elasticc_fast.benchmarks import bts_pretrain
    from elasticc_fast.benchmarks.bts import run_track
    from elasticc_fast.classifier import Classifier

    made, inits, fit = {}, [], Classifier.fit
    real_pretrain = bts_pretrain.pretrain

    def pretrain(fold, opts, index=0):
        made.setdefault(index, real_pretrain(fold, opts, index))
        return made[index]

    def fit_spy(self, *args, init_from=None, **kw):
        inits.append(init_from)
        return fit(self, *args, init_from=init_from, **kw)

    monkeypatch.setattr(bts_pretrain, "pretrain", pretrain)
    monkeypatch.setattr(Classifier, "fit", fit_spy)
    caplog.set_level("INFO", logger="elasticc_fast.benchmarks.bts_pretrain")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_track(shared_data / "ztf_bts", models=["hybrid-pre"], folds=3, fold_limit=1, max_objects=120, jobs=1,
                  options={"pretrain": 30, "epochs": 1, "pretrain_epochs": 1, "ensemble": 3, "pretrain_models": 2})
    tuned = [c for c in inits if c is not None]  # the pretrainings themselves start from nothing
    assert tuned == [made[0], made[1], made[0]] and made[0] is not made[1]
    seeds = sorted(r.getMessage().split("seed ")[1][:4] for r in caplog.records
                   if r.getMessage().startswith("pretrained on"))
    assert seeds == ["1000", "1001"]  # one training seed per pretrained model, each pretrained once
    w0, w1 = (np.concatenate([np.ravel(a) for a in jax.tree.leaves(nnx.state(m._model, nnx.Param))])
              for m in (made[0], made[1]))
    assert w0.shape == w1.shape and not np.allclose(w0, w1)


def test_pretrain_models_default_depends_on_the_track():
    from types import SimpleNamespace

    from elasticc_fast.benchmarks.bts_pretrain import PRETRAIN_MODELS, _options

    def models(context_names, **options):
        return _options(SimpleNamespace(context_names=context_names, options={"pretrain": 10, **options}))["pretrain_models"]

    assert models(()) == PRETRAIN_MODELS["photometry"] == 3
    assert models(("redshift", "abs_b", "A_V")) == PRETRAIN_MODELS["spec-z"] == 1
    assert models((), pretrain_models=2) == models(("redshift",), pretrain_models=2) == 2  # --pretrain-models wins


def test_aux_targets_per_track_only_from_the_training_pool():
    """With --aux-weight W, hybrid-pre photometry only learns log10 z of the objects it trains on (others
    NaN) beside the classes (bts_pretrain.AUX_TARGETS); with spec-z, or by default, no auxiliary head."""
    from types import SimpleNamespace

    from elasticc_fast.benchmarks.bts_pretrain import AUX_TARGETS, _aux_options, _options
    from elasticc_fast.nn.hybrid_data import HybridData

    batch = simulate_pretraining(10, seed=4)
    pool = np.arange(0, len(batch), 2)

    def aux(context_names, **options):
        fold = SimpleNamespace(context_names=context_names, batch=batch, options={"pretrain": 10, **options})
        data = HybridData(batch, np.asarray(batch.labels), pool=pool)
        return _aux_options(fold, data, _options(fold)), data.aux

    over, got = aux((), aux_weight=0.3)
    assert over == {"aux_targets": AUX_TARGETS["photometry"], "aux_weight": 0.3} and AUX_TARGETS["photometry"] == ("redshift",)
    np.testing.assert_allclose(got[pool, 0], context_matrix(batch.static, "redshift")[pool, 0])
    assert np.isnan(np.delete(got, pool, axis=0)).all()
    assert aux(("redshift", "abs_b", "A_V"), aux_weight=0.3) == ({}, None) and aux(()) == ({}, None)  # default off


def test_naming_a_pretrained_model_runs_only_the_models_named(shared_data, tmp_path):
    out = tmp_path / "bts.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["benchmark", "ztf-bts", "--data", str(shared_data / "ztf_bts"), "--models", "hybrid-sim",
                   "--pretrain", "40", "--max-objects", "120", "--folds", "3", "--fold-limit", "1", "--epochs", "1",
                   "--pretrain-epochs", "1", "--jobs", "1", "--json", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())["tracks"]["none"]
    assert list(res["models"]) == ["hybrid-sim"] and res["options"]["pretrain_epochs"] == 1  # no hybrid rerun


def test_hybrid_pre_without_pretrain_is_refused(shared_data):
    assert main(["benchmark", "ztf-bts", "--data", str(shared_data / "ztf_bts"), "--models", "hybrid-pre",
                 "--max-objects", "60", "--folds", "2", "--fold-limit", "1", "--epochs", "1"]) == 2


def test_origin_auc_and_shifted_features_see_a_shift_and_only_a_shift():
    import pandas as pd

    from elasticc_fast.benchmarks.bts_shift import origin_auc, shifted_features

    rng = np.random.default_rng(0)
    real = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    same = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    moved = same.assign(b=same.b + 3.0)
    assert 0.4 < origin_auc(real, same) < 0.6   # the same distribution: origin not recognisable
    assert origin_auc(real, moved) > 0.95
    top = shifted_features(real, moved, top=1)
    assert list(top) == ["b"] and 1.8 < top["b"] < 2.7   # 3 sigma = 3 / 1.35 IQR


def test_shift_inputs_context_columns():
    """``--context only`` compares log10 z, |b| and A_V alone; ``redshift`` appends them to the features."""
    from elasticc_fast.benchmarks.bts_shift import shift_inputs
    from elasticc_fast.sim.ztf import simulate_ztf

    batch = simulate_ztf(3, seed=2, classes=["SN Ia", "SN II"], photometry="detections")
    static = batch.static.to_pandas()
    only = shift_inputs(batch, context="only", jobs=1)
    assert list(only.columns) == ["redshift", "abs_b", "A_V"]
    np.testing.assert_allclose(only["redshift"], np.log10(static["redshift"]))
    np.testing.assert_allclose(only["abs_b"], np.abs(static["b"]))
    both = shift_inputs(batch, context="redshift", jobs=1)
    assert len(both) == len(batch) and both.shape[1] > 20 and list(both.columns[-3:]) == list(only.columns)
    with pytest.raises(ValueError, match="context must be"):
        shift_inputs(batch, context="spec-z")
