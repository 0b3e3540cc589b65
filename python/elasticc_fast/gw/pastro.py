"""IGWN ``p_astro.json`` products: classify extracted triggers and write validated files.

A ``p_astro.json`` holds ``{"BNS", "NSBH", "BBH", "Terrestrial"}`` (O3 files may add
``"MassGap"``) summing to 1: the ``classification`` of an IGWN public alert. Class
probabilities combine as PyCBC Live does: P(class) = P_mass_contour(class) * p_astro and
Terrestrial = 1 - p_astro, with p_astro from FGMC mean counts and the SNR/FAR density model.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..atomic import output_dir
from ..errors import DataError
from . import fgmc, mass_contour

log = logging.getLogger(__name__)

CLASSES = ("BNS", "NSBH", "BBH")
OPTIONAL = ("MassGap",)
TERRESTRIAL = "Terrestrial"
SUM_TOLERANCE = 1e-9


class PAstroError(DataError):
    """A p_astro document that breaks the IGWN format, with the reason."""


def check_p_astro(doc: dict, where: str = "p_astro") -> None:
    """Check the IGWN p_astro form: the four (or five, with MassGap) classes, each in [0, 1], sum 1."""
    if not isinstance(doc, dict):
        raise PAstroError(f"{where}: expected a JSON object, got {type(doc).__name__}")
    keys = set(doc)
    required = {*CLASSES, TERRESTRIAL}
    if not required <= keys or keys - required - set(OPTIONAL):
        raise PAstroError(f"{where}: keys {sorted(keys)}; need {sorted(required)} (optionally MassGap)")
    for k, v in doc.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1:
            raise PAstroError(f"{where}: {k} = {v!r} is not a probability")
    total = math.fsum(doc.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise PAstroError(f"{where}: probabilities sum to {total!r}, not 1")


def _alert_with(classification: dict) -> dict:
    """A minimal IGWN public alert carrying ``classification``, to validate against the schema."""
    return {
        "alert_type": "PRELIMINARY", "time_created": "2026-01-01T00:00:00Z", "superevent_id": "S000000a",
        "urls": {"gracedb": "https://example.org/"},
        "event": {"time": "2026-01-01T00:00:00Z", "far": 1e-8, "significant": True,
                  "instruments": ["H1", "L1"], "group": "CBC", "pipeline": "spiir", "search": "AllSky",
                  "classification": classification, "properties": {}, "skymap": None},
        "external_coinc": None,
    }


def validate_against_schema(doc: dict, schema_dir: str | os.PathLike) -> None:
    """Validate ``doc`` as the ``classification`` of an IGWN alert with the JSON schema and the avro schema.

    ``schema_dir`` holds ``igwn.alerts.Alert.schema.json`` and ``igwn.alerts.Alert.avsc``.
    Also applies :func:`check_p_astro`.
    """
    import io

    import fastavro
    import jsonschema

    check_p_astro(doc)
    schema_dir = Path(schema_dir)
    alert = _alert_with(doc)
    schema = json.loads((schema_dir / "igwn.alerts.Alert.schema.json").read_text())
    alert = {k: v for k, v in alert.items() if k in schema.get("properties", alert)}  # declared fields only
    try:
        jsonschema.validate(alert, schema)
    except jsonschema.ValidationError as e:
        raise PAstroError(f"p_astro does not fit the IGWN alert JSON schema: {e.message}") from e
    avsc = fastavro.parse_schema(json.loads((schema_dir / "igwn.alerts.Alert.avsc").read_text()))
    record = _avro_record(avsc, alert)
    buf = io.BytesIO()
    try:
        fastavro.schemaless_writer(buf, avsc, record)
    except (ValueError, TypeError, KeyError) as e:
        raise PAstroError(f"p_astro does not fit the IGWN alert avro schema: {e}") from e
    buf.seek(0)
    back = fastavro.schemaless_reader(buf, avsc)
    if back["event"]["classification"] != doc:
        raise PAstroError("p_astro changed in an avro round trip")


def _avro_record(avsc: dict, alert: dict) -> dict:
    """Fill the avro record's remaining fields with nulls / empty values where the schema allows."""
    rec = dict(alert)
    for f in avsc["fields"]:
        if f["name"] not in rec:
            rec[f["name"]] = None
    if rec.get("urls") is not None and not isinstance(rec["urls"], dict):
        rec["urls"] = {}
    event = rec.get("event")
    if event is not None:
        event = dict(event)
        event.setdefault("mchirp_source", None)
        event.setdefault("duration", None)
        event.setdefault("central_frequency", None)
        rec["event"] = event
    return rec


@dataclass(frozen=True)
class ClassifyConfig:
    """Settings of :func:`classify` (defaults: PyCBC Live's coefficients, SPIIR's 1/hour threshold)."""

    a0: float = mass_contour.PYCBC_A0
    b0: float = mass_contour.PYCBC_B0
    b1: float = mass_contour.PYCBC_B1
    m0: float = mass_contour.M0_DEFAULT
    mass_gap: bool = False
    cosmology: str = "planck15"
    far_star: float = 3e-4     # Hz, FAR threshold of the SNR/FAR density model
    snr_star: float = 8.5
    mean_counts: dict = field(default_factory=dict)   # {"Astro": ..., "Terrestrial": ...}


def trigger_inputs(table: pa.Table) -> dict[str, np.ndarray]:
    """Chirp mass, network SNR, per-detector effective distances and FAR of extracted triggers.

    Coincidence columns first (``mchirp``, ``snr``, ``eff_distance_*``, ``combined_far``), SPIIR
    ``postcoh_*`` columns where those are missing.
    """
    def merged(*names):
        out = np.full(table.num_rows, np.nan)
        for n in names:
            if n in table.column_names:
                v = np.asarray(table.column(n).to_numpy(zero_copy_only=False), dtype=np.float64)
                out = np.where(np.isnan(out) & np.isfinite(v) & (v > 0), v, out)
        return out

    deff_cols = sorted({c for c in table.column_names if re.fullmatch(r"(eff_distance|postcoh_deff)_[A-Z]\d", c)},
                       key=lambda c: c.startswith("postcoh"))
    by_ifo: dict[str, list[str]] = {}
    for c in deff_cols:
        by_ifo.setdefault(c[-2:], []).append(c)
    deff = np.column_stack([merged(*cols) for cols in by_ifo.values()]) if by_ifo else np.full((table.num_rows, 1), np.nan)
    return {
        "mchirp": merged("mchirp", "postcoh_mchirp"),
        "snr": merged("snr", "postcoh_cohsnr"),
        "eff_distance": deff,
        "far": merged("combined_far", "false_alarm_rate", "far", "postcoh_far"),
        "mass1": merged("mass1", "postcoh_mass1"),
        "mass2": merged("mass2", "postcoh_mass2"),
    }


def classify(table: pa.Table, config: ClassifyConfig = ClassifyConfig()):
    """IGWN class probabilities for every trigger of an extracted table (pandas.DataFrame).

    Columns: BNS, NSBH, BBH (MassGap with ``config.mass_gap``), Terrestrial, plus p_astro and the
    mass-contour probabilities ``mc_*`` (given astrophysical origin).
    """
    import pandas as pd

    x = trigger_inputs(table)
    for key in ("mchirp", "snr", "far"):
        bad = ~np.isfinite(x[key])
        if bad.any():
            names = table.column("file").to_pylist() if "file" in table.column_names else ["?"] * table.num_rows
            where = [f"{names[i]}#{i}" for i in np.flatnonzero(bad)[:5]]
            raise ValueError(f"{int(bad.sum())} trigger(s) without a positive {key}, e.g. {where}")
    if not config.mean_counts:
        raise ValueError("classify needs mean counts: ClassifyConfig(mean_counts={'Astro': ..., 'Terrestrial': ...})")
    mc = mass_contour.source_probabilities(x["mchirp"], x["eff_distance"], x["snr"], a0=config.a0,
                                           b0=config.b0, b1=config.b1, m0=config.m0,
                                           mass_gap=config.mass_gap, cosmology=config.cosmology)
    bf = fgmc.snr_far_bayes_factor(x["far"], x["snr"], config.far_star, config.snr_star)
    pa_ = fgmc.p_astro_from_counts(bf, config.mean_counts)
    astro_cols = [c for c in pa_.columns if c != TERRESTRIAL]
    p_astro = pa_[astro_cols].sum(axis=1).to_numpy()
    out = pd.DataFrame({c: mc[c].to_numpy() * p_astro for c in mc.columns})
    out[TERRESTRIAL] = 1.0 - p_astro
    out["p_astro"] = p_astro
    for c in mc.columns:
        out[f"mc_{c}"] = mc[c].to_numpy()
    for key in ("file", "trigger_index"):
        if key in table.column_names:
            out.insert(0 if key == "file" else 1, key, table.column(key).to_pylist())
    return out


def product_classes(columns) -> list[str]:
    """The p_astro.json keys present among ``columns`` of :func:`classify`'s output, in IGWN order."""
    return [c for c in (*CLASSES, *OPTIONAL, TERRESTRIAL) if c in columns]


def p_astro_text(doc: dict, name: str, schema_dir: str | os.PathLike | None = None) -> str:
    """The ``p_astro.json`` text of ``doc`` after validation (IGWN alert schemas with
    ``schema_dir``, else the format check); errors name ``name``."""
    if schema_dir is not None:
        try:
            validate_against_schema(doc, schema_dir)
        except PAstroError as e:
            raise PAstroError(f"{name}: {e}") from e
    else:
        check_p_astro(doc, name)
    return json.dumps(doc, indent=4) + "\n"


def write_products(probs, out_dir: str | os.PathLike, schema_dir: str | os.PathLike | None = None,
                   *, overwrite: bool = False) -> Path:
    """Write ``<file stem>.<trigger_index>.p_astro.json`` per trigger and ``p_astro.parquet`` into ``out_dir``.

    The folder is built under a temporary name and renamed when complete; an existing non-empty
    ``out_dir`` is refused unless it is an earlier ``gw classify`` output and ``overwrite``. With
    ``schema_dir`` every document is validated against the IGWN alert schemas (else the format check only).
    """
    classes = product_classes(probs.columns)
    out_dir = Path(out_dir)
    with output_dir(out_dir, command="gw classify", overwrite=overwrite) as tmp:
        for i, row in enumerate(probs.itertuples(index=False)):
            rec = row._asdict()
            stem = re.sub(r"\.xml(\.gz)?$", "", str(rec.get("file", "trigger")))
            name = f"{stem}.{rec.get('trigger_index', i)}.p_astro.json"
            (tmp / name).write_text(p_astro_text({c: float(rec[c]) for c in classes}, name, schema_dir))
        probs.to_parquet(tmp / "p_astro.parquet", index=False)
    log.info("wrote %d p_astro.json files and p_astro.parquet to %s", len(probs), out_dir)
    return out_dir
