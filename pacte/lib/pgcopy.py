"""PostgreSQL's binary ``COPY`` format, built column by column with NumPy (no loop per row).

The server reads binary rows without parsing text (numbers, dates, UUIDs, timestamps): 15%
less time than a CSV ``COPY`` into an indexed table (1M sales, measured: 4.1 s binary, 4.8 s
CSV), and a smaller payload. psycopg can write binary rows too, but with one Python call per
row; here each run of fixed-width columns, and each variable-width column, is one vectorised
scatter into a single buffer.

Format (PostgreSQL docs, "COPY", Binary Format): an 11-byte signature, a 32-bit flags field
and a 32-bit header-extension length, then per row a 16-bit field count and per field a
32-bit length (-1 for NULL) and the value in the type's binary form (big-endian), then a
16-bit -1.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
_EPOCH_DAYS = (datetime.date(2000, 1, 1) - datetime.date(1970, 1, 1)).days
_EPOCH_MICROS = _EPOCH_DAYS * 86_400 * 1_000_000

Kind = Literal["int8", "int4", "date", "text", "uuid", "timestamptz"]
_WIDTH = {"int8": 8, "int4": 4, "date": 4, "uuid": 16, "timestamptz": 8}
_DTYPE: dict[str, pl.DataType] = {
    "int8": pl.Int64(),
    "int4": pl.Int32(),
    "date": pl.Date(),
    "text": pl.String(),
    "timestamptz": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class Column:
    """One column of a ``COPY``: its kind and its values for every row.

    ``values``: a Polars series (Int64/Int32 for ``int8``/``int4``, Date for ``date``, String
    for ``text``; nulls become NULL), a NumPy ``(n, 16)`` uint8 array for ``uuid``, or a single
    Python value repeated on every row (an int, a str, a ``datetime`` for ``timestamptz``,
    ``None``)."""

    kind: Kind
    values: pl.Series | np.ndarray | int | str | datetime.datetime | None


def encode(rows: int, columns: Sequence[Column]) -> bytes:
    """The rows in binary ``COPY`` format, header and trailer included."""
    body, _ends = encode_rows(rows, columns)
    return SIGNATURE + body.tobytes() + TRAILER


def encode_rows(rows: int, columns: Sequence[Column]) -> tuple[np.ndarray, np.ndarray]:
    """The rows without header and trailer (uint8), and where each row ends in it.

    Each column takes a slot of the same width on every row (its length prefix and its widest
    value): the slots are the fields of one packed structured array, so a prefix or a
    fixed-width value is copied as one element per row, not byte by byte; a text's bytes are
    written through a byte view of it. The bytes of the rows are then that array's used bytes
    in row order (one boolean compress, no index per byte). A caller may overwrite a non-NULL
    fixed-width value of the last column in place: it is the 8 (or 4) bytes before the row's
    end."""
    slots: list[tuple[np.ndarray, np.ndarray | tuple[np.ndarray, np.ndarray], int, int]] = []
    fields: list[tuple[str, str]] = [("count", ">i2")]
    at = 2  # where the value of the next slot starts, after its length prefix
    for i, column in enumerate(columns):
        length, payload = _column(rows, column)
        width = int(length.max(initial=0)) if isinstance(payload, tuple) else payload.shape[1]
        slots.append((length, payload, width, at + 4))
        fields.append((f"l{i}", ">i4"))
        if width > 0:
            fields.append((f"v{i}", f"V{width}"))
        at += 4 + width
    record = np.empty(rows, dtype=np.dtype(fields))
    grid = record.view(np.uint8).reshape(rows, record.dtype.itemsize)
    record["count"] = len(columns)
    used: np.ndarray | None = None  # the bytes of ``grid`` in use, once a row is shorter
    sizes = np.full(rows, 2, dtype=np.int64)
    for i, (length, payload, width, at) in enumerate(slots):
        record[f"l{i}"] = length
        if isinstance(payload, tuple):  # the values end to end, and the rows that have one
            data, _present = payload
            size = np.maximum(length, 0)
            sizes += 4 + size
            if not width:
                continue
            region = np.arange(width) < size[:, None]
            if data.size:
                grid[:, at : at + width][region] = data
            if not region.all():
                if used is None:
                    used = np.ones(grid.shape, dtype=bool)
                used[:, at : at + width] = region
        else:
            sizes += 4 + width
            if rows and payload.strides[0] == 0:  # a constant: one value for every row
                record[f"v{i}"] = np.ascontiguousarray(payload[0]).view(f"V{width}")[0]
            else:
                record[f"v{i}"] = np.ascontiguousarray(payload).view(f"V{width}").ravel()
    body = grid[used] if used is not None else grid.reshape(-1)
    return body, np.cumsum(sizes)


def _column(
    rows: int, column: Column
) -> tuple[np.ndarray, np.ndarray | tuple[np.ndarray, np.ndarray]]:
    """(per-row byte length, -1 for NULL; the bytes): an ``(n, width)`` block when no value
    is NULL, else (the non-NULL values' bytes end to end, the mask of non-NULL rows)."""
    kind, values = column.kind, column.values
    if kind == "uuid":
        if not isinstance(values, np.ndarray) or values.shape != (rows, 16):
            raise TypeError("a uuid column takes an (n, 16) uint8 array")
        return np.full(rows, 16, dtype=np.int64), values
    if not isinstance(values, pl.Series):
        return _constant(rows, kind, values)
    nulls = values.null_count()
    present = values.is_not_null().to_numpy() if nulls else np.ones(rows, dtype=bool)
    if kind == "text":
        text = values.cast(pl.String)
        lengths = text.str.len_bytes()
        size = (lengths.fill_null(0) if nulls else lengths).to_numpy().astype(np.int64)
        data = np.frombuffer(text.str.join("").item().encode(), dtype=np.uint8)
        return np.where(present, size, -1), (data, present)
    width = _WIDTH[kind]
    if kind == "date":
        integers = values.cast(pl.Date).cast(pl.Int32)
        offset = _EPOCH_DAYS
    elif kind == "timestamptz":
        integers = values.cast(pl.Datetime("us", "UTC")).dt.epoch("us")
        offset = _EPOCH_MICROS
    else:
        integers, offset = values, 0
    numbers = (integers.fill_null(0) if nulls else integers).to_numpy()
    if offset:
        numbers = numbers - offset
    dtype = ">i8" if width == 8 else ">i4"
    block = numbers.astype(dtype).view(np.uint8).reshape(-1, width)
    length = np.where(present, width, -1).astype(np.int64)
    if nulls:  # NULL rows take no bytes: laid out as text is
        return length, (block[present].ravel(), present)
    return length, block


def _constant(
    rows: int, kind: Kind, value: int | str | datetime.datetime | np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | tuple[np.ndarray, np.ndarray]]:
    """The same value on every row: encoded once, repeated (no Python object per row)."""
    if value is None:
        return np.full(rows, -1, dtype=np.int64), (np.empty(0, np.uint8), np.zeros(rows, bool))
    length, payload = _column(1, Column(kind, pl.Series([value], dtype=_DTYPE[kind])))
    block = payload[0] if isinstance(payload, tuple) else payload.ravel()
    return np.full(rows, int(length[0]), dtype=np.int64), np.broadcast_to(block, (rows, block.size))


def uuid7(ids: np.ndarray, millis: int) -> np.ndarray:
    """(n, 16) bytes of the version-7 layout of ``pacte.sales.ingest.stage.sale_uuid_sql``: the 48
    bits of ``millis``, version 7, zeros, the variant bits 10, then the id in 60 bits."""
    ids = np.asarray(ids, dtype=np.int64)
    high = np.full(len(ids), (millis << 16) | 0x7000, dtype=">u8")
    low = ((np.uint64(0x8) << np.uint64(60)) | ids.astype(np.uint64)).astype(">u8")
    out = np.empty((len(ids), 16), dtype=np.uint8)
    out[:, :8] = high.view(np.uint8).reshape(-1, 8)
    out[:, 8:] = low.view(np.uint8).reshape(-1, 8)
    return out
