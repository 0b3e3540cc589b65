"""The ``elasticc-fast`` command line.

Each verb lives in its own module under :mod:`elasticc_fast.commands`; a module there defines

    NAME = "convert"            # the verb
    ORDER = 10                  # position in --help
    def register(subparsers) -> argparse.ArgumentParser   # adds the verb's parser
    def run(args) -> int        # does the work, returns the exit code

Modules import heavy dependencies (JAX, pandas) inside ``run`` so ``--help`` stays fast.

:func:`main` is the one place where errors become messages: the package's exceptions
(:mod:`elasticc_fast.errors`), the usual OS errors and a missing optional dependency print
``elasticc-fast VERB: error: <what, which file, why>`` on one line (the traceback only with -v) and
exit with 1 (bad data), 2 (bad usage) or 130 (interrupted).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import pkgutil
import sys
import traceback
from types import ModuleType

from . import commands
from ._version import __version__
from .errors import ElasticcFastError, missing_extra

log = logging.getLogger("elasticc_fast")


def _command_modules(only: str | None = None) -> list[ModuleType]:
    """The verbs' modules (a verb's module is named after it); with ``only``, that verb's alone."""
    names = [info.name for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")]
    mods = [importlib.import_module(f"{commands.__name__}.{name}") for name in names if only in (None, name)]
    mods = [m for m in mods if hasattr(m, "register") and hasattr(m, "run")]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def _verb(argv: list[str]) -> str | None:
    """The verb named in ``argv`` (its first word that is not an option), if any."""
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The parser of every verb; with ``verb``, of that verb only when it is one (a call pays for
    importing and building its own verb's parser only; every other input gets every verb's)."""
    mods = _command_modules(verb) if verb else []
    if len(mods) != 1 or mods[0].NAME != verb:
        mods = _command_modules()
    parser = argparse.ArgumentParser(
        prog="elasticc-fast",
        description="Classify survey light curves (ELAsTiCC, ZTF) and gravitational-wave triggers, fast.")
    parser.add_argument("--version", action="version", version=f"elasticc-fast {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in mods:
        p = mod.register(sub)
        p.set_defaults(_run=mod.run)
    return parser


def _configure_logging(verbose: int) -> None:
    """Our messages at INFO (DEBUG with -v); other libraries (absl/Orbax, JAX) only at WARNING
    unless -vv, so their per-checkpoint chatter does not drown the progress of a run."""
    logging.basicConfig(level=logging.DEBUG if verbose >= 2 else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    if verbose < 2:
        logging.getLogger("absl").setLevel(logging.WARNING)


def _message(exc: BaseException) -> str:
    """One line for ``exc``: OS errors as 'FILE: reason', others as their text (type name if empty)."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _fail(verb: str, exc: BaseException, code: int, verbose: int) -> int:
    if verbose:
        traceback.print_exception(exc)
    print(f"elasticc-fast {verb}: error: {_message(exc)}", file=sys.stderr)
    return code


def _above_progress_bars() -> contextlib.AbstractContextManager:
    """Log lines printed above the progress bars, which show only on a terminal
    (:mod:`elasticc_fast.progress`): elsewhere nothing to do, and tqdm.contrib's import (asyncio,
    ssl: 0.03 s of CPU) is spared."""
    if not sys.stderr.isatty():
        return contextlib.nullcontext()
    from tqdm.contrib.logging import logging_redirect_tqdm

    return logging_redirect_tqdm(loggers=[logging.getLogger()])


def run_verb(args: argparse.Namespace) -> int:
    """Run the verb of parsed ``args``; errors become one line on stderr and the exit status."""
    verb = " ".join(v for v in (args.command, getattr(args, "gw_command", None)) if v)
    try:
        with _above_progress_bars():
            return int(args._run(args) or 0)
    except BrokenPipeError:           # output piped into `head`: stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return _fail(verb, KeyboardInterrupt("interrupted"), 130, args.verbose)
    except ElasticcFastError as e:
        return _fail(verb, e, e.exit_code, args.verbose)
    except ModuleNotFoundError as e:
        extra = missing_extra(e, f"elasticc-fast {verb}")
        if extra is None:
            raise
        return _fail(verb, extra, extra.exit_code, args.verbose)
    except OSError as e:
        return _fail(verb, e, 1, args.verbose)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_verb(argv))
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    return run_verb(args)


if __name__ == "__main__":
    raise SystemExit(main())
