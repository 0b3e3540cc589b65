"""Fuzz the C++ reader with mutated headers and bytes: it must raise SnanaFormatError (a ValueError)
or succeed, never crash, hang or raise anything else; it must agree with its Python twin."""
from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elasticc_fast import _core
from elasticc_fast.io import snana_reference as twin
from elasticc_fast.io.snana_errors import SnanaFormatError
from snana_factory import snana_columns, table_bytes

pytestmark = pytest.mark.cpp

_HEAD, _PHOT = snana_columns([3, 0, 5], seed=3)
HEAD = table_bytes(_HEAD)
PHOT = table_bytes(_PHOT)
KEYS = [b"NAXIS1  ", b"NAXIS2  ", b"TFIELDS ", b"BITPIX  ", b"NAXIS   ", b"PCOUNT  ", b"GCOUNT  ",
        b"TFORM1  ", b"TFORM2  ", b"TFORM3  ", b"TTYPE1  ", b"TTYPE2  ", b"XTENSION", b"SIMPLE  ",
        b"TSCAL3  ", b"TZERO3  ", b"TSCAL1  ", b"TZERO4  "]
VALUES = st.one_of(
    st.integers(-2**63, 2**64).map(str),
    st.sampled_from(["0", "-1", "999", "1000", "2147483648", "9223372036854775807", "99999999999999999999",
                     "'1Q'", "'0A'", "'999999999A'", "'E'", "'2E'", "'1D'", "'16A'", "'BINTABLE'", "'IMAGE'",
                     "T", "F", "''", "'", "1.5", "1D3", "nan", "inf", "0x10", "-777"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
)


def set_card(raw: bytes, key: bytes, value: str, nth: int) -> bytes:
    """Set (or, if absent, insert at a random card) keyword `key` in the nth matching place."""
    hits = [i for i in range(0, min(len(raw), 2880 * 4), 80) if raw[i:i + 8] == key]
    card = (key.decode() + "= " + value).ljust(80)[:80].encode("ascii", "replace")
    if hits:
        i = hits[nth % len(hits)]
    else:
        i = (nth * 80) % (2880 * 2)
    return raw[:i] + card + raw[i + 80:]


@st.composite
def mutated(draw, base: bytes) -> bytes:
    raw = base
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["card", "card", "flip", "cut", "zero"]))
        if op == "card":
            raw = set_card(raw, draw(st.sampled_from(KEYS)), draw(VALUES), draw(st.integers(0, 3)))
        elif op == "flip" and raw:
            i = draw(st.integers(0, len(raw) - 1))
            raw = raw[:i] + bytes([draw(st.integers(0, 255))]) + raw[i + 1:]
        elif op == "cut":
            raw = raw[:draw(st.integers(0, len(raw)))]
        elif op == "zero" and raw:
            i = draw(st.integers(0, len(raw) - 1))
            raw = raw[:i] + b"\0" * draw(st.integers(1, 200)) + raw[i + 200:]
    if draw(st.booleans()):
        gz = gzip.compress(raw, mtime=0)
        if draw(st.booleans()) and gz:
            i = draw(st.integers(0, len(gz) - 1))
            gz = gz[:i] + bytes([draw(st.integers(0, 255))]) + gz[i + 1:]
        if draw(st.booleans()):
            gz = gz[:draw(st.integers(0, len(gz)))]
        raw = gz
    return raw


def outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except SnanaFormatError as e:
        return "error", str(e)


def same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "error":
        return True
    ra, rb = a[1], b[1]
    if isinstance(ra, tuple) and len(ra) == 4:  # snana pair
        ra, rb = (ra[0], ra[1] + ra[2], ra[3]), (rb[0], rb[1] + rb[2], rb[3])
        if not np.array_equal(ra[2], rb[2]):
            return False
    if ra[0] != rb[0] or [c[:3] for c in ra[1]] != [c[:3] for c in rb[1]]:
        return False
    for x, y in zip(ra[1], rb[1], strict=True):
        if x[1] == "string":
            if not (np.array_equal(x[3][0], y[3][0]) and bytes(x[3][1]) == bytes(y[3][1])):
                return False
        elif not np.array_equal(x[3], y[3], equal_nan=x[3].dtype.kind == "f"):
            return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated(PHOT))
def test_mutated_table_never_crashes_and_matches_twin(raw):
    cpp = outcome(_core.read_fits_table, raw, "fuzz.fits")
    py = outcome(twin.read_fits_table, raw, "fuzz.fits")
    assert same(cpp, py), (cpp[0], py[0], cpp[1] if cpp[0] == "error" else "", py[1] if py[0] == "error" else "")
    if cpp[0] == "error":
        assert cpp[1].startswith("fuzz.fits")
    hdr = outcome(_core.read_fits_header, raw, "fuzz.fits")
    assert hdr[0] in ("ok", "error")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.booleans(), st.data())
def test_mutated_pairs_never_crash_and_match_twin(mutate_head, data):
    head = data.draw(mutated(HEAD)) if mutate_head else HEAD
    phot = PHOT if mutate_head else data.draw(mutated(PHOT))
    for layout in ("pointers", "separators"):
        cpp = outcome(_core.read_snana_pair, head, phot, layout, "h.fits", "p.fits")
        py = outcome(twin.read_snana_pair, head, phot, layout, "h.fits", "p.fits")
        assert same(cpp, py), (layout, cpp[0], py[0], cpp[1] if cpp[0] == "error" else "",
                               py[1] if py[0] == "error" else "")


def test_unmutated_inputs_read():
    assert _core.read_snana_pair(HEAD, PHOT)[0] == 3
    assert list(_core.read_snana_pair(HEAD, PHOT)[3]) == [0, 3, 3, 8]


@pytest.mark.parametrize("value", ["2147483647", "9223372036854775807", "70368744177663"])
def test_huge_naxis2_is_refused_without_allocating(value):
    raw = set_card(PHOT, b"NAXIS2  ", value, 0)
    with pytest.raises(SnanaFormatError, match="truncated|outside|overflow"):
        _core.read_fits_table(raw, "big.fits")
    with pytest.raises(SnanaFormatError, match="truncated|outside|overflow"):
        _core.read_fits_table(gzip.compress(raw), "big.fits.gz")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_batches_with_a_mutated_pair_never_crash_and_match_twin(data):
    """read_snana_pairs: a clean pair, then a pair with one mutated file."""
    bad_head = data.draw(st.booleans())
    head2 = data.draw(mutated(HEAD)) if bad_head else HEAD
    phot2 = PHOT if bad_head else data.draw(mutated(PHOT))
    cpp = outcome(_core.read_snana_pairs, [HEAD, head2], [PHOT, phot2], "pointers")
    py = outcome(twin.read_snana_pairs, [HEAD, head2], [PHOT, phot2], "pointers")
    assert same(cpp, py), (cpp[0], py[0], cpp[1] if cpp[0] == "error" else "", py[1] if py[0] == "error" else "")
    if cpp[0] == "ok":
        assert cpp[1][0] >= 3 and list(cpp[1][3][:4]) == [0, 3, 3, 8]  # the clean pair comes first


def test_integer_keyword_with_embedded_nul_is_refused_by_both():
    """Found by the fuzzer: NAXIS = '\\0 ... 0' was read as 0 by the C++ reader (c_str() stops at
    the NUL) and refused by the twin; both must refuse it."""
    raw = bytearray(PHOT)
    i = raw.find(b"NAXIS   = ") + 10
    raw[i:i + 20] = b"\x00" + b" " * 18 + b"0"
    for read in (_core.read_fits_table, twin.read_fits_table):
        with pytest.raises(SnanaFormatError, match="keyword NAXIS"):  # C++ text stops at the NUL
            read(bytes(raw), "fuzz.fits")
