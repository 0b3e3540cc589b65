"""Service metrics: alerts/s, batch sizes, consume -> acknowledged-output latency, lag, dead letters.

Latencies are kept in a bounded ring (the last :data:`LATENCY_WINDOW` alerts) so memory stays
flat however long the service runs. :meth:`Metrics.snapshot` is what the periodic log line and
the ``--metrics FILE`` JSON (rewritten atomically) show.
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: latencies kept for the percentiles (most recent alerts)
LATENCY_WINDOW = 20_000


class Metrics:
    """Counters of one service run (times in seconds from ``time.monotonic``)."""

    def __init__(self, path: str | os.PathLike | None = None, interval_s: float = 5.0):
        self.path = Path(path) if path else None
        self.interval_s = interval_s
        self.started = time.monotonic()
        self.consumed = self.classified = self.committed = self.batches = 0
        self.dead_letters: Counter = Counter()
        self.seconds: Counter = Counter()   # wall time per stage of the loop (s), since start
        self.lag: int | None = None
        self.partitions: int | None = None   # input partitions assigned to this consumer
        self.commit_failures = 0
        self.last_batch = 0
        self._lat = np.zeros(LATENCY_WINDOW, np.float64)
        self._n_lat = 0
        self._last_report = self.started
        self._window_start, self._window_count = self.started, 0

    def add_latencies(self, seconds: np.ndarray) -> None:
        """Record consume -> acknowledged-output latencies (seconds) of alerts just acknowledged."""
        x = np.asarray(seconds, np.float64)[-LATENCY_WINDOW:]
        self._lat[(self._n_lat + np.arange(x.size)) % LATENCY_WINDOW] = x
        self._n_lat += x.size

    def batch_done(self, consumed: int, classified: int, dead: Counter, *, committed: bool = True) -> None:
        """Count a finished batch (``committed`` False when the broker refused its commit)."""
        self.batches += 1
        self.last_batch = consumed
        self.consumed += consumed
        self.classified += classified
        self.committed += consumed if committed else 0
        self.dead_letters.update(dead)
        self._window_count += consumed

    def snapshot(self) -> dict:
        """Current numbers as a JSON-ready dict."""
        now = time.monotonic()
        lat = self._lat[:min(self._n_lat, LATENCY_WINDOW)]
        p50, p99 = (np.percentile(lat, [50, 99]).tolist() if lat.size else (None, None))
        window = max(now - self._window_start, 1e-9)
        return {"uptime_s": round(now - self.started, 3), "consumed": self.consumed, "classified": self.classified,
                "committed": self.committed, "batches": self.batches,
                "last_batch_size": self.last_batch,
                "mean_batch_size": self.consumed / self.batches if self.batches else 0.0,
                "alerts_per_s": self._window_count / window,
                "alerts_per_s_total": self.consumed / max(now - self.started, 1e-9),
                "latency_p50_s": p50, "latency_p99_s": p99, "consumer_lag": self.lag, "assigned_partitions": self.partitions,
                "commit_failures": self.commit_failures,
                "dead_letters": dict(self.dead_letters), "dead_letters_total": sum(self.dead_letters.values()),
                "seconds": {k: round(v, 4) for k, v in self.seconds.items()}}

    def due(self) -> bool:
        """True when the periodic report is due."""
        return time.monotonic() - self._last_report >= self.interval_s

    def report(self) -> dict:
        """Log one line and rewrite the metrics file; starts a new rate window."""
        snap = self.snapshot()
        log.info("stream: %d alerts (%.0f/s), batch %d, latency p50 %s p99 %s, lag %s, dead letters %d",
                 snap["consumed"], snap["alerts_per_s"], snap["last_batch_size"], _ms(snap["latency_p50_s"]),
                 _ms(snap["latency_p99_s"]), snap["consumer_lag"], snap["dead_letters_total"])
        if self.path is not None:
            from ..atomic import atomic_path

            with atomic_path(self.path, suffix=".json") as tmp:
                tmp.write_text(json.dumps(snap, indent=2) + "\n")
        self._last_report = self._window_start = time.monotonic()
        self._window_count = 0
        return snap


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"
