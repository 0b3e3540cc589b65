"""ZTF taxonomies: the Bright Transient Survey (BTS) tree and ALeRCE's 15-class hierarchy.

BTS tree (leaves at two depths, like ORACLE's AGN)::

    Alert
    ├── SN
    │   ├── SN Ia      SN Ia, Ia-91T, Ia-91bg, Ia-pec, Iax, Ia-CSM, Ia-SC
    │   ├── SN Ib/c    Ib, Ic, Ic-BL, Ib/c, Ibn, Icn, Ib-pec, Ic-pec
    │   └── SN II      II, IIP, IIL, IIn, IIb, II-pec
    ├── SLSN           SLSN-I, SLSN-II, SLSN-R
    └── CV/nova        CV, nova

Set aside as unclassifiable for this tree (no leaf, counted by the readers): TDE, LBV, ILRT, LRN,
Ca-rich, "other", and any type not listed above. Sub-types follow their spectroscopic family
(Ia-CSM stays with SN Ia and IIb with SN II although their light curves can resemble IIn and
Ib; ALeRCE's SNII class also includes IIb and IIn).

ALeRCE light-curve classifier (Sanchez-Saez et al. 2021), top level Transient / Stochastic /
Periodic with 15 leaves. :func:`alerce_leaf` also maps the label spellings found in ALeRCE's
data (``Ceph``, ``EB``, ``EA``, ``EB/EW``, ``RRLab``/``RRLc``, ``SNIIb``/``SNIIn``, ``RSCVn``) onto them.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .tree import Tree

ROOT = "Alert"

BTS_TREE = Tree.from_nested("ZTF-BTS", {ROOT: {
    "SN": ["SN Ia", "SN Ib/c", "SN II"],
    "SLSN": [],
    "CV/nova": [],
}})

#: BTS ``type`` string -> BTS tree leaf
BTS_TYPE_MAP: dict[str, str] = {
    **{t: "SN Ia" for t in ("SN Ia", "SN Ia-91T", "SN Ia-91bg", "SN Ia-pec", "SN Iax", "SN Ia-CSM",
                            "SN Ia-SC", "SN Ia-norm")},
    **{t: "SN Ib/c" for t in ("SN Ib", "SN Ic", "SN Ic-BL", "SN Ib/c", "SN Ibn", "SN Icn", "SN Ib-pec",
                              "SN Ic-pec", "SN Ibc")},
    **{t: "SN II" for t in ("SN II", "SN IIP", "SN IIL", "SN IIn", "SN IIb", "SN II-pec")},
    **{t: "SLSN" for t in ("SLSN-I", "SLSN-II", "SLSN-R")},
    **{t: "CV/nova" for t in ("CV", "nova", "Nova")},
}
#: BTS types known to have no leaf in :data:`BTS_TREE` (set aside and counted)
BTS_SET_ASIDE = ("TDE", "LBV", "ILRT", "LRN", "Ca-rich", "other")

ALERCE_TREE = Tree.from_nested("ALeRCE-15", {ROOT: {
    "Transient": ["SNIa", "SNIbc", "SNII", "SLSN"],
    "Stochastic": ["QSO", "AGN", "Blazar", "YSO", "CV/Nova"],
    "Periodic": ["LPV", "E", "DSCT", "RRL", "CEP", "Periodic-Other"],
}})

#: other ALeRCE label spellings (22-class model, crossmatch catalogues) -> 15-class leaf
ALERCE_ALIASES: dict[str, str] = {
    "Ceph": "CEP", "EB": "E", "EA": "E", "EB/EW": "E", "RRLab": "RRL", "RRLc": "RRL",
    "SNIIb": "SNII", "SNIIn": "SNII", "RSCVn": "Periodic-Other",
}
#: ALeRCE labels with no 15-class leaf
ALERCE_SET_ASIDE = ("TDE", "Microlensing")


def bts_tree() -> Tree:
    """The BTS tree (see the module docstring)."""
    return BTS_TREE


def alerce_tree() -> Tree:
    """ALeRCE's 15-class hierarchy."""
    return ALERCE_TREE


def bts_leaf(bts_type: str) -> str | None:
    """BTS ``type`` -> leaf of :data:`BTS_TREE`, or None when it is set aside."""
    return BTS_TYPE_MAP.get(str(bts_type).strip())


def alerce_leaf(label: str) -> str | None:
    """ALeRCE class label -> 15-class leaf, or None for classes the hierarchy does not hold."""
    label = str(label).strip()
    if label in ALERCE_TREE.leaf_names:
        return label
    return ALERCE_ALIASES.get(label)


def count_bts_types(types: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """(objects per leaf, objects per set-aside type) for a list of BTS types."""
    kept: dict[str, int] = {}
    aside: dict[str, int] = {}
    for t in types:
        leaf = bts_leaf(t)
        if leaf is None:
            aside[str(t)] = aside.get(str(t), 0) + 1
        else:
            kept[leaf] = kept.get(leaf, 0) + 1
    return kept, aside


def leaf_indices(labels: Iterable[str], tree: Tree = ALERCE_TREE) -> np.ndarray:
    """Labels (BTS types for :data:`BTS_TREE`, ALeRCE labels for :data:`ALERCE_TREE`) -> node
    indices; -1 where a label is set aside."""
    mapper = bts_leaf if tree is BTS_TREE else alerce_leaf
    leaves = [mapper(x) for x in labels]
    return np.array([tree.index(x) if x is not None else -1 for x in leaves], dtype=np.int64)


def top_level(tree: Tree, node_idx: np.ndarray) -> np.ndarray:
    """Node indices -> their level-1 ancestor (Transient/Stochastic/Periodic, SN/SLSN/CV-nova)."""
    return tree.ancestor_at(np.asarray(node_idx, dtype=np.int64), 1)


__all__ = ["BTS_TREE", "BTS_TYPE_MAP", "BTS_SET_ASIDE", "ALERCE_TREE", "ALERCE_ALIASES",
           "ALERCE_SET_ASIDE", "bts_tree", "alerce_tree", "bts_leaf", "alerce_leaf",
           "count_bts_types", "leaf_indices", "top_level"]
