"""Write outputs under a temporary name beside their final place and rename them when complete, so a
failed or interrupted run never leaves a partial output behind, and never delete what we did not write.

:func:`atomic_path` is for one file (or a folder inside a folder we own); :func:`output_dir` is for a
command's whole output folder given by the user (``--out``): it refuses a folder that holds anything
but a complete earlier output of the same command, and replaces that one only with ``overwrite``.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

from ._version import __version__
from .errors import OutputExistsError

#: written last into every output folder made by :func:`output_dir`: which command wrote it and
#: every file it wrote (relative paths), so a later run knows what it may replace
MARKER = ".elasticc_fast_output.json"


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success rename it onto ``final``, else delete it.

    Works for files and for folders (the caller creates what it wants at the yielded path). An
    existing folder at ``final`` is replaced: use this only for paths the package owns (a file or
    sub-folder inside an output folder); for a user's ``--out`` folder use :func:`output_dir`.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix + ".tmp", dir=final.parent)
    os.close(fd)
    os.unlink(tmp)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_dir() and final.is_dir():
            _swap_folder(tmp_path, final)
        else:
            os.replace(tmp_path, final)
    except BaseException:
        _remove(tmp_path)
        raise


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _swap_folder(new: Path, final: Path) -> None:
    """Put folder ``new`` in place of folder ``final``: the old one is renamed aside first and deleted
    only once the new one is in place (an interruption leaves one of the two complete)."""
    old = final.with_name(f".{final.name}.{secrets.token_hex(4)}.old")
    os.replace(final, old)
    os.replace(new, final)
    shutil.rmtree(old)


# ------------------------------------------------------------------------------ output folders
def read_marker(folder: Path) -> dict | None:
    """The completion marker of an output folder, or None when there is none (or it is unreadable)."""
    try:
        meta = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir() and p.name != MARKER)


def _ours(marker: dict, name: str) -> bool:
    return name in marker.get("files", ()) or any(name.startswith(d + os.sep) for d in marker.get("dirs", ()))


def check_output_dir(final: str | os.PathLike, command: str, overwrite: bool = False, *,
                     hint: str = "pass --overwrite to replace it") -> None:
    """Raise :class:`OutputExistsError` unless ``final`` may receive the output of ``command``.

    Allowed: a folder that does not exist, an empty folder, or (with ``overwrite``) an earlier
    output of the same command that holds only the files that command wrote.
    """
    final = Path(final)
    where = Path.cwd().resolve()
    if final.resolve() in (where, *where.parents):
        raise OutputExistsError(f"{final}: is the current folder or one above it; give a new folder")
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise OutputExistsError(f"{final}: exists and is not a folder; give a new folder")
    if not final.exists() or not any(final.iterdir()):
        return
    marker = read_marker(final)
    if marker is None or marker.get("command") != command:
        raise OutputExistsError(f"{final}: folder exists and was not written by `elasticc-fast {command}`; "
                                "give a new or empty folder (nothing was changed)")
    if not overwrite:
        raise OutputExistsError(f"{final}: holds an earlier `elasticc-fast {command}` output; {hint}")
    foreign = [f for f in _files(final) if not _ours(marker, f)]
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise OutputExistsError(f"{final}: also holds files `elasticc-fast {command}` did not write "
                                f"({', '.join(foreign[:3])}{more}); move them away first (nothing was changed)")


def check_output_file(final: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (),
                      overwrite: bool = False) -> None:
    """Raise :class:`OutputExistsError` unless the user's ``--out`` file ``final`` may be written.

    Refused: a folder, one of the command's ``inputs`` (or a file inside an input folder: the input
    would change under a later run), and (without ``overwrite``) any existing file.
    """
    final = Path(final)
    target = final.resolve()
    for src in map(Path, inputs):
        src = src.resolve()
        if target == src or (src.is_dir() and src in target.parents):
            raise OutputExistsError(f"{final}: is one of the inputs or inside one; give another output file")
    if final.is_dir():
        raise OutputExistsError(f"{final}: is a folder; give an output file")
    if final.exists() and not overwrite:
        raise OutputExistsError(f"{final}: exists; pass --overwrite to replace it (nothing was changed)")


def write_marker(folder: Path, command: str, complete: bool = True, dirs: tuple[str, ...] = ()) -> None:
    """Record ``command`` and every file now in ``folder`` in its marker (written atomically);
    everything that will appear under the sub-folders ``dirs`` is ours too (work in progress)."""
    meta = {"command": command, "complete": complete, "elasticc_fast_version": __version__,
            "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "files": _files(folder), "dirs": list(dirs)}
    with atomic_path(folder / MARKER) as tmp:
        tmp.write_text(json.dumps(meta, indent=1) + "\n")


@contextlib.contextmanager
def output_dir(final: str | os.PathLike, *, command: str, overwrite: bool = False) -> Iterator[Path]:
    """Yield a new temporary folder beside ``final`` to write the output of ``command`` into; when the
    block completes, mark it complete and rename it to ``final`` (replacing an earlier output of the
    same command only with ``overwrite``). On any error or interruption the temporary folder is
    removed and ``final`` is left as it was. Raises :class:`OutputExistsError` before any work when
    ``final`` is in the way (see :func:`check_output_dir`).
    """
    final = Path(final)
    check_output_dir(final, command, overwrite)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir()                                     # not mkdtemp: keep the user's umask permissions
    try:
        yield tmp
        write_marker(tmp, command)
        check_output_dir(final, command, overwrite)   # again: the folder may have changed meanwhile
        if final.exists():
            _swap_folder(tmp, final)
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def resumable_output_dir(final: str | os.PathLike, *, command: str, work_dir: str, resume: bool = False,
                         overwrite: bool = False) -> Iterator[Path]:
    """Like :func:`output_dir` for a command whose work must survive an interruption (training
    checkpoints in ``final/work_dir``): a new run writes in place under an in-progress marker, so a
    later ``resume`` continues it; ``overwrite`` builds the new output beside the old one and swaps
    them when complete. A folder that is not ours is refused as by :func:`output_dir`.
    """
    final = Path(final)
    marker = read_marker(final) if final.is_dir() else None
    if resume:
        if marker is None or marker.get("command") != command:
            raise OutputExistsError(f"{final}: no earlier `elasticc-fast {command}` run to resume here")
        yield final
        write_marker(final, command, dirs=(work_dir,))
        return
    if overwrite and marker is not None:
        with output_dir(final, command=command, overwrite=True) as tmp:
            yield tmp
        return
    check_output_dir(final, command, hint="--resume continues it, --overwrite replaces it")
    final.mkdir(parents=True, exist_ok=True)
    write_marker(final, command, complete=False, dirs=(work_dir,))
    yield final
    write_marker(final, command, dirs=(work_dir,))
