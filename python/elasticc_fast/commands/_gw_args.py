"""Arguments of ``elasticc-fast gw`` (the verb's parsers; :mod:`.gw` runs the steps)."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import _gw_listen

NAME = "gw"


def model_options(p: argparse.ArgumentParser) -> None:
    """The options of the mass-contour model and of p_astro, shared by classify, listen and evaluate."""
    from ..gw.defaults import M0_DEFAULT, PYCBC_A0, PYCBC_B0, PYCBC_B1

    g = p.add_argument_group("mass contour (PyCBC Live's model)")
    g.add_argument("--a0", type=float, default=PYCBC_A0, help="D_L = a0 * min D_eff (default %(default)s)")
    g.add_argument("--b0", type=float, default=PYCBC_B0, help="sigma_D = D_L exp(b0) snr**b1: intercept (default %(default)s)")
    g.add_argument("--b1", type=float, default=PYCBC_B1, help="slope (default %(default)s)")
    g.add_argument("--m0", type=float, default=M0_DEFAULT, help="relative chirp-mass spread (default %(default)s)")
    g.add_argument("--mass-gap", action="store_true", help="add a MassGap class (components in 3-5 Msun)")
    g.add_argument("--cosmology", choices=["planck15", "lal"], default="planck15",
                   help="astropy Planck15, or LAL's flat H0=67.90, Om=0.3065 (default %(default)s)")
    f = p.add_argument_group("p_astro (FGMC with the SNR/FAR density model)")
    f.add_argument("--far-star", type=float, default=3e-4, help="FAR threshold in Hz (default %(default)s)")
    f.add_argument("--snr-star", type=float, default=8.5, help="SNR threshold (default %(default)s)")
    src = f.add_mutually_exclusive_group()
    src.add_argument("--mean-counts", type=Path, metavar="JSON",
                     help='posterior mean counts: {"Astro": .., "Terrestrial": ..} or p-astro\'s counts_* file')
    src.add_argument("--fit-counts", type=Path, metavar="CSV",
                     help="fit the counts on a trigger list with far (Hz) and snr columns (e.g. SPIIR's fgmc_data.csv)")


def register(subparsers) -> argparse.ArgumentParser:
    """The ``gw`` verb and its steps (``listen``: :mod:`._gw_listen`)."""
    p = subparsers.add_parser(NAME, help="gravitational-wave triggers: LIGO-LW extraction, source classes, p_astro",
                              description="Classify gravitational-wave triggers: extract LIGO-LW XML to Parquet, "
                                          "compute IGWN p_astro.json (mass contour + FGMC), evaluate on real events.")
    sub = p.add_subparsers(dest="gw_command", metavar="STEP")

    ex = sub.add_parser("extract", help="LIGO-LW XML files or folders -> one Parquet trigger table",
                        description="Read coinc/injection/SPIIR postcoh LIGO-LW files (.xml, .xml.gz) in parallel "
                                    "into one Parquet table, one row per trigger.")
    ex.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="files or folders (searched recursively)")
    ex.add_argument("--out", required=True, type=Path, metavar="FILE.parquet", help="output Parquet file")
    ex.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    ex.add_argument("--on-error", choices=("stop", "skip"), default="stop",
                    help="stop at the first unreadable file (default), or skip unreadable files, extract the "
                         "rest and list the failures (exit status 1 when any file failed)")

    cl = sub.add_parser("classify", help="trigger table -> IGWN p_astro.json per trigger + p_astro.parquet",
                        description="Class probabilities BNS/NSBH/BBH/Terrestrial for every trigger of an "
                                    "extracted table, written as validated p_astro.json files and one Parquet table.")
    cl.add_argument("table", type=Path, metavar="FILE.parquet", help="output of `elasticc-fast gw extract`")
    cl.add_argument("--out", required=True, type=Path, metavar="DIR",
                    help="output folder, new or empty (built under a temporary name, renamed when complete)")
    cl.add_argument("--overwrite", action="store_true", help="replace an earlier `gw classify` output in DIR")
    cl.add_argument("--schema-dir", type=Path, default=None,
                    help="folder with igwn.alerts.Alert.schema.json and .avsc to validate every file against")
    model_options(cl)

    ev = sub.add_parser("evaluate", help="report on GWTC events, BNS injections and catalogue p_astro",
                        description="Evaluate the classifier on the reference folder's GWTC catalogue and 250 "
                                    "BNS injections; compare p_astro with the catalogue's.")
    ev.add_argument("--data", type=Path, default=None,
                    help="the gw reference folder (default $ELASTICC_FAST_SHARED/gw, else ../shared/data/gw)")
    ev.add_argument("--out", type=Path, default=None, metavar="REPORT.json", help="also write the report here")
    model_options(ev)
    model_options(_gw_listen.register(sub))
    p.set_defaults(_gw_parser=p)
    return p


