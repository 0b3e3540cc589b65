"""``elasticc-fast convert --dask SCHEDULER``: the converter's per-file-pair work as Dask tasks.

Each HEAD/PHOT pair is read and conformed to its model's union schema in a Dask task
(:func:`elasticc_fast.convert.convert_model` given a ``concurrent.futures`` view of the Dask
client); the process that called :func:`convert_dask` gathers the tables in file-name order and
writes ``OUT_DIR/<MODEL>.parquet``. The bytes written are therefore those of the single-machine
path whatever the number of workers, and failures are reported per file exactly as there
(``on_error="stop"`` raises the first one, ``"skip"`` lists them in the summary).

On a real cluster the workers must see ``RAW_DIR`` and the calling process must see ``OUT_DIR``
under the same paths (a shared file system), and every worker needs ``elasticc_fast`` installed.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Iterator

import pyarrow.parquet as pq

from ..convert import ON_ERROR, ConvertSummary, ModelSummary, convert_model, find_models, pair_files
from ..progress import progress

__all__ = ["convert_dask", "dask_client", "total_threads"]

log = logging.getLogger(__name__)


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


def _complete(path: Path) -> bool:
    try:
        pq.read_metadata(path)
        return True
    except Exception:  # noqa: BLE001 - any unreadable file is converted again
        log.warning("%s exists but is not a readable Parquet file: converting again", path)
        return False


def convert_dask(raw_dir: str | os.PathLike, out_dir: str | os.PathLike, client: Any, *,
                 overwrite: bool = False, on_error: str = "stop", layout: str = "pointers",
                 snid: str = "int64", lookahead: int | None = None,
                 show_progress: bool | None = None) -> ConvertSummary:
    """:func:`elasticc_fast.convert.convert` with file pairs converted as tasks on ``client``.

    Same arguments and result as ``convert`` (``client`` replaces ``workers``); ``lookahead``:
    pairs in flight at once (default twice the cluster's threads), which bounds the memory of
    the calling process to about that many converted pairs.
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
    models = find_models(raw_dir)
    if not models:
        raise FileNotFoundError(f"no SNANA model folders (<PREFIX>_<MODEL>/ with *_HEAD.FITS[.gz] files) "
                                f"in {raw_dir}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = ConvertSummary()
    todo = []
    for model, folder in models:
        target = out / f"{model}.parquet"
        if target.exists() and not overwrite and _complete(target):
            result.models.append(ModelSummary(model, str(folder), str(target), status="exists"))
        else:
            todo.append((model, folder, target))
    # convert_model keeps 2 * workers pairs in flight when given an executor
    in_flight = max(1, (lookahead or 2 * total_threads(client)) // 2)
    executor = client.get_executor(pure=False)
    n_pairs = sum(len(pair_files(f)[0]) for _, f, _ in todo)
    log.info("converting %d models (%d file pairs) on %s, %d pairs in flight",
             len(todo), n_pairs, client, 2 * in_flight)
    with progress(total=n_pairs, desc="convert", unit="pair", enabled=show_progress) as bar:
        for model, folder, target in todo:
            s = convert_model(folder, target, workers=in_flight, on_error=on_error, model=model,
                              layout=layout, snid=snid, executor=executor, bar=bar)
            result.models.append(s)
            log.info("%s: %d objects from %d pairs -> %s", model, s.n_objects, s.n_pairs, target)
    result.models.sort(key=lambda m: m.model)
    return result
