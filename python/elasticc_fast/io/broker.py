"""ELAsTiCC ``brokerClassification`` output: one avro record per alert.

The record layout is the official ELAsTiCC v0.9.1 schema
(``elasticc.v0_9_1.brokerClassification.avsc``; its record name really is spelled
``brokerClassfication``). It is written out here as :data:`BROKER_CLASSIFICATION_SCHEMA` so
users need no schema files; the tests check it parses identically to the official file. Pass
``schema=`` (a path to an ``.avsc``, named types resolved from its folder) to write with another
version.

Each record lists ``(classId, probability)`` for every leaf of the classifier, with the official
ELAsTiCC class ids (:data:`elasticc_fast.taxonomy.CLASS_ID_FOR_LEAF`), probabilities summing to 1
as ELAsTiCC requires (renormalised in float64 before the cast to the schema's float).

Timestamps are Unix milliseconds. ``elasticcPublishTimestamp`` comes from the alert table's column
of that name when present (a Kafka consumer knows it); files of alerts do not carry it, so it then
falls back to the alert's observation time (``MJD_ALERT``, TAI treated as UTC) and a warning says
so. ``brokerIngestTimestamp`` is when we read the alerts (``ingest_ms``, default now).
"""
from __future__ import annotations

import logging
import os
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa

log = logging.getLogger(__name__)

#: Unix epoch as MJD
_MJD_UNIX_EPOCH = 40587.0

BROKER_CLASSIFICATION_SCHEMA: dict = {
    "namespace": "elasticc.v0_9_1",
    "type": "record",
    "name": "brokerClassfication",
    "fields": [
        {"name": "alertId", "type": "long"},
        {"name": "diaSourceId", "type": "long"},
        {"name": "elasticcPublishTimestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "brokerIngestTimestamp", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
        {"name": "brokerName", "type": "string"},
        {"name": "brokerVersion", "type": "string"},
        {"name": "classifierName", "type": "string"},
        {"name": "classifierParams", "type": "string"},
        {"name": "classifications", "type": {"type": "array", "items": {
            "type": "record", "name": "classificationDict",
            "fields": [{"name": "classId", "type": "int"}, {"name": "probability", "type": "float"}]}}},
    ],
}


def _parsed_schema(schema: Any) -> dict:
    import fastavro

    if schema is None:
        return fastavro.parse_schema(BROKER_CLASSIFICATION_SCHEMA)
    if isinstance(schema, Mapping):
        return fastavro.parse_schema(dict(schema))
    from .alerts import parse_avsc

    return parse_avsc(schema)


def mjd_to_unix_ms(mjd: np.ndarray) -> np.ndarray:
    """MJD (days) -> Unix time in integer milliseconds."""
    return np.round((np.asarray(mjd, dtype=np.float64) - _MJD_UNIX_EPOCH) * 86_400_000.0).astype(np.int64)


def _publish_ms(alerts: pa.Table) -> np.ndarray:
    if "elasticcPublishTimestamp" in alerts.column_names:
        col = alerts["elasticcPublishTimestamp"]
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("ms")).cast(pa.int64())
        values = col.to_numpy(zero_copy_only=False)
        if not np.isnan(values.astype(np.float64)).any():
            return values.astype(np.int64)
    log.warning("alerts carry no elasticcPublishTimestamp: using each alert's observation time (MJD_ALERT)")
    return mjd_to_unix_ms(alerts["MJD_ALERT"].to_numpy())


def broker_records(alerts: pa.Table, leaf_probs: np.ndarray, class_ids: Sequence[int], *,
                   broker_name: str, broker_version: str, classifier_name: str,
                   classifier_params: str = "", ingest_ms: int | None = None) -> Iterator[dict]:
    """Yield one ``brokerClassification`` dict per alert.

    ``alerts``: the table of :func:`elasticc_fast.io.alerts.read_alerts` (columns ``alertId``,
    ``diaSourceId``, ``MJD_ALERT``); ``leaf_probs`` (n, L) leaf probabilities in the order of
    ``class_ids`` (L official ELAsTiCC ids). Rows are renormalised to sum to 1; a row that is
    not finite or sums to 0 raises ``ValueError`` naming the alert.
    """
    from .alerts import now_millis

    p = np.asarray(leaf_probs, dtype=np.float64)
    ids = np.asarray(class_ids, dtype=np.int64)
    if p.ndim != 2 or p.shape != (alerts.num_rows, len(ids)):
        raise ValueError(f"leaf_probs has shape {p.shape}, expected ({alerts.num_rows}, {len(ids)})")
    alert_ids = alerts["alertId"].to_numpy()
    totals = p.sum(axis=1)
    bad = np.flatnonzero(~np.isfinite(totals) | (totals <= 0) | (p < 0).any(axis=1))
    if bad.size:
        raise ValueError(f"alert {alert_ids[bad[0]]}: leaf probabilities {p[bad[0]]} cannot be normalised")
    p = p / totals[:, None]
    source_ids = alerts["diaSourceId"].to_numpy()
    publish = _publish_ms(alerts)
    ingest = now_millis() if ingest_ms is None else int(ingest_ms)
    id_list = [int(c) for c in ids]
    for i in range(alerts.num_rows):
        yield {
            "alertId": int(alert_ids[i]), "diaSourceId": int(source_ids[i]),
            "elasticcPublishTimestamp": int(publish[i]), "brokerIngestTimestamp": ingest,
            "brokerName": broker_name, "brokerVersion": broker_version,
            "classifierName": classifier_name, "classifierParams": classifier_params,
            "classifications": [{"classId": c, "probability": float(q)} for c, q in zip(id_list, p[i], strict=True)],
        }


def leaf_class_ids(tree) -> tuple[list[int], np.ndarray]:
    """Official ELAsTiCC class ids of the leaves of ``tree`` and the leaves' node indices."""
    from ..taxonomy import CLASS_ID_FOR_LEAF

    unknown = [leaf for leaf in tree.leaf_names if leaf not in CLASS_ID_FOR_LEAF]
    if unknown:
        raise ValueError(f"leaves {unknown} of tree {tree.name!r} have no ELAsTiCC class id")
    return [CLASS_ID_FOR_LEAF[leaf] for leaf in tree.leaf_names], np.asarray(tree.leaves, dtype=np.int64)


def _version() -> str:
    from .._version import __version__

    return __version__


def write_records(path: str | os.PathLike, records: list[dict], *, schema: Any = None,
                  codec: str = "deflate") -> int:
    """Write ``brokerClassification`` dicts to an avro container at ``path`` (validated, atomic)."""
    import fastavro

    from ..atomic import atomic_path

    parsed = _parsed_schema(schema)
    with atomic_path(path, suffix=".avro") as tmp, open(tmp, "wb") as fh:
        fastavro.writer(fh, parsed, records, codec=codec, validator=True)
    return len(records)


def write_broker_classifications(path: str | os.PathLike, alerts: pa.Table, leaf_probs: np.ndarray,
                                 class_ids: Sequence[int], *, broker_name: str = "elasticc_fast",
                                 broker_version: str | None = None, classifier_name: str = "elasticc_fast",
                                 classifier_params: str = "", ingest_ms: int | None = None,
                                 schema: Any = None, codec: str = "deflate") -> int:
    """Write an avro container of ``brokerClassification`` records (validated) to ``path``, atomically.

    Returns the number of records written.
    """
    records = list(broker_records(alerts, leaf_probs, class_ids, broker_name=broker_name,
                                  broker_version=broker_version or _version(),
                                  classifier_name=classifier_name, classifier_params=classifier_params,
                                  ingest_ms=ingest_ms))
    return write_records(path, records, schema=schema, codec=codec)


def read_broker_classifications(path: str | os.PathLike) -> list[dict]:
    """Read back a container written by :func:`write_broker_classifications`."""
    import fastavro

    with open(path, "rb") as fh:
        return list(fastavro.reader(fh))
