"""``elasticc-fast benchmark ztf-bts``: the real-data classification benchmark on the ZTF Bright
Transient Survey (2,693 spectroscopically typed objects in 5 leaf classes).

Every model on the same stratified folds (default 5, seed 0), scored on pooled out-of-fold
predictions: leaf and top-level macro-F1 with the spread over folds and per-class F1, on curves cut
at 4, 8, 16, 32 and 64 days after the first detection and on full curves. Two tracks:
``--context none`` (photometry only) and ``--context redshift`` (spectroscopic redshift, |b| and
A_V from the BTS table, given to every model; "spec-z" in every table). The deep models hold 15 %
of each training fold out to choose their epoch (by validation leaf macro-F1); test objects are
never seen in training. The experiment: :mod:`elasticc_fast.benchmarks.bts`; this module is its
command line (``elasticc-fast benchmark ztf-bts``).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .bts_models import DEFAULT_MODELS, MODELS


def register_cli(sub: Any) -> None:
    """Add ``ztf-bts`` to the ``benchmark`` verb's sub-commands."""
    z = sub.add_parser(
        "ztf-bts", help="ZTF BTS: deep models vs random forest and LightGBM, k-fold CV, two context tracks",
        description=__doc__.split("\n\n", 1)[1].split("The experiment:")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    z.add_argument("--data", type=Path, default=None,
                   help="the ztf_bts folder (default: $ELASTICC_FAST_SHARED/ztf_bts or ../shared/data/ztf_bts)")
    z.add_argument("--context", choices=("none", "redshift", "both"), default="none",
                   help="none: photometry only (default); redshift: + spec-z, |b|, A_V; both: one after the other")
    z.add_argument("--quick", action="store_true", help="one fold, both tracks, fewer epochs and trees")
    z.add_argument("--models", default=",".join(DEFAULT_MODELS),
                   help=f"comma-separated subset of {','.join(MODELS)} (default {','.join(DEFAULT_MODELS)})")
    z.add_argument("--folds", type=int, default=5, help="number of stratified folds (default 5)")
    z.add_argument("--fold-limit", type=int, default=None, help="run only the first N folds")
    z.add_argument("--seed", type=int, default=0, help="seed of the split and of every model (default 0)")
    z.add_argument("--ensemble", type=int, default=None, help="deep models: average K seeds (default 2; --quick 1)")
    z.add_argument("--epochs", type=int, default=None, help="deep models: maximum epochs")
    z.add_argument("--test-views", type=int, default=None, metavar="R",
                   help="hybrid-tta: noise-only views of each test curve averaged with it (default 4)")
    z.add_argument("--pretrain", type=int, default=None, metavar="N",
                   help="also run hybrid-pre (the hybrid pretrained on N simulated ZTF objects, fine-tuned per fold), "
                   "hybrid-sim (the pretrained model alone) and hybrid; when --models names hybrid-pre or hybrid-sim, "
                   "only the models named")
    z.add_argument("--sim-share", type=float, default=None, metavar="S",
                   help="hybrid-pre: simulated views per real view in every fine-tuning epoch (default 0.5; "
                   "0: fine-tune on the real objects alone)")
    z.add_argument("--ztf-survey", choices=("round8", "round9"), default=None, help="hybrid-pre/-sim: the "
                   "simulator's ZTF survey model they pretrain on (default round8; simulate --ztf-survey)")
    z.add_argument("--ztf-shapes", choices=("round8", "round11"), default=None, help="hybrid-pre/-sim: the "
                   "simulator's ZTF light-curve shapes they pretrain on (default round8; simulate --ztf-shapes)")
    z.add_argument("--pretrain-models", type=int, default=None, metavar="M",
                   help="hybrid-pre: pretrained models (training seeds) its ensemble members start from, member k "
                   "from model k mod M (default per track: 3 photometry only, 1 with spec-z)")
    z.add_argument("--pretrain-seed", type=int, default=None, metavar="S", help="hybrid-pre/-sim: seed of the simulated "
                   "objects and of pretrained model i (S + i; default 1000); another S measures the pretraining's spread")
    z.add_argument("--pretrain-epochs", type=int, default=None, metavar="E", help="hybrid-pre/-sim: epochs of each "
                   "pretraining on the simulated objects (default 20; its epoch is chosen on 15 %% of them)")
    z.add_argument("--aux-weight", type=float, default=None, metavar="W",
                   help="hybrid-pre, photometry only: weight of an auxiliary head that learns the training objects' "
                   "log10 spectroscopic redshift beside their classes (never an input; default 0: off)")
    z.add_argument("--redshift-augment", type=float, default=None, metavar="P",
                   help="deep models: chance that a training view of a real object is first re-observed at another "
                   "redshift (time dilation, distance dimming, the ZTF limit and the BTS 18.5 mag selection; the BTS "
                   "table's redshift as training-time metadata only; default 0: off; 0.5 was not better in the 5-fold run)")
    z.add_argument("--horizon", type=float, default=None, metavar="DAYS",
                   help="every model ignores points later than DAYS after the first detection, so 'full' means "
                   "up to DAYS (default: the BTS hybrid's horizon; 0: keep every point)")
    z.add_argument("--luminosity", nargs="?", const="all", default=None, choices=("all", "absmag"),
                   help="with --context redshift: every model also gets each cut's brightest absolute magnitude so far "
                   "(all: g, r, both; absmag: both alone; from the cut's detections, the redshift and A_V)")
    z.add_argument("--max-objects", type=int, default=None, help="stratified subset of this many objects (smoke tests)")
    z.add_argument("--jobs", type=int, default=2, help="threads for features and tree models (default 2)")
    z.add_argument("--json", type=Path, default=None, help="write the results (per model and track: macro_f1 by cut)")
    z.add_argument("--markdown", type=Path, default=None, help="write the markdown tables here")


def run_cli(args: argparse.Namespace) -> int:
    """Run ``benchmark ztf-bts`` from its parsed arguments; print the tables, write JSON/markdown."""
    from ..atomic import atomic_path
    from .bts import default_data, run_track
    from .bts_models import check_options
    from .bts_report import markdown

    opts = {k: v for k, v in {"ensemble": args.ensemble, "epochs": args.epochs, "pretrain": args.pretrain,
                              "test_views": args.test_views, "sim_share": args.sim_share,
                              "pretrain_models": args.pretrain_models, "pretrain_seed": args.pretrain_seed,
                              "pretrain_epochs": args.pretrain_epochs, "horizon": args.horizon,
                              "aux_weight": args.aux_weight, "redshift_augment": args.redshift_augment,
                              "luminosity": args.luminosity, "ztf_survey": args.ztf_survey,
                              "ztf_shapes": args.ztf_shapes}.items()
                  if v is not None}
    check_options(opts)  # run_track checks them too, but only after the data folder's check below
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    pretrained = {"hybrid-pre", "hybrid-sim"} & set(models)
    if pretrained and not args.pretrain:
        raise UsageError("models hybrid-pre and hybrid-sim need --pretrain N (the number of simulated objects)")
    if args.pretrain and not pretrained:  # the pretrained hybrid next to the same model without pretraining
        models = list(dict.fromkeys([*models, "hybrid", "hybrid-pre", "hybrid-sim"]))
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        raise UsageError(f"unknown models {unknown} (choose from {', '.join(MODELS)})")
    data = args.data or default_data()
    if not (data / "ANTARES").is_dir():
        raise UsageError(f"{data}: not the ztf_bts folder (no ANTARES/ inside); give --data or set "
                         "ELASTICC_FAST_SHARED")
    tracks = ("none", "redshift") if args.quick or args.context == "both" else (args.context,)
    cache: dict = {}  # the deep models' view features serve both tracks
    done: list[dict] = []

    def write(partial: dict | None = None) -> str:  # after every fold: a long run leaves its folds behind
        results = done + ([partial] if partial else [])
        text = markdown(results)
        for path, body in ((args.json, json.dumps({"tracks": {r["context"]: r for r in results}}, indent=1)),
                           (args.markdown, text + "\n")):
            if path:
                with atomic_path(path) as tmp:
                    tmp.write_text(body)
        return text

    for c in tracks:
        done.append(run_track(data, context=c, models=models, folds=args.folds, fold_limit=args.fold_limit,
                              seed=args.seed, quick=args.quick, jobs=args.jobs, max_objects=args.max_objects,
                              options=opts, cache=cache, on_fold=write))
    print(write())
    return 0
