"""Per-object static features: chosen HEAD columns with SNANA sentinels mapped to one missing value,
plus a Milky-Way-plane flag and one flag per LSST deep-drilling field (ORACLE's recipe, SCIENCE.md 2).

The C++ kernel (`_core.static_features`) and the pure-Python twin (`reference.static_row`) share
the constants defined here.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
#: ORACLE's value for a missing static feature
MISSING = -9.0


def static_names(columns: Sequence[str], flags: bool) -> list[str]:
    """Names of the static features in output order."""
    return list(columns) + (list(FLAG_NAMES) if flags else [])


def head_matrix(static: pa.Table, columns: Sequence[str]) -> np.ndarray:
    """(n, k) float64 C-contiguous matrix of the chosen columns; nulls -> NaN (treated as missing)."""
    n = static.num_rows
    out = np.empty((n, len(columns)), dtype=np.float64)
    absent = [c for c in columns if c not in static.column_names]
    if absent:
        raise ValueError(f"static column(s) {absent} not in the batch's static table "
                         f"(it has {static.num_columns} columns; choose others with static_columns=)")
    for j, name in enumerate(columns):
        col = static.column(name)
        if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type)):
            raise ValueError(f"static column {name!r} has type {col.type}, expected a number")
        out[:, j] = pc.cast(col, pa.float64()).fill_null(float("nan")).to_numpy()
    return out


def sky_position(static: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """(RA, Dec) in degrees as float64 arrays from the static table (needed for the flags)."""
    for name in ("RA", "DEC"):
        if name not in static.column_names:
            raise ValueError(f"static flags need column {name!r} in the batch's static table "
                             "(pass static_flags=False to skip them)")
    ra, dec = head_matrix(static, ("RA", "DEC")).T
    return np.ascontiguousarray(ra), np.ascontiguousarray(dec)


def is_sentinel(value: float) -> bool:
    """True for SNANA's missing-value sentinels and NaN."""
    return value != value or value in HEAD_SENTINELS
