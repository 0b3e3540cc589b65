"""Pretraining on simulated ZTF objects for the BTS benchmark (``benchmark ztf-bts --pretrain N``).

The model ``hybrid-pre`` is the benchmark's ``hybrid`` model (same configuration, same folds, same
context columns, same ensemble size) whose training on each fold starts from weights pretrained on
``N`` objects of ``elasticc-fast simulate --survey ztf`` (:func:`elasticc_fast.sim.ztf.simulate_ztf`:
alert detections, microjansky, the BTS reader's static columns, so the spec-z track takes the
simulated redshift, |b| and A_V exactly as it takes the BTS table's). Pretraining never sees a real
object: it holds 15 % of the *simulated* objects out to choose its epoch, and runs once per track
(the result is kept in the fold cache, so every fold fine-tunes from the same weights).
Fine-tuning keeps ``sim_share`` simulated views per real view in every epoch (co-training,
:mod:`.bts_cotrain`: the network does not forget the simulated rare classes). Ensemble member k
fine-tunes from pretrained model ``k mod pretrain_models``: the models share the simulated set and
differ in their training seed, so the members do not all start from one point (members fine-tuned
from one pretrained model stay close and average to little more than one of them).

Simulated classes: the BTS types the simulator has that map to a leaf of the BTS tree (TDE has
none); each leaf gets N / 5 objects, split over its types in about the BTS catalogue's proportions
(:data:`TYPE_SHARES`: a simulated "SN Ia" is mostly a normal SN Ia, as a real one is).
"""
from __future__ import annotations

import logging
import time

import numpy as np

log = logging.getLogger(__name__)

#: pretraining defaults (``fold.options`` overrides: ``pretrain`` = N, ``pretrain_epochs``,
#: ``pretrain_seed``, ``finetune_lr``, ``sim_share``: simulated views per real view in every
#: fine-tuning epoch, :mod:`.bts_cotrain`; 0: fine-tune on the real objects alone; 0.5 measured best
#: of 0 / 0.5 / 1, benchmarks/RESULTS.md "co-training"; ``pretrain_models``: pretrained models the
#: ensemble members start from, member k from model k mod M, each pretrained only when a member needs
#: it; its default depends on the track, :data:`PRETRAIN_MODELS`; ``ztf_survey``: the simulator's ZTF survey
#: model, :data:`elasticc_fast.sim.ztf_survey.SURVEYS`; ``ztf_shapes``: its light-curve shapes,
#: :data:`elasticc_fast.sim.params.ZTF_SHAPES`)
PRETRAIN_DEFAULTS = {"pretrain": 0, "pretrain_epochs": 20, "pretrain_seed": 1000, "finetune_lr": 1e-3,
                     "sim_share": 0.5, "aux_weight": 0.0, "ztf_survey": "round8", "ztf_shapes": "round8"}
#: fine-tuning's auxiliary targets per track (``TrainConfig.aux_targets``) when ``aux_weight`` > 0
#: (default 0: none): photometry only, the network also learns log10 of the spectroscopic redshift of
#: the training objects (real: the BTS table's, simulated: the true one), never an input (learning
#: with privileged information); with spec-z the redshift is an input. Not adopted: weight 0.3 and 1
#: measured no better on an inner split of fold 1's training part (benchmarks/RESULTS.md "eighth session")
AUX_TARGETS = {"photometry": ("redshift",), "spec-z": ()}
#: ``pretrain_models`` when the run does not set it, per track: 3 photometry only, 1 with spec-z
#: (measured on an inner split of fold 1's training part, benchmarks/RESULTS.md "seventh session")
PRETRAIN_MODELS = {"photometry": 3, "spec-z": 1}


#: the simulated types of each BTS leaf and their shares, about the BTS catalogue's mix
#: (Perley et al. 2020; e.g. 91bg-like are ~1 % of its SNe Ia, and its CV/nova class is novae)
TYPE_SHARES = {
    "SN Ia": {"SN Ia": 0.93, "SN Ia-91T": 0.05, "SN Ia-91bg": 0.02},
    "SN II": {"SN II": 0.68, "SN IIP": 0.07, "SN IIn": 0.15, "SN IIb": 0.10},
    "SN Ib/c": {"SN Ib": 0.30, "SN Ic": 0.45, "SN Ic-BL": 0.25},
    "SLSN": {"SLSN-I": 0.65, "SLSN-II": 0.35},
    "CV/nova": {"nova": 0.9, "CV": 0.1},
}


def pretraining_classes() -> list[str]:
    """The simulated ZTF types pretrained on (each has a leaf in the BTS tree)."""
    return [t for shares in TYPE_SHARES.values() for t in shares]


def type_counts(n_objects: int) -> dict[str, int]:
    """Objects of each type: ``n_objects`` split equally over the leaves, then by :data:`TYPE_SHARES`
    (at least one of each type)."""
    per_leaf = n_objects / len(TYPE_SHARES)
    return {t: max(1, round(per_leaf * f)) for shares in TYPE_SHARES.values() for t, f in shares.items()}


def simulate_pretraining(n_objects: int, seed: int, workers: int = 1, i_share: float = 0.0, survey: str = "round8",
                         shapes: str = "round8"):
    """About ``n_objects`` simulated ZTF objects (alert detections), :func:`type_counts` of each type
    -> LightCurveBatch with BTS-tree ``labels``. ``i_share`` 0: g and r only, as the BTS curves;
    ``survey``, ``shapes``: the ZTF survey model and light-curve shapes (``simulate --ztf-survey``,
    ``--ztf-shapes``)."""
    from ..sim.ztf import simulate_ztf

    counts = type_counts(n_objects)
    sim = simulate_ztf(max(counts.values()), seed=seed, classes=list(counts), photometry="detections",
                       workers=workers, i_share=i_share, survey=survey, shapes=shapes)
    types = np.asarray(sim.static.column("bts_type").to_pylist())
    rank = np.zeros(len(types), np.int64)
    for t in counts:  # the first counts[t] objects of each type
        rank[types == t] = np.arange(int((types == t).sum()))
    return sim.take(np.flatnonzero(rank < np.array([counts[t] for t in types])))


def pretrain(fold, opts: dict, index: int = 0):
    """The ``hybrid`` model pretrained on simulated objects for ``fold``'s track (cached per track):
    model ``index`` trains with seed ``pretrain_seed + index`` on the same simulated objects."""
    from ..nn.config import BTS_HYBRID
    from ..nn.hybrid_data import HybridData
    from .bts_models import CUTS, horizon_of, luminosity_of

    horizon = horizon_of(fold.options)
    key = ("pretrained", fold.context_names, opts["pretrain"], opts["pretrain_seed"], opts["pretrain_epochs"], horizon,
           index, luminosity_of(fold), opts["ztf_survey"], opts["ztf_shapes"])
    if key in fold.cache:
        return fold.cache[key]
    t0 = time.perf_counter()
    sim, y, ctx, fit_idx, val_idx = pretraining_set(fold, opts)
    data = HybridData(sim, y, ctx, fold.context_names, pool=fit_idx, sampler_power=BTS_HYBRID["sampler_power"],
                      n_jobs=fold.jobs, horizon=horizon, luminosity=luminosity_of(fold))
    val = data.cuts([*CUTS, None], objects=val_idx)
    clf = _classifier(fold, {"epochs": opts["pretrain_epochs"], "seed": opts["pretrain_seed"] + index})
    clf.fit(data, val=val, show_progress=False)
    log.info("pretrained on %d simulated objects (%s), seed %d: best epoch %d of %d, %.0f s", len(y),
             ", ".join(fold.context_names) or "photometry only", opts["pretrain_seed"] + index, clf.best_epoch, len(clf.history),
             time.perf_counter() - t0)
    fold.cache[key] = clf
    return clf


def pretraining_set(fold, opts: dict) -> tuple:
    """(simulated batch, leaf labels, context or None, fit objects, validation objects) of
    :func:`pretrain` (cached per track: co-training draws from the same objects)."""
    from ..context import context_matrix
    from ..crossval import validation_split

    key = ("pretraining-set", fold.context_names, opts["pretrain"], opts["pretrain_seed"], opts["ztf_survey"],
           opts["ztf_shapes"])
    if key not in fold.cache:
        sim = simulate_pretraining(opts["pretrain"], opts["pretrain_seed"], workers=fold.jobs, survey=opts["ztf_survey"],
                                   shapes=opts["ztf_shapes"])
        y = np.asarray(sim.labels, np.int64)
        ctx = context_matrix(sim.static, "redshift") if fold.context_names else None
        fit_idx, val_idx = validation_split(np.arange(len(y)), y, 0.15, opts["pretrain_seed"])
        fold.cache[key] = (sim, y, ctx, fit_idx, val_idx)
    return fold.cache[key]


def _classifier(fold, overrides: dict):
    """BTS_HYBRID with ``overrides`` (None values skipped) and the run's horizon, which may be None
    (``--horizon 0``) and must then replace BTS_HYBRID's rather than be skipped."""
    from ..classifier import Classifier
    from ..nn.config import BTS_HYBRID
    from .bts_models import horizon_of

    return Classifier(tree=fold.tree, **{**BTS_HYBRID, **{k: v for k, v in overrides.items() if v is not None},
                                         "horizon": horizon_of(fold.options)})


def _predict_cuts(fold, data, members: list) -> dict[str, np.ndarray]:
    from .bts_models import CUTS, cut_key

    out = {}
    for cut in (*CUTS, None):
        w = data.cut(cut, objects=fold.test)
        out[cut_key(cut)] = np.mean([m.predict_proba(w).to_numpy() for m in members], axis=0)
    return out


def _track(fold) -> str:
    """The key of :data:`PRETRAIN_MODELS` and :data:`AUX_TARGETS` for ``fold``'s context."""
    return "spec-z" if fold.context_names else "photometry"


def _options(fold) -> dict:
    from .bts_models import DEEP_DEFAULTS

    opts = {**DEEP_DEFAULTS, **PRETRAIN_DEFAULTS, "pretrain_models": PRETRAIN_MODELS[_track(fold)], **fold.options}
    if not opts["pretrain"]:
        raise ValueError("models hybrid-pre and hybrid-sim need a number of simulated objects: --pretrain N")
    return opts


def run_sim_only(fold) -> dict[str, np.ndarray]:
    """``hybrid-sim``: the pretrained model as it is, never trained on a real object (how far the
    simulation alone carries) -> {cut key: (len(test), K) marginals}."""
    from .bts_models import _hybrid_data

    opts = _options(fold)
    pre = pretrain(fold, opts)
    return _predict_cuts(fold, _hybrid_data(fold, fold.train, opts, True), [pre])


def run_pretrained(fold) -> dict[str, np.ndarray]:
    """``hybrid-pre`` on one fold: the ``hybrid`` model's training, member k started from the weights
    of :func:`pretrain` model ``k mod pretrain_models`` -> {cut key: (len(test), K) marginals}."""
    from ..nn.config import BTS_HYBRID
    from .bts_models import CUTS, _hybrid_data

    opts = _options(fold)
    data = _hybrid_data(fold, fold.train[~np.isin(fold.train, fold.val)], opts, True)
    val = data.cuts([*CUTS, None], objects=fold.val)
    aux = _aux_options(fold, data, opts)
    train = _with_simulated(fold, data, opts)
    k_members = opts["ensemble"] if "ensemble" in fold.options or not fold.quick else opts["quick_ensemble"]
    epochs = fold.options.get("epochs") or (opts["quick_epochs"] if fold.quick else BTS_HYBRID["epochs"])
    members = []
    for k in range(int(k_members)):
        index = k % int(opts["pretrain_models"])
        clf = _classifier(fold, {"epochs": epochs, "seed": fold.seed + k, "learning_rate": opts["finetune_lr"], **aux})
        clf.fit(train, val=val, show_progress=False, init_from=pretrain(fold, opts, index))
        log.info("fine-tuned member seed %d from pretrained model %d (%g simulated views per real view): "
                 "best epoch %d of %d", fold.seed + k, index, opts["sim_share"], clf.best_epoch, len(clf.history))
        members.append(clf)
    return _predict_cuts(fold, data, members)


def _aux_options(fold, data, opts: dict) -> dict:
    """The track's auxiliary targets (:data:`AUX_TARGETS`) as TrainConfig overrides ({} when none or
    ``aux_weight`` is 0); sets ``data.aux`` to them for the objects ``data`` draws from (NaN elsewhere:
    no other object's value reaches training)."""
    from ..context import aux_matrix

    names = AUX_TARGETS[_track(fold)]
    if not names or not opts["aux_weight"]:
        return {}
    aux = np.array(aux_matrix(fold.batch.static, names))  # a writable copy
    aux[~np.isin(np.arange(len(aux)), data.pool)] = np.nan
    data.aux = aux
    return {"aux_targets": names, "aux_weight": float(opts["aux_weight"])}


def _with_simulated(fold, data, opts: dict):
    """The fine-tuning source: ``data`` alone, or with ``sim_share`` simulated views per real one
    (with their own auxiliary targets when ``data`` has some)."""
    if not opts["sim_share"]:
        return data
    from ..context import aux_matrix
    from .bts_cotrain import CoTrainData

    sim, y, ctx, fit_idx, _ = pretraining_set(fold, opts)
    sim_aux = None if data.aux is None else aux_matrix(sim.static, AUX_TARGETS[_track(fold)])
    return CoTrainData(data, sim, y, ctx, fit_idx, share=float(opts["sim_share"]), sim_aux=sim_aux)
