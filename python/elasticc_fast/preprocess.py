"""Light-curve preprocessing (ELAsTiCC pipeline step 2), in C++ with the GIL released.

Twin for tests and reading: ``elasticc_fast.reference.preprocess``.
"""
from __future__ import annotations

import logging

from .batch import LightCurveBatch
from .options import HISTORIES, TRIGGERS, PreprocessOptions  # noqa: F401 (names re-exported)

log = logging.getLogger(__name__)



def preprocess(batch: LightCurveBatch, trigger: str = "first_detection", history: str = "window",
               *, threads: int = 0) -> LightCurveBatch:
    """Sort each object's points by MJD, drop saturated ones, find the trigger, cut the history.

    Per object, on points sorted by MJD (stable; NaN MJD last):

    1. Saturated points (PHOTFLAG & 1024) are removed.
    2. The trigger is the first detection (PHOTFLAG & 4096) for ``trigger="first_detection"``, or
       for ``trigger="photflag"`` the first point flagged PHOTFLAG & 2048 (falling back to the
       first detection when no point has the flag or that point is saturated). The two differ in
       real SNANA simulations, where the trigger can come several detections later.
    3. ``history="window"`` keeps every detection, the trigger point, the last non-detection
       before the trigger (if any) and every non-detection between the trigger and the last
       detection (ORACLE's ``process_lightcurve``, with the last detection included).
       ``history="all"`` keeps every unsaturated point (what the published ORACLE model saw).

    Objects left without a detection are dropped; their count is ``result.n_dropped`` (and a log
    line at INFO). The result has ``trigger_mjd`` (MJD, days) set, which ``augment`` needs.

    Args:
        batch: any ``LightCurveBatch`` (points in any order).
        trigger: ``"first_detection"`` or ``"photflag"``.
        history: ``"window"`` or ``"all"``.
        threads: worker threads (0: all cores). The result does not depend on it.
    """
    from . import _core

    PreprocessOptions(trigger, history)  # validates
    mjd, band, flux, flux_err, flag, offsets, kept, trig = _core.preprocess(
        batch.mjd, batch.band, batch.flux, batch.flux_err, batch.flag, batch.offsets,
        trigger, history, threads)
    if len(kept) == len(batch):  # nothing dropped: share the per-object columns
        ids, static, labels = batch.ids, batch.static, batch.labels
    else:
        ids, static = batch.ids[kept], batch.static.take(kept)
        labels = None if batch.labels is None else batch.labels[kept]
    out = LightCurveBatch(
        mjd=mjd, band=band, flux=flux, flux_err=flux_err, flag=flag, offsets=offsets, ids=ids,
        static=static, labels=labels, trigger_mjd=trig, n_dropped=len(batch) - len(kept))
    if out.n_dropped:
        log.info("preprocess: dropped %d of %d objects with no unsaturated detection",
                 out.n_dropped, len(batch))
    return out

