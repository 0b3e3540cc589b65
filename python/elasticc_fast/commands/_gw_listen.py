"""``elasticc-fast gw listen``: IGWN alerts from Kafka -> p_astro.json (a step of the ``gw`` verb)."""
from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION = """\
Consume IGWN alert messages (JSON, as igwn-alert/hop-client send GraceDB events) for new CBC
events of the chosen pipelines, compute p_astro.json with the models and options of `gw classify`
(mass contour + FGMC counts) and write <GraceDB id>.p_astro.json atomically into --out and/or
publish it on --output-topic (key: the GraceDB id). Offsets are committed once the files are
written and the broker acknowledged the outputs. Events without the needed coinc parameters go to
--dead-letter-topic with a `reason` header. SIGINT/SIGTERM finish the batch, commit and exit 0."""


def register(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("listen", help="IGWN alerts from Kafka -> p_astro.json (folder and/or topic)",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap", required=True, metavar="HOST:PORT", help="Kafka bootstrap servers")
    p.add_argument("--input-topic", required=True, metavar="T", help="topic of IGWN alerts (e.g. igwn.gracedb.cbc_spiir)")
    p.add_argument("--out", type=Path, metavar="DIR", help="folder for <GraceDB id>.p_astro.json files")
    p.add_argument("--output-topic", metavar="T2", help="topic for the p_astro.json documents")
    p.add_argument("--group", default="elasticc-fast-gw", help="consumer group (default %(default)s)")
    p.add_argument("--pipeline", action="append", default=None,
                   help="pipeline(s) to classify, repeatable; '*' for all (default spiir)")
    p.add_argument("--dead-letter-topic", metavar="T3", help="topic for messages that cannot be classified")
    p.add_argument("--schema-dir", type=Path, help="validate every document against the IGWN alert schemas here")
    p.add_argument("--max-messages", type=int, metavar="N", help="stop after N messages")
    p.add_argument("--metrics", metavar="FILE", help="JSON metrics file, rewritten atomically")
    p.add_argument("-X", "--kafka-option", action="append", default=[], metavar="KEY=VALUE",
                   help="librdkafka setting for the clients")
    return p


def run(args: argparse.Namespace, config) -> int:
    from ..errors import UsageError
    from ..stream.gw_listen import PAstroHandler
    from ..stream.service import StreamConfig, StreamService

    if args.out is None and args.output_topic is None:
        raise UsageError("gw listen needs --out DIR and/or --output-topic T")
    if not config.mean_counts:
        raise UsageError("gw listen needs --mean-counts JSON or --fit-counts CSV for p_astro")
    if any("=" not in kv for kv in args.kafka_option):
        raise UsageError(f"-X takes KEY=VALUE, got {args.kafka_option}")
    handler = PAstroHandler(config, args.out, schema_dir=args.schema_dir, pipelines=tuple(args.pipeline or ["spiir"]))
    cfg = StreamConfig(args.bootstrap, args.input_topic, args.output_topic, group=args.group, batch=64,
                       dead_letter_topic=args.dead_letter_topic, max_messages=args.max_messages,
                       metrics_path=args.metrics, kafka_options=dict(kv.split("=", 1) for kv in args.kafka_option))
    snap = StreamService(cfg, handler).run()
    print(f"gw listen: {snap['consumed']} messages, {snap['classified']} p_astro.json, "
          f"{handler.skipped} skipped, {snap['dead_letters_total']} dead letters")
    return 0
