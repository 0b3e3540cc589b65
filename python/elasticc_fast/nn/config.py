"""The training configuration: one frozen dataclass, saved as JSON beside every checkpoint."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from ..options import PreprocessOptions, WindowOptions

#: the encodings of the static (tabular) inputs, :class:`~elasticc_fast.nn.data.StaticNorm`
STATIC_ENCODINGS = ("standard", "quantile", "ple")

#: TrainConfig's default windows (augment's defaults, but at most 256 points and asinh flux)
DEFAULT_WINDOWS = WindowOptions(max_length=256, flux_scale="asinh")
ARCHS = ("gru", "transformer", "hybrid")
#: the BTS benchmark's hybrid training (``train --data bts``; elasticc_fast.benchmarks.bts_models uses it);
#: horizon 96 d: later points (mostly host residuals, a second season) cost every model F1 on
#: full curves, 96 measured best of 32-256 d on folds 1-2 (benchmarks/RESULTS.md "horizon");
#: redshift augmentation (redshift_augment) off: 0.5 was ahead on an inner split of fold 1's training
#: part but behind in the 5-fold run that followed (benchmarks/RESULTS.md "ninth session"); the key stays
#: so that the photometry track's default has one place to live (0 with spec-z whatever it says)
BTS_HYBRID = {"arch": "hybrid", "sampler_power": 0.5, "monitor": "val_f1", "class_weighted": False,
              "batch_size": 64, "epochs": 24, "patience": 6, "hidden": 48, "width": 128, "encoder": "set",
              "buckets": (32, 128), "max_length": 128, "val_fraction": 0.15, "horizon": 96.0,
              "redshift_augment": 0.0}
#: the ELAsTiCC/LSST training of ``elasticc-fast train`` (Parquet) and ``demo``: the hybrid with the
#: set encoder, the ``light-curve`` features of all six bands, ORACLE's host/MW columns as context
#: (piecewise-linear encoding of the tabular inputs with missing-value indicators), an ensemble of 2
#: (measured on the demo's simulation, benchmarks/RESULTS.md); 40 % of the training views whole curves
#: and up to 256 points per window (the point branch saw only the first 128, half of a pulsator's
#: curve): the demo's 1024-d cut +0.023 / +0.033 in two seeds over 0.25 and 128 points, 1 d -0.030 /
#: -0.038 (RESULTS "the demo, eighteenth session"). Non-detections are not thinned (``thin_nondetections``
#: 0.8 raised the real-set mean 0.587 -> 0.622, mostly on the Fink KN alerts, but cost the demo 0.017 / 0.028
#: at 1024 d: RESULTS "sim-to-real, twentieth session")
ELASTICC_HYBRID = {"arch": "hybrid", "encoder": "set", "hidden": 64, "width": 128, "sampler_power": 0.5,
                   "monitor": "val_f1", "class_weighted": False, "batch_size": 64, "epochs": 40, "patience": 10,
                   "max_length": 256, "buckets": (32, 128, 256), "feature_bands": ("u", "g", "r", "i", "z", "Y"),
                   "context": "oracle", "ensemble": 2, "threads": 2, "static_encoding": "ple",
                   "missing_indicators": True, "full_views": 0.4}
_WINDOW_FIELDS = {f.name for f in dataclasses.fields(WindowOptions)}
_PREPROCESS_FIELDS = {f.name for f in dataclasses.fields(PreprocessOptions)}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (defaults: a useful model in a few CPU minutes).

    Windows: every epoch each training object gets one fresh random prefix window
    (``augment(windows="fraction")`` with the options ``windows``); validation uses fixed windows
    of the same kind. Keyword names of the option fields work in :meth:`replace`.
    """

    arch: str = "gru"                 #: "gru" (ORACLE's shape), "transformer" (ATAT's idea) or
    #: "hybrid" (light curve + light-curve features + context, :mod:`elasticc_fast.nn.hybrid`)
    epochs: int = 40                  #: maximum number of epochs
    batch_size: int = 128             #: windows per training step
    learning_rate: float = 2e-3       #: Adam learning rate at step 0
    lr_decay: float = 0.9             #: multiply the learning rate by this every ``decay_steps`` steps
    decay_steps: int = 500
    clip_norm: float = 1.0            #: global gradient-norm clipping
    warmup_steps: int = 0             #: raise the learning rate linearly over this many first steps
    freeze_steps: int = 0             #: train only the ``head`` module in this many first steps
    #: (fine-tuning: the head adapts before the pretrained encoders move)
    alpha: float = 0.5                #: depth decay of the hierarchical loss, exp(-alpha * depth)
    class_weighted: bool = True       #: weight nodes by (N_total / (K * N_with_node)) ** class_weight_power
    class_weight_power: float = 1.0   #: 1: ORACLE's weights; 0.5: ORACLE-2's tempered ones
    sampler_power: float | None = None  #: draw each epoch's objects class-balanced: class c a fraction
    #: N_c**p / sum N_k**p of the epoch (0: equal; None: every object once, the natural mix)
    ensemble: int = 1                 #: train this many members (seeds seed, seed+1, ...); average them
    context: str = "none"             #: hybrid: per-object context inputs ("none", "redshift" or
    #: "oracle", :mod:`elasticc_fast.context`)
    luminosity: bool | str = False    #: hybrid with context "redshift": also give each window's brightest
    #: absolute magnitude so far per band and overall (True or "all"), or overall alone ("absmag")
    #: (:mod:`elasticc_fast.luminosity`)
    max_per_class: int | None = None  #: cap on training objects per leaf (random subset)
    val_fraction: float = 0.2         #: objects per leaf held out for validation (when no val set)
    patience: int = 8                 #: stop after this many epochs without a better monitored value
    monitor: str = "val_loss"         #: keep the epoch with the lowest "val_loss" or highest "val_f1"
    aux_targets: tuple[str, ...] = ()  #: hybrid: per-object values the network also learns to
    #: predict from its shared embedding (learning with privileged information: never inputs), names of
    #: the ``redshift`` context's columns (:func:`elasticc_fast.context.aux_matrix`); unused at prediction
    aux_weight: float = 0.0           #: weight of their masked mean squared error (standardised targets,
    #: NaN ignored) beside the classification loss; 0 with no ``aux_targets``: no auxiliary head
    redshift_augment: float = 0.0     #: hybrid on a LightCurveBatch with a ``redshift`` static column:
    #: chance that a training view is first re-observed at another redshift (:mod:`elasticc_fast.redshifting`;
    #: the redshift is training-time metadata, an input only with context "redshift"); 0: off
    full_views: float = 0.0           #: hybrid: chance that a training view is the whole curve, not cut
    #: (:class:`~elasticc_fast.views.ViewOptions` ``full_share``); 0: every view cut at 2**U(0, 11) days
    thin_nondetections: float = 0.0   #: hybrid: drop a training view's non-detections at a rate drawn
    #: per view from U(0, this) (:class:`~elasticc_fast.views.ViewOptions` ``thin``); 0: keep them all
    average_best: int = 1             #: the model is the mean of the parameters of this many best
    #: epochs by ``monitor`` (1: the best epoch's alone; :class:`~elasticc_fast.nn.loop.BestEpoch` ``keep``)
    time_limit_s: float | None = None  #: stop after the epoch that passes this wall time (seconds; an
    #: ensemble shares it: each member gets an equal part of what is left); makes the number of
    #: epochs depend on the machine, so results are then not reproducible
    seed: int = 0                     #: initialisation, split, shuffling and windows
    buckets: tuple[int, ...] = (16, 32, 64, 128, 256)  #: padded lengths compiled (shapes reused)
    eval_batch_size: int = 1024       #: windows per inference call
    # GRU
    hidden: int = 100
    # hybrid (hidden: its GRU width)
    width: int = 128                  #: width of the tabular (features + context) branch
    seq: bool = True                  #: use the light-curve branch
    encoder: str = "gru"              #: its encoder: "gru" or "set" (per-point MLP, mean/max pooled)
    feature_bands: tuple[str, ...] = ("g", "r")  #: bands of its ``light-curve`` features (LSST: ugrizY)
    threads: int = 1                  #: threads of its feature extraction (the result does not depend on it)
    static_encoding: str = "standard"  #: encoding of the static (tabular) inputs, fitted on the
    #: training windows: "standard" (mean/scale), "quantile" (to a normal) or "ple" (piecewise linear)
    static_bins: int = 8              #: bins per input of the "ple" encoding
    missing_indicators: bool = False  #: append a 0/1 input per static column that can be NaN
    horizon: float | None = None      #: hybrid: ignore points later than this many days after the
    #: first detection in validation and every prediction (late host residuals, a later event);
    #: training views keep every point (cutting them too did worse on BTS); None: use every point
    test_views: int = 0               #: predicting raw curves: also average over this many
    #: noise-only views of each curve (fluxes redrawn from their errors, views.noisy_view)
    # transformer
    d_model: int = 64
    heads: int = 4
    layers: int = 2
    harmonics: int = 16
    period: float = 15.0              #: Fourier period in the time feature's units (1500 d / 100)
    #: preprocessing of raw light curves (trigger, history)
    preprocess: PreprocessOptions = PreprocessOptions()
    #: windows and features: at most 256 points; asinh(FLUXCAL) learns faster than ORACLE's
    #: FLUXCAL / 1000 in our tests
    windows: WindowOptions = DEFAULT_WINDOWS

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {', '.join(ARCHS)}, not {self.arch!r}")
        if self.average_best < 1:
            raise ValueError(f"average_best must be >= 1, not {self.average_best}")
        if self.ensemble < 1 or self.test_views < 0:
            raise ValueError(f"ensemble must be >= 1 and test_views >= 0, not {self.ensemble}, {self.test_views}")
        if not (0.0 <= self.redshift_augment <= 1.0 and 0.0 <= self.full_views <= 1.0):
            raise ValueError("redshift_augment and full_views must be in [0, 1], "
                             f"not {self.redshift_augment}, {self.full_views}")
        if not (0.0 <= self.thin_nondetections < 1.0 and (self.thin_nondetections == 0 or self.arch == "hybrid")):
            raise ValueError(f"thin_nondetections must be in [0, 1) and needs arch='hybrid', not "
                             f"{self.thin_nondetections} with {self.arch!r}")
        if self.sampler_power is not None and self.sampler_power < 0:
            raise ValueError(f"sampler_power must be >= 0 or None, not {self.sampler_power}")
        if self.context not in ("none", "redshift", "oracle"):
            raise ValueError(f"context must be 'none', 'redshift' or 'oracle', not {self.context!r}")
        if self.luminosity:
            from ..luminosity import luminosity_kind  # only when set: keeps the CLI's start-up light

            luminosity_kind(self.luminosity)
            if not (self.arch == "hybrid" and self.context == "redshift"):
                raise ValueError(f"luminosity needs arch='hybrid' and context='redshift', not {self.arch!r}, "
                                 f"{self.context!r}")
        if self.static_encoding not in STATIC_ENCODINGS or self.static_bins < 1:
            raise ValueError(f"static_encoding must be 'standard', 'quantile' or 'ple' and static_bins >= 1, "
                             f"not {self.static_encoding!r}, {self.static_bins}")
        if self.horizon is not None and not (self.horizon > 0 and self.arch == "hybrid"):
            raise ValueError(f"horizon must be > 0 days and needs arch='hybrid', not {self.horizon} with {self.arch!r}")
        if self.monitor not in ("val_loss", "val_f1"):
            raise ValueError(f"monitor must be 'val_loss' or 'val_f1', not {self.monitor!r}")
        self._check_aux()
        if self.warmup_steps < 0 or self.freeze_steps < 0:
            raise ValueError(f"warmup_steps and freeze_steps must be >= 0, not {self.warmup_steps}, {self.freeze_steps}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), not {self.val_fraction}")
        object.__setattr__(self, "buckets", tuple(sorted(int(b) for b in self.buckets)))
        object.__setattr__(self, "feature_bands", tuple(str(b) for b in self.feature_bands))
        object.__setattr__(self, "aux_targets", tuple(str(a) for a in self.aux_targets))
        object.__setattr__(self, "preprocess", PreprocessOptions.build(self.preprocess))
        object.__setattr__(self, "windows", WindowOptions.build(self.windows))

    def _check_aux(self) -> None:
        if self.aux_weight < 0:
            raise ValueError(f"aux_weight must be >= 0, not {self.aux_weight}")
        if not self.aux_targets:
            return
        from ..context import AUX_TARGETS  # imports pandas: only when asked for (the CLI's start-up)

        bad = [a for a in self.aux_targets if a not in AUX_TARGETS]
        if bad or self.arch != "hybrid":
            raise ValueError(f"aux_targets must be among {', '.join(AUX_TARGETS)} (arch 'hybrid'), "
                             f"not {list(self.aux_targets)} with {self.arch!r}")

    @property
    def aux(self) -> bool:
        """Whether training has an auxiliary head (``aux_targets`` given)."""
        return bool(self.aux_targets)

    def model_kwargs(self) -> dict[str, Any]:
        if self.arch == "gru":
            return {"hidden": self.hidden}
        if self.arch == "hybrid":
            return {"hidden": self.hidden, "width": self.width, "seq": self.seq, "encoder": self.encoder}
        return {"d": self.d_model, "heads": self.heads, "layers": self.layers,
                "harmonics": self.harmonics, "period": self.period}

    def replace(self, **kw: Any) -> "TrainConfig":
        """A copy with fields changed; names of :class:`WindowOptions` (``max_length``,
        ``flux_scale`` ...) and :class:`PreprocessOptions` (``trigger``, ``history``) fields
        change ``windows`` / ``preprocess``."""
        win = {k: kw.pop(k) for k in list(kw) if k in _WINDOW_FIELDS}
        pre = {k: kw.pop(k) for k in list(kw) if k in _PREPROCESS_FIELDS}
        if win:
            kw["windows"] = WindowOptions.build(kw.get("windows", self.windows), **win)
        if pre:
            kw["preprocess"] = PreprocessOptions.build(kw.get("preprocess", self.preprocess), **pre)
        return dataclasses.replace(self, **kw)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**d, "buckets": list(self.buckets), "feature_bands": list(self.feature_bands),
                "aux_targets": list(self.aux_targets), "preprocess": self.preprocess.to_dict(),
                "windows": self.windows.to_dict()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """From :meth:`to_dict` output; also reads configs saved before the options were typed
        (``augment`` dict, ``max_length`` and ``flux_scale`` fields; no ``flux_scale``: linear)."""
        d = dict(d)
        if "windows" not in d:
            d["windows"] = {"flux_scale": d.pop("flux_scale", "linear"), "max_length": d.pop("max_length", 256),
                            **d.pop("augment", {})}
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {sorted(unknown)}")
        d["windows"] = WindowOptions.from_dict(d["windows"])
        d["preprocess"] = PreprocessOptions.from_dict(d.get("preprocess"))
        for k in ("buckets", "aux_targets"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> "TrainConfig":
        return cls.from_dict(json.loads(text))


def base_config(data: str = "parquet", arch: str | None = None, changes: dict[str, Any] | None = None) -> TrainConfig:
    """``elasticc-fast train``'s training, ``changes`` (its options) applied: ``data="bts"`` the BTS
    benchmark's hybrid (:data:`BTS_HYBRID`; with a context its redshift augmentation is off unless
    ``changes`` set it, as on the benchmark's spec-z track, where it was not measured); Parquet
    (ELAsTiCC) :data:`ELASTICC_HYBRID` (the demo's), or the :class:`TrainConfig` defaults when ``arch``
    names another architecture."""
    changes = dict(changes or {})
    if data == "bts":
        config = TrainConfig().replace(**BTS_HYBRID).replace(**changes)
        if config.context != "none" and "redshift_augment" not in changes:
            config = config.replace(redshift_augment=0.0)
        return config
    base = TrainConfig().replace(**ELASTICC_HYBRID) if arch in (None, "hybrid") else TrainConfig()
    return base.replace(**changes)
