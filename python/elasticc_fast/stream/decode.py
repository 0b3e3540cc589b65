"""Message bytes -> alert dicts, one decoder per input format, and the checks every alert passes.

Every decoder returns an alert in the ELAsTiCC v0.9.1 layout (``alertId``, ``diaSource``,
``prvDiaSources``, ``prvDiaForcedSources``, ``diaObject``; fields ``midPointTai``,
``filterName``, ``psFlux``/``psFluxErr`` in nJy), the layout :func:`elasticc_fast.io.alerts.records_to_table`
turns into light curves for ``predict``. A message that cannot become a light curve raises
:class:`BadMessage` with a kind (``not-avro``, ``unknown-schema-id``, ``missing-field``,
``bad-value``, ``empty-light-curve``) and a one-line reason; the service dead-letters it.

Formats:

- ``elasticc``: schemaless avro, one alert per message, with the writer schema given (``--schema``),
  as the ELAsTiCC stream sent them.
- ``rubin``: the Confluent wire format (byte 0, a 4-byte big-endian schema id, schemaless avro)
  with the schemas of the ``lsst-alert-packet`` package, current major version and the previous
  one; the schema id is the package's (``major * 100 + minor``: 1101 for v11.1).
- ``ztf`` (:mod:`.ztf`) and ``alerce-features`` (:mod:`.alerce_features`) have their own modules.
"""
from __future__ import annotations

import io
import math
import struct
from pathlib import Path
from typing import Any

from ..units import BANDS

#: Confluent wire format: magic byte 0 then the schema id (big-endian int32)
_WIRE_HEADER = struct.Struct(">bI")
_LC_KEYS = ("prvDiaSources", "prvDiaForcedSources")
_BAND_SET = frozenset(BANDS)


class BadMessage(ValueError):
    """A message that cannot be classified: ``kind`` (short, for the dead-letter header) and reason."""

    def __init__(self, kind: str, reason: str):
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


def _read_schemaless(value: bytes, schema: dict) -> dict:
    import fastavro

    buf = io.BytesIO(value)
    try:
        record = fastavro.schemaless_reader(buf, schema)
    except (EOFError, ValueError, UnicodeDecodeError, IndexError, TypeError, OverflowError,
            MemoryError, struct.error) as exc:
        raise BadMessage("not-avro", f"does not decode with schema {schema.get('name')} "
                                     f"({type(exc).__name__}: {exc})") from None
    if buf.tell() != len(value):
        raise BadMessage("not-avro", f"{len(value) - buf.tell()} bytes left after one "
                                     f"{schema.get('name')} record: not this schema")
    return record


class ElasticcDecoder:
    """ELAsTiCC v0.9.1 schemaless avro alerts (writer schema: an ``.avsc`` path or parsed dict)."""

    name = "elasticc"

    def __init__(self, schema: Any):
        from ..io.alerts import load_avro_schema

        if schema is None:
            raise ValueError("--format elasticc needs --schema (the alert .avsc, e.g. "
                             "elasticc.v0_9_1.alert.avsc, with its named types beside it)")
        self.schema = load_avro_schema(schema)

    def decode(self, value: bytes) -> dict:
        """One message -> checked alert dict (raises :class:`BadMessage`)."""
        return check_alert(_read_schemaless(value, self.schema))


def rubin_schemas(majors: int = 2) -> dict[int, dict]:
    """Schema id -> parsed alert schema for every minor version of the newest ``majors`` major
    versions that ``lsst-alert-packet`` ships."""
    from lsst.alert import packet

    root = Path(packet.get_schema_root())
    versions = sorted((int(p.parent.name), int(p.name)) for p in root.glob("*/*")
                      if p.is_dir() and p.parent.name.isdigit() and p.name.isdigit())
    keep = sorted({m for m, _ in versions})[-majors:]
    out = {}
    for major, minor in versions:
        if major in keep:
            schema = packet.Schema.from_file(str(root / str(major) / str(minor) / f"lsst.v{major}_{minor}.alert.avsc"))
            out[schema.get_schema_id()] = schema.definition
    return out


def _rubin_source(src: dict, id_key: str) -> dict:
    return {"diaSourceId": src.get(id_key), "diaObjectId": src.get("diaObjectId"),
            "midPointTai": src.get("midpointMjdTai"), "filterName": src.get("band"),
            "ra": src.get("ra"), "decl": src.get("dec"), "psFlux": src.get("psfFlux"),
            "psFluxErr": src.get("psfFluxErr")}


def rubin_to_elasticc(alert: dict) -> dict:
    """A Rubin alert packet (lsst.v10/v11) -> the ELAsTiCC layout (Rubin ``band`` -> ``filterName``,
    ``midpointMjdTai`` -> ``midPointTai``, ``psfFlux`` -> ``psFlux``; nJy both)."""
    obj = alert.get("diaObject")
    return {
        "alertId": alert["diaSourceId"],
        "diaSource": _rubin_source(alert["diaSource"], "diaSourceId"),
        "prvDiaSources": [_rubin_source(s, "diaSourceId") for s in alert.get("prvDiaSources") or []],
        "prvDiaForcedSources": [_rubin_source(s, "diaForcedSourceId")
                                for s in alert.get("prvDiaForcedSources") or []],
        "diaObject": None if obj is None else {"diaObjectId": obj["diaObjectId"], "ra": obj.get("ra"),
                                               "decl": obj.get("dec")},
    }


class RubinDecoder:
    """Rubin alert packets in the Confluent wire format (schemas from ``lsst-alert-packet``)."""

    name = "rubin"

    def __init__(self, schemas: dict[int, dict] | None = None):
        import fastavro

        self.schemas = {k: fastavro.parse_schema(v) for k, v in (schemas or rubin_schemas()).items()}

    def decode(self, value: bytes) -> dict:
        """One message -> checked alert dict (raises :class:`BadMessage`)."""
        if len(value) < _WIRE_HEADER.size or value[0] != 0:
            raise BadMessage("not-avro", "no Confluent wire-format header (magic byte 0 + schema id)")
        _, schema_id = _WIRE_HEADER.unpack_from(value)
        schema = self.schemas.get(schema_id)
        if schema is None:
            raise BadMessage("unknown-schema-id", f"schema id {schema_id} is not one of the known Rubin "
                                                  f"alert schemas {sorted(self.schemas)}")
        return check_alert(rubin_to_elasticc(_read_schemaless(value[_WIRE_HEADER.size:], schema)))

    @staticmethod
    def decode_container(value: bytes) -> list[dict]:
        """The alerts of an avro container file of Rubin alert packets (the writer schema inside,
        as ``lsst-alert-packet``'s sample data), converted and checked as :meth:`decode` does."""
        import fastavro

        try:
            reader = fastavro.reader(io.BytesIO(value))
            name, records = reader.writer_schema.get("name", ""), list(reader)
        except Exception as exc:  # noqa: BLE001  (fastavro raises many types on foreign bytes)
            raise BadMessage("not-avro", f"not an avro container ({type(exc).__name__}: {exc})") from None
        if not str(name).startswith("lsst.") or not str(name).endswith(".alert"):
            raise BadMessage("unknown-schema-id", f"container of {name!r} records, not Rubin alerts (lsst.vN_M.alert)")
        return [check_alert(rubin_to_elasticc(r)) for r in records]


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _usable_points(points: list, where: str) -> list:
    """The points with a finite flux and an error > 0; raises on an unknown band or a non-finite
    time. One tight loop: this runs on every point of every alert."""
    bands, isfinite, kept = _BAND_SET, math.isfinite, []
    for p in points:
        if p.get("filterName") not in bands:
            raise BadMessage("bad-value", f"{where}: filterName {p.get('filterName')!r} is not one of {BANDS}")
        t, f, e = p.get("midPointTai"), p.get("psFlux"), p.get("psFluxErr")
        if not _finite(t):
            raise BadMessage("bad-value", f"{where}: midPointTai {t!r} is not a finite MJD")
        if f is not None and e is not None and isfinite(f) and isfinite(e) and e > 0:
            kept.append(p)
    return kept


def check_alert(alert: dict) -> dict:
    """Check that ``alert`` (ELAsTiCC layout) names its object and carries a usable light curve.

    Non-finite points are dropped from the previous sources (as an upper limit carries no flux);
    the triggering ``diaSource`` must itself be usable.
    """
    src = alert.get("diaSource")
    if alert.get("alertId") is None or not isinstance(src, dict):
        raise BadMessage("missing-field", "no alertId or no diaSource")
    obj = alert.get("diaObject") or {}
    if obj.get("diaObjectId") is None and src.get("diaObjectId") is None:
        raise BadMessage("missing-field", f"alert {alert['alertId']}: no diaObjectId (neither diaObject "
                                          "nor diaSource names the object)")
    if not _usable_points([src], f"alert {alert['alertId']} diaSource"):
        raise BadMessage("empty-light-curve", f"alert {alert['alertId']}: the triggering diaSource has "
                                              "no finite psFlux/psFluxErr > 0")
    for key in _LC_KEYS:
        points = alert.get(key) or []
        kept = _usable_points(points, f"alert {alert['alertId']} {key}")
        if len(kept) != len(points):
            alert[key] = kept
    return alert


def object_id(alert: dict) -> int:
    """The object id of a checked alert (``diaObject`` first, then ``diaSource``)."""
    obj = alert.get("diaObject") or {}
    oid = obj.get("diaObjectId")
    return int(oid if oid is not None else alert["diaSource"]["diaObjectId"])


def make_decoder(fmt: str, schema: Any = None, model_dir: Any = None):
    """The decoder for ``--format`` (``elasticc`` and ``alerce-features`` need ``schema``;
    ``alerce-features`` reads the feature names of the model in ``model_dir``)."""
    if fmt == "elasticc":
        return ElasticcDecoder(schema)
    if fmt == "rubin":
        return RubinDecoder()
    if fmt == "ztf":
        from .ztf import ZtfDecoder

        return ZtfDecoder()
    if fmt == "alerce-features":
        from ..baselines.feature_model import FeatureModel
        from .alerce_features import AlerceFeaturesDecoder

        return AlerceFeaturesDecoder(schema, FeatureModel.load(model_dir).feature_names)
    raise ValueError(f"unknown --format {fmt!r}: expected elasticc, rubin, ztf or alerce-features")


def make_classifier(fmt: str, model_dir: Any, broker_name: str, classifier_name: str | None) -> tuple[Any, Any]:
    """(classifier, output schema) for ``--format``: ELAsTiCC brokerClassification records for
    elasticc/rubin (schema None = v0.9.1), ALeRCE-style probabilities for ztf and alerce-features."""
    if fmt == "alerce-features":
        from .alerce_features import ALERCE_FEATURES_SCHEMA, AlerceFeaturesClassifier

        return AlerceFeaturesClassifier(model_dir, classifier_name=classifier_name), ALERCE_FEATURES_SCHEMA
    if fmt == "ztf":
        from .ztf import ALERCE_PROBABILITIES_SCHEMA, ZtfClassifier

        return ZtfClassifier(model_dir, classifier_name=classifier_name), ALERCE_PROBABILITIES_SCHEMA
    from .classify import AlertClassifier

    return AlertClassifier(model_dir, broker_name=broker_name, classifier_name=classifier_name), None
