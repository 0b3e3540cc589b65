"""The handler of survey alerts: decode, classify, encode one micro-batch.

Used by :class:`elasticc_fast.stream.service.StreamService`: ``handle(messages)`` returns the
``brokerClassification`` outputs (key = object id, value = schemaless avro) and the messages that
cannot be classified, each with its :class:`~.decode.BadMessage` reason.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from .decode import BadMessage, object_id

log = logging.getLogger(__name__)


class AlertHandler:
    """Decoder (bytes -> alert dict; its ``key(alert)`` gives the output key, default the ELAsTiCC
    object id) + classifier (alerts -> records) + encoder (record -> bytes)."""

    def __init__(self, decoder: Any, classifier: Any, encoder: Any):
        self.decoder, self.classifier, self.encoder = decoder, classifier, encoder
        self.seconds: Counter = Counter()      # time spent per stage (decode, classify, encode)

    def handle(self, messages: list) -> tuple[list[tuple[bytes, bytes]], list]:
        """(outputs, bad) of one micro-batch, outputs in input order."""
        t0 = time.perf_counter()
        good, bad = [], []
        for msg in messages:
            try:
                alert = self.decoder.decode(msg.value() or b"")
            except BadMessage as exc:
                bad.append((msg, exc))
                continue
            alert["elasticcPublishTimestamp"] = message_ms(msg)
            good.append((msg, alert))
        t1 = time.perf_counter()
        classified = self._classify(good, bad)
        t2 = time.perf_counter()
        key = getattr(self.decoder, "key", object_id)
        outputs = [(str(key(alert)).encode(), self.encoder.encode(record)) for (_, alert), record in classified]
        self.seconds.update({"decode": t1 - t0, "classify": t2 - t1, "encode": time.perf_counter() - t2})
        return outputs, bad

    def _classify(self, good: list, bad: list) -> list:
        """((message, alert), record) pairs; alerts that cannot be classified are appended to ``bad``."""
        from ..io.alerts import AlertError

        if not good:
            return []
        try:
            ok, records = self.classifier.classify([a for _, a in good])
        except AlertError as exc:
            if len(good) == 1:
                bad.append((good[0][0], BadMessage("bad-value", str(exc))))
                return []
            # isolate the alert(s) that broke the batch: classify each alone
            return [pair for one in good for pair in self._classify([one], bad)]
        bad += [(msg, BadMessage("empty-light-curve", f"alert {a['alertId']}: no detection the model can use"))
                for (msg, a), usable in zip(good, ok, strict=True) if not usable]
        return list(zip([pair for pair, usable in zip(good, ok, strict=True) if usable], records, strict=True))


def message_ms(msg: Any) -> int:
    """The Kafka timestamp of a message (ms since the Unix epoch), now when the broker gave none."""
    kind, ms = msg.timestamp()
    return int(ms) if kind != 0 and ms > 0 else int(time.time() * 1000)
