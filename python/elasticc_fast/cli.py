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
import importlib
import logging
import os
import pkgutil
import sys
import traceback
from types import ModuleType

from tqdm.contrib.logging import logging_redirect_tqdm

from . import commands
from ._version import __version__
from .errors import ElasticcFastError, missing_extra

log = logging.getLogger("elasticc_fast")


def _command_modules() -> list[ModuleType]:
    mods = [importlib.import_module(f"{commands.__name__}.{info.name}")
            for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")]
    mods = [m for m in mods if hasattr(m, "register") and hasattr(m, "run")]
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="elasticc-fast",
        description="Classify survey light curves (ELAsTiCC, ZTF) and gravitational-wave triggers, fast.")
    parser.add_argument("--version", action="version", version=f"elasticc-fast {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in _command_modules():
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


def run_verb(args: argparse.Namespace) -> int:
    """Run the verb of parsed ``args``; errors become one line on stderr and the exit status."""
    verb = " ".join(v for v in (args.command, getattr(args, "gw_command", None)) if v)
    try:
        with logging_redirect_tqdm(loggers=[logging.getLogger()]):   # log lines above the progress bar
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
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    return run_verb(args)


if __name__ == "__main__":
    raise SystemExit(main())
