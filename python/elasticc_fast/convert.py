"""SNANA FITS folders -> one Parquet file per model (``elasticc-fast convert``).

``RAW_DIR`` holds one folder per model, ``<PREFIX>_<MODEL>/``, as in the ELAsTiCC2 tarballs; each
holds ``*_HEAD.FITS[.gz]`` / ``*_PHOT.FITS[.gz]`` pairs, paired by file name (never by sort order).
``OUT_DIR/<MODEL>.parquet`` gets one row per object (:func:`elasticc_fast.io.snana.read_snana`)
plus a ``model`` column; its schema is the union of the HEAD (and PHOT) schemas of that model's
files, read from the FITS headers first, so rows are streamed out in row groups and memory stays
bounded by a few file pairs per worker. Outputs are written to a temporary name and renamed when
complete; existing outputs are skipped unless ``overwrite``. The bytes written depend only on the
input, not on the number of workers (pairs are written in file-name order, row groups cut by counts).

Per-unit API (for schedulers such as Dask): :func:`convert_pair`, :func:`convert_model`, :func:`convert`.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
from collections import deque
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ._version import __version__
from .atomic import atomic_path
from .io.snana import SnanaFormatError, _engine, read_snana, read_snana_many, schema_from_header
from .progress import progress

__all__ = ["convert", "convert_model", "convert_pair", "find_models", "pair_files", "model_name",
           "ConvertSummary", "ModelSummary", "Failure", "ON_ERROR"]

log = logging.getLogger(__name__)

ON_ERROR = ("stop", "skip")
#: a row group is closed once it holds this many objects or observations (counts, so the cut is
#: the same whatever the number of workers; about 50 MB of ELAsTiCC rows before compression)
ROW_GROUP_OBJECTS = 50_000
ROW_GROUP_OBSERVATIONS = 500_000
#: consecutive pairs with the same columns are read in one C++ call, up to this many compressed
#: bytes or pairs (small files then cost little each; a big file is a batch of its own)
BATCH_BYTES = 8 << 20
BATCH_PAIRS = 256
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 1}  # decode speed of snappy, smaller
_FILE_RE = re.compile(r"^(?P<stem>.+)_(?P<part>HEAD|PHOT)\.FITS(?P<gz>\.gz)?$", re.IGNORECASE)
# errors that concern one file pair: reported and skipped with on_error="skip"
_PAIR_ERRORS = (SnanaFormatError, OSError, pa.ArrowInvalid, pa.ArrowTypeError)


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
    status: str = "pending"  # "written", "exists" (kept, not overwritten), "failed", "empty"
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
            elif m.status in ("written", "empty"):
                lines.append(f"{m.model}: {m.n_objects} objects, {m.n_observations} observations from "
                             f"{m.n_pairs} file pairs -> {m.output}")
            else:
                lines.append(f"{m.model}: FAILED, no output written")
        if self.failures:
            lines.append(f"{len(self.failures)} failure(s):")
            lines += [f"  {f.file}: {f.reason}" for f in self.failures]
        return "\n".join(lines)


def _is_model_dir(d: Path) -> bool:
    return d.is_dir() and any(_FILE_RE.match(f) for f in os.listdir(d))


def _common_prefix(names: Iterable[str]) -> str:
    """Longest common prefix, cut back to its last underscore (kept)."""
    p = os.path.commonprefix(list(names))
    return p[:p.rfind("_") + 1] if "_" in p else ""


def model_name(model_dir: str | os.PathLike, siblings: Iterable[str] = ()) -> str:
    """``<MODEL>`` of a ``<PREFIX>_<MODEL>`` folder.

    The prefix is what the folder name shares with its file names (ELAsTiCC: folder
    ``ELASTICC2_TRAIN_02_KN_K17``, files ``ELASTICC2_TRAIN_02_NONIaMODEL0-0001_HEAD.FITS.gz``), else
    what it shares with its sibling model folders; with neither, the whole folder name.
    """
    d = Path(model_dir)
    name = d.name
    stems = sorted({m.group("stem") for f in os.listdir(d) if (m := _FILE_RE.match(f))})
    if stems:
        p = _common_prefix([name, *stems])
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
    dirs = sorted(d for d in raw.iterdir() if _is_model_dir(d))
    if not dirs and _is_model_dir(raw):
        dirs = [raw]
    names = [d.name for d in dirs]
    models = [(model_name(d, names), d) for d in dirs]
    seen: dict[str, Path] = {}
    for m, d in models:
        if m in seen:
            raise ValueError(f"folders {seen[m]} and {d} both give model name {m!r}")
        seen[m] = d
    return sorted(models)


def pair_files(model_dir: str | os.PathLike) -> tuple[list[tuple[Path, Path]], list[Failure]]:
    """HEAD/PHOT pairs of a folder, matched by file name, sorted; plus files left without a partner."""
    folder = Path(model_dir)
    parts: dict[str, dict[str, list[str]]] = {}
    with os.scandir(folder) as entries:  # names as strings: sorting Path objects is slow on big folders
        names = sorted(e.name for e in entries if e.is_file())
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
            pairs.append((folder / heads[0], folder / phots[0]))
    return pairs, failures


def convert_pair(head: str | os.PathLike, phot: str | os.PathLike, *, model: str | None = None,
                 schema: pa.Schema | None = None, layout: str = "pointers", snid: str = "int64") -> pa.Table:
    """One file pair as an Arrow table (one row per object); with ``model`` a ``model`` column is
    added, with ``schema`` the table is cast to it (absent columns null)."""
    table = read_snana(head, phot, layout=layout, snid=snid)
    if model is not None and schema is None:
        table = table.append_column("model", pa.array([model] * table.num_rows, pa.string()))
    if schema is not None:
        table = _conform(table, schema, model, head)
    return table


def _conform(table: pa.Table, schema: pa.Schema, model: str | None, head: Any) -> pa.Table:
    index = {name: i for i, name in enumerate(table.column_names)}
    extra = set(index) - set(schema.names)
    if extra:
        raise SnanaFormatError(f"{head}: columns {sorted(extra)} are not in the model's schema")
    n = table.num_rows
    cols = []
    for f in schema:
        if f.name == "model" and model is not None:
            cols.append(pa.array([model] * n, f.type))
        elif f.name in index:
            col = table.column(index[f.name])
            cols.append(col if col.type == f.type else col.cast(f.type))
        else:
            cols.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


class _SchemaGrew(Exception):
    """A pair has columns (or wider types) beyond the schema the conversion started with."""


def _fits(table: pa.Table | pa.Schema, schema: pa.Schema) -> bool:
    """Whether conforming `table` to `schema` is what the union of both schemas would give."""
    base = pa.schema([f for f in schema if f.name != "model"])
    other = table if isinstance(table, pa.Schema) else table.schema
    if other.equals(base):
        return True
    try:
        return pa.unify_schemas([base, other], promote_options="permissive").equals(base)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False


def _header_fits(head: Path, phot: Path, schema: pa.Schema, snid: str) -> bool:
    """For a pair that failed to read: whether its headers (if they read) fit `schema`, since the
    model's schema is the union of all readable headers, failed pairs included."""
    h, p = _engine("auto").read_fits_headers([str(head), str(phot)])
    if h[0] != "ok" or p[0] != "ok":
        return True
    try:
        cols = [[tuple(line.split("\t")) for line in sig.splitlines()] for sig in (h[2], p[2])]
        return _fits(schema_from_header(cols[0], cols[1], str(head), str(phot), snid=snid), schema)
    except SnanaFormatError:
        return True


def _batch_task(batch: list[tuple[Path, Path]], schema: pa.Schema, model: str, layout: str, snid: str,
                speculative: bool = False) -> list[tuple[Path, pa.Table | None, Exception | None]]:
    """Worker: a batch of pairs read in one call and conformed to the model's schema; if any pair
    fails, the pairs are read one by one so each failure is reported on its own. Speculative:
    `schema` comes from the first pair only; a pair that does not fit it gives a _SchemaGrew."""
    try:
        table = read_snana_many(batch, layout=layout, snid=snid)
        if speculative and not _fits(table, schema):
            return [(batch[0][0], None, _SchemaGrew(str(batch[0][0])))]
        table = _conform(table, schema, model, batch[0][0])
        return [(batch[0][0], table, None)] + [(h, None, None) for h, _ in batch[1:]]
    except _PAIR_ERRORS:
        pass  # find out which pair(s) failed below
    out: list[tuple[Path, pa.Table | None, Exception | None]] = []
    for head, phot in batch:
        try:
            table = read_snana(head, phot, layout=layout, snid=snid)
            if speculative and not _fits(table, schema):
                return [(head, None, _SchemaGrew(str(head)))]
            out.append((head, _conform(table, schema, model, head), None))
        except _PAIR_ERRORS as e:
            if speculative and not _header_fits(head, phot, schema, snid):
                return [(head, None, _SchemaGrew(str(head)))]
            out.append((head, None, e))
    return out


def _ordered(tasks: list[tuple], executor: Executor | None, lookahead: int) -> Iterator[Any]:
    """Results of _batch_task in task order, at most `lookahead` batches in flight (bounded memory)."""
    if executor is None:
        for t in tasks:
            yield _batch_task(*t)
        return
    pending: deque = deque()
    try:
        for t in tasks:
            pending.append(executor.submit(_batch_task, *t))
            if len(pending) >= lookahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # stopped early (error, schema grew): drop the work not yet started
        for f in pending:
            f.cancel()


def _header_keys(pairs: list[tuple[Path, Path]], on_error: str, summary: ModelSummary
                 ) -> list[tuple[Path, Path, tuple]]:
    """(head, phot, key) per pair whose FITS headers read; key = both files' column descriptions."""
    files = [f for pair in pairs for f in pair]
    headers = _engine("auto").read_fits_headers([str(f) for f in files]) if files else []
    out = []
    for i, (head, phot) in enumerate(pairs):
        h, p = headers[2 * i], headers[2 * i + 1]
        bad = h if h[0] == "error" else p if p[0] == "error" else None
        if bad is not None:
            if on_error == "stop":
                raise SnanaFormatError(bad[1])
            summary.failures.append(Failure(str(head), bad[1]))
            continue
        out.append((head, phot, (h[2], p[2])))
    return out


def _union_schema(keyed: list[tuple[Path, Path, tuple]], snid: str, on_error: str,
                  summary: ModelSummary) -> tuple[pa.Schema | None, list[tuple[Path, Path, tuple]]]:
    """Union of the pairs' schemas (built once per distinct header layout); bad pairs are dropped."""
    cache: dict[tuple, pa.Schema] = {}
    ok, schemas = [], []
    for head, phot, key in keyed:
        if key not in cache:
            try:
                hcols, pcols = ([tuple(line.split("\t")) for line in sig.splitlines()] for sig in key)
                cache[key] = schema_from_header(hcols, pcols, str(head), str(phot), snid=snid)
            except SnanaFormatError as e:
                if on_error == "stop":
                    raise
                summary.failures.append(Failure(str(head), str(e)))
                continue
            schemas.append(cache[key])
        ok.append((head, phot, key))
    if not schemas:
        return None, ok
    try:
        union = pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise SnanaFormatError(f"{summary.source}: the files' column types cannot be unified ({e})") from None
    return union.append(pa.field("model", pa.string())), ok


def _batches(keyed: list[tuple[Path, Path, tuple]]) -> list[list[tuple[Path, Path]]]:
    """Consecutive pairs with the same columns, bounded in compressed bytes and count."""
    batches: list[list[tuple[Path, Path]]] = []
    last_key, size = None, 0
    for head, phot, key in keyed:
        nbytes = head.stat().st_size + phot.stat().st_size
        if not batches or key != last_key or size + nbytes > BATCH_BYTES or len(batches[-1]) >= BATCH_PAIRS:
            batches.append([])
            size = 0
        batches[-1].append((head, phot))
        last_key, size = key, size + nbytes
    return batches


def _size_batches(pairs: list[tuple[Path, Path]]) -> list[list[tuple[Path, Path]]]:
    return _batches([(h, p, None) for h, p in pairs])


def convert_model(model_dir: str | os.PathLike, out_path: str | os.PathLike, *, workers: int = 1,
                  on_error: str = "stop", model: str | None = None, layout: str = "pointers",
                  snid: str = "int64", executor: Executor | None = None, bar: Any = None) -> ModelSummary:
    """Convert one ``<PREFIX>_<MODEL>/`` folder to ``out_path`` (Parquet), overwriting it.

    workers: processes over file pairs (ignored when an ``executor`` is given); on_error: "stop"
    raises on the first bad pair (nothing is written), "skip" converts the rest and lists the
    failures in the returned summary. Nothing partial is ever left at ``out_path``.
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
    model_dir, out_path = Path(model_dir), Path(out_path)
    model = model or model_name(model_dir)
    summary = ModelSummary(model, str(model_dir), str(out_path))
    pairs, orphans = pair_files(model_dir)
    if orphans and on_error == "stop":
        raise FileNotFoundError(f"{orphans[0].file}: {orphans[0].reason}")
    summary.failures += orphans
    own = None
    if executor is None and workers > 1:
        own = executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    run = dict(model=model, layout=layout, snid=snid, on_error=on_error, out_path=out_path, executor=executor,
               lookahead=2 * max(workers, 1), bar=bar, names=[h.name for h, _ in pairs])
    try:
        # Usually all files of a model share their columns: start with the first pair's schema and
        # read every file once. If a later pair brings new columns or wider types, start again with
        # the union of all headers (read first), so the result never depends on which path ran.
        first = _first_schema(pairs, snid)
        if first is not None:
            try:
                _write_model(_size_batches(pairs), first, summary=summary, speculative=True, **run)
                return summary
            except _SchemaGrew as grew:
                log.info("%s: %s has columns beyond the first file's: reading all headers first", model, grew)
                done = summary.n_pairs + len(summary.failures) - len(orphans)
                if bar is not None:
                    bar.update(-done)
                summary = ModelSummary(model, str(model_dir), str(out_path), failures=list(orphans))
        schema, keyed = _union_schema(_header_keys(pairs, on_error, summary), snid, on_error, summary)
        if bar is not None:
            bar.update(len(pairs) - len(keyed))
        if schema is None:
            summary.status = "failed" if summary.failures else "empty"
            log.warning("%s: no convertible file pair in %s", model, model_dir)
            return summary
        _write_model(_batches(keyed), schema, summary=summary, speculative=False, **run)
    finally:
        if own is not None:
            own.shutdown(cancel_futures=True)
    return summary


def _first_schema(pairs: list[tuple[Path, Path]], snid: str) -> pa.Schema | None:
    """The first pair's schema from its headers, or None (no pair, or its headers fail)."""
    if not pairs:
        return None
    scratch = ModelSummary("", "", "")
    schema, keyed = _union_schema(_header_keys(pairs[:1], "skip", scratch), snid, "skip", scratch)
    return schema if keyed and not scratch.failures else None


def _write_model(batches: list[list[tuple[Path, Path]]], schema: pa.Schema, *, model: str, layout: str,
                 snid: str, on_error: str, summary: ModelSummary, out_path: Path, executor: Executor | None,
                 lookahead: int, bar: Any, names: list[str], speculative: bool) -> None:
    meta = {"model": model, "pairs": names, "layout": layout, "elasticc_fast": __version__}
    schema = schema.with_metadata({b"elasticc_fast.convert": json.dumps(meta).encode()})
    tasks = [(b, schema, model, layout, snid, speculative) for b in batches]
    with atomic_path(out_path) as tmp, ThreadPoolExecutor(1) as io_thread:
        # Parquet encoding runs in a thread (Arrow releases the GIL) while the next batch is read;
        # one pending write at most keeps memory bounded.
        writer = pq.ParquetWriter(tmp, schema, use_dictionary=_dictionary_columns(schema), **PARQUET_OPTIONS)
        pending: Future | None = None
        try:
            buffered: list[pa.Table] = []
            n_obj = n_obs = 0
            for results in _ordered(tasks, executor, lookahead):
                for head, table, error in results:
                    if isinstance(error, _SchemaGrew):
                        raise error
                    if bar is not None:
                        bar.update(1)
                    if error is not None:
                        if on_error == "stop":
                            raise error
                        summary.failures.append(Failure(str(head), str(error)))
                        continue
                    summary.n_pairs += 1
                    if table is None:  # read within the batch's first table
                        continue
                    summary.n_objects += table.num_rows
                    obs = _n_observations(table)
                    summary.n_observations += obs
                    buffered.append(table)
                    n_obj, n_obs = n_obj + table.num_rows, n_obs + obs
                if n_obj >= ROW_GROUP_OBJECTS or n_obs >= ROW_GROUP_OBSERVATIONS:
                    if pending is not None:
                        pending.result()
                    pending = io_thread.submit(_flush, writer, buffered)
                    buffered, n_obj, n_obs = [], 0, 0
            if pending is not None:
                pending.result()
            _flush(writer, buffered)
        finally:
            if pending is not None:
                pending.exception()  # wait: never close the writer under a running write
            writer.close()
    summary.status = "written"


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """Leaf paths of the non-float columns: strings, flags and integer codes repeat, so dictionary
    encoding pays; floats (MJD, fluxes) rarely do and only cost the attempt."""
    out = []
    for f in schema:
        t, path = f.type, f.name
        if pa.types.is_list(t):
            t, path = t.value_type, f"{f.name}.list.element"
        if not pa.types.is_floating(t):
            out.append(path)
    return out


def _n_observations(table: pa.Table) -> int:
    if "MJD" in table.column_names and table.num_rows:
        col = table["MJD"]
        return sum(int(c.offsets[-1].as_py()) - int(c.offsets[0].as_py()) for c in col.chunks)
    return 0


def _flush(writer: pq.ParquetWriter, tables: list[pa.Table]) -> None:
    if tables:
        t = pa.concat_tables(tables)
        if t.num_rows:
            writer.write_table(t, row_group_size=t.num_rows)


def _complete(path: Path, folder: Path | None = None) -> bool:
    """A readable Parquet file is complete (outputs appear only by rename). With `folder`, warn
    when the file pairs there are not the ones it was converted from."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # noqa: BLE001 - any unreadable file is redone
        log.warning("%s exists but is not a readable Parquet file: converting again", path)
        return False
    if folder is not None and b"elasticc_fast.convert" in meta:
        try:
            before = json.loads(meta[b"elasticc_fast.convert"])["pairs"]
        except (ValueError, KeyError, TypeError):
            before = None
        if before is not None and before != [h.name for h, _ in pair_files(folder)[0]]:
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


def convert(raw_dir: str | os.PathLike, out_dir: str | os.PathLike, *, workers: int = 1, overwrite: bool = False,
            on_error: str = "stop", layout: str = "pointers", snid: str = "int64",
            show_progress: bool | None = None) -> ConvertSummary:
    """Convert every ``RAW_DIR/<PREFIX>_<MODEL>/`` folder to ``OUT_DIR/<MODEL>.parquet``.

    workers: processes over file pairs (1 = in this process); overwrite: redo complete outputs
    (otherwise they are kept, so an interrupted run resumes); on_error: "stop" or "skip".
    Returns a :class:`ConvertSummary`; with "stop" a bad file raises ``SnanaFormatError``.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    result, todo = plan_models(raw_dir, out_dir, overwrite=overwrite, on_error=on_error)
    n_pairs = sum(len(pair_files(f)[0]) for _, f, _ in todo)
    executor = (ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
                if workers > 1 and todo else None)
    try:
        with progress(total=n_pairs, desc="convert", unit="pair", enabled=show_progress) as bar:
            for model, folder, target in todo:
                s = convert_model(folder, target, workers=workers, on_error=on_error, model=model,
                                  layout=layout, snid=snid, executor=executor, bar=bar)
                result.models.append(s)
                log.info("%s: %d objects from %d pairs -> %s", model, s.n_objects, s.n_pairs, target)
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    result.models.sort(key=lambda m: m.model)
    return result
