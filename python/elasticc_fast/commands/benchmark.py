"""``elasticc-fast benchmark ztf-bts|sim-to-real``: the named benchmarks of the library
(:mod:`elasticc_fast.benchmarks.bts_cli`, :mod:`elasticc_fast.benchmarks.sim_to_real`); this
module holds only the dispatch."""
from __future__ import annotations

import argparse
import logging
from typing import Any

from ..benchmarks import bts_cli, sim_to_real
from ..errors import UsageError

NAME = "benchmark"
ORDER = 80
log = logging.getLogger(__name__)


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="run a named benchmark (ztf-bts, sim-to-real)",
                              description="Run a named benchmark and print its tables.")
    sub = p.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    bts_cli.register_cli(sub)
    sim_to_real.register_cli(sub)
    return p


def run(args: argparse.Namespace) -> int:
    if getattr(args, "benchmark", None) == "sim-to-real":
        return sim_to_real.run_cli(args)
    if getattr(args, "benchmark", None) != "ztf-bts":
        raise UsageError("choose a benchmark: elasticc-fast benchmark ztf-bts|sim-to-real --help")
    return bts_cli.run_cli(args)
