"""The service loop: consume a micro-batch, handle it (classify), produce, wait for acks, commit.

At-least-once, nothing lost: a batch's input offsets are committed only after the broker has
acknowledged every output record and every dead letter of that batch. A crash anywhere before
the commit replays the batch on restart (the only source of duplicates); a message is never
skipped. SIGINT/SIGTERM set a flag: the current batch finishes, is flushed and committed, and
:meth:`StreamService.run` returns.

Bad messages never stop the service: each goes to the dead-letter topic with its original bytes,
key and headers ``reason`` (``kind: detail``), ``reason_kind``, ``source_topic``,
``source_partition``, ``source_offset`` (without a dead-letter topic it is logged with its offset
and counted).
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ElasticcFastError
from .decode import BadMessage
from .metrics import Metrics

log = logging.getLogger(__name__)


class StreamError(ElasticcFastError):
    """The service cannot go on without losing messages (outputs not acknowledged, broker gone)."""


@dataclass
class StreamConfig:
    """Settings of :class:`StreamService` (times in milliseconds or seconds as named)."""

    bootstrap: str
    input_topic: str
    output_topic: str | None
    group: str = "elasticc-fast"
    dead_letter_topic: str | None = None
    batch: int = 256
    max_wait_ms: int = 200
    max_messages: int | None = None
    metrics_path: str | None = None
    metrics_interval_s: float = 5.0
    flush_timeout_s: float = 60.0
    kafka_options: dict = field(default_factory=dict)   # extra librdkafka settings for both clients


class StreamService:
    """Consume ``config.input_topic``, turn each micro-batch into outputs with ``handler``, produce
    them to ``config.output_topic``, dead-letter the bad messages, wait for acks, commit.

    ``handler.handle(messages)`` returns ``(outputs, bad)``: ``outputs`` a list of (key, value)
    bytes to publish, ``bad`` a list of (message, :class:`~.decode.BadMessage`). Anything else it
    raises stops the service without committing the batch.
    """

    def __init__(self, config: StreamConfig, handler: Any):
        from confluent_kafka import Consumer, Producer

        from .kafka import consumer_config, producer_config

        self.config, self.handler = config, handler
        consumer_only = {"session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
                         "fetch.min.bytes", "fetch.wait.max.ms", "group.instance.id"}
        self.consumer = Consumer(consumer_config(config.bootstrap, config.group, **config.kafka_options))
        self.producer = Producer(producer_config(config.bootstrap, **{
            k: v for k, v in config.kafka_options.items() if k not in consumer_only}))
        self.metrics = Metrics(config.metrics_path, config.metrics_interval_s)
        self._stop = threading.Event()
        self._acked: list[float] = []
        self._errors: list[str] = []

    def stop(self, *_: Any) -> None:
        """Ask the loop to finish the current batch and return (also the SIGINT/SIGTERM handler)."""
        self._stop.set()

    def run(self) -> dict:
        """Serve until stopped or ``max_messages`` consumed; returns the final metrics snapshot."""
        main = threading.current_thread() is threading.main_thread()
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)} if main else {}
        self.consumer.subscribe([self.config.input_topic])
        log.info("stream: consuming %s (group %s) -> %s", self.config.input_topic, self.config.group,
                 self.config.output_topic or "(no output topic)")
        try:
            self._serve()
        finally:
            snap = self._report()
            self.consumer.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return snap

    def _serve(self) -> None:
        while not self._stop.is_set():
            want = self.config.batch
            if self.config.max_messages is not None:
                want = min(want, self.config.max_messages - self.metrics.consumed)
                if want <= 0:
                    return
            t0 = time.monotonic()
            messages = self.consumer.consume(want, self.config.max_wait_ms / 1000)
            self.metrics.seconds["consume"] += time.monotonic() - t0
            if messages:
                self.process(messages)
            if self.metrics.due():
                self._report()

    def _report(self) -> dict:
        t0 = time.monotonic()
        self.metrics.lag = self._lag()
        snap = self.metrics.report()
        self.metrics.seconds["report"] += time.monotonic() - t0
        return snap

    def process(self, messages: list) -> None:
        """Handle, produce and commit one micro-batch."""
        t0 = time.monotonic()
        kept = []
        for msg in messages:
            if msg.error() is not None:
                log.warning("stream: consumer error %s", msg.error())
            else:
                kept.append(msg)
        outputs, bad = self.handler.handle(kept)
        t1 = time.monotonic()
        if self.config.output_topic is not None:
            for key, value in outputs:
                self._produce(self.config.output_topic, key, value, t0, latency=True)
        for msg, exc in bad:
            self._dead_letter(msg, exc, t0)
        t2 = time.monotonic()
        self._flush()
        t3 = time.monotonic()
        committed = self._commit(kept)
        self.metrics.seconds.update({"handle": t1 - t0, "produce": t2 - t1, "wait_for_acks": t3 - t2,
                                     "commit": time.monotonic() - t3})
        self.metrics.seconds.update(getattr(self.handler, "seconds", {}))
        if hasattr(self.handler, "seconds"):
            self.handler.seconds.clear()
        self.metrics.batch_done(len(kept), len(outputs), Counter(exc.kind for _, exc in bad), committed=committed)

    def _produce(self, topic: str, key: bytes | None, value: bytes, t0: float, *, latency: bool = False,
                 headers: list | None = None) -> None:
        def delivered(err, _msg) -> None:
            if err is not None:
                self._errors.append(f"{topic}: {err}")
            elif latency:
                self._acked.append(time.monotonic() - t0)

        while True:
            try:
                self.producer.produce(topic, value=value, key=key, headers=headers, on_delivery=delivered)
                return
            except BufferError:        # local queue full: serve delivery reports, then retry
                self.producer.poll(0.05)

    def _dead_letter(self, msg: Any, bad: BadMessage, t0: float) -> None:
        where = f"{msg.topic()}[{msg.partition()}]@{msg.offset()}"
        if self.config.dead_letter_topic is None:
            log.warning("stream: bad message %s: %s", where, bad)
            return
        headers = [("reason", str(bad).encode()), ("reason_kind", bad.kind.encode()),
                   ("source_topic", msg.topic().encode()), ("source_partition", str(msg.partition()).encode()),
                   ("source_offset", str(msg.offset()).encode())]
        log.debug("stream: dead letter %s: %s", where, bad)
        self._produce(self.config.dead_letter_topic, msg.key(), msg.value() or b"", t0, headers=headers)

    def _flush(self) -> None:
        left = self.producer.flush(self.config.flush_timeout_s)
        errors, self._errors = self._errors, []
        if left or errors:
            raise StreamError(f"{left} output(s) not acknowledged after {self.config.flush_timeout_s} s"
                              f"{'; ' + errors[0] if errors else ''}: not committing this batch")
        self.metrics.add_latencies(np.asarray(self._acked))
        self._acked = []

    def _commit(self, messages: list) -> bool:
        """Commit past the batch. A refused commit (the partitions moved to another member in a
        rebalance) is logged and counted, not fatal: the new owner replays those messages, so
        they are duplicated, never lost."""
        from confluent_kafka import KafkaException, TopicPartition

        last: dict[tuple[str, int], int] = {}
        for m in messages:
            key = (m.topic(), m.partition())
            last[key] = max(last.get(key, -1), m.offset())
        if not last:
            return True
        try:
            self.consumer.commit(offsets=[TopicPartition(t, p, o + 1) for (t, p), o in last.items()],
                                 asynchronous=False)
        except KafkaException as exc:
            self.metrics.commit_failures += 1
            log.warning("stream: commit of %d message(s) refused (%s): they will be classified again",
                        len(messages), exc.args[0])
            return False
        return True

    def _lag(self) -> int | None:
        """Messages not yet consumed on the assigned partitions (high watermark - position), from
        the high watermarks of the last fetch responses (no broker round trip)."""
        try:
            total, assigned = 0, self.consumer.assignment()
            self.metrics.partitions = len(assigned)
            for tp in self.consumer.position(assigned):
                _, high = self.consumer.get_watermark_offsets(tp, cached=True)
                if high >= 0:
                    total += max(high - tp.offset, 0) if tp.offset >= 0 else high
            return total
        except Exception as exc:  # noqa: BLE001  (lag is informative only; never stop for it)
            log.debug("stream: no lag (%s)", exc)
            return None
