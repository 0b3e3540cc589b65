"""The training configuration: one frozen dataclass, saved as JSON beside every checkpoint."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (defaults: a useful model in a few CPU minutes).

    Windows: every epoch each training object gets one fresh random prefix window
    (``augment(windows="fraction")``); validation uses fixed windows of the same kind.
    """

    arch: str = "gru"                 #: "gru" (ORACLE's shape) or "transformer" (ATAT's idea)
    epochs: int = 40                  #: maximum number of epochs
    batch_size: int = 128             #: windows per training step
    learning_rate: float = 2e-3       #: Adam learning rate at step 0
    lr_decay: float = 0.9             #: multiply the learning rate by this every ``decay_steps`` steps
    decay_steps: int = 500
    clip_norm: float = 1.0            #: global gradient-norm clipping
    alpha: float = 0.5                #: depth decay of the hierarchical loss, exp(-alpha * depth)
    class_weighted: bool = True       #: weight nodes by N_total / (K * N_with_node)
    max_per_class: int | None = None  #: cap on training objects per leaf (random subset)
    val_fraction: float = 0.2         #: objects per leaf held out for validation (when no val set)
    patience: int = 8                 #: stop after this many epochs without a better validation loss
    time_limit_s: float | None = None  #: stop after the epoch that passes this wall time (seconds);
    #: makes the number of epochs depend on the machine, so results are then not reproducible
    seed: int = 0                     #: initialisation, split, shuffling and windows
    max_length: int = 256             #: points per window at most (augment's ``max_length``)
    flux_scale: str = "asinh"         #: augment's flux feature: "asinh" (asinh(FLUXCAL); learns faster
    #: than ORACLE's FLUXCAL / 1000 in our tests) or "linear"
    buckets: tuple[int, ...] = (16, 32, 64, 128, 256)  #: padded lengths compiled (shapes reused)
    eval_batch_size: int = 1024       #: windows per inference call
    # GRU
    hidden: int = 100
    # transformer
    d_model: int = 64
    heads: int = 4
    layers: int = 2
    harmonics: int = 16
    period: float = 15.0              #: Fourier period in the time feature's units (1500 d / 100)
    # options passed to elasticc_fast.preprocess / augment (feature choices, trigger, ...)
    preprocess: dict = field(default_factory=dict)
    augment: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.arch not in ("gru", "transformer"):
            raise ValueError(f"arch must be 'gru' or 'transformer', not {self.arch!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), not {self.val_fraction}")
        if self.flux_scale not in ("asinh", "linear"):
            raise ValueError(f"flux_scale must be 'asinh' or 'linear', not {self.flux_scale!r}")
        object.__setattr__(self, "buckets", tuple(sorted(int(b) for b in self.buckets)))

    def augment_options(self) -> dict[str, Any]:
        """Keyword arguments for ``elasticc_fast.augment`` (``augment`` entries override)."""
        return {"max_length": self.max_length, "flux_scale": self.flux_scale, **self.augment}

    def model_kwargs(self) -> dict[str, Any]:
        if self.arch == "gru":
            return {"hidden": self.hidden}
        return {"d": self.d_model, "heads": self.heads, "layers": self.layers,
                "harmonics": self.harmonics, "period": self.period}

    def replace(self, **kw: Any) -> "TrainConfig":
        return dataclasses.replace(self, **kw)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {sorted(unknown)}")
        d = dict(d)
        d.setdefault("flux_scale", "linear")  # models saved before the field existed used augment's default
        if "buckets" in d:
            d["buckets"] = tuple(d["buckets"])
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        return cls.from_dict(json.loads(text))
