"""Type stubs of elasticc_fast._core (one block per binding file)."""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__version__: str

# ---- preprocessing, windowing, static features (cpp/bind_augment.cpp) ----
def preprocess(
    mjd: NDArray[np.float64], band: NDArray[np.uint8], flux: NDArray[np.float32],
    flux_err: NDArray[np.float32], flag: NDArray[np.int32], offsets: NDArray[np.int64],
    trigger: str, history: str, threads: int = 0,
) -> tuple[NDArray[np.float64], NDArray[np.uint8], NDArray[np.float32], NDArray[np.float32],
           NDArray[np.int32], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """(mjd, band, flux, flux_err, flag, offsets, kept_index, trigger_mjd) of the kept objects."""
def augment(
    mjd: NDArray[np.float64], band: NDArray[np.uint8], flux: NDArray[np.float32],
    flux_err: NDArray[np.float32], flag: NDArray[np.int32], offsets: NDArray[np.int64],
    trigger_mjd: NDArray[np.float64], static: NDArray[np.float32], windows: str,
    days: NDArray[np.float64], min_length: int, max_length: int, keep_last: bool, seed: int,
    index_base: int, time_scale: float, flux_scale: str, flux_divisor: float,
    band_encoding: str, pad_to: int, threads: int = 0, out: NDArray[np.float32] | None = None,
) -> dict[str, NDArray[Any]]:
    """dict with x (N, T, F) float32, lengths int32, source int64, t_end float64, static (N, S) float32, days float64."""
def static_features(
    values: NDArray[np.float64], ra: NDArray[np.float64], dec: NDArray[np.float64], flags: bool,
    missing: float, sentinels: NDArray[np.float64], sin_b_max: float, ngp: NDArray[np.float64],
    ddf: NDArray[np.float64], cos_radius: float,
) -> NDArray[np.float32]:
    """(n, S) float32: HEAD values (sentinels -> missing) then MW-plane and DDF flags."""
# ---- end preprocessing, windowing, static features ----

# ---- FITS / SNANA reader (cpp/bind_fits.cpp) ----
# A column is (name, kind, tform, data): data is a NumPy array for numbers (kind "bool": int8
# 1/0/-1 for null) or (offsets int32 (n+1), bytes uint8) for kind "string". A source is a path
# (str / os.PathLike) or the file's bytes; `name` labels bytes in error messages.
def read_fits_table(source: Any, name: str | None = None) -> tuple[int, list[tuple[str, str, str, Any]]]:
    """(n_rows, [(name, kind, tform, data), ...]) of the first BINTABLE (plain or gzip FITS)."""
def read_fits_header(source: Any, name: str | None = None) -> tuple[int, list[tuple[str, str, str]]]:
    """(n_rows, [(name, kind, tform), ...]) from the first BINTABLE's header only."""
def read_snana_pair(
    head: Any, phot: Any, layout: str = "pointers", head_name: str | None = None,
    phot_name: str | None = None,
) -> tuple[int, list[tuple[str, str, str, Any]], list[tuple[str, str, str, Any]], NDArray[np.int64]]:
    """(n_objects, head_columns, phot_columns, offsets (n+1)): PHOT rows per object, MJD-sorted."""
def read_snana_pairs(
    heads: list[Any], phots: list[Any], layout: str = "pointers",
) -> tuple[int, list[tuple[str, str, str, Any]], list[tuple[str, str, str, Any]], NDArray[np.int64]]:
    """Several pairs with the same columns in one call, objects back to back (as read_snana_pair)."""
def read_fits_headers(sources: list[Any]) -> list[tuple[Any, ...]]:
    """Per file ("ok", n_rows, signature) or ("error", message); signature: "name\tkind\ttform\n" lines."""
# ---- end FITS / SNANA reader ----
