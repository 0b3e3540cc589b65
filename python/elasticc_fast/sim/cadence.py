"""An LSST-like observing pattern, noise model and SNANA photometry flags.

Like SNANA's SIMLIB, the survey is a library of sky positions (``SIM_LIBID``), each with its own list
of visits: observing seasons around opposition, nights about every 3-4 days in season with usually a
pair of visits ~33 minutes apart (wide-fast-deep, WFD), or nightly sequences of many visits in the four
deep-drilling fields (DDF). Each visit has a band, a zero point, a sky noise and a PSF width whose
per-band medians were measured on the real ELAsTiCC2 sample (``ZEROPT``, ``SKY_SIG``, ``PSF_SIG1``).

Noise (FLUXCAL units, gain 1): ``sigma^2 = NEA * SKY_SIG^2 * s^2 + (F_source + F_host) * s`` with
``s = 10^(-0.4 (ZEROPT - 27.5))`` and noise-equivalent area ``NEA = 4 pi PSF_SIG1^2`` pixels. This
reproduces the real ``FLUXCALERR`` to a few per cent for faint points.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from ..units import PHOTFLAG_DETECTION, PHOTFLAG_SATURATED, PHOTFLAG_TRIGGER

SURVEY_START, SURVEY_END = 60275.0, 61380.0  # GENRANGE_MJD of the ELAsTiCC2 training set
#: per band u g r i z Y: median ZEROPT, SKY_SIG (ADU/pixel), PSF_SIG1 (pixels), in the real sample
ZEROPT = np.array([29.55, 31.50, 31.52, 31.32, 31.01, 30.09])
SKY_SIG = np.array([4.85, 15.8, 25.9, 35.1, 54.5, 47.5])
PSF_SIG = np.array([2.25, 2.13, 2.01, 1.96, 1.90, 1.86])
#: share of WFD visits per band in the real sample
BAND_SHARE = np.array([0.062, 0.091, 0.219, 0.228, 0.197, 0.204])
BAND_SHARE = BAND_SHARE / BAND_SHARE.sum()
#: single-visit saturation magnitude per band (point source, 30 s visit)
SATURATION_MAG = np.array([14.7, 15.7, 15.8, 15.8, 15.3, 13.9])
PIXEL_AREA = 0.04  # arcsec^2 (PIXSIZE 0.2")
#: the four deep-drilling fields: ELAIS-S1, XMM-LSS, Extended CDF-S, COSMOS (RA, Dec in degrees)
DDF_FIELDS = np.array([[9.45, -44.0], [35.708, -4.75], [53.125, -28.1], [150.1, 2.182]])
DDF_RADIUS = 1.75
#: detection probability, two rules. "measured": Phi((|S/N| - 5.8) / 1.4) of the
#: measured S/N; the real sample detects 18 % at S/N 4-5, 37 % at 5-6, 74 % at 7-8, 99 % at 10-15.
#: "noise-free" (the default since the twentieth round): Phi(ln(S/N_true / 5.70) / 0.297) of the noise-free S/N (true difference flux /
#: error), as SNANA's search efficiency: the maximum-likelihood fit to the real KN_K17 and
#: SNIb-Templates (true flux from SIM_MAGOBS; 12,700 points, 1,830 detections: 1 % at true S/N 2-3,
#: 8 % at 3.5-4, 35 % at 5-5.5, 85 % at 7-8, 99.4 % at 10-15). The real files never detect a point
#: without a source (0 of 12,259); the measured rule detects 0.1 % of them, a false detection (often
#: the trigger) in a fifth of the simulated SNe and a third of the KN (docs/simulator.md, eighth round)
DETECT_SNR50, DETECT_WIDTH = 5.8, 1.4
NOISE_FREE_SNR50, NOISE_FREE_LOG_WIDTH = 5.70, 0.297
DETECTION_RULES = ("noise-free", "measured")  # the first is the default (SimModels)
#: how the bands of a WFD night's visits are chosen: "random" (each visit its own band, BAND_SHARE) or
#: "pairs" (the visits of a night come in filter pairs, :data:`FILTER_PAIRS`, as in the real sample)
BAND_MODELS = ("random", "pairs")
#: the two bands of a WFD night's visit pair (ordered) and their shares, measured on the real ELAsTiCC2
#: training files (KN_K17, Mdwarf-flare, SNIb-Templates: 18,728 pairs of nights with 2 or 4 visits):
#: neighbouring bands or the same band twice; never r-z, r-Y, i-Y, g-i
FILTER_PAIRS = {"ri": 0.167, "YY": 0.143, "iz": 0.138, "zY": 0.114, "gr": 0.094, "ur": 0.049, "rr": 0.044,
                "ug": 0.042, "ii": 0.041, "zz": 0.033, "zi": 0.033, "ir": 0.032, "gg": 0.018, "Yz": 0.018,
                "uu": 0.014, "ru": 0.010, "rg": 0.009}
#: the band of a single visit (nights with 1 or 3 visits; same files: u g r i z Y)
SINGLE_SHARE = np.array([0.068, 0.127, 0.244, 0.23, 0.233, 0.098])
_PAIR_BANDS = np.array([["ugrizY".index(c) for c in name] for name in FILTER_PAIRS], dtype=np.uint8)  # (pairs, 2)
_PAIR_P = np.array(list(FILTER_PAIRS.values()))
_PAIR_P = _PAIR_P / _PAIR_P.sum()
TRIGGER_GAP_DAYS = 0.021  # NEWMJD_DIF of the ELAsTiCC2 search: 30 minutes
_VERNAL_EQUINOX_MJD = 60389.0  # 2024-03-20: Sun at RA 0


@dataclass
class SurveyLibrary:
    """Visits of every library position, flat and sorted by (libid, mjd)."""

    ra: np.ndarray
    dec: np.ndarray
    ddf: np.ndarray       # bool per libid
    offsets: np.ndarray   # (n_lib + 1,) into the visit arrays
    mjd: np.ndarray
    band: np.ndarray      # uint8
    zeropt: np.ndarray
    sky_sig: np.ndarray
    psf_sig: np.ndarray

    @property
    def size(self) -> int:
        return len(self.ra)


def _season_nights(rng, ra, ddf):
    """Integer nights observed at a position with this RA (seasons centred on opposition)."""
    opposition = _VERNAL_EQUINOX_MJD + (ra + 180.0) / 360.0 * 365.25
    half = rng.uniform(70.0, 100.0) if not ddf else rng.uniform(80.0, 110.0)
    centres = opposition + 365.25 * np.arange(-2, 5)
    nights = np.concatenate([np.arange(np.ceil(c - half), np.floor(c + half)) for c in centres])
    nights = nights[(nights >= SURVEY_START) & (nights < SURVEY_END)]
    keep = rng.random(nights.size) < (0.24 if not ddf else 0.45)
    # bad-weather runs: drop a few stretches of a week or two
    for start in rng.uniform(SURVEY_START, SURVEY_END, 6):
        keep &= ~((nights >= start) & (nights < start + rng.uniform(5.0, 15.0)))
    return nights[keep]


def _visits(rng, nights, ddf, band_model: str = "random"):
    """Visit times and bands for the given nights (``band_model``: :data:`BAND_MODELS`, WFD only)."""
    if ddf:  # a sequence of 4-8 visits through several bands, a few minutes apart
        per_night = rng.integers(4, 9, nights.size)
    else:    # mostly pairs ~33 min apart; some singles; some nights with two pairs
        per_night = rng.choice([1, 2, 3, 4], nights.size, p=[0.15, 0.62, 0.08, 0.15])
    night = np.repeat(nights, per_night)
    idx = np.arange(night.size) - np.repeat(np.cumsum(per_night) - per_night, per_night)
    start = np.repeat(rng.uniform(0.0, 0.32, nights.size), per_night)
    step = (rng.uniform(2.0, 5.0, night.size) if ddf else np.abs(rng.normal(33.0, 2.0, night.size))) / 1440.0
    step[idx == 0] = 0.0
    elapsed = np.cumsum(step)
    elapsed -= np.repeat(elapsed[np.cumsum(per_night) - per_night], per_night)  # restart every night
    mjd = night + start + elapsed
    if band_model == "pairs" and not ddf:
        return mjd, _paired_bands(rng, per_night, idx)
    band = rng.choice(6, night.size, p=BAND_SHARE).astype(np.uint8)
    return mjd, band


def _paired_bands(rng, per_night: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Bands of the visits of nights with ``per_night`` visits (``idx``: each visit's place in its night):
    visits 1-2 and 3-4 are filter pairs (:data:`FILTER_PAIRS`), the last visit of an odd night a single
    (:data:`SINGLE_SHARE`)."""
    pair = rng.choice(len(_PAIR_P), size=(per_night.size, 2), p=_PAIR_P)
    single = rng.choice(6, per_night.size, p=SINGLE_SHARE / SINGLE_SHARE.sum()).astype(np.uint8)
    night = np.repeat(np.arange(per_night.size), per_night)
    alone = (per_night[night] % 2 == 1) & (idx == per_night[night] - 1)
    paired = _PAIR_BANDS[pair[night, np.minimum(idx // 2, 1)], idx % 2]
    return np.where(alone, single[night], paired).astype(np.uint8)


def build_library(rng: np.random.Generator, n_wfd: int = 1024, n_ddf_per_field: int = 8,
                  band_model: str = "random") -> SurveyLibrary:
    """Draw the survey: ``n_wfd`` WFD positions spread over the southern sky and DDF positions;
    ``band_model``: how a WFD night's visits get their bands (:data:`BAND_MODELS`)."""
    if band_model not in BAND_MODELS:
        raise ValueError(f"cadence must be one of {', '.join(BAND_MODELS)}, not {band_model!r}")
    ra = rng.uniform(0.0, 360.0, n_wfd)
    dec = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(-80.0)), np.sin(np.radians(12.0)), n_wfd)))
    field = np.repeat(np.arange(len(DDF_FIELDS)), n_ddf_per_field)
    ra = np.concatenate([ra, DDF_FIELDS[field, 0]])
    dec = np.concatenate([dec, DDF_FIELDS[field, 1]])
    ddf = np.arange(ra.size) >= n_wfd
    order = np.lexsort((dec, ra))  # sort by RA so objects find positions of their own RA
    ra, dec, ddf = ra[order], dec[order], ddf[order]
    mjds, bands = [], []
    for r, is_ddf in zip(ra, ddf, strict=True):  # one loop over library positions (about a thousand), not visits
        m, b = _visits(rng, _season_nights(rng, r, is_ddf), is_ddf, band_model)
        mjds.append(m)
        bands.append(b)
    counts = np.array([m.size for m in mjds])
    mjd, band = np.concatenate(mjds), np.concatenate(bands)
    n = mjd.size
    moon = rng.random(n) < 0.25  # bright time raises the sky in the blue
    sky_boost = np.where(moon, np.array([2.0, 1.6, 1.3, 1.1, 1.0, 1.0])[band], 1.0)
    return SurveyLibrary(
        ra=ra, dec=dec, ddf=ddf, offsets=np.concatenate([[0], np.cumsum(counts)]), mjd=mjd, band=band,
        zeropt=ZEROPT[band] + rng.normal(0.0, 0.03, n),
        sky_sig=SKY_SIG[band] * np.exp(rng.normal(0.0, 0.12, n)) * sky_boost,
        psf_sig=np.maximum(PSF_SIG[band] * np.exp(rng.normal(0.0, 0.2, n)), 1.2))


def assign_libid(rng: np.random.Generator, lib: SurveyLibrary, ra: np.ndarray, in_ddf: np.ndarray) -> np.ndarray:
    """Pick a library position for each object: a DDF one inside a deep field, else a WFD one near its RA."""
    wfd = np.flatnonzero(~lib.ddf)
    pos = np.searchsorted(lib.ra[wfd], ra) + rng.integers(-3, 4, ra.size)
    libid = wfd[np.mod(pos, wfd.size)]
    ddf_ids = np.flatnonzero(lib.ddf)
    if in_ddf.any():
        libid[in_ddf] = rng.choice(ddf_ids, int(in_ddf.sum()))
    return libid


@dataclass
class Observations:
    """Flat visits of a batch of objects (``offsets`` (n + 1,) into the other arrays)."""

    offsets: np.ndarray
    obj: np.ndarray
    visit: np.ndarray  # index into the library visit arrays
    mjd: np.ndarray
    band: np.ndarray


def observe(lib: SurveyLibrary, libid: np.ndarray, t_start: np.ndarray, t_end: np.ndarray,
            survey: tuple[float, float] = (SURVEY_START, SURVEY_END)) -> Observations:
    """All library visits of each object's position inside its window [t_start, t_end) and the
    ``survey`` span; ``lib`` needs ``size``, ``offsets``, ``mjd`` (< 1e5) and ``band``."""
    key = np.repeat(np.arange(lib.size), np.diff(lib.offsets)) * 1e5 + lib.mjd
    lo = np.searchsorted(key, libid * 1e5 + np.maximum(t_start, survey[0]))
    hi = np.searchsorted(key, libid * 1e5 + np.minimum(t_end, survey[1]))
    hi = np.maximum(hi, lo)
    counts = hi - lo
    offsets = np.concatenate([[0], np.cumsum(counts)])
    obj = np.repeat(np.arange(libid.size), counts)
    visit = np.arange(offsets[-1]) - offsets[:-1][obj] + lo[obj]
    return Observations(offsets, obj, visit, lib.mjd[visit], lib.band[visit])


@dataclass
class Photometry:
    """Measured photometry of each visit and the per-object detection summary."""

    fluxcal: np.ndarray
    fluxcalerr: np.ndarray
    photflag: np.ndarray
    zeropt: np.ndarray
    sky_sig: np.ndarray
    psf_sig: np.ndarray
    trigger_idx: np.ndarray       # flat index of the trigger epoch, -1 when none
    first_det_idx: np.ndarray     # -1 when none
    last_det_idx: np.ndarray
    n_det: np.ndarray
    n_good_grizy: np.ndarray      # unsaturated grizY points (SNANA cut CUTWIN_NOBS_NOSATURATE)
    n_saturated: np.ndarray


def measure(rng: np.random.Generator, lib: SurveyLibrary, obs: Observations, diff_flux: np.ndarray,
            source_flux: np.ndarray, host_sb: np.ndarray | None, trigger_rule: str = "pair",
            detection: str = DETECTION_RULES[0]) -> Photometry:
    """Add noise, flag detections (S/N efficiency), saturation and the trigger epoch.

    ``diff_flux`` is the true difference flux, ``source_flux`` the whole point source (star, AGN or
    transient) for Poisson noise and saturation, ``host_sb`` the host surface brightness per band
    (n_obj, 6) in FLUXCAL per arcsec^2. ``detection``: "measured" (a normal CDF in the measured |S/N|)
    or "noise-free" (a normal CDF in the log of the noise-free |S/N|, like SNANA's search efficiency;
    :data:`DETECTION_RULES`), both fitted to the real sample; negative
    differences (an eclipse, a star
    fainter than its template) are detected too, as in difference imaging.
    ``trigger_rule``: "pair" puts PHOTFLAG 2048 on
    the first detection made at least 30 minutes after an earlier one; "first" on the first detection
    (the convention of the ELAsTiCC2 training files).
    """
    v = obs.visit
    zp, sky, psf = lib.zeropt[v], lib.sky_sig[v], lib.psf_sig[v]
    scale = 10.0 ** (-0.4 * (zp - 27.5))
    nea = 4.0 * np.pi * psf ** 2
    var = nea * (sky * scale) ** 2 + np.maximum(source_flux, 0.0) * scale
    if host_sb is not None:
        var += host_sb[obs.obj, obs.band] * PIXEL_AREA * nea * scale
    err = np.sqrt(var)
    zp_smear = 10.0 ** (-0.4 * rng.normal(0.0, 0.005, v.size))
    flux = diff_flux * zp_smear + err * rng.standard_normal(v.size)
    p_det = detection_probability(flux, diff_flux * zp_smear, err, detection)
    saturated = source_flux > 10.0 ** (-0.4 * (SATURATION_MAG[obs.band] - 27.5))
    det = (rng.random(v.size) < p_det) & ~saturated
    flag = np.where(det, PHOTFLAG_DETECTION, 0) | np.where(saturated, PHOTFLAG_SATURATED, 0)
    n = len(obs.offsets) - 1
    first = _first_true_per_object(det, obs.obj, n)
    last = _last_true_per_object(det, obs.obj, n)
    if trigger_rule == "first":
        trig = first
    elif trigger_rule == "pair":
        t_first = np.where(first >= 0, obs.mjd[np.maximum(first, 0)], np.inf)
        trig = _first_true_per_object(det & (obs.mjd - t_first[obs.obj] >= TRIGGER_GAP_DAYS), obs.obj, n)
    else:
        raise ValueError(f"trigger_rule must be 'pair' or 'first', not {trigger_rule!r}")
    flag[trig[trig >= 0]] |= PHOTFLAG_TRIGGER
    good = ~saturated & (obs.band >= 1)
    return Photometry(
        fluxcal=flux.astype(np.float32), fluxcalerr=err.astype(np.float32), photflag=flag.astype(np.int32),
        zeropt=zp, sky_sig=sky, psf_sig=psf, trigger_idx=trig, first_det_idx=first, last_det_idx=last,
        n_det=np.bincount(obs.obj, det, n).astype(int), n_good_grizy=np.bincount(obs.obj, good, n).astype(int),
        n_saturated=np.bincount(obs.obj, saturated, n).astype(int))


def detection_probability(flux: np.ndarray, true_flux: np.ndarray, err: np.ndarray, rule: str) -> np.ndarray:
    """Probability that each point is flagged a detection under ``rule`` (:data:`DETECTION_RULES`);
    difference imaging detects both polarities (eclipses, fading stars)."""
    if rule == "measured":
        return ndtr((np.abs(flux) / err - DETECT_SNR50) / DETECT_WIDTH)
    if rule == "noise-free":
        with np.errstate(divide="ignore"):
            return ndtr(np.log(np.abs(true_flux) / err / NOISE_FREE_SNR50) / NOISE_FREE_LOG_WIDTH)
    raise ValueError(f"detection must be one of {', '.join(DETECTION_RULES)}, not {rule!r}")


def _first_true_per_object(mask, obj, n):
    out = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    o, first = np.unique(obj[idx], return_index=True)
    out[o] = idx[first]
    return out


def _last_true_per_object(mask, obj, n):
    out = np.full(n, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)[::-1]
    o, first = np.unique(obj[idx], return_index=True)
    out[o] = idx[first]
    return out
