"""The 19 ORACLE leaf classes the simulator generates.

Each class is simulated as one ELAsTiCC2 training *model* (the folder ``<PREFIX>_<MODEL>``) with that
model's GENTYPE written to ``SIM_TYPE_INDEX``. The parametric light-curve families themselves live in
:mod:`elasticc_fast.sim.lightcurves`; this module says which family each class uses. All times are rest-frame days for extragalactic classes (observed
durations are stretched by ``1 + z``), observer-frame days for Galactic ones.

The parameter distributions of each class are in :mod:`elasticc_fast.sim.params`; the families
(how a class is placed in time and how its fluxes are computed) in :mod:`elasticc_fast.sim.families`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassSpec:
    """One simulated class: its ORACLE leaf, the ELAsTiCC2 model standing for it and how it is made."""

    leaf: str             #: ORACLE leaf name (SCIENCE.md section 1.1)
    model: str            #: ELAsTiCC2 training model, folder ``<PREFIX>_<model>``
    gentype: int          #: SNANA GENTYPE = ``SIM_TYPE_INDEX``
    class_id: int         #: official ELAsTiCC class id
    family: str           #: name of its family in :data:`elasticc_fast.sim.families.FAMILIES`
    galactic: bool        #: hostless, redshift sentinels, Galactic sky distribution
    sim_type_name: str    #: ``SIM_TYPE_NAME`` (8 characters in the file)
    sim_model_index: int  #: ``SIM_MODEL_INDEX`` (SNANA: 6 SALT, 7 SIMSED, 10 NON1ASED, 12 LCLIB)
    trest: tuple[float, float] | None = None  #: observed window, rest days around peak (None: whole survey)
    z_range: tuple[float, float] | None = None
    hostlib: str = "obs"  #: which ``SIM_HOSTLIB(...)`` columns the HEAD has: "obs" (g,r,i) or "mass"


_SN = (-100.0, 400.0)   # GENRANGE_TREST of the ELAsTiCC2 SN / KN models (README of the real sample)
_LONG = (-150.0, 600.0)

CLASSES: tuple[ClassSpec, ...] = (
    ClassSpec("SNIa", "SNIa-SALT3", 10, 2222, "bazin_k", False, "Ia", 6, _SN, (0.01, 0.9), "mass"),
    ClassSpec("SNIb/c", "SNIb-Templates", 20, 2223, "bazin_k", False, "Ib", 10, _SN, (0.01, 0.45), "mass"),
    ClassSpec("SNIax", "SNIax", 12, 2225, "bazin", False, "Iax", 10, _SN, (0.01, 0.45), "mass"),
    ClassSpec("SNI91bg", "SNIa-91bg", 11, 2226, "bazin", False, "Ia-91bg", 10, _SN, (0.01, 0.35), "mass"),
    ClassSpec("SNII", "SNII-Templates", 31, 2224, "plateau", False, "II", 10, _SN, (0.01, 0.5), "mass"),
    ClassSpec("KN", "KN_K17", 50, 2232, "bazin", False, "UNKNOWN", 7, _SN, (0.01, 0.2), "obs"),
    ClassSpec("M-dwarf Flare", "Mdwarf-flare", 82, 2233, "flare", True, "m-Dwarf-", 12),
    ClassSpec("Dwarf Novae", "dwarf-nova", 84, 2234, "dwarf_nova", True, "dwarf-no", 12),
    ClassSpec("uLens", "uLens-Single_PyLIMA", 87, 2235, "paczynski", True, "uLens", 12),
    ClassSpec("SLSN", "SLSN-I+host", 40, 2242, "bazin", False, "SLSN-I", 7, _LONG, (0.05, 1.8), "obs"),
    ClassSpec("TDE", "TDE", 42, 2243, "tde", False, "TDE", 7, _LONG, (0.01, 0.8), "obs"),
    ClassSpec("ILOT", "ILOT", 45, 2244, "plateau", False, "ILOT", 7, _SN, (0.001, 0.05), "obs"),
    ClassSpec("CART", "CART", 46, 2245, "bazin", False, "CART", 7, _SN, (0.005, 0.12), "obs"),
    ClassSpec("PISN", "PISN", 59, 2246, "bazin", False, "PISN", 7, _LONG, (0.05, 1.5), "obs"),
    ClassSpec("AGN", "CLAGN", 60, 2332, "drw", False, "AGN", 12, None, (0.05, 2.5), "obs"),
    ClassSpec("Cepheid", "Cepheid", 90, 2322, "pulsator", True, "Cepheid", 12),
    ClassSpec("RR Lyrae", "RRL", 80, 2323, "pulsator", True, "RRL", 12),
    ClassSpec("Delta Scuti", "d-Sct", 91, 2324, "pulsator", True, "d-Sct", 12),
    ClassSpec("EB", "EB", 83, 2325, "eclipsing", True, "EB", 12),
)

#: ORACLE leaf names in the order above
CLASS_NAMES: tuple[str, ...] = tuple(c.leaf for c in CLASSES)
#: model folder suffix -> ORACLE leaf (only the models this simulator writes)
MODEL_TO_CLASS: dict[str, str] = {c.model: c.leaf for c in CLASSES}
_BY_KEY = {k: c for c in CLASSES for k in (c.leaf, c.model, c.leaf.lower(), c.model.lower())}


def get_class(name: str) -> ClassSpec:
    """Look a class up by ORACLE leaf name or model name (case-insensitive)."""
    try:
        return _BY_KEY.get(name) or _BY_KEY[name.lower()]
    except KeyError:
        raise ValueError(f"unknown class {name!r}; choose from {', '.join(CLASS_NAMES)} "
                         f"or the model names {', '.join(c.model for c in CLASSES)}") from None


def sample_params(spec: ClassSpec, rng: np.random.Generator, n: int, sn_ibc: str = "round4",
                  kn: str = "default") -> dict[str, np.ndarray]:
    """Draw the light-curve parameters of ``n`` objects of class ``spec`` (see :mod:`.params`);
    ``sn_ibc``, ``kn``: the SN Ib/c and KN models (:func:`.params.refit_sn_ibc`, :func:`.params.refit_kn`)."""
    from .families import get_family
    from .params import refit_kn, refit_sn_ibc

    p = get_family(spec.family).sample(spec, rng, n)
    if spec.leaf == "SNIb/c":
        refit_sn_ibc(p, sn_ibc)
    if spec.leaf == "KN":
        refit_kn(p, kn)
    return p
