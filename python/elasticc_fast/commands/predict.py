"""``elasticc-fast predict MODEL_DIR INPUT --out FILE``: class probabilities for objects or alerts."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..errors import UsageError

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
probability. An existing --out file is replaced only with --overwrite, an input never.
--out FILE.avro (alerts only): an avro container of ELAsTiCC brokerClassification records (schema
v0.9.1), one per alert, one (classId, probability) entry per leaf with the official ELAsTiCC class
ids, probabilities summing to 1.
--format rubin|ztf: INPUT is alert packet files (or folders) read by the stream's decoders (Rubin
wire format, one packet per file; ZTF alert avro); ztf with .avro: ALeRCE-style records."""


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="class probabilities for converted Parquet or ELAsTiCC alerts",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", metavar="MODEL_DIR", help="folder written by `elasticc-fast train` (or demo)")
    p.add_argument("input", metavar="INPUT", nargs="+", help="converted Parquet or alert files/folders")
    p.add_argument("--out", required=True, metavar="FILE", help="output .parquet, .csv or (alerts) .avro")
    p.add_argument("--format", choices=("elasticc", "rubin", "ztf"), default="elasticc",
                   help="elasticc: converted Parquet or ELAsTiCC alerts (default); rubin, ztf: alert packet files")
    p.add_argument("--alert-schema", metavar="PATH", default=None,
                   help="writer schema of schemaless avro alerts (.avsc, or an avro container written with it)")
    p.add_argument("--broker-name", default="elasticc_fast", help="brokerName in brokerClassification records")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.add_argument("--classifier-name", default=None,
                   help="classifierName in brokerClassification records (default: elasticc_fast <version> <arch>)")
    return p


def run(args: argparse.Namespace) -> int:
    from ..atomic import check_output_file
    from ..classifier import Classifier
    from ..io.alerts import is_alert_input
    from ..packets import predict_packets_verb
    from ..predict import probability_table, read_inputs, write_alert_records, write_table

    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv", ".avro"):
        raise UsageError(f"--out must end in .parquet, .csv or .avro, not {out.name!r}")
    check_output_file(out, args.input, args.overwrite)   # before any work: never replace an input
    if args.format != "elasticc":   # packet files, through the stream's decoders
        print(predict_packets_verb(args, out))
        return 0
    if suffix == ".avro" and not is_alert_input(args.input):
        raise UsageError("--out FILE.avro (brokerClassification) needs ELAsTiCC alerts as INPUT")
    clf = Classifier.load(args.model_dir)
    table, alerts = read_inputs(args.input, args.alert_schema)
    if suffix != ".avro":
        write_table(out, probability_table(clf, table, alerts))
        print(f"wrote probabilities of {table.num_rows} {'alerts' if alerts else 'objects'} to {out}")
        return 0
    n = write_alert_records(out, clf, table, broker_name=args.broker_name, classifier_name=args.classifier_name,
                            classifier_params=f"model={Path(args.model_dir).name}")
    print(f"wrote {n} brokerClassification records to {out}")
    return 0
