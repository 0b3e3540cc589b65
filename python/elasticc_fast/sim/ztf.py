"""A ZTF survey in the simulator: the BTS types and beyond, observed as :mod:`.ztf_survey` describes,
written in the form :func:`elasticc_fast.io.bts.read_bts` gives (one row per object, flux in
microjansky, BTS-tree labels).

    >>> from elasticc_fast.sim.ztf import simulate_ztf
    >>> batch = simulate_ztf(objects_per_class=200, seed=1)        # a LightCurveBatch

Classes (BTS ``type`` strings; :func:`elasticc_fast.taxonomy.ztf.bts_leaf` maps them to the tree;
TDE has no leaf there and gets label -1, as ``read_bts(..., keep_unclassified=True)`` gives it):
SN Ia, Ia-91T, Ia-91bg; SN II, IIP, IIn, IIb; SN Ib, Ic, Ic-BL; SLSN-I, SLSN-II; TDE; CV (dwarf-nova
outbursts of a Galactic star); nova (classical novae in M31 and M33, as the BTS novae are, with the
table's redshift of their host). Parameter distributions: :mod:`.params` (rise and fade calibrated on the BTS
table's medians). Redshifts follow the volume law of :func:`.hosts.draw_redshift` up to where the
class's bright end (mean - 3 sd absolute magnitude) reaches 19.6 mag; the BTS selection then makes
the distribution magnitude limited.
"""
from __future__ import annotations

import functools
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..units import FLUXCAL_ZEROPOINT, UJY_ZEROPOINT
from . import cadence, hosts, lightcurves
from . import ztf_survey as zs
from .families import Span, Transient, get_family
from .params import check_ztf_shapes, refit_ztf_shapes

log = logging.getLogger(__name__)

ZTF_SPAN = Span(zs.SURVEY_START, zs.SURVEY_END, zs.PEAK_RANGE, lightcurves.ZTF_PASSBANDS)
#: FLUXCAL (zero point 27.5) -> microjansky (23.9)
FLUXCAL_TO_UJY = 10.0 ** (-0.4 * (FLUXCAL_ZEROPOINT - UJY_ZEROPOINT))
PRECUT_MAG = 19.6  # candidates whose true peak is fainter cannot reach the BTS selection
_CHUNK = 6000
_SN, _LONG = (-50.0, 250.0), (-100.0, 500.0)


@dataclass(frozen=True)
class LocalHost:
    """A nearby galaxy hosting a population: where it is and the redshift the BTS table gives for it."""

    ra: float       #: centre, degrees
    dec: float
    radius: float   #: objects uniform within this radius, degrees
    mu: tuple[float, float]  #: distance modulus range
    z: float        #: the BTS table's redshift of its objects
    weight: float   #: share of the population


#: the hosts of the BTS novae (14 in M31, 3 in M33, with these table redshifts)
M31 = LocalHost(10.685, 41.269, 1.0, (24.3, 24.55), 0.00017, 0.8)
M33 = LocalHost(23.462, 30.660, 0.4, (24.5, 24.7), 0.00019, 0.2)


@dataclass(frozen=True)
class ZtfClass:
    """One simulated ZTF type: its BTS name (also the key of its parameters) and family."""

    leaf: str                                   #: BTS ``type``
    family: str
    galactic: bool = False
    trest: tuple[float, float] | None = _SN     #: observed window, rest days around peak
    local: tuple["LocalHost", ...] = ()         #: a population in these nearby galaxies (fixed distance)

    @property
    def tree_leaf(self) -> str | None:
        from ..taxonomy.ztf import bts_leaf
        return bts_leaf(self.leaf)


ZTF_CLASSES: tuple[ZtfClass, ...] = (
    ZtfClass("SN Ia", "bazin_k"), ZtfClass("SN Ia-91T", "bazin_k"), ZtfClass("SN Ia-91bg", "bazin_k"),
    ZtfClass("SN II", "plateau"), ZtfClass("SN IIP", "plateau"), ZtfClass("SN IIn", "bazin_k"),
    ZtfClass("SN IIb", "bazin_k"), ZtfClass("SN Ib", "bazin_k"), ZtfClass("SN Ic", "bazin_k"),
    ZtfClass("SN Ic-BL", "bazin_k"), ZtfClass("SLSN-I", "bazin_k", trest=_LONG),
    ZtfClass("SLSN-II", "bazin_k", trest=_LONG), ZtfClass("TDE", "tde", trest=_LONG),
    ZtfClass("CV", "dwarf_nova", galactic=True, trest=None),
    ZtfClass("nova", "bazin_k", trest=(-30.0, 150.0), local=(M31, M33)),
)
ZTF_CLASS_NAMES = tuple(c.leaf for c in ZTF_CLASSES)


def get_ztf_class(name: str) -> ZtfClass:
    """A ZTF class by its BTS type name (case-insensitive)."""
    for c in ZTF_CLASSES:
        if c.leaf.lower() == name.lower():
            return c
    raise ValueError(f"unknown ZTF class {name!r}; choose from {', '.join(ZTF_CLASS_NAMES)}")


@functools.lru_cache(maxsize=32)
def z_max(leaf: str, limit: float = PRECUT_MAG) -> float:
    """Redshift where the class's bright end (M mean - 3 sd) reaches ``limit`` mag."""
    from .params import _TRANSIENT

    m_mean, m_sd = _TRANSIENT[leaf][:2]
    grid = np.geomspace(1e-4, 2.0, 4000)
    return float(np.interp(limit - (m_mean - 3.0 * m_sd), lightcurves.distance_modulus(grid), grid))


def _local_positions(spec: ZtfClass, rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """(ra, dec, z, mu) of ``n`` objects in ``spec.local``'s galaxies (chosen by weight)."""
    w = np.array([h.weight for h in spec.local])
    h = [spec.local[i] for i in rng.choice(len(spec.local), n, p=w / w.sum())]
    col = {f: np.array([getattr(x, f) for x in h], np.float64).reshape(n, -1) for f in ("ra", "dec", "radius", "mu", "z")}
    r = col["radius"][:, 0] * np.sqrt(rng.random(n))
    ang = rng.uniform(0.0, 2.0 * np.pi, n)
    dec = col["dec"][:, 0] + r * np.sin(ang)
    ra = np.mod(col["ra"][:, 0] + r * np.cos(ang) / np.cos(np.radians(dec)), 360.0)
    return ra, dec, col["z"][:, 0], rng.uniform(col["mu"][:, 0], col["mu"][:, 1])


def _distances(spec: ZtfClass, p: dict, rng: np.random.Generator, n: int) -> None:
    if spec.local:
        p["z"], p["mu"] = p.pop("local_z"), p.pop("local_mu")
    else:
        p["z"] = hosts.draw_redshift(rng, n, (1e-3, z_max(spec.leaf)))
        p["mu"] = lightcurves.distance_modulus(p["z"])


def _draw(spec: ZtfClass, rng: np.random.Generator, lib: zs.ZtfLibrary, n: int, mode: str,
          survey: str = "round8", shapes: str = "round8") -> dict:
    """Simulate ``n`` candidates; returns the selected objects' static values and photometry rows."""
    family = get_family(spec.family)
    if spec.local:
        ra, dec, local_z, local_mu = _local_positions(spec, rng, n)
    else:
        ra, dec, _ = hosts.draw_positions(rng, n, spec.galactic, dec_range=(-30.0, 90.0), min_abs_b=7.0,
                                          ddf_fraction=0.0)
    ebv, _ = hosts.milky_way_ebv(rng, ra, dec)
    p = family.sample(spec, rng, n)
    refit_ztf_shapes(spec.leaf, p, shapes)
    if spec.local:
        p["local_z"], p["local_mu"] = local_z, local_mu
    p["mwebv"] = ebv
    if not spec.galactic:
        _distances(spec, p, rng, n)
    if isinstance(family, Transient):  # drop candidates that cannot reach the selection
        keep = np.flatnonzero(lightcurves.sed_peak_mags(p, ZTF_SPAN.passbands)[:, 1:3].min(axis=1) < PRECUT_MAG)
        p = {k: v[keep] for k, v in p.items()}
        ra, dec, ebv, n = ra[keep], dec[keep], ebv[keep], keep.size
    family.schedule(spec, p, rng, n, ZTF_SPAN)
    field = zs.assign_field(rng, lib, ra, dec)
    obs = cadence.observe(lib, field, *family.window(spec, p, n, ZTF_SPAN), survey=(zs.SURVEY_START, zs.SURVEY_END))
    light = family.light(p, obs, rng, ZTF_SPAN)
    phot = zs.measure(rng, lib, obs, light.diff * FLUXCAL_TO_UJY, light.source * FLUXCAL_TO_UJY, survey)
    selected = zs.bts_selected(rng, phot)
    if survey == "round9":
        selected &= zs.rise_covered(obs, phot)
    rows = zs.photometry_rows(obs, phot, mode)
    rows = rows[selected[obs.obj[rows]]]
    flux, err, flag = zs.rows_flags(phot, rows, mode)
    mu = p["mu"] if "mu" in p else np.full(n, np.nan)
    static = {"redshift": p["z"] if "z" in p else np.zeros(n), "peakmag": phot.peak_mag,
              "peakabs": phot.peak_mag - mu, "b": hosts.galactic_latitude(ra, dec), "A_V": 3.1 * ebv}
    kept = np.flatnonzero(selected)
    return {"static": {k: np.asarray(v)[kept] for k, v in static.items()},
            "lengths": np.bincount(np.searchsorted(kept, obs.obj[rows]), minlength=kept.size),
            "mjd": obs.mjd[rows], "band": obs.band[rows], "flux": flux, "flux_err": err, "flag": flag}


def _concat(parts: list[dict], need: int) -> dict:
    """Join chunks and keep the first ``need`` objects."""
    static = {k: np.concatenate([q["static"][k] for q in parts])[:need] for k in parts[0]["static"]}
    lengths = np.concatenate([q["lengths"] for q in parts])
    n_rows = int(lengths[:need].sum())
    out = {k: np.concatenate([q[k] for q in parts])[:n_rows] for k in ("mjd", "band", "flux", "flux_err", "flag")}
    return {"static": static, "lengths": lengths[:need], **out}


def simulate_ztf_class(spec: ZtfClass, n_objects: int, rng: np.random.Generator, lib: zs.ZtfLibrary,
                       photometry: str = "alerts", max_stalled: int = 10, survey: str = "round8",
                       shapes: str = "round8") -> dict:
    """Draw candidates until ``n_objects`` pass the BTS selection; flat arrays plus ``lengths``."""
    parts, made, efficiency, stalled = [], 0, 0.2, 0
    while made < n_objects:
        m = min(_CHUNK, max(64, int(np.ceil((n_objects - made) / efficiency * 1.2))))
        part = _draw(spec, rng, lib, m, photometry, survey, shapes)
        got = part["lengths"].size
        efficiency = max(got / m, 0.01)
        stalled = 0 if got else stalled + 1
        if stalled >= max_stalled:
            raise RuntimeError(f"ZTF class {spec.leaf}: no candidate passed the BTS selection in {max_stalled} "
                               f"rounds of {m} ({made} of {n_objects} made)")
        parts.append(part)
        made += got
    return _concat(parts, n_objects)


@functools.lru_cache(maxsize=2)
def _library(seed: int, i_share: float, survey: str = "round8") -> zs.ZtfLibrary:
    return zs.build_ztf_library(np.random.default_rng(np.random.SeedSequence([seed, 99])), i_share=i_share,
                                survey=survey)


def _class_job(k: int, n: int, seed: int, photometry: str, i_share: float, survey: str = "round8",
               shapes: str = "round8") -> dict:
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(len(ZTF_CLASSES))[k])
    return simulate_ztf_class(ZTF_CLASSES[k], n, rng, _library(seed, i_share, survey), photometry, survey=survey,
                              shapes=shapes)


def simulate_ztf(objects_per_class: int = 200, seed: int = 0, classes: Iterable[str] | None = None,
                 photometry: str = "alerts", workers: int = 1, i_share: float = 0.03, survey: str = "round8",
                 shapes: str = "round8"):
    """Simulate ZTF objects that pass the BTS selection -> ``LightCurveBatch`` (flux in microjansky).

    Parameters
    ----------
    objects_per_class: objects per ZTF class (see :data:`ZTF_CLASSES`).
    seed: the same seed and arguments give the same batch, whatever ``workers``.
    classes: BTS type names (default all).
    photometry: "alerts" (alert detections, flag 4096, and the upper limits of the 30 days before
        each, flux 0 and flag 0), "detections" (alerts only, like the ANTARES BTS files) or
        "forced" (alerts plus forced photometry at every other visit, flag 0).
    workers: processes, each simulating whole classes.
    i_share: share of i-band visits (the BTS light curves here have none).
    survey: "round8" (default) or "round9" (ZTF's cadence by era, alerts on the background noise, a
        measured rise: :mod:`.ztf_survey`).
    shapes: the types' light-curve shapes, "round8" (default) or "round11" (slower SN Ib/c, Ia and SLSN
        rises, a declining SN II plateau, a wider SN Ia luminosity spread: :func:`.params.refit_ztf_shapes`).
    """
    if objects_per_class < 1:
        raise ValueError(f"objects_per_class must be >= 1, not {objects_per_class}")
    if photometry not in zs.PHOTOMETRY:
        raise ValueError(f"photometry must be one of {zs.PHOTOMETRY}, not {photometry!r}")
    zs.check_survey(survey)
    check_ztf_shapes(shapes)  # before any worker starts
    specs = [get_ztf_class(c) for c in classes] if classes is not None else list(ZTF_CLASSES)
    ks = list(dict.fromkeys(ZTF_CLASSES.index(s) for s in specs))
    jobs = [(k, objects_per_class, seed, photometry, i_share, survey, shapes) for k in ks]
    if workers > 1 and len(jobs) > 1:
        ctx = multiprocessing.get_context("spawn")  # safe with threads (JAX) in the parent
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
            results = list(pool.map(_class_job, *zip(*jobs, strict=True)))
    else:
        results = [_class_job(*job) for job in jobs]
    return _to_batch([ZTF_CLASSES[k] for k in ks], ks, results)


def _to_batch(specs: list[ZtfClass], ks: list[int], results: list[dict]):
    """Per-class results -> one LightCurveBatch with read_bts's static columns and BTS-tree labels."""
    import pyarrow as pa

    from ..batch import LightCurveBatch
    from ..io.bts import STATIC_COLUMNS
    from ..taxonomy.ztf import BTS_TREE

    ids, types, leaves, labels = [], [], [], []
    for spec, k, r in zip(specs, ks, results, strict=True):
        n = r["lengths"].size
        ids += [f"ZTFsim{k:02d}{i:07d}" for i in range(n)]
        types += [spec.leaf] * n
        leaves += [spec.tree_leaf or ""] * n
        labels += [BTS_TREE.index(spec.tree_leaf) if spec.tree_leaf else -1] * n
    static = {"object_id": ids, "bts_type": types, "class_name": leaves}
    for c in STATIC_COLUMNS:
        static[c] = np.concatenate([r["static"].get(c, np.full(r["lengths"].size, np.nan)) for r in results])
    cat = {k: np.concatenate([r[k] for r in results]) for k in ("mjd", "band", "flux", "flux_err", "flag", "lengths")}
    return LightCurveBatch.from_arrays(mjd=cat["mjd"], band=cat["band"], flux=cat["flux"], flux_err=cat["flux_err"],
                                       flag=cat["flag"], ids=np.array(ids, dtype=object), lengths=cat["lengths"],
                                       static=pa.table(static), labels=np.array(labels, dtype=np.int64))


def write_ztf_sim(batch, out_dir: str | Path, name: str = "ztf_sim.parquet") -> Path:
    """Write ``batch`` as one Parquet file (a row per object: static columns, ``label`` and the list
    columns ``mjd band flux flux_err flag``; flux in microjansky); renamed into place when complete."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..atomic import atomic_path

    offsets = pa.array(batch.offsets.astype(np.int32))
    table = batch.static.append_column("label", pa.array(batch.labels))
    for col in ("mjd", "band", "flux", "flux_err", "flag"):
        table = table.append_column(col, pa.ListArray.from_arrays(offsets, pa.array(getattr(batch, col))))
    table = table.replace_schema_metadata({"flux_unit": "microjansky", "creator": "elasticc_fast.sim.ztf"})
    path = Path(out_dir) / name
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return path


def read_ztf_sim(path: str | Path):
    """A file of :func:`write_ztf_sim` (or a folder holding ``ztf_sim.parquet``) -> LightCurveBatch."""
    import pyarrow.parquet as pq

    from ..batch import LightCurveBatch

    path = Path(path)
    if path.is_dir():
        path = path / "ztf_sim.parquet"
    try:
        t = pq.read_table(path)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a simulated ZTF Parquet file ({e})") from e
    missing = [c for c in ("object_id", "label", "mjd", "band", "flux", "flux_err", "flag") if c not in t.column_names]
    if missing:
        raise ValueError(f"{path}: not a simulated ZTF file (no column(s) {missing})")
    lists = {c: t.column(c).combine_chunks() for c in ("mjd", "band", "flux", "flux_err", "flag")}
    cols = {c: a.values.to_numpy(zero_copy_only=False) for c, a in lists.items()}
    static = t.drop(["label", *lists])
    return LightCurveBatch.from_arrays(**cols, ids=t.column("object_id").to_numpy(zero_copy_only=False),
                                       offsets=lists["mjd"].offsets.to_numpy(), static=static,
                                       labels=t.column("label").to_numpy())


def simulate_ztf_to(out_dir: str | Path, objects_per_class: int = 200, seed: int = 0, **kwargs) -> dict:
    """:func:`simulate_ztf` and :func:`write_ztf_sim` into ``out_dir``; returns a summary dict
    (``out_dir``, ``path``, ``n_objects``, ``n_obs``, ``n_alerts``, ``classes``, ``seconds``)."""
    import time

    t0 = time.perf_counter()
    batch = simulate_ztf(objects_per_class, seed, **kwargs)
    path = write_ztf_sim(batch, out_dir)
    types = batch.static.column("bts_type").to_pylist()
    return {"out_dir": str(out_dir), "path": str(path), "n_objects": len(batch), "n_obs": batch.n_obs,
            "n_alerts": int((batch.flag == 4096).sum()), "classes": {t: types.count(t) for t in dict.fromkeys(types)},
            "seconds": round(time.perf_counter() - t0, 2)}


__all__ = ["ZTF_CLASSES", "ZTF_CLASS_NAMES", "ZtfClass", "get_ztf_class", "simulate_ztf", "simulate_ztf_to",
           "write_ztf_sim", "read_ztf_sim"]
