"""``gw listen``: IGWN alert messages for new CBC events -> ``p_astro.json`` (folder and/or topic).

Input messages are JSON as the ``igwn-alert`` / ``hop-client`` stack sends GraceDB events
(``{"alert_type": "new", "uid": "G123", "data": {event}, "object": {event}}``; a bare event dict
is accepted too). The event holds its coinc parameters as GraceDB stores them:
``extra_attributes.CoincInspiral`` (``mchirp``, ``snr``, ``combined_far``) and
``extra_attributes.SingleInspiral`` (per detector ``ifo``, ``eff_distance``, ``snr``, ``mass1``,
``mass2``); ``far`` at the top level stands in for a missing ``combined_far``. These become one
row of the trigger table :func:`elasticc_fast.gw.pastro.classify` reads, so the probabilities are
those of ``gw classify`` (same mass contour, FGMC counts, options) and the text that of its
``p_astro.json`` writer (validated). Events of other pipelines or alert types are skipped (and
committed); events without the needed parameters are dead-lettered with the reason.
"""
from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from .decode import BadMessage

log = logging.getLogger(__name__)


def event_of(message: bytes) -> dict:
    """The GraceDB event dict of an IGWN alert message (raises :class:`BadMessage`)."""
    try:
        doc = json.loads(message)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage("not-json", f"not a JSON IGWN alert ({exc})") from None
    if not isinstance(doc, dict):
        raise BadMessage("not-json", f"a JSON {type(doc).__name__}, not an IGWN alert object")
    doc.setdefault("alert_type", "new")
    event = doc.get("data") or doc.get("object") or doc
    if not isinstance(event, dict):
        raise BadMessage("missing-field", "the alert's data is not an event object")
    event.setdefault("graceid", doc.get("uid"))
    event["_alert_type"] = doc["alert_type"]
    return event


def _positive(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and x > 0 else None


def trigger_row(event: dict) -> dict[str, float | str]:
    """One trigger-table row (``mchirp``, ``snr``, ``combined_far``, ``eff_distance_<IFO>``,
    ``mass1``, ``mass2``, ``file`` = the GraceDB id) of an event; raises :class:`BadMessage`."""
    gid = event.get("graceid") or "?"
    extra = event.get("extra_attributes") or {}
    coinc = extra.get("CoincInspiral") or {}
    singles = extra.get("SingleInspiral") or []
    row: dict[str, float | str] = {"file": str(gid)}
    for key, value in (("mchirp", coinc.get("mchirp")), ("snr", coinc.get("snr")),
                       ("combined_far", coinc.get("combined_far") or event.get("far"))):
        x = _positive(value)
        if x is None:
            raise BadMessage("missing-field", f"event {gid}: no positive {key} in CoincInspiral (got {value!r})")
        row[key] = x
    for s in singles:
        deff = _positive(s.get("eff_distance"))
        if s.get("ifo") and deff is not None:
            row[f"eff_distance_{s['ifo']}"] = deff
    if not any(k.startswith("eff_distance_") for k in row):
        raise BadMessage("missing-field", f"event {gid}: no SingleInspiral with a positive eff_distance")
    for key in ("mass1", "mass2"):
        x = _positive(singles[0].get(key)) if singles else None
        row[key] = x if x is not None else math.nan
    return row


class PAstroHandler:
    """IGWN alert messages -> ``p_astro.json`` written to ``out_dir`` and returned as outputs."""

    def __init__(self, config: Any, out_dir: str | Path | None, *, schema_dir: str | Path | None = None,
                 pipelines: tuple[str, ...] = ("spiir",), alert_types: tuple[str, ...] = ("new",)):
        self.config, self.schema_dir = config, schema_dir
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.pipelines = {p.lower() for p in pipelines}
        self.alert_types = set(alert_types)
        self.skipped = 0

    def _wanted(self, event: dict) -> bool:
        pipeline = str(event.get("pipeline", "")).lower()
        return event["_alert_type"] in self.alert_types and ("*" in self.pipelines or pipeline in self.pipelines)

    def handle(self, messages: list) -> tuple[list[tuple[bytes, bytes]], list]:
        """(outputs: (GraceDB id, p_astro.json text) per event, bad messages with reasons)."""
        rows, bad = [], []
        for msg in messages:
            try:
                event = event_of(msg.value() or b"")
                if self._wanted(event):
                    rows.append(trigger_row(event))
                else:
                    self.skipped += 1
            except BadMessage as exc:
                bad.append((msg, exc))
        return [self._publish(name, text) for name, text in self.documents(rows)], bad

    def documents(self, rows: list[dict]) -> list[tuple[str, str]]:
        """(GraceDB id, validated p_astro.json text) of every trigger row, classified together."""
        import pyarrow as pa

        from ..gw.pastro import classify, p_astro_text, product_classes

        if not rows:
            return []
        columns = sorted({k for r in rows for k in r})
        table = pa.table({c: [r.get(c, math.nan if c != "file" else "?") for r in rows] for c in columns})
        probs = classify(table, self.config)
        classes = product_classes(probs.columns)
        return [(row["file"], p_astro_text({c: float(p[c]) for c in classes}, f"{row['file']}.p_astro.json",
                                           self.schema_dir))
                for row, p in zip(rows, probs.to_dict("records"), strict=True)]

    def _publish(self, name: str, text: str) -> tuple[bytes, bytes]:
        if self.out_dir is not None:
            from ..atomic import atomic_path

            with atomic_path(self.out_dir / f"{name}.p_astro.json", suffix=".json") as tmp:
                tmp.write_text(text)
            log.info("gw listen: %s p_astro.json written", name)
        return name.encode(), text.encode()
