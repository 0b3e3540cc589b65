"""SNANA FITS folders -> one Parquet file per model (``elasticc-fast convert``).

``RAW_DIR`` holds one folder per model, ``<PREFIX>_<MODEL>/``, as in the ELAsTiCC2 tarballs; each
holds ``*_HEAD.FITS[.gz]`` / ``*_PHOT.FITS[.gz]`` pairs, paired by file name (never by sort order).
``OUT_DIR/<MODEL>.parquet`` gets one row per object (:func:`elasticc_fast.io.snana.read_snana`)
plus a ``model`` column. Every file of a folder has ONE schema: the union of the HEAD and PHOT
columns over all models (absent columns null, ``model`` last), so pyarrow, pandas, polars and DuckDB
read the folder whole; a later run that brings new columns rewrites the outputs it keeps.

The work is done by worker processes (or Dask workers): each reads a part of a model's file pairs
and writes it as one Parquet row group; a model's parts are then joined by copying their bytes
(:mod:`elasticc_fast.convert_tasks`). The calling process only plans, tracks progress and renames
(:mod:`elasticc_fast.convert_run`). Outputs are written to a temporary name and renamed when
complete; existing outputs are kept unless ``overwrite``. The bytes written depend only on the
input, not on the number of workers.

Per-unit API: :func:`convert_pair`, :func:`convert_model`, :func:`convert`.
"""
from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import re
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa

from .convert_run import InlineExecutor, Job, run_jobs
from .convert_tasks import META_KEY, conform
from .io.snana import read_snana
from .progress import progress

__all__ = ["convert", "convert_model", "convert_pair", "find_models", "pair_files", "pair_names", "model_name",
           "ConvertSummary", "ModelSummary", "Failure", "ON_ERROR"]

log = logging.getLogger(__name__)

ON_ERROR = ("stop", "skip")
_FILE_RE = re.compile(r"^(?P<stem>.+)_(?P<part>HEAD|PHOT)\.FITS(?P<gz>\.gz)?$", re.IGNORECASE)
# _FILE_RE's stems in names joined by "/"
_STEMS_RE = re.compile(r"(?:^|(?<=/))([^/]+)_(?:HEAD|PHOT)\.FITS(?:\.gz)?(?=/|\Z)", re.IGNORECASE)


@dataclass(frozen=True)
class Failure:
    """A file (pair) that could not be converted, and why."""
    file: str
    reason: str


@dataclass
class ModelSummary:
    """What happened to one model folder."""
    model: str
    source: str
    output: str
    #: "written", "exists" (kept, not overwritten), "rewritten" (kept, widened to the run's
    #: schema), "failed", "empty"
    status: str = "pending"
    n_pairs: int = 0
    n_objects: int = 0
    n_observations: int = 0
    failures: list[Failure] = field(default_factory=list)


@dataclass
class ConvertSummary:
    """Outcome of :func:`convert`: per model, and every failure."""
    models: list[ModelSummary] = field(default_factory=list)

    @property
    def failures(self) -> list[Failure]:
        return [f for m in self.models for f in m.failures]

    @property
    def n_objects(self) -> int:
        return sum(m.n_objects for m in self.models)

    def describe(self) -> str:
        """Human-readable summary: one line per model, then the failures."""
        lines = []
        for m in self.models:
            if m.status == "exists":
                lines.append(f"{m.model}: {m.output} exists, kept (use --overwrite to redo)")
            elif m.status == "rewritten":
                lines.append(f"{m.model}: {m.output} exists, kept and rewritten with the new columns "
                             "of this run (one schema for every model)")
            elif m.status in ("written", "empty"):
                lines.append(f"{m.model}: {m.n_objects} objects, {m.n_observations} observations from "
                             f"{m.n_pairs} file pairs -> {m.output}")
            else:
                lines.append(f"{m.model}: FAILED, no output written")
        if self.failures:
            lines.append(f"{len(self.failures)} failure(s):")
            lines += [f"  {f.file}: {f.reason}" for f in self.failures]
        return "\n".join(lines)


def _stems(folder: Path) -> list[str]:
    """The stems of the SNANA FITS files in ``folder`` (HEAD and PHOT: each stem once or twice).
    One regex pass over the names joined by '/' (which no name holds), not a match per file: a
    model folder holds tens of thousands of files and this runs in the planning process."""
    return _STEMS_RE.findall("/".join(os.listdir(folder)))


def _common_prefix(names: Iterable[str]) -> str:
    """Longest common prefix, cut back to its last underscore (kept)."""
    p = os.path.commonprefix(list(names))
    return p[:p.rfind("_") + 1] if "_" in p else ""


def model_name(model_dir: str | os.PathLike, siblings: Iterable[str] = (), *,
               stems: list[str] | None = None) -> str:
    """``<MODEL>`` of a ``<PREFIX>_<MODEL>`` folder.

    The prefix is what the folder name shares with its file names (ELAsTiCC: folder
    ``ELASTICC2_TRAIN_02_KN_K17``, files ``ELASTICC2_TRAIN_02_NONIaMODEL0-0001_HEAD.FITS.gz``), else
    what it shares with its sibling model folders; with neither, the whole folder name.
    ``stems``: the folder's file stems when already listed.
    """
    d = Path(model_dir)
    name = d.name
    stems = _stems(d) if stems is None else stems
    if stems:
        p = _common_prefix([name, min(stems), max(stems)])  # the common prefix of all of them
        if p and len(p) < len(name) and not all(s.startswith(name) for s in stems):
            return name[len(p):]
    others = [s for s in siblings if s != name]
    if others:
        p = _common_prefix([name, *others])
        if p and len(p) < len(name):
            return name[len(p):]
    return name


def find_models(raw_dir: str | os.PathLike) -> list[tuple[str, Path]]:
    """``[(model, folder), ...]`` sorted by model: sub-folders holding SNANA FITS files (or
    ``raw_dir`` itself if it holds them directly)."""
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise FileNotFoundError(f"RAW_DIR is not a folder: {raw}")
    stems = {d: s for d in sorted(raw.iterdir()) if d.is_dir() and (s := _stems(d))}  # one listing each
    if not stems and (s := _stems(raw)):
        stems = {raw: s}
    names = [d.name for d in stems]
    models = [(model_name(d, names, stems=s), d) for d, s in stems.items()]
    seen: dict[str, Path] = {}
    for m, d in models:
        if m in seen:
            raise ValueError(f"folders {seen[m]} and {d} both give model name {m!r}")
        seen[m] = d
    return sorted(models)


def pair_files(model_dir: str | os.PathLike) -> tuple[list[tuple[Path, Path]], list[Failure]]:
    """HEAD/PHOT pairs of a folder, matched by file name, sorted; plus files left without a partner."""
    folder = Path(model_dir)
    names, failures = pair_names(folder)
    return [(folder / h, folder / p) for h, p in names], failures


def pair_names(folder: Path, sizes: dict[str, int] | None = None) -> tuple[list[tuple[str, str]], list[Failure]]:
    """:func:`pair_files` as file names in ``folder``. With ``sizes``, it is filled with each
    file's name -> bytes (from the same directory scan)."""
    parts: dict[str, dict[str, list[str]]] = {}
    with os.scandir(folder) as entries:  # names as strings: sorting Path objects is slow on big folders
        files = [e for e in entries if e.is_file()]
    if sizes is not None:
        sizes.update((e.name, e.stat().st_size) for e in files)  # stat cached by is_file()
    names = sorted(e.name for e in files)
    for name in names:
        m = _FILE_RE.match(name)
        if m:
            parts.setdefault(m.group("stem"), {}).setdefault(m.group("part").upper(), []).append(name)
    pairs, failures = [], []
    for stem in sorted(parts):
        heads, phots = parts[stem].get("HEAD", []), parts[stem].get("PHOT", [])
        for kind, files in (("HEAD", heads), ("PHOT", phots)):
            if len(files) > 1:
                failures.append(Failure(str(folder / files[0]), f"several {kind} files for {stem}: {', '.join(files)}"))
        if len(heads) > 1 or len(phots) > 1:
            continue
        if not phots:
            failures.append(Failure(str(folder / heads[0]), f"HEAD file without its PHOT file ({stem}_PHOT.FITS[.gz] "
                                                            "not found beside it)"))
        elif not heads:
            failures.append(Failure(str(folder / phots[0]), f"PHOT file without its HEAD file ({stem}_HEAD.FITS[.gz] "
                                                            "not found beside it)"))
        else:
            pairs.append((heads[0], phots[0]))
    return pairs, failures


def convert_pair(head: str | os.PathLike, phot: str | os.PathLike, *, model: str | None = None,
                 schema: pa.Schema | None = None, layout: str = "pointers", snid: str = "int64") -> pa.Table:
    """One file pair as an Arrow table (one row per object); with ``model`` a ``model`` column is
    added, with ``schema`` the table is cast to it (absent columns null)."""
    table = read_snana(head, phot, layout=layout, snid=snid)
    if model is not None and schema is None:
        table = table.append_column("model", pa.array([model] * table.num_rows, pa.string()))
    if schema is not None:
        table = conform(table, schema, model, head)
    return table


@contextlib.contextmanager
def _executor(workers: int, given: Executor | None, needed: bool) -> Iterator[Executor]:
    """``given``, else a process pool of ``workers`` (spawned: safe with threads), else in-process."""
    if given is not None:
        yield given
    elif workers > 1 and needed:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            yield pool
        finally:
            pool.shutdown(cancel_futures=True)
    else:
        yield InlineExecutor()


def _check(workers: int, on_error: str) -> None:
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")


def _job(model: str, folder: Path, target: Path, on_error: str) -> Job:
    """A model folder's listing (run by the workers: one stat per file). The pairs travel back
    as names with each pair's bytes, little to unpickle in the planning process."""
    sizes: dict[str, int] = {}
    pairs, orphans = pair_names(folder, sizes)
    if orphans and on_error == "stop":
        raise FileNotFoundError(f"{orphans[0].file}: {orphans[0].reason}")
    return Job(model, target, str(folder), [h for h, _ in pairs], [p for _, p in pairs],
               [sizes[h] + sizes[p] for h, p in pairs],
               ModelSummary(model, str(folder), str(target), failures=list(orphans)))


def convert_model(model_dir: str | os.PathLike, out_path: str | os.PathLike, *, workers: int = 1,
                  on_error: str = "stop", model: str | None = None, layout: str = "pointers",
                  snid: str = "int64", executor: Executor | None = None, bar: Any = None) -> ModelSummary:
    """Convert one ``<PREFIX>_<MODEL>/`` folder to ``out_path`` (Parquet), overwriting it; its
    schema is the union of that folder's files'.

    workers: processes (ignored when an ``executor`` is given); on_error: "stop" raises on the
    first bad pair (nothing is written), "skip" converts the rest and lists the failures in the
    returned summary. Nothing partial is ever left at ``out_path``.
    """
    _check(workers, on_error)
    model_dir, out_path = Path(model_dir), Path(out_path)
    job = _job(model or model_name(model_dir), model_dir, out_path, on_error)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with _executor(workers, executor, bool(job.heads)) as ex:
        run_jobs([job], {}, executor=ex, lookahead=2 * workers, layout=layout, snid=snid,
                 on_error=on_error, bar=bar)
    return job.summary


def _complete(path: Path, folder: Path | None = None) -> bool:
    """A readable Parquet file is complete (outputs appear only by rename). With `folder`, warn
    when the file pairs there are not the ones it was converted from."""
    import pyarrow.parquet as pq  # here: the planning process needs it only when outputs exist (0.03 s)

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # noqa: BLE001 - any unreadable file is redone
        log.warning("%s exists but is not a readable Parquet file: converting again", path)
        return False
    if folder is not None and META_KEY in meta:
        try:
            before = json.loads(meta[META_KEY])["pairs"]
        except (ValueError, KeyError, TypeError):
            before = None
        if before is not None and before != [h for h, _ in pair_names(folder)[0]]:
            log.warning("%s was converted from other files than %s holds now: kept; --overwrite redoes it",
                        path, folder)
    return True


def plan_models(raw_dir: str | os.PathLike, out_dir: str | os.PathLike, *, overwrite: bool,
                on_error: str) -> tuple[ConvertSummary, list[tuple[str, Path, Path]]]:
    """Check the options, find the model folders and create ``out_dir``. Returns the summary
    holding the complete outputs that are kept (unless ``overwrite``) and the
    ``(model, folder, target)`` still to convert. Shared by every executor (processes, Dask)."""
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
    models = find_models(raw_dir)
    if not models:
        raise FileNotFoundError(f"no SNANA model folders (<PREFIX>_<MODEL>/ with *_HEAD.FITS[.gz] files) in {raw_dir}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result, todo = ConvertSummary(), []
    for model, folder in models:
        target = out / f"{model}.parquet"
        if target.exists() and not overwrite and _complete(target, folder):
            result.models.append(ModelSummary(model, str(folder), str(target), status="exists"))
            log.info("%s: %s exists, skipped", model, target)
        else:
            todo.append((model, folder, target))
    return result, todo


def _missing_dirs(path: Path) -> list[Path]:
    """The folders ``path.mkdir(parents=True)`` would create, deepest first."""
    out = []
    while not path.exists() and path != path.parent:
        out.append(path)
        path = path.parent
    return out


def _kept_schemas(result: ConvertSummary) -> dict[str, tuple[Path, pa.Schema, ModelSummary]]:
    if not result.models:
        return {}
    import pyarrow.parquet as pq

    return {m.model: (Path(m.output), pq.read_schema(m.output), m) for m in result.models}


def convert(raw_dir: str | os.PathLike, out_dir: str | os.PathLike, *, workers: int = 1, overwrite: bool = False,
            on_error: str = "stop", layout: str = "pointers", snid: str = "int64",
            show_progress: bool | None = None, executor: Executor | None = None,
            lookahead: int | None = None) -> ConvertSummary:
    """Convert every ``RAW_DIR/<PREFIX>_<MODEL>/`` folder to ``OUT_DIR/<MODEL>.parquet``, all with
    one schema (see the module docstring).

    workers: processes (1 = in this process); overwrite: redo complete outputs (otherwise they
    are kept, so an interrupted run resumes); on_error: "stop" or "skip"; executor: a
    ``concurrent.futures`` executor to run the tasks on instead (e.g. a Dask client's), with
    ``lookahead`` parts in flight (default twice ``workers``). Returns a :class:`ConvertSummary`;
    with "stop" a bad file raises ``SnanaFormatError``. A failed run removes the folders it
    created when they are still empty.
    """
    _check(workers, on_error)
    made = _missing_dirs(Path(out_dir))
    try:
        result, todo = plan_models(raw_dir, out_dir, overwrite=overwrite, on_error=on_error)
        kept = _kept_schemas(result)
        with _executor(workers, executor, bool(todo)) as ex:
            # the folders are listed (one stat per file) by the workers too
            jobs = [f.result() for f in [ex.submit(_job, m, folder, target, on_error) for m, folder, target in todo]]
            with progress(total=sum(len(j.heads) for j in jobs), desc="convert", unit="pair",
                          enabled=show_progress) as bar:
                run_jobs(jobs, kept, executor=ex, lookahead=lookahead or 2 * workers, layout=layout,
                         snid=snid, on_error=on_error, bar=bar)
    finally:
        for d in made:  # only folders this call created, only when empty (nothing of anyone's)
            try:
                d.rmdir()
            except OSError:
                break
    result.models += [j.summary for j in jobs]
    for s in result.models:
        if s.status == "written":
            log.debug("%s: %d objects from %d pairs -> %s", s.model, s.n_objects, s.n_pairs, s.output)
    result.models.sort(key=lambda m: m.model)
    return result
