"""ELAsTiCC alerts (avro or Fink parquet) -> converted-object tables and ``LightCurveBatch``.

An ELAsTiCC alert carries the triggering ``diaSource``, the earlier detections
(``prvDiaSources``), forced photometry at earlier epochs (``prvDiaForcedSources``) and the
``diaObject`` (host galaxy, redshift, extinction). We build **one light curve per alert, as the
alert saw it**: every forced-photometry epoch plus every detection (matched on epoch and band, so
an epoch present in both appears once, with the forced flux), sorted by time. Points that are
detections get ``PHOTFLAG_DETECTION``; the first detection gets ``PHOTFLAG_TRIGGER`` as in the
ELAsTiCC training set, where the trigger bit sits on the first detection.

Fluxes: alert ``psFlux``/``psFluxErr`` are in nJy and are converted to SNANA FLUXCAL
(:func:`elasticc_fast.units.njy_to_fluxcal`), so alerts and training data share one scale.

Upper limits (``prvDiaNondetectionLimits``) carry no flux and are not used; image cutouts are dropped.

The result follows the converted-object contract of ``docs/data_model.md`` (one row per alert:
scalars named as SNANA HEAD columns + list columns ``MJD``, ``BAND``, ``FLUXCAL``, ``FLUXCALERR``,
``PHOTFLAG``), so the same ``LightCurveBatch.from_arrow`` / ``preprocess`` path serves both.
``diaObject`` fields are renamed to their HEAD names (``mwebv`` -> ``MWEBV``, ``hostgal_zphot`` ->
``HOSTGAL_PHOTOZ``, ``hostgal_mag_g`` -> ``HOSTGAL_MAG_g``, ...). Alerts carry no
``REDSHIFT_HELIO``: ``z_final`` stands in for it (measured: in the Fink sample ``z_final`` equals
``hostgal_zphot``, as ``REDSHIFT_HELIO`` equals ``HOSTGAL_PHOTOZ`` in the ELAsTiCC2 training HEAD
files). Extra scalar columns of the input (the SNANA truth Fink attaches: ``GENTYPE``, ``ZCMB``,
...) are kept; ``GENTYPE`` is also copied to ``SIM_TYPE_INDEX``, the HEAD column that holds it.

Inputs understood by :func:`read_alerts`:

- Fink parquet files, or folders of them (hive partitions such as ``classId=121/`` become columns);
- avro container files (``.avro``, optionally gzipped);
- schemaless avro alerts (one record, as sent on Kafka; ``.avro`` or ``.avro.gz``): pass
  ``schema=`` (an ``.avsc`` file whose named types are resolved from the ``.avsc`` files beside it,
  a folder of ``.avsc`` files, an avro container whose writer schema to use, or a parsed schema).
"""
from __future__ import annotations

import gzip
import io
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataError
from ..units import BAND_INDEX, BANDS, PHOTFLAG_DETECTION, PHOTFLAG_TRIGGER, njy_to_fluxcal

log = logging.getLogger(__name__)

PathLike = str | os.PathLike
_LIGHT_CURVE_COLUMNS = ("diaSource", "prvDiaSources", "prvDiaForcedSources", "prvDiaNondetectionLimits",
                        "diaObject", "cutoutDifference", "cutoutTemplate")
#: diaObject fields whose HEAD name is not simply upper-cased
_DIAOBJECT_RENAMES = {"diaObjectId": "SNID", "decl": "DEC", "z_final": "REDSHIFT_HELIO",
                      "z_final_err": "REDSHIFT_HELIO_ERR"}
_HOST_RENAMES = {"zphot": "PHOTOZ", "zphot_err": "PHOTOZ_ERR", "zspec": "SPECZ", "zspec_err": "SPECZ_ERR"}
#: matching tolerance for "same epoch" between forced photometry and detections: 1e-5 d (< 1 s)
_MJD_KEY_SCALE = 1e5


class AlertError(DataError):
    """An alert file or record that cannot be turned into a light curve."""


def head_name(field: str) -> str:
    """The SNANA HEAD column name of a ``diaObject`` field (``hostgal_mag_g`` -> ``HOSTGAL_MAG_g``)."""
    if field in _DIAOBJECT_RENAMES:
        return _DIAOBJECT_RENAMES[field]
    for prefix in ("hostgal2_", "hostgal_"):
        if field.startswith(prefix):
            rest = field[len(prefix):]
            head = prefix[:-1].upper()
            if rest in _HOST_RENAMES:
                return f"{head}_{_HOST_RENAMES[rest]}"
            for mag in ("mag_", "magerr_"):
                if rest.startswith(mag) and rest[len(mag):] in BANDS:
                    return f"{head}_{mag.upper()}{rest[len(mag):]}"
            return f"{head}_{rest.upper()}"
    return field.upper()


# ----------------------------------------------------------------------------------------- reading
def load_avro_schema(schema: Any) -> dict:
    """A parsed avro schema from an ``.avsc`` path, a folder of ``.avsc``, an avro container or a dict.

    Named types (``elasticc.v0_9_1.diaSource`` ...) referenced by an ``.avsc`` file are resolved
    from the other ``.avsc`` files in its folder.
    """
    import fastavro

    if isinstance(schema, dict):
        return fastavro.parse_schema(schema)
    path = Path(schema)
    if path.is_dir():
        candidates = sorted(path.glob("*.alert.avsc")) or sorted(path.glob("*.avsc"))
        if not candidates:
            raise AlertError(f"{path}: no .avsc schema files in this folder")
        path = candidates[0]
    if path.suffix == ".avsc":
        return parse_avsc(path)
    with _open_maybe_gzip(path) as fh:
        try:
            return fastavro.parse_schema(fastavro.reader(fh).writer_schema)
        except ValueError as exc:
            raise AlertError(f"{path}: not an avro container, so it cannot supply a schema ({exc})") from exc


def parse_avsc(path: PathLike) -> dict:
    """Parse one ``.avsc`` file, resolving named types from the ``.avsc`` files beside it."""
    import fastavro
    from fastavro.schema import SchemaParseException, UnknownType

    path = Path(path)
    texts = {p: json.loads(p.read_text()) for p in sorted(path.parent.glob("*.avsc"))}
    named: dict = {}
    pending = [p for p in texts if p != path]
    # parse the dependencies in whatever order works: each pass parses those whose names are known
    while pending:
        progress = False
        for p in list(pending):
            try:
                fastavro.parse_schema(texts[p], named_schemas=named)
            except (UnknownType, SchemaParseException):
                continue
            pending.remove(p)
            progress = True
        if not progress:
            break
    try:
        return fastavro.parse_schema(texts.get(path) or json.loads(path.read_text()), named_schemas=named)
    except (UnknownType, SchemaParseException) as exc:
        raise AlertError(f"{path}: cannot resolve the schema ({exc})") from exc


def _open_maybe_gzip(path: Path) -> io.BytesIO:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return io.BytesIO(raw)


def _read_avro_records(path: Path, schema: Any) -> list[dict]:
    import fastavro

    buf = _open_maybe_gzip(path)
    if buf.getvalue()[:4] == b"Obj\x01":
        return list(fastavro.reader(buf))
    if schema is None:
        raise AlertError(f"{path}: schemaless avro alert (no container header); pass the writer schema "
                         "(schema= / --alert-schema: an .avsc file or an avro container written with it)")
    parsed = schema if isinstance(schema, dict) and "__fastavro_parsed" in schema else load_avro_schema(schema)
    records = []
    while buf.tell() < len(buf.getvalue()):
        try:
            records.append(fastavro.schemaless_reader(buf, parsed))
        except (EOFError, ValueError, UnicodeDecodeError, IndexError) as exc:
            raise AlertError(f"{path}: record {len(records)} does not decode with the given schema "
                             f"({type(exc).__name__}: {exc}); is it the writer's schema?") from exc
    return records


def _input_files(source: PathLike | Sequence[PathLike]) -> list[Path]:
    if isinstance(source, (str, os.PathLike)):
        source = [source]
    files: list[Path] = []
    for s in map(Path, source):
        if s.is_dir():
            found = sorted(p for p in s.rglob("*") if p.is_file() and _kind(p))
            if not found:
                raise AlertError(f"{s}: no .parquet or .avro alert files in this folder")
            files.extend(found)
        elif s.is_file():
            files.append(s)
        else:
            raise AlertError(f"{s}: no such file or folder")
    return files


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".avro", ".avro.gz")):
        return "avro"
    return None


def is_alert_input(source: PathLike | Sequence[PathLike]) -> bool:
    """True when ``source`` looks like ELAsTiCC alerts (avro, or parquet with a ``diaSource`` column)."""
    import pyarrow.parquet as pq

    for f in _input_files(source):
        kind = _kind(f)
        if kind == "avro":
            return True
        if kind == "parquet":
            try:
                return "diaSource" in pq.read_schema(f).names
            except (OSError, pa.ArrowInvalid) as exc:
                raise AlertError(f"{f}: cannot read Parquet ({exc})") from None
    return False


def _hive_columns(path: Path, root: Path | None) -> dict[str, str]:
    parts = path.relative_to(root).parts[:-1] if root is not None and root in path.parents else ()
    return dict(p.split("=", 1) for p in parts if "=" in p)


def read_alerts(source: PathLike | Sequence[PathLike], *, schema: Any = None) -> pa.Table:
    """Read alerts from files or folders into a converted-object table, one row per alert.

    ``schema`` is needed only for schemaless avro alerts (see the module docstring).
    Raises :class:`AlertError` naming the file, the alert and the reason for unreadable input.
    """
    import pyarrow.parquet as pq

    roots = [Path(s) for s in ([source] if isinstance(source, (str, os.PathLike)) else source)]
    tables = []
    for f in _input_files(source):
        root = next((r for r in roots if r.is_dir() and r in f.parents), None)
        kind = _kind(f)
        try:
            if kind == "parquet":
                raw = pq.read_table(f)
                for k, v in _hive_columns(f, root).items():
                    if k not in raw.column_names:
                        raw = raw.append_column(k, pa.array([int(v) if v.lstrip("-").isdigit() else v] * raw.num_rows))
            elif kind == "avro":
                raw = _records_table(_read_avro_records(f, schema))
            else:
                raise AlertError(f"{f}: not an alert file (expected .parquet, .avro or .avro.gz)")
            if raw.num_rows:
                tables.append(alerts_table(raw, source_name=str(f)))
        except AlertError:
            raise
        except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
            raise AlertError(f"{f}: cannot read alerts ({type(exc).__name__}: {exc})") from exc
    if not tables:
        raise AlertError(f"{source}: no alerts found")
    return _concat(tables)


def _concat(tables: list[pa.Table]) -> pa.Table:
    """Concatenate per-file tables; pass-through columns whose types disagree become strings."""
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        types: dict[str, set] = {}
        for t in tables:
            for f in t.schema:
                types.setdefault(f.name, set()).add(f.type)
        clash = {n for n, ts in types.items() if len({t for t in ts if not pa.types.is_null(t)}) > 1}
        fixed = [t.from_arrays([c.cast(pa.string()) if n in clash else c for n, c in zip(t.column_names, t.columns, strict=True)],
                               names=t.column_names) for t in tables]
        return pa.concat_tables(fixed, promote_options="permissive")


def _records_table(records: list[dict]) -> pa.Table:
    """Avro alert dicts -> an Arrow table with the alert's nested columns."""
    keep = [{k: v for k, v in r.items() if k not in ("cutoutDifference", "cutoutTemplate")} for r in records]
    return pa.Table.from_pylist(keep)


def records_to_table(records: Iterable[dict]) -> pa.Table:
    """Alert dicts (e.g. decoded from a Kafka stream) -> converted-object table, one row per alert."""
    return alerts_table(_records_table(list(records)), source_name="<records>")


# -------------------------------------------------------------------------------- light curves
def _as_array(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def _points(values: pa.Array, parent: np.ndarray, kind: int) -> dict[str, np.ndarray]:
    """Flat (parent, mjd, band, flux, flux_err, kind) columns of a struct array of sources."""
    if pa.types.is_null(values.type) or len(values) == 0:
        empty = np.zeros(0)
        return {"parent": empty.astype(np.int64), "mjd": empty, "band": empty.astype(np.int64),
                "flux": empty, "flux_err": empty, "kind": empty.astype(np.int8)}
    band = pc.index_in(values.field("filterName"), value_set=pa.array(list(BAND_INDEX)))
    codes = np.array([BAND_INDEX[b] for b in BAND_INDEX], dtype=np.int64)
    band_idx = band.to_numpy(zero_copy_only=False)
    return {"parent": parent.astype(np.int64), "mjd": values.field("midPointTai").to_numpy(zero_copy_only=False),
            "band": np.where(np.isnan(band_idx), -1, codes[np.nan_to_num(band_idx).astype(np.int64)]),
            "band_raw": values.field("filterName"),
            "flux": values.field("psFlux").to_numpy(zero_copy_only=False).astype(np.float64),
            "flux_err": values.field("psFluxErr").to_numpy(zero_copy_only=False).astype(np.float64),
            "kind": np.full(len(values), kind, dtype=np.int8)}


def _list_points(col: pa.ChunkedArray, kind: int) -> dict[str, np.ndarray]:
    arr = _as_array(col)
    if pa.types.is_null(arr.type):
        return _points(pa.array([], pa.null()), np.zeros(0), kind)
    return _points(pc.list_flatten(arr), pc.list_parent_indices(arr).to_numpy(), kind)


def _gather_points(raw: pa.Table, source_name: str) -> tuple[dict[str, np.ndarray], np.ndarray, pa.Array]:
    """Every point of every alert (its diaSource, prvDiaSources, prvDiaForcedSources) as flat
    arrays (``parent`` alert row, mjd, band, flux, flux_err, ``kind`` 1 detection / 0 forced);
    also the alert ids and the diaSource struct column. Unknown bands and NaN times are errors."""
    for required in ("alertId", "diaSource"):
        if required not in raw.column_names:
            raise AlertError(f"{source_name}: no {required!r} column: not ELAsTiCC alerts")
    alert_ids = raw["alertId"].to_numpy()
    dia = _as_array(raw["diaSource"])
    parts = [_points(dia, np.arange(raw.num_rows), 1)]
    if "prvDiaSources" in raw.column_names:
        parts.append(_list_points(raw["prvDiaSources"], 1))
    if "prvDiaForcedSources" in raw.column_names:
        parts.append(_list_points(raw["prvDiaForcedSources"], 0))
    pts = {k: np.concatenate([p[k] for p in parts]) for k in ("parent", "mjd", "band", "flux", "flux_err", "kind")}
    bad = np.flatnonzero(pts["band"] < 0)
    if bad.size:
        i = bad[0]
        names = pa.concat_arrays([p["band_raw"].cast(pa.string()) for p in parts if "band_raw" in p])
        raise AlertError(f"{source_name}: alert {alert_ids[pts['parent'][i]]}: unknown filterName "
                         f"{names[int(i)].as_py()!r} (expected one of {BANDS})")
    bad = np.flatnonzero(~np.isfinite(pts["mjd"]))
    if bad.size:
        raise AlertError(f"{source_name}: alert {alert_ids[pts['parent'][bad[0]]]}: non-finite midPointTai")
    return pts, alert_ids, dia


def _merge_epochs(pts: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """One point per (alert, epoch, band), the forced one when there is one (a detection at the
    same epoch only sets the flag); PHOTFLAG with the detection and trigger bits; CSR offsets."""
    key = np.round(pts["mjd"] * _MJD_KEY_SCALE).astype(np.int64)
    order = np.lexsort((pts["kind"], pts["band"], key, pts["parent"]))  # forced point (kind 0) leads
    p, k, b = pts["parent"][order], key[order], pts["band"][order]
    starts = np.flatnonzero(np.r_[True, (p[1:] != p[:-1]) | (k[1:] != k[:-1]) | (b[1:] != b[:-1])])
    detected = np.maximum.reduceat(pts["kind"][order], starts).astype(bool)
    kept = order[starts]
    parent = pts["parent"][kept]
    flag = np.where(detected, PHOTFLAG_DETECTION, 0).astype(np.int32)
    det_idx = np.flatnonzero(detected)
    _, first_pos = np.unique(parent[det_idx], return_index=True)
    trigger = det_idx[first_pos]            # every alert has its own diaSource, so one per alert
    flag[trigger] |= PHOTFLAG_TRIGGER
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(parent, minlength=n), out=offsets[1:])
    mjd = pts["mjd"][kept]
    last_det = np.full(n, np.nan)
    np.fmax.at(last_det, parent[det_idx], mjd[det_idx])
    return {"kept": kept, "flag": flag, "trigger": trigger, "offsets": offsets, "mjd": mjd, "last_det": last_det}


def _add_dia_object(raw: pa.Table, scalars: dict[str, pa.Array]) -> None:
    """The diaObject fields as HEAD columns (its id is authoritative for SNID)."""
    if "diaObject" not in raw.column_names or pa.types.is_null(raw.schema.field("diaObject").type):
        return
    obj = _as_array(raw["diaObject"])
    for i in range(obj.type.num_fields):
        name, values = head_name(obj.type.field(i).name), obj.field(i)
        if pa.types.is_null(values.type):
            continue
        if pa.types.is_floating(values.type) and name not in ("RA", "DEC"):
            values = values.cast(pa.float32())  # HEAD stores these as float32 (TFORM E)
        if name == "SNID":
            # the diaObject id is authoritative; diaSource.diaObjectId may be null
            scalars["SNID"] = pc.coalesce(values.cast(pa.int64()), scalars["SNID"])
            continue
        scalars[name] = pc.coalesce(values, scalars[name]) if name in scalars else values


def _head_columns(raw: pa.Table, dia: pa.Array, alert_ids: np.ndarray, e: dict[str, np.ndarray]) -> dict:
    """Per-alert columns: ids, times, position, diaObject fields and the truth columns Fink adds."""
    first = pa.array(e["mjd"][e["trigger"]], pa.float64())
    scalars: dict[str, pa.Array] = {
        "alertId": pa.array(alert_ids, pa.int64()),
        "diaSourceId": _as_array(dia.field("diaSourceId")).cast(pa.int64()),
        "SNID": dia.field("diaObjectId").cast(pa.int64()),
        "MJD_ALERT": dia.field("midPointTai").cast(pa.float64()),
        "MJD_TRIGGER": first, "MJD_DETECT_FIRST": first,
        "MJD_DETECT_LAST": pa.array(e["last_det"], pa.float64()),
        "NOBS": pa.array(np.diff(e["offsets"]).astype(np.int32)),
        "RA": dia.field("ra").cast(pa.float64()),
        "DEC": dia.field("decl").cast(pa.float64()),
    }
    _add_dia_object(raw, scalars)
    for name in raw.column_names:            # truth and provenance columns Fink adds
        typ = raw.schema.field(name).type
        if name in _LIGHT_CURVE_COLUMNS or pa.types.is_nested(typ) or pa.types.is_null(typ):
            continue
        scalars.setdefault(name if name not in scalars else f"TRUTH_{name}", _as_array(raw[name]))
    if "GENTYPE" in scalars and "SIM_TYPE_INDEX" not in scalars:
        scalars["SIM_TYPE_INDEX"] = scalars["GENTYPE"]
    return scalars


def alerts_table(raw: pa.Table, *, source_name: str = "<table>") -> pa.Table:
    """A table of raw alerts (nested ``diaSource``/``prv*`` columns) -> converted-object table."""
    pts, alert_ids, dia = _gather_points(raw, source_name)
    e = _merge_epochs(pts, raw.num_rows)
    kept, offsets = e["kept"], e["offsets"]
    lists = {
        "MJD": pa.array(e["mjd"], pa.float64()),
        "BAND": pa.array(np.array(list(BANDS))[pts["band"][kept]], pa.string()),
        "FLUXCAL": pa.array(njy_to_fluxcal(pts["flux"][kept]).astype(np.float32)),
        "FLUXCALERR": pa.array(njy_to_fluxcal(pts["flux_err"][kept]).astype(np.float32)),
        "PHOTFLAG": pa.array(e["flag"]),
    }
    pa_offsets = pa.array(offsets.astype(np.int32) if offsets[-1] < 2**31 else offsets)
    list_type = pa.ListArray if pa_offsets.type == pa.int32() else pa.LargeListArray
    columns = _head_columns(raw, dia, alert_ids, e)
    for name, values in lists.items():
        columns[name] = list_type.from_arrays(pa_offsets, values)
    return pa.table(columns)


def now_millis() -> int:
    """Unix time in milliseconds (for ``brokerIngestTimestamp``)."""
    return int(time.time() * 1000)
