"""One ``convert`` run as seen from the process that plans it: choose the run's schema, cut each
model's file pairs into parts, hand the parts to the workers (:mod:`elasticc_fast.convert_tasks`),
then have each model's parts joined and rename the result. This process touches no rows.

Schema: one for every file of the run (the union over all models and the kept outputs, "model"
last), so any Parquet reader sees every column of every model. It is first guessed from the first
file pair of each model (two header reads per model); if a worker meets a pair that does not fit
the guess, the run starts again with the union of every file's header (read by the workers).
Parts are cut by counts and bytes of the input only, so the bytes written do not depend on the
number of workers.
"""
from __future__ import annotations

import logging
import os
from collections import deque
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa

from ._version import __version__
from .convert_tasks import (
    PartResult,
    PartTask,
    merge_parts,
    model_metadata,
    parse_key,
    read_headers,
    rewrite_output,
    write_part,
)
from .io.snana import SnanaFormatError, _engine, schema_from_header

__all__ = ["Job", "InlineExecutor", "run_jobs", "union_schema", "BATCH_BYTES", "BATCH_PAIRS"]

log = logging.getLogger(__name__)

#: a part (one row group of the output, one worker task) holds consecutive pairs up to this many
#: compressed input bytes or pairs: small files then cost little each, memory stays bounded
BATCH_BYTES = 8 << 20
BATCH_PAIRS = 1024
HEADER_FILES_PER_TASK = 512


@dataclass
class Job:
    """One model folder to convert to ``target``. Its file pairs are names in ``folder`` (plain
    strings: cheap to send between processes, thousands per model) with each pair's input bytes
    (``nbytes``, HEAD + PHOT); ``summary`` is a ``convert.ModelSummary``."""
    model: str
    target: Path
    folder: str
    heads: list[str]
    phots: list[str]
    nbytes: list[int]
    summary: Any
    keys: list[tuple] | None = None
    names: list[str] = field(default_factory=list)  #: the HEAD names found (kept in the metadata)

    def __post_init__(self) -> None:
        self.names = self.names or list(self.heads)

    def paths(self, i: int) -> tuple[str, str]:
        """Pair ``i``'s HEAD and PHOT paths."""
        return os.path.join(self.folder, self.heads[i]), os.path.join(self.folder, self.phots[i])

    def select(self, index: list[int]) -> None:
        """Keep only the pairs at ``index`` (in that order)."""
        self.heads = [self.heads[i] for i in index]
        self.phots = [self.phots[i] for i in index]
        self.nbytes = [self.nbytes[i] for i in index]


class InlineExecutor(Executor):
    """Runs each task at once in this process (``workers=1``): one code path for every executor."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as e:  # noqa: BLE001 - handed to the caller through the future
            fut.set_exception(e)
        return fut


class _Grew(Exception):
    """A worker met a pair beyond the guessed schema."""


def _strip(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f for f in schema if f.name != "model"])


def union_schema(schemas: list[pa.Schema]) -> pa.Schema:
    """Union of ``schemas`` in order of first appearance, wider types kept, ``model`` last."""
    try:
        union = pa.unify_schemas([_strip(s) for s in schemas], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise SnanaFormatError(f"the models' column types cannot be unified into one schema ({e})") from None
    return union.append(pa.field("model", pa.string()))


@dataclass
class _Run:
    """The state of one run: where temporary files go and which this run created."""
    executor: Executor
    lookahead: int
    layout: str
    snid: str
    on_error: str
    bar: Any
    token: str = field(default_factory=lambda: f"{os.getpid()}-{os.urandom(4).hex()}")  # secrets.token_hex
    temps: list[Path] = field(default_factory=list)
    futures: list[Future] = field(default_factory=list)

    def temp(self, target: Path, what: str) -> Path:
        path = target.with_name(f".{target.name}.{self.token}.{what}.tmp")
        self.temps.append(path)
        return path

    def submit(self, fn: Callable, *args: Any) -> Future:
        fut = self.executor.submit(fn, *args)
        self.futures.append(fut)
        return fut

    def abandon(self) -> None:
        """Stop the work not started, wait for the rest, delete every temporary file of this run."""
        for f in self.futures:
            f.cancel()
        wait(self.futures)
        for p in self.temps:
            p.unlink(missing_ok=True)
        self.futures, self.temps = [], []


def _first_schemas(jobs: list[Job], snid: str) -> dict[str, pa.Schema] | None:
    """Each job's first pair's schema from its headers, or None if one cannot be read."""
    firsts = [(j, j.paths(0)) for j in jobs if j.heads]
    headers = iter(_engine("auto").read_fits_headers([f for _, pair in firsts for f in pair]) if firsts else [])
    out = {}
    for j, (head, phot) in firsts:
        h, p = next(headers), next(headers)
        if h[0] != "ok" or p[0] != "ok":
            return None
        try:
            out[j.model] = schema_from_header(*parse_key((h[2], p[2])), head, phot, snid=snid)
        except SnanaFormatError:
            return None
    return out


def _ordered_union(jobs: list[Job], per_job: dict[str, pa.Schema], kept: dict[str, pa.Schema]) -> pa.Schema:
    by_model = {**kept, **per_job}
    return union_schema([by_model[m] for m in sorted(by_model)])


def _chunks(nbytes: list[int]) -> list[tuple[int, int]]:
    """``(start, stop)`` of consecutive pairs up to BATCH_BYTES of compressed input (``nbytes`` per
    pair) or BATCH_PAIRS pairs. Runs in the planning process: one integer test per pair."""
    out, start, size = [], 0, 0
    for i, n in enumerate(nbytes):
        if i > start and (size + n > BATCH_BYTES or i - start >= BATCH_PAIRS):
            out.append((start, i))
            start, size = i, 0
        size += n
    if nbytes:
        out.append((start, len(nbytes)))
    return out


def _account(job: Job, result: PartResult, n_pairs: int, run: _Run) -> None:
    from .convert import Failure

    if result.grew is not None:
        raise _Grew(result.grew)
    s = job.summary
    s.n_pairs += result.n_pairs
    s.n_objects += result.n_objects
    s.n_observations += result.n_observations
    s.failures += [Failure(f, r) for f, r in result.failures]
    if run.bar is not None:
        run.bar.update(n_pairs)


def _write_jobs(jobs: list[Job], schema: pa.Schema, run: _Run) -> list[tuple[Job, Path, Future]]:
    """Submit every part (at most ``lookahead`` in flight), account for them in order, and submit
    each model's merge once its parts are in. Returns ``(job, temporary output, merge future)``."""
    pending: deque = deque()
    merges: list[tuple[Job, Path, Future]] = []
    plan = [(j, _chunks(j.nbytes)) for j in jobs]
    remaining = {id(j): len(c) for j, c in plan}
    parts: dict[int, list[Path]] = {id(j): [] for j, _ in plan}

    def collect() -> None:
        job, path, n_pairs, fut = pending.popleft()
        result = fut.result()  # a worker's error (on_error="stop") is raised here, in pair order
        _account(job, result, n_pairs, run)
        if result.written:
            parts[id(job)].append(path)
        remaining[id(job)] -= 1
        if remaining[id(job)] == 0:
            merges.append(_merge(job, parts[id(job)], schema, run))

    for job, chunks in plan:
        if not chunks:
            merges.append(_merge(job, [], schema, run))
        for i, (a, b) in enumerate(chunks):
            path = run.temp(job.target, f"part{i:05d}")
            keys = tuple(job.keys[a:b]) if job.keys is not None else None
            task = PartTask(job.folder, tuple(job.heads[a:b]), tuple(job.phots[a:b]), keys, schema, job.model,
                            path, run.layout, run.snid, run.on_error)
            pending.append((job, path, b - a, run.submit(write_part, task)))
            if len(pending) >= run.lookahead:
                collect()
    while pending:
        collect()
    return [m for m in merges if m is not None]


def _merge(job: Job, parts: list[Path], schema: pa.Schema, run: _Run) -> tuple[Job, Path, Future] | None:
    if job.summary.n_pairs == 0:  # nothing converted: no output
        job.summary.status = "failed" if job.summary.failures else "empty"
        return None
    meta = model_metadata(job.model, job.names, run.layout, __version__)
    tmp = run.temp(job.target, "out")
    return job, tmp, run.submit(merge_parts, parts, tmp, schema.with_metadata(meta))


def _scan(jobs: list[Job], kept: dict[str, pa.Schema], run: _Run) -> pa.Schema | None:
    """Every file's header, read by the workers; pairs whose headers fail are dropped (recorded,
    or raised with on_error="stop"). Sets each job's pairs and keys; returns the run's union."""
    from .convert import Failure

    files = [f for j in jobs for i in range(len(j.heads)) for f in j.paths(i)]
    tasks = [run.submit(read_headers, files[i:i + HEADER_FILES_PER_TASK])
             for i in range(0, len(files), HEADER_FILES_PER_TASK)]
    headers = iter([h for t in tasks for h in t.result()])
    per_job, cache = {}, {}
    for job in jobs:
        index, keys, schemas = [], [], []
        for i in range(len(job.heads)):
            head, phot = job.paths(i)
            h, p = next(headers), next(headers)
            bad = h if h[0] == "error" else p if p[0] == "error" else None
            try:
                if bad is not None:
                    raise SnanaFormatError(bad[1])
                key = (h[2], p[2])
                if key not in cache:
                    cache[key] = schema_from_header(*parse_key(key), head, phot, snid=run.snid)
            except SnanaFormatError as e:
                if run.on_error == "stop":
                    raise
                job.summary.failures.append(Failure(head, str(e)))
                continue
            index.append(i)
            keys.append(key)
            schemas.append(cache[key])
        if run.bar is not None:
            run.bar.update(len(job.heads) - len(index))
        job.select(index)
        job.keys = keys
        if schemas:
            per_job[job.model] = union_schema(schemas)
    if not per_job and not kept:
        return None
    return _ordered_union(jobs, per_job, kept)


def _finish(merges: list[tuple[Job, Path, Future]]) -> None:
    """Wait for each model's merge and rename its output into place."""
    for job, tmp, fut in merges:
        fut.result()
        os.replace(tmp, job.target)
        job.summary.status = "written"


def _rewrite_kept(kept: dict[str, tuple[Path, pa.Schema, Any]], schema: pa.Schema, run: _Run) -> None:
    """Kept outputs whose schema is not the run's are rewritten with it (status "rewritten")."""
    todo = []
    for _model, (path, old, summary) in sorted(kept.items()):
        if old.remove_metadata().equals(schema):
            continue
        tmp = run.temp(path, "widen")
        todo.append((path, tmp, summary, run.submit(rewrite_output, path, tmp, schema)))
    for path, tmp, summary, fut in todo:
        fut.result()
        os.replace(tmp, path)
        summary.status = "rewritten"
        log.info("%s: rewritten with this run's %d columns (one schema for every model)", path, len(schema))


def _reset(jobs: list[Job], orphans: dict[str, list], run: _Run) -> None:
    """Forget what a speculative attempt counted (its files are deleted by ``run.abandon``)."""
    done = 0
    for job in jobs:
        s = job.summary
        done += s.n_pairs + len(s.failures) - len(orphans[job.model])
        s.n_pairs = s.n_objects = s.n_observations = 0
        s.failures = list(orphans[job.model])
    if run.bar is not None:
        run.bar.update(-done)


def run_jobs(jobs: list[Job], kept: dict[str, tuple[Path, pa.Schema, Any]], *, executor: Executor,
             lookahead: int, layout: str, snid: str, on_error: str, bar: Any = None) -> pa.Schema | None:
    """Convert ``jobs`` and bring ``kept`` outputs (``model -> (path, schema, summary)``) to the
    run's schema; fills the jobs' summaries. Returns the run's schema (None: nothing readable)."""
    run = _Run(executor, max(1, lookahead), layout, snid, on_error, bar)
    kept_schemas = {m: s for m, (_, s, _) in kept.items()}
    orphans = {j.model: list(j.summary.failures) for j in jobs}
    try:
        first = _first_schemas(jobs, snid)
        if first is not None and (first or kept_schemas):
            schema = _ordered_union(jobs, first, kept_schemas)
            try:
                _finish(_write_jobs(jobs, schema, run))
                _rewrite_kept(kept, schema, run)
                return schema
            except _Grew as grew:
                log.info("%s has columns beyond the first files': reading every header first", grew)
                run.abandon()
                _reset(jobs, orphans, run)
        schema = _scan(jobs, kept_schemas, run)
        if schema is None:
            for j in jobs:
                j.summary.status = "failed" if j.summary.failures else "empty"
            return None
        _finish(_write_jobs(jobs, schema, run))
        _rewrite_kept(kept, schema, run)
        return schema
    except BaseException:
        run.abandon()
        raise
