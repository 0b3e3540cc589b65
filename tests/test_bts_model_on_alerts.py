"""A model trained on ZTF BTS light curves (``train --data bts``'s settings) classifies real ZTF alerts."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.classifier import Classifier
from elasticc_fast.cli import main
from elasticc_fast.io.bts import bts_types, read_bts
from elasticc_fast.io.ztf import read_ztf_alerts
from elasticc_fast.nn.config import BTS_HYBRID
from elasticc_fast.taxonomy.ztf import BTS_TREE, bts_leaf


def test_train_help_offers_bts(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--data" in out and "bts" in out and "--context" in out and "--ensemble" in out


def test_bts_trained_hybrid_predicts_ztf_alerts(shared_data, tmp_path):
    root = shared_data / "ztf_bts"
    types = bts_types(root)
    ids = [i for leaf in ("SN Ia", "SN II", "SLSN", "SN Ib/c", "CV/nova")
           for i in [j for j, t in types.items() if bts_leaf(t) == leaf][:12]]
    batch = read_bts(root, tree=BTS_TREE, ids=ids, progress=False)
    tiny = {**BTS_HYBRID, "epochs": 2, "hidden": 8, "width": 16, "buckets": (32,), "max_length": 32}
    clf = Classifier(tree=BTS_TREE, **tiny).fit(batch, show_progress=False)
    clf.save(tmp_path / "model")
    alerts = read_ztf_alerts(sorted((shared_data / "alerce" / "ztf_alert_avro").glob("*.avro")),
                             non_detections=False)   # BTS curves hold detections only
    probs = Classifier.load(tmp_path / "model").predict_proba(alerts)
    assert list(probs.index) == list(alerts.ids) and list(probs.columns) == list(BTS_TREE.nodes)
    leaves = probs[list(BTS_TREE.leaf_names)].to_numpy()
    np.testing.assert_allclose(leaves.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(probs.to_numpy(), clf.predict_proba(alerts).to_numpy(), rtol=1e-6)
