"""Kafka client settings for the services, and librdkafka's built-in mock cluster.

The services never let librdkafka commit on its own (``enable.auto.commit`` false): offsets are
committed by the loop once every output of a batch is acknowledged (``acks=all``), which is what
makes delivery at-least-once.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)


def consumer_config(bootstrap: str, group: str, **extra: Any) -> dict:
    """Consumer settings: manual commits, start at the earliest offset for a new group, fetches
    answered within 50 ms (librdkafka's 500 ms default would add up to 0.5 s of latency)."""
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
            "enable.auto.offset.store": False, "auto.offset.reset": "earliest",
            "enable.partition.eof": False, "fetch.wait.max.ms": 50, "logger": logging.getLogger("elasticc_fast.stream.librdkafka")}
    conf.update(extra)
    return conf


def producer_config(bootstrap: str, **extra: Any) -> dict:
    """Producer settings: every message acknowledged by all in-sync replicas, idempotent retries."""
    conf = {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
            "linger.ms": 5, "logger": logging.getLogger("elasticc_fast.stream.librdkafka")}
    conf.update(extra)
    return conf


def bootstrap_of(client: Any) -> str:
    """``host:port,...`` of the brokers a client sees (for the mock cluster: its random port)."""
    brokers = client.list_topics(timeout=10).brokers.values()
    return ",".join(f"{b.host}:{b.port}" for b in brokers)


@contextlib.contextmanager
def mock_cluster(num_brokers: int = 1) -> Iterator[str]:
    """Start librdkafka's mock Kafka cluster (a real Kafka-protocol broker on localhost, run by
    the client that creates it) and yield its bootstrap ``host:port``; it stops on exit.

    Topics are created on first use (librdkafka's default: 4 partitions).
    """
    from confluent_kafka import Producer

    owner = Producer({"test.mock.num.brokers": num_brokers,
                      "logger": logging.getLogger("elasticc_fast.stream.librdkafka")})
    try:
        yield bootstrap_of(owner)
    finally:
        del owner
