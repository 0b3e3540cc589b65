"""Redshift from luminosity distance, fast: an interpolation table built once per cosmology.

Two cosmologies, as PyCBC Live uses them for source classification:

* ``"planck15"``: astropy's :data:`astropy.cosmology.Planck15` (with radiation and massive
  neutrinos), PyCBC's default;
* ``"lal"``: the flat LambdaCDM of LALSuite / PESummary, H0 = 67.90 km/s/Mpc, Omega_m = 0.3065,
  no radiation (PyCBC's ``--src-class-lal-cosmology``).

astropy's ``z_at_value`` inverts D_L(z) with a scalar Brent search per value (milliseconds
each). Here D_L(z) is integrated once on a dense grid (Gauss-Legendre on every grid interval
of astropy's own ``inv_efunc``), and z(D_L) is a cubic Hermite interpolant that uses the exact
derivative dD_L/dz = D_C + (1 + z) D_H / E(z); relative error below 1e-11 in z.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

LAL_H0 = 67.90   # km/s/Mpc (LALSuite / PESummary Planck15_lal)
LAL_OM0 = 0.3065
Z_MAX = 20.0     # table range; D_L(20) is about 2.3e5 Mpc, far beyond any CBC trigger
_N_GRID = 6000
_GL_ORDER = 8

COSMOLOGIES = ("planck15", "lal")


def get_cosmology(cosmology: str | Any = "planck15"):
    """The astropy cosmology named ``"planck15"`` or ``"lal"`` (an astropy instance passes through)."""
    if not isinstance(cosmology, str):
        return cosmology
    from astropy.cosmology import FlatLambdaCDM, Planck15

    name = cosmology.lower()
    if name == "planck15":
        return Planck15
    if name == "lal":
        return FlatLambdaCDM(H0=LAL_H0, Om0=LAL_OM0)
    raise ValueError(f"unknown cosmology {cosmology!r}: use one of {COSMOLOGIES} or an astropy cosmology")


def _luminosity_distance_grid(cosmo, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """D_L (Mpc) and dD_L/dz on the grid ``z`` (z[0] == 0), integrating 1/E(z) per interval."""
    nodes, weights = np.polynomial.legendre.leggauss(_GL_ORDER)
    lo, hi = z[:-1], z[1:]
    half = 0.5 * (hi - lo)
    zz = (lo + half)[:, None] + half[:, None] * nodes[None, :]
    pieces = half * (np.asarray(cosmo.inv_efunc(zz)) @ weights)
    d_h = cosmo.hubble_distance.to_value("Mpc")
    d_c = d_h * np.concatenate([[0.0], np.cumsum(pieces)])
    d_l = (1.0 + z) * d_c
    deriv = d_c + (1.0 + z) * d_h * np.asarray(cosmo.inv_efunc(z))
    return d_l, deriv


@functools.lru_cache(maxsize=8)
def _table(key: str | int, cosmo_obj: Any = None):
    from scipy.interpolate import CubicHermiteSpline

    cosmo = get_cosmology(key) if cosmo_obj is None else cosmo_obj
    # denser near z = 0 where triggers live; uniform in log(1 + z)
    z = np.expm1(np.linspace(0.0, np.log1p(Z_MAX), _N_GRID))
    d_l, deriv = _luminosity_distance_grid(cosmo, z)
    return CubicHermiteSpline(d_l, z, 1.0 / deriv, extrapolate=False), d_l[-1]


def redshift_from_distance(distance: np.ndarray | float, cosmology: str | Any = "planck15") -> np.ndarray:
    """Redshift z at luminosity distance ``distance`` (Mpc), vectorised.

    Distances <= 0 give z = 0 (the physical lower bound; PyCBC would fail there), distances
    beyond D_L(z = 20) fall back to astropy's ``z_at_value``; NaN stays NaN.
    """
    d = np.asarray(distance, dtype=np.float64)
    if isinstance(cosmology, str):
        spline, d_max = _table(cosmology.lower())
    else:
        spline, d_max = _table(id(cosmology), cosmology)
    z = np.asarray(spline(np.clip(d, 0.0, d_max)), dtype=np.float64)
    z = np.where(d <= 0, 0.0, z)
    far = d > d_max
    if np.any(far):
        import astropy.units as u
        from astropy.cosmology import z_at_value

        cosmo = get_cosmology(cosmology)
        z = np.array(z, copy=True)
        z[far] = [z_at_value(cosmo.luminosity_distance, v * u.Mpc, zmax=1e4).value for v in d[far]]
    return z
