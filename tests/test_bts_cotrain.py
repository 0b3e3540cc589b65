"""Co-training of ``hybrid-pre`` (``sim_share``): every fine-tuning epoch holds the real epoch unchanged
plus fresh views of simulated objects, equally many per leaf, indexed after the real objects."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.benchmarks.bts_cotrain import CoTrainData
from elasticc_fast.benchmarks.bts_pretrain import simulate_pretraining
from elasticc_fast.nn.hybrid_data import HybridData


@pytest.fixture(scope="module")
def parts():
    real = simulate_pretraining(25, seed=5)  # stands in for the real objects: any labelled batch
    sim = simulate_pretraining(60, seed=6)
    return real, sim


def _cotrain(parts, share: float) -> CoTrainData:
    real, sim = parts
    data = HybridData(real, np.asarray(real.labels), pool=np.arange(0, len(real), 2), sampler_power=0.5)
    return CoTrainData(data, sim, np.asarray(sim.labels), None, np.arange(len(sim) - 5), share=share)


def test_simulated_draws_are_equal_per_leaf_fresh_per_epoch_and_deterministic(parts):
    co = _cotrain(parts, 1.0)
    sim_labels = co.sim_labels
    draws = [co.sim_draw(s) for s in (0, 1, 0)]
    np.testing.assert_array_equal(draws[0], draws[2])
    assert not np.array_equal(draws[0], draws[1])
    k = len(co.real.pool)
    per = -(-k // 5)
    for d in draws:
        assert len(set(d.tolist())) == len(d) and np.isin(d, co.sim_pool).all()
        counts = np.unique(sim_labels[d], return_counts=True)[1]
        assert len(counts) == 5 and counts.max() <= per and counts.min() >= per - 1
    assert len(_cotrain(parts, 0.5).sim_draw(0)) == 5 * -(-round(0.5 * k) // 5)


def test_an_epoch_is_the_real_epoch_then_simulated_windows_after_the_real_objects(parts):
    co = _cotrain(parts, 0.6)
    real = co.real(3)
    w = co(3)
    n = len(real.lengths)
    np.testing.assert_array_equal(w.source[:n], real.source)
    np.testing.assert_array_equal(w.static[:n], real.static)
    np.testing.assert_array_equal(w.x[:n, :real.x.shape[1]], real.x)
    sim_src = w.source[n:]
    assert len(sim_src) == len(co.sim_draw(3)) and (sim_src >= co.n_real).all()
    np.testing.assert_array_equal(np.sort(sim_src - co.n_real), co.sim_draw(3))
    np.testing.assert_array_equal(w.labels, co.labels[w.source])  # labels follow the combined index
    assert set(co.pool.tolist()) == set(co.real.pool.tolist()) | set((co.n_real + co.sim_pool).tolist())
    assert w.static.shape[1] == real.static.shape[1]


def test_share_zero_is_the_real_epoch_and_a_negative_share_is_refused(parts):
    co = _cotrain(parts, 0.0)
    np.testing.assert_array_equal(co(2).source, co.real(2).source)
    with pytest.raises(ValueError, match="share"):
        _cotrain(parts, -0.1)


def test_auxiliary_targets_follow_the_combined_index(parts):
    """Windows carry their objects' aux targets (TrainConfig.aux_targets): the real ones from the real
    table, the simulated ones from theirs, NaN (unknown) when only the real objects have targets."""
    from elasticc_fast.context import aux_matrix

    real, sim = parts
    co = _cotrain(parts, 0.6)
    co.real.aux = aux_matrix(real.static, ("redshift",))
    co.sim_aux = aux_matrix(sim.static, ("redshift",))
    w = co(3)
    both = np.concatenate([co.real.aux, co.sim_aux])
    np.testing.assert_array_equal(w.aux, both[w.source])
    co.sim_aux = None
    w = co(3)
    n_real = (w.source < co.n_real).sum()
    np.testing.assert_array_equal(w.aux[:n_real], co.real.aux[w.source[:n_real]])
    assert np.isnan(w.aux[n_real:]).all() and n_real < len(w.aux)
