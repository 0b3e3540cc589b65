"""The simulator's model choices, one typed value from the command line down to every draw.

Each field selects between the default model and one measured against the real ELAsTiCC files in a
later round (docs/simulator.md names the round); the defaults give main's simulation unchanged.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .cadence import BAND_MODELS, DETECTION_RULES
from .hosts import HOST_MODELS, SPECZ_MODELS
from .params import KN_MODELS, SN_IBC_MODELS

#: the allowed values of each :class:`SimModels` field (the first is the default)
CHOICES: dict[str, tuple[str, ...]] = {"detection": DETECTION_RULES, "sn_ibc": SN_IBC_MODELS, "kn": KN_MODELS,
                                       "hosts": HOST_MODELS, "specz": SPECZ_MODELS,
                                       "cadence": BAND_MODELS}


@dataclass(frozen=True)
class SimModels:
    """detection: "noise-free" (probability from the noise-free S/N, as SNANA; the default since the
    twentieth round) or "measured" (from the measured S/N); sn_ibc: "round4" or "round9"; kn: "default" or "round9" (``params.refit_*``);
    hosts: "default" or "library" (nearby transients' hosts from farther away, ``hosts.library_redshift``);
    specz: "flat" (35 % everywhere) or "nearby" (``hosts.specz_share``: by redshift and host magnitude);
    cadence: "random" (each visit its own band) or "pairs" (a night's visits in filter pairs, ``cadence.FILTER_PAIRS``).
    Raises ValueError on a value outside :data:`CHOICES`."""

    detection: str = DETECTION_RULES[0]
    sn_ibc: str = "round4"
    kn: str = "default"
    hosts: str = "default"
    specz: str = "flat"
    cadence: str = "random"

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")

    def as_dict(self) -> dict[str, str]:
        """The choices by name (the benchmark JSON's keys)."""
        return asdict(self)
