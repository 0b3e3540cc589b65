"""ZTF alert packets (avro containers, one alert per message) -> ALeRCE-style probabilities.

Each alert is classified on the light curve it carries (``candidate`` + ``prv_candidates``:
detections as signed difference fluxes, upper limits as zero-flux points, and ``fp_hists`` forced
photometry when the packet has it; detections only for a BTS-tree model, see
:func:`detections_only`), built by the functions of :mod:`elasticc_fast.io.ztf` that
``read_ztf_alerts`` uses for files. ``elasticc-fast predict --format ztf`` uses the same functions. The output mirrors ALeRCE's ``probability`` table: one record
per alert with ``oid``, ``candid``, ``classifier_name``, ``classifier_version`` and, for every leaf
of the model's tree, ``class_name``, ``probability`` and ``ranking`` (1 = most probable), as
schemaless avro (:data:`ALERCE_PROBABILITIES_SCHEMA`).
"""
from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .classify import INFERENCE_GROUP, _row_counts
from .decode import BadMessage

log = logging.getLogger(__name__)

ALERCE_PROBABILITIES_SCHEMA: dict = {
    "namespace": "elasticc_fast", "type": "record", "name": "alerceProbabilities",
    "fields": [
        {"name": "oid", "type": "string"},
        {"name": "candid", "type": "long"},
        {"name": "classifier_name", "type": "string"},
        {"name": "classifier_version", "type": "string"},
        {"name": "brokerIngestTimestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "probabilities", "type": {"type": "array", "items": {
            "type": "record", "name": "classProbability",
            "fields": [{"name": "class_name", "type": "string"}, {"name": "probability", "type": "float"},
                       {"name": "ranking", "type": "int"}]}}},
    ],
}


class ZtfDecoder:
    """One ZTF alert packet per message: an avro container (any codec fastavro reads)."""

    name = "ztf"

    def decode(self, value: bytes) -> dict:
        """One message -> alert dict with ``objectId``, ``candidate`` (raises :class:`BadMessage`)."""
        import fastavro

        try:
            records = list(fastavro.reader(io.BytesIO(value)))
        except Exception as exc:  # noqa: BLE001  (fastavro raises many types on foreign bytes)
            raise BadMessage("not-avro", f"not a ZTF alert avro container ({type(exc).__name__}: {exc})") from None
        if len(records) != 1:
            raise BadMessage("bad-value", f"{len(records)} records in the container, expected one alert")
        alert = records[0]
        cand = alert.get("candidate")
        if alert.get("objectId") is None or not isinstance(cand, dict) or cand.get("candid") is None:
            raise BadMessage("missing-field", "no objectId or candidate.candid: not a ZTF alert")
        if cand.get("magpsf") is None or cand.get("sigmapsf") is None:
            raise BadMessage("empty-light-curve", f"alert {cand['candid']}: the candidate has no magpsf/sigmapsf")
        return alert

    @staticmethod
    def key(alert: dict) -> str:
        """The message key of an alert's output: its ZTF object id."""
        return str(alert["objectId"])


def detections_only(tree) -> bool:
    """Whether a model on ``tree`` reads alerts as detections only: a BTS-tree model learned from
    BTS curves (ANTARES: detections only), as ``read_ztf_alerts(non_detections=False)`` reads them."""
    from ..taxonomy.ztf import BTS_TREE

    return tree.name == BTS_TREE.name


def alert_batch(alerts: Sequence[dict], *, only_detections: bool = False):
    """One light curve per alert (ids = candid), through :mod:`elasticc_fast.io.ztf`'s functions:
    detections, upper limits and forced photometry, or detections only."""
    import pandas as pd

    from ..io.ztf import _alert_curve, _alert_rows, assemble

    curves = {}
    for a in alerts:
        det, nondet, forced = _alert_rows(a, include_forced=not only_detections)
        curves[a["candidate"]["candid"]] = _alert_curve(det, [] if only_detections else nondet, forced)
    static = pd.DataFrame({"object_id": list(curves),
                           **{k: [a["candidate"].get(k) for a in alerts] for k in ("ra", "dec", "sgscore1", "distpsnr1")}})
    return assemble(curves, static)


def ztf_probabilities(model, alerts: Sequence[dict]) -> np.ndarray:
    """(n, K) marginal probability of every tree node for each alert (NaN rows: no usable point)."""
    from ..predict import predict_probabilities

    return predict_probabilities(model, alert_batch(alerts, only_detections=detections_only(model.tree)))


def ztf_records(tree, alerts: Sequence[dict], probs: np.ndarray, name: str, version: str) -> list[dict]:
    """ALeRCE-style records (:data:`ALERCE_PROBABILITIES_SCHEMA`) of the alerts with leaf
    probabilities ``probs`` (n, L); alerts with a NaN row are left out."""
    from ..io.alerts import now_millis

    names, now, out = list(tree.leaf_names), now_millis(), []
    for alert, p in zip(alerts, probs, strict=True):
        if np.isnan(p).any():
            continue
        p = p / p.sum()
        rank = np.empty(len(p), np.int64)
        rank[np.argsort(-p, kind="stable")] = np.arange(1, len(p) + 1)
        out.append({"oid": str(alert["objectId"]), "candid": int(alert["candidate"]["candid"]),
                    "classifier_name": name, "classifier_version": version, "brokerIngestTimestamp": now,
                    "probabilities": [{"class_name": c, "probability": float(q), "ranking": int(r)}
                                      for c, q, r in zip(names, p, rank, strict=True)]})
    return out


class ZtfClassifier:
    """A model trained on ZTF light curves (µJy; e.g. BTS or ALeRCE tree) for ZTF alert packets."""

    def __init__(self, model_dir: str | Path, *, classifier_name: str | None = None,
                 group: int | None = INFERENCE_GROUP):
        from .._version import __version__
        from ..classifier import Classifier

        self.model = Classifier.load(model_dir)
        if group is not None and self.model.config.eval_batch_size > group:
            self.model.config = self.model.config.replace(eval_batch_size=group)
        self.name = classifier_name or f"elasticc_fast {getattr(self.model.config, 'arch', '')}".strip()
        self.version = __version__

    def classify(self, alerts: Sequence[dict]) -> tuple[np.ndarray, list[dict]]:
        """(n,) mask of the alerts classified and their ALeRCE-style records, in input order."""
        probs = ztf_probabilities(self.model, alerts)[:, np.asarray(self.model.tree.leaves)]
        return ~np.isnan(probs).any(axis=1), ztf_records(self.model.tree, alerts, probs, self.name, self.version)

    def warm_up(self, batch: int) -> None:
        """Compile the model's shapes for micro-batches of up to ``batch`` alerts."""
        buckets = tuple(getattr(self.model.config, "buckets", (64,)))
        rows = _row_counts(batch, int(self.model.config.eval_batch_size))
        for length in buckets:
            for n in rows:
                self.classify([synthetic_ztf_alert(i, length) for i in range(n)])


def synthetic_ztf_alert(i: int, points: int) -> dict:
    """A ZTF alert with ``points`` detections in g and r (for compiling shapes only)."""
    def cand(k: int) -> dict:
        return {"candid": i * 10_000 + k, "jd": 2460000.5 + k, "fid": 1 + k % 2, "magpsf": 18.0, "sigmapsf": 0.1,
                "isdiffpos": "t", "diffmaglim": 20.5, "ra": 0.0, "dec": 0.0}

    return {"objectId": f"ZTFsynthetic{i}", "candidate": cand(points - 1),
            "prv_candidates": [cand(k) for k in range(points - 1)]}
