"""The binary COPY encoder: what PostgreSQL reads back is what was encoded."""

from __future__ import annotations

import datetime
import uuid

import numpy as np
import polars as pl
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.lib import pgcopy

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="reads the encoding back through PostgreSQL"
)

INT8 = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
INT4 = st.none() | st.integers(min_value=-(2**31), max_value=2**31 - 1)
DATE = st.none() | st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31))
TEXT = st.none() | st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
ROW = st.tuples(INT8, INT4, DATE, TEXT, st.integers(min_value=0, max_value=2**59))


@given(
    ids=st.lists(st.integers(min_value=0, max_value=2**60 - 1), min_size=1, max_size=50),
    millis=st.integers(min_value=0, max_value=2**48 - 1),
)
def test_uuid7_has_the_layout_of_the_sales_uuids(ids, millis):
    blocks = pgcopy.uuid7(np.array(ids, dtype=np.int64), millis)
    for value, block in zip(ids, blocks, strict=True):
        made = uuid.UUID(bytes=block.tobytes())
        assert made.int == (millis << 80) | (0x7000 << 64) | (0x8 << 60) | value
        assert (made.version, made.variant) == (7, uuid.RFC_4122)


def test_an_empty_copy_is_the_header_and_trailer():
    assert pgcopy.encode(0, [pgcopy.Column("int8", pl.Series([], dtype=pl.Int64))]) == (
        pgcopy.SIGNATURE + pgcopy.TRAILER
    )


@postgres_only
@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, max_size=30), stamp=st.datetimes(timezones=st.just(datetime.UTC)))
def test_postgresql_reads_back_every_value_and_null(rows, stamp):
    n = len(rows)
    a, b, c, d, ids = (list(col) for col in zip(*rows, strict=True)) if rows else ([],) * 5
    columns = [
        pgcopy.Column("int8", pl.Series(a, dtype=pl.Int64)),
        pgcopy.Column("int4", pl.Series(b, dtype=pl.Int32)),
        pgcopy.Column("date", pl.Series(c, dtype=pl.Date)),
        pgcopy.Column("text", pl.Series(d, dtype=pl.String)),
        pgcopy.Column("uuid", pgcopy.uuid7(np.array(ids, dtype=np.int64), 1764369000123)),
        pgcopy.Column("timestamptz", stamp),
        pgcopy.Column("text", "constant"),
        pgcopy.Column("int8", None),
    ]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS copy_check")
        cursor.execute(
            "CREATE TEMP TABLE copy_check (n serial, a bigint, b integer, c date, d text, "
            "e uuid, f timestamptz, g varchar(20), h bigint)"
        )
        with cursor.cursor.copy(
            "COPY copy_check (a, b, c, d, e, f, g, h) FROM STDIN (FORMAT binary)"
        ) as copy:
            copy.write(pgcopy.encode(n, columns))
        cursor.execute("SELECT a, b, c, d, e, f, g, h FROM copy_check ORDER BY n")
        back = cursor.fetchall()
    expected = [
        (x, y, z, t, uuid.UUID(int=(1764369000123 << 80) | (0x7000 << 64) | (0x8 << 60) | i))
        for x, y, z, t, i in rows
    ]
    assert [row[:5] for row in back] == expected
    assert all(row[5:] == (stamp, "constant", None) for row in back)


def _reference(rows: list[tuple], stamp: datetime.datetime) -> bytes:
    """The rows as the format's definition writes them, one field at a time."""
    micros = (stamp - datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)) // _MICRO
    out = bytearray()
    for a, b, c, d in rows:
        fields = [
            None if a is None else a.to_bytes(8, "big", signed=True),
            None if b is None else b.to_bytes(4, "big", signed=True),
            None
            if c is None
            else (c - datetime.date(2000, 1, 1)).days.to_bytes(4, "big", signed=True),
            None if d is None else d.encode(),
            micros.to_bytes(8, "big", signed=True),
            b"constant",
            None,
        ]
        out += len(fields).to_bytes(2, "big")
        for value in fields:
            out += (-1 if value is None else len(value)).to_bytes(4, "big", signed=True)
            out += value or b""
    return bytes(out)


_MICRO = datetime.timedelta(microseconds=1)


@settings(max_examples=200)
@given(
    rows=st.lists(st.tuples(INT8, INT4, DATE, TEXT), max_size=40),
    stamp=st.datetimes(timezones=st.just(datetime.UTC)),
)
def test_rows_are_laid_out_as_the_format_defines(rows, stamp):
    """Byte for byte against a field-by-field encoder: NULLs, texts of every length (a column
    where every row has the same width, one where they differ), constants, and row ends."""
    n = len(rows)
    a, b, c, d = (list(col) for col in zip(*rows, strict=True)) if rows else ([],) * 4
    columns = [
        pgcopy.Column("int8", pl.Series(a, dtype=pl.Int64)),
        pgcopy.Column("int4", pl.Series(b, dtype=pl.Int32)),
        pgcopy.Column("date", pl.Series(c, dtype=pl.Date)),
        pgcopy.Column("text", pl.Series(d, dtype=pl.String)),
        pgcopy.Column("timestamptz", stamp),
        pgcopy.Column("text", "constant"),
        pgcopy.Column("int8", None),
    ]
    body, ends = pgcopy.encode_rows(n, columns)
    expected = _reference(rows, stamp)
    assert body.tobytes() == expected
    assert ends.tolist() == [len(_reference(rows[: i + 1], stamp)) for i in range(n)]
