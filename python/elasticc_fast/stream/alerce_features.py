"""ALeRCE feature-step output messages (the staging classifiers' "InputDTO") -> ALeRCE-style
probabilities from a :class:`~elasticc_fast.baselines.feature_model.FeatureModel`.

A message is one schemaless avro record of the feature step's output schema
(``feature_step_output.avsc``: ``oid``, ``candid``, ``detections``, ``non_detections``,
``xmatches``, ``features``), as ALeRCE's steps write them. That schema names its features record
``features_record_ztf`` without defining it; a ``features_record_ztf.avsc`` beside it is used when
present, otherwise the record is built from the model's feature names as ALeRCE builds it (one
``["float", "null"]`` field per feature, characters other than letters, digits and ``_`` spelled
``_``: ``g-r_max`` -> ``g_r_max``); a writer schema without a feature the model needs is refused
at start-up. Null feature values reach the model as NaN. A message without features (``features``
null) or without ``oid`` is dead-lettered (``missing-field``), one that does not decode with the
schema as ``not-avro``.

Output: one record per message keyed by ``oid`` (:data:`ALERCE_FEATURES_SCHEMA`): the leaf
probabilities ranked as in ALeRCE's ``probability`` table, and the top-level classifier's.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .decode import BadMessage, _read_schemaless
from .ztf import ALERCE_PROBABILITIES_SCHEMA

FEATURES_RECORD = "features_record_ztf"


def _features_schema() -> dict:
    schema = copy.deepcopy(ALERCE_PROBABILITIES_SCHEMA)
    schema["name"] = "alerceFeatureProbabilities"
    fields = schema["fields"]
    fields[1] = {"name": "candid", "type": "string", "doc": "the message's last candid"}
    fields.append({"name": "top", "type": {"type": "array", "items": "classProbability"}})
    return schema


#: output of ``--format alerce-features``: ALeRCE-style records with ``candid`` a string (as the
#: feature step sends it) and ``top``, the top-level classifier's probabilities
ALERCE_FEATURES_SCHEMA: dict = _features_schema()


def avro_name(feature: str) -> str:
    """ALeRCE feature name -> its avro field name (``g-r_max`` -> ``g_r_max``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", feature)


def feature_step_schema(path: str | Path, feature_names: Sequence[str]) -> tuple[dict, set[str]]:
    """(parsed writer schema, avro names of its features); ``features_record_ztf`` from the
    ``features_record_ztf.avsc`` beside ``path`` when there is one, else built from ``feature_names``."""
    import json

    import fastavro

    path = Path(path)
    sibling = path.with_name(f"{FEATURES_RECORD}.avsc")
    record = json.loads(sibling.read_text()) if sibling.is_file() else {
        "type": "record", "name": FEATURES_RECORD,
        "fields": [{"name": avro_name(f), "type": ["float", "null"]} for f in feature_names]}
    named: dict = {}
    fastavro.parse_schema(record, named_schemas=named)
    return fastavro.parse_schema(json.loads(path.read_text()), named_schemas=named), {f["name"] for f in record["fields"]}


class AlerceFeaturesDecoder:
    """Feature-step messages (schemaless avro) for a feature model's ``feature_names``."""

    name = "alerce-features"

    def __init__(self, schema: str | Path | None, feature_names: Sequence[str]):
        if schema is None:
            raise ValueError("--format alerce-features needs --schema (the feature step's output .avsc, "
                             "e.g. feature_step_output.avsc)")
        self.schema, have = feature_step_schema(schema, feature_names)
        self.fields = [(f, avro_name(f)) for f in feature_names]
        absent = [a for _, a in self.fields if a not in have]
        if absent:
            raise ValueError(f"{schema}: its {FEATURES_RECORD} lacks {len(absent)} features the model needs "
                             f"({', '.join(absent[:5])})")

    def decode(self, value: bytes) -> dict:
        """One message -> ``{"oid", "candid", "features": {model feature name: float or nan}}``."""
        msg = _read_schemaless(value, self.schema)
        oid, feats = msg.get("oid"), msg.get("features")
        if not oid:
            raise BadMessage("missing-field", "no oid")
        if not isinstance(feats, dict):
            raise BadMessage("missing-field", f"object {oid}: no features (the features record is null)")
        nan = float("nan")
        values = {f: nan if feats[a] is None else float(feats[a]) for f, a in self.fields}
        candids = msg.get("candid") or []
        return {"oid": str(oid), "candid": str(candids[-1]) if candids else "", "features": values}

    @staticmethod
    def key(alert: dict) -> str:
        """The message key of an output: the ALeRCE object id."""
        return alert["oid"]


def _ranked(names: Sequence[str], p: np.ndarray) -> list[dict]:
    rank = np.empty(len(p), np.int64)
    rank[np.argsort(-p, kind="stable")] = np.arange(1, len(p) + 1)
    return [{"class_name": c, "probability": float(q), "ranking": int(r)} for c, q, r in zip(names, p, rank, strict=True)]


class AlerceFeaturesClassifier:
    """A saved :class:`~elasticc_fast.baselines.feature_model.FeatureModel` for decoded messages."""

    def __init__(self, model_dir: str | Path, *, classifier_name: str | None = None):
        from .._version import __version__
        from ..baselines.feature_model import FeatureModel

        self.model = FeatureModel.load(model_dir)
        self.name = classifier_name or "elasticc_fast hierarchical_lightgbm"
        self.version = __version__

    def classify(self, alerts: Sequence[dict]) -> tuple[np.ndarray, list[dict]]:
        """(n,) mask (all True) and one ALeRCE-style record per message, in input order."""
        import pandas as pd

        from ..io.alerts import now_millis

        X = pd.DataFrame([a["features"] for a in alerts], columns=self.model.feature_names)
        out = self.model.predict_alerce(X)
        leaves, top, now = out["probabilities"], out["top"], now_millis()
        records = [{"oid": a["oid"], "candid": a["candid"], "classifier_name": self.name,
                    "classifier_version": self.version, "brokerIngestTimestamp": now,
                    "probabilities": _ranked(list(leaves.columns), leaves.to_numpy()[i]),
                    "top": _ranked(list(top.columns), top.to_numpy()[i])} for i, a in enumerate(alerts)]
        return np.ones(len(alerts), dtype=bool), records

    def warm_up(self, batch: int) -> None:
        """Nothing to compile: LightGBM predicts at full speed from the first call."""
