"""Pretrain + fine-tune: ``Classifier.fit(..., init_from=MODEL_DIR)`` starts from the saved model's
weights (and static normalisation): with a learning rate of 0 every training step's loss is the
pretrained model's loss and the fine-tuned model predicts exactly as the pretrained one; without
``init_from`` the same run starts elsewhere."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.classifier import Classifier
from elasticc_fast.sim.ztf import simulate_ztf
from elasticc_fast.taxonomy.ztf import BTS_TREE

SMALL = dict(hidden=16, batch_size=32, seed=0, class_weighted=False, static_columns=(), static_flags=False)


@pytest.fixture(scope="module")
def data_and_model(tmp_path_factory):
    sim = simulate_ztf(12, seed=1, classes=["SN Ia", "SN II", "SN Ic", "SLSN-I", "nova"], photometry="detections")
    other = simulate_ztf(12, seed=2, classes=["SN Ia", "SN II", "SN Ic", "SLSN-I", "nova"], photometry="detections")
    pre = Classifier(tree=BTS_TREE, epochs=1, **SMALL).fit(sim, show_progress=False)
    path = tmp_path_factory.mktemp("pre") / "model"
    pre.save(path)
    return other, Classifier.load(path), path


def test_fine_tuning_starts_from_the_saved_weights(data_and_model):
    other, pre, path = data_and_model
    frozen = Classifier(tree=BTS_TREE, epochs=1, learning_rate=0.0, **SMALL).fit(other, init_from=path,
                                                                                show_progress=False)
    np.testing.assert_allclose(frozen.predict_proba(other).to_numpy(), pre.predict_proba(other).to_numpy(),
                               rtol=1e-5, atol=1e-6)
    # the same zero-rate run from a fresh initialisation predicts something else
    fresh = Classifier(tree=BTS_TREE, epochs=1, learning_rate=0.0, **{**SMALL, "seed": 5}).fit(
        other, show_progress=False)
    assert np.abs(fresh.predict_proba(other).to_numpy() - pre.predict_proba(other).to_numpy()).max() > 1e-3


def test_init_from_refuses_another_tree(data_and_model):
    from elasticc_fast.taxonomy.ztf import ALERCE_TREE

    other, _, path = data_and_model
    with pytest.raises(ValueError, match="init_from: the pretrained model"):
        Classifier(tree=ALERCE_TREE, epochs=1, **SMALL).fit(other, labels=np.zeros(len(other), int) + 5,
                                                            init_from=path, show_progress=False)
