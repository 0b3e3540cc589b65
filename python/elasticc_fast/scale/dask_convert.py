"""``elasticc-fast convert --dask SCHEDULER``: the converter's tasks on a Dask cluster.

The converter's own tasks (:mod:`elasticc_fast.convert_tasks`: read a part of a model's file
pairs and write it as a Parquet row group; join a model's parts) run on the Dask workers through
a ``concurrent.futures`` view of the client, so the bytes written are those of the
single-machine path whatever the number of workers, and failures are reported per file exactly
as there (``on_error="stop"`` raises the first one, ``"skip"`` lists them). No row goes through
the calling process.

On a real cluster the workers must see ``RAW_DIR`` and ``OUT_DIR`` under the same paths as the
calling process (a shared file system), and have ``elasticc_fast`` installed.
"""
from __future__ import annotations

import contextlib
import logging
import os
from typing import Any, Iterator

from ..convert import ConvertSummary, convert

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



def convert_dask(raw_dir: str | os.PathLike, out_dir: str | os.PathLike, client: Any, *,
                 overwrite: bool = False, on_error: str = "stop", layout: str = "pointers",
                 snid: str = "int64", lookahead: int | None = None,
                 show_progress: bool | None = None) -> ConvertSummary:
    """:func:`elasticc_fast.convert.convert` with the tasks run on ``client``.

    Same arguments and result as ``convert`` (``client`` replaces ``workers``); ``lookahead``:
    parts in flight at once (default twice the cluster's threads).
    """
    threads = total_threads(client)
    log.info("converting on %s (%d worker threads)", client, threads)
    return convert(raw_dir, out_dir, overwrite=overwrite, on_error=on_error, layout=layout, snid=snid,
                   show_progress=show_progress, executor=client.get_executor(pure=False),
                   lookahead=lookahead or 2 * threads)
