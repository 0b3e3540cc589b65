"""ELAsTiCC2 taxonomies and label maps (SCIENCE.md 1.1 and 1.2).

- :data:`ORACLE_TREE`: ORACLE's tree, 26 nodes and 19 leaves; AGN is a level-2 leaf.
- :data:`ELASTICC_CLASS_TREE`: the official ELAsTiCC class-id taxonomy; node keys are the class
  ids as strings (``"2222"``), labels their names (``"Ia"``).
- Maps to ORACLE leaves from the training model names (the ``model`` column written by
  ``elasticc-fast convert``), from SNANA GENTYPE (``SIM_TYPE_INDEX``) and from official class ids.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .tree import Tree

ORACLE_TREE = Tree.from_nested("ORACLE", {
    "Alert": {
        "Transient": {
            "SN": ["SNIa", "SNIb/c", "SNIax", "SNI91bg", "SNII"],
            "Fast": ["KN", "Dwarf Novae", "uLens", "M-dwarf Flare"],
            "Long": ["SLSN", "TDE", "ILOT", "CART", "PISN"],
        },
        "Variable": {
            "Periodic": ["Cepheid", "RR Lyrae", "Delta Scuti", "EB"],
            "AGN": [],
        },
    },
})

_ID_NAMES = {
    0: "Meta", 100: "Meta/Other", 200: "Residual", 300: "NotClassified",
    1000: "Static", 1100: "Static/Other",
    2000: "Variable", 2100: "Variable/Other",
    2200: "Non-Recurring", 2210: "Non-Recurring/Other",
    2220: "SN-like", 2221: "SN-like/Other", 2222: "Ia", 2223: "Ib/c", 2224: "II", 2225: "Iax",
    2226: "91bg",
    2230: "Fast", 2231: "Fast/Other", 2232: "KN", 2233: "M-dwarf Flare", 2234: "Dwarf Novae",
    2235: "uLens",
    2240: "Long", 2241: "Long/Other", 2242: "SLSN", 2243: "TDE", 2244: "ILOT", 2245: "CART",
    2246: "PISN",
    2300: "Recurring", 2310: "Recurring/Other",
    2320: "Periodic", 2321: "Periodic/Other", 2322: "Cepheid", 2323: "RR Lyrae",
    2324: "Delta Scuti", 2325: "EB", 2326: "LPV/Mira",
    2330: "Non-Periodic", 2331: "Non-Periodic/Other", 2332: "AGN",
}


def _id_parent(cid: int) -> int | None:
    """Parent in the official taxonomy: the id with its last non-zero digit zeroed; the three
    top-level categories (0 Meta, 1000 Static, 2000 Variable) hang from a synthetic root."""
    if cid in (0, 1000, 2000):
        return -1
    if cid < 1000:
        return 0
    for scale in (1, 10, 100):
        if cid % (scale * 10):
            return cid - cid % (scale * 10)
    return None  # pragma: no cover (all ids handled above)


ELASTICC_CLASS_TREE = Tree.from_parents(
    "ELAsTiCC",
    {"root": None, **{str(c): ("root" if _id_parent(c) == -1 else str(_id_parent(c))) for c in _ID_NAMES}},
    labels={"root": "root", **{str(c): n for c, n in _ID_NAMES.items()}},
)

#: ORACLE leaf -> official ELAsTiCC class id
CLASS_ID_FOR_LEAF: dict[str, int] = {
    "SNIa": 2222, "SNIb/c": 2223, "SNII": 2224, "SNIax": 2225, "SNI91bg": 2226,
    "KN": 2232, "M-dwarf Flare": 2233, "Dwarf Novae": 2234, "uLens": 2235,
    "SLSN": 2242, "TDE": 2243, "ILOT": 2244, "CART": 2245, "PISN": 2246,
    "Cepheid": 2322, "RR Lyrae": 2323, "Delta Scuti": 2324, "EB": 2325, "AGN": 2332,
}
LEAF_FOR_CLASS_ID: dict[int, str] = {v: k for k, v in CLASS_ID_FOR_LEAF.items()}

#: the 32 ELAsTiCC2 training model names (folder ``ELASTICC2_TRAIN_02_<MODEL>``) -> ORACLE leaf
LEAF_FOR_MODEL: dict[str, str] = {
    "SNIa-SALT3": "SNIa", "SNIa-91bg": "SNI91bg", "SNIax": "SNIax",
    **dict.fromkeys(["SNIb-Templates", "SNIb+HostXT_V19", "SNIc-Templates", "SNIc+HostXT_V19",
                     "SNIcBL+HostXT_V19"], "SNIb/c"),
    **dict.fromkeys(["SNII-NMF", "SNII-Templates", "SNII+HostXT_V19", "SNIIn-MOSFIT",
                     "SNIIn+HostXT_V19", "SNIIb+HostXT_V19"], "SNII"),
    "KN_K17": "KN", "KN_B19": "KN",
    "Mdwarf-flare": "M-dwarf Flare", "dwarf-nova": "Dwarf Novae",
    "uLens-Single_PyLIMA": "uLens", "uLens-Single-GenLens": "uLens", "uLens-Binary": "uLens",
    "SLSN-I+host": "SLSN", "SLSN-I_no_host": "SLSN",
    "TDE": "TDE", "ILOT": "ILOT", "CART": "CART", "PISN": "PISN",
    "CLAGN": "AGN", "Cepheid": "Cepheid", "RRL": "RR Lyrae", "d-Sct": "Delta Scuti", "EB": "EB",
}
#: model names used only by the ELAsTiCC2 test set (same leaves)
LEAF_FOR_TEST_MODEL: dict[str, str] = {
    "AGN": "AGN", "PISN-MOSFIT": "PISN", "PISN-STELLA_HECORE": "PISN",
    "PISN-STELLA_HYDROGENIC": "PISN",
}
#: test-set models with no ORACLE leaf (strongly lensed SNe never appear in training)
UNMAPPED_MODELS = ("SL-SN1a", "SL-SNII", "SL-SNIb", "SL-SNIc")

#: SNANA GENTYPE (``SIM_TYPE_INDEX``) -> ORACLE leaf
LEAF_FOR_GENTYPE: dict[int, str] = {
    10: "SNIa", 11: "SNI91bg", 12: "SNIax",
    **dict.fromkeys([20, 21, 25, 26, 27], "SNIb/c"),
    **dict.fromkeys([30, 31, 32, 35, 36, 37], "SNII"),
    50: "KN", 51: "KN", 82: "M-dwarf Flare", 84: "Dwarf Novae", 87: "uLens", 88: "uLens", 89: "uLens",
    40: "SLSN", 42: "TDE", 45: "ILOT", 46: "CART", 57: "PISN", 58: "PISN", 59: "PISN",
    60: "AGN", 90: "Cepheid", 80: "RR Lyrae", 91: "Delta Scuti", 83: "EB",
}
#: strongly lensed SNe in the test set (no ORACLE leaf)
UNMAPPED_GENTYPES = (71, 72, 73, 74)


def _strip_prefix(model: str) -> str:
    """Accept ``ELASTICC2_TRAIN_02_SNIax`` as well as ``SNIax``."""
    for name in (model, model.split("ELASTICC2_TRAIN_02_")[-1], model.split("ELASTICC2_TRAIN_01_1percent_")[-1]):
        if name in LEAF_FOR_MODEL or name in LEAF_FOR_TEST_MODEL or name in UNMAPPED_MODELS:
            return name
    return model


def leaf_for_model(model: str) -> str:
    """ORACLE leaf of an ELAsTiCC2 model name (``"SNIb-Templates"`` -> ``"SNIb/c"``).

    Also accepts the test-set names and the full folder name. Raises KeyError naming the model
    when it has no leaf (unknown, or a strongly lensed SN).
    """
    name = _strip_prefix(model)
    if name in LEAF_FOR_MODEL:
        return LEAF_FOR_MODEL[name]
    if name in LEAF_FOR_TEST_MODEL:
        return LEAF_FOR_TEST_MODEL[name]
    if name in UNMAPPED_MODELS:
        raise KeyError(f"model {model!r} (strongly lensed SN) has no ORACLE leaf: it is not in the training set")
    raise KeyError(f"unknown ELAsTiCC2 model {model!r}; known: {sorted(LEAF_FOR_MODEL)}")


def leaf_for_gentype(gentype: int) -> str:
    """ORACLE leaf of an SNANA GENTYPE (``SIM_TYPE_INDEX``); raises KeyError when it has none."""
    g = int(gentype)
    if g in LEAF_FOR_GENTYPE:
        return LEAF_FOR_GENTYPE[g]
    raise KeyError(f"GENTYPE {g} has no ORACLE leaf" + (" (strongly lensed SN)" if g in UNMAPPED_GENTYPES else ""))


def leaf_for_sntype(sntype: int) -> str:
    """ORACLE leaf of an SNANA ``SNTYPE``: GENTYPE, plus 100 when not spectroscopically confirmed."""
    s = int(sntype)
    return leaf_for_gentype(s - 100 if s >= 100 else s)


def leaf_for_class_id(class_id: int) -> str:
    """ORACLE leaf of an official ELAsTiCC class id (``2222`` -> ``"SNIa"``)."""
    c = int(class_id)
    if c not in LEAF_FOR_CLASS_ID:
        raise KeyError(f"class id {c} is not an ORACLE leaf; leaves: {sorted(LEAF_FOR_CLASS_ID)}")
    return LEAF_FOR_CLASS_ID[c]


def leaf_indices(models: Iterable[str], tree: Tree = ORACLE_TREE) -> np.ndarray:
    """(N,) model names -> (N,) int64 node indices of their leaves in ``tree``."""
    cache: dict[str, int] = {}
    out = []
    for m in models:
        if m not in cache:
            cache[m] = tree.index(leaf_for_model(m))
        out.append(cache[m])
    return np.asarray(out, dtype=np.int64)
