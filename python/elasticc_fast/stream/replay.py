"""Replay alert files into Kafka as the ELAsTiCC stream sent them (for tests, benchmarks, rehearsals).

:func:`elasticc_messages` turns Fink parquet or avro alert files into schemaless-avro message
values (one alert each, keyed by object id); :func:`produce` sends them, optionally paced at a
fixed rate (alerts/s), and waits until the broker acknowledged them all.
"""
from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def alert_dicts(paths: Sequence[str | Path]) -> list[dict]:
    """Raw alert dicts (ELAsTiCC layout, cutouts dropped) from Fink parquet files or avro containers."""
    import fastavro
    import pyarrow.parquet as pq

    out: list[dict] = []
    for path in map(Path, paths):
        if path.suffix == ".parquet":
            rows = pq.read_table(path, columns=["alertId", "diaSource", "prvDiaSources",
                                                "prvDiaForcedSources", "diaObject"]).to_pylist()
        else:
            with open(path, "rb") as fh:
                rows = list(fastavro.reader(fh))
        out += [{k: v for k, v in r.items() if not k.startswith("cutout")} for r in rows]
    return out


def encode_schemaless(alerts: Iterable[dict], schema: Any) -> list[tuple[bytes, bytes]]:
    """(key, value) per alert: key the object id, value the schemaless avro record."""
    import fastavro

    from ..io.alerts import load_avro_schema

    parsed = load_avro_schema(schema)
    out = []
    for a in alerts:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, parsed, a)
        out.append((str(a["diaSource"]["diaObjectId"]).encode(), buf.getvalue()))
    return out


def produce(bootstrap: str, topic: str, messages: Sequence[tuple[bytes | None, bytes]], *,
            rate: float | None = None, stop: Any = None) -> int:
    """Send ``messages`` to ``topic`` (at ``rate`` messages/s when given) and wait for every ack.

    ``stop`` (a ``threading.Event``) ends a paced replay early. Returns the number sent.
    """
    from confluent_kafka import Producer

    from .kafka import producer_config

    producer = Producer(producer_config(bootstrap))
    start = time.monotonic()
    sent = 0
    for i, (key, value) in enumerate(messages):
        if stop is not None and stop.is_set():
            break
        if rate:
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                producer.poll(delay)
        while True:
            try:
                producer.produce(topic, value=value, key=key)
                break
            except BufferError:
                producer.poll(0.05)
        sent += 1
        producer.poll(0)
    left = producer.flush(60)
    if left:
        raise RuntimeError(f"replay: {left} message(s) to {topic} not acknowledged")
    return sent
