"""``elasticc-fast predict MODEL_DIR INPUT --out FILE``: class probabilities for objects or alerts."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..errors import DataError, UsageError

NAME = "predict"
ORDER = 60

log = logging.getLogger(__name__)

DESCRIPTION = """\
Classify light curves with a trained model.

INPUT is converted Parquet (a file or a folder from `elasticc-fast convert`) or ELAsTiCC alerts
(Fink parquet, avro containers, or schemaless avro alerts with --alert-schema). Each alert is
classified on its light curve as the alert saw it (forced photometry + detections, psFlux in nJy
converted to FLUXCAL).

--out FILE.parquet or FILE.csv: one row per object (or alert) with its ids, the marginal
probability of every taxonomy node (one column per node, named), the predicted leaf and its
probability.
--out FILE.avro (alerts only): an avro container of ELAsTiCC brokerClassification records (schema
v0.9.1), one per alert, one (classId, probability) entry per leaf with the official ELAsTiCC class
ids, probabilities summing to 1."""


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="class probabilities for converted Parquet or ELAsTiCC alerts",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", metavar="MODEL_DIR", help="folder written by `elasticc-fast train` (or demo)")
    p.add_argument("input", metavar="INPUT", nargs="+", help="converted Parquet or alert files/folders")
    p.add_argument("--out", required=True, metavar="FILE", help="output .parquet, .csv or (alerts) .avro")
    p.add_argument("--alert-schema", metavar="PATH", default=None,
                   help="writer schema of schemaless avro alerts (.avsc, or an avro container written with it)")
    p.add_argument("--broker-name", default="elasticc_fast", help="brokerName in brokerClassification records")
    p.add_argument("--classifier-name", default=None,
                   help="classifierName in brokerClassification records (default: elasticc_fast <version> <arch>)")
    return p


def _write_table(path: Path, table) -> None:
    import pyarrow.parquet as pq

    from ..atomic import atomic_path

    with atomic_path(path, suffix=path.suffix) as tmp:
        if path.suffix.lower() == ".csv":
            table.to_pandas().to_csv(tmp, index=False)
        else:
            pq.write_table(table, tmp)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import pyarrow as pa

    from .._version import __version__
    from ..batch import LightCurveBatch
    from ..classifier import Classifier
    from ..io.alerts import is_alert_input, read_alerts
    from ..io.tables import read_table
    from ..predict import predict_table, predicted_leaves

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv", ".avro"):
        raise UsageError(f"--out must end in .parquet, .csv or .avro, not {out.name!r}")
    alerts = is_alert_input(args.input)
    if suffix == ".avro" and not alerts:
        raise UsageError("--out FILE.avro (brokerClassification) needs ELAsTiCC alerts as INPUT")
    clf = Classifier.load(args.model_dir)
    if alerts:
        table = read_alerts(args.input, schema=args.alert_schema)
    else:
        tables = [read_table(p) for p in args.input]
        table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    if suffix == ".avro":
        from ..io.broker import write_records
        from ..predict import classify_alerts

        arch = getattr(getattr(clf, "config", None), "arch", "")
        try:
            _, records = classify_alerts(
                clf, table, broker_name=args.broker_name, broker_version=__version__,
                classifier_name=args.classifier_name or f"elasticc_fast {__version__} {arch}".strip(),
                classifier_params=f"model={Path(args.model_dir).name}")
        except ValueError as exc:
            raise DataError(str(exc)) from None
        n = write_records(out, records)
        print(f"wrote {n} brokerClassification records to {out}")
        return 0
    id_cols = ["alertId", "diaSourceId", "SNID"] if alerts else [c for c in ("SNID", "model")
                                                                  if c in table.column_names]
    batch = LightCurveBatch.from_arrow(table, id_column="alertId" if alerts else "SNID")
    probs = predict_table(clf, batch)
    missing = probs.isna().any(axis=1).to_numpy()
    if missing.any():
        log.warning("predict: %d of %d inputs have no detection the model can use; they get no probabilities",
                    int(missing.sum()), len(batch))
    tree = clf.tree
    leaf, leaf_p = predicted_leaves(probs.to_numpy(dtype=np.float64), tree)
    columns = {c: table[c] for c in id_cols}
    columns.update({node: pa.array(probs[node].to_numpy(dtype=np.float32)) for node in tree.nodes})
    columns["predicted_leaf"] = pa.array(leaf.tolist(), pa.string())
    columns["predicted_probability"] = pa.array(leaf_p.astype(np.float32))
    _write_table(out, pa.table(columns))
    print(f"wrote probabilities of {len(batch)} {'alerts' if alerts else 'objects'} to {out}")
    return 0
