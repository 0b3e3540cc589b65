"""Per-object static features: chosen HEAD columns with SNANA sentinels mapped to one missing value,
plus a Milky-Way-plane flag and one flag per LSST deep-drilling field (ORACLE's recipe, SCIENCE.md 2).

The C++ kernel (`_core.static_features`) and the pure-Python twin (`reference.static_row`) share
the constants defined here. Sky positions go through fixed rotations (no astropy frame per call),
so a broker-size batch costs microseconds here: :func:`galactic_latitude` is the NumPy form of
what the kernel tests, equal to astropy's ``SkyCoord(...).galactic.b`` to 1e-9 degrees.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa

from .units import HEAD_SENTINELS

#: ORACLE's 18 HEAD columns (its ``static_feature_list`` without the 5 computed flags)
ORACLE_STATIC_COLUMNS: tuple[str, ...] = (
    "MWEBV", "MWEBV_ERR", "REDSHIFT_HELIO", "REDSHIFT_HELIO_ERR", "HOSTGAL_PHOTOZ",
    "HOSTGAL_PHOTOZ_ERR", "HOSTGAL_SPECZ", "HOSTGAL_SPECZ_ERR", "HOSTGAL_RA", "HOSTGAL_DEC",
    "HOSTGAL_SNSEP", "HOSTGAL_ELLIPTICITY", "HOSTGAL_MAG_u", "HOSTGAL_MAG_g", "HOSTGAL_MAG_r",
    "HOSTGAL_MAG_i", "HOSTGAL_MAG_z", "HOSTGAL_MAG_Y",
)
#: names of the computed flags, in output order (after the HEAD columns)
FLAG_NAMES: tuple[str, ...] = (
    "MW_plane_flag", "ELAIS_S1_flag", "XMM-LSS_flag", "Extended_Chandra_Deep_Field-South_flag",
    "COSMOS_flag",
)
#: |galactic latitude| below this (degrees) sets MW_plane_flag
MW_PLANE_B_DEG = 15.0
#: a deep-drilling-field flag is set within this separation (degrees) of the field centre
DDF_RADIUS_DEG = 1.75
#: field centres (RA, Dec) in ICRS degrees: ORACLE's galactic (l, b) = (311.30, -72.90),
#: (171.20, -58.77), (224.07, -54.47), (236.83, 42.09) converted with astropy
DDF_CENTRES_DEG: tuple[tuple[float, float], ...] = (
    (9.448703380697637, -44.00589974973602),
    (35.70529165765262, -4.746947092344231),
    (53.12767576102313, -28.09884005973444),
    (150.09673299816177, 2.182788535542579),
)
#: unit vector of the north galactic pole in ICRS (third row of astropy's ICRS -> Galactic matrix)
NGP_ICRS: tuple[float, float, float] = (-0.8676661375596576, -0.19807633727300053, 0.4559838136873016)
#: ICRS -> Galactic rotation (rows: the Galactic x, y, z axes in ICRS), from astropy 7 as
#: ``SkyCoord(CartesianRepresentation(e_i), frame="icrs").galactic.cartesian`` for the unit vectors
ICRS_TO_GALACTIC: tuple[tuple[float, float, float], ...] = (
    (-0.05487565771259163, -0.8734370519556159, -0.48383507361671546),
    (0.4941094371927268, -0.44482972122329517, 0.7469821839866676),
    (-0.8676661375596576, -0.19807633727300059, 0.45598381368730156),
)
#: ORACLE's value for a missing static feature
MISSING = -9.0


def static_names(columns: Sequence[str], flags: bool) -> list[str]:
    """Names of the static features in output order."""
    return list(columns) + (list(FLAG_NAMES) if flags else [])


def head_matrix(static: pa.Table, columns: Sequence[str]) -> np.ndarray:
    """(n, k) float64 C-contiguous matrix of the chosen columns; nulls -> NaN (treated as missing).

    Numbers are read straight from the Arrow buffers (no cast or fill per column: a column
    without nulls in one chunk is a zero-copy view), so a call costs a few microseconds a column.
    """
    names = set(static.column_names)
    absent = [c for c in columns if c not in names]
    if absent:
        raise ValueError(f"static column(s) {absent} not in the batch's static table "
                         f"(it has {static.num_columns} columns; choose others with static_columns=)")
    out = np.empty((static.num_rows, len(columns)), dtype=np.float64)
    for j, name in enumerate(columns):
        out[:, j] = _as_float(static.column(name), name)
    return out


def _as_float(col: pa.ChunkedArray, name: str) -> np.ndarray:
    t = col.type
    if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)):
        raise ValueError(f"static column {name!r} has type {t}, expected a number")
    if col.null_count == 0 and col.num_chunks == 1 and not pa.types.is_boolean(t):
        return col.chunk(0).to_numpy()
    if pa.types.is_boolean(t) or pa.types.is_integer(t):  # nulls: Arrow gives objects or floats
        col = col.cast(pa.float64())
    return col.to_numpy()  # float nulls come back as NaN


def galactic_latitude(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    """Galactic latitude b (degrees) of ICRS positions (degrees), by the fixed rotation
    ``ICRS_TO_GALACTIC``; ``atan2`` keeps full precision near the poles."""
    a, d = np.radians(np.asarray(ra_deg, np.float64)), np.radians(np.asarray(dec_deg, np.float64))
    v = np.stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
    x, y, z = np.asarray(ICRS_TO_GALACTIC) @ v.reshape(3, -1)
    return np.degrees(np.arctan2(z, np.hypot(x, y))).reshape(np.shape(ra_deg))


def sky_position(static: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(RA, Dec) in degrees as float64 arrays from the static table (needed for the flags)."""
    names = set(static.column_names)
    for name in ("RA", "DEC"):
        if name not in names:
            raise ValueError(f"static flags need column {name!r} in the batch's static table "
                             "(pass static_flags=False to skip them)")
    ra, dec = head_matrix(static, ("RA", "DEC")).T
    return np.ascontiguousarray(ra), np.ascontiguousarray(dec)


def is_sentinel(value: float) -> bool:
    """True for SNANA's missing-value sentinels and NaN."""
    return value != value or value in HEAD_SENTINELS


# the kernel's constants as arrays, made once (not per call: a broker batch is microseconds of work)
_KERNEL_CONSTANTS = (
    np.array(HEAD_SENTINELS, dtype=np.float64), float(np.sin(np.radians(MW_PLANE_B_DEG))),
    np.array(NGP_ICRS, dtype=np.float64), np.array(DDF_CENTRES_DEG, dtype=np.float64),
    float(np.cos(np.radians(DDF_RADIUS_DEG))),
)


def static_matrix(static: pa.Table, columns: Sequence[str] = ORACLE_STATIC_COLUMNS, flags: bool = True,
                  missing: float = MISSING) -> np.ndarray:
    """(n, S) float32 static features of each row of ``static`` (C++ ``_core.static_features``):
    ``columns`` with sentinels and NaN mapped to ``missing``, then the flags (``FLAG_NAMES``)."""
    from . import _core

    values = head_matrix(static, columns)
    if flags:
        ra, dec = sky_position(static)
    else:
        ra = dec = np.zeros(static.num_rows)
    sentinels, sin_b_max, ngp, ddf, cos_radius = _KERNEL_CONSTANTS
    return _core.static_features(values, ra, dec, flags, float(missing), sentinels, sin_b_max, ngp, ddf,
                                 cos_radius)
