"""Static features without astropy per call: the fixed rotation gives astropy's Galactic latitude
to 1e-9 degrees, the C++ plane flag follows it, and the column reader maps every null to NaN."""
from __future__ import annotations

import astropy.units as u
import numpy as np
import pyarrow as pa
import pytest
from astropy.coordinates import SkyCoord

from elasticc_fast.static_features import (
    MW_PLANE_B_DEG,
    ORACLE_STATIC_COLUMNS,
    galactic_latitude,
    head_matrix,
    static_matrix,
)


def _positions(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on the sphere, plus points near the Galactic poles and the |b| = 15 deg edges."""
    rng = np.random.default_rng(seed)
    ra, dec = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    gal = SkyCoord(l=rng.uniform(0, 360, 400) * u.deg,
                   b=np.concatenate([rng.uniform(89.9, 90, 100), rng.uniform(-90, -89.9, 100),
                                     rng.uniform(14.9, 15.1, 100), rng.uniform(-15.1, -14.9, 100)]) * u.deg,
                   frame="galactic").icrs
    return np.concatenate([ra, gal.ra.deg]), np.concatenate([dec, gal.dec.deg])


def test_galactic_latitude_equals_astropy_to_1e9_degrees():
    ra, dec = _positions(5000, 1)
    want = SkyCoord(ra=ra * u.deg, dec=dec * u.deg).galactic.b.deg
    got = galactic_latitude(ra, dec)
    assert np.max(np.abs(got - want)) < 1e-9
    assert galactic_latitude(np.float64(10.0), np.float64(-20.0)).shape == ()


def test_kernel_plane_flag_follows_the_latitude():
    ra, dec = _positions(3000, 2)
    b = SkyCoord(ra=ra * u.deg, dec=dec * u.deg).galactic.b.deg
    static = pa.table({"RA": ra, "DEC": dec})
    flags = static_matrix(static, (), True)
    clear = np.abs(np.abs(b) - MW_PLANE_B_DEG) > 1e-9  # a point on the edge itself may go either way
    np.testing.assert_array_equal(flags[clear, 0], (np.abs(b) < MW_PLANE_B_DEG)[clear])
    assert 0 < flags[:, 0].sum() < len(ra)


def test_head_matrix_nulls_types_and_chunks():
    n = 5
    ints = pa.array([1, None, 3, 4, None], pa.int16())
    table = pa.table({
        "f": pa.chunked_array([[1.5, None], [2.5, 3.5, None]], pa.float64()),
        "i": ints, "i_full": pa.array([7, 8, 9, 10, 11], pa.int64()),
        "b": pa.array([True, None, False, True, False]), "f32": pa.array([0.5] * n, pa.float32()),
    })
    got = head_matrix(table, ["f", "i", "i_full", "b", "f32"])
    want = np.array([[1.5, 1, 7, 1, 0.5], [np.nan, np.nan, 8, np.nan, 0.5], [2.5, 3, 9, 0, 0.5],
                     [3.5, 4, 10, 1, 0.5], [np.nan, np.nan, 11, 0, 0.5]])
    np.testing.assert_array_equal(got, want)
    assert got.flags.c_contiguous and got.dtype == np.float64
    with pytest.raises(ValueError, match="static column 's' has type string"):
        head_matrix(pa.table({"s": ["a"]}), ["s"])
    with pytest.raises(ValueError, match=r"static column\(s\) \['nope'\] not in"):
        head_matrix(table, ["f", "nope"])


def test_static_matrix_maps_sentinels_and_keeps_values():
    cols = ORACLE_STATIC_COLUMNS[:3]
    table = pa.table({cols[0]: [-999.0, 0.25], cols[1]: pa.array([None, 7], pa.int32()), cols[2]: [1e-3, -9.0],
                      "RA": [10.0, 200.0], "DEC": [-40.0, 10.0]})
    got = static_matrix(table, cols, flags=False, missing=-9.0)
    np.testing.assert_array_equal(got, np.array([[-9, -9, 1e-3], [0.25, 7, -9]], np.float32))
