"""Alert packets on disk -> predictions, through the stream service's own decoders and classifier
paths (``elasticc-fast predict --format rubin|ztf``), so a file and a Kafka message of the same
bytes get the same light curve and the same probabilities.

- ``rubin``: each file holds one Rubin alert packet as it travels on Kafka (Confluent wire format:
  byte 0, a 4-byte schema id, schemaless avro; schemas of ``lsst-alert-packet``), or is an avro
  container of Rubin alerts (the writer schema inside, e.g. the package's sample data), decoded by
  :class:`elasticc_fast.stream.decode.RubinDecoder` and classified as ELAsTiCC alerts.
- ``ztf``: each file is one ZTF alert packet (an avro container), decoded by
  :class:`elasticc_fast.stream.ztf.ZtfDecoder`; one light curve per alert as
  :func:`elasticc_fast.stream.ztf.alert_batch` builds it.

A folder stands for every file below it (hidden files skipped), sorted by path.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

log = logging.getLogger(__name__)

FORMATS = ("rubin", "ztf")
_CONTAINER_MAGIC = b"Obj\x01"      # the first bytes of an avro container file


def packet_files(inputs: Sequence[str | Path]) -> list[Path]:
    """The files of ``inputs`` (folders expanded recursively, sorted); raises naming a missing one."""
    from .errors import DataError

    files: list[Path] = []
    for p in map(Path, inputs):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        elif p.is_file():
            files.append(p)
        else:
            raise DataError(f"{p}: no such file or folder")
    return files


def read_packets(fmt: str, inputs: Sequence[str | Path]) -> list[dict]:
    """Decoded, checked alert dicts, one per packet file; raises :class:`DataError` naming the file
    and the reason (the stream's dead-letter reason) for a packet that cannot be classified."""
    from .errors import DataError
    from .stream.decode import BadMessage, make_decoder

    decoder = make_decoder(fmt)
    alerts = []
    for f in packet_files(inputs):
        value = f.read_bytes()
        try:
            if fmt == "rubin" and value[:4] == _CONTAINER_MAGIC:
                alerts += decoder.decode_container(value)
            else:
                alerts.append(decoder.decode(value))
        except BadMessage as exc:
            raise DataError(f"{f}: not a usable {fmt} alert packet: {exc.reason} ({exc.kind})") from None
    if not alerts:
        raise DataError(f"{', '.join(map(str, inputs))}: no alert packet files")
    return alerts


def ztf_table(classifier: Any, alerts: Sequence[dict]) -> pa.Table:
    """``objectId``, ``candid``, every node's marginal probability, the predicted leaf and its
    probability, one row per ZTF alert (probabilities NaN for an alert without a usable point)."""
    from .predict import predicted_leaves
    from .stream.ztf import ztf_probabilities

    probs = ztf_probabilities(classifier, alerts)
    leaf, leaf_p = predicted_leaves(probs, classifier.tree)
    columns = {"objectId": pa.array([str(a["objectId"]) for a in alerts]),
               "candid": pa.array([int(a["candidate"]["candid"]) for a in alerts], pa.int64())}
    columns.update({node: pa.array(probs[:, k].astype(np.float32)) for k, node in enumerate(classifier.tree.nodes)})
    columns["predicted_leaf"] = pa.array(leaf.tolist(), pa.string())
    columns["predicted_probability"] = pa.array(leaf_p.astype(np.float32))
    return pa.table(columns)


def predict_packets(classifier: Any, fmt: str, inputs: Sequence[str | Path], out: Path, names: dict) -> str:
    """Classify packet files and write ``out`` (.parquet/.csv table or .avro records, atomically);
    returns the line the verb prints. ``names``: ``broker_name``, ``classifier_name`` (None:
    default), ``classifier_params``."""
    from ._version import __version__
    from .io.alerts import records_to_table
    from .io.broker import write_records
    from .predict import probability_table, write_alert_records, write_table
    from .stream.classify import with_static_columns
    from .stream.ztf import ALERCE_PROBABILITIES_SCHEMA, ztf_probabilities, ztf_records

    alerts = read_packets(fmt, inputs)
    avro = out.suffix.lower() == ".avro"
    name = names.get("classifier_name") or f"elasticc_fast {__version__} {classifier.config.arch}"
    if fmt == "ztf" and avro:
        probs = ztf_probabilities(classifier, alerts)[:, np.asarray(classifier.tree.leaves)]
        n = write_records(out, ztf_records(classifier.tree, alerts, probs, name, __version__),
                          schema=ALERCE_PROBABILITIES_SCHEMA)
        return f"wrote {n} ALeRCE-style probability records to {out}"
    if fmt == "ztf":
        write_table(out, ztf_table(classifier, alerts))
        return f"wrote probabilities of {len(alerts)} ZTF alerts to {out}"
    table = with_static_columns(classifier, records_to_table(alerts))
    if not avro:
        write_table(out, probability_table(classifier, table, True))
        return f"wrote probabilities of {table.num_rows} alerts to {out}"
    n = write_alert_records(out, classifier, table, broker_name=names.get("broker_name", "elasticc_fast"),
                            classifier_name=name, classifier_params=names.get("classifier_params", ""))
    return f"wrote {n} brokerClassification records to {out}"


def predict_packets_verb(args: Any, out: Path) -> str:
    """``elasticc-fast predict --format rubin|ztf``: load the model, classify; the line to print."""
    from .classifier import Classifier

    return predict_packets(Classifier.load(args.model_dir), args.format, args.input, out, {
        "broker_name": args.broker_name, "classifier_name": args.classifier_name,
        "classifier_params": f"model={Path(args.model_dir).name}"})
