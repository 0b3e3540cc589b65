"""ALeRCE inputs -> ``LightCurveBatch``: AstroObjects (pickled dicts or parquet partitions) and the
pipeline's per-object ``detections.csv`` / ``non_detections.csv`` / ``forced_photometry.csv``.

Pickles are read with :func:`safe_load_pickle`, a restricted unpickler that only resolves the
NumPy/pandas reconstruction functions a DataFrame needs; anything else (``os.system``,
``builtins.eval``, ...) is refused before it can run.

Conventions (see :mod:`elasticc_fast.io.ztf` for units): in an AstroObject, ``unit ==
'diff_flux'`` rows hold the difference flux in microjansky and are used; ``unit == 'magnitude'``
rows hold the object's total (science-image) magnitude, not a difference measurement, and are
left out. Detections get flag 4096, forced photometry and upper limits flag 0. In the pipeline
CSVs, forced-photometry rows with the ``mag == 100`` sentinel (failed measurement, ``procstatus``
!= 0) are dropped, as are forced rows at the epoch and band of an alert detection (the detection
already holds that epoch).
"""
from __future__ import annotations

import io
import logging
import pickle
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..units import PHOTFLAG_DETECTION
from .ztf import JD_TO_MJD, assemble, detection_frame, fid_to_band, isdiffpos_sign, non_detection_frame

log = logging.getLogger(__name__)

ASTRO_OBJECT_KEYS = ("metadata", "detections", "non_detections", "forced_photometry", "xmatch",
                     "features", "predictions")
#: ALeRCE's sentinel for an unmeasured magnitude
MAG_SENTINEL = 100.0

# ------------------------------------------------------------------ restricted unpickling
# (module, name) pairs a pickled DataFrame / Series / dict of them needs; module aliases cover the
# numpy 1 -> 2 rename (numpy.core -> numpy._core). Nothing here can run code from the file.
_SAFE_GLOBALS = {
    ("builtins", n) for n in ("slice", "dict", "list", "tuple", "set", "frozenset", "complex",
                              "bytearray", "range", "object", "int", "float", "str", "bytes", "bool")
} | {
    ("_codecs", "encode"),  # protocol-2 bytes
    ("numpy", "dtype"), ("numpy", "ndarray"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("pandas.core.frame", "DataFrame"), ("pandas.core.series", "Series"),
    ("pandas.core.internals.managers", "BlockManager"),
    ("pandas.core.internals.managers", "SingleBlockManager"),
    ("pandas._libs.internals", "_unpickle_block"),
    ("pandas.core.internals.blocks", "new_block"),
    ("pandas.core.indexes.base", "_new_Index"), ("pandas.core.indexes.base", "Index"),
    ("pandas.core.indexes.range", "RangeIndex"), ("pandas.core.indexes.multi", "MultiIndex"),
    ("pandas.core.indexes.datetimes", "_new_DatetimeIndex"),
    ("pandas.core.indexes.datetimes", "DatetimeIndex"),
    ("pandas.core.arrays.categorical", "Categorical"),
    ("pandas.core.indexes.category", "CategoricalIndex"),
    ("pandas._libs.tslibs.timestamps", "_unpickle_timestamp"),
    ("pandas._libs.tslibs.timestamps", "Timestamp"),
    # pandas >= 3 pickles: public names, extension arrays, Arrow-backed strings
    *(("pandas", n) for n in ("DataFrame", "Series", "Index", "RangeIndex", "MultiIndex", "DatetimeIndex",
                              "CategoricalIndex", "Categorical", "CategoricalDtype", "StringDtype",
                              "Timestamp")),
    ("pandas.core.dtypes.dtypes", "CategoricalDtype"), ("pandas.core.arrays.string_", "StringDtype"),
    ("pandas.arrays", "ArrowStringArray"), ("pandas.arrays", "DatetimeArray"),
    ("pandas.arrays", "StringArray"), ("pandas.arrays", "BooleanArray"),
    ("pandas.arrays", "IntegerArray"), ("pandas.arrays", "FloatingArray"),
    ("pandas._libs.arrays", "__pyx_unpickle_NDArrayBacked"),
    ("pyarrow.lib", "_restore_array"), ("pyarrow.lib", "py_buffer"), ("pyarrow.lib", "type_for_alias"),
}
_MODULE_ALIASES = {"__builtin__": "builtins", "copy_reg": "copyreg",
                   "numpy.core.multiarray": "numpy._core.multiarray",
                   "numpy.core.numeric": "numpy._core.numeric"}


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle asks for a global outside the allow-list."""


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, fh, source: str):
        super().__init__(fh)
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        mod = _MODULE_ALIASES.get(module, module)
        if (mod, name) not in _SAFE_GLOBALS:
            raise UnsafePickleError(f"{self._source}: refused to load global {module}.{name} "
                                    "(only NumPy/pandas reconstruction is allowed)")
        if mod.startswith("numpy._core") and not _has_module(mod):
            mod = mod.replace("numpy._core", "numpy.core")  # numpy < 2
        return super().find_class(mod, name)

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f"{self._source}: persistent ids are not supported")


def _has_module(name: str) -> bool:
    import importlib.util
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def safe_load_pickle(source: str | Path | bytes) -> Any:
    """Unpickle pandas/NumPy data (a path or the bytes) without running arbitrary code.

    Raises :class:`UnsafePickleError` naming the file and the refused global.
    """
    if isinstance(source, (bytes, bytearray)):
        name, data = "<bytes>", bytes(source)
    else:
        name, data = str(source), Path(source).read_bytes()
    try:
        return _RestrictedUnpickler(io.BytesIO(data), name).load()
    except UnsafePickleError:
        raise
    except Exception as e:
        raise ValueError(f"{name}: not a readable pickle ({type(e).__name__}: {e})") from e


# ------------------------------------------------------------------ AstroObjects
def read_astro_object(path: str | Path) -> dict[str, pd.DataFrame | None]:
    """One pickled AstroObject dict (safely loaded), checked for the keys ALeRCE writes."""
    obj = safe_load_pickle(path)
    if not isinstance(obj, dict) or "detections" not in obj:
        raise ValueError(f"{path}: not an AstroObject (expected a dict with at least 'detections')")
    return obj


def _object_id(ao: Mapping[str, Any], fallback: str) -> str:
    md = ao.get("metadata")
    if isinstance(md, pd.DataFrame) and {"name", "value"} <= set(md.columns):
        hit = md.loc[md["name"] == "oid", "value"]
        if len(hit):
            return str(hit.iloc[0])
    det = ao.get("detections")
    if isinstance(det, pd.DataFrame) and "oid" in det.columns and len(det):
        return str(det["oid"].iloc[0])
    if isinstance(det, pd.DataFrame) and det.index.name == "oid" and len(det):
        return str(det.index[0])
    return fallback


def _brightness_rows(df: pd.DataFrame | None, default_detected: bool, where: str) -> pd.DataFrame:
    """AstroObject detections / forced photometry -> light-curve rows (diff_flux rows only)."""
    if df is None or len(df) == 0:
        return pd.DataFrame(columns=["mjd", "band", "flux", "flux_err", "flag"])
    missing = {"mjd", "fid", "brightness", "e_brightness", "unit"} - set(df.columns)
    if missing:
        raise ValueError(f"{where}: AstroObject table lacks columns {sorted(missing)}")
    df = df[df["unit"] == "diff_flux"]
    detected = (df["detected"].to_numpy(bool) if "detected" in df.columns
                else np.full(len(df), default_detected))
    return pd.DataFrame({"mjd": df["mjd"].to_numpy(np.float64), "band": fid_to_band(df["fid"].to_numpy()),
                         "flux": df["brightness"].to_numpy(np.float64),
                         "flux_err": df["e_brightness"].to_numpy(np.float64),
                         "flag": np.where(detected, PHOTFLAG_DETECTION, 0)})


def astro_object_curve(ao: Mapping[str, Any], where: str = "AstroObject") -> pd.DataFrame:
    """The light-curve rows of one AstroObject dict (detections, forced photometry, upper limits)."""
    frames = [_brightness_rows(ao.get("detections"), True, f"{where} detections")]
    forced = _brightness_rows(ao.get("forced_photometry"), False, f"{where} forced_photometry")
    forced["flag"] = 0  # forced photometry is never an alert detection
    frames.append(forced)
    nd = ao.get("non_detections")
    if isinstance(nd, pd.DataFrame) and len(nd):
        mjd = nd["mjd"] if "mjd" in nd.columns else nd["jd"] - JD_TO_MJD
        frames.append(non_detection_frame(mjd, nd["fid"].to_numpy(), nd["diffmaglim"]))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else _empty_curve()


def _empty_curve() -> pd.DataFrame:
    return pd.DataFrame({"mjd": np.zeros(0), "band": np.zeros(0, np.uint8), "flux": np.zeros(0),
                         "flux_err": np.zeros(0), "flag": np.zeros(0, np.int32)})


def _metadata_static(ao: Mapping[str, Any]) -> dict[str, Any]:
    md = ao.get("metadata")
    out: dict[str, Any] = {}
    if isinstance(md, pd.DataFrame) and {"name", "value"} <= set(md.columns):
        for n, v in zip(md["name"], md["value"], strict=True):
            if n in ("aid", "oid"):
                continue
            try:
                out[str(n)] = float(v)
            except (TypeError, ValueError):
                out[str(n)] = np.nan
    return out


def astro_objects_to_batch(objects: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]]):
    """AstroObject dicts -> LightCurveBatch (ids = ``oid``; numeric metadata in ``static``)."""
    items = objects.items() if isinstance(objects, Mapping) else (
        (None, ao) for ao in objects)
    curves, rows = {}, []
    for i, (key, ao) in enumerate(items):
        oid = _object_id(ao, key if key is not None else f"object_{i}")
        curves[oid] = astro_object_curve(ao, oid)
        rows.append({"object_id": oid, **_metadata_static(ao)})
    return assemble(curves, pd.DataFrame(rows))


def read_astro_objects(paths: Iterable[str | Path]):
    """Pickled AstroObject files -> one LightCurveBatch."""
    objs = {}
    for p in map(Path, paths):
        ao = read_astro_object(p)
        objs[_object_id(ao, p.stem)] = ao
    return astro_objects_to_batch(objs)


# ------------------------------------------------------------------ AstroObjects as parquet partitions
def write_astro_objects_parquet(objects: Sequence[Mapping[str, Any]], directory: str | Path) -> Path:
    """AstroObject dicts -> ``directory/<key>.parquet`` (one partition per key, ``oid`` column).

    The layout :func:`read_astro_objects_parquet` reads; only DataFrame values are written.
    """
    from ..atomic import atomic_path
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for key in ASTRO_OBJECT_KEYS:
        parts = []
        for ao in objects:
            df = ao.get(key)
            if isinstance(df, pd.DataFrame) and len(df.columns):
                df = df.reset_index(drop=df.index.name != "oid")
                df["oid"] = _object_id(ao, "")
                parts.append(df.astype({c: str for c in df.columns if df[c].dtype == object}))
        if parts:
            with atomic_path(directory / f"{key}.parquet") as tmp:
                pd.concat(parts, ignore_index=True).to_parquet(tmp, index=False)
    return directory


def read_astro_objects_parquet(directory: str | Path):
    """AstroObjects stored as parquet partitions (``detections.parquet``, ``forced_photometry.parquet``,
    ``non_detections.parquet``, ``metadata.parquet``, each with an ``oid`` column; a partition may
    also be a folder of parquet files) -> LightCurveBatch."""
    directory = Path(directory)
    tables = {}
    for key in ASTRO_OBJECT_KEYS:
        for cand in (directory / f"{key}.parquet", directory / key):
            if cand.exists():
                df = pd.read_parquet(cand)
                if "oid" not in df.columns:
                    raise ValueError(f"{cand}: partition has no 'oid' column")
                tables[key] = df
                break
    if "detections" not in tables:
        raise ValueError(f"{directory}: no detections partition (detections.parquet)")
    oids = list(dict.fromkeys(tables["detections"]["oid"].astype(str)))
    grouped = {k: dict(tuple(df.groupby(df["oid"].astype(str), sort=False))) for k, df in tables.items()}
    objects = {oid: {k: g.get(oid) for k, g in grouped.items()} for oid in oids}
    return astro_objects_to_batch(objects)


# ------------------------------------------------------------------ pipeline CSVs
def _pipeline_detections(df: pd.DataFrame, where: str, flag: int) -> pd.DataFrame:
    """Either pipeline layout: ``magpsf/sigmapsf`` (older) or ``mag/e_mag`` (newer)."""
    if {"magpsf", "sigmapsf"} <= set(df.columns):
        mag, err = df["magpsf"], df["sigmapsf"]
    elif {"mag", "e_mag"} <= set(df.columns):
        mag, err = df["mag"], df["e_mag"]
    else:
        raise ValueError(f"{where}: no magpsf/sigmapsf or mag/e_mag columns")
    mjd = df["mjd"] if "mjd" in df.columns else df["jd"] - JD_TO_MJD
    return detection_frame(mjd, df["fid"].to_numpy(), mag, err, df["isdiffpos"].to_numpy(), flag=flag)


def read_pipeline_object(directory: str | Path) -> tuple[str, pd.DataFrame]:
    """One pipeline example folder (``detections.csv`` [+ ``non_detections.csv``,
    ``forced_photometry.csv``]) -> (object id, light-curve rows)."""
    directory = Path(directory)
    det_path = directory / "detections.csv"
    if not det_path.exists():
        raise ValueError(f"{directory}: no detections.csv")
    det = pd.read_csv(det_path)
    frames = [_pipeline_detections(det, str(det_path), PHOTFLAG_DETECTION)]
    nd_path = directory / "non_detections.csv"
    if nd_path.exists():
        nd = pd.read_csv(nd_path)
        if len(nd):
            mjd = nd["mjd"] if "mjd" in nd.columns else nd["jd"] - JD_TO_MJD
            frames.append(non_detection_frame(mjd, nd["fid"].to_numpy(), nd["diffmaglim"]))
    fp_path = directory / "forced_photometry.csv"
    if fp_path.exists():
        frames.append(_forced_rows(pd.read_csv(fp_path), det, str(fp_path)))
    oid = str(det["oid"].iloc[0]) if "oid" in det.columns and len(det) else directory.name.split("_")[0]
    return oid, pd.concat([f for f in frames if len(f)], ignore_index=True)


def _forced_rows(fp: pd.DataFrame, det: pd.DataFrame, where: str) -> pd.DataFrame:
    ok = (fp["mag"] != MAG_SENTINEL) & (fp["e_mag"] != MAG_SENTINEL)
    det_keys = set(zip(np.round(det["mjd"].to_numpy(np.float64), 5), det["fid"].astype(int), strict=True))
    dup = np.array([(round(m, 5), int(f)) in det_keys for m, f in zip(fp["mjd"], fp["fid"], strict=True)], dtype=bool)
    keep = ok.to_numpy() & ~dup
    log.debug("%s: %d forced rows, %d sentinel, %d at detection epochs", where, len(fp),
              int((~ok).sum()), int((ok.to_numpy() & dup).sum()))
    return _pipeline_detections(fp[keep], where, flag=0)


def read_pipeline_examples(directories: Iterable[str | Path]):
    """Pipeline per-object example folders -> one LightCurveBatch."""
    curves = dict(read_pipeline_object(d) for d in directories)
    return assemble(curves)


def read_detection_tables(detections: str | Path, non_detections: str | Path | None = None,
                          labels: str | Path | None = None, class_names: Sequence[str] | None = None):
    """ALeRCE multi-object tables (``objectId``, ``fid``, ``magpsf``/``sigmapsf``, ``isdiffpos``,
    ``mjd`` or ``jd``; CSV or parquet) and optional ``objectId,classALeRCE`` labels -> batch.

    ``labels`` become integer indices into ``class_names`` (default: sorted label names), and
    ``static`` gets a ``class_name`` column.
    """
    det = _read_table(detections)
    key = "objectId" if "objectId" in det.columns else "oid"
    nd = _read_table(non_detections) if non_detections is not None else None
    nd_groups = dict(tuple(nd.groupby(nd[key], sort=False))) if nd is not None else {}
    curves = {}
    for oid, g in det.groupby(det[key], sort=False):
        frames = [_pipeline_detections(g, f"{detections} ({oid})", PHOTFLAG_DETECTION)]
        n = nd_groups.get(oid)
        if n is not None and len(n):
            mjd = n["mjd"] if "mjd" in n.columns else n["jd"] - JD_TO_MJD
            frames.append(non_detection_frame(mjd, n["fid"].to_numpy(), n["diffmaglim"]))
        curves[str(oid)] = pd.concat(frames, ignore_index=True)
    static = pd.DataFrame({"object_id": list(curves)})
    lab = None
    if labels is not None:
        lt = _read_table(labels)
        name_of = dict(zip(lt.iloc[:, 0].astype(str), lt["classALeRCE"].astype(str), strict=True))
        missing = [o for o in curves if o not in name_of]
        if missing:
            raise ValueError(f"{labels}: no label for objects {missing[:5]}")
        static["class_name"] = [name_of[o] for o in curves]
        names = list(class_names) if class_names is not None else sorted(set(static["class_name"]))
        index = {n: i for i, n in enumerate(names)}
        lab = np.array([index[n] for n in static["class_name"]], dtype=np.int64)
    return assemble(curves, static, lab)


def _read_table(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path).reset_index()
    return pd.read_csv(path)


__all__ = ["safe_load_pickle", "UnsafePickleError", "read_astro_object", "read_astro_objects",
           "astro_objects_to_batch", "astro_object_curve", "read_astro_objects_parquet",
           "write_astro_objects_parquet", "read_pipeline_object", "read_pipeline_examples",
           "read_detection_tables", "isdiffpos_sign"]
