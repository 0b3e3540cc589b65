"""Small synthetic SNANA HEAD/PHOT FITS pairs written with astropy, for the reader and converter
tests (the real sample is used elsewhere; these run without ../shared/data)."""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Callable

import numpy as np
from astropy.io import fits

BANDS = "ugrizY"


def snana_columns(n_obs: list[int], seed: int = 0, snid_start: int = 1000) -> tuple[dict, dict]:
    """HEAD and PHOT column arrays (PHOT with a -777 separator row after each object, MJDs shuffled)."""
    rng = np.random.default_rng(seed)
    n = len(n_obs)
    lo = np.zeros(n, np.int32)
    hi = np.zeros(n, np.int32)
    mjd, band, flux, err, flag = [], [], [], [], []
    row = 1
    for i, k in enumerate(n_obs):
        lo[i], hi[i] = row, row + k - 1
        t = np.round(rng.uniform(60000, 60300, k), 4)
        t[: k // 3] = t[0] if k else t[: k // 3]  # ties: the sort must be stable
        mjd += list(t) + [-777.0]
        band += [BANDS[j] for j in rng.integers(0, 6, k)] + ["-"]
        flux += list(rng.normal(0, 50, k).astype(np.float32)) + [0.0]
        err += list(rng.uniform(1, 10, k).astype(np.float32)) + [0.0]
        flag += list(rng.choice([0, 4096, 6144], k)) + [0]
        row += k + 1
    head = {
        "SNID": np.array([str(snid_start + i) for i in range(n)], dtype="S16"),
        "RA": rng.uniform(0, 360, n), "DEC": rng.uniform(-60, 0, n),
        "NOBS": np.array(n_obs, np.int32), "PTROBS_MIN": lo, "PTROBS_MAX": hi,
        "REDSHIFT_FINAL": rng.uniform(0, 1, n).astype(np.float32),
        "SIM_TYPE_INDEX": rng.integers(0, 100, n).astype(np.int16),
    }
    phot = {"MJD": np.array(mjd), "BAND": np.array(band, dtype="S2"), "FLUXCAL": np.array(flux, np.float32),
            "FLUXCALERR": np.array(err, np.float32), "PHOTFLAG": np.array(flag, np.int32)}
    return head, phot


def table_bytes(cols: dict) -> bytes:
    """A FITS file (empty primary HDU + one BINTABLE) holding `cols`, as bytes."""
    fcols = []
    for name, a in cols.items():
        a = np.asarray(a)
        fmt = {"f8": "D", "f4": "E", "i2": "I", "i4": "J", "i8": "K", "u1": "B", "b1": "L"}.get(a.dtype.str[1:])
        if a.dtype.kind == "S":
            fmt = f"{max(a.dtype.itemsize, 1)}A"
        fcols.append(fits.Column(name=name, format=fmt, array=a))
    hdul = fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(fcols)])
    import io
    buf = io.BytesIO()
    hdul.writeto(buf)
    return buf.getvalue()


def write_pair(folder: Path, stem: str, n_obs: list[int], *, gz: bool = True, seed: int = 0,
               snid_start: int = 1000, mutate: Callable[[dict, dict], None] | None = None,
               extra_head: dict | None = None) -> tuple[Path, Path]:
    """Write ``<stem>_HEAD.FITS[.gz]`` and ``<stem>_PHOT.FITS[.gz]``; ``mutate(head, phot)`` may edit
    the column arrays first."""
    head, phot = snana_columns(n_obs, seed, snid_start)
    if extra_head:
        head.update(extra_head)
    if mutate:
        mutate(head, phot)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".FITS.gz" if gz else ".FITS"
    paths = []
    for part, cols in (("HEAD", head), ("PHOT", phot)):
        data = table_bytes(cols)
        p = folder / f"{stem}_{part}{ext}"
        p.write_bytes(gzip.compress(data, mtime=0) if gz else data)
        paths.append(p)
    return paths[0], paths[1]


def patch_card(data: bytes, key: str, value: str, hdu: int = 1) -> bytes:
    """Replace the value of header keyword `key` in HDU `hdu` of plain FITS bytes."""
    pos, seen = 0, 0
    while pos < len(data):
        card = data[pos:pos + 80]
        if card[:8].decode().rstrip() == key and seen == hdu:
            new = f"{key:<8}= {value:>20}".ljust(80)[:80].encode()
            return data[:pos] + new + data[pos + 80:]
        if card[:8] == b"END     ":
            seen += 1
            pos = (pos // 2880 + 1) * 2880
            continue
        pos += 80
    raise KeyError(key)
