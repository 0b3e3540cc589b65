"""Concatenate Parquet files of one schema into one file without decoding a page.

A Parquet file is ``PAR1``, the column chunks of its row groups, a footer (``FileMetaData``,
Thrift compact protocol), the footer's length and ``PAR1``. Concatenating files is copying their
column chunks one after the other and writing one footer holding every row group, with the byte
offsets of each shifted by where its chunks now start (parquet-format's ``parquet.thrift``:
``RowGroup``, ``ColumnChunk``, ``ColumnMetaData``). The converter's workers encode parts in
parallel and this joins them, so the output is the same bytes for any number of workers.

The footers are rewritten in one pass over their bytes: every field is copied as it is (unknown
ones included) except the offsets named below, the row-group ordinals and the row count.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO, Callable, Sequence

__all__ = ["concat_parquet", "read_footer", "footer_of", "shift_row_groups"]

MAGIC = b"PAR1"
_TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(1, 13)
_INTS = (_I16, _I32, _I64)
# parquet.thrift field ids: FileMetaData, RowGroup, ColumnChunk, ColumnMetaData
_FMD_SCHEMA, _FMD_NUM_ROWS, _FMD_ROW_GROUPS = 2, 3, 4
_RG_COLUMNS, _RG_FILE_OFFSET, _RG_ORDINAL = 1, 5, 7
_CC_OFFSETS, _CC_META = (2, 4, 6), 3       # file_offset, offset_index_offset, column_index_offset
_CMD_OFFSETS = (9, 10, 11, 14)             # data_page, index_page, dictionary_page, bloom_filter


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    out = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        out |= (b & 0x7F) << shift
        if not b & 0x80:
            return out, pos
        shift += 7


def _zigzag(buf: bytes, pos: int) -> tuple[int, int]:
    n, pos = _varint(buf, pos)
    return (n >> 1) ^ -(n & 1), pos


def _put_varint(n: int, out: bytearray) -> None:
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _put_zigzag(n: int, out: bytearray) -> None:
    _put_varint((n << 1) ^ (n >> 63), out)


def _list_header(buf: bytes, pos: int) -> tuple[int, int, int]:
    """``(count, element type, position after the header)`` of a list or set."""
    h = buf[pos]
    n, pos = h >> 4, pos + 1
    if n == 15:
        n, pos = _varint(buf, pos)
    return n, h & 0x0F, pos


def _skip(buf: bytes, pos: int, t: int) -> int:
    """Position after a value of compact type ``t`` starting at ``pos``."""
    if t in _INTS:
        while buf[pos] & 0x80:
            pos += 1
        return pos + 1
    if t == _BINARY:
        n, pos = _varint(buf, pos)
        return pos + n
    if t == _STRUCT:
        while True:
            h = buf[pos]
            pos += 1
            if h == 0:
                return pos
            if not h >> 4:  # long form: the field id follows
                pos = _skip(buf, pos, _I16)
            if h & 0x0F not in (_TRUE, _FALSE):  # a field's bool is its type
                pos = _skip(buf, pos, h & 0x0F)
    if t in (_LIST, _SET):
        n, et, pos = _list_header(buf, pos)
        for _ in range(n):
            pos = _skip(buf, pos, et)
        return pos
    if t == _MAP:
        n, pos = _varint(buf, pos)
        if n:
            kv, pos = buf[pos], pos + 1
            for _ in range(n):
                pos = _skip(buf, _skip(buf, pos, kv >> 4), kv & 0x0F)
        return pos
    if t in (_BYTE, _TRUE, _FALSE):  # a bool outside a field header (list element) is one byte
        return pos + 1
    if t == _DOUBLE:
        return pos + 8
    raise ValueError(f"Parquet footer: unknown Thrift compact type {t}")


# a rule per field id: a function of an integer field's value, a dict of rules for a struct field,
# or a 1-tuple holding the rules of every struct in a list field
Rules = dict


def _patch(buf: bytes, pos: int, out: bytearray, rules: Rules) -> int:
    """Copy the struct at ``pos`` to ``out`` with ``rules`` applied; returns the position after it."""
    last = 0
    while True:
        start = pos
        h = buf[pos]
        pos += 1
        if h == 0:
            out.append(0)
            return pos
        t = h & 0x0F
        if h >> 4:
            fid = last + (h >> 4)
        else:
            fid, pos = _zigzag(buf, pos)
        last = fid
        out += buf[start:pos]
        rule = rules.get(fid)
        if t in (_TRUE, _FALSE):
            continue
        if rule is None:
            end = _skip(buf, pos, t)
            out += buf[pos:end]
            pos = end
        elif isinstance(rule, dict):
            pos = _patch(buf, pos, out, rule)
        elif isinstance(rule, tuple):
            n, _, body = _list_header(buf, pos)
            out += buf[pos:body]
            pos = body
            for _ in range(n):
                pos = _patch(buf, pos, out, rule[0])
        else:
            value, pos = _zigzag(buf, pos)
            _put_zigzag(rule(value), out)


def _root_fields(buf: bytes) -> dict[int, tuple[int, int, int]]:
    """The top-level fields of a footer: ``field id -> (type, header start, value start)``;
    the key 0 holds the position of the stop byte."""
    out, pos, last = {}, 0, 0
    while True:
        start, h = pos, buf[pos]
        pos += 1
        if h == 0:
            out[0] = (0, start, start)
            return out
        if h >> 4:
            fid = last + (h >> 4)
        else:
            fid, pos = _zigzag(buf, pos)
        out[fid], last = (h & 0x0F, start, pos), fid
        if h & 0x0F not in (_TRUE, _FALSE):
            pos = _skip(buf, pos, h & 0x0F)


def _offset_rules(delta: int) -> Callable[[int], Rules]:
    def shift(v: int) -> int:
        return v + delta if v > 0 else v  # 0: no page there

    column = {f: shift for f in _CC_OFFSETS} | {_CC_META: {f: shift for f in _CMD_OFFSETS}}

    def rules(ordinal: int) -> Rules:
        return {_RG_FILE_OFFSET: shift, _RG_ORDINAL: lambda _: ordinal, _RG_COLUMNS: (column,)}
    return rules


def shift_row_groups(footer: bytes, delta: int, first_ordinal: int) -> tuple[list[bytes], int, bytes]:
    """``(row groups, rows, schema)`` of a footer: each row group's encoded struct with its byte
    offsets moved by ``delta`` and its ordinal renumbered from ``first_ordinal``; the number of
    rows; the encoded schema (to check that parts agree)."""
    fields = _root_fields(footer)
    if _FMD_SCHEMA not in fields or _FMD_NUM_ROWS not in fields or _FMD_ROW_GROUPS not in fields:
        raise ValueError("Parquet footer without schema, num_rows or row_groups")
    schema_start = fields[_FMD_SCHEMA][2]
    schema = footer[schema_start:_skip(footer, schema_start, _LIST)]
    rows = _zigzag(footer, fields[_FMD_NUM_ROWS][2])[0]
    n, _, pos = _list_header(footer, fields[_FMD_ROW_GROUPS][2])
    rules, groups = _offset_rules(delta), []
    for i in range(n):
        out = bytearray()
        pos = _patch(footer, pos, out, rules(first_ordinal + i))
        groups.append(bytes(out))
    return groups, rows, schema


def _with_row_groups(template: bytes, groups: list[bytes], rows: int) -> bytes:
    """``template`` (a footer) with ``num_rows`` and ``row_groups`` replaced; field order kept."""
    fields = _root_fields(template)
    order = sorted((start, fid) for fid, (_, start, _) in fields.items())
    out = bytearray()
    for k, (start, fid) in enumerate(order):
        if fid == 0:
            out.append(0)
            break
        end = order[k + 1][0]
        if fid == _FMD_NUM_ROWS:
            out += template[start:fields[fid][2]]
            _put_zigzag(rows, out)
        elif fid == _FMD_ROW_GROUPS:
            out += template[start:fields[fid][2]]
            out.append(len(groups) << 4 | _STRUCT if len(groups) < 15 else 0xF0 | _STRUCT)
            if len(groups) >= 15:
                _put_varint(len(groups), out)
            out += b"".join(groups)
        else:
            out += template[start:end]
    return bytes(out)


def read_footer(f: BinaryIO, path: str = "") -> tuple[bytes, int]:
    """``(footer bytes, where the footer starts)`` of an open Parquet file."""
    size = f.seek(0, os.SEEK_END)
    if size < 12:
        raise ValueError(f"{path}: not a Parquet file ({size} bytes)")
    f.seek(size - 8)
    tail = f.read(8)
    n = struct.unpack("<I", tail[:4])[0]
    if tail[4:] != MAGIC or n > size - 12:
        raise ValueError(f"{path}: not a Parquet file (no footer)")
    f.seek(size - 8 - n)
    return f.read(n), size - 8 - n


def footer_of(path: str | os.PathLike) -> bytes:
    """The footer bytes of a Parquet file."""
    with open(Path(path), "rb") as f:
        return read_footer(f, str(path))[0]


def _copy_range(src: BinaryIO, dst: BinaryIO, start: int, n: int) -> None:
    """Copy ``n`` bytes from ``start`` of ``src`` to the end of ``dst`` (in the kernel when it can)."""
    dst.flush()
    offset_out = dst.tell()
    done = 0
    try:
        while done < n:
            k = os.copy_file_range(src.fileno(), dst.fileno(), n - done, start + done, offset_out + done)
            if k == 0:
                break
            done += k
    except (AttributeError, OSError):
        pass  # no copy_file_range here (other OS, file system): copy the rest through memory
    dst.seek(offset_out + done)
    src.seek(start + done)
    while done < n:
        block = src.read(min(8 << 20, n - done))
        if not block:
            raise ValueError(f"{src.name}: file shorter than its footer says")
        dst.write(block)
        done += len(block)


def concat_parquet(parts: Sequence[str | os.PathLike], out: str | os.PathLike, template_footer: bytes) -> int:
    """Write ``out``: the row groups of ``parts`` in order, under ``template_footer``'s schema and
    key-value metadata (the footer of a file with that schema and no rows). Every part must have
    that schema (checked). Returns the number of rows."""
    _, _, schema = shift_row_groups(template_footer, 0, 0)
    groups: list[bytes] = []
    rows = 0
    with open(out, "wb") as dst:
        dst.write(MAGIC)
        for part in parts:
            with open(part, "rb") as src:
                raw, start = read_footer(src, str(part))
                moved, n, part_schema = shift_row_groups(raw, dst.tell() - len(MAGIC), len(groups))
                if part_schema != schema:
                    raise ValueError(f"{part}: Parquet schema differs from the other parts'")
                groups += moved
                rows += n
                _copy_range(src, dst, len(MAGIC), start - len(MAGIC))
        footer = _with_row_groups(template_footer, groups, rows)
        dst.write(footer + struct.pack("<I", len(footer)) + MAGIC)
    return rows
