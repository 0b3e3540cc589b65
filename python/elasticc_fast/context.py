"""Per-object context beside the light curve: the ``--context`` tracks of the BTS benchmark.

- ``none``: photometry only.
- ``oracle``: ORACLE's host-galaxy and Milky Way HEAD columns of ELAsTiCC/SNANA tables (host
  photo-z, magnitudes, separation, MW E(B-V) ...) and the MW-plane and deep-field flags
  (:mod:`elasticc_fast.static_features`; SNANA sentinels become NaN): the context the ELAsTiCC
  models (the demo's) get.
- ``redshift``: the spectroscopic redshift (labelled "spec-z" in every table: it comes from the
  classification spectrum, so it is an upper bound on what a photometric survey gets), the
  absolute Galactic latitude ``|b|`` (degrees) and the Milky Way extinction ``A_V`` (mag) from the
  BTS table. ``peakabs``, ``duration``, ``rise`` and ``fade`` are measured on the whole light curve
  and are never inputs.

:func:`context_frame` gives the raw values (the feature baselines take them as they are, NaN
included); :func:`context_matrix` the same columns transformed for a network (log10 of the
redshift; NaN is left for the static-feature normalisation to fill).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .static_features import ORACLE_STATIC_COLUMNS, static_matrix, static_names

CONTEXTS = {"none": (), "redshift": ("redshift", "abs_b", "A_V"),
            "oracle": tuple(static_names(ORACLE_STATIC_COLUMNS, flags=True))}
#: the label the tables give each track
CONTEXT_LABELS = {"none": "photometry only", "redshift": "spec-z, |b|, A_V", "oracle": "ORACLE host + MW columns"}


def context_columns(kind: str) -> tuple[str, ...]:
    """The context column names of a track (``none`` or ``redshift``)."""
    if kind not in CONTEXTS:
        raise ValueError(f"unknown context {kind!r}: choose from {sorted(CONTEXTS)}")
    return CONTEXTS[kind]


def context_frame(static, kind: str, index=None) -> pd.DataFrame:
    """(n, C) raw context of every object from a batch's ``static`` table (pyarrow or pandas)."""
    cols = context_columns(kind)
    if kind == "oracle":
        return pd.DataFrame(context_matrix(static, kind), columns=list(cols), index=index)
    df = static.to_pandas() if isinstance(static, pa.Table) else pd.DataFrame(static)
    out = {}
    for c in cols:
        src = "b" if c == "abs_b" else c
        if src not in df.columns:
            raise ValueError(f"context {kind!r} needs a {src!r} column in the static table")
        v = pd.to_numeric(df[src], errors="coerce").to_numpy(np.float64)
        out[c] = np.abs(v) if c == "abs_b" else v
    return pd.DataFrame(out, index=index if index is not None else df.index)


def network_frame(static, kind: str) -> pd.DataFrame:
    """:func:`context_frame` (not ``oracle``) as a network sees it: ``log10(redshift)`` (clipped at
    1e-4), the other columns raw."""
    df = context_frame(static, kind)
    if "redshift" in df.columns:
        df["redshift"] = np.log10(np.clip(df["redshift"].to_numpy(), 1e-4, None))
    return df


#: the per-object values a network may learn to predict beside its classes (TrainConfig.aux_targets)
AUX_TARGETS = CONTEXTS["redshift"]


def aux_matrix(static, names: tuple[str, ...]) -> np.ndarray:
    """(n, A) float32 auxiliary training targets ``names`` (of :data:`AUX_TARGETS`) as
    :func:`network_frame` gives them (``log10(redshift)``, ``|b|`` in degrees, ``A_V`` in mag; NaN
    where unknown). Targets only: a model never takes them as inputs on a track without context."""
    df = network_frame(static, "redshift")
    return df[list(names)].to_numpy(np.float32).reshape(len(df), len(names))


def context_matrix(static, kind: str) -> np.ndarray:
    """(n, C) float32 context for a network: ``log10(redshift)`` (clipped at 1e-4), others raw."""
    if kind == "oracle":
        table = static if isinstance(static, pa.Table) else pa.Table.from_pandas(pd.DataFrame(static))
        return static_matrix(table, ORACLE_STATIC_COLUMNS, flags=True, missing=np.nan)
    df = network_frame(static, kind)
    return df.to_numpy(np.float32).reshape(len(df), len(df.columns))
