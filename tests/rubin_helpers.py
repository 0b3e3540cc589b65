"""ELAsTiCC alerts written as Rubin alert packets (Confluent wire format, lsst-alert-packet schemas)
for the stream and predict tests."""
from __future__ import annotations

import io

import fastavro


def _zero(schema):
    """A value of every avro type (null where allowed) to fill Rubin fields the ELAsTiCC alerts lack."""
    if isinstance(schema, list):
        return None if "null" in schema else _zero(schema[0])
    if isinstance(schema, dict):
        if schema["type"] == "record":
            return {f["name"]: _zero(f["type"]) for f in schema["fields"]}
        return [] if schema["type"] == "array" else _zero(schema["type"])
    return {"long": 0, "int": 0, "double": 0.0, "float": 0.0, "string": "", "boolean": False}.get(schema)


def to_rubin(alert: dict, schema: dict, schema_id: int) -> bytes:
    """An ELAsTiCC alert as a Rubin alert packet in the Confluent wire format."""
    import struct

    fields = {f["name"]: f["type"] for f in schema["fields"]}
    src_t = fields["diaSource"]
    forced_t = next(t for t in fields["prvDiaForcedSources"] if t != "null")["items"]

    def src(s, typ, id_key):
        out = _zero(typ)
        out.update({id_key: s.get("diaSourceId", s.get("diaForcedSourceId")), "diaObjectId": s["diaObjectId"] or 0,
                    "midpointMjdTai": s["midPointTai"], "band": s["filterName"], "psfFlux": s["psFlux"],
                    "psfFluxErr": s["psFluxErr"], "ra": s.get("ra", 0.0), "dec": s.get("decl", 0.0)})
        return out

    rec = _zero(schema)
    rec.update({"diaSourceId": alert["alertId"], "diaSource": src(alert["diaSource"], src_t, "diaSourceId"),
                "prvDiaSources": [src(s, src_t, "diaSourceId") for s in alert["prvDiaSources"] or []],
                "prvDiaForcedSources": [src(s, forced_t, "diaForcedSourceId")
                                        for s in alert["prvDiaForcedSources"] or []]})
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), rec)
    return struct.pack(">bI", 0, schema_id) + buf.getvalue()
