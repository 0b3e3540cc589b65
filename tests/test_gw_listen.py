"""`elasticc-fast gw listen` on librdkafka's mock cluster: IGWN alerts published with hop-client
(the transport under igwn-alert) for the real SPIIR coinc triggers of the shared folder must give
byte-identical p_astro.json files to `gw classify` on the same triggers."""
from __future__ import annotations

import json
import uuid

import pyarrow.parquet as pq
import pytest
from confluent_kafka import Producer

from elasticc_fast.cli import main
from elasticc_fast.stream.gw_listen import BadMessage, event_of, trigger_row
from elasticc_fast.stream.kafka import mock_cluster
from kafka_helpers import drain

pytestmark = pytest.mark.shared

COINC = ("ifos", "end_time", "end_time_ns", "mass", "mchirp", "minimum_duration", "snr",
         "false_alarm_rate", "combined_far")
SINGLE = ("snr", "eff_distance", "chisq", "coa_phase", "mass1", "mass2", "spin1z", "spin2z")


def gracedb_event(row: dict, graceid: str, pipeline: str = "spiir") -> dict:
    """A GraceDB CBC event as GraceDB builds it from a coinc.xml (CoincInspiral + SingleInspiral)."""
    ifos = row["ifos"].split(",")
    singles = [{"ifo": ifo, **{k: row[f"{k}_{ifo}"] if f"{k}_{ifo}" in row else row[k] for k in SINGLE}}
               for ifo in ifos]
    return {"graceid": graceid, "pipeline": pipeline, "group": "CBC", "search": "AllSky",
            "far": row["combined_far"], "instruments": row["ifos"], "gpstime": row["end_time_gps"],
            "extra_attributes": {"CoincInspiral": {k: row[k] for k in COINC}, "SingleInspiral": singles}}


def test_event_parsing_names_what_is_missing():
    with pytest.raises(BadMessage, match="not-json"):
        event_of(b"\x00\x01")
    event = event_of(json.dumps({"alert_type": "new", "uid": "G7", "data": {
        "pipeline": "spiir", "extra_attributes": {"CoincInspiral": {"snr": 9.0, "combined_far": 1e-8},
                                                  "SingleInspiral": []}}}).encode())
    with pytest.raises(BadMessage, match="event G7: no positive mchirp"):
        trigger_row(event)


def test_listener_writes_the_same_p_astro_json_as_gw_classify(shared_data, tmp_path):
    import hop

    spiir = shared_data / "gw/spiir"
    schemas = shared_data / "gw/alert_format"
    counts = ["--fit-counts", str(spiir / "fgmc_data.csv")]
    assert main(["gw", "extract", str(spiir / "postcoh_coinc"), "--out", str(tmp_path / "t.parquet")]) == 0
    assert main(["gw", "classify", str(tmp_path / "t.parquet"), "--out", str(tmp_path / "classify"),
                 "--schema-dir", str(schemas), *counts]) == 0
    rows = pq.read_table(tmp_path / "t.parquet").to_pylist()
    ids = {f"G{1000 + i}": row for i, row in enumerate(rows)}
    bad_event = gracedb_event(rows[0], "G1")
    del bad_event["extra_attributes"]["CoincInspiral"]["mchirp"]
    other = gracedb_event(rows[0], "G2", pipeline="gstlal")
    topic, out_topic, dead = (f"{n}-{uuid.uuid4().hex[:8]}" for n in ("igwn.gracedb.cbc", "pastro", "gwdead"))
    with mock_cluster() as kafka:
        with hop.Stream(auth=False).open(f"kafka://{kafka}/{topic}", "w", automatic_offload=False) as s:
            for gid, row in ids.items():
                s.write({"alert_type": "new", "uid": gid, "data": gracedb_event(row, gid)})
            s.write({"alert_type": "new", "uid": "G1", "data": bad_event})
            s.write({"alert_type": "new", "uid": "G2", "data": other})
        raw = Producer({"bootstrap.servers": kafka})
        raw.produce(topic, b"not json at all")
        raw.flush(10)
        n = len(ids) + 3
        assert main(["gw", "listen", "--bootstrap", kafka, "--input-topic", topic, "--out", str(tmp_path / "listen"),
                     "--output-topic", out_topic, "--dead-letter-topic", dead, "--schema-dir", str(schemas),
                     "--max-messages", str(n), *counts]) == 0
        published = {k.decode(): v.decode() for k, v, _ in drain(kafka, out_topic, len(ids))}
        dead_letters = drain(kafka, dead, 2)
    assert len(ids) == len(rows) == 14
    for gid, row in ids.items():
        stem = row["file"].removesuffix(".xml")
        expected = (tmp_path / "classify" / f"{stem}.{row['trigger_index']}.p_astro.json").read_text()
        assert (tmp_path / "listen" / f"{gid}.p_astro.json").read_text() == expected
        assert published[gid] == expected
    assert sorted(p.name for p in (tmp_path / "listen").iterdir()) == sorted(f"{g}.p_astro.json" for g in ids)
    assert sorted(h["reason_kind"] for _, _, h in dead_letters) == [b"missing-field", b"not-json"]
