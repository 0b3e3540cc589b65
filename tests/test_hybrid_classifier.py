"""The hybrid classifier through Classifier: epoch selection on validation F1, ensembles, save/load."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.classifier import Classifier
from elasticc_fast.taxonomy.ztf import BTS_TREE
from elasticc_fast.units import PHOTFLAG_DETECTION

TINY = dict(arch="hybrid", epochs=4, patience=10, batch_size=16, hidden=8, width=16, encoder="set",
            buckets=(32,), max_length=32, monitor="val_f1", class_weighted=False, sampler_power=0.5,
            val_fraction=0.3, eval_batch_size=64)


def _labelled_batch(n: int = 60, seed: int = 0) -> LightCurveBatch:
    """Rising-then-fading curves (microjansky), g and r; leaves SN Ia / SN II / SLSN by decline rate."""
    rng = np.random.default_rng(seed)
    leaves = np.array([BTS_TREE.index(c) for c in ("SN Ia", "SN II", "SLSN")])
    labels = leaves[np.arange(n) % 3]
    cols = {k: [] for k in ("mjd", "band", "flux", "flux_err", "flag")}
    lengths = []
    for i in range(n):
        m = int(rng.integers(8, 30))
        t = np.sort(rng.uniform(0, 120, m))
        tau = (10.0, 40.0, 90.0)[i % 3]
        flux = 300 * np.exp(-t / tau) + rng.normal(0, 5, m)
        cols["mjd"].append(t + 59000.0)
        cols["band"].append(rng.integers(1, 3, m))
        cols["flux"].append(np.abs(flux) + 1.0)
        cols["flux_err"].append(np.full(m, 5.0))
        cols["flag"].append(np.full(m, PHOTFLAG_DETECTION))
        lengths.append(m)
    return LightCurveBatch.from_arrays(**{k: np.concatenate(v) for k, v in cols.items()},
                                       ids=np.array([f"o{i}" for i in range(n)]), lengths=lengths,
                                       labels=labels)


@pytest.fixture(scope="module")
def fitted():
    b = _labelled_batch()
    return b, {k: Classifier(tree=BTS_TREE, seed=s, ensemble=e, **TINY).fit(b, show_progress=False)
               for k, (s, e) in {"s0": (0, 1), "s1": (1, 1), "ens": (0, 2)}.items()}


def test_epoch_selection_follows_validation_f1(fitted):
    _, m = fitted
    for clf in (m["s0"], m["s1"]):
        f1 = [h["val_f1"] for h in clf.history]
        assert len(f1) == 4 and clf.best_epoch == int(np.argmax(f1))  # first epoch of the highest F1


def test_ensemble_averages_its_members_and_one_member_is_the_single_model(fitted):
    b, m = fitted
    p0, p1, pe = (m[k].predict_proba(b).to_numpy() for k in ("s0", "s1", "ens"))
    assert not np.allclose(p0, p1)                                   # the seeds differ
    np.testing.assert_allclose(pe, (p0 + p1) / 2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pe[:, list(BTS_TREE.leaves)].sum(axis=1), 1.0, rtol=1e-5)
    # member 0 of the ensemble is the single model of the same seed (K=1 is that single model)
    import jax
    from flax import nnx

    for a, c in zip(jax.tree.leaves(nnx.state(m["ens"]._members[0][0], nnx.Param)),
                    jax.tree.leaves(nnx.state(m["s0"]._model, nnx.Param)), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(c))
    assert m["s0"].config.ensemble == 1 and len(m["s0"]._members) == 1


def test_hybrid_ensemble_save_load_and_day_windows(fitted, tmp_path):
    b, m = fitted
    m["ens"].save(tmp_path / "model")
    back = Classifier.load(tmp_path / "model")
    np.testing.assert_allclose(back.predict_proba(b).to_numpy(), m["ens"].predict_proba(b).to_numpy(), rtol=1e-6)
    win = back.windows(b, "days", days=(8, 32))
    assert len(win) == 2 * len(b) and set(win.days.tolist()) == {8.0, 32.0}
    assert back.predict_proba(win).shape == (2 * len(b), len(BTS_TREE))


def test_training_draws_fresh_views_every_epoch_and_the_same_ones_for_a_seed():
    """The training loop asks its window source for a new seed every epoch (fresh cuts, noise and
    drops), and two runs with the same seed ask for the same seeds and get the same windows."""
    from elasticc_fast.nn.hybrid_data import HybridData

    b = _labelled_batch()

    class Recorder:
        def __init__(self):
            self.data = HybridData(b, np.asarray(b.labels), sampler_power=0.5, max_length=32)
            self.pool, self.labels, self.seeds, self.x = self.data.pool, self.data.labels, [], []

        def __call__(self, seed):
            w = self.data(seed)
            self.seeds.append(int(seed))
            self.x.append(w.x)
            return w

    runs = [Recorder(), Recorder()]
    for r in runs:
        Classifier(tree=BTS_TREE, seed=0, **{**TINY, "epochs": 3}).fit(r, b.labels, show_progress=False)
    a, c = runs
    assert a.seeds == c.seeds and len(a.seeds) == 4 == len(set(a.seeds))  # epoch 0, validation, epochs 1 and 2
    for x, y in zip(a.x, c.x, strict=True):
        np.testing.assert_array_equal(x, y)
    train_x = [a.x[0], a.x[2], a.x[3]]
    assert not any(np.array_equal(train_x[i], train_x[j]) for i in range(3) for j in range(i + 1, 3))


def test_test_views_average_the_noise_only_views_of_each_curve(fitted):
    """``test_views=R``: predict_proba on raw curves is the mean over the curve and R noise-only
    views (fluxes redrawn from their errors); R=0 is the plain prediction."""
    import copy

    from elasticc_fast.views import noisy_view

    b, m = fitted
    base = m["s0"]
    tta = copy.copy(base)
    tta.config = base.config.replace(test_views=2)
    plain = base.predict_proba(b).to_numpy()
    views = [base.predict_proba(base.windows(b, "full", view=v)).to_numpy() for v in (1, 2)]
    assert not np.allclose(views[0], plain) and not np.allclose(views[0], views[1])
    np.testing.assert_allclose(tta.predict_proba(b).to_numpy(), np.mean([plain, *views], axis=0), rtol=1e-5)
    v1, v1b, v2 = noisy_view(b, 1), noisy_view(b, 1), noisy_view(b, 2)
    np.testing.assert_array_equal(v1.flux, v1b.flux)                 # deterministic for a seed
    assert not np.array_equal(v1.flux, v2.flux)
    for name in ("mjd", "band", "flux_err", "offsets"):                  # every point kept
        np.testing.assert_array_equal(getattr(v1, name), getattr(b, name))
    z = (v1.flux - b.flux) / b.flux_err
    assert abs(z.mean()) < 0.15 and 0.85 < z.std() < 1.15


def test_benchmark_hybrid_tta_reuses_the_hybrids_members(monkeypatch):
    """hybrid-tta predicts with the very members hybrid trained on the fold (trained once), averaged
    over the test curve and its noise-only views."""
    from elasticc_fast.benchmarks.bts_models import CUTS, MODELS, Fold, _hybrid_data, cut_key
    from elasticc_fast.nn.config import BTS_HYBRID

    monkeypatch.setitem(BTS_HYBRID, "hidden", 8)
    monkeypatch.setitem(BTS_HYBRID, "width", 16)
    monkeypatch.setitem(BTS_HYBRID, "buckets", (32,))
    b = _labelled_batch(45)
    y = np.asarray(b.labels, np.int64)
    idx = np.arange(45)
    fold = Fold(b, y, BTS_TREE, idx[:30], idx[24:30], idx[30:], {}, None, (),
                options={"epochs": 1, "ensemble": 1, "test_views": 1})
    hyb = MODELS["hybrid"].run(fold)
    members = fold.members[True, True]
    tta = MODELS["hybrid-tta"].run(fold)
    assert fold.members[True, True] is members and len(members) == 1
    data = _hybrid_data(fold, idx[:24], {}, True)
    for c in (CUTS[0], None):
        p = [members[0].predict_proba(data.cut(c, objects=fold.test, view=v)).to_numpy() for v in (None, 1)]
        np.testing.assert_allclose(hyb[cut_key(c)], p[0], rtol=1e-6)
        np.testing.assert_allclose(tta[cut_key(c)], np.mean(p, axis=0), rtol=1e-6)
    assert not np.allclose(tta["full"], hyb["full"])
