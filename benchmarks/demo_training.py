"""Compare training settings on the demo's simulated split (what issue 12's demo table was built with).

Simulates and converts the demo's set once (``elasticc-fast demo`` defaults: 300 objects per class,
seed 0, the same 70/30 split), then trains a :class:`~elasticc_fast.Classifier` with each settings
JSON and scores it with the demo's protocol at ``--days`` and the full curve; no time cap, so the
numbers do not depend on the machine's load (the times do).

    python benchmarks/demo_training.py '{}'                                   # the demo's training
    python benchmarks/demo_training.py '{"ensemble": 1}' '{"encoder": "gru", "ensemble": 1}' --json out.json

Each JSON object overrides ``nn.config.ELASTICC_HYBRID`` (``{"arch": "gru", ...}`` for others).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _machine import write_json  # noqa: E402 (benchmarks/ is on sys.path when run as a script)
from elasticc_fast.classifier import Classifier
from elasticc_fast.demo import DemoSettings, _Clock, simulated_batch, split_labelled
from elasticc_fast.evaluate import evaluate
from elasticc_fast.nn.config import ELASTICC_HYBRID


def run_one(settings: dict, split: tuple, days: tuple[int, ...]) -> dict:
    """Train with ``ELASTICC_HYBRID | settings`` on the split's training part and score the test part."""
    train, test, y_train, y_test = split
    t0 = time.perf_counter()
    clf = Classifier(**{**ELASTICC_HYBRID, **settings}).fit(train, labels=y_train, show_progress=False)
    t_train = time.perf_counter() - t0
    ev = evaluate(clf, test, days=days, leaves=y_test)
    last = ev.windows[-2]
    return {"settings": settings, "train_s": round(t_train, 1), "epochs": len(clf.history),
            "best_epoch": clf.best_epoch,
            "leaf_macro_f1": {str(w): round(ev.scores[w]["leaf"].f1, 4) for w in ev.windows},
            f"leaf_f1_per_class_{last}d": {n: round(float(f), 3) for n, f in
                                           zip(ev.class_names["leaf"], ev.scores[last]["leaf"].per_class_f1, strict=True)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("settings", nargs="+", help="JSON objects of Classifier keywords")
    ap.add_argument("--objects-per-class", type=int, default=DemoSettings.objects_per_class)
    ap.add_argument("--days", default="8,64,1024", help="evaluation day counts")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    s = DemoSettings(objects_per_class=args.objects_per_class)
    with tempfile.TemporaryDirectory() as tmp:
        split = split_labelled(simulated_batch(s, Path(tmp), Path(tmp), _Clock(print)), s)
    days = tuple(int(d) for d in args.days.split(","))
    rows = []
    for text in args.settings:
        rows.append(run_one(json.loads(text), split, days))
        print(json.dumps(rows[-1]), flush=True)
    if args.json:
        write_json(args.json, {"benchmark": "demo_training", "runs": rows})


if __name__ == "__main__":
    main()
