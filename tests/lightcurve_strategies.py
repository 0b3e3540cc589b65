"""Hypothesis strategies for random light-curve batches (shared by the preprocess/augment tests)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import strategies as st

from elasticc_fast.batch import LightCurveBatch
from elasticc_fast.static_features import ORACLE_STATIC_COLUMNS

# flags: plain, detection, trigger+detection, saturated, saturated detection, trigger alone, saturated trigger
FLAGS = [0, 4096, 4096 | 2048, 1024, 1024 | 4096, 2048, 2048 | 1024 | 4096]
MJDS = st.one_of(st.sampled_from([60000.0, 60000.5, 60001.0, 60010.25]),  # ties on purpose
                 st.floats(59000, 62000), st.just(float("nan")))
FLUX = st.one_of(st.floats(-1e4, 1e6, width=32), st.just(float("nan")), st.just(float("inf")))
STATIC_VALUE = st.one_of(st.sampled_from([-9.0, -99.0, -999.0, -9999.0, 999.0, float("nan")]),
                         st.floats(-100, 100))

point = st.tuples(MJDS, st.integers(0, 5), FLUX, st.floats(0, 1e4, width=32), st.sampled_from(FLAGS))


@st.composite
def objects(draw, max_objects: int = 6, max_points: int = 25):
    """A list of objects, each a list of (mjd, band, flux, flux_err, flag) in random order."""
    return draw(st.lists(st.lists(point, max_size=max_points), max_size=max_objects))


@st.composite
def batches(draw, max_objects: int = 6, max_points: int = 25, with_labels: bool = True) -> LightCurveBatch:
    objs = draw(objects(max_objects, max_points))
    n = len(objs)
    pts = [p for o in objs for p in o]
    cols = list(zip(*pts, strict=True)) if pts else [[]] * 5
    static = {c: [draw(STATIC_VALUE) for _ in range(n)] for c in ORACLE_STATIC_COLUMNS}
    static["RA"] = [draw(st.floats(0, 360)) for _ in range(n)]
    static["DEC"] = [draw(st.floats(-90, 90)) for _ in range(n)]
    return LightCurveBatch.from_arrays(
        mjd=np.array(cols[0], dtype=np.float64), band=np.array(cols[1], dtype=np.uint8),
        flux=np.array(cols[2], dtype=np.float32), flux_err=np.array(cols[3], dtype=np.float32),
        flag=np.array(cols[4], dtype=np.int32), lengths=[len(o) for o in objs],
        ids=np.arange(n, dtype=np.int64) + 1000,
        static=pa.table({k: pa.array(v, type=pa.float64()) for k, v in static.items()}),
        labels=np.arange(n) % 3 if with_labels else None)
