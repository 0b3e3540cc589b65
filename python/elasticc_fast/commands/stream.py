"""``elasticc-fast stream MODEL_DIR --bootstrap HOST:PORT ...``: classify a Kafka alert stream."""
from __future__ import annotations

import argparse

NAME = "stream"
ORDER = 65

DESCRIPTION = """\
Classify alerts from a Kafka topic and publish one ELAsTiCC brokerClassification record (schemaless
avro, v0.9.1, keyed by object id) per alert. At-least-once: input offsets are committed only after
the broker acknowledged every output of the micro-batch; a restart resumes from the last commit.
Bad messages go to --dead-letter-topic with the original bytes and a `reason` header (without it
they are logged and counted). SIGINT/SIGTERM finish the batch, commit and exit 0.

Formats: elasticc = ELAsTiCC v0.9.1 schemaless avro alerts (needs --schema, the alert .avsc);
rubin = Rubin alert packets in the Confluent wire format, schemas of lsst-alert-packet (current
and previous major version); ztf = ZTF alert packets (avro containers) for a model trained on ZTF
light curves, ALeRCE-style output (oid, candid, classifier, class_name/probability/ranking);
alerce-features = ALeRCE feature-step output messages (--schema: feature_step_output.avsc) for a
feature model (`elasticc-fast train DIR --data alerce-features`), ALeRCE-style output + `top`."""


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="classify a Kafka alert stream (brokerClassification out)",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model_dir", metavar="MODEL_DIR", help="folder written by `elasticc-fast train` (or demo)")
    p.add_argument("--bootstrap", required=True, metavar="HOST:PORT", help="Kafka bootstrap servers")
    p.add_argument("--input-topic", required=True, metavar="T", help="topic of alerts")
    p.add_argument("--output-topic", required=True, metavar="T2", help="topic for brokerClassification records")
    p.add_argument("--group", default="elasticc-fast", help="consumer group (default %(default)s)")
    p.add_argument("--format", default="elasticc", choices=["elasticc", "rubin", "ztf", "alerce-features"], help="input format")
    p.add_argument("--schema", metavar="PATH", help="writer schema (.avsc) of elasticc alerts or alerce-features messages")
    p.add_argument("--dead-letter-topic", metavar="T3", help="topic for messages that cannot be classified")
    p.add_argument("--batch", type=int, default=256, metavar="N", help="alerts per micro-batch (default %(default)s)")
    p.add_argument("--max-wait-ms", type=int, default=200, metavar="MS",
                   help="longest wait to fill a micro-batch (default %(default)s)")
    p.add_argument("--max-messages", type=int, metavar="N", help="stop after N messages (default: run until signalled)")
    p.add_argument("--metrics", metavar="FILE", help="JSON metrics file, rewritten atomically")
    p.add_argument("--metrics-interval", type=float, default=5.0, metavar="S",
                   help="seconds between metric log lines / rewrites (default %(default)s)")
    p.add_argument("-X", "--kafka-option", action="append", default=[], metavar="KEY=VALUE",
                   help="librdkafka setting for the clients (security.protocol, sasl.*, session.timeout.ms, ...)")
    p.add_argument("--broker-name", default="elasticc_fast", help="brokerName in the records")
    p.add_argument("--classifier-name", default=None, help="classifierName (default: elasticc_fast <version> <arch>)")
    return p


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..stream.alert_handler import AlertHandler
    from ..stream.classify import RecordEncoder
    from ..stream.decode import make_classifier, make_decoder
    from ..stream.service import StreamConfig, StreamService

    if args.batch < 1 or args.max_wait_ms < 0:
        raise UsageError("--batch must be >= 1 and --max-wait-ms >= 0")
    if any("=" not in kv for kv in args.kafka_option):
        raise UsageError(f"-X takes KEY=VALUE, got {args.kafka_option}")
    try:
        decoder = make_decoder(args.format, args.schema, args.model_dir)
    except (ValueError, OSError) as exc:
        raise UsageError(str(exc)) from None
    clf, out_schema = make_classifier(args.format, args.model_dir, args.broker_name, args.classifier_name)
    clf.warm_up(args.batch)
    config = StreamConfig(args.bootstrap, args.input_topic, args.output_topic, group=args.group,
                          dead_letter_topic=args.dead_letter_topic, batch=args.batch, max_wait_ms=args.max_wait_ms,
                          max_messages=args.max_messages, metrics_path=args.metrics,
                          metrics_interval_s=args.metrics_interval,
                          kafka_options=dict(kv.split("=", 1) for kv in args.kafka_option))
    snap = StreamService(config, AlertHandler(decoder, clf, RecordEncoder(out_schema))).run()
    print(f"stream: {snap['consumed']} alerts, {snap['classified']} classified, "
          f"{snap['dead_letters_total']} dead letters")
    return 0
