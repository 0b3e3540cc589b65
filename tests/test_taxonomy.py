"""Taxonomy trees and the ELAsTiCC2 label maps."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from elasticc_fast.taxonomy import (
    CLASS_ID_FOR_LEAF,
    ELASTICC_CLASS_TREE,
    LEAF_FOR_GENTYPE,
    LEAF_FOR_MODEL,
    ORACLE_TREE,
    Tree,
    leaf_for_class_id,
    leaf_for_gentype,
    leaf_for_model,
    leaf_for_sntype,
    leaf_indices,
)

T = ORACLE_TREE


def test_oracle_tree_shape():
    assert len(T) == 26 and len(T.leaves) == 19
    assert T.root == "Alert"
    assert [T.nodes[i] for i in T.levels()[1]] == ["Transient", "Variable"]
    assert {T.nodes[i] for i in T.levels()[2]} == {"SN", "Fast", "Long", "Periodic", "AGN"}
    assert "AGN" in T.leaf_names and T.depth[T.index("AGN")] == 2
    assert T.path("RR Lyrae") == ("Alert", "Variable", "Periodic", "RR Lyrae")
    assert sorted(len(g) for g in T.sibling_groups) == [1, 2, 2, 3, 4, 4, 5, 5]
    # every non-root node is in exactly one sibling group, together with its siblings only
    for g in T.sibling_groups[1:]:
        assert len({T.parents[i] for i in g}) == 1


def test_class_id_tree():
    t = ELASTICC_CLASS_TREE
    assert t.path("2222") == ("root", "2000", "2200", "2220", "2222")
    assert t.labels[t.index("2332")] == "AGN"
    assert t.parents[t.index("2326")] == t.index("2320")
    assert t.parents[t.index("300")] == t.index("0")
    # every ORACLE leaf's class id is a leaf of the official tree
    assert {str(c) for c in CLASS_ID_FOR_LEAF.values()} <= set(t.leaf_names)


def test_model_map_covers_all_32_training_models_and_all_leaves():
    assert len(LEAF_FOR_MODEL) == 32
    assert set(LEAF_FOR_MODEL.values()) == set(T.leaf_names)
    assert leaf_for_model("SNIIn+HostXT_V19") == "SNII"
    assert leaf_for_model("ELASTICC2_TRAIN_02_CLAGN") == "AGN"
    assert leaf_for_model("PISN-STELLA_HECORE") == "PISN"
    with pytest.raises(KeyError, match="strongly lensed"):
        leaf_for_model("SL-SNII")
    with pytest.raises(KeyError, match="unknown"):
        leaf_for_model("not-a-model")


def test_gentype_sntype_and_class_id_maps():
    assert set(LEAF_FOR_GENTYPE.values()) == set(T.leaf_names)
    assert leaf_for_gentype(10) == "SNIa" and leaf_for_gentype(91) == "Delta Scuti"
    assert leaf_for_sntype(120) == "SNIb/c" and leaf_for_sntype(20) == "SNIb/c"
    with pytest.raises(KeyError, match="lensed"):
        leaf_for_gentype(72)
    for leaf, cid in CLASS_ID_FOR_LEAF.items():
        assert leaf_for_class_id(cid) == leaf
    with pytest.raises(KeyError):
        leaf_for_class_id(2221)


def test_targets_ancestors_and_marginals():
    idx = leaf_indices(["SNIa-SALT3", "CLAGN", "EB"])
    y = T.path_targets(idx)
    assert y.shape == (3, 26)
    assert [T.nodes[j] for j in np.flatnonzero(y[1])] == ["Alert", "Variable", "AGN"]
    assert y.sum(axis=1).tolist() == [4, 3, 4]
    assert [T.nodes[j] for j in T.ancestor_at(idx, 1)] == ["Transient", "Variable", "Variable"]
    assert [T.nodes[j] for j in T.ancestor_at(idx, 2)] == ["SN", "AGN", "Periodic"]
    assert [T.nodes[j] for j in T.ancestor_at(idx, 3)] == ["SNIa", "AGN", "EB"]
    # random conditionals normalised per sibling group -> marginals sum to 1 per level and over leaves
    rng = np.random.default_rng(0)
    c = rng.random((5, len(T)))
    for g in T.sibling_groups:
        c[:, list(g)] /= c[:, list(g)].sum(axis=1, keepdims=True)
    m = T.marginals(c)
    np.testing.assert_allclose(m[:, list(T.leaves)].sum(axis=1), 1.0, rtol=1e-12)
    for k in (1, 2):
        np.testing.assert_allclose(m[:, list(T.levels()[k])].sum(axis=1), 1.0, rtol=1e-12)
    snia = T.index("SNIa")
    np.testing.assert_allclose(m[:, snia], c[:, 1] * c[:, T.index("SN")] * c[:, snia])


def test_class_weights():
    idx = leaf_indices(["SNIa-SALT3"] * 3 + ["EB"])
    w = T.class_weights(idx)
    assert w[T.index("Transient")] == pytest.approx(4 / (26 * 3))
    assert w[T.index("EB")] == pytest.approx(4 / 26)
    assert w[T.index("KN")] == 0.0


def test_generic_tree_roundtrip_and_errors():
    t = Tree.from_nested("toy", {"r": {"a": ["a1", "a2"], "b": []}})
    assert t.nodes == ("r", "a", "b", "a1", "a2") and t.leaf_names == ("b", "a1", "a2")
    assert Tree.from_dict(t.to_dict()) == t
    assert "└── b" in t.draw()
    with pytest.raises(ValueError, match="duplicate|twice"):
        Tree.from_nested("bad", {"r": {"a": ["x"], "b": ["x"]}})
    with pytest.raises(KeyError, match="not a node"):
        t.index("zz")


def test_gentype_map_matches_real_sample(elasticc_sample):
    rows = list(csv.DictReader(open(elasticc_sample / "reference_per_object_summary.csv")))
    assert len(rows) == 346
    for r in rows:
        assert leaf_for_gentype(int(r["gentype"])) == leaf_for_model(r["cls"]), r


def test_marginals_with_exact_zero_conditionals():
    # a hard 0/1 split (e.g. a forest that is certain) must give 0, not NaN, below the zero
    c = np.zeros((1, len(T)))
    for g in T.sibling_groups:
        c[0, g[0]] = 1.0
    m = T.marginals(c)
    assert np.isfinite(m).all()
    assert m[0, list(T.leaves)].sum() == 1.0
    assert m[0, T.index("Variable")] == 0.0 and m[0, T.index("EB")] == 0.0
