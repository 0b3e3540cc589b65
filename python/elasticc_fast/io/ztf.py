"""ZTF photometry: unit conversions (written once) and the real ZTF alert avro reader.

Every ZTF reader here (alerts, ALeRCE objects, BTS light curves) ends in the same columns:

- ``flux``, ``flux_err`` in **microjansky** (AB zero point 23.9, :mod:`elasticc_fast.units`);
  difference magnitudes carry their sign in ``isdiffpos`` (``t``/``1`` positive, ``f``/``-1``
  negative) and become signed difference fluxes.
- ``flag`` :data:`~elasticc_fast.units.PHOTFLAG_DETECTION` (4096) for an alert detection, 0 for a
  non-detection (flux 0, ``flux_err`` = the 5-sigma limiting flux / 5) and for forced photometry.
- ``band`` uint8 index into ``ugrizY`` (ZTF fid 1, 2, 3 = g, r, i).
- ``mjd`` = ``jd - 2400000.5`` where a source gives Julian dates.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..units import BAND_INDEX, PHOTFLAG_DETECTION, mag_to_microjansky

log = logging.getLogger(__name__)

#: ZTF filter id -> band index in ``ugrizY``
FID_TO_BAND = {1: BAND_INDEX["g"], 2: BAND_INDEX["r"], 3: BAND_INDEX["i"]}
JD_TO_MJD = 2400000.5
#: ZTF ``diffmaglim`` is a 5-sigma limit
LIMIT_NSIGMA = 5.0
_LN10_OVER_2P5 = np.log(10.0) / 2.5
#: the light-curve columns every reader produces (one row per observation)
PHOT_COLUMNS = ("mjd", "band", "flux", "flux_err", "flag")


# ------------------------------------------------------------------ unit conversions
def isdiffpos_sign(isdiffpos: Sequence | np.ndarray) -> np.ndarray:
    """``isdiffpos`` in any of its spellings (``'t'``/``'f'``, ``'1'``/``'-1'``, 1/-1, bool) -> +1/-1."""
    a = np.asarray(isdiffpos)
    if a.dtype.kind == "b":
        return np.where(a, 1.0, -1.0)
    if a.dtype.kind in "iuf":
        return np.where(a.astype(np.float64) < 0, -1.0, 1.0)
    s = np.char.lower(np.char.strip(a.astype(str)))
    neg = np.isin(s, ("f", "false", "-1", "-1.0", "0"))
    pos = np.isin(s, ("t", "true", "1", "1.0"))
    if not np.all(neg | pos):
        bad = sorted(set(s[~(neg | pos)].tolist()))[:5]
        raise ValueError(f"unrecognised isdiffpos values {bad}")
    return np.where(neg, -1.0, 1.0)


def diffmag_to_flux(mag: np.ndarray, mag_err: np.ndarray,
                    isdiffpos: Sequence | np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Difference magnitude (AB) and its error -> signed difference flux and error in microjansky.

    ``flux_err = |flux| * ln(10) / 2.5 * mag_err`` (first-order propagation).
    """
    mag = np.asarray(mag, dtype=np.float64)
    flux = mag_to_microjansky(mag)
    err = flux * _LN10_OVER_2P5 * np.asarray(mag_err, dtype=np.float64)
    if isdiffpos is not None:
        flux = flux * isdiffpos_sign(isdiffpos)
    return flux, err


def limit_to_flux_err(diffmaglim: np.ndarray, nsigma: float = LIMIT_NSIGMA) -> np.ndarray:
    """An ``nsigma`` limiting magnitude -> the 1-sigma flux error in microjansky."""
    return mag_to_microjansky(np.asarray(diffmaglim, dtype=np.float64)) / nsigma


def dn_to_microjansky(flux_dn: np.ndarray, magzp: np.ndarray) -> np.ndarray:
    """ZTF forced-photometry flux in image counts with zero point ``magzpsci`` -> microjansky."""
    return np.asarray(flux_dn, dtype=np.float64) * mag_to_microjansky(np.asarray(magzp, dtype=np.float64))


def fid_to_band(fid: Sequence | np.ndarray) -> np.ndarray:
    """ZTF filter ids (1, 2, 3) or names (``g``, ``r``/``R``, ``i``) -> uint8 band indices."""
    a = np.asarray(fid)
    if a.dtype.kind in "iuf":
        a = a.astype(np.int64)
        table = np.full(4, 255, dtype=np.int64)
        for k, v in FID_TO_BAND.items():
            table[k] = v
        out = np.where((a >= 1) & (a <= 3), table[np.clip(a, 0, 3)], 255)
    else:
        out = np.array([BAND_INDEX.get(str(b).strip(), 255) for b in a], dtype=np.int64)
    if np.any(out == 255):
        bad = sorted(set(map(str, a[out == 255].tolist())))[:5]
        raise ValueError(f"unknown ZTF filter ids/names {bad}")
    return out.astype(np.uint8)


def valid_limit(diffmaglim: np.ndarray) -> np.ndarray:
    """Upper limits worth keeping: finite and positive (the pipeline writes -999-like sentinels)."""
    lim = np.asarray(diffmaglim, dtype=np.float64)
    return np.isfinite(lim) & (lim > 0)


def non_detection_frame(mjd: np.ndarray, fid: np.ndarray, diffmaglim: np.ndarray) -> pd.DataFrame:
    """Upper limits as light-curve rows: flux 0, error = 5-sigma limiting flux / 5, flag 0.
    Sentinel limits (see :func:`valid_limit`) are dropped."""
    ok = valid_limit(diffmaglim)
    lim = np.asarray(diffmaglim, dtype=np.float64)[ok]
    return pd.DataFrame({"mjd": np.asarray(mjd, dtype=np.float64)[ok], "band": fid_to_band(np.asarray(fid)[ok]),
                         "flux": 0.0, "flux_err": limit_to_flux_err(lim), "flag": 0})


def detection_frame(mjd, fid, mag, mag_err, isdiffpos, flag: int = PHOTFLAG_DETECTION) -> pd.DataFrame:
    """Difference-magnitude detections as light-curve rows (flux in microjansky)."""
    flux, err = diffmag_to_flux(mag, mag_err, isdiffpos)
    return pd.DataFrame({"mjd": np.asarray(mjd, dtype=np.float64), "band": fid_to_band(fid),
                         "flux": flux, "flux_err": err, "flag": flag})


# ------------------------------------------------------------------ batch assembly
def assemble(curves: Mapping[str, "pd.DataFrame | Mapping[str, np.ndarray]"], static: pd.DataFrame | None = None,
             labels: Sequence[int] | np.ndarray | None = None):
    """Per-object rows with :data:`PHOT_COLUMNS` (DataFrames or dicts of arrays) -> one
    ``LightCurveBatch`` (ids are the keys, in mapping order; rows sorted by MJD with a stable sort;
    ``static`` one row per object)."""
    import pyarrow as pa

    from ..batch import LightCurveBatch

    ids = list(curves)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in PHOT_COLUMNS}
    lengths = np.zeros(len(ids), dtype=np.int64)
    for k, oid in enumerate(ids):
        c = curves[oid]
        mjd = np.asarray(c["mjd"], dtype=np.float64)
        order = np.argsort(mjd, kind="stable")
        lengths[k] = len(mjd)
        for name in PHOT_COLUMNS:
            cols[name].append(np.asarray(c[name])[order])
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = {name: (np.concatenate(v) if v else np.zeros(0)) for name, v in cols.items()}
    if static is None:
        static = pd.DataFrame({"object_id": ids})
    table = pa.Table.from_pandas(static.reset_index(drop=True), preserve_index=False)
    return LightCurveBatch.from_arrays(
        ids=np.array(ids, dtype=object), offsets=offsets,
        mjd=flat["mjd"].astype(np.float64), band=flat["band"].astype(np.uint8),
        flux=flat["flux"].astype(np.float32), flux_err=flat["flux_err"].astype(np.float32),
        flag=flat["flag"].astype(np.int32), static=table,
        labels=None if labels is None else np.asarray(labels, dtype=np.int64))


# ------------------------------------------------------------------ alert avro
def _alert_rows(alert: dict, include_forced: bool) -> tuple[list[dict], list[dict], list[dict]]:
    """Detections, non-detections and forced points of one alert packet (prv + candidate)."""
    det, nondet, forced = [], [], []
    for c in [*(alert.get("prv_candidates") or []), alert["candidate"]]:
        if c.get("candid") is not None and c.get("magpsf") is not None:
            det.append(c)
        elif c.get("diffmaglim") is not None:
            nondet.append(c)
    if include_forced:
        forced = [f for f in (alert.get("fp_hists") or [])
                  if f.get("forcediffimflux") not in (None, -99999.0) and f.get("magzpsci") is not None]
    return det, nondet, forced


def read_ztf_alerts(paths: Iterable[str | Path], *, non_detections: bool = True,
                    include_forced: bool = False):
    """Real ZTF alert avro files (any codec fastavro reads; snappy via cramjam) -> LightCurveBatch.

    Alerts of one ``objectId`` are merged: detections deduplicated by ``candid``, upper limits by
    ``(jd, fid)``; ``fp_hists`` forced photometry (ZTF schema >= 4.0) is added with flag 0 when
    ``include_forced``. ``static`` holds ``object_id``, ``ra``, ``dec``, ``sgscore1``,
    ``distpsnr1`` and ``n_alerts`` from each object's latest alert.
    """
    import fastavro

    det: dict[str, dict] = {}
    nondet: dict[str, dict] = {}
    forced: dict[str, dict] = {}
    latest: dict[str, dict] = {}
    for path in map(Path, paths):
        try:
            with open(path, "rb") as fh:
                alerts = list(fastavro.reader(fh))
        except Exception as e:  # fastavro raises many types; name the file
            raise ValueError(f"{path}: not a readable ZTF alert avro file ({e})") from e
        for alert in alerts:
            oid = alert.get("objectId")
            if oid is None or "candidate" not in alert:
                raise ValueError(f"{path}: record is not a ZTF alert (no objectId/candidate)")
            d, n, f = _alert_rows(alert, include_forced)
            det.setdefault(oid, {}).update({c["candid"]: c for c in d})
            nondet.setdefault(oid, {}).update({(c["jd"], c["fid"]): c for c in n})
            forced.setdefault(oid, {}).update({(c["jd"], c["fid"]): c for c in f})
            cand = alert["candidate"]
            prev = latest.get(oid)
            if prev is None or cand["jd"] >= prev["jd"]:
                latest[oid] = {**cand, "n_alerts": (prev or {}).get("n_alerts", 0)}
            latest[oid]["n_alerts"] += 1
    curves = {}
    for oid in det:
        curves[oid] = _alert_curve(list(det[oid].values()), list(nondet[oid].values()) if non_detections else [],
                                   list(forced[oid].values()))
    static = pd.DataFrame({
        "object_id": list(curves),
        **{k: [latest[o].get(k) for o in curves] for k in ("ra", "dec", "sgscore1", "distpsnr1", "n_alerts")}})
    return assemble(curves, static)


def _alert_curve(det: list[dict], nondet: list[dict], forced: list[dict]) -> pd.DataFrame:
    frames = []
    if det:
        frames.append(detection_frame([c["jd"] - JD_TO_MJD for c in det], [c["fid"] for c in det],
                                      [c["magpsf"] for c in det], [c["sigmapsf"] for c in det],
                                      [c["isdiffpos"] for c in det]))
    if nondet:
        frames.append(non_detection_frame([c["jd"] - JD_TO_MJD for c in nondet], [c["fid"] for c in nondet],
                                          [c["diffmaglim"] for c in nondet]))
    if forced:
        frames.append(pd.DataFrame({
            "mjd": [c["jd"] - JD_TO_MJD for c in forced], "band": fid_to_band([c["fid"] for c in forced]),
            "flux": dn_to_microjansky([c["forcediffimflux"] for c in forced], [c["magzpsci"] for c in forced]),
            "flux_err": dn_to_microjansky([c["forcediffimfluxunc"] for c in forced],
                                          [c["magzpsci"] for c in forced]),
            "flag": 0}))
    return pd.concat(frames, ignore_index=True)
