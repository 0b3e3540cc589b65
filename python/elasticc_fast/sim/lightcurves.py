"""Parametric light-curve families, evaluated for all observations of many objects at once.

Every function takes per-object parameter arrays ``p`` (shape ``(n,)``) and flat observation arrays
(``obj`` index of the object, ``mjd``, ``band`` 0..5) and returns fluxes in SNANA FLUXCAL units
(zero point 27.5). Extragalactic transients are built from a rest-frame shape times a blackbody
colour: observer time is divided by ``1 + z`` (time dilation), the flux is dimmed by the distance
modulus and multiplied by ``1 + z`` (bandwidth compression of f_nu), and the band samples the
rest-frame wavelength ``lambda / (1 + z)`` (the K-correction of a blackbody).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..units import FLUXCAL_ZEROPOINT

#: LSST effective wavelengths of u g r i z Y in Angstrom
BAND_LAMBDA = np.array([3671.0, 4827.0, 6223.0, 7546.0, 8691.0, 9712.0])
#: Milky-Way extinction A_b / E(B-V) for the LSST bands (R_V = 3.1)
MW_R = np.array([4.145, 3.237, 2.273, 1.684, 1.323, 1.088])


@dataclass(frozen=True)
class Passbands:
    """Effective wavelength (A) and Milky-Way A_b / E(B-V) of the bands ``ugrizY`` (indices 0-5)."""

    lam: np.ndarray
    mw_r: np.ndarray


LSST_PASSBANDS = Passbands(BAND_LAMBDA, MW_R)
#: ZTF g, r, i at their effective wavelengths (4746, 6366, 7870 A); A_b / E(B-V) from the Cardelli
#: et al. (1989) law (R_V 3.1) times 0.86, the SFD recalibration (Schlafly & Finkbeiner 2011) the
#: LSST values above also carry; u, z, Y keep the LSST values (ZTF has no such bands)
ZTF_PASSBANDS = Passbands(np.array([3671.0, 4746.0, 6366.0, 7870.0, 8691.0, 9712.0]),
                          np.array([4.145, 3.204, 2.262, 1.643, 1.323, 1.088]))
_C2 = 1.4388e8  # h c / k in Angstrom Kelvin
_LAMBDA_REF = 4400.0  # rest wavelength at which M is defined
#: colours (m_b - m_r) of the quiescent Galactic sources, by ``kind`` (flare, DN, uLens, pulsator, EB)
_STAR_COLOURS = np.array([
    [3.1, 1.2, 0.0, -0.6, -0.92, -1.1],    # M dwarf
    [0.0, 0.1, 0.0, -0.1, -0.15, -0.2],     # dwarf nova in quiescence (disc + white dwarf)
    [1.6, 0.5, 0.0, -0.2, -0.3, -0.35],     # G/K bulge source
    [1.2, 0.3, 0.0, -0.1, -0.15, -0.2],     # F/G pulsator
    [1.3, 0.4, 0.0, -0.15, -0.22, -0.28],   # main-sequence binary
])
#: pulsation amplitude of each band relative to r
_PULSE_BAND = np.array([1.5, 1.3, 1.0, 0.8, 0.7, 0.6])


def mag_to_fluxcal(mag):
    return 10.0 ** (-0.4 * (np.asarray(mag) - FLUXCAL_ZEROPOINT))


def fluxcal_to_mag(flux):
    flux = np.asarray(flux, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flux > 0, FLUXCAL_ZEROPOINT - 2.5 * np.log10(np.where(flux > 0, flux, 1.0)), 99.0)


def planck_fnu(lam, temp):
    """Blackbody f_nu up to a constant, for wavelength ``lam`` (A) and temperature ``temp`` (K)."""
    return lam ** -3.0 / np.expm1(np.minimum(_C2 / (lam * temp), 700.0))


@functools.lru_cache(maxsize=1)
def cosmology():
    """Flat Lambda-CDM, H0 = 70 km/s/Mpc, Omega_m = 0.315 (astropy; no radiation term, so its
    distances are closed-form elliptic integrals, fast on large arrays)."""
    from astropy.cosmology import FlatLambdaCDM

    return FlatLambdaCDM(H0=70.0, Om0=0.315)


def distance_modulus(z) -> np.ndarray:
    """Distance modulus (mag) at redshift ``z`` (z <= 0 is clipped to 1e-8 to stay finite)."""
    z = np.maximum(np.asarray(z, dtype=np.float64), 1e-8)
    return np.asarray(cosmology().distmod(z).value, dtype=np.float64)


# ----------------------------------------------------------------------------- transients
def _fireball_rise(xp, g):
    return (-np.expm1(-xp / g["tau_rise"])) ** 2  # ~ t^2 fireball rise


def bazin_shape(x, g: dict) -> np.ndarray:
    """Rise times exponential fall, at ``x`` rest days after explosion (0 before)."""
    xp = np.maximum(x, 0.0)
    return np.where(x > 0, _fireball_rise(xp, g) * np.exp(-xp / g["tau_fall"]), 0.0)


def powered_bazin_shape(x, g: dict) -> np.ndarray:
    """(1 - e^(-x/tr))^k ((1 - w) e^(-x/tf) + w e^(-x/t_tail)): a rise as slow as ZTF's half-maximum
    rise times need (k ~ 4) and a fall that slows down into a tail (weight ``tail_w``)."""
    xp = np.maximum(x, 0.0)
    fall = (1.0 - g["tail_w"]) * np.exp(-xp / g["tau_fall"]) + g["tail_w"] * np.exp(-xp / g["tail_tau"])
    return np.where(x > 0, (-np.expm1(-xp / g["tau_rise"])) ** g["rise_k"] * fall, 0.0)


def powered_bazin_peak(p: dict, iterations: int = 48) -> None:
    """``tau_peak`` and ``smax`` of :func:`powered_bazin_shape`: the root of d ln(shape) / dx,
    k e^(-x/tr) / (tr (1 - e^(-x/tr))) + fall'(x) / fall(x), by bisection on (0, 2000] rest days
    (positive at 0, negative far out; 48 halvings give ~1e-11 days)."""
    tr, k, w = p["tau_rise"], p["rise_k"], p["tail_w"]
    lo, hi = np.zeros_like(tr), np.full_like(tr, 2000.0)
    for _ in range(iterations):  # halvings of the bracket, not a loop over objects
        x = 0.5 * (lo + hi)
        a, b = (1.0 - w) * np.exp(-x / p["tau_fall"]), w * np.exp(-x / p["tail_tau"])
        slope = k * np.exp(-x / tr) / (tr * -np.expm1(-x / tr)) - (a / p["tau_fall"] + b / p["tail_tau"]) / (a + b)
        lo, hi = np.where(slope > 0, x, lo), np.where(slope > 0, hi, x)
    p["tau_peak"] = 0.5 * (lo + hi)
    p["smax"] = powered_bazin_shape(p["tau_peak"], p)


def plateau_shape(x, g: dict) -> np.ndarray:
    """Rise, slowly declining plateau of ``plateau`` rest days, then a radioactive Co tail (0 before)."""
    xp = np.maximum(x, 0.0)
    edge = 1.0 / (1.0 + np.exp(np.clip((xp - g["plateau"]) / 5.0, -50, 50)))
    s = (1 - g["tail"]) * np.exp(-xp / g["plateau_tau"]) * edge + g["tail"] * np.exp(-xp / 111.3)
    return np.where(x > 0, _fireball_rise(xp, g) * s, 0.0)


def tde_shape(x, g: dict) -> np.ndarray:
    """Rise, then a t^(-5/3) fallback decline with time scale ``t_decay`` (0 before)."""
    xp = np.maximum(x, 0.0)
    return np.where(x > 0, _fireball_rise(xp, g) * (1.0 + xp / g["t_decay"]) ** (-5.0 / 3.0), 0.0)


Shape = Callable[[np.ndarray, dict], np.ndarray]


def bazin_peak(p: dict) -> None:
    """Add ``tau_peak`` (rest days from explosion to peak) and ``smax`` to ``p``: the maximum of
    (1 - e^(-x/tr))^2 e^(-x/tf) is at x = tr ln(1 + 2 tf / tr)."""
    tr, tf = p["tau_rise"], p["tau_fall"]
    p["tau_peak"] = tr * np.log1p(2.0 * tf / tr)
    p["smax"] = (-np.expm1(-p["tau_peak"] / tr)) ** 2 * np.exp(-p["tau_peak"] / tf)


def grid_peak(shape: Shape, p: dict) -> None:
    """Add ``tau_peak`` and ``smax`` to ``p``, maximising ``shape`` on a fine grid (0-600 rest days)."""
    grid = 600.0 * np.linspace(0.0, 1.0, 400) ** 2
    n = len(p["M"])
    g = {k: v[:, None] for k, v in p.items()}
    values = shape(np.broadcast_to(grid, (n, grid.size)), g)
    best = np.argmax(values, axis=1)
    p["tau_peak"] = grid[best]
    p["smax"] = values[np.arange(n), best]


def _temperature(tau_since_peak, g):
    """Blackbody temperature (K) ``tau_since_peak`` rest days after peak: ``T_peak`` cooling towards
    ``T_late`` with e-folding ``tau_T``; constant before peak, or (``T_pre_days`` set) still cooling
    from ``T_pre_days`` rest days before peak (redder bands peak later)."""
    after = np.maximum(tau_since_peak, -g["T_pre_days"] if "T_pre_days" in g else 0.0)
    return g["T_late"] + (g["T_peak"] - g["T_late"]) * np.exp(-after / g["tau_T"])


def transient_flux(shape: Shape, p: dict, obj, mjd, band, bands: Passbands = LSST_PASSBANDS) -> np.ndarray:
    """FLUXCAL of an extragalactic transient with rest-frame ``shape`` at each observation (true,
    noiseless); ``p`` must hold ``tau_peak``/``smax`` (:func:`bazin_peak`, :func:`grid_peak`)."""
    g = {k: v[obj] for k, v in p.items()}
    z1 = 1.0 + g["z"]
    tau = (mjd - g["t_expl"]) / z1
    s = shape(tau, g) / g["smax"]
    lam = bands.lam[band] / z1
    if "bump" in g:  # SN Ia near-infrared secondary maximum
        red = 1.0 / (1.0 + np.exp(-(lam - 6500.0) / 300.0))
        delay = g["bump_days"] if "bump_days" in g else 28.0 * g["tau_rise"] / 3.5  # rest days after peak
        s = s + g["bump"] * red * np.exp(-0.5 * ((tau - g["tau_peak"] - delay) / 7.0) ** 2) \
            * (tau > 0)
    return _sed_scale(g, lam, _temperature(tau - g["tau_peak"], g), bands.mw_r[band]) * s


def _sed_scale(g, lam, temp, mw_r):
    """Flux at rest wavelength ``lam``: where ``g["shape_at_ref"]`` is set (every class but KN,
    :data:`.params.FADE_WITH_COOLING`) a blackbody of temperature ``temp`` relative to the current
    one at 4400 A: the shape is the 4400 A light curve and the blackbody only sets the colour (red
    bands fade more slowly as it cools); otherwise relative to the one at peak at 4400 A (cooling
    dims every band)."""
    ref_temp = np.where(g["shape_at_ref"] > 0, temp, g["T_peak"]) if "shape_at_ref" in g else g["T_peak"]
    sed = planck_fnu(lam, temp) / planck_fnu(_LAMBDA_REF, ref_temp)
    power = g["uv_power"] if "uv_power" in g else 10.0
    cut = g["uv_cut"]
    if "uv_grow" in g:  # line blanketing spreads redward as it cools (0 at T_peak, uv_grow at T_late)
        cut = cut + g["uv_grow"] * (g["T_peak"] - temp) / (g["T_peak"] - g["T_late"])
    uv = np.where(g["uv_cut"] > 0, 1.0 / (1.0 + (cut / lam) ** power), 1.0)
    extinction = g["AV"] * (lam / 5500.0) ** -1.3 + mw_r * g["mwebv"]
    return mag_to_fluxcal(g["M"] + g["mu"] + extinction) * (1.0 + g["z"]) * sed * uv


def transient_peak_mags(shape: Shape, p: dict, bands: Passbands = LSST_PASSBANDS) -> np.ndarray:
    """True observed magnitude of each object in each band at the peak epoch, shape (n, 6)."""
    n = len(p["M"])
    obj = np.repeat(np.arange(n), 6)
    band = np.tile(np.arange(6), n)
    mjd = p["t_peak"][obj]
    return fluxcal_to_mag(transient_flux(shape, p, obj, mjd, band, bands)).reshape(n, 6)


def sed_peak_mags(p: dict, bands: Passbands = LSST_PASSBANDS) -> np.ndarray:
    """True observed magnitude per band at peak, shape (n, 6), from the SED alone (the shape is 1
    there; the SN Ia near-infrared bump is weeks later): needs no peak time, so candidates too faint
    to be selected can be dropped before the light curves are computed."""
    n = len(p["M"])
    obj, band = np.repeat(np.arange(n), 6), np.tile(np.arange(6), n)
    g = {k: p[k][obj] for k in ("M", "mu", "z", "AV", "mwebv", "uv_cut", "uv_power", "uv_grow", "T_peak", "T_late") if k in p}
    lam = bands.lam[band] / (1.0 + g["z"])
    return fluxcal_to_mag(_sed_scale(g, lam, g["T_peak"], bands.mw_r[band])).reshape(n, 6)


# ----------------------------------------------------------------------------- AGN
def agn_mean_flux(p: dict) -> np.ndarray:
    """Mean FLUXCAL per band (n, 6): f_nu ~ nu^-0.5 power law, Lyman-alpha forest absorbed."""
    z1 = (1.0 + p["z"])[:, None]
    lam = BAND_LAMBDA[None, :] / z1
    lyman = 1.0 / (1.0 + np.exp(-(lam - 1216.0) / 40.0))
    ext = p["AV"][:, None] * (lam / 5500.0) ** -1.3 + MW_R[None, :] * p["mwebv"][:, None]
    return mag_to_fluxcal(p["M"][:, None] + p["mu"][:, None] + ext) * z1 * (lam / _LAMBDA_REF) ** 0.5 * lyman


def damped_random_walk(rng: np.random.Generator, mjd, offsets, tau, sigma, group: int = 256) -> np.ndarray:
    """Ornstein-Uhlenbeck (damped random walk) values at sorted times, one process per object.

    x_i = sum_k b_k e_k exp(-(t_i - t_k) / tau) is computed as a cumulative sum along a padded
    (objects x points) array, so there is no loop over observations; objects are processed in groups
    of similar length to keep the padding small, and t is taken relative to each object's first point
    so the exponentials stay finite (tau >= 2 days).
    """
    lengths = np.diff(offsets)
    out = np.empty(len(mjd))
    eps_all = rng.standard_normal(len(mjd))
    order = np.argsort(lengths, kind="stable")
    for start in range(0, len(order), group):  # groups of objects, not observations
        objs = order[start:start + group]
        lens = lengths[objs]
        width = int(lens.max(initial=0))
        if width == 0:
            continue
        pos = np.arange(width)[None, :]
        mask = pos < lens[:, None]
        idx = np.where(mask, offsets[objs][:, None] + pos, 0)
        t = np.where(mask, mjd[idx] - mjd[idx[:, :1]], 0.0)
        tau2 = np.maximum(tau[objs], 2.0)[:, None]
        dt = np.diff(t, axis=1, prepend=0.0)
        b = sigma[objs][:, None] * np.sqrt(-np.expm1(-2.0 * np.maximum(dt, 0.0) / tau2))
        b[:, 0] = sigma[objs]  # stationary start
        scale = np.minimum(t / tau2, 700.0)
        x = np.cumsum(b * np.where(mask, eps_all[idx], 0.0) * np.exp(scale), axis=1) * np.exp(-scale)
        out[idx[mask]] = x[mask]
    return out


def agn_flux(p: dict, obj, mjd, band, offsets, rng) -> tuple[np.ndarray, np.ndarray]:
    """(difference FLUXCAL against the mean-flux template, total FLUXCAL) of a variable AGN."""
    mean = agn_mean_flux(p)
    z1 = 1.0 + p["z"]
    x = damped_random_walk(rng, mjd, offsets, p["tau_rest"] * z1, p["sf_inf"] / np.sqrt(2.0))
    lam = BAND_LAMBDA[band] / z1[obj]
    dm = x * (lam / 4000.0) ** -0.5
    t_change = p["survey_start"] + p["cl_frac"] * p["survey_len"]
    arg = np.clip((mjd - t_change[obj]) / p["cl_width"][obj], -50, 50)
    dm = dm + p["cl_amp"][obj] / (1.0 + np.exp(-arg))
    base = mean[obj, band]
    total = base * 10.0 ** (-0.4 * dm)
    return total - base, total


# ----------------------------------------------------------------------------- Galactic sources
def quiescent_flux(p: dict) -> np.ndarray:
    """FLUXCAL of the quiescent (or mean) Galactic source per band, shape (n, 6)."""
    kind = p["kind"].astype(int)
    colours = _STAR_COLOURS[kind] * p["colour_scale"][:, None]
    return mag_to_fluxcal(p["mag_r"][:, None] + colours)


def _hash01(a, b):
    """Deterministic pseudo-random number in [0, 1) from two arrays (per-outburst jitter)."""
    v = np.sin(a * 12.9898 + b * 78.233) * 43758.5453
    return v - np.floor(v)


def _outburst_colour(band, temp):
    """Blackbody flux in ``band`` relative to g at temperature ``temp`` (outbursts, flares)."""
    return planck_fnu(BAND_LAMBDA[band], temp) / planck_fnu(BAND_LAMBDA[1], temp)


def flare_flux(p: dict, obj, t, band) -> np.ndarray:
    """M-dwarf flares (``flare_t``/``flare_amp`` slots, amplitude in quiescent g) on the quiescent star."""
    q = quiescent_flux(p)
    g = {k: v[obj] for k, v in p.items() if np.ndim(v) == 1}
    prof = np.zeros_like(t, dtype=np.float64)
    for k in range(p["flare_t"].shape[1]):  # a handful of flare slots, not observations
        dt = t - p["flare_t"][obj, k]
        rise = np.clip(dt / g["t_rise"], 0.0, 1.0)
        decay = np.exp(-np.maximum(dt - g["t_rise"], 0.0) / g["t_decay"])
        prof += p["flare_amp"][obj, k] * np.where(dt > 0, rise * decay, 0.0)
    return q[obj, band] + prof * q[obj, 1] * _outburst_colour(band, g["T_flare"])


def dwarf_nova_flux(p: dict, obj, t, band) -> np.ndarray:
    """Recurrent outbursts every ``period`` days (15 % jitter, every 4th a superoutburst when ``super``)."""
    q = quiescent_flux(p)
    g = {k: p[k][obj] for k in ("t_peak", "period", "seed", "super", "duration", "amp_mag", "t_decay", "T_out")}
    k0 = np.floor((t - g["t_peak"]) / g["period"])
    out = np.zeros_like(t, dtype=np.float64)
    for dk in (-1.0, 0.0):  # the current and the previous outburst
        k = k0 + dk
        start = g["t_peak"] + k * g["period"] + 0.15 * g["period"] * (_hash01(k, g["seed"]) - 0.5)
        sup = (g["super"] > 0) & (np.mod(k, 4) == 0)
        dur = g["duration"] * np.where(sup, 2.5, 1.0)
        amp = (10 ** (0.4 * (g["amp_mag"] + 0.5 * sup)) - 1.0) * (0.8 + 0.4 * _hash01(k + 0.5, g["seed"]))
        dt = t - start
        shape = np.where(dt < 0, 0.0, -np.expm1(-np.maximum(dt, 0) / 0.5)) \
            * np.exp(-np.maximum(dt - dur, 0.0) / g["t_decay"])
        out += amp * shape
    return q[obj, band] + out * q[obj, 1] * _outburst_colour(band, g["T_out"])


def paczynski_flux(p: dict, obj, t, band) -> np.ndarray:
    """Achromatic point-lens magnification of the source fraction ``fs`` of the blend."""
    g = {k: v[obj] for k, v in p.items() if np.ndim(v) == 1}
    u = np.sqrt(g["u0"] ** 2 + ((t - g["t_peak"]) / g["tE"]) ** 2)
    magnification = (u ** 2 + 2.0) / (u * np.sqrt(u ** 2 + 4.0))
    return quiescent_flux(p)[obj, band] * (1.0 + g["fs"] * (magnification - 1.0))


def _phase(g, t):
    return np.mod((t - g["t_peak"]) / g["period"] + g["phase0"], 1.0)


def pulsator_flux(p: dict, obj, t, band) -> np.ndarray:
    """Sawtooth-like pulsation (3 harmonics of weight ``harm``, an optional second mode ``mode2``)."""
    g = {k: v[obj] for k, v in p.items() if np.ndim(v) == 1}
    phase, h = _phase(g, t), g["harm"]
    wave = np.sin(2 * np.pi * phase) + h * np.sin(4 * np.pi * phase) / 2 + h ** 2 * np.sin(6 * np.pi * phase) / 3
    wave = wave / (1.0 + 0.6 * h)  # roughly unit peak-to-peak / 2
    wave = wave + g["mode2"] * np.sin(2 * np.pi * (t - g["t_peak"]) / (0.773 * g["period"]))
    dmag = -0.5 * g["amp"] * _PULSE_BAND[band] * wave  # fast rise, slow decline
    return quiescent_flux(p)[obj, band] * 10.0 ** (-0.4 * dmag)


def eclipsing_flux(p: dict, obj, t, band) -> np.ndarray:
    """Two Gaussian eclipses per period (the secondary deeper in the red) and ellipsoidal variation."""
    g = {k: v[obj] for k, v in p.items() if np.ndim(v) == 1}
    phase = _phase(g, t)
    d1 = 1 - 10 ** (-0.4 * g["depth1"])
    d2 = np.minimum((1 - 10 ** (-0.4 * g["depth2"])) * (BAND_LAMBDA[band] / 6223.0) ** 0.3, 0.95)
    w1 = (phase + 0.5) % 1.0 - 0.5
    w2 = phase % 1.0 - 0.5
    rel = 1.0 - d1 * np.exp(-0.5 * (w1 / g["width"]) ** 2) - d2 * np.exp(-0.5 * (w2 / g["width"]) ** 2) \
        - g["ellip"] * (1 - np.cos(4 * np.pi * phase)) / 2
    return quiescent_flux(p)[obj, band] * np.maximum(rel, 0.01)
