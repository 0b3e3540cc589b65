"""Pure-Python twin of the C++ SNANA FITS reader (``cpp/kernels/{gzip_stream,fits_table,snana}``).

Same rules, same outputs, written for clarity with ``zlib``, ``struct`` and NumPy: it is the
correctness oracle of the C++ kernels in the tests and a baseline in ``benchmarks/convert.py``.
Functions return what the matching ``elasticc_fast._core`` function returns:

- ``read_fits_table(source, name=None) -> (n_rows, [(name, kind, tform, data), ...])``
- ``read_fits_header(source, name=None) -> (n_rows, [(name, kind, tform), ...])``
- ``read_fits_headers(sources) -> [("ok", n_rows, signature) or ("error", message), ...]``
- ``read_snana_pair(head, phot, layout="pointers", head_name=None, phot_name=None)
  -> (n_objects, head_cols, phot_cols, offsets)``: ``layout`` "pointers" (PTROBS_MIN/MAX) or
  "separators" (rows of MJD -777 between objects)
- ``read_snana_pairs(heads, phots, layout="pointers")``: several pairs, objects back to back

``data`` is a NumPy array for numbers (kind ``bool``: int8 1/0/-1 for null) or
``(offsets int32 (n+1), bytes uint8)`` for strings.
"""
from __future__ import annotations

import math
import os
import re
import zlib
from typing import Any

import numpy as np

from .snana_errors import SnanaFormatError

BLOCK = 2880
CARD = 80
SEPARATOR_MJD = -777.0
MAX_HEADER_BLOCKS = 10000
MAX_HDUS = 1000
MAX_BYTES = 1 << 46
_SIZES = {"L": 1, "B": 1, "I": 2, "J": 4, "K": 8, "E": 4, "D": 8, "A": 1}
_BE = {"B": ">u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8"}
_UNSIGNED = {("B", -128.0): "int8", ("I", 32768.0): "uint16", ("J", 2147483648.0): "uint32",
             ("K", 9223372036854775808.0): "uint64"}
_PLAIN = {"B": "uint8", "I": "int16", "J": "int32", "K": "int64", "E": "float32", "D": "float64"}


def _load(source: Any, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "<bytes>"
    path = os.fspath(source)
    with open(path, "rb") as f:
        return f.read(), path


def _inflate(raw: bytes, name: str) -> bytes:
    """Whole-file gzip inflate with the C++ rules: members back to back, trailing garbage ignored."""
    out, rest = [], raw
    while True:
        d = zlib.decompressobj(15 + 16)
        try:
            out.append(d.decompress(rest))
        except zlib.error as e:
            raise SnanaFormatError(f"{name}: corrupt gzip data ({e})") from None
        if not d.eof:
            raise SnanaFormatError(f"{name}: truncated gzip data (the compressed stream ends before its end marker)")
        rest = d.unused_data
        if not rest or rest[0] != 0x1F:
            return b"".join(out)


def _decoded(source: Any, name: str | None) -> tuple[bytes, str]:
    raw, name = _load(source, name)
    if not raw:
        raise SnanaFormatError(f"{name}: file is empty (0 bytes)")
    if raw[:2] == b"\x1f\x8b":
        return _inflate(raw, name), name
    return raw, name


def _parse_card(card: bytes, values: dict[str, tuple[str, bool]]) -> None:
    key = card[:8].decode("latin-1").rstrip(" \0")
    if not key or key in ("COMMENT", "HISTORY", "CONTINUE", "HIERARCH") or card[8:10] != b"= ":
        return
    if key in values:
        return
    rest = card[10:].decode("latin-1")
    body = rest.lstrip(" ")
    if body.startswith("'"):
        m = re.match(r"'((?:[^']|'')*)'?", body)
        values[key] = (m.group(1).replace("''", "'").rstrip(" \0"), True)
        return
    values[key] = (body.split("/", 1)[0].strip(" ").rstrip(" \0"), False)


def _read_header(buf: bytes, pos: int, name: str, hdu: int) -> tuple[dict | None, int]:
    values: dict[str, tuple[str, bool]] = {}
    for b in range(MAX_HEADER_BLOCKS):
        block = buf[pos:pos + BLOCK]
        if not block and b == 0:
            return None, pos
        if hdu == 0 and b == 0 and block[:9] != b"SIMPLE  =":
            raise SnanaFormatError(f"{name}: not a FITS file (it does not start with a SIMPLE card)")
        if len(block) < BLOCK:
            raise SnanaFormatError(f"{name}: truncated FITS file (header of HDU {hdu} ends inside a 2880-byte block)")
        pos += BLOCK
        for k in range(0, BLOCK, CARD):
            card = block[k:k + CARD]
            if card[:3] == b"END" and card[3:8] == b"     ":
                return values, pos
            _parse_card(card, values)
    raise SnanaFormatError(f"{name}: FITS header of HDU {hdu} has no END card")


class _Header:
    def __init__(self, values: dict, name: str, hdu: int):
        self.values, self.name, self.hdu = values, name, hdu

    def where(self, k: str) -> str:
        return f"{self.name}: HDU {self.hdu} keyword {k}"

    def integer(self, k: str, lo: int, hi: int, default: int | None = None) -> int:
        if k not in self.values:
            if default is not None:
                return default
            raise SnanaFormatError(f"{self.where(k)} is missing")
        v, is_str = self.values[k]
        if is_str or not re.fullmatch(r"[+-]?[0-9]+", v):
            raise SnanaFormatError(f"{self.where(k)} = '{v}' is not an integer")
        x = int(v)
        if not lo <= x <= hi:
            raise SnanaFormatError(f"{self.where(k)} = {v} is outside [{lo}, {hi}]")
        return x

    def real(self, k: str, default: float) -> float:
        if k not in self.values:
            return default
        v, is_str = self.values[k]
        try:
            x = float(v.replace("D", "E"))
        except ValueError:
            x = math.nan
        if is_str or not math.isfinite(x) or re.search(r"[^0-9+\-.eEdD]", v):
            raise SnanaFormatError(f"{self.where(k)} = '{v}' is not a finite number")
        return x

    def text(self, k: str) -> str:
        return self.values.get(k, ("", False))[0]


def _checked(n: int, what: str) -> int:
    if n > MAX_BYTES:
        raise SnanaFormatError(f"{what} overflows (corrupt header)")
    return n


def _data_size(h: _Header) -> int:
    bitpix = h.integer("BITPIX", -64, 64)
    if bitpix not in (8, 16, 32, 64, -32, -64):
        raise SnanaFormatError(f"{h.where('BITPIX')} = {bitpix} is not a FITS BITPIX")
    naxis = h.integer("NAXIS", 0, 999)
    if naxis == 0:
        return 0
    groups = h.text("GROUPS") == "T"
    n = 1
    for i in range(1, naxis + 1):
        length = h.integer(f"NAXIS{i}", 0, MAX_BYTES)
        if not (groups and i == 1):
            n = _checked(n * length, f"{h.name}: HDU data size")
    pcount = h.integer("PCOUNT", 0, MAX_BYTES, default=0)
    gcount = h.integer("GCOUNT", 0, MAX_BYTES, default=1)
    total = _checked(_checked(abs(bitpix) // 8 * gcount, f"{h.name}: HDU data size") * (n + pcount),
                     f"{h.name}: HDU data size")
    return -(-total // BLOCK) * BLOCK


def _parse_tform(name: str, col: dict) -> None:
    f = col["tform"].strip(" ")
    m = re.match(r"([0-9]*)", f)
    digits = m.group(1)
    if len(digits) > 9:
        raise SnanaFormatError(f"{name}: column '{col['name']}' has an absurd repeat count in TFORM '{f}'")
    repeat = int(digits) if digits else 1
    i = len(digits)
    if i + 1 != len(f) or f[i] not in "LBIJKEDA":
        raise SnanaFormatError(f"{name}: column '{col['name']}' has an unknown TFORM '{f}' "
                               "(SNANA tables use L B I J K E D A)")
    code = f[i]
    if repeat < 1 or (code != "A" and repeat != 1):
        raise SnanaFormatError(f"{name}: column '{col['name']}' has TFORM '{f}': only scalar columns "
                               "(repeat 1) and strings (rA) are supported")
    scaled = not (col["scale"] == 1.0 and col["zero"] == 0.0)
    if code == "L":
        kind = "bool"
    elif code == "A":
        kind = "string"
    elif not scaled:
        kind = _PLAIN[code]
    elif col["scale"] == 1.0 and (code, col["zero"]) in _UNSIGNED:
        kind = _UNSIGNED[(code, col["zero"])]
    else:
        kind = "float64"
    col.update(code=code, repeat=repeat, width=_SIZES[code] * repeat, kind=kind)


def _check_column_keywords(h: _Header, i: int, col: dict) -> None:
    """Refuse (naming the column) what the reader does not implement: TDIM giving several strings
    per row of an rA column, TNULL on an integer column (its sentinel would come back as a value)."""
    if col["kind"] == "string" and f"TDIM{i}" in h.values:
        t = h.text(f"TDIM{i}")
        if not re.fullmatch(r"\( *[0-9]{1,9} *(, *[0-9]{1,9} *)*\)", t.strip(" ")):
            raise SnanaFormatError(f"{h.name}: column '{col['name']}' has TDIM{i} = '{t}', not of the form (d1,d2,...)")
        if any(int(d) != 1 for d in t.strip(" ()").split(",")[1:]):
            raise SnanaFormatError(f"{h.name}: column '{col['name']}' has TDIM{i} = '{t}': several strings per row "
                                   "are not supported")
    if col["code"] in "BIJK" and f"TNULL{i}" in h.values:
        raise SnanaFormatError(f"{h.name}: column '{col['name']}' has TNULL{i} = {h.text(f'TNULL{i}')} "
                               "(a null sentinel of an integer column): not supported")


def _parse_bintable(h: _Header) -> dict:
    if h.integer("BITPIX", -64, 64) != 8:
        raise SnanaFormatError(f"{h.where('BITPIX')} must be 8 in a BINTABLE")
    if h.integer("NAXIS", 0, 999) != 2:
        raise SnanaFormatError(f"{h.where('NAXIS')} must be 2 in a BINTABLE")
    row_bytes = h.integer("NAXIS1", 0, MAX_BYTES)
    n_rows = h.integer("NAXIS2", 0, MAX_BYTES)
    h.integer("PCOUNT", 0, MAX_BYTES, default=0)
    if h.integer("GCOUNT", 0, MAX_BYTES, default=1) != 1:
        raise SnanaFormatError(f"{h.where('GCOUNT')} must be 1 in a BINTABLE")
    cols: list[dict] = []
    offset = 0
    for i in range(1, h.integer("TFIELDS", 0, 999) + 1):
        cname = h.text(f"TTYPE{i}")
        if not cname:
            raise SnanaFormatError(f"{h.where(f'TTYPE{i}')} is missing or empty")
        if any(not 0x20 <= ord(ch) <= 0x7E for ch in cname):
            raise SnanaFormatError(f"{h.where(f'TTYPE{i}')} is not printable ASCII")
        if any(c["name"] == cname for c in cols):
            raise SnanaFormatError(f"{h.name}: duplicate column name '{cname}'")
        if f"TFORM{i}" not in h.values:
            raise SnanaFormatError(f"{h.where(f'TFORM{i}')} is missing (column '{cname}')")
        col = {"name": cname, "tform": h.text(f"TFORM{i}"),
               "scale": h.real(f"TSCAL{i}", 1.0), "zero": h.real(f"TZERO{i}", 0.0)}
        if col["scale"] == 0.0:
            raise SnanaFormatError(f"{h.where(f'TSCAL{i}')} is 0 (column '{cname}')")
        _parse_tform(h.name, col)
        _check_column_keywords(h, i, col)
        col["offset"] = offset
        offset += col["width"]
        if offset > row_bytes:
            raise SnanaFormatError(f"{h.name}: NAXIS1 = {row_bytes} is smaller than the TFORM widths "
                                   f"(exceeded at column '{cname}')")
        cols.append(col)
    if offset != row_bytes:
        raise SnanaFormatError(f"{h.name}: NAXIS1 = {row_bytes} but the TFORM widths add up to {offset} bytes")
    return {"row_bytes": row_bytes, "n_rows": n_rows, "columns": cols}


def _read_table(source: Any, name: str | None, with_data: bool) -> dict:
    buf, name = _decoded(source, name)
    pos = 0
    for hdu in range(MAX_HDUS):
        values, pos = _read_header(buf, pos, name, hdu)
        if values is None:
            raise SnanaFormatError(f"{name}: file is empty" if hdu == 0
                                   else f"{name}: no binary table (BINTABLE extension) in the file")
        h = _Header(values, name, hdu)
        if hdu == 0 and "SIMPLE" not in values:
            raise SnanaFormatError(f"{name}: not a FITS file (no SIMPLE card first)")
        if hdu > 0 and "XTENSION" not in values:
            raise SnanaFormatError(f"{name}: HDU {hdu} has no XTENSION card")
        if hdu > 0 and h.text("XTENSION") == "BINTABLE":
            t = _parse_bintable(h)
            t["file"] = name
            if with_data:
                need = _checked(t["row_bytes"] * t["n_rows"], f"{name}: table size NAXIS1 * NAXIS2")
                if len(buf) - pos < need:
                    raise SnanaFormatError(f"{name}: truncated FITS file (the table needs {need} bytes of rows "
                                           f"(NAXIS1 * NAXIS2), the data ends after {len(buf) - pos})")
                t["rows"] = np.frombuffer(buf, np.uint8, need, pos).reshape(t["n_rows"], t["row_bytes"])
            return t
        skip = _data_size(h)
        if len(buf) - pos < skip:
            raise SnanaFormatError(f"{name}: truncated FITS file (data of HDU {hdu} is cut short)")
        pos += skip
    raise SnanaFormatError(f"{name}: no binary table in the first {MAX_HDUS} HDUs")


def _column_values(t: dict, col: dict, rows: np.ndarray | None) -> Any:
    """One column for `rows` (None: all), native and scaled, in the C++ output layout."""
    raw = t["rows"] if rows is None else t["rows"][rows]
    field = np.ascontiguousarray(raw[:, col["offset"]:col["offset"] + col["width"]])
    code, kind = col["code"], col["kind"]
    if code == "A":
        offsets, chunks, used = np.zeros(len(field) + 1, np.int32), [], 0
        for i, b in enumerate(field.tobytes()[k:k + col["width"]] for k in range(0, field.size, col["width"])):
            b = b.split(b"\0", 1)[0].rstrip(b" ")
            if any(c >= 0x80 for c in b):
                r = (i if rows is None else int(rows[i])) + 1
                raise SnanaFormatError(f"{t['file']}: column '{col['name']}' row {r}: string holds a non-ASCII "
                                       "byte (FITS strings are ASCII)")
            chunks.append(b)
            used += len(b)
            offsets[i + 1] = used
        return offsets, np.frombuffer(b"".join(chunks), np.uint8).copy()
    if code == "L":
        b = field[:, 0]
        bad = ~np.isin(b, (ord("T"), ord("F"), 0))
        if bad.any():
            i = int(np.argmax(bad))
            r = (i if rows is None else int(rows[i])) + 1
            raise SnanaFormatError(f"{t['file']}: column '{col['name']}' row {r}: logical byte {b[i]} is not "
                                   "'T', 'F' or 0")
        return np.where(b == ord("T"), 1, np.where(b == ord("F"), 0, -1)).astype(np.int8)
    stored = field.view(_BE[code]).reshape(len(field))
    if kind == "float64" and code != "D" or (code == "D" and (col["scale"], col["zero"]) != (1.0, 0.0)):
        return stored.astype(np.float64) * col["scale"] + col["zero"]
    if kind in ("int8", "uint16", "uint32", "uint64"):  # unsigned conventions: flip the sign bit
        unsigned = {"B": np.uint8, "I": np.uint16, "J": np.uint32, "K": np.uint64}[code]
        flip = {"B": 0x80, "I": 0x8000, "J": 0x80000000, "K": 0x8000000000000000}[code]
        u = field.view(np.dtype(unsigned).newbyteorder(">")).reshape(len(field)).astype(unsigned)
        return (u ^ unsigned(flip)).view(kind)
    return stored.astype(kind)


def _columns(t: dict, rows: np.ndarray | None) -> list:
    return [(c["name"], c["kind"], c["tform"], _column_values(t, c, rows)) for c in t["columns"]]


def read_fits_table(source: Any, name: str | None = None) -> tuple[int, list]:
    """Twin of ``_core.read_fits_table``."""
    t = _read_table(source, name, True)
    return t["n_rows"], _columns(t, None)


def read_fits_header(source: Any, name: str | None = None) -> tuple[int, list]:
    """Twin of ``_core.read_fits_header``."""
    t = _read_table(source, name, False)
    return t["n_rows"], [(c["name"], c["kind"], c["tform"]) for c in t["columns"]]


def _find(t: dict, name: str) -> dict | None:
    return next((c for c in t["columns"] if c["name"] == name), None)


def _describe(head: dict, i: int) -> str:
    c = _find(head, "SNID")
    s = ""
    if c is not None and 0 <= i < head["n_rows"]:
        try:
            v = _column_values(head, c, np.array([i]))
            s = f"SNID {bytes(v[1]).decode() if c['code'] == 'A' else _text(v[0])} "
        except (SnanaFormatError, ValueError):
            s = ""
    return s + f"(HEAD row {i + 1})"


def _text(x: Any) -> str:
    return repr(float(x)) if isinstance(x, np.floating) else str(int(x))


def _numeric(t: dict, name: str, why: str) -> tuple[dict, np.ndarray]:
    c = _find(t, name)
    if c is None:
        raise SnanaFormatError(f"{t['file']}: no {name} column ({why})")
    return c, _column_values(t, c, None)


def _pointer_rows(head: dict, phot: dict, mjd: np.ndarray, where) -> list[np.ndarray]:
    ptr = {}
    for k in ("PTROBS_MIN", "PTROBS_MAX"):
        c, v = _numeric(head, k, "pointers into the PHOT table")
        if c["kind"] not in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"):
            raise SnanaFormatError(f"{head['file']}: column '{k}' must be an integer column, has TFORM "
                                   f"'{c['tform']}'" + (" with scaling" if c["kind"] == "float64" and c["code"] in "BIJK" else ""))
        ptr[k] = v
    nphot = phot["n_rows"]
    taken = np.zeros(nphot, bool)
    out = []
    for i in range(head["n_rows"]):
        lo, hi = int(ptr["PTROBS_MIN"][i]), int(ptr["PTROBS_MAX"][i])
        p = f"PTROBS_MIN = {lo}, PTROBS_MAX = {hi}"
        if hi < lo - 1:
            raise SnanaFormatError(f"{where(i)}: {p} (MAX < MIN - 1)")
        if lo < 1 or hi > nphot:
            raise SnanaFormatError(f"{where(i)}: pointers outside the PHOT table ({p}, PHOT has {nphot} rows)")
        if hi >= nphot or mjd[hi] != SEPARATOR_MJD:
            tail = (f", PHOT row {hi + 1} has MJD = {mjd[hi]:f}" if hi < nphot else f", PHOT table ends at row {hi}")
            raise SnanaFormatError(f"{where(i)}: missing MJD = -777 separator row after the object ({p}{tail})")
        inside = np.flatnonzero(mjd[lo - 1:hi] == SEPARATOR_MJD)
        if inside.size:
            raise SnanaFormatError(f"{where(i)}: a MJD = -777 separator row (PHOT row {lo + int(inside[0])}) lies "
                                   f"inside the object's pointers ({p})")
        if taken[lo - 1:hi].any():
            raise SnanaFormatError(f"{where(i)}: pointers overlap another object's PHOT rows ({p})")
        taken[lo - 1:hi] = True
        out.append(np.arange(lo - 1, hi, dtype=np.int64))
    return out


def _separator_rows(head: dict, phot: dict, mjd: np.ndarray, where) -> list[np.ndarray]:
    n = phot["n_rows"]
    seps = np.flatnonzero(mjd == SEPARATOR_MJD)
    starts = np.concatenate([[0], seps + 1])
    ends = np.concatenate([seps, [n]])
    if starts[-1] >= n:  # nothing after the last separator
        starts, ends = starts[:-1], ends[:-1]
    nobs_col = _find(head, "NOBS")
    nobs = (_column_values(head, nobs_col, None)
            if nobs_col is not None and nobs_col["code"] not in "AL" else None)
    out = []
    for obj, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if obj >= head["n_rows"]:
            raise SnanaFormatError(f"{phot['file']}: more objects (MJD = -777 separated blocks) than the "
                                   f"{head['n_rows']} rows of {head['file']}")
        if nobs is not None and float(nobs[obj]) != float(b - a):
            raise SnanaFormatError(f"{where(obj)}: block of {b - a} PHOT rows between separators but "
                                   f"NOBS = {_text(nobs[obj])}")
        out.append(np.arange(a, b, dtype=np.int64))
    if len(out) != head["n_rows"]:
        raise SnanaFormatError(f"{phot['file']}: {len(out)} MJD = -777 separated blocks but {head['file']} has "
                               f"{head['n_rows']} objects")
    return out


def read_snana_pair(head: Any, phot: Any, layout: str = "pointers", head_name: str | None = None,
                    phot_name: str | None = None) -> tuple[int, list, list, np.ndarray]:
    """Twin of ``_core.read_snana_pair``: objects' PHOT rows back to back, each stably MJD-sorted."""
    if layout not in ("pointers", "separators"):
        raise ValueError(f"layout must be 'pointers' or 'separators', got '{layout}'")
    h = _read_table(head, head_name, True)
    p = _read_table(phot, phot_name, True)
    if _find(h, "SNID") is None:
        raise SnanaFormatError(f"{h['file']}: no SNID column (a SNANA HEAD table needs it)")
    mc = _find(p, "MJD")
    if mc is None:
        raise SnanaFormatError(f"{p['file']}: no MJD column (a SNANA PHOT table needs it)")
    if mc["code"] in "AL":
        raise SnanaFormatError(f"{p['file']}: column 'MJD' must be numeric, has TFORM '{mc['tform']}'")
    mjd = _column_values(p, mc, None).astype(np.float64)

    def where(i: int) -> str:
        return f"{p['file']} (paired with {h['file']}): {_describe(h, i)}"

    blocks = (_pointer_rows if layout == "pointers" else _separator_rows)(h, p, mjd, where)
    rows = [b[np.argsort(mjd[b], kind="stable")] for b in blocks]
    offsets = np.zeros(len(rows) + 1, np.int64)
    offsets[1:] = np.cumsum([len(r) for r in rows])
    flat = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    return h["n_rows"], _columns(h, None), _columns(p, flat), offsets


def read_snana_pairs(heads: list, phots: list, layout: str = "pointers") -> tuple[int, list, list, np.ndarray]:
    """Twin of ``_core.read_snana_pairs``: pairs with the same columns, objects back to back."""
    if not heads or len(heads) != len(phots):
        raise ValueError("heads and phots must be non-empty lists of the same length")
    parts = [read_snana_pair(h, p, layout) for h, p in zip(heads, phots, strict=True)]
    first = parts[0]
    key = [(c[0], c[1]) for c in first[1]], [(c[0], c[1]) for c in first[2]]
    for (h, _), part in zip(zip(heads, phots, strict=True), parts, strict=True):
        if ([(c[0], c[1]) for c in part[1]], [(c[0], c[1]) for c in part[2]]) != key:
            raise SnanaFormatError(f"{os.fspath(h)}: its columns differ from those of {os.fspath(heads[0])} "
                                   "(read such pairs separately)")

    def concat(which: int) -> list:
        out = []
        for j, (name, kind, tform, _) in enumerate(first[which]):
            datas = [part[which][j][3] for part in parts]
            if kind == "string":
                offs, chars, base = [np.zeros(1, np.int32)], [], 0
                for o, c in datas:
                    offs.append(o[1:] + base)
                    chars.append(c)
                    base += len(c)
                out.append((name, kind, tform, (np.concatenate(offs).astype(np.int32), np.concatenate(chars))))
            else:
                out.append((name, kind, tform, np.concatenate(datas)))
        return out

    offsets, base = [np.zeros(1, np.int64)], 0
    for part in parts:
        offsets.append(part[3][1:] + base)
        base += int(part[3][-1])
    return sum(p[0] for p in parts), concat(1), concat(2), np.concatenate(offsets)


def read_fits_headers(sources: list) -> list:
    """Twin of ``_core.read_fits_headers``: per file ("ok", n_rows, signature) or ("error", message)."""
    out: list = []
    for s in sources:
        try:
            n, cols = read_fits_header(s)
            out.append(("ok", n, "".join(f"{a}\t{b}\t{c}\n" for a, b, c in cols)))
        except SnanaFormatError as e:
            out.append(("error", str(e)))
        except OSError as e:
            out.append(("error", f"{os.fspath(s)}: cannot open ({e.strerror})"))
    return out
