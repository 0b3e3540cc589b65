"""read_snana_many inflates small .gz files with libdeflate (the ``deflate`` package) and hands
the bytes to the C++ reader: the same table as the C++ reader's own streaming zlib path, the
streaming path for what libdeflate refuses (several gzip members) or for files over the size
limit, and error messages that still name the file."""
from __future__ import annotations

import gzip

import pytest

from elasticc_fast.io import snana
from elasticc_fast.io.snana import SnanaFormatError, read_snana_many
from snana_factory import write_pair

pytest.importorskip("elasticc_fast._core", reason="the C++ extension is not built")


def _pairs(tmp_path, gz=True):
    return [write_pair(tmp_path, f"X_{i:04d}", [5, 0, 9, 1 + i], gz=gz, seed=i, snid_start=1000 + 10 * i)
            for i in range(3)]


def test_inflated_bytes_give_the_streamed_table(tmp_path, monkeypatch):
    pairs = _pairs(tmp_path)
    fast = read_snana_many(pairs)
    assert all(isinstance(s, bytes) for s in snana._inflated([str(h) for h, _ in pairs], snana._engine("cpp")))
    monkeypatch.setattr(snana, "INFLATE_MAX_GZ", 0)  # every file streamed by the C++ reader
    assert all(isinstance(s, str) for s in snana._inflated([str(h) for h, _ in pairs], snana._engine("cpp")))
    streamed = read_snana_many(pairs)
    assert fast.equals(streamed) and fast.num_rows == 12
    assert fast.equals(read_snana_many(_pairs(tmp_path / "plain", gz=False)))


def test_multi_member_gzip_goes_to_the_streaming_reader(tmp_path):
    pairs = _pairs(tmp_path)
    want = read_snana_many(pairs)
    phot = pairs[1][1]
    raw = gzip.decompress(phot.read_bytes())
    phot.write_bytes(gzip.compress(raw[:1000], mtime=0) + gzip.compress(raw[1000:], mtime=0))
    assert isinstance(snana._inflated([str(phot)], snana._engine("cpp"))[0], str)
    assert read_snana_many(pairs).equals(want)


def test_errors_name_the_file(tmp_path):
    pairs = _pairs(tmp_path)
    head = pairs[2][0]
    raw = bytearray(gzip.decompress(head.read_bytes()))
    raw[2880:2880 + 80] = b"GARBAGE".ljust(80)  # the table header's first card
    head.write_bytes(gzip.compress(bytes(raw), mtime=0))
    with pytest.raises(SnanaFormatError, match=str(head)):
        read_snana_many(pairs)
