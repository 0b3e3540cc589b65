"""`elasticc-fast predict --format ztf|rubin`: alert packet files read by the stream's decoders.

ZTF: a tiny model trained with `elasticc-fast train --data bts` (the CLI) predicts the 98 real
ZTF alert packets of the shared folder from the CLI, with the same probabilities as the stream's
`--format ztf` classifier. Rubin: real ELAsTiCC alerts written as Rubin packets (one file each)
get the probabilities of the stream's `--format rubin` path; a bad packet fails naming the file.
"""
from __future__ import annotations

import fastavro
import numpy as np
import pandas as pd
import pytest
from fastavro.validation import validate

from elasticc_fast.cli import main
from elasticc_fast.stream.decode import RubinDecoder, rubin_schemas
from elasticc_fast.stream.ztf import ALERCE_PROBABILITIES_SCHEMA, ZtfClassifier, ZtfDecoder
from rubin_helpers import to_rubin

pytestmark = pytest.mark.shared
SNIA = "elasticc_alerts/fink/elasticc_parquet/test_elasticc_earlysnia.parquet"


def _avro(path) -> list[dict]:
    with open(path, "rb") as fh:
        return list(fastavro.reader(fh))


def test_bts_model_trained_by_the_cli_predicts_ztf_alert_files(shared_data, tmp_path, capsys):
    model, packets = tmp_path / "bts_model", shared_data / "alerce" / "ztf_alert_avro"
    assert main(["train", str(shared_data / "ztf_bts"), "--data", "bts", "--out", str(model), "--epochs", "1",
                 "--max-per-class", "8", "--max-length", "32"]) == 0
    assert main(["predict", str(model), str(packets), "--format", "ztf", "--out", str(tmp_path / "p.parquet")]) == 0
    assert main(["predict", str(model), str(packets), "--format", "ztf", "--out", str(tmp_path / "p.avro")]) == 0
    assert "wrote 98 ALeRCE-style probability records" in capsys.readouterr().out
    table = pd.read_parquet(tmp_path / "p.parquet")
    files = sorted(packets.glob("*.avro"))
    alerts = [ZtfDecoder().decode(f.read_bytes()) for f in files]
    assert list(table["candid"]) == [a["candidate"]["candid"] for a in alerts]
    clf = ZtfClassifier(model, classifier_name="x")
    leaves = list(clf.model.tree.leaf_names)
    np.testing.assert_allclose(table[leaves].sum(axis=1), 1.0, atol=1e-5)
    ok, stream_records = clf.classify(alerts)              # the stream service's path
    assert ok.all()
    streamed = np.array([[c["probability"] for c in r["probabilities"]] for r in stream_records])
    np.testing.assert_allclose(table[leaves].to_numpy(), streamed, atol=1e-6)
    records = _avro(tmp_path / "p.avro")
    schema = fastavro.parse_schema(ALERCE_PROBABILITIES_SCHEMA)
    assert all(validate(r, schema, raise_errors=True) for r in records)
    assert [r["candid"] for r in records] == list(table["candid"])
    np.testing.assert_allclose([[c["probability"] for c in r["probabilities"]] for r in records], streamed, atol=1e-6)


@pytest.fixture(scope="module")
def elasticc_model(shared_data, tmp_path_factory):
    from elasticc_fast import Classifier
    from elasticc_fast.batch import LightCurveBatch
    from elasticc_fast.io.alerts import read_alerts
    from elasticc_fast.taxonomy import ORACLE_TREE, leaf_for_gentype

    table = read_alerts(shared_data / SNIA).slice(0, 120)
    leaves = list(ORACLE_TREE.leaf_names)
    labels = [leaf_for_gentype(g) if i % 2 else leaves[i % 5] for i, g in enumerate(table["GENTYPE"].to_pylist())]
    clf = Classifier(tree=ORACLE_TREE, epochs=1, hidden=8, seed=0, max_length=32, buckets=(32,))
    clf.fit(LightCurveBatch.from_arrow(table, id_column="alertId"), labels=labels)
    return clf.save(tmp_path_factory.mktemp("elasticc") / "model")


def test_rubin_packet_files_get_the_stream_probabilities(shared_data, elasticc_model, tmp_path, capsys):
    from elasticc_fast.stream import replay
    from elasticc_fast.stream.classify import AlertClassifier

    schemas = rubin_schemas()
    sid = max(schemas)
    folder = tmp_path / "packets"
    folder.mkdir()
    alerts = replay.alert_dicts([shared_data / SNIA])[:30]
    for i, a in enumerate(alerts):
        (folder / f"{i:03d}.avro").write_bytes(to_rubin(a, schemas[sid], sid))
    assert main(["predict", str(elasticc_model), str(folder), "--format", "rubin", "--out",
                 str(tmp_path / "r.avro"), "--classifier-name", "c"]) == 0
    records = _avro(tmp_path / "r.avro")
    decoded = [RubinDecoder().decode(p.read_bytes()) for p in sorted(folder.iterdir())]
    _, streamed = AlertClassifier(elasticc_model, classifier_name="c").classify(decoded)   # the stream's path
    assert [r["alertId"] for r in records] == [r["alertId"] for r in streamed] == [a["alertId"] for a in alerts]
    for got, want in zip(records, streamed, strict=True):
        np.testing.assert_allclose([c["probability"] for c in got["classifications"]],
                                   [c["probability"] for c in want["classifications"]], atol=1e-6)
    assert main(["predict", str(elasticc_model), str(folder), "--format", "rubin", "--out",
                 str(tmp_path / "r.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "r.csv")) == 30
    bad = folder / "zz_unknown.avro"
    bad.write_bytes(to_rubin(alerts[0], schemas[sid], 4242))
    capsys.readouterr()
    assert main(["predict", str(elasticc_model), str(folder), "--format", "rubin", "--out",
                 str(tmp_path / "bad.csv")]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "unknown-schema-id" in err and not (tmp_path / "bad.csv").exists()


def test_packet_formats_need_packet_files(shared_data, elasticc_model, tmp_path, capsys):
    empty = tmp_path / "none"
    empty.mkdir()
    assert main(["predict", str(elasticc_model), str(empty), "--format", "ztf", "--out", str(tmp_path / "x.csv")]) == 1
    assert "no alert packet files" in capsys.readouterr().err
    parquet = shared_data / SNIA
    assert main(["predict", str(elasticc_model), str(parquet), "--format", "ztf", "--out", str(tmp_path / "x.csv")]) == 1
    assert str(parquet) in capsys.readouterr().err


def test_rubin_sample_containers_of_lsst_alert_packet(elasticc_model, tmp_path):
    """lsst-alert-packet's own sample alert (an avro container) of the current and the previous
    major schema version, as the stream's Rubin path converts and classifies them."""
    from pathlib import Path

    from lsst.alert import packet

    from elasticc_fast.stream.classify import AlertClassifier
    from elasticc_fast.stream.decode import check_alert, rubin_to_elasticc

    root = Path(packet.get_schema_root())
    samples = [p for p in root.glob("*/*/sample_data/fakeAlert.avro") if p.parents[2].name.isdigit()]
    majors = sorted({int(p.parents[2].name) for p in samples})[-2:]
    files = [max((p for p in samples if int(p.parents[2].name) == m), key=lambda p: int(p.parents[1].name))
             for m in majors]
    assert len(files) == 2
    assert main(["predict", str(elasticc_model), *map(str, files), "--format", "rubin", "--out",
                 str(tmp_path / "s.avro")]) == 0
    records = _avro(tmp_path / "s.avro")
    alerts = []
    for f in files:
        with open(f, "rb") as fh:
            alerts += [check_alert(rubin_to_elasticc(r)) for r in fastavro.reader(fh)]
    _, streamed = AlertClassifier(elasticc_model).classify(alerts)
    assert [r["alertId"] for r in records] == [a["alertId"] for a in alerts] and len(records) == 2
    np.testing.assert_allclose([[c["probability"] for c in r["classifications"]] for r in records],
                               [[c["probability"] for c in r["classifications"]] for r in streamed], atol=1e-6)
