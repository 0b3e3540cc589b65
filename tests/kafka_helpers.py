"""Reading topics of the mock Kafka cluster in tests (clients of the real protocol, no fakes)."""
from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, TopicPartition


def reader(bootstrap: str, topic: str):
    """A consumer assigned every partition of ``topic`` from the start (no group join to wait for)."""
    from confluent_kafka import OFFSET_BEGINNING

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{uuid.uuid4().hex}",
                  "enable.auto.commit": False})
    for _ in range(100):            # the topic appears with the service's first output
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        if parts:
            break
        time.sleep(0.1)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    return c


def drain(bootstrap: str, topic: str, n: int, timeout: float = 30.0) -> list:
    """The first ``n`` messages of ``topic`` (all partitions), as (key, value, headers)."""
    c = reader(bootstrap, topic)
    out, end = [], time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        out += [(m.key(), m.value(), dict(m.headers() or [])) for m in c.consume(n - len(out), 0.2)
                if m.error() is None]
    c.close()
    return out


def committed_everything(bootstrap: str, group: str, topic: str) -> bool:
    """True when the group's committed offset is the end of every partition of ``topic``."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    parts = [TopicPartition(topic, p) for p in c.list_topics(topic, timeout=10).topics[topic].partitions]
    committed = c.committed(parts, timeout=10)
    ends = [c.get_watermark_offsets(tp, timeout=10)[1] for tp in parts]
    c.close()
    return all(tp.offset == end or (end == 0 and tp.offset < 0) for tp, end in zip(committed, ends, strict=True))
