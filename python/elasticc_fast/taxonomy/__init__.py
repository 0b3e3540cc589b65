"""Taxonomies: the generic :class:`Tree` and the ELAsTiCC2 trees and label maps.

    >>> from elasticc_fast.taxonomy import ORACLE_TREE, leaf_for_model
    >>> leaf_for_model("SNIb-Templates")
    'SNIb/c'
    >>> ORACLE_TREE.path("SNIb/c")
    ('Alert', 'Transient', 'SN', 'SNIb/c')

ZTF trees (the Bright Transient Survey types, ALeRCE's 15 classes) are in :mod:`.ztf` and
re-exported here as ``BTS_TREE`` and ``ALERCE_TREE``.
"""
from __future__ import annotations

from .elasticc import (
                       CLASS_ID_FOR_LEAF,
                       ELASTICC_CLASS_TREE,
                       LEAF_FOR_CLASS_ID,
                       LEAF_FOR_GENTYPE,
                       LEAF_FOR_MODEL,
                       LEAF_FOR_TEST_MODEL,
                       ORACLE_TREE,
                       UNMAPPED_GENTYPES,
                       UNMAPPED_MODELS,
                       leaf_for_class_id,
                       leaf_for_gentype,
                       leaf_for_model,
                       leaf_for_sntype,
                       leaf_indices,
)
from .tree import Tree
from .ztf import ALERCE_TREE, BTS_TREE, alerce_leaf, bts_leaf

__all__ = [
    "Tree", "ORACLE_TREE", "ELASTICC_CLASS_TREE", "CLASS_ID_FOR_LEAF", "LEAF_FOR_CLASS_ID",
    "LEAF_FOR_GENTYPE", "LEAF_FOR_MODEL", "LEAF_FOR_TEST_MODEL", "UNMAPPED_GENTYPES",
    "UNMAPPED_MODELS", "leaf_for_class_id", "leaf_for_gentype", "leaf_for_model", "leaf_for_sntype",
    "leaf_indices", "BTS_TREE", "ALERCE_TREE", "bts_leaf", "alerce_leaf",
]
