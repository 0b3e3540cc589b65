"""Extract triggers from many LIGO-LW files into one Parquet table, in parallel processes.

    >>> from elasticc_fast.gw.extract import extract
    >>> table = extract(["../shared/data/gw/spiir/postcoh_coinc"], "triggers.parquet")
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable

import pyarrow as pa

from ..atomic import atomic_path
from ..progress import progress
from .ligolw import LigoLwError, NotATriggerFile, read_triggers

log = logging.getLogger(__name__)

SUFFIXES = (".xml", ".xml.gz")


def find_files(inputs: Iterable[str | os.PathLike]) -> tuple[list[Path], set[Path]]:
    """LIGO-LW files named in ``inputs`` (files, or directories searched recursively), sorted.

    Returns the files and the subset found by directory search (those may be skipped when they
    hold no triggers; a file named explicitly must hold triggers).
    """
    files, scanned = [], set()
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(SUFFIXES))
            if not found:
                log.warning("%s: no .xml or .xml.gz files", p)
            files += found
            scanned.update(found)
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or directory")
    return sorted(dict.fromkeys(files)), scanned


def _read_one(path: Path) -> tuple[Path, pa.Table | None, str | None, bool]:
    """Worker: (path, table or None, error message or None, not-a-trigger-file flag)."""
    try:
        return path, read_triggers(path), None, False
    except NotATriggerFile as e:
        return path, None, str(e), True
    except (LigoLwError, OSError) as e:
        return path, None, str(e) if str(path) in str(e) else f"{path}: {e}", False


def read_many(files: list[Path], *, workers: int | None = None, on_error: str = "stop",
              scanned: set[Path] = frozenset(), failures: list[str] | None = None) -> pa.Table:
    """Trigger tables of ``files`` concatenated (union of columns; missing ones are null).

    ``on_error="stop"`` raises :class:`LigoLwError` at the first unreadable file; ``"skip"`` logs it,
    appends its message to ``failures`` (when given) and goes on.
    """
    if on_error not in ("stop", "skip"):
        raise ValueError(f"on_error must be 'stop' or 'skip', not {on_error!r}")
    if not files:
        raise LigoLwError("no LIGO-LW files (.xml, .xml.gz) to extract")
    workers = max(1, min(workers or os.cpu_count() or 1, len(files)))
    tables, failed = [], []
    # spawn, not fork: forking a process that has JAX (or any threads) loaded can deadlock
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) if workers > 1 else _Serial() as pool:
        results = pool.map(_read_one, files, chunksize=max(1, len(files) // (8 * workers)))
        for path, table, err, not_trigger in progress(results, total=len(files), desc="gw extract", unit="file"):
            if table is not None:
                tables.append(table)
            elif not_trigger and path in scanned:
                log.info("skipping %s", err)
            elif on_error == "skip":
                log.error("skipping %s", err)
                failed.append(err)
            else:
                raise LigoLwError(err)
    if not tables:
        raise LigoLwError(f"none of the {len(files)} file(s) holds triggers")
    log.info("read %d trigger(s) from %d file(s)%s", sum(t.num_rows for t in tables), len(tables),
             f", {len(failed)} skipped" if failed else "")
    if failures is not None:
        failures.extend(failed)
    return pa.concat_tables(tables, promote_options="permissive")


class _Serial:
    """Stand-in for a process pool with one worker (no fork for one file)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def map(fn, items, chunksize=1):
        return map(fn, items)


def extract(inputs: Iterable[str | os.PathLike], out: str | os.PathLike, *, workers: int | None = None,
            on_error: str = "stop", failures: list[str] | None = None) -> pa.Table:
    """Read every trigger of ``inputs`` (files or directories) and write them to Parquet ``out``.

    The output is written under a temporary name and renamed when complete. ``on_error`` and
    ``failures`` as in :func:`read_many`.
    """
    import pyarrow.parquet as pq

    files, scanned = find_files(inputs)
    table = read_many(files, workers=workers, on_error=on_error, scanned=scanned, failures=failures)
    with atomic_path(out, suffix=".parquet") as tmp:
        pq.write_table(table, tmp)
    log.info("wrote %s (%d rows, %d columns)", out, table.num_rows, table.num_columns)
    return table
