"""``elasticc-fast gw {extract,classify,listen,evaluate}``: gravitational-wave triggers to IGWN p_astro
(parsers in :mod:`._gw_args`, steps in :mod:`._gw_steps` and :mod:`._gw_listen`)."""
from __future__ import annotations

from . import _gw_listen, _gw_steps
from ._gw_args import NAME, register  # noqa: F401 (the verb's parsers)

ORDER = 80


def run(args) -> int:
    step = getattr(args, "gw_command", None)
    if step is None:
        args._gw_parser.print_help()
        return 2
    if step == "listen":
        return _gw_listen.run(args, _gw_steps.config(args, _gw_steps.mean_counts(args)))
    return {"extract": _gw_steps.extract, "classify": _gw_steps.classify, "evaluate": _gw_steps.evaluate}[step](args)
