"""Prediction with a trained :class:`~elasticc_fast.Classifier`, in one place.

    from elasticc_fast.predict import predict_probabilities, classify_alerts
    probs = predict_probabilities(clf, batch)          # (n, K) float64, NaN rows: no detection
    ok, records = classify_alerts(clf, alerts_table)   # ELAsTiCC brokerClassification dicts

- :func:`infer_windows`: log marginals and embeddings of windows, batched by length (the
  compiled inference step of :mod:`elasticc_fast.nn.steps`);
- :func:`predict_probabilities` / :func:`predict_table`: objects of a ``LightCurveBatch``,
  ``chunk_size`` objects at a time (bounded memory), rows matched by position;
- :func:`leaf_argmax`, :func:`predicted_leaves`: the most probable leaf of each row;
- :func:`alert_probabilities`, :func:`classify_alerts`: alert tables
  (:func:`elasticc_fast.io.alerts.read_alerts` or ``records_to_table``) -> leaf probabilities
  -> ``brokerClassification`` records (:mod:`elasticc_fast.io.broker`).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from .batch import LightCurveBatch

log = logging.getLogger(__name__)

#: objects classified at a time by :func:`predict_probabilities`
CHUNK_OBJECTS = 16384


def leaf_argmax(scores: np.ndarray, tree: Any) -> np.ndarray:
    """(N,) node index of the highest-scoring leaf of every row of ``scores`` (N, K) (marginal
    probabilities or their logs, one column per node of ``tree``); -1 for rows with a NaN leaf."""
    leaves = np.asarray(tree.leaves, dtype=np.int64)
    s = np.asarray(scores)[:, leaves]
    ok = ~np.isnan(s).any(axis=1)
    best = leaves[np.argmax(np.where(ok[:, None], s, 0.0), axis=1)] if len(s) else np.zeros(0, np.int64)
    return np.where(ok, best, -1)


def predicted_leaves(probs: np.ndarray, tree: Any) -> tuple[np.ndarray, np.ndarray]:
    """(leaf names as an object array, None for NaN rows; their probabilities, NaN for those)."""
    best = leaf_argmax(probs, tree)
    ok = best >= 0
    names = np.array([tree.nodes[i] if i >= 0 else None for i in best], dtype=object)
    p = np.where(ok, np.asarray(probs, dtype=np.float64)[np.arange(len(best)), np.maximum(best, 0)], np.nan)
    return names, p


def infer_windows(infer: Callable, params: Any, rest: Any, x: np.ndarray, lengths: np.ndarray,
                  static: np.ndarray, *, batch_size: int, buckets: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(N, K) log marginals and (N, E) embeddings of every window, in window order.

    ``infer`` is :func:`elasticc_fast.nn.steps.make_infer_step`'s step; ``static`` is already
    normalised; windows are batched by length (``batch_size`` rows at most, ``buckets`` lengths)."""
    from .nn.data import inference_batches

    out_lm = out_e = None
    for idx, (xb, lb, sb, _) in inference_batches(x, lengths, static, batch_size, buckets):
        lm, e = infer(params, rest, xb, lb, sb)
        lm, e = np.asarray(lm)[:len(idx)], np.asarray(e)[:len(idx)]
        if out_lm is None:
            out_lm = np.empty((len(lengths), lm.shape[1]), np.float32)
            out_e = np.empty((len(lengths), e.shape[1]), np.float32)
        out_lm[idx], out_e[idx] = lm, e
    if out_lm is None:
        raise ValueError("no windows to classify")
    return out_lm, out_e


def predict_probabilities(classifier: Any, batch: LightCurveBatch, chunk_size: int = CHUNK_OBJECTS) -> np.ndarray:
    """(n, K) float64 marginal probabilities of every object of ``batch``, in batch order, computed
    ``chunk_size`` objects at a time (bounded memory); NaN rows for objects the model's
    preprocessing drops (no detection). Works with repeated ids (rows are matched by position)."""
    out = np.full((len(batch), len(classifier.tree)), np.nan)
    for start in range(0, len(batch), chunk_size):
        part = batch[start:start + chunk_size]
        tagged = LightCurveBatch(mjd=part.mjd, band=part.band, flux=part.flux, flux_err=part.flux_err,
                                 flag=part.flag, offsets=part.offsets, ids=np.arange(len(part)),
                                 static=part.static)
        probs = classifier.predict_proba(tagged)
        out[start:start + len(part)] = probs.reindex(np.arange(len(part))).to_numpy(dtype=np.float64)
    return out


def predict_table(classifier: Any, batch: LightCurveBatch, chunk_size: int = CHUNK_OBJECTS) -> pd.DataFrame:
    """:func:`predict_probabilities` as a DataFrame, one column per tree node, a RangeIndex."""
    return pd.DataFrame(predict_probabilities(classifier, batch, chunk_size), columns=list(classifier.tree.nodes))


def alert_probabilities(classifier: Any, alerts: pa.Table) -> np.ndarray:
    """(n, L) leaf probabilities of every alert (columns: ``tree.leaves``), NaN rows for alerts
    the model cannot use (no detection)."""
    batch = LightCurveBatch.from_arrow(alerts, id_column="alertId")
    return predict_probabilities(classifier, batch)[:, np.asarray(classifier.tree.leaves, dtype=np.int64)]


def classify_alerts(classifier: Any, alerts: pa.Table, **names: Any) -> tuple[np.ndarray, list[dict]]:
    """Classify alerts: returns the (n,) mask of alerts that got a classification and their
    ``brokerClassification`` dicts.

    ``alerts`` is a table from :func:`elasticc_fast.io.alerts.read_alerts` or
    :func:`~elasticc_fast.io.alerts.records_to_table` (e.g. alerts decoded from Kafka); ``names``
    are the keyword arguments of :func:`elasticc_fast.io.broker.broker_records` (``broker_name``,
    ``classifier_name``, ...). Alerts the model cannot use (no detection) are left out and logged.
    """
    from ._version import __version__
    from .io.broker import broker_records, leaf_class_ids

    leaf_ids, _ = leaf_class_ids(classifier.tree)
    probs = alert_probabilities(classifier, alerts)
    ok = ~np.isnan(probs).any(axis=1)
    if not ok.all():
        log.warning("%d of %d alerts have no detection the model can use: no classification for them",
                    int((~ok).sum()), len(ok))
    keep = np.flatnonzero(ok)
    names.setdefault("broker_name", "elasticc_fast")
    names.setdefault("classifier_name", "elasticc_fast")
    names.setdefault("broker_version", __version__)
    return ok, list(broker_records(alerts.take(pa.array(keep)), probs[keep], leaf_ids, **names))


# ------------------------------------------------------------------------------- files (predict verb)
def read_inputs(inputs: Any, alert_schema: Any = None) -> tuple[pa.Table, bool]:
    """(one table of every input, whether they are ELAsTiCC alerts): converted Parquet files or
    folders, or alert files (avro, Fink Parquet; schemaless avro with ``alert_schema``)."""
    from .io.alerts import is_alert_input, read_alerts
    from .io.tables import read_table

    if is_alert_input(inputs):
        return read_alerts(inputs, schema=alert_schema), True
    tables = [read_table(p) for p in ([inputs] if isinstance(inputs, (str, bytes)) else inputs)]
    return (pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]), False


def probability_table(classifier: Any, table: pa.Table, alerts: bool) -> pa.Table:
    """Ids (alertId, diaSourceId, SNID for alerts; SNID and model for objects), the marginal
    probability of every node (float32, NaN for inputs without a usable detection, logged) and
    the predicted leaf with its probability."""
    id_cols = ["alertId", "diaSourceId", "SNID"] if alerts else [c for c in ("SNID", "model")
                                                                  if c in table.column_names]
    batch = LightCurveBatch.from_arrow(table, id_column="alertId" if alerts else "SNID")
    probs = predict_probabilities(classifier, batch)
    missing = np.isnan(probs).any(axis=1)
    if missing.any():
        log.warning("predict: %d of %d inputs have no detection the model can use; they get no probabilities",
                    int(missing.sum()), len(batch))
    leaf, leaf_p = predicted_leaves(probs, classifier.tree)
    columns = {c: table[c] for c in id_cols}
    columns.update({node: pa.array(probs[:, k].astype(np.float32)) for k, node in enumerate(classifier.tree.nodes)})
    columns["predicted_leaf"] = pa.array(leaf.tolist(), pa.string())
    columns["predicted_probability"] = pa.array(leaf_p.astype(np.float32))
    return pa.table(columns)


def write_table(path: Any, table: pa.Table) -> None:
    """``table`` to ``path`` (.csv, else Parquet), under a temporary name renamed when complete."""
    from pathlib import Path

    import pyarrow.parquet as pq

    from .atomic import atomic_path

    path = Path(path)
    with atomic_path(path, suffix=path.suffix) as tmp:
        if path.suffix.lower() == ".csv":
            table.to_pandas().to_csv(tmp, index=False)
        else:
            pq.write_table(table, tmp)


def write_alert_records(path: Any, clf: Any, alerts: pa.Table, *, broker_name: str = "elasticc_fast",
                        classifier_name: str | None = None, classifier_params: str = "") -> int:
    """Classify ``alerts`` and write their ``brokerClassification`` records (avro) to ``path``;
    ``classifier_name`` defaults to ``elasticc_fast <version> <arch>``. Returns the record count."""
    from ._version import __version__
    from .errors import DataError
    from .io.broker import write_records

    name = classifier_name or f"elasticc_fast {__version__} {clf.config.arch}"
    try:
        _, records = classify_alerts(clf, alerts, broker_name=broker_name, broker_version=__version__,
                                     classifier_name=name, classifier_params=classifier_params)
    except ValueError as exc:
        raise DataError(str(exc)) from None
    return write_records(path, records)
