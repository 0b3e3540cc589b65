"""brokerClassification avro output: schema identity with the official file, validation, round trip."""
from __future__ import annotations

import json

import fastavro
import numpy as np
import pytest
from fastavro.validation import validate_many

from elasticc_fast.io import alerts, broker
from elasticc_fast.taxonomy import CLASS_ID_FOR_LEAF, ORACLE_TREE

LEAF_IDS = [CLASS_ID_FOR_LEAF[n] for n in ORACLE_TREE.leaf_names]


def _strip_docs(obj):
    if isinstance(obj, dict):
        return {k: _strip_docs(v) for k, v in obj.items() if k != "doc"}
    if isinstance(obj, list):
        return [_strip_docs(v) for v in obj]
    return obj


def _hand_alerts():
    src = {"diaSourceId": 11, "diaObjectId": 7, "midPointTai": 60000.5, "filterName": "g", "ra": 1.0,
           "decl": 2.0, "psFlux": 100.0, "psFluxErr": 5.0, "snr": 20.0}
    return alerts.records_to_table([{"alertId": 1, "diaSource": src},
                                    {"alertId": 2, "diaSource": {**src, "diaSourceId": 12, "midPointTai": 60001.5}}])


def test_records_sum_to_one_and_carry_every_leaf(tmp_path):
    t = _hand_alerts()
    p = np.array([np.arange(1, 20, dtype=float), np.full(19, 3.0)])   # unnormalised on purpose
    out = tmp_path / "x.avro"
    n = broker.write_broker_classifications(out, t, p, LEAF_IDS, classifier_name="test", ingest_ms=1234)
    assert n == 2
    back = broker.read_broker_classifications(out)
    assert [r["alertId"] for r in back] == [1, 2]
    assert [r["diaSourceId"] for r in back] == [11, 12]
    for r, row in zip(back, p, strict=True):
        assert [c["classId"] for c in r["classifications"]] == LEAF_IDS
        probs = np.array([c["probability"] for c in r["classifications"]])
        assert probs.sum() == pytest.approx(1.0, abs=1e-6)
        np.testing.assert_allclose(probs, row / row.sum(), rtol=1e-6)
    # observation time stands in for the publish time of alerts read from files
    assert back[0]["elasticcPublishTimestamp"].timestamp() == pytest.approx((60000.5 - 40587) * 86400)
    assert back[0]["brokerIngestTimestamp"].timestamp() == pytest.approx(1.234)


def test_bad_probabilities_name_the_alert(tmp_path):
    t = _hand_alerts()
    p = np.ones((2, 19))
    p[1] = 0.0
    with pytest.raises(ValueError, match="alert 2"):
        broker.write_broker_classifications(tmp_path / "x.avro", t, p, LEAF_IDS)
    assert not (tmp_path / "x.avro").exists()
    with pytest.raises(ValueError, match="shape"):
        broker.write_broker_classifications(tmp_path / "x.avro", t, np.ones((2, 3)), LEAF_IDS)


@pytest.mark.shared
def test_schema_is_the_official_one(shared_data):
    path = shared_data / "elasticc_alerts/schema/elasticc.v0_9_1.brokerClassification.avsc"
    assert _strip_docs(json.loads(path.read_text())) == _strip_docs(broker.BROKER_CLASSIFICATION_SCHEMA)


@pytest.mark.shared
def test_shared_alerts_give_valid_records(shared_data, tmp_path):
    schema_path = shared_data / "elasticc_alerts/schema/elasticc.v0_9_1.brokerClassification.avsc"
    official = alerts.parse_avsc(schema_path)
    t = alerts.read_alerts(shared_data / "elasticc_alerts/fink/elasticc_parquet/test_elasticc_earlysnia.parquet")
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(19), size=t.num_rows)
    out = tmp_path / "sn.avro"
    broker.write_broker_classifications(out, t, p, LEAF_IDS, schema=schema_path)
    back = broker.read_broker_classifications(out)
    assert len(back) == 556
    # validate what came back against the official schema, raising on the first invalid record
    assert validate_many(back, official, raise_errors=True)
    with open(out, "rb") as fh:
        assert fastavro.reader(fh).writer_schema["name"] == "elasticc.v0_9_1.brokerClassfication"
    sums = np.array([sum(c["probability"] for c in r["classifications"]) for r in back])
    np.testing.assert_allclose(sums, 1.0, atol=1e-6)
