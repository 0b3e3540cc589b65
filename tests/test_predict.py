"""`elasticc-fast predict` (and `evaluate`) on the shared ELAsTiCC alerts with a small trained model.

The model is trained for one epoch on the Fink truth alerts (SN Ia and KN): its quality is not the
point here; the outputs' structure, validity against the official schema and probability sums are.
"""
from __future__ import annotations

import json

import fastavro
import numpy as np
import pyarrow.parquet as pq
import pytest
from fastavro.validation import validate_many

from elasticc_fast.cli import main
from elasticc_fast.taxonomy import CLASS_ID_FOR_LEAF, ORACLE_TREE

pytestmark = pytest.mark.shared

SNIA = "elasticc_alerts/fink/elasticc_parquet/test_elasticc_earlysnia.parquet"
KN = "elasticc_alerts/fink_kn_truth"


@pytest.fixture(scope="module")
def model_dir(shared_data, tmp_path_factory):
    import pyarrow as pa

    from elasticc_fast import Classifier
    from elasticc_fast.batch import LightCurveBatch
    from elasticc_fast.io.alerts import read_alerts
    from elasticc_fast.taxonomy import leaf_for_gentype

    table = pa.concat_tables([read_alerts(shared_data / SNIA), read_alerts(shared_data / KN)],
                             promote_options="permissive")
    batch = LightCurveBatch.from_arrow(table, id_column="alertId")
    labels = [leaf_for_gentype(g) for g in table["GENTYPE"].to_pylist()]
    clf = Classifier(tree=ORACLE_TREE, epochs=1, hidden=16, seed=0, max_length=64, buckets=(32, 64))
    clf.fit(batch, labels=labels)
    out = tmp_path_factory.mktemp("model") / "model"
    clf.save(out)
    return out


def test_alerts_to_broker_classification_avro(model_dir, shared_data, tmp_path, capsys):
    out = tmp_path / "sn.avro"
    assert main(["predict", str(model_dir), str(shared_data / SNIA), "--out", str(out)]) == 0
    assert "556 brokerClassification records" in capsys.readouterr().out
    from elasticc_fast.io.alerts import parse_avsc

    official = parse_avsc(shared_data / "elasticc_alerts/schema/elasticc.v0_9_1.brokerClassification.avsc")
    with open(out, "rb") as fh:
        records = list(fastavro.reader(fh))
    assert validate_many(records, official, raise_errors=True)
    assert len(records) == 556
    raw_ids = pq.read_table(shared_data / SNIA, columns=["alertId"])["alertId"].to_pylist()
    assert [r["alertId"] for r in records] == raw_ids
    leaf_ids = sorted(CLASS_ID_FOR_LEAF[leaf] for leaf in ORACLE_TREE.leaf_names)
    for r in records:
        assert sorted(c["classId"] for c in r["classifications"]) == leaf_ids
        assert sum(c["probability"] for c in r["classifications"]) == pytest.approx(1.0, abs=1e-5)


def test_alerts_to_parquet_probabilities(model_dir, shared_data, tmp_path):
    out = tmp_path / "kn.parquet"
    assert main(["predict", str(model_dir), str(shared_data / KN), "--out", str(out)]) == 0
    t = pq.read_table(out)
    assert t.num_rows == 40
    df = t.to_pandas()
    assert list(df.columns[:3]) == ["alertId", "diaSourceId", "SNID"]
    assert set(ORACLE_TREE.nodes) <= set(df.columns)
    np.testing.assert_allclose(df["Alert"], 1.0, atol=1e-5)
    np.testing.assert_allclose(df[list(ORACLE_TREE.leaf_names)].sum(axis=1), 1.0, atol=1e-5)
    for level in ORACLE_TREE.levels()[1:3]:
        np.testing.assert_allclose(df[[ORACLE_TREE.nodes[i] for i in level]].sum(axis=1), 1.0, atol=1e-5)
    assert set(df["predicted_leaf"]) <= set(ORACLE_TREE.leaf_names)


def test_schemaless_alert_and_converted_parquet_inputs(model_dir, shared_data, tmp_path, capsys):
    d = shared_data / "elasticc_alerts"
    out = tmp_path / "one.csv"
    assert main(["predict", str(model_dir), str(d / "alert_mjd60563.1120_obj104044681_src208089362038.avro.gz"),
                 "--alert-schema", str(d / "11290844.avro"), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith("208089362038,208089362038,104044681,")
    # the converted-object table of alerts, written as Parquet, is "converted Parquet" input
    from elasticc_fast.io.alerts import read_alerts

    conv = tmp_path / "conv.parquet"
    pq.write_table(read_alerts(d / "11290844.avro"), conv)
    res = tmp_path / "res.parquet"
    assert main(["predict", str(model_dir), str(conv), "--out", str(res)]) == 0
    assert pq.read_table(res)["SNID"].to_pylist() == [11290844] * 3
    res.write_bytes(b"older results")   # an existing --out is replaced only when asked
    assert main(["predict", str(model_dir), str(conv), "--out", str(res)]) == 2
    assert res.read_bytes() == b"older results"
    assert main(["predict", str(model_dir), str(conv), "--out", str(res), "--overwrite"]) == 0
    assert pq.read_table(res)["SNID"].to_pylist() == [11290844] * 3
    capsys.readouterr()
    assert main(["predict", str(model_dir), str(conv), "--out", str(tmp_path / "x.avro")]) == 2
    assert "elasticc-fast predict: error: --out FILE.avro" in capsys.readouterr().err


def test_evaluate_cli_on_labelled_alerts(model_dir, shared_data, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["evaluate", str(model_dir), str(shared_data / KN), "--out", str(out),
                 "--days", "1,8,64", "--confusion", "full"]) == 0
    printed = capsys.readouterr().out
    assert "macro-F1 leaf" in printed and str(out / "report.md") in printed
    data = json.loads((out / "metrics.json").read_text())
    assert data["n_objects"] == 40 and data["days"] == [1, 8, 64]
    # every KN alert is a true KN: the leaf confusion matrix has 40 objects in the KN row
    leaf = data["results"]["full"]["leaf"]
    kn = data["class_names"]["leaf"].index("KN")
    assert sum(leaf["confusion"][kn]) == 40 and leaf["n"] == 40
    assert (out / "cm_leaf_full.png").exists() and (out / "f1_vs_days.png").exists()


def test_classify_alert_dicts_from_a_stream(model_dir, shared_data):
    """Alert dicts as a Kafka consumer decodes them -> brokerClassification dicts, valid."""
    from elasticc_fast import Classifier
    from elasticc_fast.io.alerts import parse_avsc, records_to_table
    from elasticc_fast.predict import classify_alerts

    with open(shared_data / "elasticc_alerts/11290844.avro", "rb") as fh:
        stream = list(fastavro.reader(fh))
    clf = Classifier.load(model_dir)
    ok, records = classify_alerts(clf, records_to_table(stream), classifier_name="test", ingest_ms=0)
    assert ok.tolist() == [True, True, True]
    assert [r["alertId"] for r in records] == [a["alertId"] for a in stream]
    official = parse_avsc(shared_data / "elasticc_alerts/schema/elasticc.v0_9_1.brokerClassification.avsc")
    assert validate_many(records, official, raise_errors=True)
    for r in records:
        assert len(r["classifications"]) == 19
        assert sum(c["probability"] for c in r["classifications"]) == pytest.approx(1.0, abs=1e-9)
