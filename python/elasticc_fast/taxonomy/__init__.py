"""Taxonomies: the generic :class:`Tree` and the ELAsTiCC2 trees and label maps.

    >>> from elasticc_fast.taxonomy import ORACLE_TREE, leaf_for_model
    >>> leaf_for_model("SNIb-Templates")
    'SNIb/c'
    >>> ORACLE_TREE.path("SNIb/c")
    ('Alert', 'Transient', 'SN', 'SNIb/c')
"""
from __future__ import annotations

from .elasticc import (CLASS_ID_FOR_LEAF, ELASTICC_CLASS_TREE, LEAF_FOR_CLASS_ID, LEAF_FOR_GENTYPE,
                       LEAF_FOR_MODEL, LEAF_FOR_TEST_MODEL, ORACLE_TREE, UNMAPPED_GENTYPES,
                       UNMAPPED_MODELS, leaf_for_class_id, leaf_for_gentype, leaf_for_model,
                       leaf_for_sntype, leaf_indices)
from .tree import Tree

__all__ = [
    "Tree", "ORACLE_TREE", "ELASTICC_CLASS_TREE", "CLASS_ID_FOR_LEAF", "LEAF_FOR_CLASS_ID",
    "LEAF_FOR_GENTYPE", "LEAF_FOR_MODEL", "LEAF_FOR_TEST_MODEL", "UNMAPPED_GENTYPES",
    "UNMAPPED_MODELS", "leaf_for_class_id", "leaf_for_gentype", "leaf_for_model", "leaf_for_sntype",
    "leaf_indices",
]
