"""Draw objects of one class, observe them, keep those the survey would trigger on, write them out."""
from __future__ import annotations

import functools
import logging
import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from .._version import __version__
from ..atomic import atomic_path
from ..errors import OutputExistsError
from ..units import BANDS
from . import cadence, hosts, lightcurves, writer
from .classes import CLASSES, ClassSpec, get_class, sample_params
from .families import Span, get_family
from .models import SimModels
from .ragged import top_k_per_object

log = logging.getLogger(__name__)

PEAKMJD_RANGE = (60225.0, 61455.0)  # GENRANGE_PEAKMJD of the ELAsTiCC2 training set
LSST_SPAN = Span(cadence.SURVEY_START, cadence.SURVEY_END, PEAKMJD_RANGE)
MIN_GOOD_GRIZY = 10                  # SNANA cut CUTWIN_NOBS_NOSATURATE 10 in grizY
_CHUNK = 4000                        # candidates drawn at once (bounds memory)


@dataclass
class ClassBatch:
    """Objects of one class that passed the trigger: HEAD values and flat photometry."""

    head: dict[str, np.ndarray]
    phot: dict[str, np.ndarray]
    offsets: np.ndarray
    dump: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.offsets) - 1


def _take(batch_arrays: dict, offsets: np.ndarray, keep: np.ndarray):
    """Select objects ``keep`` (indices) from flat per-observation arrays."""
    counts = np.diff(offsets)[keep]
    new_off = np.concatenate([[0], np.cumsum(counts)])
    flat = np.arange(new_off[-1]) - np.repeat(new_off[:-1], counts) + np.repeat(offsets[:-1][keep], counts)
    return {k: v[flat] for k, v in batch_arrays.items()}, new_off


def _draw(spec: ClassSpec, rng: np.random.Generator, lib: cadence.SurveyLibrary, n: int, trigger_rule: str,
          models: SimModels = SimModels()):
    """Simulate ``n`` candidates of ``spec``; returns (head values, flat phot, offsets, selected mask,
    dump values, parameters)."""
    family = get_family(spec.family)
    ra, dec, in_ddf = hosts.draw_positions(rng, n, spec.galactic, bulge=family.bulge,
                                              latitude_scale=family.latitude_scale)
    ebv_true, ebv = hosts.milky_way_ebv(rng, ra, dec, hosts.LSST_EBV)
    p = sample_params(spec, rng, n, models.sn_ibc, models.kn)
    p["mwebv"] = ebv_true
    head: dict[str, np.ndarray] = {}
    if not spec.galactic:
        p["z"] = hosts.draw_redshift(rng, n, spec.z_range)
        p["mu"] = lightcurves.distance_modulus(p["z"])
        head.update(hosts.host_columns(rng, p["z"], ra, dec, spec.gentype, models.hosts, models.specz))
    family.schedule(spec, p, rng, n, LSST_SPAN)
    libid = cadence.assign_libid(rng, lib, ra, in_ddf)
    obs = cadence.observe(lib, libid, *family.window(spec, p, n, LSST_SPAN))
    host_sb = head.pop("_host_sb", None)
    light = family.light(p, obs, rng, LSST_SPAN)
    phot = cadence.measure(rng, lib, obs, light.diff, light.source, host_sb, trigger_rule, models.detection)
    selected = (phot.trigger_idx >= 0) & (phot.n_good_grizy >= MIN_GOOD_GRIZY)
    sim_peak = family.sim_peak(p, obs, light, LSST_SPAN)
    head.update(_common_head(spec, rng, ra, dec, ebv, ebv_true, libid, obs, phot, sim_peak))
    for k, b in enumerate(BANDS):
        head[f"SIM_PEAKMAG_{b}"] = light.peak_mags[:, k]
        if light.template_mags is not None:
            head[f"SIM_TEMPLATEMAG_{b}"] = light.template_mags[:, k]
    if spec.galactic:
        head.update(_galactic_head(rng, spec, n))
    else:
        head.update(_extragalactic_head(p, light, host_sb))
    flat = {
        "MJD": obs.mjd, "BAND": np.array(list(BANDS))[obs.band], "PHOTFLAG": phot.photflag,
        "FLUXCAL": phot.fluxcal, "FLUXCALERR": phot.fluxcalerr, "PSF_SIG1": phot.psf_sig,
        "SKY_SIG": phot.sky_sig, "ZEROPT": phot.zeropt, "SIM_MAGOBS": lightcurves.fluxcal_to_mag(light.source),
    }
    dump = {"LIBID": libid, "SIM_SEARCHEFF_MASK": head["SIM_SEARCHEFF_MASK"],
            "NON1A_INDEX": head["SIM_TEMPLATE_INDEX"], "RA": ra, "DEC": dec, "MWEBV": ebv_true,
            "PEAKMJD": sim_peak, "MJD_DETECT_FIRST": head["MJD_DETECT_FIRST"],
            "MJD_DETECT_LAST": head["MJD_DETECT_LAST"], "NOBS": head["NOBS"], "NOBS_SATURATE": phot.n_saturated}
    return head, flat, obs.offsets, selected, dump, p


def _common_head(spec: ClassSpec, rng, ra, dec, ebv, ebv_true, libid, obs, phot, sim_peak) -> dict:
    """HEAD values every class has: position, extinction, epochs of trigger and detections, model."""
    n, mjd = len(ra), obs.mjd

    def epoch(idx):  # MJD of a per-object index, -9 (SNANA's missing value) where there is none
        if mjd.size == 0:
            return np.full(idx.size, -9.0)
        return np.where(idx >= 0, mjd[np.clip(idx, 0, mjd.size - 1)], -9.0)
    return {
        "RA": ra, "DEC": dec, "MWEBV": ebv, "MWEBV_ERR": 0.05 * ebv, "SIM_MWEBV": ebv_true,
        "SIM_RA": ra + rng.normal(0.0, 1e-4, n), "SIM_DEC": dec + rng.normal(0.0, 1e-4, n),
        "NOBS": np.diff(obs.offsets), "PEAKMJD": sim_peak + rng.normal(0.0, 1.0, n), "SIM_PEAKMJD": sim_peak,
        "MJD_TRIGGER": epoch(phot.trigger_idx), "MJD_DETECT_FIRST": epoch(phot.first_det_idx),
        "MJD_DETECT_LAST": epoch(phot.last_det_idx), "SIM_LIBID": libid,
        "SIM_MODEL_NAME": np.full(n, f"ELASTICC_FAST.{spec.family.upper()}"),
        "SIM_MODEL_INDEX": np.full(n, spec.sim_model_index), "SIM_TYPE_INDEX": np.full(n, spec.gentype),
        "SIM_TYPE_NAME": np.full(n, spec.sim_type_name), "SIM_TEMPLATE_INDEX": rng.integers(1, 1000, n),
    }


def _galactic_head(rng, spec: ClassSpec, n: int) -> dict:
    """85 % spectroscopically confirmed (SNTYPE = GENTYPE), redshifts zero."""
    confirmed = rng.random(n) < 0.85
    return {"SNTYPE": np.where(confirmed, spec.gentype, spec.gentype + 100),
            "SIM_SEARCHEFF_MASK": np.where(confirmed, 3, 5), "SIM_REDSHIFT_FLAG": np.where(confirmed, 1, 2),
            "SIM_REDSHIFT_HELIO": np.zeros(n), "SIM_REDSHIFT_CMB": np.zeros(n),
            "SIM_REDSHIFT_HOST": np.zeros(n), "SIM_VPEC": np.zeros(n)}


def _extragalactic_head(p: dict, light, host_sb: np.ndarray) -> dict:
    """Distance modulus, host extinction, explosion time and the host's share of the peak flux."""
    n = len(p["z"])
    out = {"SIM_DLMU": p["mu"], "SIM_AV": p["AV"], "SIM_RV": np.full(n, 3.1)}
    if "t_expl" in p:
        out["SIM_MJD_EXPLODE"] = p["t_expl"]
    peak_flux = lightcurves.mag_to_fluxcal(light.peak_mags)
    psf_area = 4 * np.pi * (cadence.PSF_SIG * 0.2) ** 2
    for k, b in enumerate(BANDS):
        out[f"SIM_GALFRAC_{b}"] = host_sb[:, k] * psf_area[k] / np.maximum(peak_flux[:, k], 1e-3)
    return out


def simulate_class(spec: ClassSpec, n_objects: int, rng: np.random.Generator, lib: cadence.SurveyLibrary,
                   trigger_rule: str = "pair", max_stalled: int = 10, models: SimModels = SimModels()) -> ClassBatch:
    """Draw candidates until ``n_objects`` pass the trigger and the grizY cut (like SNANA's selection).

    Raises RuntimeError when ``max_stalled`` rounds in a row keep no object at all.
    """
    heads, phots, offs, dumps = [], [], [], []
    need, efficiency, stalled = n_objects, 0.5, 0
    while need > 0:
        m = min(_CHUNK, max(16, math.ceil(need / efficiency * 1.2)))
        head, flat, offsets, selected, dump, _ = _draw(spec, rng, lib, m, trigger_rule, models)
        efficiency = max(selected.mean(), 0.02)
        keep = np.flatnonzero(selected)[:need]
        stalled = 0 if keep.size else stalled + 1
        if stalled >= max_stalled:
            raise RuntimeError(f"class {spec.leaf}: no candidate passed the trigger in {max_stalled} rounds "
                               f"of {m} ({n_objects - need} of {n_objects} objects made)")
        need -= keep.size
        heads.append({k: np.asarray(v)[keep] for k, v in head.items()})
        dumps.append({k: np.asarray(v)[keep] for k, v in dump.items()})
        taken, new_off = _take(flat, offsets, keep)
        phots.append(taken)
        offs.append(new_off)
    head = {k: np.concatenate([h[k] for h in heads]) for k in heads[0]}
    dump = {k: np.concatenate([d[k] for d in dumps]) for k in dumps[0]}
    phot = {k: np.concatenate([f[k] for f in phots]) for k in phots[0]}
    counts = np.concatenate([np.diff(o) for o in offs])
    return ClassBatch(head, phot, np.concatenate([[0], np.cumsum(counts)]), dump)


def _default_files(n: int) -> int:
    """About 2,000 objects per file pair, at most 40 pairs (the layout of the real training set)."""
    return max(1, min(40, math.ceil(n / 2000)))


@functools.lru_cache(maxsize=2)
def _library(seed: int, band_model: str = "random") -> cadence.SurveyLibrary:
    """The survey library of a seed (the same in every worker process); ``band_model``: ``SimModels.cadence``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1 + len(CLASSES))[0])
    return cadence.build_library(rng, band_model=band_model)


def _class_rng(seed: int, k: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1 + len(CLASSES))[1 + k])


def _snids(seed: int, k: int, n: int) -> np.ndarray:
    """Unique random SNIDs: class ``k`` gets its own slice of one draw without replacement."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    return rng.choice(10 ** 8, size=len(CLASSES) * n, replace=False)[k * n:(k + 1) * n] + 1


def _class_job(out: Path, prefix: str, k: int, n: int, seed: int, trigger_rule: str,
               files_per_model: int | None, compresslevel: int, models: SimModels = SimModels()) -> dict:
    """Simulate and write class ``k``; returns its summary entry (runs in a worker process too)."""
    spec = CLASSES[k]
    batch = simulate_class(spec, n, _class_rng(seed, k), _library(seed, models.cadence), trigger_rule, models=models)
    n_files = files_per_model or _default_files(batch.n)
    _write_model(out, prefix, spec, batch, _snids(seed, k, n), n_files, compresslevel)
    return {"class": spec.leaf, "gentype": spec.gentype, "n_objects": batch.n, "n_obs": int(batch.offsets[-1]),
            "n_det": int((batch.phot["PHOTFLAG"] & 4096 > 0).sum()), "files": n_files}


def _check_request(objects_per_class: int, trigger_rule: str) -> None:
    if objects_per_class < 1:
        raise ValueError(f"objects_per_class must be >= 1, not {objects_per_class}")
    if trigger_rule not in ("pair", "first"):
        raise ValueError(f"trigger_rule must be 'pair' or 'first', not {trigger_rule!r}")


def simulate(out_dir: str | Path, objects_per_class: int = 200, seed: int = 0,
             classes: Iterable[str] | None = None, files_per_model: int | None = None,
             prefix: str = "ELASTICC2_TRAIN_02", trigger_rule: str = "pair", compresslevel: int = 1,
             workers: int = 1, show_progress: bool | None = None, detection: str = SimModels.detection,
             sn_ibc: str = SimModels.sn_ibc, kn: str = SimModels.kn, hosts: str = SimModels.hosts,
             specz: str = SimModels.specz, cadence: str = SimModels.cadence) -> dict:
    """Simulate an ELAsTiCC2-format training set: one folder of SNANA FITS per class model.

    Parameters
    ----------
    out_dir: folder that receives ``<prefix>_<MODEL>/`` folders.
    objects_per_class: objects written per class (all pass the trigger and the grizY cut).
    seed: seeds everything; the same seed and arguments give byte-identical files (whatever ``workers``).
    classes: ORACLE leaf names or model names (default: all 19, see ``CLASS_NAMES``).
    files_per_model: HEAD/PHOT pairs per model (default about 2,000 objects per pair, at most 40).
    trigger_rule: "pair" (PHOTFLAG 2048 on the second detection >= 30 min after the first) or
        "first" (on the first detection, as in the real ELAsTiCC2 training files).
    compresslevel: gzip level of the ``.FITS.gz`` files (1 is fast; 6 is gzip's default).
    workers: processes, each simulating and writing whole classes (1: in this process).
    detection, sn_ibc, kn, hosts, specz, cadence: the simulator's models, the fields of one
        :class:`~.models.SimModels` (its docstring says what each value does).

    Returns a summary dict: ``{"out_dir", "seed", "classes": {model: {...}}, "n_objects", "n_obs", "seconds"}``.
    """
    from ..progress import progress

    t_start = time.perf_counter()
    specs = [get_class(c) for c in classes] if classes is not None else list(CLASSES)
    _check_request(objects_per_class, trigger_rule)
    models = SimModels(detection, sn_ibc, kn, hosts, specz, cadence)
    out = Path(out_dir)
    _check_replaceable(out, [f"{prefix}_{s.model}" for s in specs])
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(out, prefix, CLASSES.index(s), objects_per_class, seed, trigger_rule, files_per_model, compresslevel,
             models) for s in dict.fromkeys(specs)]
    summary: dict = {"out_dir": str(out), "seed": seed, "classes": {}, "n_objects": 0, "n_obs": 0}
    bar = progress(total=len(jobs), desc="simulate", unit="class", enabled=show_progress)
    if workers > 1 and len(jobs) > 1:
        ctx = multiprocessing.get_context("spawn")  # safe with threads (JAX) in the parent
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
            futures = {pool.submit(_class_job, *job): CLASSES[job[2]] for job in jobs}
            results = {}
            for fut in as_completed(futures):
                results[futures[fut].model] = fut.result()
                bar.update(1)
        entries = [(CLASSES[j[2]].model, results[CLASSES[j[2]].model]) for j in jobs]
    else:
        entries = []
        for job in jobs:
            entries.append((CLASSES[job[2]].model, _class_job(*job)))
            bar.update(1)
    bar.close()
    for model, entry in entries:
        summary["classes"][model] = entry
        summary["n_objects"] += entry["n_objects"]
        summary["n_obs"] += entry["n_obs"]
    summary["seconds"] = time.perf_counter() - t_start
    log.info("simulated %d objects (%d observations) of %d classes in %.1f s into %s", summary["n_objects"],
             summary["n_obs"], len(jobs), summary["seconds"], out)
    return summary


def _check_replaceable(out: Path, folders: list[str]) -> None:
    """Refuse (before any work) to replace a model folder that an earlier simulation did not write
    (its .README names ``elasticc_fast.sim`` as CREATOR): it may be the user's real data."""
    for name in folders:
        folder = out / name
        if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
            continue
        readme = folder / f"{name}.README"
        if not (readme.is_file() and "CREATOR: elasticc_fast.sim" in readme.read_text(errors="replace")):
            raise OutputExistsError(f"{folder}: exists and was not written by elasticc-fast simulate; "
                                    "give another OUT_DIR or --prefix (nothing was changed)")


def _write_model(out: Path, prefix: str, spec: ClassSpec, batch: ClassBatch, snids: np.ndarray, n_files: int,
                 compresslevel: int) -> None:
    """Write the model folder under a temporary name and rename it into place (replacing an old one,
    so no stale file pair of an earlier run survives)."""
    folder_name = f"{prefix}_{spec.model}"
    with atomic_path(out / folder_name) as tmp:
        tmp.mkdir()
        _write_model_into(tmp, folder_name, prefix, spec, batch, snids, n_files, compresslevel)


def _write_model_into(folder: Path, folder_name: str, prefix: str, spec: ClassSpec, batch: ClassBatch,
                      snids: np.ndarray, n_files: int, compresslevel: int) -> None:
    head = dict(batch.head)
    head["SNID"] = snids.astype(str)
    bounds = np.linspace(0, batch.n, n_files + 1).astype(int)
    stems = []
    for f in range(n_files):
        lo, hi = bounds[f], bounds[f + 1]
        offsets = batch.offsets[lo:hi + 1]
        stem = f"{prefix}_NONIaMODEL0-{f + 1:04d}"
        ptr_min, ptr_max = writer.pointers(offsets - offsets[0])
        values = {k: v[lo:hi] for k, v in head.items()}
        values["PTROBS_MIN"], values["PTROBS_MAX"] = ptr_min, ptr_max
        table = writer.head_table(values, hi - lo, spec.galactic, spec.hostlib)
        phot = writer.phot_table(batch.phot, offsets)
        writer.write_pair(folder, stem, table, phot, spec.galactic, f"{folder_name}_NONIaMODEL0-{f + 1:04d}",
                          compresslevel)
        stems.append(f"{stem}_HEAD.FITS")
    writer.write_text(folder / f"{folder_name}.LIST", "\n".join(stems) + "\n")
    writer.write_text(folder / f"{folder_name}.README", _readme(spec, folder_name, batch.n))
    d = batch.dump
    dump = {"CID": snids, "GENTYPE": np.full(batch.n, spec.gentype), **d}
    z = head.get("SIM_REDSHIFT_HELIO", np.zeros(batch.n))
    galactic_fill = np.full(batch.n, -9.0)
    dump.update({
        "ZCMB": head.get("SIM_REDSHIFT_CMB", np.zeros(batch.n)), "ZHELIO": z,
        "ZCMB_SMEAR": head.get("REDSHIFT_FINAL", galactic_fill),
        "GALID": head.get("HOSTGAL_OBJID", galactic_fill).astype(np.int64),
        "GALZPHOT": head.get("HOSTGAL_PHOTOZ", galactic_fill),
        "GALZPHOTERR": head.get("HOSTGAL_PHOTOZ_ERR", galactic_fill),
        "GALSNSEP": head.get("HOSTGAL_SNSEP", np.zeros(batch.n)),
        "GALSNDDLR": head.get("HOSTGAL_DDLR", np.zeros(batch.n)),
        "RV": head.get("SIM_RV", galactic_fill), "AV": head.get("SIM_AV", galactic_fill),
        "MU": head.get("SIM_DLMU", np.zeros(batch.n)), "LENSDMU": np.zeros(batch.n),
        "DTSEASON_PEAK": np.zeros(batch.n),
    })
    snrmax = top_k_per_object(batch.phot["FLUXCAL"] / batch.phot["FLUXCALERR"], batch.offsets, 3)
    dump["SNRMAX"], dump["SNRMAX2"], dump["SNRMAX3"] = snrmax.T
    for b in BANDS:
        dump[f"PEAKMAG_{b}"] = head[f"SIM_PEAKMAG_{b}"]
    writer.write_dump(folder / f"{folder_name}.DUMP", dump, spec.model)


def _readme(spec: ClassSpec, folder_name: str, n: int) -> str:
    return (f"DOCUMENTATION:\n  GENVERSION: {folder_name}\n  CREATOR: elasticc_fast.sim {__version__}\n"
            f"  STAT_SUMMARY:\n  - TOTAL  NLC_WRITE {n}\n  INPUT_KEYS_NONIaMODEL0:\n"
            f"    GENTYPE:      {spec.gentype}  # true type ({spec.leaf}, class id {spec.class_id})\n"
            f"    GENMODEL:     elasticc_fast.sim.{spec.family}\n    GENFILTERS:   ugrizY\n"
            f"    GENRANGE_MJD: {cadence.SURVEY_START:.1f} {cadence.SURVEY_END:.1f}\n"
            f"    NEWMJD_DIF:   {cadence.TRIGGER_GAP_DAYS}  # day-sep if > 1 detections required\n"
            "DOCUMENTATION_END:\n")
