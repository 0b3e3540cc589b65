"""Builds the converter's table (docs/data_model.md) with astropy, independently of
``elasticc_fast.io.snana``, so batch/preprocess/augment tests do not depend on our reader."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
from astropy.io import fits

PHOT_LISTS = {"MJD": pa.float64(), "BAND": pa.string(), "FLUXCAL": pa.float32(),
              "FLUXCALERR": pa.float32(), "PHOTFLAG": pa.int32()}


def _native(a: np.ndarray) -> np.ndarray:
    return a.astype(a.dtype.newbyteorder("="), copy=False)


def read_pair(head_path: Path, model: str) -> pa.Table | None:
    """One HEAD/PHOT pair -> table (None when the pair holds no object)."""
    phot_path = Path(str(head_path).replace("_HEAD.FITS", "_PHOT.FITS"))
    with fits.open(head_path) as h, fits.open(phot_path) as p:
        head, phot = h[1].data, p[1].data
        if head is None or len(head) == 0:
            return None
        cols: dict[str, pa.Array] = {}
        for name in head.columns.names:
            v = head[name]
            if v.dtype.kind in "SU":
                cols[name] = pa.array([s.strip() for s in v.astype(str)])
            else:
                cols[name] = pa.array(_native(np.asarray(v)))
        cols["SNID"] = pa.array(np.array([int(s) for s in head["SNID"].astype(str)], dtype=np.int64))
        lo = np.asarray(head["PTROBS_MIN"], dtype=np.int64) - 1  # 1-based inclusive
        hi = np.asarray(head["PTROBS_MAX"], dtype=np.int64)
        mjd = _native(np.asarray(phot["MJD"], dtype=np.float64))
        band = np.array([s.strip() for s in phot["BAND"].astype(str)])
        values = {"MJD": mjd, "BAND": band,
                  "FLUXCAL": _native(np.asarray(phot["FLUXCAL"])).astype(np.float32),
                  "FLUXCALERR": _native(np.asarray(phot["FLUXCALERR"])).astype(np.float32),
                  "PHOTFLAG": _native(np.asarray(phot["PHOTFLAG"])).astype(np.int32)}
        picks, offsets = [], [0]
        for a, b in zip(lo, hi, strict=True):
            idx = np.arange(a, b)
            idx = idx[mjd[idx] != -777.0]
            picks.append(idx[np.argsort(mjd[idx], kind="stable")])
            offsets.append(offsets[-1] + len(picks[-1]))
        take = np.concatenate(picks) if picks else np.zeros(0, np.int64)
        offs = pa.array(offsets, pa.int32())
        for k, t in PHOT_LISTS.items():
            cols[k] = pa.ListArray.from_arrays(offs, pa.array(values[k][take], type=t))
        cols["model"] = pa.array([model] * len(head))
        return pa.table(cols)


def read_folder(folder: Path) -> pa.Table:
    """All pairs of a ``<PREFIX>_<MODEL>`` folder, HEAD schemas unioned."""
    model = folder.name.split("percent_", 1)[-1]
    tables = [t for f in sorted(folder.glob("*_HEAD.FITS.gz")) if (t := read_pair(f, model)) is not None]
    return pa.concat_tables(tables, promote_options="default")


def read_sample(root: Path) -> pa.Table:
    """Every object of elasticc2_train_sample (the three model folders), one table."""
    tables = [read_folder(d) for d in sorted(root.iterdir()) if d.is_dir()]
    return pa.concat_tables(tables, promote_options="default")


_CACHE: dict[Path, pa.Table] = {}


def sample_table(root: Path) -> pa.Table:
    """``read_sample(root)``, read once per test process (about 6 s)."""
    if root not in _CACHE:
        _CACHE[root] = read_sample(root)
    return _CACHE[root]
