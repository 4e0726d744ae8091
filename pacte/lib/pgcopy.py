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

    Consecutive columns whose every value has the same length (no NULL, fixed width or a
    constant) are laid side by side into one block first and written with one scatter: put
    such columns next to each other. A caller may overwrite a non-NULL fixed-width value of
    the last column in place: it is the 8 (or 4) bytes before the row's end."""
    count = np.broadcast_to(np.array([len(columns)], dtype=">i2").view(np.uint8), (rows, 2))
    run: list[np.ndarray] = [count]  # fixed-layout blocks waiting to be written together
    pieces: list[tuple[np.ndarray, np.ndarray] | np.ndarray] = []
    sizes = np.zeros(rows, dtype=np.int64)
    for column in columns:
        length, payload = _column(rows, column)
        prefix = length.astype(">i4").view(np.uint8).reshape(-1, 4)
        if not isinstance(payload, tuple):  # every row the same width: joins the run
            run.append(prefix)
            run.append(payload)
            continue
        if run:
            pieces.append(np.concatenate(run, axis=1) if len(run) > 1 else run[0])
            run = []
        pieces.append(prefix)
        pieces.append((payload[0], np.where(payload[1], length, 0)))
    if run:
        pieces.append(np.concatenate(run, axis=1) if len(run) > 1 else run[0])
    for piece in pieces:
        sizes += piece[1] if isinstance(piece, tuple) else piece.shape[1]
    ends = np.cumsum(sizes)
    body = np.empty(int(ends[-1]) if rows else 0, dtype=np.uint8)
    at = ends - sizes
    for piece in pieces:
        if isinstance(piece, tuple):  # variable: the bytes end to end, and each row's size
            data, size = piece
            if data.size:
                shift = at - np.concatenate(([0], np.cumsum(size)[:-1]))
                body[np.arange(data.size) + np.repeat(shift, size)] = data
            at = at + size
        else:
            _scatter(body, at, piece)
            at = at + piece.shape[1]
    return body, ends


def _scatter(body: np.ndarray, starts: np.ndarray, block: np.ndarray) -> None:
    """Write row i of ``block`` (n, w) at ``body[starts[i]:starts[i] + w]`` for every row."""
    width = block.shape[1]
    body[(starts[:, None] + np.arange(width)).ravel()] = block.ravel()


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
    present = values.is_not_null().to_numpy()
    if kind == "text":
        text = values.cast(pl.String)
        size = text.str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
        data = np.frombuffer(text.str.join("").item().encode(), dtype=np.uint8)
        return np.where(present, size, -1), (data, present)
    width = _WIDTH[kind]
    if kind == "date":
        numbers = values.cast(pl.Date).cast(pl.Int32).fill_null(0).to_numpy() - _EPOCH_DAYS
    elif kind == "timestamptz":
        micros = values.cast(pl.Datetime("us", "UTC")).dt.epoch("us").fill_null(0).to_numpy()
        numbers = micros - _EPOCH_MICROS
    else:
        numbers = values.fill_null(0).to_numpy()
    dtype = ">i8" if width == 8 else ">i4"
    block = np.ascontiguousarray(numbers.astype(dtype)).view(np.uint8).reshape(-1, width)
    length = np.where(present, width, -1).astype(np.int64)
    if not present.all():  # NULL rows take no bytes: laid out as text is
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
