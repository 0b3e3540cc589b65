"""Benchmark: `elasticc-fast stream` end to end on librdkafka's mock Kafka cluster, real alerts replayed.

The real ELAsTiCC alerts of ../shared/data/elasticc_alerts (every Fink parquet alert: SN Ia, KN,
AGN and random samples) are encoded as the ELAsTiCC stream sent them (schemaless avro v0.9.1)
and replayed, cycling, into a topic of a mock cluster started here; the service runs as its own
process (`python -m elasticc_fast stream`, as a user runs it) and reports through --metrics.

Phases (--phases, comma-separated):
* ``offline``: the baseline, the same alerts through the same code without Kafka (decode ->
  classify -> encode in micro-batches of --batch, in this process): the ceiling for the service;
* ``throughput``: --n alerts preloaded, the service drains them; alerts/s from its metrics over
  the steady part (from the first classified batch to the last), and where the time goes
  (seconds per stage of the service loop: consume, decode, classify, encode, produce, wait for
  acks, commit);
* ``latency``: alerts replayed at --rate alerts/s for --seconds; latency of every alert from its
  publication (input message timestamp) to its output record's timestamp (p50/p99/max), and the
  service's own consume -> acknowledged-output p50/p99;
* ``memory``: alerts replayed at --memory-rate alerts/s for --memory-minutes; peak RSS of the
  service process(es) up to 1, 2, 5 and 10 minutes (sampled every second).

--processes K runs K service processes in one consumer group (the 4 partitions shared), all
started and holding partitions before the alerts flow. The throughput phase also reports the CPU
seconds per alert of the services and of this process (mock broker + feeder): load-independent,
so ``ceiling_alerts_per_s_on_2_idle_cores`` = 2 / (their sum) holds on a busy machine too.

The model: --model DIR, else a GRU with the package defaults trained for one epoch on these
alerts (its quality is irrelevant to the timing; its size is that of the default model).

    PYTHONPATH=python python benchmarks/stream.py --json stream.json
    PYTHONPATH=python nice python benchmarks/stream.py --phases memory --memory-minutes 10
    PYTHONPATH=python python benchmarks/stream.py --processes 2 --phases throughput,latency
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np

from _machine import machine

REPO = Path(__file__).resolve().parents[1]
_STARTED: list = []          # service processes, stopped when this script ends in any way
ALERTS = "elasticc_alerts"
SCHEMA = f"{ALERTS}/schema/elasticc.v0_9_1.alert.avsc"


def alert_files(data: Path) -> list[Path]:
    """Every Fink parquet alert file of the shared folder (no duplicate copies)."""
    files = sorted((data / ALERTS / "fink").rglob("*.parquet")) + sorted((data / ALERTS / "fink_kn_truth").rglob("*.parquet"))
    seen, out = set(), []
    for f in files:
        if f.name not in seen:
            seen.add(f.name)
            out.append(f)
    return out


def train_default(data: Path, out: Path, small: bool = False) -> Path:
    """A default-size GRU (or with ``small`` the tests' GRU: hidden 16, at most 64 points) trained
    one epoch on the labelled alerts (SN Ia + KN)."""
    import pyarrow as pa

    from elasticc_fast import Classifier
    from elasticc_fast.batch import LightCurveBatch
    from elasticc_fast.io.alerts import read_alerts
    from elasticc_fast.taxonomy import ORACLE_TREE, leaf_for_gentype

    table = pa.concat_tables([read_alerts(data / ALERTS / "fink/elasticc_parquet/test_elasticc_earlysnia.parquet"),
                              read_alerts(data / ALERTS / "fink_kn_truth")], promote_options="permissive")
    size = {"hidden": 16, "max_length": 64, "buckets": (32, 64)} if small else {}
    clf = Classifier(tree=ORACLE_TREE, epochs=1, seed=0, **size)
    clf.fit(LightCurveBatch.from_arrow(table, id_column="alertId"),
            labels=[leaf_for_gentype(g) for g in table["GENTYPE"].to_pylist()])
    clf.save(out)
    return out


def offline(model: Path, alerts: list[dict], messages: list, batch: int, schema: Path) -> dict:
    """The same decode -> classify -> encode without Kafka (the service's ceiling), with the CPU
    time of each step (avro reading, alert checks, alerts -> Arrow table, the rest of classify:
    preprocessing, GRU, records; encoding). The Arrow table is built once more outside classify
    to time it alone; that extra work is left out of the totals."""
    from elasticc_fast.io.alerts import records_to_table
    from elasticc_fast.stream.classify import AlertClassifier, RecordEncoder
    from elasticc_fast.stream.decode import ElasticcDecoder, _read_schemaless, check_alert

    clf, dec, enc = AlertClassifier(model), ElasticcDecoder(schema), RecordEncoder()
    clf.warm_up(batch)
    values = [v for _, v in messages]
    secs = {"decode": 0.0, "classify": 0.0, "encode": 0.0}
    cpu = {"avro": 0.0, "checks": 0.0, "records_to_table": 0.0, "classify_rest": 0.0, "encode": 0.0}
    start, cpu_start, extra_wall = time.perf_counter(), time.process_time(), 0.0
    for i in range(0, len(values), batch):
        t0, c0 = time.perf_counter(), time.process_time()
        raw = [_read_schemaless(v, dec.schema) for v in values[i:i + batch]]
        c1 = time.process_time()
        got = [check_alert(a) | {"elasticcPublishTimestamp": 0} for a in raw]
        t1, c2 = time.perf_counter(), time.process_time()
        secs["decode"] += t1 - t0
        records_to_table(got)          # timed alone: classify() repeats it inside
        c3, t1b = time.process_time(), time.perf_counter()
        extra_wall += t1b - t1
        _, records = clf.classify(got)
        t2, c4 = time.perf_counter(), time.process_time()
        [enc.encode(r) for r in records]
        secs["classify"] += t2 - t1b
        secs["encode"] += time.perf_counter() - t2
        cpu["avro"] += c1 - c0
        cpu["checks"] += c2 - c1
        cpu["records_to_table"] += c3 - c2
        cpu["classify_rest"] += (c4 - c3) - (c3 - c2)
        cpu["encode"] += time.process_time() - c4
    total = time.perf_counter() - start - extra_wall
    cpu_total = time.process_time() - cpu_start - cpu["records_to_table"]
    return {"alerts": len(values), "seconds": total, "alerts_per_s": len(values) / total,
            "stage_seconds": {k: round(v, 3) for k, v in secs.items()},
            "cpu_us_per_alert": round(cpu_total / len(values) * 1e6, 1),
            "stage_cpu_us_per_alert": {k: round(v / len(values) * 1e6, 1) for k, v in cpu.items()}}


class Service:
    """`elasticc-fast stream` as a subprocess with a metrics file."""

    def __init__(self, model: Path, bootstrap: str, topic: str, schema: Path, batch: int, max_wait_ms: int,
                 work: Path, index: int = 0):
        self.metrics = work / f"metrics-{topic}-{index}.json"
        self.output = f"{topic}-out"
        cmd = [sys.executable, "-m", "elasticc_fast", "stream", str(model), "--bootstrap", bootstrap,
               "--input-topic", topic, "--output-topic", self.output, "--group", f"bench-{topic}",
               "--schema", str(schema), "--batch", str(batch), "--max-wait-ms", str(max_wait_ms),
               "--metrics", str(self.metrics), "--metrics-interval", "1"]
        env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
        self.log = open(work / f"service-{topic}-{index}.log", "w")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        _STARTED.append(self.proc)

    def ready(self) -> bool:
        """True once the service reports (after its start-up compilation); raises if it died."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"service exited {self.proc.returncode}: see {self.log.name}")
        return self.metrics.exists()

    def snapshot(self) -> dict:
        return json.loads(self.metrics.read_text())

    def stop(self) -> dict:
        import signal

        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)
        self.log.close()
        return self.snapshot()


class ServiceGroup:
    """``processes`` services in one consumer group (they share the topic's partitions); snapshots
    add up their counts and stage seconds, and take the worst latency."""

    def __init__(self, processes: int = 1, partitions: int = 4, **svc_args):
        self.services = [Service(index=i, **svc_args) for i in range(processes)]   # started together
        self.output = self.services[0].output
        while not all(s.ready() for s in self.services):
            time.sleep(0.2)
        # every process holds partitions before alerts flow (else the first one drains them all)
        end = time.monotonic() + 60
        while processes > 1 and time.monotonic() < end:
            owned = [s.snapshot().get("assigned_partitions") or 0 for s in self.services]
            if sum(owned) == partitions and min(owned) > 0:
                break
            time.sleep(0.5)

    @staticmethod
    def combine(snaps: list[dict]) -> dict:
        if len(snaps) == 1:
            return snaps[0]
        out = {k: sum(s[k] for s in snaps) for k in ("consumed", "classified", "committed", "batches",
                                                      "consumer_lag", "dead_letters_total")}
        out["seconds"] = {k: round(sum(s["seconds"].get(k, 0.0) for s in snaps), 4) for k in snaps[0]["seconds"]}
        out["mean_batch_size"] = out["consumed"] / max(out["batches"], 1)
        for k in ("latency_p50_s", "latency_p99_s"):
            vals = [s[k] for s in snaps if s[k] is not None]
            out[k] = max(vals) if vals else None
        out["per_process_consumed"] = [s["consumed"] for s in snaps]
        return out

    def snapshot(self) -> dict:
        return self.combine([s.snapshot() for s in self.services])

    def rss(self) -> int:
        import psutil

        return sum(psutil.Process(s.proc.pid).memory_info().rss for s in self.services)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the service processes so far (all their threads)."""
        import psutil

        return sum(sum(psutil.Process(s.proc.pid).cpu_times()[:2]) for s in self.services)

    def stop(self) -> dict:
        return self.combine([s.stop() for s in self.services])


def cycle(messages: list, n: int) -> list:
    return [messages[i % len(messages)] for i in range(n)]


class Watermarks:
    """A topic's watermarks, read through one consumer kept open."""

    def __init__(self, bootstrap: str, topic: str):
        from confluent_kafka import Consumer

        self.topic = topic
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"marks-{uuid.uuid4().hex}"})

    def __enter__(self) -> Watermarks:
        return self

    def __exit__(self, *_: object) -> None:
        self.consumer.close()

    def held(self) -> int:
        """Messages the broker holds (high - low watermark, every partition of the topic)."""
        from confluent_kafka import TopicPartition

        parts = self.consumer.list_topics(self.topic, timeout=10).topics[self.topic].partitions
        return sum(high - low for low, high in (
            self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10) for p in parts))

    def written(self, partitions: int = 4) -> int:
        """Messages ever written (sum of high watermarks; the mock cluster makes 4 partitions), 0
        for a partition not created yet."""
        from confluent_kafka import KafkaException, TopicPartition

        total = 0
        for p in range(partitions):
            try:
                total += self.consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=5, cached=False)[1]
            except KafkaException:   # the topic not created yet: nothing written to it
                pass
        return total


def topic_size(bootstrap: str, topic: str) -> int:
    """Messages the broker holds in ``topic`` (high - low watermark, all partitions)."""
    with Watermarks(bootstrap, topic) as marks:
        return marks.held()


def throughput(svc_args: dict, bootstrap: str, messages: list, n: int) -> dict:
    from elasticc_fast.stream import replay

    topic = f"tp-{uuid.uuid4().hex[:6]}"
    replay.produce(bootstrap, topic, messages[:1])            # create the topic before the services subscribe
    svc = ServiceGroup(bootstrap=bootstrap, topic=topic, **svc_args)
    replay.produce(bootstrap, topic, cycle(messages, n))
    held = topic_size(bootstrap, topic)          # the mock broker keeps ~5 MB per partition
    samples, cpu0, own0 = [], svc.cpu_seconds(), time.process_time()
    # Acknowledged outputs counted at the broker every 0.05 s: the services' metrics files are
    # rewritten once a second, too coarse for a steady part of ~4 s.
    deadline = time.monotonic() + 600   # dead letters would leave outputs short of ``held``
    with Watermarks(bootstrap, svc.output) as outputs:
        while (not samples or samples[-1][1] < held) and time.monotonic() < deadline:
            samples.append((time.monotonic(), outputs.written()))
            time.sleep(0.05)
    cpu, own = svc.cpu_seconds() - cpu0, time.process_time() - own0
    final = svc.stop()
    busy = [(t, c) for t, c in samples if c > 0]
    (t0, c0), (t1, c1) = busy[0], busy[-1]
    # CPU per alert does not depend on what else the machine runs: the ceiling on C idle cores is
    # C / (service + broker CPU seconds per alert)
    return {"alerts": held, "produced": n, "alerts_per_s": (c1 - c0) / max(t1 - t0, 1e-9), "steady_window_s": t1 - t0,
            "service_cpu_s": round(cpu, 2), "service_cpu_us_per_alert": round(cpu / held * 1e6, 1),
            "broker_and_feeder_cpu_us_per_alert": round(own / held * 1e6, 1),
            "ceiling_alerts_per_s_on_2_idle_cores": round(2 / ((cpu + own) / held)),
            "handler_alerts_per_s": final["consumed"] / final["seconds"]["handle"],
            "stage_seconds": final["seconds"], "mean_batch_size": final["mean_batch_size"],
            "per_process_consumed": final.get("per_process_consumed", [final["consumed"]]),
            "service_latency_p50_s": final["latency_p50_s"], "service_latency_p99_s": final["latency_p99_s"]}


def output_latencies(bootstrap: str, topic: str, n: int, schema, since: float, timeout: float = 120) -> np.ndarray:
    """Seconds from each input's publication to its output record (output timestamp - input's),
    for inputs published after ``since`` (Unix s: the topic-creating message before is left out)."""
    import fastavro
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"lat-{uuid.uuid4().hex}"})
    parts = c.list_topics(topic, timeout=10).topics[topic].partitions
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    out, end = [], time.monotonic() + timeout
    seen = 0
    while seen < n and time.monotonic() < end:
        for m in c.consume(1000, 0.5):
            seen += 1
            if m.error() is None:
                published = fastavro.schemaless_reader(io.BytesIO(m.value()), schema)["elasticcPublishTimestamp"].timestamp()
                if published >= since:
                    out.append(m.timestamp()[1] / 1000 - published)
    c.close()
    return np.asarray(out)


def paced(svc_args: dict, bootstrap: str, messages: list, rate: float, seconds: float,
          sample_rss: bool = False) -> tuple[dict, str, list, float]:
    """Replay at ``rate`` for ``seconds`` with the service running: (final metrics, output topic,
    RSS samples (seconds, bytes) of the service when asked, Unix time the paced feed started)."""
    from elasticc_fast.stream import replay

    topic = f"paced-{uuid.uuid4().hex[:6]}"
    replay.produce(bootstrap, topic, messages[:1])            # create the topic before the service subscribes
    svc = ServiceGroup(bootstrap=bootstrap, topic=topic, **svc_args)
    n = int(rate * seconds)
    feeder = threading.Thread(target=replay.produce, args=(bootstrap, topic, cycle(messages, n)),
                              kwargs={"rate": rate}, daemon=True)      # a killed run must not wait for it
    rss, start, fed_from = [], time.monotonic(), time.time()
    feeder.start()
    last, still = -1, 0
    while still < 3:                  # fed, nothing left to consume, and no progress for 3 s
        if sample_rss:
            rss.append((time.monotonic() - start, svc.rss()))
        time.sleep(1.0)
        snap = svc.snapshot()
        done = not feeder.is_alive() and snap["consumer_lag"] == 0
        still = still + 1 if done and snap["committed"] == last else 0
        last = snap["committed"]
    return svc.stop(), svc.output, rss, fed_from


def latency(svc_args: dict, bootstrap: str, messages: list, rate: float, seconds: float, schema) -> dict:
    final, output, _, fed_from = paced(svc_args, bootstrap, messages, rate, seconds)
    lat = output_latencies(bootstrap, output, final["classified"], schema, since=fed_from - 0.001)
    return {"rate": rate, "seconds": seconds, "produced": int(rate * seconds), "alerts": int(lat.size),
            "handler_alerts_per_s": final["consumed"] / final["seconds"]["handle"],
            "publish_to_output_p50_s": float(np.percentile(lat, 50)),
            "publish_to_output_p99_s": float(np.percentile(lat, 99)), "publish_to_output_max_s": float(lat.max()),
            "service_latency_p50_s": final["latency_p50_s"], "service_latency_p99_s": final["latency_p99_s"],
            "mean_batch_size": final["mean_batch_size"], "stage_seconds": final["seconds"]}


def memory(svc_args: dict, bootstrap: str, messages: list, rate: float, minutes: float) -> dict:
    final, _, rss, _ = paced(svc_args, bootstrap, messages, rate, minutes * 60, sample_rss=True)
    peaks = {f"peak_rss_mib_{m}min": round(max(b for t, b in rss if t <= m * 60) / 2**20, 1)
             for m in (1, 2, 5, 10) if m <= minutes}
    peaks["peak_rss_mib_whole_run"] = round(max(b for _, b in rss) / 2**20, 1)
    return {"rate": rate, "minutes": minutes, "alerts": final["committed"], **peaks,
            "rss_mib_samples_every_30s": [round(b / 2**20, 1) for t, b in rss[::30]]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--model", type=Path, help="model folder (default: a default GRU trained one epoch here)")
    ap.add_argument("--small", action="store_true", help="train the tests' small GRU instead of the default one")
    ap.add_argument("--phases", default="offline,throughput,latency")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--processes", type=int, default=1, help="service processes in one consumer group")
    ap.add_argument("--max-wait-ms", type=int, default=200)
    ap.add_argument("--n", type=int, default=8_000,
                    help="alerts of the throughput phase (the mock broker keeps about 5 MB per partition: ~10,000 alerts)")
    ap.add_argument("--rate", default="1000", help="alerts/s of the latency phase (comma-separated: one run each)")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the latency phase")
    ap.add_argument("--memory-rate", type=float, default=300.0)
    ap.add_argument("--memory-minutes", type=float, default=10.0)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    from elasticc_fast.io.alerts import parse_avsc
    from elasticc_fast.stream import replay

    schema = args.data / SCHEMA
    alerts = replay.alert_dicts(alert_files(args.data))
    messages = replay.encode_schemaless(alerts, schema)
    out_schema = parse_avsc(args.data / ALERTS / "schema/elasticc.v0_9_1.brokerClassification.avsc")
    results: dict = {"machine": machine(), "distinct_alerts": len(alerts),
                     "mean_points_per_alert": float(np.mean([1 + len(a["prvDiaSources"] or []) + len(a["prvDiaForcedSources"] or [])
                                                             for a in alerts])),
                     "batch": args.batch, "max_wait_ms": args.max_wait_ms, "processes": args.processes,
                     "model": str(args.model) if args.model else ("small GRU" if args.small else "default GRU")}
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # `timeout` -> the finally below runs
    try:
        run_phases(args, results, alerts, messages, schema, out_schema)
    finally:
        for proc in _STARTED:
            if proc.poll() is None:
                proc.kill()
    if "offline" in results and "throughput" in results:
        results["service_over_offline"] = results["throughput"]["alerts_per_s"] / results["offline"]["alerts_per_s"]
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def run_phases(args, results: dict, alerts: list, messages: list, schema: Path, out_schema) -> None:
    """Run the phases asked for; ``args.json`` is rewritten after each (a killed run keeps them)."""
    from elasticc_fast.stream.kafka import mock_cluster

    def done(name: str, value) -> None:
        results[name] = value
        print(name, json.dumps(value), flush=True)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = args.model or train_default(args.data, work / "model", args.small)
        svc_args = {"model": model, "schema": schema, "batch": args.batch, "max_wait_ms": args.max_wait_ms,
                    "processes": args.processes, "work": work}
        phases = args.phases.split(",")
        with mock_cluster() as bootstrap:
            if "offline" in phases:
                done("offline", offline(model, alerts, cycle(messages, min(args.n, 5000)), args.batch, schema))
            if "throughput" in phases:
                done("throughput", throughput(svc_args, bootstrap, messages, args.n))
            if "latency" in phases:
                done("latency", [latency(svc_args, bootstrap, messages, float(r), args.seconds, out_schema)
                                 for r in args.rate.split(",")])
            if "memory" in phases:
                done("memory", memory(svc_args, bootstrap, messages, args.memory_rate, args.memory_minutes))


if __name__ == "__main__":
    main()
