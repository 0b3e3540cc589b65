"""`elasticc-fast stream --format ztf` on librdkafka's mock cluster with the 98 real ZTF alert
packets of the shared folder: every alert classified (ALeRCE-style records, valid against their
schema, ranked), bad packets dead-lettered. The model is a small GRU trained for one epoch on
these alerts with arbitrary labels: the delivery and the output format are under test here."""
from __future__ import annotations

import io
import uuid

import fastavro
import numpy as np
import pytest
from fastavro.validation import validate

from elasticc_fast.stream import replay
from elasticc_fast.stream.alert_handler import AlertHandler
from elasticc_fast.stream.classify import RecordEncoder
from elasticc_fast.stream.kafka import mock_cluster
from elasticc_fast.stream.service import StreamConfig, StreamService
from elasticc_fast.stream.ztf import (
    ALERCE_PROBABILITIES_SCHEMA,
    ZtfClassifier,
    ZtfDecoder,
    alert_batch,
)
from kafka_helpers import committed_everything, drain

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def packets(shared_data) -> list[bytes]:
    return [p.read_bytes() for p in sorted((shared_data / "alerce/ztf_alert_avro").glob("*.avro"))]


@pytest.fixture(scope="module")
def ztf_model(packets, tmp_path_factory):
    from elasticc_fast import Classifier
    from elasticc_fast.taxonomy import BTS_TREE

    batch = alert_batch([ZtfDecoder().decode(p) for p in packets])
    leaves = list(BTS_TREE.leaf_names)
    labels = [leaves[i % 3] for i in range(len(batch))]
    clf = Classifier(tree=BTS_TREE, epochs=1, hidden=16, seed=0, max_length=64, buckets=(32, 64),
                     static_columns=(), static_flags=False)
    clf.fit(batch, labels=labels)
    out = tmp_path_factory.mktemp("ztf") / "model"
    clf.save(out)
    return out


def test_ztf_packets_classified_and_bad_ones_dead_lettered(packets, ztf_model):
    decoder = ZtfDecoder()
    alerts = [decoder.decode(p) for p in packets]
    clf = ZtfClassifier(ztf_model, classifier_name="test")
    clf.warm_up(32)
    truncated = packets[0][: len(packets[0]) // 3]
    tag = uuid.uuid4().hex[:8]
    topics = (f"ztf-in-{tag}", f"ztf-out-{tag}", f"ztf-dead-{tag}")
    with mock_cluster() as kafka:
        replay.produce(kafka, topics[0], [(None, p) for p in packets[:50]] + [(None, truncated)] +
                       [(None, p) for p in packets[50:]])
        cfg = StreamConfig(kafka, *topics[:2], group=f"g-{tag}", dead_letter_topic=topics[2], batch=32,
                           max_wait_ms=100, max_messages=len(packets) + 1)
        snap = StreamService(cfg, AlertHandler(decoder, clf, RecordEncoder(ALERCE_PROBABILITIES_SCHEMA))).run()
        out = drain(kafka, topics[1], len(packets))
        dead = drain(kafka, topics[2], 1)
        assert committed_everything(kafka, f"g-{tag}", topics[0])
    schema = fastavro.parse_schema(ALERCE_PROBABILITIES_SCHEMA)
    records = [fastavro.schemaless_reader(io.BytesIO(v), schema) for _, v, _ in out]
    assert sorted(r["candid"] for r in records) == sorted(a["candidate"]["candid"] for a in alerts)
    for (key, _, _), r in zip(out, records, strict=True):
        validate(r, schema, raise_errors=True)
        assert key.decode() == r["oid"] and r["classifier_name"] == "test"
        p = np.array([c["probability"] for c in r["probabilities"]])
        assert p.sum() == pytest.approx(1.0, abs=1e-5)
        assert [c["ranking"] for c in sorted(r["probabilities"], key=lambda c: -c["probability"])] == \
            list(range(1, len(p) + 1))
    assert [(v, h["reason_kind"]) for _, v, h in dead] == [(truncated, b"not-avro")]
    assert snap["classified"] == len(packets) and snap["dead_letters_total"] == 1
