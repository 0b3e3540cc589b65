"""Every kind of bad SNANA input gives SnanaFormatError naming the file, the object and the reason,
from the C++ reader and from its Python twin alike."""
from __future__ import annotations

import gzip

import numpy as np
import pyarrow as pa
import pytest

from elasticc_fast.io.snana import SnanaFormatError, read_snana
from snana_factory import patch_card, snana_columns, table_bytes, write_pair

pytestmark = pytest.mark.cpp
ENGINES = ["cpp", "python"]


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def check_error(head, phot, engine: str, *patterns: str, **kw) -> str:
    with pytest.raises(SnanaFormatError) as info:
        read_snana(head, phot, engine=engine, **kw)
    msg = str(info.value)
    for p in patterns:
        assert p in msg, f"{p!r} not in {msg!r}"
    return msg


def test_good_pair_reads_sorted_without_separators(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [5, 0, 9, 1])
    t = read_snana(head, phot, engine=engine)
    assert t["SNID"].to_pylist() == [1000, 1001, 1002, 1003]
    assert [len(m) for m in t["MJD"].to_pylist()] == [5, 0, 9, 1]
    h, p = snana_columns([5, 0, 9, 1])
    for i, (lo, hi) in enumerate(zip(h["PTROBS_MIN"], h["PTROBS_MAX"], strict=True)):
        idx = np.arange(lo - 1, hi)
        idx = idx[np.argsort(p["MJD"][idx], kind="stable")]
        assert t["MJD"][i].as_py() == list(p["MJD"][idx])
        assert t["BAND"][i].as_py() == [b.decode() for b in p["BAND"][idx]]
        assert t["FLUXCAL"][i].as_py() == list(p["FLUXCAL"][idx])
    assert t.schema.field("BAND").type == pa.list_(pa.string())
    assert t.schema.field("PHOTFLAG").type == pa.list_(pa.int32())


def test_truncated_gzip(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [50, 40])
    phot.write_bytes(phot.read_bytes()[:-20])
    check_error(head, phot, engine, str(phot), "truncated gzip")


def test_corrupt_gzip(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [50, 40])
    raw = bytearray(phot.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    raw[len(raw) // 2 + 1] ^= 0x5A
    phot.write_bytes(bytes(raw))
    check_error(head, phot, engine, str(phot), "gzip")


def test_truncated_fits_inside_the_rows(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [50, 40], gz=False)
    raw = phot.read_bytes()
    phot.write_bytes(raw[:2880 * 2 + 100])  # two header blocks + a few rows
    check_error(head, phot, engine, str(phot), "truncated FITS file", "NAXIS1 * NAXIS2")


def test_truncated_fits_inside_the_header(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [3], gz=True)
    raw = gzip.decompress(head.read_bytes())
    head.write_bytes(gzip.compress(raw[:2880 + 1000]))
    check_error(head, phot, engine, str(head), "truncated FITS file", "header")


def test_head_without_phot(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [3])
    phot.unlink()
    with pytest.raises(FileNotFoundError, match="PHOT file not found"):
        read_snana(head, phot, engine=engine)


def test_pointers_outside_the_phot_table(tmp_path, engine):
    def far(h, p):
        h["PTROBS_MAX"][2] = 10_000
    head, phot = write_pair(tmp_path, "X_0001", [4, 5, 6], mutate=far)
    check_error(head, phot, engine, str(phot), "SNID 1002 (HEAD row 3)", "pointers outside the PHOT table",
                "PTROBS_MAX = 10000")


def test_pointer_below_one(tmp_path, engine):
    def zero(h, p):
        h["PTROBS_MIN"][0] = 0
    head, phot = write_pair(tmp_path, "X_0001", [4, 5], mutate=zero)
    check_error(head, phot, engine, "SNID 1000 (HEAD row 1)", "pointers outside the PHOT table")


def test_missing_separator_row(tmp_path, engine):
    def no_sep(h, p):
        p["MJD"][h["PTROBS_MAX"][1]] = 60001.0  # the row after object 2 (0-based index = 1-based MAX)
    head, phot = write_pair(tmp_path, "X_0001", [4, 5, 6], mutate=no_sep)
    check_error(head, phot, engine, str(phot), "SNID 1001 (HEAD row 2)", "missing MJD = -777 separator")


def test_separator_inside_pointers(tmp_path, engine):
    def grow(h, p):
        h["PTROBS_MAX"][0] += 2  # now spans the separator
        h["PTROBS_MAX"][0] = h["PTROBS_MAX"][0]
    head, phot = write_pair(tmp_path, "X_0001", [4, 1, 6], mutate=grow)
    check_error(head, phot, engine, "SNID 1000", "separator")


def test_unknown_tform(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [4], gz=False)
    raw = phot.read_bytes()
    phot.write_bytes(patch_card(raw, "TFORM3", "'1Q      '"))
    check_error(head, phot, engine, str(phot), "unknown TFORM '1Q'", "FLUXCAL")


def test_vector_tform_is_refused(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [4], gz=False)
    phot.write_bytes(patch_card(phot.read_bytes(), "TFORM3", "'2E      '"))
    check_error(head, phot, engine, str(phot), "only scalar columns")


def test_naxis1_disagrees_with_tforms(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [4], gz=False)
    phot.write_bytes(patch_card(phot.read_bytes(), "NAXIS1", "30"))
    check_error(head, phot, engine, str(phot), "NAXIS1 = 30")


def test_empty_file_pair(tmp_path, engine):
    head, phot = tmp_path / "X_HEAD.FITS.gz", tmp_path / "X_PHOT.FITS.gz"
    head.write_bytes(b"")
    phot.write_bytes(b"")
    check_error(head, phot, engine, str(head), "file is empty (0 bytes)")


def test_not_a_fits_file(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [4])
    head.write_bytes(b"hello world\n" * 300)
    check_error(head, phot, engine, str(head), "not a FITS file")


def test_zero_object_pair_is_valid(tmp_path, engine):
    """The real sample has such pairs: zero rows is not an error, zero bytes is."""
    head, phot = write_pair(tmp_path, "X_0001", [])
    t = read_snana(head, phot, engine=engine)
    assert t.num_rows == 0 and "MJD" in t.column_names


def test_missing_snid_or_mjd(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [2], mutate=lambda h, p: h.pop("SNID"))
    check_error(head, phot, engine, str(head), "no SNID column")
    head, phot = write_pair(tmp_path, "Y_0001", [2], mutate=lambda h, p: p.pop("MJD"))
    check_error(head, phot, engine, str(phot), "no MJD column")


def test_non_integer_snid(tmp_path, engine):
    def names(h, p):
        h["SNID"] = np.array([b"1", b"SN2021abc"], dtype="S16")
    head, phot = write_pair(tmp_path, "X_0001", [2, 3], mutate=names)
    check_error(head, phot, engine, str(head), "'SN2021abc' (HEAD row 2) is not an integer")
    assert read_snana(head, phot, engine=engine, snid="string")["SNID"].to_pylist() == ["1", "SN2021abc"]


def test_separator_layout_checks_nobs(tmp_path, engine):
    def wrong(h, p):
        h["NOBS"][1] = 99
    head, phot = write_pair(tmp_path, "X_0001", [3, 4], mutate=wrong)
    check_error(head, phot, engine, "SNID 1001", "NOBS = 99", layout="separators")


def test_bytes_after_the_table_are_checked_in_gzip(tmp_path, engine):
    """A gzip stream cut after the rows (inside the FITS padding) is still a truncated file."""
    head, phot = write_pair(tmp_path, "X_0001", [3], gz=False)
    raw = phot.read_bytes()
    assert raw[-100:] == b"\0" * 100  # padding after the rows
    cut = tmp_path / "Y_PHOT.FITS.gz"
    cut.write_bytes(gzip.compress(raw)[:-9])  # loses the CRC trailer and the last padding bytes
    check_error(head, cut, engine, str(cut), "truncated gzip")


def test_plain_and_gzip_read_the_same(tmp_path, engine):
    a = read_snana(*write_pair(tmp_path / "a", "X_0001", [3, 7], gz=True), engine=engine)
    b = read_snana(*write_pair(tmp_path / "b", "X_0001", [3, 7], gz=False), engine=engine)
    assert a.equals(b)


def test_concatenated_gzip_members(tmp_path, engine):
    head, phot = write_pair(tmp_path, "X_0001", [3, 7], gz=False)
    raw = phot.read_bytes()
    gz = tmp_path / "Z_PHOT.FITS.gz"
    gz.write_bytes(gzip.compress(raw[:5000]) + gzip.compress(raw[5000:]))
    assert read_snana(head, gz, engine=engine).equals(read_snana(head, phot, engine=engine))


def test_table_bytes_roundtrip():
    """The factory itself: astropy reads back what it wrote."""
    import io

    from astropy.io import fits
    data = table_bytes({"A": np.arange(3, dtype=np.int32)})
    with fits.open(io.BytesIO(data)) as h:
        assert list(h[1].data["A"]) == [0, 1, 2]


def _astropy_table(folder, **keywords):
    """A binary table written by astropy (int column N, 10A column S), then header ``keywords`` added."""
    from astropy.io import fits

    n = fits.Column(name="N", format="J", array=np.array([1, -99, 3], np.int32))
    s = fits.Column(name="S", format="10A", array=np.array([b"abcdefghij", b"0123456789", b"xy"]))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "t.fits"
    fits.BinTableHDU.from_columns([n, s]).writeto(path)
    with fits.open(path, mode="update") as hdus:
        hdus[1].header.update(keywords)
    return path


@pytest.mark.parametrize("read", ["cpp", "python"])
def test_tdim_with_several_strings_per_row_is_refused(tmp_path, read):
    from elasticc_fast import _core
    from elasticc_fast.io import snana_reference

    reader = _core.read_fits_table if read == "cpp" else snana_reference.read_fits_table
    path = _astropy_table(tmp_path, TDIM2="(5,2)")
    with pytest.raises(SnanaFormatError) as info:
        reader(path)
    assert str(path) in str(info.value) and "column 'S'" in str(info.value) and "TDIM2 = '(5,2)'" in str(info.value)
    assert "several strings per row" in str(info.value)
    # one string per row (a single dimension, or trailing 1s) reads as before
    for dim in ("(10)", "(10,1)"):
        ok = _astropy_table(tmp_path / dim.strip("()").replace(",", "_"), TDIM2=dim)
        _, cols = reader(ok)
        assert [c[0] for c in cols] == ["N", "S"]


@pytest.mark.parametrize("read", ["cpp", "python"])
def test_malformed_tdim_on_a_string_column_is_refused(tmp_path, read):
    from elasticc_fast import _core
    from elasticc_fast.io import snana_reference

    reader = _core.read_fits_table if read == "cpp" else snana_reference.read_fits_table
    path = _astropy_table(tmp_path, TDIM2="(10)")
    path.write_bytes(patch_card(path.read_bytes(), "TDIM2", "'(10;2)'"))
    with pytest.raises(SnanaFormatError, match=r"column 'S' has TDIM2 = '\(10;2\)', not of the form"):
        reader(path)


@pytest.mark.parametrize("read", ["cpp", "python"])
def test_tnull_on_an_integer_column_is_refused(tmp_path, read):
    from elasticc_fast import _core
    from elasticc_fast.io import snana_reference

    reader = _core.read_fits_table if read == "cpp" else snana_reference.read_fits_table
    path = _astropy_table(tmp_path, TNULL1=-99)
    with pytest.raises(SnanaFormatError) as info:
        reader(path)
    msg = str(info.value)
    assert str(path) in msg and "column 'N' has TNULL1 = -99" in msg and "not supported" in msg


def test_tdim_and_tnull_stop_a_conversion_naming_the_file(tmp_path, engine):
    from astropy.io import fits

    head, phot = write_pair(tmp_path, "X_0001", [4, 2], gz=False)
    with fits.open(phot, mode="update") as hdus:
        hdus[1].header["TNULL5"] = -9            # PHOTFLAG (J) gets a null sentinel
    check_error(head, phot, engine, str(phot), "PHOTFLAG", "TNULL5 = -9", "not supported")
