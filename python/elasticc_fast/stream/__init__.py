"""Long-running Kafka services: survey alerts -> ``brokerClassification`` and IGWN alerts -> p_astro.

* :mod:`.kafka`: client settings (manual commits, acknowledged produce) and librdkafka's mock cluster;
* :mod:`.decode`: one decoder per input format (ELAsTiCC schemaless avro, Rubin wire format),
  each turning message bytes into an alert dict or a :class:`~.decode.BadMessage`;
* :mod:`.ztf`: ZTF alert packets (avro containers) -> ALeRCE-style probabilities;
* :mod:`.classify`: alerts -> class probabilities with the same code as ``elasticc-fast predict``;
* :mod:`.alert_handler`: one micro-batch of alert messages -> ``brokerClassification`` outputs;
* :mod:`.service`: the consume -> handle -> produce -> wait for acks -> commit loop (at-least-once);
* :mod:`.metrics`: throughput, latency percentiles, lag and dead-letter counts;
* :mod:`.gw_listen`: IGWN alert JSON -> ``p_astro.json`` (folder and/or topic);
* :mod:`.replay`: alert files -> Kafka messages, as the ELAsTiCC stream sent them.

``confluent-kafka`` (the ``stream`` extra) is imported only by these modules.
"""
