"""`elasticc-fast stream` against a real Kafka-protocol broker: librdkafka's mock cluster.

The alerts are the real ELAsTiCC alerts of the shared folder (Fink parquet, SN Ia sample),
encoded as the ELAsTiCC stream sent them (schemaless avro, v0.9.1) or as Rubin alert packets
(Confluent wire format, lsst-alert-packet schemas). The model is small and trained for one epoch:
its quality is not the point, the delivery guarantees and output validity are.
"""
from __future__ import annotations

import functools
import io
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import fastavro
import pytest

import elasticc_fast
from elasticc_fast.stream import replay
from elasticc_fast.stream.alert_handler import AlertHandler
from elasticc_fast.stream.classify import AlertClassifier, RecordEncoder
from elasticc_fast.stream.decode import ElasticcDecoder, RubinDecoder, rubin_schemas
from elasticc_fast.stream.kafka import mock_cluster
from elasticc_fast.stream.service import StreamConfig, StreamService
from kafka_helpers import committed_everything, drain, reader
from rubin_helpers import to_rubin

pytestmark = pytest.mark.shared

SNIA = "elasticc_alerts/fink/elasticc_parquet/test_elasticc_earlysnia.parquet"
KN = "elasticc_alerts/fink_kn_truth"
SCHEMA = "elasticc_alerts/schema/elasticc.v0_9_1.alert.avsc"
OUT_SCHEMA = "elasticc_alerts/schema/elasticc.v0_9_1.brokerClassification.avsc"


@pytest.fixture(scope="module")
def kafka():
    with mock_cluster() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
def model_dir(shared_data, tmp_path_factory):
    import pyarrow as pa

    from elasticc_fast import Classifier
    from elasticc_fast.batch import LightCurveBatch
    from elasticc_fast.io.alerts import read_alerts
    from elasticc_fast.taxonomy import ORACLE_TREE, leaf_for_gentype

    table = pa.concat_tables([read_alerts(shared_data / SNIA), read_alerts(shared_data / KN)],
                             promote_options="permissive")
    labels = [leaf_for_gentype(g) for g in table["GENTYPE"].to_pylist()]
    clf = Classifier(tree=ORACLE_TREE, epochs=1, hidden=16, seed=0, max_length=64, buckets=(32, 64))
    clf.fit(LightCurveBatch.from_arrow(table, id_column="alertId"), labels=labels)
    out = tmp_path_factory.mktemp("model") / "model"
    clf.save(out)
    return out


@pytest.fixture(scope="module")
def classifier(model_dir):
    clf = AlertClassifier(model_dir, classifier_name="test")
    clf.warm_up(32)
    return clf


@pytest.fixture(scope="module")
def alerts(shared_data):
    return replay.alert_dicts([shared_data / SNIA])


def _topics(prefix: str) -> tuple[str, str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"{prefix}-in-{tag}", f"{prefix}-out-{tag}", f"{prefix}-dead-{tag}"


def read_records(shared_data, values: list[bytes]) -> list[dict]:
    """Decode brokerClassification values with the official schema file, validating each."""
    from fastavro.validation import validate

    from elasticc_fast.io.alerts import parse_avsc

    schema = parse_avsc(shared_data / OUT_SCHEMA)
    records = [fastavro.schemaless_reader(io.BytesIO(v), schema) for v in values]
    for r in records:
        validate(r, schema, raise_errors=True)
        assert math.isclose(sum(c["probability"] for c in r["classifications"]), 1.0, abs_tol=1e-5)
    return records


def serve(kafka, classifier, decoder, topics, n, **kw) -> dict:
    cfg = StreamConfig(kafka, topics[0], topics[1], group=f"g-{topics[0]}", dead_letter_topic=topics[2],
                       batch=32, max_wait_ms=100, max_messages=n, **kw)
    return StreamService(cfg, AlertHandler(decoder, classifier, RecordEncoder())).run()


def test_replayed_alerts_all_classified_valid_and_committed(kafka, classifier, alerts, shared_data, tmp_path):
    topics = _topics("replay")
    messages = replay.encode_schemaless(alerts[:150], shared_data / SCHEMA)
    assert replay.produce(kafka, topics[0], messages) == 150
    snap = serve(kafka, classifier, ElasticcDecoder(shared_data / SCHEMA), topics, 150,
                 metrics_path=str(tmp_path / "m.json"))
    out = drain(kafka, topics[1], 150)
    records = read_records(shared_data, [v for _, v, _ in out])
    assert sorted(r["alertId"] for r in records) == sorted(a["alertId"] for a in alerts[:150])
    by_alert = {a["alertId"]: a for a in alerts}
    for (key, _, _), r in zip(out, records, strict=True):
        assert int(key) == by_alert[r["alertId"]]["diaObject"]["diaObjectId"]
        assert r["classifierName"] == "test" and r["diaSourceId"] == by_alert[r["alertId"]]["diaSource"]["diaSourceId"]
    assert committed_everything(kafka, f"g-{topics[0]}", topics[0])
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["consumed"] == metrics["classified"] == 150 == snap["committed"]
    assert metrics["latency_p99_s"] >= metrics["latency_p50_s"] > 0 and metrics["consumer_lag"] == 0


def _bad_messages(alerts, schema_path) -> dict[str, bytes]:
    import copy

    def enc(a):
        return replay.encode_schemaless([a], schema_path)[0][1]

    no_object = copy.deepcopy(alerts[0])
    no_object["diaObject"] = None
    no_object["diaSource"]["diaObjectId"] = None
    empty = copy.deepcopy(alerts[1])
    empty["diaSource"]["psFlux"] = float("nan")
    band = copy.deepcopy(alerts[2])
    band["diaSource"]["filterName"] = "q"
    return {"not-avro": b"\x00garbage that is no alert", "truncated": enc(alerts[3])[:200],
            "missing-field": enc(no_object), "empty-light-curve": enc(empty), "bad-value": enc(band)}


def test_bad_messages_go_to_dead_letters_while_good_ones_flow(kafka, classifier, alerts, shared_data):
    topics = _topics("bad")
    bad = _bad_messages(alerts, shared_data / SCHEMA)
    good = replay.encode_schemaless(alerts[10:70], shared_data / SCHEMA)
    mixed = good[:20] + [(b"x", v) for v in bad.values()] + good[20:]
    replay.produce(kafka, topics[0], mixed)
    snap = serve(kafka, classifier, ElasticcDecoder(shared_data / SCHEMA), topics, len(mixed))
    records = read_records(shared_data, [v for _, v, _ in drain(kafka, topics[1], 60)])
    assert sorted(r["alertId"] for r in records) == sorted(a["alertId"] for a in alerts[10:70])
    dead = drain(kafka, topics[2], len(bad))
    assert sorted(v for _, v, _ in dead) == sorted(bad.values())        # original bytes, none lost
    kinds = {v: h["reason_kind"].decode() for _, v, h in dead}
    assert {name: kinds[v] for name, v in bad.items()} == {
        "not-avro": "not-avro", "truncated": "not-avro", "missing-field": "missing-field",
        "empty-light-curve": "empty-light-curve", "bad-value": "bad-value"}
    assert all(h["reason"] and h["source_topic"].decode() == topics[0] for _, _, h in dead)
    assert snap["dead_letters_total"] == 5 and snap["classified"] == 60
    assert committed_everything(kafka, f"g-{topics[0]}", topics[0])


def test_rubin_wire_format_current_and_previous_major(kafka, classifier, alerts, shared_data):
    schemas = rubin_schemas()
    majors = sorted({sid // 100 for sid in schemas})
    assert len(majors) == 2                      # the current major and the one before
    newest = {m: max(s for s in schemas if s // 100 == m) for m in majors}
    topics = _topics("rubin")
    msgs = [(None, to_rubin(a, schemas[newest[majors[i % 2]]], newest[majors[i % 2]]))
            for i, a in enumerate(alerts[100:140])]
    unknown = to_rubin(alerts[0], schemas[newest[majors[1]]], 4242)
    replay.produce(kafka, topics[0], msgs[:20] + [(None, unknown)] + msgs[20:])
    serve(kafka, classifier, RubinDecoder(), topics, 41)
    records = read_records(shared_data, [v for _, v, _ in drain(kafka, topics[1], 40)])
    assert sorted(r["alertId"] for r in records) == sorted(a["alertId"] for a in alerts[100:140])
    (_, value, headers), = drain(kafka, topics[2], 1)
    assert value == unknown and headers["reason_kind"] == b"unknown-schema-id" and b"4242" in headers["reason"]


def _start(model_dir, kafka, topics, schema, metrics, session_ms=6000):
    cmd = [sys.executable, "-m", "elasticc_fast", "stream", str(model_dir), "--bootstrap", kafka,
           "--input-topic", topics[0], "--output-topic", topics[1], "--group", f"g-{topics[0]}",
           "--schema", str(schema), "--batch", "16", "--max-wait-ms", "50", "--metrics", str(metrics),
           "--metrics-interval", "0.2", "-X", f"session.timeout.ms={session_ms}", "-X", "heartbeat.interval.ms=500"]
    # The child imports the same elasticc_fast as this process (installed, or a dev tree on PYTHONPATH).
    package_root = str(Path(elasticc_fast.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]))
    # Its log goes to a file, never to a pipe: nobody reads a pipe while the service runs, and a
    # full pipe (64 KiB of metrics lines) blocks the service mid-loop, stalling its group.
    log = metrics.with_suffix(".log")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    proc.log_path = log
    end = time.monotonic() + 120
    while not metrics.exists():
        assert proc.poll() is None and time.monotonic() < end, log.read_text() if proc.poll() is not None else "slow"
        time.sleep(0.1)
    return proc


def _terminate(proc) -> None:
    """SIGTERM a service: it must finish its batch, commit and exit 0."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == 0, proc.log_path.read_text()[-4000:]


def _output_counts(kafka, topic, shared_data, n) -> Counter:
    """How many output records each alert id got (the whole output topic)."""
    records = read_records(shared_data, [v for _, v, _ in drain(kafka, topic, n + 100, timeout=2)])
    return Counter(r["alertId"] for r in records)


def _wait_outputs(kafka, topic, predicate, timeout=90.0) -> list:
    c = reader(kafka, topic)
    seen, end = [], time.monotonic() + timeout
    while not predicate(seen) and time.monotonic() < end:
        seen += [m.value() for m in c.consume(64, 0.05) if m.error() is None]
    c.close()
    return seen


@pytest.mark.slow
def test_sigkill_restart_loses_nothing_and_sigterm_commits(kafka, model_dir, alerts, shared_data, tmp_path):
    topics = _topics("crash")
    n = 240
    messages = replay.encode_schemaless(alerts[:n], shared_data / SCHEMA)
    first = _start(model_dir, kafka, topics, shared_data / SCHEMA, tmp_path / "m1.json")
    feeder = threading.Thread(target=replay.produce, args=(kafka, topics[0], messages), kwargs={"rate": 40})
    feeder.start()
    seen = _wait_outputs(kafka, topics[1], lambda s: len(s) >= 40)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert 40 <= len(seen) < n                                 # killed mid-stream
    second = _start(model_dir, kafka, topics, shared_data / SCHEMA, tmp_path / "m2.json")
    feeder.join()
    ids = {a["alertId"] for a in alerts[:n]}
    _wait_outputs(kafka, topics[1], lambda s: {r["alertId"] for r in read_records(shared_data, s)} >= ids)
    _terminate(second)
    counts = _output_counts(kafka, topics[1], shared_data, n)
    assert set(counts) == ids                                  # every alert classified
    assert sum(c - 1 for c in counts.values()) <= 16            # duplicates: at most one batch
    assert committed_everything(kafka, f"g-{topics[0]}", topics[0])


def _metric(metrics: Path, key: str):
    """One field of a service's metrics file (None before its first report)."""
    return json.loads(metrics.read_text()).get(key) if metrics.exists() else None


def _classified(metrics: Path) -> int:
    return _metric(metrics, "classified") or 0


def _wait_split(m1: Path, m2: Path, timeout: float = 180.0) -> None:
    """Wait until the group has split the input's 4 partitions between the two services."""
    end = time.monotonic() + timeout
    while not (0 < (_metric(m2, "assigned_partitions") or 0) and 0 < (_metric(m1, "assigned_partitions") or 0) < 4):
        assert time.monotonic() < end, ("no rebalance", m1.read_text(), m2.read_text())
        time.sleep(0.2)


@pytest.mark.slow
def test_process_joining_and_leaving_the_group_mid_stream_loses_nothing(kafka, model_dir, alerts, shared_data,
                                                                      tmp_path):
    """Two service processes in one consumer group: the second joins mid-stream (the partitions
    are split), classifies, then leaves on SIGTERM (they go back to the first). A rebalance that
    catches a batch in flight makes that batch's commit fail (counted as ``commit_failures``) and
    the new owner replays it: so every duplicate must come from a refused commit, at most one batch
    of 16 each. How many such rebalances happen is up to the group coordinator's timing (the mock
    cluster can run extra generations, and a leave can wait out the 15-s session)."""
    topics, n = _topics("rebalance"), 300
    messages = replay.encode_schemaless(alerts[:n], shared_data / SCHEMA)
    # A 15 s session: on a starved machine a 6 s one expired between heartbeats (one more
    # rebalance; the bound below allows for it). Not longer: the mock coordinator holds each
    # rebalance open for the session minus 1 s, twice in this test (30 s made it 80 s long).
    start = functools.partial(_start, session_ms=15000)
    first = start(model_dir, kafka, topics, shared_data / SCHEMA, tmp_path / "m1.json")
    feed = threading.Thread(target=replay.produce, args=(kafka, topics[0], messages[:100]), kwargs={"rate": 40})
    feed.start()
    _wait_outputs(kafka, topics[1], lambda s: len(s) >= 30)
    second = start(model_dir, kafka, topics, shared_data / SCHEMA, tmp_path / "m2.json")    # joins
    feed.join()
    # Feed the second part only once the second service owns partitions: fed earlier, the first
    # service can classify all of it before the (timing-dependent) rebalance gives the second any.
    _wait_split(tmp_path / "m1.json", tmp_path / "m2.json")
    feed = threading.Thread(target=replay.produce, args=(kafka, topics[0], messages[100:200]), kwargs={"rate": 40})
    feed.start()
    end = time.monotonic() + 180   # its first batch may wait for a jit compile on a starved machine
    while _classified(tmp_path / "m2.json") == 0 and time.monotonic() < end:
        time.sleep(0.2)
    _terminate(second)                                                                   # leaves mid-stream
    feed.join()
    replay.produce(kafka, topics[0], messages[200:], rate=40)
    ids = {a["alertId"] for a in alerts[:n]}
    _wait_outputs(kafka, topics[1], lambda s: {r["alertId"] for r in read_records(shared_data, s)} >= ids,
                  timeout=240.0)   # the leave's rebalance can wait out the session (15 s) more than once
    _terminate(first)
    counts = _output_counts(kafka, topics[1], shared_data, n)
    assert set(counts) == ids                                   # every alert classified
    refused = [json.loads((tmp_path / m).read_text())["commit_failures"] for m in ("m1.json", "m2.json")]
    duplicates = sum(c - 1 for c in counts.values())
    assert duplicates <= 16 * sum(refused), (duplicates, refused)   # only replays of refused batches
    assert _classified(tmp_path / "m1.json") > 0 and _classified(tmp_path / "m2.json") > 0
    assert committed_everything(kafka, f"g-{topics[0]}", topics[0])
