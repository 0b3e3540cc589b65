"""`elasticc-fast stream --format alerce-features` on librdkafka's mock cluster: ALeRCE feature-step
messages (the pipeline's output schema, with the real ALeRCE features of the 150 labelled objects of
the shared folder) classified by a hierarchical LightGBM trained with `elasticc-fast train --data
alerce-features`; the records agree with the model called directly; bad messages are dead-lettered."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import fastavro
import numpy as np
import pandas as pd
import pytest
from fastavro.validation import validate

from elasticc_fast.baselines.feature_model import FeatureModel, read_alerce_features
from elasticc_fast.stream import replay
from elasticc_fast.stream.alerce_features import (
    ALERCE_FEATURES_SCHEMA,
    AlerceFeaturesClassifier,
    AlerceFeaturesDecoder,
    avro_name,
    feature_step_schema,
)
from elasticc_fast.stream.alert_handler import AlertHandler
from elasticc_fast.stream.classify import RecordEncoder
from elasticc_fast.stream.kafka import mock_cluster
from elasticc_fast.stream.service import StreamConfig, StreamService
from kafka_helpers import committed_everything, drain

pytestmark = pytest.mark.shared
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kafka():
    with mock_cluster() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
def model_dir(shared_data, tmp_path_factory) -> Path:
    """A feature model trained through the CLI (30 rounds per node: the delivery is under test)."""
    out = tmp_path_factory.mktemp("alerce") / "model"
    subprocess.run([sys.executable, "-m", "elasticc_fast", "train", str(shared_data / "alerce"), "--data",
                    "alerce-features", "--epochs", "30", "--out", str(out)], check=True, env=_env())
    return out


@pytest.fixture(scope="module")
def messages(shared_data, model_dir) -> tuple[pd.DataFrame, list[bytes]]:
    """(features, one feature-step message per object) written with the pipeline's schema."""
    X, _ = read_alerce_features(shared_data / "alerce")
    schema, _ = feature_step_schema(shared_data / "alerce/feature_step_output.avsc", list(X.columns))
    out = [_message(schema, oid, row) for oid, row in X.iterrows()]
    return X, out


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT / "python")}


def _message(schema: dict, oid: str, features: pd.Series | None) -> bytes:
    feats = None if features is None else {avro_name(k): None if np.isnan(v) else float(v) for k, v in features.items()}
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, schema, {"oid": oid, "candid": ["1", "2"], "detections": [], "non_detections": [],
                                             "xmatches": None, "features": feats})
    return buf.getvalue()


def _records(values: list[bytes]) -> list[dict]:
    schema = fastavro.parse_schema(ALERCE_FEATURES_SCHEMA)
    return [fastavro.schemaless_reader(io.BytesIO(v), schema) for v in values]


def test_feature_messages_classified_as_the_model_does_and_bad_ones_dead_lettered(kafka, shared_data, model_dir,
                                                                                   messages):
    X, good = messages
    schema_path = shared_data / "alerce/feature_step_output.avsc"
    decoder = AlerceFeaturesDecoder(schema_path, FeatureModel.load(model_dir).feature_names)
    bad = {"not-avro": b"\x00\x01not avro at all",
           "missing-field": _message(decoder.schema, "ZTFnofeatures", None)}
    tag = uuid.uuid4().hex[:8]
    topics = (f"af-in-{tag}", f"af-out-{tag}", f"af-dead-{tag}")
    replay.produce(kafka, topics[0], [(None, v) for v in good[:70]] + [(None, v) for v in bad.values()] +
                   [(None, v) for v in good[70:]])
    cfg = StreamConfig(kafka, *topics[:2], group=f"g-{tag}", dead_letter_topic=topics[2], batch=32,
                       max_wait_ms=100, max_messages=len(good) + len(bad))
    clf = AlerceFeaturesClassifier(model_dir, classifier_name="test")
    snap = StreamService(cfg, AlertHandler(decoder, clf, RecordEncoder(ALERCE_FEATURES_SCHEMA))).run()
    out, dead = drain(kafka, topics[1], len(good)), drain(kafka, topics[2], len(bad))
    assert committed_everything(kafka, f"g-{tag}", topics[0])
    assert snap["classified"] == len(good) and snap["dead_letters_total"] == len(bad)
    assert sorted((h["reason_kind"].decode(), v) for _, v, h in dead) == sorted(bad.items())
    records = _records([v for _, v, _ in out])
    assert [k.decode() for k, _, _ in out] == [r["oid"] for r in records]
    assert sorted(r["oid"] for r in records) == sorted(X.index)
    for r in records:
        validate(r, fastavro.parse_schema(ALERCE_FEATURES_SCHEMA), raise_errors=True)
        assert r["candid"] == "2" and r["classifier_name"] == "test"
        assert sorted(c["ranking"] for c in r["probabilities"]) == list(range(1, 16))
    # the model called directly on the features as the message carries them (avro float = float32)
    expected = FeatureModel.load(model_dir).predict_alerce(X.astype(np.float32).astype(np.float64))
    got = {r["oid"]: {c["class_name"]: c["probability"] for c in r["probabilities"]} for r in records}
    got_top = {r["oid"]: {c["class_name"]: c["probability"] for c in r["top"]} for r in records}
    np.testing.assert_allclose(pd.DataFrame(got).T.loc[X.index, expected["probabilities"].columns],
                               expected["probabilities"], atol=1e-6)
    np.testing.assert_allclose(pd.DataFrame(got_top).T.loc[X.index, expected["top"].columns], expected["top"], atol=1e-6)


def test_writer_schema_without_a_needed_feature_is_refused(tmp_path, shared_data, model_dir):
    names = FeatureModel.load(model_dir).feature_names
    (tmp_path / "out.avsc").write_bytes((shared_data / "alerce/feature_step_output.avsc").read_bytes())
    (tmp_path / "features_record_ztf.avsc").write_text(
        '{"type": "record", "name": "features_record_ztf", "fields": [%s]}'
        % ", ".join(f'{{"name": "{avro_name(f)}", "type": ["float", "null"]}}' for f in names[1:]))
    with pytest.raises(ValueError, match=f"lacks 1 features the model needs \\({avro_name(names[0])}\\)"):
        AlerceFeaturesDecoder(tmp_path / "out.avsc", names)


def test_cli_streams_feature_messages(kafka, shared_data, model_dir, messages):
    _, good = messages
    tag = uuid.uuid4().hex[:8]
    replay.produce(kafka, f"afc-in-{tag}", [(None, v) for v in good[:40]])
    done = subprocess.run([sys.executable, "-m", "elasticc_fast", "stream", str(model_dir), "--bootstrap", kafka,
                           "--input-topic", f"afc-in-{tag}", "--output-topic", f"afc-out-{tag}", "--format",
                           "alerce-features", "--schema", str(shared_data / "alerce/feature_step_output.avsc"),
                           "--max-messages", "40", "--group", f"g-{tag}"],
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "40 alerts, 40 classified, 0 dead letters" in done.stdout
    assert len(_records([v for _, v, _ in drain(kafka, f"afc-out-{tag}", 40)])) == 40


def test_saved_feature_model_predicts_as_the_fitted_one(shared_data, tmp_path):
    import warnings

    from elasticc_fast.baselines import HierarchicalLightGBM
    from elasticc_fast.taxonomy.ztf import ALERCE_TREE

    X, y = read_alerce_features(shared_data / "alerce")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = HierarchicalLightGBM(ALERCE_TREE, n_estimators=20).fit(X.iloc[::2], y[::2])
    FeatureModel.from_fitted(fitted).save(tmp_path / "m")
    loaded = FeatureModel.load(tmp_path / "m")
    assert loaded.feature_names == list(X.columns) and not any(tmp_path.glob("m/*.tmp*"))
    np.testing.assert_allclose(loaded.predict_proba(X.iloc[1::2]), fitted.predict_proba(X.iloc[1::2]), atol=1e-12)
    with pytest.raises(KeyError, match="absent"):
        loaded.predict_proba(X.drop(columns=["rb"]))
