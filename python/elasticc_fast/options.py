"""Typed, validated options of preprocessing and windowing, shared by ``preprocess``, ``augment``,
:class:`~elasticc_fast.nn.TrainConfig`, :func:`~elasticc_fast.scale.augment_dataset`, the saved
``model.json`` and the command line's defaults.

    opts = WindowOptions(max_length=256, flux_scale="asinh")     # checked here, not deep inside augment
    augment(batch, "fraction", opts, seed=3)
    opts.replace(band_encoding="onehot").to_dict()               # JSON-ready
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Sequence

from .static_features import MISSING, ORACLE_STATIC_COLUMNS

#: ORACLE's evaluation days: 1, 2, 4, ..., 1024 days after the trigger
DEFAULT_DAYS: tuple[int, ...] = tuple(2 ** k for k in range(11))

TRIGGERS = ("first_detection", "photflag")
HISTORIES = ("window", "all")
KEEPS = ("last", "first")
FLUX_SCALES = ("linear", "asinh")
BAND_ENCODINGS = ("wavelength", "onehot")


def _choice(owner: str, name: str, value: Any, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{owner}: {name} must be one of {tuple(allowed)}, not {value!r}")


class _Options:
    """JSON round trip and ``replace`` for the frozen option dataclasses."""

    def replace(self, **changes: Any):
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None):
        """Build from a dict (e.g. ``model.json``); unknown keys are an error naming them."""
        d = dict(d or {})
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {sorted(unknown)}")
        return cls(**d)

    @classmethod
    def build(cls, options: Any = None, **changes: Any):
        """``options`` (an instance, a dict or None for the defaults) with ``changes`` applied."""
        base = options if isinstance(options, cls) else cls.from_dict(options)
        return base.replace(**changes) if changes else base


@dataclass(frozen=True)
class PreprocessOptions(_Options):
    """Options of :func:`elasticc_fast.preprocess` (see there): the trigger (``"first_detection"``
    or ``"photflag"``) and the points kept (``history``: ``"window"`` or ``"all"``)."""

    trigger: str = "first_detection"
    history: str = "window"

    def __post_init__(self) -> None:
        _choice("preprocess", "trigger", self.trigger, TRIGGERS)
        _choice("preprocess", "history", self.history, HISTORIES)


@dataclass(frozen=True)
class WindowOptions(_Options):
    """How :func:`elasticc_fast.augment` cuts and encodes windows (the window kind, seed and
    threads are per call).

    - ``days``: window ends in days after the trigger, for ``windows="days"``;
    - ``min_length``: windows with fewer points are skipped (>= 1);
    - ``max_length``: longer windows are cut to this many points, keeping the ``keep="last"``
      (ORACLE/Keras ``pad_sequences``) or ``"first"`` ones; None: no cut;
    - ``time_scale``: days per unit of the time feature (100: ORACLE);
    - ``flux_scale``: ``"linear"`` (FLUXCAL / ``flux_divisor``) or ``"asinh"`` (asinh(FLUXCAL));
    - ``band_encoding``: ``"wavelength"`` (microns, 1 column) or ``"onehot"`` (6 columns);
    - ``static_columns``: HEAD columns for the static features (ORACLE's 18; ``()`` for none);
    - ``static_flags``: append the MW-plane flag and the four DDF flags (needs RA, DEC);
    - ``missing``: the value that replaces SNANA sentinels and NaN in static features.
    """

    days: tuple[float, ...] = DEFAULT_DAYS
    min_length: int = 1
    max_length: int | None = None
    keep: str = "last"
    time_scale: float = 100.0
    flux_scale: str = "linear"
    flux_divisor: float = 1000.0
    band_encoding: str = "wavelength"
    static_columns: tuple[str, ...] = ORACLE_STATIC_COLUMNS
    static_flags: bool = True
    missing: float = MISSING

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", tuple(self.days))
        object.__setattr__(self, "static_columns", tuple(self.static_columns))
        _choice("augment", "keep", self.keep, KEEPS)
        _choice("augment", "flux_scale", self.flux_scale, FLUX_SCALES)
        _choice("augment", "band_encoding", self.band_encoding, BAND_ENCODINGS)
        if self.min_length < 1:
            raise ValueError(f"augment: min_length must be >= 1, not {self.min_length}")
        if self.max_length is not None and self.max_length < 1:
            raise ValueError(f"augment: max_length must be >= 1 or None, not {self.max_length}")
        if not (math.isfinite(self.flux_divisor) and self.flux_divisor > 0):
            raise ValueError(f"augment: flux_divisor must be a positive number, not {self.flux_divisor}")
        if not (math.isfinite(self.time_scale) and self.time_scale > 0):
            raise ValueError(f"augment: time_scale must be a positive number, not {self.time_scale}")
