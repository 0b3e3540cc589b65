"""ZTF Bright Transient Survey (BTS) light curves -> ``LightCurveBatch`` with BTS-tree labels.

Input layout (``../shared/data/ztf_bts``): ``ANTARES/<ZTFID>.csv`` (columns ``ant_mjd``,
``ant_passband`` g/R, ``ant_mag``, ``ant_magerr``: alert detections only, difference magnitudes of
positive transients) and one or more BTS summary tables ``ZTF_BTS_*.csv`` (``ZTFID``, ``type``,
``redshift``, ``peakt``, ...). When tables disagree on an object's type, the table whose name sorts
last (the most recent export) wins.

Magnitudes become fluxes in microjansky (:func:`elasticc_fast.io.ztf.diffmag_to_flux`, all
positive: ANTARES keeps only positive detections) with flag 4096 (detection).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..units import PHOTFLAG_DETECTION
from .ztf import assemble, diffmag_to_flux, fid_to_band

log = logging.getLogger(__name__)

_LC_COLUMNS = ("ant_mjd", "ant_passband", "ant_mag", "ant_magerr")
#: BTS table columns copied to ``static`` (numeric ones parsed; '>' lower limits become NaN)
STATIC_COLUMNS = ("redshift", "peakmag", "peakabs", "duration", "rise", "fade", "b", "A_V")


def read_bts_table(root: str | Path) -> pd.DataFrame:
    """All ``ZTF_BTS_*.csv`` under ``root`` -> one row per ZTFID (later exports override earlier)."""
    root = Path(root)
    paths = sorted(root.glob("ZTF_BTS_*.csv"), key=_export_date)
    if not paths:
        raise ValueError(f"{root}: no ZTF_BTS_*.csv table")
    frames = []
    for p in paths:
        df = pd.read_csv(p)
        for col in ("ZTFID", "type"):
            if col not in df.columns:
                raise ValueError(f"{p}: BTS table has no {col!r} column")
        frames.append(df.drop(columns=[c for c in df.columns if c.startswith("Unnamed")]))
    table = pd.concat(frames, ignore_index=True).drop_duplicates("ZTFID", keep="last")
    return table.set_index("ZTFID")


def bts_types(root: str | Path) -> pd.Series:
    """BTS ``type`` of every object with a light curve under ``root/ANTARES`` (index ZTFID)."""
    root = Path(root)
    table = read_bts_table(root)
    ids = sorted(p.stem for p in (root / "ANTARES").glob("*.csv"))
    missing = [i for i in ids if i not in table.index]
    if missing:
        raise ValueError(f"{root}: objects with no BTS table row: {missing[:5]}")
    return table.loc[ids, "type"].astype(str)


def _export_date(path: Path) -> tuple:
    """``ZTF_BTS_23_29__22_09_2021.csv`` -> (2021, 9, 22): order exports by their date suffix."""
    parts = path.stem.split("__")[-1].split("_")
    try:
        day, month, year = (int(x) for x in parts[-3:])
        return (year, month, day, path.name)
    except ValueError:
        return (0, 0, 0, path.name)


def read_bts_curve(path: str | Path) -> dict[str, np.ndarray]:
    """One ANTARES BTS light curve -> light-curve columns (flux in microjansky, flag 4096)."""
    import pyarrow.csv as pcsv

    try:
        t = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
            include_columns=list(_LC_COLUMNS),
            column_types={"ant_mjd": "float64", "ant_passband": "string", "ant_mag": "float64",
                          "ant_magerr": "float64"}))
    except Exception as e:  # pyarrow raises ArrowInvalid/KeyError variants; name the file
        raise ValueError(f"{path}: not a BTS light curve with columns {list(_LC_COLUMNS)} ({e})") from e
    mag, err = t.column("ant_mag").to_numpy(), t.column("ant_magerr").to_numpy()
    flux, flux_err = diffmag_to_flux(mag, err)
    try:
        band = fid_to_band(np.asarray(t.column("ant_passband").to_pylist(), dtype=str))
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from e
    return {"mjd": t.column("ant_mjd").to_numpy(), "band": band, "flux": flux, "flux_err": flux_err,
            "flag": np.full(len(mag), PHOTFLAG_DETECTION, dtype=np.int32)}


def _numeric(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").to_numpy(np.float64)


def read_bts(root: str | Path, *, tree=None, ids: Sequence[str] | None = None,
             keep_unclassified: bool = False, progress: bool = True):
    """The BTS sample under ``root`` -> LightCurveBatch.

    ``tree``: a BTS tree (default :func:`elasticc_fast.taxonomy.ztf.bts_tree`); ``labels`` are the
    tree-node indices of each object's leaf. Objects whose type maps to no leaf are dropped (and
    counted in the log) unless ``keep_unclassified`` (then their label is -1). ``static`` holds
    ``object_id``, ``bts_type``, ``class_name`` and :data:`STATIC_COLUMNS`.
    """
    from ..progress import progress as bar
    from ..taxonomy.ztf import bts_leaf, bts_tree

    root = Path(root)
    tree = tree or bts_tree()
    table = read_bts_table(root)
    lc_dir = root / "ANTARES"
    files = {p.stem: p for p in sorted(lc_dir.glob("*.csv"))}
    if not files:
        raise ValueError(f"{lc_dir}: no light-curve CSV files")
    wanted = list(ids) if ids is not None else list(files)
    unknown = [i for i in wanted if i not in table.index]
    if unknown:
        raise ValueError(f"{root}: objects with no BTS table row: {unknown[:5]} ({len(unknown)} in all)")
    curves, rows, labels, set_aside = {}, [], [], {}
    for oid in bar(wanted, desc="BTS light curves", unit="obj", enabled=None if progress else False):
        if oid not in files:
            raise ValueError(f"{lc_dir}: no light curve {oid}.csv")
        bts_type = str(table.at[oid, "type"])
        leaf = bts_leaf(bts_type)
        if leaf is None:
            set_aside[bts_type] = set_aside.get(bts_type, 0) + 1
            if not keep_unclassified:
                continue
        curves[oid] = read_bts_curve(files[oid])
        rows.append({"object_id": oid, "bts_type": bts_type, "class_name": leaf or ""})
        labels.append(tree.index(leaf) if leaf is not None else -1)
    if set_aside:
        log.info("BTS: set aside %d objects of unclassifiable types %s", sum(set_aside.values()),
                 dict(sorted(set_aside.items(), key=lambda kv: -kv[1])))
    static = pd.DataFrame(rows)
    for c in STATIC_COLUMNS:  # '>12.3' style lower limits -> NaN
        static[c] = (_numeric(table.loc[list(curves), c]) if c in table.columns
                     else np.full(len(static), np.nan))
    return assemble(curves, static, np.array(labels, dtype=np.int64))
