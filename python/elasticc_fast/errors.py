"""The package's exception classes: the command line turns them into one-line errors with a
stable exit status (1 bad data, 2 bad usage; see :func:`elasticc_fast.cli.main`)."""
from __future__ import annotations

#: top-level module of an optional dependency -> the extra of pyproject.toml that installs it
EXTRA_FOR_MODULE = {
    "igwn_ligolw": "gw", "ligo": "gw", "lal": "gw",
    "sklearn": "ztf", "imblearn": "ztf", "lightgbm": "ztf", "light_curve": "ztf",
    "dask": "scale", "distributed": "scale",
    "confluent_kafka": "stream", "lsst": "stream",
    "nested_pandas": "nested",
}


class ElasticcFastError(Exception):
    """Base of the package's errors; ``exit_code`` is the command line's exit status for it."""

    exit_code = 1


class DataError(ElasticcFastError, ValueError):
    """Input that cannot be used (unreadable, wrong format, no labels); exit status 1."""


class UsageError(ElasticcFastError):
    """A request that cannot be carried out as asked (bad option, output in the way); exit status 2."""

    exit_code = 2


class OutputExistsError(UsageError, FileExistsError):
    """The output folder exists and is not ours to replace (or ``--overwrite`` was not given)."""


class MissingExtraError(UsageError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""

    def __init__(self, what: str, extra: str, module: str = ""):
        super().__init__(f"{what} needs the optional '{extra}' dependencies{f' ({module})' if module else ''}: "
                         f'pip install "elasticc_fast[{extra}]"')
        self.extra = extra


def missing_extra(exc: ModuleNotFoundError, what: str) -> MissingExtraError | None:
    """The :class:`MissingExtraError` for ``exc`` when it is an optional dependency we know, else None."""
    name = exc.name or (str(exc).split("'")[1] if str(exc).count("'") >= 2 else "")  # name lost when pickled
    root = name.split(".")[0]
    extra = EXTRA_FOR_MODULE.get(root)
    return MissingExtraError(what, extra, root) if extra else None
