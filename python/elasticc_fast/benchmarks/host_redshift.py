"""Recall of a real set by the host's redshift (``benchmark sim-to-real``): where in redshift a model
trained on the simulator misses real objects. The redshift is the one the classifier is given: the
host's spectroscopic redshift where it has one, else its photometric redshift (ELAsTiCC writes a
missing value as -9 or -999; hostless objects, such as M-dwarf flares, have none)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

#: upper edges of the host-redshift bins; the last bin is everything above the last edge
HOST_Z_EDGES = (0.1, 0.2, 0.3, 0.45, 0.7, 1.0)
NO_HOST_Z = "no host z"


def host_redshift(static: pa.Table) -> np.ndarray:
    """(n,) host redshift of each object of a pyarrow table of HEAD/alert columns: HOSTGAL_SPECZ where
    it is > 0, else HOSTGAL_PHOTOZ where > 0, else NaN."""
    from ..static_features import head_matrix

    present = [c for c in ("HOSTGAL_SPECZ", "HOSTGAL_PHOTOZ") if c in static.column_names]
    columns = dict(zip(present, head_matrix(static, present).T, strict=True))
    absent = np.full(static.num_rows, np.nan)
    spec, phot = columns.get("HOSTGAL_SPECZ", absent), columns.get("HOSTGAL_PHOTOZ", absent)
    z = np.where(spec > 0, spec, phot)
    return np.where(z > 0, z, np.nan)


def bin_labels() -> list[str]:
    """The bins' names in order ("0-0.1", ..., ">1", :data:`NO_HOST_Z`)."""
    lows = (0.0, *HOST_Z_EDGES[:-1])
    return [f"{lo:g}-{hi:g}" for lo, hi in zip(lows, HOST_Z_EDGES, strict=True)] + [f">{HOST_Z_EDGES[-1]:g}", NO_HOST_Z]


def recall_by_host_z(hit: np.ndarray, z: np.ndarray) -> dict[str, dict]:
    """{bin: {"n": objects, "recall": share of them with ``hit``}} over the bins that hold objects;
    ``hit``: (n,) bool, the model's leaf is the truth; ``z``: (n,) :func:`host_redshift`."""
    hit, z = np.asarray(hit, bool), np.asarray(z, float)
    known = ~np.isnan(z)
    index = np.where(known, np.searchsorted(HOST_Z_EDGES, np.where(known, z, 0.0), side="left"), len(HOST_Z_EDGES) + 1)
    out = {}
    for k, label in enumerate(bin_labels()):
        m = index == k
        if m.any():
            out[label] = {"n": int(m.sum()), "recall": round(float(hit[m].mean()), 3)}
    return out


def markdown_rows(sets: dict[str, dict]) -> list[str]:
    """A table: one row per real set, one column per bin, each cell "recall (n)"."""
    labels = [b for b in bin_labels() if any(b in r.get("by_host_z", {}) for r in sets.values())]
    lines = ["| real set | " + " | ".join(f"host z {b}" if b != NO_HOST_Z else b for b in labels) + " |",
             "|---|" + "---|" * len(labels)]
    for name, r in sets.items():
        cells = [r.get("by_host_z", {}).get(b) for b in labels]
        lines.append(f"| {name} | " + " | ".join(f"{c['recall']:.2f} ({c['n']})" if c else "-" for c in cells) + " |")
    return lines
