"""``elasticc-fast convert --dask SCHEDULER``: the converter's work as Dask tasks.

Two ways to cut the work, both running the converter's own functions, so the bytes written are
those of the single-machine path whatever the number of workers, and failures are reported per
file exactly as there (``on_error="stop"`` raises the first one, ``"skip"`` lists them):

- ``mode="pairs"``: each batch of HEAD/PHOT pairs is read and conformed to its model's union
  schema in a Dask task (:func:`elasticc_fast.convert.convert_model` given a
  ``concurrent.futures`` view of the client); the calling process gathers the tables in
  file-name order and writes ``OUT_DIR/<MODEL>.parquet``. Parallel over pairs, but every byte
  goes through the calling process.
- ``mode="models"``: each model folder is one task (``convert_model`` on the worker, which writes
  ``OUT_DIR/<MODEL>.parquet`` itself). No data goes through the calling process; parallel over
  models (ELAsTiCC2 has 32).
- ``mode="auto"`` (the CLI's): "models" when there are at least twice as many models to convert
  as worker threads, else "pairs".

On a real cluster the workers must see ``RAW_DIR`` (and, for "models", ``OUT_DIR``) under the
same paths as the calling process (a shared file system), and have ``elasticc_fast`` installed.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Iterator

from ..convert import ConvertSummary, ModelSummary, convert_model, pair_files, plan_models
from ..progress import progress

__all__ = ["convert_dask", "dask_client", "total_threads", "MODES"]

log = logging.getLogger(__name__)
MODES = ("auto", "pairs", "models")


@contextlib.contextmanager
def dask_client(scheduler: str | Any) -> Iterator[Any]:
    """A ``dask.distributed.Client`` for ``scheduler``, closed on exit.

    ``scheduler``: ``"local:N"`` starts a ``LocalCluster`` of N single-threaded worker processes
    (closed on exit); any other string is a scheduler address (``tcp://host:8786``) or a
    scheduler file path (``*.json``, as written by ``dask scheduler --scheduler-file``); an
    existing ``Client`` is used as it is (and left open).
    """
    from dask.distributed import Client, LocalCluster

    if not isinstance(scheduler, str):
        yield scheduler
        return
    if scheduler.startswith("local:"):
        try:
            n = int(scheduler.split(":", 1)[1])
        except ValueError:
            raise ValueError(f"--dask local:N needs an integer N, got {scheduler!r}") from None
        if n < 1:
            raise ValueError(f"--dask local:N needs N >= 1, got {n}")
        # dashboard on a free port; the scheduler's INFO lines would drown the converter's own
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(max(level, logging.WARNING))
        try:
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                              dashboard_address=":0") as cluster, Client(cluster) as client:
                yield client
        finally:
            quiet.setLevel(level)
        return
    if scheduler.endswith(".json") and os.path.isfile(scheduler):
        with Client(scheduler_file=scheduler) as client:
            yield client
        return
    with Client(scheduler) as client:
        yield client


def total_threads(client: Any) -> int:
    """Worker threads of the cluster now (at least 1): how many tasks run at once."""
    return max(1, sum(client.nthreads().values()))



def convert_dask(raw_dir: str | os.PathLike, out_dir: str | os.PathLike, client: Any, *,
                 overwrite: bool = False, on_error: str = "stop", layout: str = "pointers",
                 snid: str = "int64", mode: str = "auto", lookahead: int | None = None,
                 show_progress: bool | None = None) -> ConvertSummary:
    """:func:`elasticc_fast.convert.convert` with the work done as tasks on ``client``.

    Same arguments and result as ``convert`` (``client`` replaces ``workers``); ``mode``:
    "pairs", "models" or "auto" (see the module docstring); ``lookahead`` ("pairs"): tasks in
    flight at once (default twice the cluster's threads), which bounds the memory of the calling
    process to about that many converted batches of pairs.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    result, todo = plan_models(raw_dir, out_dir, overwrite=overwrite, on_error=on_error)
    threads = total_threads(client)
    if mode == "auto":
        mode = "models" if len(todo) >= 2 * threads else "pairs"
    n_pairs = {model: len(pair_files(folder)[0]) for model, folder, _ in todo}
    log.info("converting %d models (%d file pairs) on %s, one task per %s",
             len(todo), sum(n_pairs.values()), client, "model" if mode == "models" else "batch of pairs")
    with progress(total=sum(n_pairs.values()), desc="convert", unit="pair", enabled=show_progress) as bar:
        if mode == "models":
            result.models += _by_model(client, todo, n_pairs, on_error, layout, snid, bar)
        else:
            # convert_model keeps 2 * workers tasks in flight when given an executor
            in_flight = max(1, (lookahead or 2 * threads) // 2)
            executor = client.get_executor(pure=False)
            for model, folder, target in todo:
                s = convert_model(folder, target, workers=in_flight, on_error=on_error, model=model,
                                  layout=layout, snid=snid, executor=executor, bar=bar)
                result.models.append(s)
                log.info("%s: %d objects from %d pairs -> %s", model, s.n_objects, s.n_pairs, target)
    result.models.sort(key=lambda m: m.model)
    return result


def _model_task(folder: Path, target: Path, model: str, on_error: str, layout: str, snid: str) -> ModelSummary:
    """Worker: one model folder converted in the worker's process (``workers`` would be taken by
    ``client.submit`` as a worker restriction, hence this wrapper)."""
    return convert_model(folder, target, workers=1, on_error=on_error, model=model, layout=layout, snid=snid)


def _by_model(client: Any, todo: list, n_pairs: dict, on_error: str, layout: str, snid: str,
              bar: Any) -> list[ModelSummary]:
    """One ``convert_model`` task per model, written by the worker; summaries as they finish."""
    from dask.distributed import as_completed

    futures = {client.submit(_model_task, folder, target, model, on_error, layout, snid, pure=False): model
               for model, folder, target in todo}
    out = []
    try:
        for fut in as_completed(futures):
            s = fut.result()  # re-raises a worker's error (on_error="stop") here
            bar.update(n_pairs[futures[fut]])
            out.append(s)
            log.info("%s: %d objects from %d pairs -> %s", s.model, s.n_objects, s.n_pairs, s.output)
    finally:
        client.cancel(list(futures))
    return out
