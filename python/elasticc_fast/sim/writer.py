"""Write simulated objects as SNANA FITS (HEAD/PHOT ``.FITS.gz`` pairs), ``.DUMP``, ``.LIST``, ``.README``.

The HEAD and PHOT columns, their order and FITS types, the string padding, the ``PTROBS_MIN/MAX``
(1-based, inclusive) pointers and the ``MJD = -777`` separator row after each object follow the real
ELAsTiCC2 training files. Extragalactic models get the 170/171-column HEAD (host photo-z quantiles,
``SIM_GALFRAC_*``, two ``SIM_HOSTLIB(...)`` variants); Galactic ones the 146-column HEAD of LCLIB
models (no quantiles, ``SIM_TEMPLATEMAG_*``). FITS is written with fitsio (cfitsio), gzipped and renamed
into place atomically.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..atomic import atomic_path

BANDS = "ugrizY"
_Q = ("000", "010", "020", "030", "040", "050", "060", "070", "080", "090", "100")
_HOST_BLOCK = [
    ("OBJID", "K"), ("FLAG", "I"), ("PHOTOZ", "E"), ("PHOTOZ_ERR", "E"), ("SPECZ", "E"), ("SPECZ_ERR", "E"),
    ("RA", "D"), ("DEC", "D"), ("SNSEP", "E"), ("DDLR", "E")]
_HOST_PROPS = [
    ("LOGMASS", "E"), ("LOGMASS_ERR", "E"), ("LOGSFR", "E"), ("LOGSFR_ERR", "E"), ("LOGsSFR", "E"),
    ("LOGsSFR_ERR", "E"), ("COLOR", "E"), ("COLOR_ERR", "E"), ("ELLIPTICITY", "E"), ("OBJID2", "K"),
    ("SQRADIUS", "E"), ("OBJID_UNIQUE", "K")]
_HOSTLIB = {"obs": ["SIM_HOSTLIB(g_obs)", "SIM_HOSTLIB(r_obs)", "SIM_HOSTLIB(i_obs)"],
            "mass": ["SIM_HOSTLIB(LOGMASS_TRUE)", "SIM_HOSTLIB(LOG_SFR)"]}
_FITS_DTYPE = {"I": "=i2", "J": "=i4", "K": "=i8", "E": "=f4", "D": "=f8"}  # native: fitsio swaps once


def head_columns(galactic: bool, hostlib: str = "obs") -> list[tuple[str, str]]:
    """(name, TFORM) of the HEAD table, in file order, for a Galactic or an extragalactic model."""
    cols = [("SNID", "16A"), ("IAUC", "16A"), ("FAKE", "I"), ("RA", "D"), ("DEC", "D"), ("PIXSIZE", "E"),
            ("NXPIX", "I"), ("NYPIX", "I"), ("SNTYPE", "J"), ("NOBS", "J"), ("PTROBS_MIN", "J"),
            ("PTROBS_MAX", "J"), ("MWEBV", "E"), ("MWEBV_ERR", "E"), ("REDSHIFT_HELIO", "E"),
            ("REDSHIFT_HELIO_ERR", "E"), ("REDSHIFT_FINAL", "E"), ("REDSHIFT_FINAL_ERR", "E"), ("VPEC", "E"),
            ("VPEC_ERR", "E"), ("HOSTGAL_NMATCH", "I"), ("HOSTGAL_NMATCH2", "I")]
    cols += [(f"HOSTGAL_{n}", t) for n, t in _HOST_BLOCK[:2]] + [(f"HOSTGAL_{n}", t) for n, t in _HOST_BLOCK[2:]]
    cols += [("HOSTGAL_CONFUSION", "E")] + [(f"HOSTGAL_{n}", t) for n, t in _HOST_PROPS]
    if not galactic:
        cols += [(f"HOSTGAL_ZPHOT_Q{q}", "E") for q in _Q]
    cols += [(f"HOSTGAL_MAG_{b}", "E") for b in BANDS] + [(f"HOSTGAL_MAGERR_{b}", "E") for b in BANDS]
    cols += [(f"HOSTGAL2_{n}", t) for n, t in _HOST_BLOCK + _HOST_PROPS]
    cols += [(f"HOSTGAL2_MAG_{b}", "E") for b in BANDS] + [(f"HOSTGAL2_MAGERR_{b}", "E") for b in BANDS]
    if not galactic:
        cols += [(f"HOSTGAL2_ZPHOT_Q{q}", "E") for q in _Q]
    cols += [(f"HOSTGAL_SB_FLUXCAL_{b}", "E") for b in BANDS]
    cols += [("PEAKMJD", "E"), ("MJD_TRIGGER", "E"), ("MJD_DETECT_FIRST", "E"), ("MJD_DETECT_LAST", "E"),
             ("SEARCH_TYPE", "J"), ("SIM_MODEL_NAME", "32A"), ("SIM_MODEL_INDEX", "I"), ("SIM_TYPE_INDEX", "I"),
             ("SIM_TYPE_NAME", "8A"), ("SIM_TEMPLATE_INDEX", "J"), ("SIM_LIBID", "J"), ("SIM_NGEN_LIBID", "J"),
             ("SIM_NOBS_UNDEFINED", "J"), ("SIM_SEARCHEFF_MASK", "J"), ("SIM_REDSHIFT_HELIO", "E"),
             ("SIM_REDSHIFT_CMB", "E"), ("SIM_REDSHIFT_HOST", "E"), ("SIM_REDSHIFT_FLAG", "I"), ("SIM_VPEC", "E"),
             ("SIM_HOSTLIB_GALID", "K")]
    if not galactic:
        cols += [(n, "E") for n in _HOSTLIB[hostlib]]
    cols += [("SIM_DLMU", "E"), ("SIM_LENSDMU", "E"), ("SIM_RA", "D"), ("SIM_DEC", "D"), ("SIM_MWEBV", "E"),
             ("SIM_PEAKMJD", "E"), ("SIM_MJD_EXPLODE", "E"), ("SIM_MAGSMEAR_COH", "E"), ("SIM_AV", "E"),
             ("SIM_RV", "E")]
    cols += [(f"SIM_PEAKMAG_{b}", "E") for b in BANDS]
    if galactic:
        cols += [(f"SIM_TEMPLATEMAG_{b}", "E") for b in BANDS]
    cols += [(f"SIM_EXPOSURE_{b}", "E") for b in BANDS]
    if not galactic:
        cols += [(f"SIM_GALFRAC_{b}", "E") for b in BANDS]
    return cols + [("SIM_SUBSAMPLE_INDEX", "I")]


PHOT_COLUMNS: list[tuple[str, str]] = [
    ("MJD", "D"), ("BAND", "2A"), ("CCDNUM", "I"), ("FIELD", "12A"), ("PHOTFLAG", "J"), ("PHOTPROB", "E"),
    ("FLUXCAL", "E"), ("FLUXCALERR", "E"), ("PSF_SIG1", "E"), ("PSF_SIG2", "E"), ("PSF_RATIO", "E"),
    ("SKY_SIG", "E"), ("SKY_SIG_T", "E"), ("RDNOISE", "E"), ("ZEROPT", "E"), ("ZEROPT_ERR", "E"), ("GAIN", "E"),
    ("XPIX", "E"), ("YPIX", "E"), ("SIM_FLUXCAL_HOSTERR", "E"), ("SIM_MAGOBS", "E")]
#: values of the ``MJD = -777`` separator row that SNANA writes after each object
SEPARATOR_ROW = {"MJD": -777.0, "BAND": "-", "CCDNUM": -9, "FIELD": "XXXX", "PHOTFLAG": 0, "PHOTPROB": 0.0,
                 "FLUXCAL": -777.0, "FLUXCALERR": -777.0, "PSF_SIG1": -9.0, "PSF_SIG2": 0.0, "PSF_RATIO": 0.0,
                 "SKY_SIG": -9.0, "SKY_SIG_T": 0.0, "RDNOISE": -9.0, "ZEROPT": -9.0, "ZEROPT_ERR": 0.0,
                 "GAIN": -9.0, "XPIX": -9.0, "YPIX": -9.0, "SIM_FLUXCAL_HOSTERR": 0.0, "SIM_MAGOBS": 99.0}
#: constant PHOT values of ordinary rows (as in the real files)
_PHOT_CONSTANT = {"CCDNUM": -9, "FIELD": "VOID", "PHOTPROB": -9.0, "PSF_SIG2": 0.0, "PSF_RATIO": 0.0,
                  "SKY_SIG_T": 0.0, "RDNOISE": 0.25, "ZEROPT_ERR": 0.005, "GAIN": 1.0, "XPIX": -9.0, "YPIX": -9.0,
                  "SIM_FLUXCAL_HOSTERR": 0.0}


def head_default(name: str, galactic: bool):
    """The value SNANA writes for a HEAD column the model does not fill (its missing-value sentinel)."""
    fixed = {"IAUC": "NULL", "FAKE": 2, "PIXSIZE": 0.2, "NXPIX": -9, "NYPIX": -9, "VPEC": 0.0, "SEARCH_TYPE": -9,
             "SIM_NGEN_LIBID": 1, "SIM_NOBS_UNDEFINED": 0, "SIM_LENSDMU": 0.0, "SIM_MAGSMEAR_COH": 0.0,
             "SIM_SUBSAMPLE_INDEX": -9, "SIM_MJD_EXPLODE": -9.0, "SIM_AV": -9.0, "SIM_RV": -9.0, "SIM_DLMU": 0.0,
             "HOSTGAL_FLAG": 0, "HOSTGAL2_FLAG": 0, "HOSTGAL_CONFUSION": -99.0, "VPEC_ERR": 0.0,
             "HOSTGAL_NMATCH": 0, "HOSTGAL_NMATCH2": 0, "SIM_HOSTLIB_GALID": -9}
    if name in fixed:
        return fixed[name]
    if name.startswith("SIM_EXPOSURE_"):
        return 1.0
    if name.startswith(("REDSHIFT_", "HOSTGAL_PHOTOZ", "HOSTGAL_SPECZ", "HOSTGAL_ZPHOT", "HOSTGAL2_PHOTOZ", "HOSTGAL2_SPECZ",
                        "HOSTGAL2_ZPHOT", "HOSTGAL_SNSEP", "HOSTGAL_DDLR", "HOSTGAL2_SNSEP", "HOSTGAL2_DDLR")):
        return -9.0
    if name.endswith(("_RA", "_DEC")):
        return -999.0
    if "_MAG_" in name or "_MAGERR_" in name:
        return 999.0
    if name.startswith("HOSTGAL_SB_FLUXCAL"):
        return -999.0
    if name.endswith(("OBJID", "OBJID2", "OBJID_UNIQUE")):
        # extragalactic rows carry -9 in the unused first-host id columns, 0 in the second host's
        return -9 if (not galactic and name.startswith("HOSTGAL_")) else 0
    return -9999.0  # host properties (mass, SFR, colour, ellipticity, size)


def _fits_dtype(columns):
    out = []
    for name, form in columns:
        if form.endswith("A"):
            out.append((name, f"S{int(form[:-1])}"))
        else:
            out.append((name, _FITS_DTYPE[form]))
    return np.dtype(out)


def _pad(values, width: int) -> np.ndarray:
    """Strings padded with spaces to the column width, as SNANA writes them."""
    return np.char.ljust(np.asarray(values).astype(f"U{width}"), width).astype(f"S{width}")


def head_table(values: dict[str, np.ndarray], n: int, galactic: bool, hostlib: str) -> np.ndarray:
    """HEAD record array from ``values`` (missing columns get their sentinels); native byte order,
    fitsio writes big-endian."""
    cols = head_columns(galactic, hostlib)
    arr = np.zeros(n, dtype=_fits_dtype(cols))
    for name, form in cols:
        v = values.get(name)
        if v is None:
            v = head_default(name, galactic)
        if form.endswith("A"):
            arr[name] = _pad(np.broadcast_to(v, (n,)), int(form[:-1]))
        else:
            arr[name] = v
    return arr


def phot_table(phot: dict[str, np.ndarray], offsets: np.ndarray) -> np.ndarray:
    """PHOT record array with a separator row after each object; ``offsets`` index ``phot``'s rows."""
    n_obj = len(offsets) - 1
    n_obs = int(offsets[-1] - offsets[0])
    arr = np.zeros(n_obs + n_obj, dtype=_fits_dtype(PHOT_COLUMNS))
    counts = np.diff(offsets)
    row = np.arange(n_obs) + np.repeat(np.arange(n_obj), counts)  # shift by the separators before
    sep = np.cumsum(counts) + np.arange(n_obj)
    for name, form in PHOT_COLUMNS:
        width = int(form[:-1]) if form.endswith("A") else 0
        sep_value = _pad([SEPARATOR_ROW[name]], width)[0] if width else SEPARATOR_ROW[name]
        arr[name][sep] = sep_value
        if name in phot:
            v = phot[name][offsets[0]:offsets[-1]]
            arr[name][row] = _pad(v, width) if width else v
        else:
            const = _PHOT_CONSTANT[name]
            arr[name][row] = _pad([const], width)[0] if width else const
    return arr


def pointers(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-based inclusive (PTROBS_MIN, PTROBS_MAX) of each object, skipping one separator per object."""
    counts = np.diff(offsets)
    start = np.concatenate([[0], np.cumsum(counts + 1)[:-1]])
    return start + 1, start + counts


def _primary_keys(galactic: bool, version: str, photfile: str | None) -> list[dict]:
    """Primary-header keywords of a SNANA FITS file (long names become HIERARCH cards)."""
    keys = [("SURVEY", "LSST", "Survey"), ("PHOTFLAG_DETECT", 4096, "PHOTFLAG mask for detection"),
            ("FILTERS", "ugrizY", "List of Filters"), ("VERSION", version, "")]
    if photfile:
        keys.append(("PHOTFILE", photfile, "Photometry"))
    keys.append(("NPRIVATE", 0, "Number of private variables"))
    if not galactic and photfile:
        keys.append(("NZPHOT_Q", 11, "number of Q zphot quantiles"))
        keys += [(f"PERCENTILE_ZPHOT_Q{k:02d}", int(q), f"PERCENTILE_ZPHOT_Q{k:02d}") for k, q in enumerate(_Q)]
    keys += [("DATATYPE", "SIM_SNANA", "SNANA Simulation"),
             ("CREATOR", "elasticc_fast.sim", "parametric ELAsTiCC2-like simulator")]
    return [{"name": n, "value": v, "comment": c} for n, v, c in keys]


def write_fits_gz(path: Path, table: np.ndarray, extname: str, primary_keys: list[dict],
                  compresslevel: int = 1) -> None:
    """Write ``table`` as a FITS binary table with fitsio, gzip it, and rename it onto ``path``."""
    import cramjam
    import fitsio

    with atomic_path(path) as tmp:
        raw = tmp.with_name(tmp.name + ".fits")
        try:
            with fitsio.FITS(str(raw), "rw", clobber=True) as f:
                f.write_table(table, extname=extname)
                f[0].write_keys(primary_keys)
            data = raw.read_bytes()
        finally:
            raw.unlink(missing_ok=True)
        tmp.write_bytes(bytes(cramjam.gzip.compress(data, level=compresslevel)))


def write_pair(folder: Path, stem: str, head: np.ndarray, phot: np.ndarray, galactic: bool, version: str,
               compresslevel: int = 1) -> tuple[Path, Path]:
    """Write ``<stem>_HEAD.FITS.gz`` and ``<stem>_PHOT.FITS.gz`` in ``folder``."""
    head_path = folder / f"{stem}_HEAD.FITS.gz"
    phot_path = folder / f"{stem}_PHOT.FITS.gz"
    write_fits_gz(phot_path, phot, "Photometry", _primary_keys(galactic, version, None), compresslevel)
    write_fits_gz(head_path, head, "Header", _primary_keys(galactic, version, f"{stem}_PHOT.FITS"),
                  compresslevel)
    return head_path, phot_path


DUMP_VARNAMES = ["CID", "LIBID", "SIM_SEARCHEFF_MASK", "GENTYPE", "NON1A_INDEX", "ZCMB", "ZHELIO", "ZCMB_SMEAR",
                 "RA", "DEC", "MWEBV", "GALID", "GALZPHOT", "GALZPHOTERR", "GALSNSEP", "GALSNDDLR", "RV", "AV",
                 "MU", "LENSDMU", "PEAKMJD", "MJD_DETECT_FIRST", "MJD_DETECT_LAST", "DTSEASON_PEAK",
                 "PEAKMAG_u", "PEAKMAG_g", "PEAKMAG_r", "PEAKMAG_i", "PEAKMAG_z", "PEAKMAG_Y", "SNRMAX",
                 "SNRMAX2", "SNRMAX3", "NOBS", "NOBS_SATURATE"]
_DUMP_FMT = {"CID": "%d", "LIBID": "%d", "SIM_SEARCHEFF_MASK": "%d", "GENTYPE": "%d", "NON1A_INDEX": "%d",
             "GALID": "%d", "NOBS": "%d", "NOBS_SATURATE": "%d", "RA": "%.6f", "DEC": "%.6f", "PEAKMJD": "%.3f",
             "MJD_DETECT_FIRST": "%.3f", "MJD_DETECT_LAST": "%.3f"}


def write_dump(path: Path, values: dict[str, np.ndarray], model: str) -> None:
    """The ``.DUMP`` truth table: one ``SN:`` row per written object with SNANA's SIMGEN_DUMP columns."""
    lines = ["# Simulation SUMMARY: one row per event. ", f"#  MODEL:     elasticc_fast.sim {model} ",
             "#  PRESCALE:  1 ", "#  SELECTION: Pass Trigger + Cuts", "",
             "VARNAMES:  " + " ".join(DUMP_VARNAMES), ""]
    n = len(values["CID"])
    if n:
        fmt = "SN:  " + " ".join(_DUMP_FMT.get(name, "%.5e") for name in DUMP_VARNAMES)
        cols = [np.asarray(values[name]).astype(np.int64 if _DUMP_FMT.get(name) == "%d" else np.float64).tolist()
                for name in DUMP_VARNAMES]
        lines += [fmt % row for row in zip(*cols, strict=True)]  # one format call per object
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
