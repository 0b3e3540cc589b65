"""LIGO-LW XML (``.xml``, ``.xml.gz``) trigger files to Arrow tables, with igwn-ligolw.

Reads ``sngl_inspiral``, ``coinc_inspiral``, ``coinc_event``, ``coinc_event_map``,
``coinc_definer``, ``sim_inspiral`` and SPIIR's ``postcoh`` table (67 columns for H1/L1/V1,
77 with K1). Legacy ``ilwd:char`` ids (``"sngl_inspiral:event_id:7"``) become int64 (7);
files with modern integer ids read the same way.

igwn-ligolw parses generic tables without LALSuite, but its ``lsctables`` module and the GPS
``Time`` elements of PSD blocks import ``lal``. We therefore parse with a
``PartialLIGOLWContentHandler`` that keeps only the tables above (which also skips the large
PSD arrays), and register a :class:`PostcohTable` so igwn-ligolw checks the custom table's
column types while parsing.

:func:`read_triggers` returns one row per trigger (a coincidence in ``coinc_inspiral``, or a
``postcoh`` row where a file has no coincidences) with per-detector values as columns
(``snr_H1``, ``eff_distance_L1``, ``postcoh_deff_V1``...), the template (``mass1``, ``mass2``,
``spin1z``, ``spin2z``), and for injection files the matched injection (``sim_*`` columns).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import DataError

log = logging.getLogger(__name__)

TABLES = ("sngl_inspiral", "coinc_inspiral", "coinc_event", "coinc_event_map", "coinc_definer",
          "sim_inspiral", "postcoh")
DETECTORS = ("H1", "L1", "V1", "K1", "I1")
# per-detector columns of sngl_inspiral carried into the trigger table, as <name>_<IFO>
SNGL_PER_DETECTOR = ("snr", "eff_distance", "chisq", "coa_phase", "sigmasq", "end_time_gps")
TEMPLATE = ("mass1", "mass2", "spin1z", "spin2z", "template_duration")
SIM_COLUMNS = ("simulation_id", "mass1", "mass2", "mchirp", "eta", "distance", "spin1z", "spin2z",
               "inclination", "longitude", "latitude", "eff_dist_h", "eff_dist_l", "eff_dist_v",
               "geocent_end_time", "geocent_end_time_ns", "waveform")

_POSTCOH_BASE = {
    "bankid": "int_4s", "cmbchisq": "real_4", "cohsnr": "real_4", "dec": "real_8",
    "end_time": "int_4s", "end_time_ns": "int_4s", "eta": "real_4", "event_id": "ilwd:char",
    "f_final": "real_4", "fap": "real_4", "far": "real_4", "far_1d": "real_4", "far_1w": "real_4",
    "far_2h": "real_4", "ifos": "lstring", "is_background": "int_4s", "livetime": "int_4s",
    "mass1": "real_4", "mass2": "real_4", "mchirp": "real_4", "mtotal": "real_4", "nullsnr": "real_4",
    "pivotal_ifo": "lstring", "pix_idx": "int_4s", "process_id": "ilwd:char", "ra": "real_8",
    "rank": "real_8", "skymap_fname": "lstring", "spearman_pval": "real_4", "spin1x": "real_4",
    "spin1y": "real_4", "spin1z": "real_4", "spin2x": "real_4", "spin2y": "real_4", "spin2z": "real_4",
    "template_duration": "real_8", "tmplt_idx": "int_4s",
}
_POSTCOH_PER_DETECTOR = {
    "chisq": "real_4", "coaphase": "real_4", "deff": "real_8", "end_time_ns_sngl": "int_4s",
    "end_time_sngl": "int_4s", "far_1d_sngl": "real_4", "far_1w_sngl": "real_4",
    "far_2h_sngl": "real_4", "far_sngl": "real_4", "snglsnr": "real_4",
}


class LigoLwError(DataError):
    """A LIGO-LW file that cannot be read, with the file and the reason."""


class NotATriggerFile(LigoLwError):
    """A readable LIGO-LW file without coinc_inspiral or postcoh rows (e.g. background statistics)."""


def _register_postcoh():
    from igwn_ligolw import ligolw

    if "postcoh" in ligolw.Table.TableByName:
        return
    valid = dict(_POSTCOH_BASE)
    valid.update({f"{k}_{ifo}": t for k, t in _POSTCOH_PER_DETECTOR.items() for ifo in DETECTORS})

    class PostcohTable(ligolw.Table):
        """SPIIR's coherent post-processing table (gstlal-spiir ``postcoh``)."""

        tableName = "postcoh"
        validcolumns = {f"postcoh:{k}": t for k, t in valid.items()}

        class RowType(ligolw.Table.RowType):
            __slots__ = tuple(valid)

    ligolw.Table.TableByName[PostcohTable.tableName] = PostcohTable


def _content_handler(names: frozenset[str]):
    from igwn_ligolw import ligolw

    def wanted(name, attrs):
        return name == ligolw.Table.tagName and ligolw.Table.TableName(attrs["Name"]) in names

    class Handler(ligolw.PartialLIGOLWContentHandler):
        def __init__(self, document):
            super().__init__(document, wanted)

    return Handler


def _ids(values: list) -> np.ndarray:
    """ilwd:char ("table:column:N") or integer ids -> int64; None -> -1."""
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if v is None:
            out[i] = -1
        elif isinstance(v, str):
            out[i] = int(v.rsplit(":", 1)[-1])
        else:
            out[i] = int(v)
    return out


def _column(values: list, ltype: str) -> pa.Array:
    from igwn_ligolw import types as ltypes

    if ltype in ("ilwd:char", "int_8s") and any(isinstance(v, str) for v in values):
        return pa.array(_ids(values))
    if ltype in ltypes.IntTypes:
        return pa.array(values, type=pa.int64())
    if ltype in ltypes.FloatTypes:
        return pa.array([np.nan if v is None else v for v in values], type=pa.float64())
    if ltype in ltypes.StringTypes:
        return pa.array(values, type=pa.string())
    return pa.array([None if v is None else bytes(v) for v in values], type=pa.binary())


def read_tables(path: str | os.PathLike, names=TABLES) -> dict[str, pa.Table]:
    """Each LIGO-LW table of ``names`` found in ``path`` as a pyarrow.Table (ids as int64)."""
    from igwn_ligolw import ligolw, utils

    _register_postcoh()
    path = Path(path)
    try:
        doc = utils.load_filename(str(path), contenthandler=_content_handler(frozenset(names)))
    except FileNotFoundError:
        raise
    except Exception as e:  # igwn-ligolw raises ElementError, SAX errors, ValueError, ...
        raise LigoLwError(f"{path}: not a readable LIGO-LW document: {e}") from e
    out: dict[str, pa.Table] = {}
    for table in doc.getElementsByTagName(ligolw.Table.tagName):
        if table.Name in out:
            raise LigoLwError(f"{path}: table {table.Name!r} appears twice")
        cols = {}
        for name, ltype in zip(table.columnnames, table.columntypes, strict=True):
            values = [getattr(row, name) for row in table]
            try:
                cols[name] = _column(values, ltype)
            except (ValueError, TypeError, pa.ArrowInvalid) as e:
                raise LigoLwError(f"{path}: table {table.Name}, column {name} ({ltype}): {e}") from e
        out[table.Name] = pa.table(cols) if cols else pa.table({})
    doc.unlink()
    return out


def _np(table: pa.Table, name: str, default=np.nan) -> np.ndarray:
    if name in table.column_names:
        return table.column(name).to_numpy(zero_copy_only=False)
    return np.full(table.num_rows, default)


def _sim_of_coinc(t: dict[str, pa.Table]) -> dict[int, int]:
    """Inspiral coinc_event_id -> simulation_id, preferring 'exact' over 'nearby' matches."""
    if not {"sim_inspiral", "coinc_event_map", "coinc_event", "coinc_definer"} <= t.keys():
        return {}
    definer = t["coinc_definer"]
    desc = dict(zip(_np(definer, "coinc_def_id"), definer.column("description").to_pylist(), strict=True))
    sim_defs = {k: ("exact" in d) for k, d in desc.items() if "sim_inspiral" in d and "coinc_event" in d}
    ce = t["coinc_event"]
    def_of = dict(zip(_np(ce, "coinc_event_id"), _np(ce, "coinc_def_id"), strict=True))
    cmap = t["coinc_event_map"]
    cid, eid = _np(cmap, "coinc_event_id"), _np(cmap, "event_id")
    tname = np.asarray(cmap.column("table_name").to_pylist())
    sim_of, coinc_of = {}, {}
    for c, e, n in zip(cid, eid, tname, strict=True):
        if def_of.get(c) not in sim_defs:
            continue
        if n == "sim_inspiral":
            sim_of[c] = e
        elif n == "coinc_event":
            coinc_of.setdefault(c, []).append(e)
    out: dict[int, int] = {}
    for exact_pass in (True, False):
        for c, events in coinc_of.items():
            if sim_defs[def_of[c]] == exact_pass and c in sim_of:
                for e in events:
                    out.setdefault(int(e), int(sim_of[c]))
    return out


def _coinc_triggers(path: Path, t: dict[str, pa.Table]) -> dict[str, Any]:
    ci = t["coinc_inspiral"]
    n = ci.num_rows
    cols: dict[str, Any] = {name: ci.column(name) for name in ci.column_names}
    coinc_id = _np(ci, "coinc_event_id")
    if "coinc_event" in t:
        ce = t["coinc_event"]
        pos = {c: i for i, c in enumerate(_np(ce, "coinc_event_id"))}
        rows = np.array([pos.get(c, -1) for c in coinc_id])
        if np.any(rows < 0):
            raise LigoLwError(f"{path}: coinc_inspiral row(s) without a coinc_event: "
                              f"{coinc_id[rows < 0][:5].tolist()}")
        for name in ("instruments", "likelihood", "time_slide_id", "nevents"):
            if name in ce.column_names:
                cols[name] = ce.column(name).take(pa.array(rows))
    if "sngl_inspiral" in t and "coinc_event_map" in t:
        cols.update(_per_detector(path, t, coinc_id))
    sims = _sim_of_coinc(t)
    if sims:
        sim = t["sim_inspiral"]
        pos = {s: i for i, s in enumerate(_np(sim, "simulation_id"))}
        rows = pa.array([pos.get(sims.get(int(c), -1)) for c in coinc_id], type=pa.int64())
        for name in SIM_COLUMNS:
            if name in sim.column_names:
                cols[f"sim_{name}"] = sim.column(name).take(rows)
    cols["end_time_gps"] = _np(ci, "end_time", 0).astype(np.float64) + 1e-9 * _np(ci, "end_time_ns", 0)
    assert all(len(v) == n for v in cols.values())
    return cols


def _per_detector(path: Path, t: dict[str, pa.Table], coinc_id: np.ndarray) -> dict[str, np.ndarray]:
    sn = t["sngl_inspiral"]
    cmap = t["coinc_event_map"]
    tname = np.asarray(cmap.column("table_name").to_pylist())
    keep = tname == "sngl_inspiral"
    map_c, map_e = _np(cmap, "coinc_event_id")[keep], _np(cmap, "event_id")[keep]
    sn_pos = {e: i for i, e in enumerate(_np(sn, "event_id"))}
    ifo = np.asarray(sn.column("ifo").to_pylist()) if "ifo" in sn.column_names else None
    if ifo is None:
        raise LigoLwError(f"{path}: sngl_inspiral has no ifo column")
    end_gps = _np(sn, "end_time", 0).astype(np.float64) + 1e-9 * _np(sn, "end_time_ns", 0)
    values = {k: end_gps if k == "end_time_gps" else _np(sn, k).astype(np.float64) for k in SNGL_PER_DETECTOR}
    template = {k: _np(sn, k).astype(np.float64) for k in TEMPLATE}
    trig_pos = {c: i for i, c in enumerate(coinc_id)}
    ifos = sorted(set(ifo[[sn_pos[e] for e in map_e if e in sn_pos]].tolist()))
    out = {f"{k}_{d}": np.full(len(coinc_id), np.nan) for d in ifos for k in SNGL_PER_DETECTOR}
    out.update({k: np.full(len(coinc_id), np.nan) for k in TEMPLATE})
    best_snr = np.full(len(coinc_id), -np.inf)
    for c, e in zip(map_c, map_e, strict=True):
        if c not in trig_pos:
            continue
        if e not in sn_pos:
            raise LigoLwError(f"{path}: coinc_event_map names sngl_inspiral event {e}, which is missing")
        i, j = trig_pos[c], sn_pos[e]
        for k in SNGL_PER_DETECTOR:
            out[f"{k}_{ifo[j]}"][i] = values[k][j]
        if values["snr"][j] > best_snr[i]:  # template of the loudest detector
            best_snr[i] = values["snr"][j]
            for k in TEMPLATE:
                out[k][i] = template[k][j]
    return out


def _postcoh_columns(pc: pa.Table, rows: np.ndarray) -> dict[str, Any]:
    """postcoh columns for the given rows (-1: no postcoh row, null values)."""
    take = pa.array(rows, type=pa.int64(), mask=rows < 0)
    return {f"postcoh_{name}": pc.column(name).take(take) for name in pc.column_names}


def read_triggers(path: str | os.PathLike) -> pa.Table:
    """One row per trigger of a LIGO-LW file (see the module docstring for the columns).

    Adds ``file`` (the file name) and ``trigger_index`` (row within the file).
    """
    path = Path(path)
    t = read_tables(path)
    if "coinc_inspiral" in t and t["coinc_inspiral"].num_rows:
        cols = _coinc_triggers(path, t)
        n = t["coinc_inspiral"].num_rows
        if "postcoh" in t and t["postcoh"].num_rows:
            pc = t["postcoh"]
            key = list(zip(_np(pc, "end_time", 0), _np(pc, "end_time_ns", 0), strict=True))
            pos = {k: i for i, k in enumerate(key)}
            ci = t["coinc_inspiral"]
            rows = np.array([pos.get(k, -1) for k in zip(_np(ci, "end_time", 0), _np(ci, "end_time_ns", 0), strict=True)])
            if np.any(rows < 0):
                log.warning("%s: %d coincidence(s) without a postcoh row at the same time", path, int((rows < 0).sum()))
            cols.update(_postcoh_columns(pc, rows))
    elif "postcoh" in t and t["postcoh"].num_rows:
        pc = t["postcoh"]
        n = pc.num_rows
        cols = _postcoh_columns(pc, np.arange(n))
        cols["end_time_gps"] = _np(pc, "end_time", 0).astype(np.float64) + 1e-9 * _np(pc, "end_time_ns", 0)
    else:
        raise NotATriggerFile(f"{path}: no coinc_inspiral or postcoh rows: not a trigger file")
    table = pa.table({"file": pa.array([path.name] * n, type=pa.string()),
                      "trigger_index": pa.array(np.arange(n, dtype=np.int64)), **cols})
    return table


read_ligolw = read_triggers
