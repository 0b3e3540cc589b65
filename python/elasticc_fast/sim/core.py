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
from ..units import BANDS
from . import cadence, hosts, lightcurves, writer
from .classes import CLASSES, ClassSpec, get_class, sample_params

log = logging.getLogger(__name__)

PEAKMJD_RANGE = (60225.0, 61455.0)  # GENRANGE_PEAKMJD of the ELAsTiCC2 training set
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


def _window(spec: ClassSpec, p: dict, n: int):
    if spec.trest is None:
        return np.full(n, cadence.SURVEY_START), np.full(n, cadence.SURVEY_END)
    z1 = 1.0 + p["z"]
    return p["t_peak"] + spec.trest[0] * z1, p["t_peak"] + spec.trest[1] * z1


def _draw(spec: ClassSpec, rng: np.random.Generator, lib: cadence.SurveyLibrary, n: int, trigger_rule: str):
    """Simulate ``n`` candidates of ``spec``; returns (head values, flat phot, offsets, selected mask)."""
    ra, dec, in_ddf = hosts.draw_positions(rng, n, spec.galactic, bulge=spec.family == "paczynski")
    ebv_true, ebv = hosts.milky_way_ebv(rng, ra, dec)
    p = sample_params(spec, rng, n)
    p["mwebv"] = ebv_true
    head: dict[str, np.ndarray] = {}
    survey_len = cadence.SURVEY_END - cadence.SURVEY_START
    if not spec.galactic:
        p["z"] = hosts.draw_redshift(rng, n, spec.z_range)
        p["mu"] = lightcurves.distance_modulus(p["z"])
        head.update(hosts.host_columns(rng, p["z"], ra, dec, spec.gentype))
    if spec.family in ("bazin", "plateau", "tde"):
        lightcurves.prepare_transient(spec.family, p)
        p["t_peak"] = rng.uniform(*PEAKMJD_RANGE, n)
        p["t_expl"] = p["t_peak"] - p["tau_peak"] * (1.0 + p["z"])
    elif spec.family == "drw":
        p["t_peak"] = np.full(n, np.nan)
        p["survey_start"], p["survey_len"] = np.full(n, cadence.SURVEY_START), np.full(n, survey_len)
    else:
        p["colour_scale"] = rng.uniform(0.7, 1.4, n)
        p["seed"] = rng.uniform(0.0, 1000.0, n)
        period = p.get("period", np.ones(n))
        if spec.family == "paczynski":
            p["t_peak"] = rng.uniform(cadence.SURVEY_START - 30.0, cadence.SURVEY_END + 30.0, n)
        elif spec.family == "dwarf_nova":
            p["t_peak"] = cadence.SURVEY_START - rng.uniform(0.0, 1.0, n) * period
        else:
            p["t_peak"] = cadence.SURVEY_START + rng.uniform(0.0, 1.0, n) * period
    t0, t1 = _window(spec, p, n)
    libid = cadence.assign_libid(rng, lib, ra, in_ddf)
    obs = cadence.observe(lib, libid, t0, t1)
    obj, mjd, band = obs.obj, obs.mjd, obs.band.astype(np.int64)

    host_sb = head.pop("_host_sb", None)
    if spec.family in ("bazin", "plateau", "tde"):
        diff = source = lightcurves.transient_flux(spec.family, p, obj, mjd, band)
        peak_mags = lightcurves.transient_peak_mags(spec.family, p)
        template_mags = None
    elif spec.family == "drw":
        diff, source = lightcurves.agn_flux(p, obj, mjd, band, obs.offsets, rng)
        peak_mags = lightcurves.fluxcal_to_mag(lightcurves.agn_mean_flux(p))
        template_mags = None
    else:
        if spec.family == "flare":
            _place_flares(rng, p, obs, n)
        source = lightcurves.galactic_variation(spec.family, p, obj, mjd, band)
        template = _template_flux(spec, p, rng, n)
        diff = source - template[obj, band]
        template_mags = lightcurves.fluxcal_to_mag(template)
        peak_mags = template_mags
    phot = cadence.measure(rng, lib, obs, diff, source, host_sb, trigger_rule)
    selected = (phot.trigger_idx >= 0) & (phot.n_good_grizy >= MIN_GOOD_GRIZY)

    # per-object HEAD values
    nobs = np.diff(obs.offsets)

    def safe(idx):  # MJD of a per-object index, -9 (SNANA's missing value) where there is none
        if mjd.size == 0:
            return np.full(idx.size, -9.0)
        return np.where(idx >= 0, mjd[np.clip(idx, 0, mjd.size - 1)], -9.0)
    if spec.family in ("bazin", "plateau", "tde"):
        sim_peak = p["t_peak"]
    else:  # the epoch of the largest true difference flux
        best = argmax_per_object(np.abs(diff), obs.offsets)
        sim_peak = np.where(best >= 0, mjd[np.maximum(best, 0)], cadence.SURVEY_START)
    head.update({
        "RA": ra, "DEC": dec, "MWEBV": ebv, "MWEBV_ERR": 0.05 * ebv, "SIM_MWEBV": ebv_true,
        "SIM_RA": ra + rng.normal(0.0, 1e-4, n), "SIM_DEC": dec + rng.normal(0.0, 1e-4, n),
        "NOBS": nobs, "PEAKMJD": sim_peak + rng.normal(0.0, 1.0, n), "SIM_PEAKMJD": sim_peak,
        "MJD_TRIGGER": safe(phot.trigger_idx), "MJD_DETECT_FIRST": safe(phot.first_det_idx),
        "MJD_DETECT_LAST": safe(phot.last_det_idx), "SIM_LIBID": libid,
        "SIM_MODEL_NAME": np.full(n, f"ELASTICC_FAST.{spec.family.upper()}"),
        "SIM_MODEL_INDEX": np.full(n, spec.sim_model_index), "SIM_TYPE_INDEX": np.full(n, spec.gentype),
        "SIM_TYPE_NAME": np.full(n, spec.sim_type_name), "SIM_TEMPLATE_INDEX": rng.integers(1, 1000, n),
    })
    for k, b in enumerate(BANDS):
        head[f"SIM_PEAKMAG_{b}"] = peak_mags[:, k]
        if template_mags is not None:
            head[f"SIM_TEMPLATEMAG_{b}"] = template_mags[:, k]
    if spec.galactic:
        confirmed = rng.random(n) < 0.85
        head.update({"SNTYPE": np.where(confirmed, spec.gentype, spec.gentype + 100),
                     "SIM_SEARCHEFF_MASK": np.where(confirmed, 3, 5), "SIM_REDSHIFT_FLAG": np.where(confirmed, 1, 2),
                     "SIM_REDSHIFT_HELIO": np.zeros(n), "SIM_REDSHIFT_CMB": np.zeros(n),
                     "SIM_REDSHIFT_HOST": np.zeros(n), "SIM_VPEC": np.zeros(n)})
    else:
        head.update({"SIM_DLMU": p["mu"], "SIM_AV": p["AV"], "SIM_RV": np.full(n, 3.1)})
        if "t_expl" in p:
            head["SIM_MJD_EXPLODE"] = p["t_expl"]
        peak_flux = lightcurves.mag_to_fluxcal(peak_mags)
        psf_area = 4 * np.pi * (cadence.PSF_SIG * 0.2) ** 2
        for k, b in enumerate(BANDS):
            head[f"SIM_GALFRAC_{b}"] = host_sb[:, k] * psf_area[k] / np.maximum(peak_flux[:, k], 1e-3)
    flat = {
        "MJD": mjd, "BAND": np.array(list(BANDS))[band], "PHOTFLAG": phot.photflag,
        "FLUXCAL": phot.fluxcal, "FLUXCALERR": phot.fluxcalerr, "PSF_SIG1": phot.psf_sig,
        "SKY_SIG": phot.sky_sig, "ZEROPT": phot.zeropt,
        "SIM_MAGOBS": lightcurves.fluxcal_to_mag(source),
    }
    dump = {"LIBID": libid, "SIM_SEARCHEFF_MASK": head["SIM_SEARCHEFF_MASK"],
            "NON1A_INDEX": head["SIM_TEMPLATE_INDEX"], "RA": ra, "DEC": dec, "MWEBV": ebv_true,
            "PEAKMJD": sim_peak, "MJD_DETECT_FIRST": head["MJD_DETECT_FIRST"],
            "MJD_DETECT_LAST": head["MJD_DETECT_LAST"], "NOBS": nobs, "NOBS_SATURATE": phot.n_saturated}
    return head, flat, obs.offsets, selected, dump, p


def argmax_per_object(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Flat index of each object's largest value (-1 for objects without points), without sorting."""
    n = len(offsets) - 1
    counts = np.diff(offsets)
    out = np.full(n, -1, dtype=np.int64)
    has = counts > 0
    if not has.any():
        return out
    obj = np.repeat(np.arange(n), counts)
    best = np.full(n, -np.inf)
    best[has] = np.maximum.reduceat(values, offsets[:-1][has])
    hit = np.flatnonzero(values == best[obj])
    o, first = np.unique(obj[hit], return_index=True)
    out[o] = hit[first]
    return out


def top_k_per_object(values: np.ndarray, offsets: np.ndarray, k: int) -> np.ndarray:
    """(n, k) array of each object's k largest values in decreasing order (0 where fewer)."""
    n = len(offsets) - 1
    counts = np.diff(offsets)
    obj = np.repeat(np.arange(n), counts)
    # one float key: object index plus a decreasing, bounded transform of the value
    order = np.argsort(obj + (0.5 - np.arctan(values / 10.0) / np.pi), kind="stable")
    out = np.zeros((n, k))
    for j in range(k):  # k = 3 ranks, not a loop over observations
        has = counts > j
        out[has, j] = values[order[offsets[:-1][has] + j]]
    return out


def _place_flares(rng, p, obs, n, slots: int = 6):
    """Flare times: the first at an observed epoch (the survey only keeps flares it caught), the rest
    Poisson in time at the star's flare rate; amplitudes of later flares are smaller fractions."""
    counts = np.diff(obs.offsets)
    pick = obs.offsets[:-1] + np.floor(rng.random(n) * np.maximum(counts, 1)).astype(np.int64)
    t_obs = np.where(counts > 0, obs.mjd[np.minimum(pick, max(obs.mjd.size - 1, 0))] if obs.mjd.size else 0.0, 0.0)
    times = rng.uniform(cadence.SURVEY_START, cadence.SURVEY_END, (n, slots))
    times[:, 0] = t_obs - p["t_rise"] - rng.uniform(0.0, 0.5, n) * p["t_decay"]
    amp = p["amp"][:, None] * np.exp(rng.uniform(np.log(0.05), 0.0, (n, slots)))
    amp[:, 0] = p["amp"]
    active = np.arange(slots)[None, :] <= rng.poisson(p["rate"] * 300.0, n)[:, None]
    p["flare_t"], p["flare_amp"] = times, np.where(active, amp, 0.0)


def _template_flux(spec, p, rng, n):
    """Template (reference image) flux per band (n, 6): quiescence, or a random epoch for periodic stars."""
    if spec.family in ("flare", "dwarf_nova", "paczynski"):
        return lightcurves.quiescent_flux(p)
    t_tmpl = cadence.SURVEY_START - rng.uniform(0.0, 365.0, n)
    obj = np.repeat(np.arange(n), 6)
    band = np.tile(np.arange(6), n)
    return lightcurves.galactic_variation(spec.family, p, obj, t_tmpl[obj], band).reshape(n, 6)


def simulate_class(spec: ClassSpec, n_objects: int, rng: np.random.Generator, lib: cadence.SurveyLibrary,
                   trigger_rule: str = "pair", max_stalled: int = 10) -> ClassBatch:
    """Draw candidates until ``n_objects`` pass the trigger and the grizY cut (like SNANA's selection).

    Raises RuntimeError when ``max_stalled`` rounds in a row keep no object at all.
    """
    heads, phots, offs, dumps = [], [], [], []
    need, efficiency, stalled = n_objects, 0.5, 0
    while need > 0:
        m = min(_CHUNK, max(16, math.ceil(need / efficiency * 1.2)))
        head, flat, offsets, selected, dump, _ = _draw(spec, rng, lib, m, trigger_rule)
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
def _library(seed: int) -> cadence.SurveyLibrary:
    """The survey library of a seed (the same in every worker process)."""
    return cadence.build_library(np.random.default_rng(np.random.SeedSequence(seed).spawn(1 + len(CLASSES))[0]))


def _class_rng(seed: int, k: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1 + len(CLASSES))[1 + k])


def _snids(seed: int, k: int, n: int) -> np.ndarray:
    """Unique random SNIDs: class ``k`` gets its own slice of one draw without replacement."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    return rng.choice(10 ** 8, size=len(CLASSES) * n, replace=False)[k * n:(k + 1) * n] + 1


def _class_job(out: Path, prefix: str, k: int, n: int, seed: int, trigger_rule: str,
               files_per_model: int | None, compresslevel: int) -> dict:
    """Simulate and write class ``k``; returns its summary entry (runs in a worker process too)."""
    spec = CLASSES[k]
    batch = simulate_class(spec, n, _class_rng(seed, k), _library(seed), trigger_rule)
    n_files = files_per_model or _default_files(batch.n)
    _write_model(out, prefix, spec, batch, _snids(seed, k, n), n_files, compresslevel)
    return {"class": spec.leaf, "gentype": spec.gentype, "n_objects": batch.n, "n_obs": int(batch.offsets[-1]),
            "n_det": int((batch.phot["PHOTFLAG"] & 4096 > 0).sum()), "files": n_files}


def simulate(out_dir: str | Path, objects_per_class: int = 200, seed: int = 0,
             classes: Iterable[str] | None = None, files_per_model: int | None = None,
             prefix: str = "ELASTICC2_TRAIN_02", trigger_rule: str = "pair", compresslevel: int = 1,
             workers: int = 1, show_progress: bool | None = None) -> dict:
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

    Returns a summary dict: ``{"out_dir", "seed", "classes": {model: {...}}, "n_objects", "n_obs", "seconds"}``.
    """
    from ..progress import progress

    t_start = time.perf_counter()
    specs = [get_class(c) for c in classes] if classes is not None else list(CLASSES)
    if objects_per_class < 1:
        raise ValueError(f"objects_per_class must be >= 1, not {objects_per_class}")
    if trigger_rule not in ("pair", "first"):
        raise ValueError(f"trigger_rule must be 'pair' or 'first', not {trigger_rule!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(out, prefix, CLASSES.index(s), objects_per_class, seed, trigger_rule, files_per_model, compresslevel)
            for s in dict.fromkeys(specs)]
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
