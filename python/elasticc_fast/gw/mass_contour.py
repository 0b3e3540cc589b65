"""Source classification by the chirp-mass contour method of PyCBC Live, vectorised.

For each trigger (detector-frame chirp mass M, network SNR rho, smallest effective distance
D_eff over detectors; masses in solar masses, distances in Mpc):

1. luminosity distance D_L = a0 D_eff and its spread sigma_D = D_L exp(b0) rho**b1;
2. z = z(D_L), sigma_z = (z(D_L + sigma_D) - z(D_L - sigma_D)) / 2 (``cosmology.py``);
3. source-frame chirp mass M / (1 + z) and its spread M_src sqrt(m0**2 + (sigma_z / (1 + z))**2);
4. the band of the (m1 >= m2) plane between the chirp-mass curves M_src -/+ spread is cut into
   BNS, NSBH, BBH (and mass-gap) regions; P(class) = area in the class / total area.

PyCBC (``pycbc.mchirp_area``) integrates each region with ``scipy.integrate.quad`` and solves a
cubic with ``numpy.roots`` per point, about 0.1 s per trigger. Here the same region geometry
(including PyCBC's clipping of the integration limits, so results agree to rounding) uses
closed forms, for whole arrays at once:

* the other component on a chirp-mass curve solves m**3 - a m - a m_known = 0, a = M**5 /
  m_known**3; its positive root comes from Cardano's formula (trigonometric form when the
  cubic has three real roots), polished by one Newton step;
* with u = m2 / (m1 + m2) along a curve of chirp mass M, m1 = M u**(-3/5) (1-u)**(2/5) and
  m2 = M u**(2/5) (1-u)**(-3/5), and the area under the curve is exact:
  integral m2 dm1 = M**2 [G(u)], G(u) = (3 - 5u) (u (1-u))**(-1/5) + 3 B(4/5, 4/5) I_u(4/5, 4/5)
  with I the regularised incomplete beta function.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import special

from .cosmology import redshift_from_distance
from .defaults import M0_DEFAULT, PYCBC_A0, PYCBC_B0, PYCBC_B1  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

_B45 = special.beta(0.8, 0.8)
_TWO_FIFTH = 2.0 ** 0.2


@dataclass(frozen=True)
class MassLimits:
    """Component-mass limits of the source classes (solar masses)."""

    min_m2: float = 1.0     # lightest component considered
    ns_max: float = 3.0     # heaviest neutron star
    gap_max: float = 5.0    # lightest black hole when a mass gap is used
    max_m1: float = 45.0    # heaviest component considered


def other_component(mchirp: np.ndarray, m_known: np.ndarray | float) -> np.ndarray:
    """The other component mass on the chirp-mass curve ``mchirp`` through ``m_known`` (vectorised).

    Positive real root of m**3 - a m - a m_known = 0 with a = mchirp**5 / m_known**3.
    """
    mc = np.asarray(mchirp, dtype=np.float64)
    mk = np.asarray(m_known, dtype=np.float64)
    a = mc ** 5 / mk ** 3
    disc = a * a * mk * mk / 4.0 - a ** 3 / 27.0
    with np.errstate(invalid="ignore", divide="ignore"):
        # one real root: Cardano with t1 * t2 = a / 3 (avoids cancellation in the second root)
        t1 = np.cbrt(a * mk / 2.0 + np.sqrt(np.maximum(disc, 0.0)))
        one = t1 + a / (3.0 * t1)
        # three real roots: the largest one (k = 0) of the trigonometric form
        arg = np.clip(1.5 * mk * np.sqrt(3.0 / a), -1.0, 1.0)
        three = 2.0 * np.sqrt(a / 3.0) * np.cos(np.arccos(arg) / 3.0)
    x = np.where(disc >= 0, one, three)
    f = x ** 3 - a * x - a * mk
    fp = 3.0 * x * x - a
    return x - np.where(fp != 0, f / fp, 0.0)


def _antiderivative(u: np.ndarray) -> np.ndarray:
    """G(u) with integral of m2 dm1 along a chirp-mass curve = M**2 dG (see module docstring)."""
    return (3.0 - 5.0 * u) * (u * (1.0 - u)) ** -0.2 + 3.0 * _B45 * special.betainc(0.8, 0.8, u)


def _area_under_curve(mchirp: np.ndarray, m1_lo: np.ndarray, m1_hi: np.ndarray) -> np.ndarray:
    """Integral of m2(m1) over m1 in [m1_lo, m1_hi] along the curve of chirp mass ``mchirp``."""
    out = np.zeros(np.broadcast(mchirp, m1_lo, m1_hi).shape)
    nz = m1_hi != m1_lo  # most regions miss most bands (limits clipped together): skip them
    if not nz.any():
        return out
    mc, lo, hi = mchirp[nz], m1_lo[nz], m1_hi[nz]
    m2_lo = other_component(mc, lo)
    m2_hi = other_component(mc, hi)
    out[nz] = mc * mc * (_antiderivative(m2_hi / (hi + m2_hi)) - _antiderivative(m2_lo / (lo + m2_lo)))
    return out


def region_area(mc_lo: np.ndarray, mc_hi: np.ndarray, upper: float | str, lower: float,
                left: float, right: float) -> np.ndarray:
    """Area of the band mc_lo < M < mc_hi inside one region of the (m1, m2) plane, as PyCBC cuts it.

    The region is ``left <= m1 <= right`` and ``lower <= m2 <= upper`` (``upper="diagonal"``:
    m2 <= m1). Mirrors ``pycbc.mchirp_area.get_area`` term by term, in closed form.
    """
    if upper == "diagonal":
        hi_up, lo_up = _TWO_FIFTH * mc_hi, _TWO_FIFTH * mc_lo
    else:
        hi_up, lo_up = other_component(mc_hi, upper), other_component(mc_lo, upper)
    hi_low, lo_low = other_component(mc_hi, lower), other_component(mc_lo, lower)
    hi_up, hi_low, lo_up, lo_low = (np.clip(v, left, right) for v in (hi_up, hi_low, lo_up, lo_low))
    under_hi = _area_under_curve(mc_hi, hi_up, hi_low)
    under_lo = _area_under_curve(mc_lo, lo_up, lo_low)
    if upper == "diagonal":
        line_up = 0.5 * (hi_up * hi_up - lo_up * lo_up)
    else:
        line_up = upper * (hi_up - lo_up)
    line_low = lower * (hi_low - lo_low)
    return under_hi + line_up - under_lo - line_low


def class_areas(mc_src: np.ndarray, mc_src_err: np.ndarray, limits: MassLimits = MassLimits(),
                mass_gap: bool = False) -> dict[str, np.ndarray]:
    """Areas of each source class between the chirp-mass curves mc_src -/+ mc_src_err (Msun**2)."""
    lo = np.maximum(mc_src - mc_src_err, 1e-9 * mc_src)
    hi = mc_src + mc_src_err
    ns, m2min, m1max = limits.ns_max, limits.min_m2, limits.max_m1
    gap = limits.gap_max if mass_gap else limits.ns_max
    areas = {
        "BNS": region_area(lo, hi, "diagonal", m2min, m2min, ns),
        "NSBH": region_area(lo, hi, ns, m2min, gap, m1max),
        "BBH": region_area(lo, hi, "diagonal", gap, gap, m1max),
    }
    if mass_gap:
        areas["MassGap"] = (region_area(lo, hi, ns, m2min, ns, gap)            # NS + gap object
                            + region_area(lo, hi, "diagonal", ns, ns, gap)      # both in the gap
                            + region_area(lo, hi, gap, ns, gap, m1max))         # BH + gap object
    return areas


def distance_estimate(eff_distance: np.ndarray, snr: np.ndarray, a0: float, b0: float,
                      b1: float) -> tuple[np.ndarray, np.ndarray]:
    """Luminosity distance a0 * D_eff and its spread D_L exp(b0) snr**b1 (Mpc)."""
    d_l = a0 * eff_distance
    return d_l, d_l * np.exp(b0) * snr ** b1


def source_mchirp(mchirp: np.ndarray, eff_distance: np.ndarray, snr: np.ndarray, *, a0: float,
                  b0: float, b1: float, m0: float = M0_DEFAULT, cosmology="planck15"):
    """Redshift, source-frame chirp mass and its spread for each trigger: (z, M_src, sigma_M_src)."""
    d_l, d_err = distance_estimate(eff_distance, snr, a0, b0, b1)
    z = redshift_from_distance(d_l, cosmology)
    z_err = 0.5 * (redshift_from_distance(d_l + d_err, cosmology)
                   - redshift_from_distance(d_l - d_err, cosmology))
    mc_src = mchirp / (1.0 + z)
    mc_src_err = mc_src * np.sqrt(m0 ** 2 + (z_err / (1.0 + z)) ** 2)
    return z, mc_src, mc_src_err


def _min_distance(eff_distance) -> np.ndarray:
    d = np.asarray(eff_distance, dtype=np.float64)
    if d.ndim == 2:  # (triggers, detectors): PyCBC uses the smallest effective distance
        with np.errstate(invalid="ignore"):
            d = np.nanmin(np.where(d > 0, d, np.nan), axis=1)
    return d


def source_probabilities(mchirp, eff_distance, snr, *, a0: float = PYCBC_A0, b0: float = PYCBC_B0,
                         b1: float = PYCBC_B1, m0: float = M0_DEFAULT, mass_gap: bool = False,
                         cosmology="planck15", limits: MassLimits = MassLimits()):
    """Probability of each source class per trigger from the chirp-mass contour (PyCBC Live's method).

    Parameters
    ----------
    mchirp : array (n,)
        detector-frame chirp mass (Msun).
    eff_distance : array (n,) or (n, detectors)
        effective distance (Mpc); with one column per detector the smallest positive one is used.
    snr : array (n,)
        network (coincident or coherent) SNR.
    a0, b0, b1 : float
        distance model, D_L = a0 D_eff, sigma_D = D_L exp(b0) snr**b1 (see :func:`fit_distance_model`).
    m0 : float
        relative chirp-mass uncertainty (PyCBC's ``--src-class-mchirp-to-delta``).
    mass_gap : bool
        add a ``MassGap`` class for components in (ns_max, gap_max].
    cosmology : ``"planck15"``, ``"lal"`` or an astropy cosmology.

    Returns
    -------
    pandas.DataFrame with columns BNS, NSBH, BBH (and MassGap), each row summing to 1.
    """
    import pandas as pd

    mc = np.atleast_1d(np.asarray(mchirp, dtype=np.float64))
    snr = np.atleast_1d(np.asarray(snr, dtype=np.float64))
    d = np.atleast_1d(_min_distance(eff_distance))
    if not (mc.shape == snr.shape == d.shape):
        raise ValueError(f"mchirp {mc.shape}, eff_distance {d.shape} and snr {snr.shape} must have one row per trigger")
    z, mc_src, mc_err = source_mchirp(mc, d, snr, a0=a0, b0=b0, b1=b1, m0=m0, cosmology=cosmology)
    # outside the plane's chirp-mass range the answer is certain (PyCBC's shortcut)
    all_bbh = mc > limits.max_m1 / _TWO_FIFTH * (1.0 + z)
    all_bns = ~all_bbh & (mc < limits.min_m2 / _TWO_FIFTH * (1.0 + z))
    rest = ~(all_bbh | all_bns)
    areas = class_areas(mc_src[rest], mc_err[rest], limits, mass_gap)
    total = np.full(mc.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        total[rest] = sum(areas.values())
        probs = {}
        for k, v in areas.items():
            p = np.where(all_bbh, float(k == "BBH"), float(k == "BNS"))
            p[rest] = v / total[rest]
            probs[k] = p
    bad = ~np.isfinite(total) & rest
    if np.any(bad):
        log.warning("%d trigger(s) with invalid inputs (non-finite mass, distance or SNR): NaN probabilities",
                    int(bad.sum()))
    return pd.DataFrame(probs)


def fit_distance_model(eff_distance, snr, bayestar_mean, bayestar_std) -> tuple[float, float, float]:
    """Fit (a0, b0, b1) of the distance model to BAYESTAR sky-map distances (as PyCBC Live did).

    a0 is the mean ratio D_BAYESTAR / D_eff (smallest D_eff per trigger); b1 (slope) and b0
    (intercept) are the least-squares line of ln(sigma_BAYESTAR / (a0 D_eff)) against ln(snr).
    """
    d = _min_distance(eff_distance)
    mean = np.asarray(bayestar_mean, dtype=np.float64)
    std = np.asarray(bayestar_std, dtype=np.float64)
    rho = np.asarray(snr, dtype=np.float64)
    if len(d) < 3:
        raise ValueError(f"need at least 3 triggers to fit the distance model, got {len(d)}")
    a0 = float(np.mean(mean / d))
    b1, b0 = np.polyfit(np.log(rho), np.log(std / (a0 * d)), 1)
    return a0, float(b0), float(b1)
