"""A ZTF-like survey: field cadence, per-visit depth, noise, alert detections and the BTS selection.

Calibrated on the real BTS sample in ``../shared/data/ztf_bts`` (2,693 objects, detections only) and
on ZTF's public-survey design (Bellm et al. 2019):

- **Fields and seasons.** A library of fields north of Dec -30 (like SNANA's SIMLIB); each field is
  observable for a season around opposition (longer near the pole) from MJD 58194 (2018 March,
  start of ZTF's public survey) to 59480 (2021 September, the last BTS table here). In season a
  night is observed with probability 0.45, minus bad-weather runs: the real gaps between nights
  with detections have median 2 days, 90th percentile about 6.
- **Visits.** 1, 2, 3 or 4 visits per observed night (45, 45, 6, 4 %; fewer are detections: the
  real detections per night are 54, 37, 5, 3 %), 30-90 minutes apart; g and r in equal shares.
  60 % of the fields alternate g and r and have at most 2 visits a night; the other 40 % (where
  ZTF's two grids overlap) have up to 4, the next in the other band with probability 0.5, and a
  next visit in the same band is 85 % of the time the other grid's field, 3-15 minutes later
  (real: 1/3 of the same-night detection pairs are in one band, median 7 minutes apart, and 33 %
  (g) / 41 % (r) of the objects have such a pair), i ``i_share`` (3 %, the sparse partnership i band; the BTS light curves here have g and
  r only, and their detections are 46 % g, 54 % r: g fades sooner).
- **Depth.** 5-sigma limiting magnitude per visit: g 20.5, r 20.4, i 19.9, a per-night offset
  N(0, 0.3) (seeing, clouds), a per-visit N(0, 0.15), brighter sky near full Moon (up to 0.5 mag
  in g), clipped to 18 - 21.5: medians g 20.25, r 20.25, i 19.8 with a scatter of 0.35-0.4 mag.
- **Noise** (flux in microjansky): sigma^2 = (F_lim / 5)^2 + B^2 F_20 F + (C F)^2, with F_20 the
  flux of a 20th-magnitude source, B = 0.12 (source and host photon noise) and C = 0.022
  (calibration floor), fitted to the real median magnitude errors (0.034 at 16 mag, 0.073 at 18,
  0.21 at 20). One object's visits in one band and night share 60 % of their noise variance.
- **Alerts.** A visit with S/N >= 5 makes an alert (flag 4096). The alert packet carries the
  upper limits of the previous 30 days (flux 0, ``flux_err`` = limiting flux / 5, flag 0), as
  :func:`elasticc_fast.io.ztf.non_detection_frame` writes them. Forced photometry (optional):
  the measured flux at every other visit, flag 0.
- **BTS selection.** At least 2 alerts and a peak (brightest alert magnitude in g or r) brighter
  than 18.5; objects peaking between 18.5 and 19 are kept with probability 0.5 (BTS is complete
  to 18.5 and partly to 19: 35 % of the real sample peaks fainter than 18.5).

``survey="round9"`` (opt-in, ``simulate --ztf-survey round9``; measured against the real BTS detections in
docs/simulator.md) changes three things: the cadence by era (:data:`ERAS`: every 3 nights in 2018-19, every
2 from 2020), alerts 5 sigma above the background noise alone (:func:`alerts_of`), and the selection also
asks for a measured rise (:func:`rise_covered`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..units import PHOTFLAG_DETECTION, UJY_ZEROPOINT

SURVEY_START, SURVEY_END = 58194.0, 59480.0
PEAK_RANGE = (58150.0, 59470.0)
#: band indices in ``ugrizY``: g, r, i
G, R, I = 1, 2, 3
DEPTH = {G: 20.5, R: 20.4, I: 19.9}
NOISE_B, NOISE_C = 0.12, 0.022
F20 = 10.0 ** (-0.4 * (20.0 - UJY_ZEROPOINT))
ALERT_SNR = 5.0
NIGHT_PROB = 0.45  # share of in-season nights a field is observed
OVERLAP_SHARE = 0.4  # fields where ZTF's primary and secondary grids overlap
#: visits per observed night (1, 2, 3, 4) outside and inside the overlaps (together 45, 45, 6, 4 %)
VISITS_SINGLE, VISITS_OVERLAP = (0.5, 0.5, 0.0, 0.0), (0.375, 0.375, 0.15, 0.1)
REPEAT_SHARE = 0.85  # same-band visits of a night that are the other grid's field, minutes later
NIGHT_RHO = 0.6  # noise correlation of one object's visits in one band and night
HISTORY_DAYS = 30.0  # upper limits an alert packet carries
PHOTOMETRY = ("alerts", "detections", "forced")
_SYNODIC, _FULL_MOON_MJD = 29.5306, 58163.8  # a full Moon: 2018 Jan 31
#: survey models: "round8" (the default, as above) and "round9" (opt-in, :data:`ERAS` and
#: :func:`alerts_of`; measured against the real BTS detections in docs/simulator.md)
SURVEYS = ("round8", "round9")
#: round9 cadence by era (first night, period in nights, share of the period's nights observed, share of
#: the other nights): ZTF's public survey visited its fields every 3 nights in 2018-19 and every 2 from
#: 2020 (real gaps between an object's detection nights, means 3.5 / 2.6 / 3.1 d in 2018-19 / 2020 Jan-Oct /
#: later, a third to a half of them exactly the period; round8's every-night 0.45 gives 2.9 in every era)
ERAS = ((SURVEY_START, 3, 0.8, 0.12), (58850.0, 2, 0.75, 0.2), (59150.0, 2, 0.65, 0.12))


@dataclass
class ZtfLibrary:
    """Visits of every field, flat and sorted by (field, mjd)."""

    ra: np.ndarray
    dec: np.ndarray
    offsets: np.ndarray
    mjd: np.ndarray
    band: np.ndarray     # uint8 index into ugrizY
    maglim: np.ndarray   # 5-sigma limiting magnitude of the visit

    @property
    def size(self) -> int:
        return len(self.ra)


def _night_keep(rng: np.random.Generator, nights: np.ndarray, survey: str) -> np.ndarray:
    """Which in-season nights a field is observed: ``NIGHT_PROB`` each (round8) or :data:`ERAS`' cadence."""
    if survey == "round8":
        return rng.random(nights.size) < NIGHT_PROB
    phase, u = rng.integers(0, 6), rng.random(nights.size)
    keep = np.zeros(nights.size, bool)
    for k, (start, period, on, off) in enumerate(ERAS):
        end = ERAS[k + 1][0] if k + 1 < len(ERAS) else np.inf
        era = (nights >= start) & (nights < end)
        grid = (nights.astype(np.int64) - phase) % period == 0
        keep |= era & (u < np.where(grid, on, off))
    return keep


def _field_nights(rng: np.random.Generator, ra: float, dec: float, survey: str = "round8") -> np.ndarray:
    """Observed nights of a field: seasons around opposition, the survey's cadence, weather runs."""
    opposition = 58197.0 + (ra + 180.0) / 360.0 * 365.25  # Sun at RA 0 near 2018 March 20
    half = min(110.0 + 1.5 * max(dec - 20.0, 0.0), 182.0) * rng.uniform(0.85, 1.0)
    centres = opposition + 365.25 * np.arange(-1, 5)
    nights = np.concatenate([np.arange(np.ceil(c - half), np.floor(c + half)) for c in centres])
    nights = np.unique(nights[(nights >= SURVEY_START) & (nights < SURVEY_END)])
    keep = _night_keep(rng, nights, survey)
    for start in rng.uniform(SURVEY_START, SURVEY_END, 12):  # a few bad-weather runs a year
        keep &= ~((nights >= start) & (nights < start + rng.uniform(3.0, 10.0)))
    return nights[keep]


def _field_visits(rng: np.random.Generator, nights: np.ndarray, i_share: float):
    """(mjd, band, maglim) of the visits on ``nights``."""
    overlap = rng.random() < OVERLAP_SHARE
    per_night = rng.choice([1, 2, 3, 4], nights.size, p=VISITS_OVERLAP if overlap else VISITS_SINGLE)
    night = np.repeat(nights, per_night)
    first = np.cumsum(per_night) - per_night
    # ZTF alternates filters within a night; only where its two grids overlap does a field come
    # back in the same band (real: 1/3 of the same-night detection pairs are in one band, and
    # 33 % (g) / 41 % (r) of the objects have such a pair)
    flip = rng.random(night.size) < (0.5 if overlap else 1.0)
    flip[first] = False
    flips = np.cumsum(flip)
    flips -= np.repeat(flips[first], per_night)
    gr = (np.repeat(rng.integers(0, 2, nights.size), per_night) + flips) % 2
    band = np.where(gr == 0, G, R).astype(np.uint8)
    # a visit in the band of the one before is mostly the overlapping field of ZTF's other grid,
    # minutes later (real same-night same-band pairs: median 7 minutes apart)
    repeat = ~flip & (rng.random(night.size) < REPEAT_SHARE)
    step = np.where(repeat, rng.uniform(3.0, 15.0, night.size), rng.uniform(30.0, 90.0, night.size)) / 1440.0
    step[first] = 0.0
    elapsed = np.cumsum(step)
    elapsed -= np.repeat(elapsed[first], per_night)  # restart every night
    mjd = night + np.repeat(rng.uniform(0.15, 0.35, nights.size), per_night) + elapsed
    band[rng.random(night.size) < i_share] = I
    moon = np.cos(np.pi * ((mjd - _FULL_MOON_MJD) / _SYNODIC % 1.0)) ** 2  # 1 at full Moon
    penalty = moon * np.where(band == G, 0.5, np.where(band == R, 0.3, 0.2))
    seeing = np.repeat(rng.normal(0.0, 0.3, nights.size), per_night)
    base = np.select([band == G, band == R], [DEPTH[G], DEPTH[R]], DEPTH[I])
    maglim = np.clip(base + seeing + rng.normal(0.0, 0.15, night.size) - penalty, 18.0, 21.5)
    return mjd, band, maglim


def build_ztf_library(rng: np.random.Generator, n_fields: int = 600, i_share: float = 0.03,
                      survey: str = "round8") -> ZtfLibrary:
    """Draw ``n_fields`` fields north of Dec -30 (sorted by RA) and all their visits."""
    if not 0.0 <= i_share < 1.0:
        raise ValueError(f"i_share must be in [0, 1), not {i_share}")
    check_survey(survey)
    ra = np.sort(rng.uniform(0.0, 360.0, n_fields))
    dec = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(-30.0)), 1.0, n_fields)))
    parts = [_field_visits(rng, _field_nights(rng, r, d, survey), i_share) for r, d in zip(ra, dec, strict=True)]
    counts = np.array([len(m) for m, _, _ in parts])
    return ZtfLibrary(ra=ra, dec=dec, offsets=np.concatenate([[0], np.cumsum(counts)]),
                      mjd=np.concatenate([m for m, _, _ in parts]),
                      band=np.concatenate([b for _, b, _ in parts]),
                      maglim=np.concatenate([x for _, _, x in parts]))


def check_survey(survey: str) -> str:
    """``survey`` if it is one of :data:`SURVEYS`, else a one-line ValueError."""
    if survey not in SURVEYS:
        raise ValueError(f"ZTF survey must be one of {SURVEYS}, not {survey!r}")
    return survey


def assign_field(rng: np.random.Generator, lib: ZtfLibrary, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """A field near each object's RA whose Dec is within 20 degrees (else any near its RA)."""
    pos = np.searchsorted(lib.ra, ra)[:, None] + np.arange(-6, 7)[None, :]
    cand = np.mod(pos, lib.size)
    far = np.abs(lib.dec[cand] - dec[:, None]) > 20.0
    score = rng.random(cand.shape) + far  # prefer fields at a similar Dec
    return cand[np.arange(len(ra)), np.argmin(score, axis=1)]


def noise_sigma(maglim: np.ndarray, source_ujy: np.ndarray) -> np.ndarray:
    """1-sigma flux error (microjansky) of a visit with 5-sigma limit ``maglim`` (module docstring)."""
    f_lim = 10.0 ** (-0.4 * (maglim - UJY_ZEROPOINT))
    src = np.maximum(source_ujy, 0.0)
    return np.sqrt((f_lim / ALERT_SNR) ** 2 + NOISE_B ** 2 * F20 * src + (NOISE_C * src) ** 2)


@dataclass
class ZtfPhotometry:
    """Measured flux of every visit, its error, alert flag and the per-object BTS quantities."""

    flux: np.ndarray
    flux_err: np.ndarray
    limit_err: np.ndarray   # limiting flux / 5 (the error an upper limit row carries)
    alert: np.ndarray       # bool per visit
    n_alerts: np.ndarray    # per object
    peak_mag: np.ndarray    # brightest alert magnitude (g or r), inf when none


def night_correlated_normals(rng: np.random.Generator, obs, rho: float) -> np.ndarray:
    """Unit normals per visit, correlated ``rho`` between one object's visits in the same band and
    night (they share reference image, calibration and seeing: real same-night same-band
    detection pairs differ by 0.5-0.7 of their quoted combined error, independent ones by 1)."""
    key = (obs.obj.astype(np.int64) * 100_000 + np.floor(obs.mjd).astype(np.int64)) * 8 + obs.band
    _, inv = np.unique(key, return_inverse=True)
    shared = rng.standard_normal(int(inv.max()) + 1 if inv.size else 0)[inv]
    return np.sqrt(rho) * shared + np.sqrt(1.0 - rho) * rng.standard_normal(key.size)


def alerts_of(flux: np.ndarray, err: np.ndarray, limit_err: np.ndarray, survey: str = "round8") -> np.ndarray:
    """Visits that make an alert: S/N >= 5 on the quoted error (round8) or on the background noise alone
    (round9: ZTF finds a candidate 5 sigma above the difference image's background, and the PSF-fit error
    it quotes adds the source's photon noise; 9.8 % of the real BTS detections quote S/N < 5, 1 % < 3.3).
    Positive only: ANTARES's BTS curves hold no negative detection."""
    return flux >= ALERT_SNR * (err if check_survey(survey) == "round8" else limit_err)


def measure(rng: np.random.Generator, lib: ZtfLibrary, obs, diff_ujy: np.ndarray,
            source_ujy: np.ndarray, survey: str = "round8") -> ZtfPhotometry:
    """Noisy difference fluxes (the whole source adds photon noise), alerts (:func:`alerts_of`) and
    the peak magnitude of each object."""
    maglim = lib.maglim[obs.visit]
    err = noise_sigma(maglim, source_ujy)
    flux = diff_ujy + err * night_correlated_normals(rng, obs, NIGHT_RHO)
    limit_err = 10.0 ** (-0.4 * (maglim - UJY_ZEROPOINT)) / ALERT_SNR
    alert = alerts_of(flux, err, limit_err, survey)
    n = len(obs.offsets) - 1
    mag = np.where(alert & (obs.band != I), UJY_ZEROPOINT - 2.5 * np.log10(np.where(alert, flux, 1.0)), np.inf)
    peak = np.full(n, np.inf)
    np.minimum.at(peak, obs.obj, mag)
    return ZtfPhotometry(flux=flux, flux_err=err, limit_err=limit_err, alert=alert, n_alerts=np.bincount(obs.obj, alert, n).astype(np.int64), peak_mag=peak)


def bts_selected(rng: np.random.Generator, phot: ZtfPhotometry, limit: float = 18.5, partial_limit: float = 19.0,
                 partial_fraction: float = 0.5) -> np.ndarray:
    """Objects the BTS would have classified: >= 2 alerts, peak < ``limit`` (or < ``partial_limit``
    with probability ``partial_fraction``)."""
    lucky = rng.random(phot.peak_mag.size) < partial_fraction
    bright = (phot.peak_mag < limit) | ((phot.peak_mag < partial_limit) & lucky)
    return (phot.n_alerts >= 2) & bright


def rise_covered(obs, phot: ZtfPhotometry) -> np.ndarray:
    """Per object: a g or r visit before its brightest alert measured below half that alert's flux, so
    that BTS's ``rise`` (half-peak flux to peak) is measured (round9's selection: in the BTS tables here
    only 1.4 % of the SN Ia give ``rise`` as a lower limit, and only 4 % of the real SN Ia curves are first
    detected within 4 days of their brightest point; round8 selects the objects found near peak at a season
    start too: 18 %)."""
    n = len(obs.offsets) - 1
    gr = obs.band != I
    top = phot.alert & gr
    peak = np.full(n, -np.inf)
    np.maximum.at(peak, obs.obj[top], phot.flux[top])
    t_peak = np.full(n, np.inf)
    at_peak = top & (phot.flux == peak[obs.obj])
    np.minimum.at(t_peak, obs.obj[at_peak], obs.mjd[at_peak])
    low = gr & (obs.mjd < t_peak[obs.obj]) & (phot.flux < 0.5 * peak[obs.obj])
    return np.bincount(obs.obj[low], minlength=n) > 0


def photometry_rows(obs, phot: ZtfPhotometry, mode: str) -> np.ndarray:
    """Indices of the visits written in ``mode`` ("alerts": alerts plus the upper limits of the
    30 days before any alert; "detections": alerts only, like the ANTARES BTS files; "forced":
    every visit)."""
    if mode == "forced" or mode == "detections":
        return np.arange(obs.mjd.size) if mode == "forced" else np.flatnonzero(phot.alert)
    if mode != "alerts":
        raise ValueError(f"photometry must be one of {PHOTOMETRY}, not {mode!r}")
    # the next alert of the same object at or after each visit (visits are sorted by object, time)
    alerts = np.flatnonzero(phot.alert)
    k = np.minimum(np.searchsorted(alerts, np.arange(obs.mjd.size)), max(alerts.size - 1, 0))
    if alerts.size == 0:
        return alerts
    nxt = alerts[k]
    soon = (nxt >= np.arange(obs.mjd.size)) & (obs.obj[nxt] == obs.obj) & (obs.mjd[nxt] - obs.mjd <= HISTORY_DAYS)
    return np.flatnonzero(phot.alert | soon)


def rows_flags(phot: ZtfPhotometry, rows: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flux, flux_err, flag) of the written rows: alerts keep their flux (flag 4096); upper limits
    have flux 0 and the limit's error (alerts mode), forced points their measured flux (flag 0)."""
    alert = phot.alert[rows]
    flag = np.where(alert, PHOTFLAG_DETECTION, 0).astype(np.int32)
    if mode == "alerts":
        return (np.where(alert, phot.flux[rows], 0.0), np.where(alert, phot.flux_err[rows], phot.limit_err[rows]),
                flag)
    return phot.flux[rows], phot.flux_err[rows], flag
