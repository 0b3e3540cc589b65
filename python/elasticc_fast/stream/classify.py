"""Alert dicts -> ``brokerClassification`` records, through the code ``elasticc-fast predict`` uses.

:class:`AlertClassifier` is the one place the stream service touches the model: it loads a model
folder, compiles the shapes of a micro-batch once at start-up (:meth:`AlertClassifier.warm_up`)
and classifies a list of checked alert dicts with :func:`elasticc_fast.predict.classify_alerts`,
the function behind ``predict --out FILE.avro``.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: alerts per inference call (length-sorted groups): measured 2.2x faster than one call per
#: micro-batch of 256 real ELAsTiCC alerts with the default GRU (padding to the longest alert)
INFERENCE_GROUP = 32


class AlertClassifier:
    """A trained model and the names written into every ``brokerClassification`` record."""

    def __init__(self, model_dir: str | Path, *, broker_name: str = "elasticc_fast",
                 classifier_name: str | None = None, group: int | None = INFERENCE_GROUP):
        from .._version import __version__
        from ..classifier import Classifier

        self.model = Classifier.load(model_dir)
        if group is not None and self.model.config.eval_batch_size > group:
            # inference runs on length-sorted groups of this many alerts, each padded to its own
            # longest light curve, not the whole micro-batch to its longest one
            self.model.config = self.model.config.replace(eval_batch_size=group)
        arch = getattr(getattr(self.model, "config", None), "arch", "")
        self.names = {"broker_name": broker_name, "broker_version": __version__,
                      "classifier_name": classifier_name or f"elasticc_fast {__version__} {arch}".strip(),
                      "classifier_params": f"model={Path(model_dir).name}"}

    def classify(self, alerts: Sequence[dict]) -> tuple[np.ndarray, list[dict]]:
        """(n,) mask of the alerts that got a classification, and their records in input order.

        Alerts must have passed :func:`elasticc_fast.stream.decode.check_alert`. Raises
        :class:`elasticc_fast.io.alerts.AlertError` when the batch as a whole cannot be read.
        """
        from ..io.alerts import records_to_table
        from ..predict import classify_alerts

        return classify_alerts(self.model, with_static_columns(self.model, records_to_table(alerts)), **self.names)

    def warm_up(self, batch: int) -> None:
        """Compile the model's shapes for micro-batches of up to ``batch`` alerts (every padded
        length bucket, every row count the inference pads to), so the first real batch is not slow."""
        buckets = tuple(getattr(self.model.config, "buckets", (64,)))
        rows = _row_counts(batch, int(getattr(self.model.config, "eval_batch_size", 1024)))
        for length in buckets:
            for n in rows:
                self.classify([synthetic_alert(i, length) for i in range(n)])
        log.info("compiled %d bucket(s) x %d batch size(s) for micro-batches of up to %d alerts",
                 len(buckets), len(rows), batch)


def with_static_columns(model: Any, table: Any) -> Any:
    """``table`` with the model's static (host galaxy) columns an alert format lacks added as
    nulls, which the model treats as missing values: Rubin packets carry no host-galaxy fields."""
    import pyarrow as pa

    for name in model.config.windows.static_columns:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.float32()))
    return table


def _row_counts(batch: int, eval_batch: int) -> list[int]:
    """Alert counts whose inference pads to each row count a micro-batch of ``batch`` can meet
    (inference pads a length group to a power of two >= 32, at most ``eval_batch``)."""
    rows, r = set(), 32
    while True:
        rows.add(min(r, batch, eval_batch))
        if r >= min(batch, eval_batch):
            return sorted(rows)
        r *= 2


def synthetic_alert(i: int, points: int) -> dict:
    """An ELAsTiCC-layout alert with ``points`` detections (for compiling shapes only)."""
    def src(k: int) -> dict:
        return {"diaSourceId": i * 10_000 + k, "diaObjectId": i, "midPointTai": 60000.0 + k,
                "filterName": "ugrizY"[k % 6], "ra": 0.0, "decl": 0.0, "psFlux": 1000.0 + k,
                "psFluxErr": 10.0, "snr": 100.0}

    return {"alertId": i, "diaSource": src(points - 1), "prvDiaSources": [src(k) for k in range(points - 1)],
            "prvDiaForcedSources": [], "diaObject": {"diaObjectId": i, "ra": 0.0, "decl": 0.0},
            "elasticcPublishTimestamp": 0}


class RecordEncoder:
    """``brokerClassification`` dicts -> schemaless avro bytes (ELAsTiCC v0.9.1 by default)."""

    def __init__(self, schema: Any = None):
        from ..io.broker import _parsed_schema

        self.schema = _parsed_schema(schema)

    def encode(self, record: dict) -> bytes:
        """One record -> bytes (raises ``ValueError`` when it does not fit the schema)."""
        import fastavro

        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, self.schema, record)
        return buf.getvalue()
