"""The ZTF BTS tree and ALeRCE's 15-class hierarchy."""
from __future__ import annotations

import numpy as np
import pytest

from elasticc_fast.taxonomy.ztf import (
    ALERCE_TREE,
    BTS_SET_ASIDE,
    BTS_TREE,
    BTS_TYPE_MAP,
    alerce_leaf,
    bts_leaf,
    count_bts_types,
    leaf_indices,
    top_level,
)


def test_bts_tree_shape():
    assert BTS_TREE.leaf_names == ("SLSN", "CV/nova", "SN Ia", "SN Ib/c", "SN II")
    assert [BTS_TREE.nodes[i] for i in BTS_TREE.levels()[1]] == ["SN", "SLSN", "CV/nova"]
    assert BTS_TREE.path("SN Ib/c") == ("Alert", "SN", "SN Ib/c")
    assert BTS_TREE.path("SLSN") == ("Alert", "SLSN")


def test_bts_type_mapping():
    assert bts_leaf("SN Ia-91T") == "SN Ia" and bts_leaf("SN Iax") == "SN Ia"
    assert bts_leaf("SN Ic-BL") == "SN Ib/c" and bts_leaf("SN Ibn") == "SN Ib/c"
    assert bts_leaf("SN IIn") == "SN II" and bts_leaf("SN IIb") == "SN II"
    assert bts_leaf("SLSN-II") == "SLSN" and bts_leaf("nova") == "CV/nova"
    for t in BTS_SET_ASIDE + ("never heard of it",):
        assert bts_leaf(t) is None
    assert set(BTS_TYPE_MAP.values()) == set(BTS_TREE.leaf_names)
    kept, aside = count_bts_types(["SN Ia", "TDE", "SN II", "TDE", "LBV"])
    assert kept == {"SN Ia": 1, "SN II": 1} and aside == {"TDE": 2, "LBV": 1}


def test_alerce_tree():
    assert len(ALERCE_TREE.leaves) == 15
    top = [ALERCE_TREE.nodes[i] for i in ALERCE_TREE.levels()[1]]
    assert top == ["Transient", "Stochastic", "Periodic"]
    assert ALERCE_TREE.path("CV/Nova") == ("Alert", "Stochastic", "CV/Nova")
    assert ALERCE_TREE.path("Periodic-Other")[1] == "Periodic"
    assert alerce_leaf("Ceph") == "CEP" and alerce_leaf("RRLc") == "RRL" and alerce_leaf("EB/EW") == "E"
    assert alerce_leaf("SNIIn") == "SNII" and alerce_leaf("TDE") is None


def test_leaf_indices_and_top_level():
    idx = leaf_indices(["SNIa", "QSO", "LPV", "Microlensing"])
    assert idx[-1] == -1
    assert [ALERCE_TREE.nodes[i] for i in top_level(ALERCE_TREE, idx[:3])] == ["Transient", "Stochastic", "Periodic"]
    b = leaf_indices(["SN Ia-pec", "SLSN-I", "TDE"], BTS_TREE)
    assert [BTS_TREE.nodes[i] for i in b[:2]] == ["SN Ia", "SLSN"] and b[2] == -1


def test_real_alerce_labels_all_map(shared_data):
    import pandas as pd

    from elasticc_fast.io.alerce import safe_load_pickle
    labels = safe_load_pickle(shared_data / "alerce" / "hbrf_15class_labels.pkl")["classALeRCE"]
    assert labels.nunique() == 15
    assert np.all(leaf_indices(labels) >= 0)
    periodic = safe_load_pickle(shared_data / "alerce" / "periodic_light_curve_labels.pkl")["classALeRCE"]
    assert np.all(leaf_indices(periodic) >= 0)
    two_k = pd.read_csv(shared_data / "alerce" / "lc_classifier_examples" / "2000_labels.csv")["classALeRCE"]
    assert np.all(leaf_indices(two_k) >= 0)


def test_unknown_leaf_raises():
    with pytest.raises(KeyError, match="not a node"):
        BTS_TREE.index("SN Iz")
