"""Tests of the framework-free parsing layer of sales imports (``pacte.lib.tabular``)."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.lib.tabular.amounts import parse_amounts
from pacte.lib.tabular.common import (
    ERROR_SCHEMA,
    LINE,
    AmbiguousAmounts,
    AmbiguousDates,
    TabularError,
)
from pacte.lib.tabular.csvfile import Sniffed, iter_csv_chunks, sniff, sniff_file
from pacte.lib.tabular.dates import iso_shaped, parse_dates
from pacte.lib.tabular.formulas import neutralise_formula, neutralise_formulas
from pacte.lib.tabular.reading import iter_chunks, read_head
from pacte.lib.tabular.splits import (
    looks_like_shares,
    looks_like_split_credits,
    parse_split_credits,
)
from pacte.lib.tabular.validation import (
    DuplicateKeys,
    check_columns,
    find_duplicates,
    row_errors,
    select_mapped,
)
from pacte.lib.tabular.xlsxfile import iter_xlsx_chunks

NBSP, NNBSP = "\u00a0", "\u202f"


# --------------------------------------------------------------------------- fixtures


def write(tmp_path: Path, data: bytes, name: str = "sales.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path, **kwargs: object) -> tuple[pl.DataFrame, pl.DataFrame]:
    chunks = list(iter_csv_chunks(path, **kwargs))  # type: ignore[arg-type]
    return (
        pl.concat([c.frame for c in chunks]),
        pl.concat([c.errors for c in chunks]),
    )


SAMPLE = "id;date;amount;seller\n1;28/11/2026;1 234,56;Élodie\n2;01/02/2026;-12,5;Zoë\n"


def fr_amount(minor: int, exponent: int = 2, group: str = " ") -> str:
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exponent)
    digits = f"{whole:,}".replace(",", group)
    return f"{sign}{digits},{frac:0{exponent}d}" if exponent else f"{sign}{digits}"


def en_amount(minor: int, exponent: int = 2) -> str:
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole:,}.{frac:0{exponent}d}" if exponent else f"{sign}{whole:,}"


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
        ("cp1252", b"", "cp1252"),
        ("latin-1", b"", "cp1252"),
    ],
)
def test_sniff_detects_encoding_and_file_reads_back(
    tmp_path: Path, encoding: str, prefix: bytes, expected: str
) -> None:
    path = write(tmp_path, prefix + SAMPLE.encode(encoding))
    sniffed = sniff_file(path)
    assert sniffed.encoding == expected
    assert sniffed.bom_length == len(prefix)
    assert sniffed.delimiter == ";"
    assert sniffed.columns == ("id", "date", "amount", "seller")
    frame, errors = read_all(path)
    assert errors.is_empty()
    assert frame["seller"].to_list() == ["Élodie", "Zoë"]
    assert frame[LINE].to_list() == [2, 3]
    assert frame.columns == [LINE, "id", "date", "amount", "seller"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniff_detects_delimiter(delimiter: str) -> None:
    rows = [["id", "amount", "note"], ["1", "1,5", "a;b"], ["2", "3", "x|y"]]
    text = "\n".join(delimiter.join(f'"{v}"' if delimiter in v else v for v in row) for row in rows)
    assert sniff(text.encode()).delimiter == delimiter


def test_sniff_prefers_semicolon_when_amounts_have_decimal_commas() -> None:
    head = b"id;amount\n1;12,50\n2;3,00\n3;1 000,00\n"
    assert sniff(head).delimiter == ";"


def test_sniff_single_column_file() -> None:
    assert sniff(b"external_id\nA1\nA2\n").columns == ("external_id",)


@pytest.mark.parametrize("head", [b"", codecs.BOM_UTF8, b"\n\n  \n", codecs.BOM_UTF16_LE])
def test_sniff_refuses_empty_file(head: bytes) -> None:
    with pytest.raises(TabularError) as exc:
        sniff(head)
    assert exc.value.code == "empty_file"


def test_sniff_refuses_spreadsheet_and_binary_files() -> None:
    with pytest.raises(TabularError) as exc:
        sniff(b"PK\x03\x04rest")
    assert exc.value.code == "not_csv"
    with pytest.raises(TabularError) as exc:
        sniff(b"\xd0\xcf\x11\xe0rest")
    assert exc.value.code == "unsupported_format"
    with pytest.raises(TabularError) as exc:
        sniff(bytes(range(256)) * 4)
    assert exc.value.code == "not_text"


def test_sniff_detects_utf16_without_bom() -> None:
    assert sniff("id,name\n1,a\n".encode("utf-16-le")).encoding == "utf-16-le"
    assert sniff("id,name\n1,a\n".encode("utf-16-be")).encoding == "utf-16-be"


def test_tabular_error_carries_location_and_code() -> None:
    err = TabularError("bad", line=3, column="amount", code="x")
    assert (err.message, err.line, err.column, err.code) == ("bad", 3, "amount", "x")
    assert str(err) == "line 3, column 'amount': bad"
    assert str(TabularError("bad")) == "bad"


# --------------------------------------------------------------------------- CSV streaming


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TabularError) as exc:
        list(iter_csv_chunks(write(tmp_path, b"")))
    assert exc.value.code == "empty_file"


def test_header_without_rows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TabularError) as exc:
        list(iter_csv_chunks(write(tmp_path, b"id,amount\n\n")))
    assert (exc.value.code, exc.value.line) == ("no_rows", 2)


@pytest.mark.parametrize(
    ("data", "column"),
    [
        (b"id,,amount\n1,2,3\n", 2),
        (b"id,amount,id\n1,2,3\n", "id"),
    ],
)
def test_bad_header_is_refused(tmp_path: Path, data: bytes, column: object) -> None:
    with pytest.raises(TabularError) as exc:
        list(iter_csv_chunks(write(tmp_path, data)))
    assert exc.value.line == 1
    assert exc.value.column == column


def test_file_without_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TabularError) as exc:
        list(
            iter_csv_chunks(
                write(tmp_path, b"1,2026-01-02,12.50,a@x.com\n2,2026-01-03,3,b@x.com\n")
            )
        )
    assert exc.value.code == "no_header"


def test_ragged_rows_are_reported_with_their_line(tmp_path: Path) -> None:
    data = b"id,amount,seller\n1,10,a\n2,20\n3,30,c,extra\n4,40,d\n"
    frame, errors = read_all(write(tmp_path, data))
    assert frame[LINE].to_list() == [2, 5]
    assert frame["id"].to_list() == ["1", "4"]
    assert errors.schema == pl.Schema(ERROR_SCHEMA)
    assert errors.select("line", "code").rows() == [(3, "too_few_fields"), (4, "too_many_fields")]


def test_quotes_crlf_blank_lines_and_empty_cells(tmp_path: Path) -> None:
    data = (
        b'id,note,amount\r\n1,"multi\r\nline, with comma",1\r\n\r\n'
        b'2,"say ""hi""",\r\n3,"",3'  # no final newline
    )
    frame, errors = read_all(write(tmp_path, data))
    assert errors.is_empty()
    assert frame[LINE].to_list() == [2, 5, 6]  # physical line where each record starts
    assert frame["note"].to_list() == ["multi\r\nline, with comma", 'say "hi"', None]
    assert frame["amount"].to_list() == ["1", None, "3"]


def test_unterminated_quote_is_located(tmp_path: Path) -> None:
    with pytest.raises(TabularError) as exc:
        list(iter_csv_chunks(write(tmp_path, b'id,note\n1,ok\n2,"never closed\n3,x\n')))
    assert (exc.value.code, exc.value.line) == ("unterminated_quote", 3)


def test_invalid_utf8_after_the_sniffed_head_is_located(tmp_path: Path) -> None:
    rows = b"".join(b"%d,plain ascii row\n" % i for i in range(1, 10_001))
    data = b"id,name\n" + rows + b"10001,caf\xe9\n"
    with pytest.raises(TabularError) as exc:
        list(iter_csv_chunks(write(tmp_path, data), block_bytes=4096))
    assert (exc.value.code, exc.value.line) == ("bad_encoding", 10_002)


def test_wrong_encoding_override_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name\n1,Zoë\n".encode("utf-16"))
    sniffed = sniff_file(path)
    from dataclasses import replace

    with pytest.raises(TabularError) as exc:
        list(iter_csv_chunks(path, sniffed=replace(sniffed, encoding="utf-8", bom_length=0)))
    assert exc.value.code in ("bad_encoding", "no_header", "malformed_csv")


def test_records_spanning_blocks_and_chunks(tmp_path: Path) -> None:
    lines = [b"id,note"] + [b'%d,"row %d\nsecond line"' % (i, i) for i in range(500)]
    path = write(tmp_path, b"\n".join(lines) + b"\n")
    chunks = list(iter_csv_chunks(path, chunk_rows=7, block_bytes=64))
    frame = pl.concat([c.frame for c in chunks])
    assert all(c.frame.height <= 7 for c in chunks)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert frame["id"].to_list() == [str(i) for i in range(500)]
    assert frame[LINE].to_list() == [2 + 2 * i for i in range(500)]
    assert frame["note"][3] == "row 3\nsecond line"
    assert chunks[-1].bytes_done == chunks[-1].bytes_total


def test_utf16_file_spanning_blocks(tmp_path: Path) -> None:
    text = "id;name\n" + "".join(f"{i};Zoë €{i}\n" for i in range(2000))
    path = write(tmp_path, codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    frame, _ = read_all(path, block_bytes=101)  # odd size: code units cut in two
    assert frame.height == 2000
    assert frame["name"][1999] == "Zoë €1999"


def generate_csv(path: Path, target_bytes: int) -> int:
    """Write a realistic sales CSV of about ``target_bytes``; returns its data row count."""
    per_row = 58
    n = target_bytes // per_row
    ids = pl.int_range(0, n)
    frame = pl.select(
        external_id=pl.format("INV-{}", ids.cast(pl.String).str.zfill(9)),
        date=pl.format("{}/{}/2026", ids % 28 + 1, ids % 12 + 1),
        amount=pl.format("{},{}", ids % 100_000, (ids % 100).cast(pl.String).str.zfill(2)),
        seller=pl.format("seller{}@example.com", ids % 997),
    )
    frame.write_csv(path, separator=";")
    return n


def test_streams_a_50mb_file_with_continuous_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    n = generate_csv(path, 50 * 1024 * 1024)
    assert path.stat().st_size > 45 * 1024 * 1024
    expected_line = 2
    rows = 0
    for chunk in iter_csv_chunks(path, chunk_rows=100_000):
        assert chunk.errors.is_empty()
        assert chunk.frame.height <= 100_000
        lines = chunk.lines
        assert lines[0] == expected_line
        assert (lines.diff().drop_nulls() == 1).all()
        expected_line = lines[-1] + 1
        rows += chunk.frame.height
        assert chunk.bytes_done <= chunk.bytes_total
    assert rows == n
    assert expected_line == n + 2


# --------------------------------------------------------------------------- XLSX


def make_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


def test_xlsx_cells_become_canonical_strings(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "sales.xlsx",
        [
            ["id", "date", "amount", "qty", "note"],
            ["A1", dt.datetime(2026, 11, 28), 1234.56, 3, "ok"],
            [None, None, None, None, None],
            ["A2", dt.date(2026, 1, 5), 0.1, 2.0, None],
            ["A3", dt.datetime(2026, 1, 5, 13, 45), 1e-7, True, "x", "extra"],
            ["A4", "28/11/2026", -12.5, 12345678901234, "@home"],
        ],
    )
    chunks = list(iter_xlsx_chunks(path, chunk_rows=2))
    frame = pl.concat([c.frame for c in chunks])
    errors = pl.concat([c.errors for c in chunks])
    assert frame[LINE].to_list() == [2, 4, 6]
    assert frame["date"].to_list() == ["2026-11-28", "2026-01-05", "28/11/2026"]
    assert frame["amount"].to_list() == ["1234.56", "0.1", "-12.5"]
    assert frame["qty"].to_list() == ["3", "2", "12345678901234"]
    assert frame["note"].to_list() == ["ok", None, "@home"]
    assert errors.select("line", "code").rows() == [(5, "too_many_fields")]
    assert iter_chunks(path) is not None
    assert pl.concat([c.frame for c in iter_chunks(path)]).height == 3


def test_xlsx_empty_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(TabularError) as exc:
        list(iter_xlsx_chunks(make_xlsx(tmp_path / "empty.xlsx", [])))
    assert exc.value.code == "empty_file"
    with pytest.raises(TabularError) as exc:
        list(iter_xlsx_chunks(make_xlsx(tmp_path / "head.xlsx", [["id", "amount"]])))
    assert exc.value.code == "no_rows"


def test_xlsx_corrupt_file(tmp_path: Path) -> None:
    with pytest.raises(TabularError) as exc:
        list(iter_xlsx_chunks(write(tmp_path, b"PK\x03\x04garbage", "bad.xlsx")))
    assert exc.value.code == "bad_xlsx"


def test_iter_chunks_picks_csv(tmp_path: Path) -> None:
    frame = pl.concat([c.frame for c in iter_chunks(write(tmp_path, SAMPLE.encode()))])
    assert frame.height == 2


# --------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "style", "minor"),
    [
        ("1 234,56", "fr", 123456),
        (f"1{NBSP}234,56", "fr", 123456),
        (f"1{NNBSP}234,56", "fr", 123456),
        ("1.234,56", "fr", 123456),
        ("1234,56", "fr", 123456),
        ("-12,5", "fr", -1250),
        ("12,50 €", "fr", 1250),
        (f"-1{NNBSP}000{NBSP}€", "fr", -100000),
        ("\u221212,50", "fr", -1250),
        ("1,234.56", "en", 123456),
        ("1234.56", "en", 123456),
        ("$1,234.56", "en", 123456),
        ("-$12.5", "en", -1250),
        ("$-12.5", "en", -1250),
        ("(12.50)", "en", -1250),
        ("( $12.50 )", "en", -1250),
        ("12.50-", "en", -1250),
        ("+7", "en", 700),
        ("0", "en", 0),
        ("12.500", "en", 1250),  # extra decimals that are zeros are fine
        ("  42  ", "en", 4200),
    ],
)
def test_amount_formats(text: str, style: str, minor: int) -> None:
    parsed = parse_amounts(pl.Series([text]), style=style)  # type: ignore[arg-type]
    assert parsed.reasons.to_list() == [None]
    assert parsed.values.to_list() == [minor]
    assert parsed.values.dtype == pl.Int64


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "amount_invalid"),
        ("12,3,4", "amount_invalid"),
        ("1 2,00", "amount_invalid"),
        ("12.", "amount_invalid"),
        ("--3", "amount_invalid"),
        ("(-3)", "amount_invalid"),
        ("(3", "amount_invalid"),
        ("€3$", "amount_invalid"),
        ("3 EUR", "amount_invalid"),
        ("1e5", "amount_invalid"),
        ("#N/A", "amount_invalid"),
        ("12.345", "amount_too_many_decimals"),
        ("12.001", "amount_too_many_decimals"),
        ("99999999999999999", "amount_too_large"),
    ],
)
def test_bad_amounts_get_a_reason(text: str, reason: str) -> None:
    parsed = parse_amounts(pl.Series([text, "1.50"]), style="en")
    assert parsed.reasons.to_list() == [reason, None]
    assert parsed.values.to_list() == [None, 150]


def test_amount_exponent() -> None:
    parsed = parse_amounts(pl.Series(["1 234", "12,000", "12,5"]), exponent=0, style="fr")
    assert parsed.values.to_list() == [1234, 12, None]
    assert parsed.reasons.to_list() == [None, None, "amount_too_many_decimals"]
    parsed = parse_amounts(pl.Series(["1.234"]), exponent=3, style="en")
    assert parsed.values.to_list() == [1234]


def test_amount_empty_cells_have_no_value_and_no_reason() -> None:
    parsed = parse_amounts(pl.Series("amount", [None, "", "  ", "1"]))
    assert parsed.values.to_list() == [None, None, None, 100]
    assert parsed.reasons.to_list() == [None, None, None, None]
    assert parsed.values.name == "amount"


def test_amount_auto_picks_the_style_that_reads_every_value() -> None:
    fr = parse_amounts(pl.Series(["1 234,56", "1,5", "12"]))
    assert fr.style == "fr"
    assert fr.values.to_list() == [123456, 150, 1200]
    # when no style reads everything, the one with the fewest errors wins
    fr = parse_amounts(pl.Series(["1 234,56", "2,50", "1,234"]))
    assert fr.style == "fr"
    assert fr.reasons.to_list() == [None, None, "amount_too_many_decimals"]
    en = parse_amounts(pl.Series(["1,234.56", "1,200", "12"]))
    assert en.style == "en"
    assert en.values.to_list() == [123456, 120000, 1200]
    assert parse_amounts(pl.Series(["12", "-3"])).style is None
    assert parse_amounts(pl.Series([], dtype=pl.String)).style is None


def test_amount_auto_reports_ambiguity() -> None:
    with pytest.raises(AmbiguousAmounts) as exc:
        parse_amounts(pl.Series(["1,200", "3,500", "7"]))
    assert exc.value.choices == ("fr", "en")
    assert exc.value.examples == ("1,200", "3,500")
    with pytest.raises(AmbiguousAmounts):
        parse_amounts(pl.Series(["1.500"]))


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from([" ", NBSP, NNBSP, "."]))
def test_french_amounts_round_trip(minor: int, group: str) -> None:
    text = fr_amount(minor, group=group)
    parsed = parse_amounts(pl.Series([text, "1 234,56"]))
    assert parsed.values[0] == minor
    assert parsed.style == "fr"


@given(st.integers(min_value=-(10**15), max_value=10**15), st.integers(0, 3))
def test_english_amounts_round_trip(minor: int, exponent: int) -> None:
    text = en_amount(minor, exponent)
    assert parse_amounts(pl.Series([text]), exponent=exponent, style="en").values[0] == minor
    if exponent == 2:
        assert parse_amounts(pl.Series([text, "1,234.56"])).values[0] == minor


_PLAIN_AMOUNT = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "0", "-0", "007", "1,", ",5", "12,345", "12.345", "1.2.3", "--1"]),
    st.builds(
        lambda sign, whole, sep, frac: f"{sign}{whole}{sep}{frac}",
        st.sampled_from(["", "-"]),
        st.integers(0, 10**19).map(str),
        st.sampled_from(["", ",", "."]),
        st.sampled_from(["", "0", "5", "05", "50", "123", "0000000001"]),
    ),
)


@given(st.lists(_PLAIN_AMOUNT, max_size=8), st.sampled_from(["fr", "en"]), st.integers(0, 9))
def test_plain_amounts_read_as_the_general_parse(
    values: list[str | None], style: str, exponent: int
) -> None:
    """Plain amounts (``-1234,56``) take a shorter path when the style is known: the same
    values and reasons as the general parse, which a grouped amount after them forces."""
    grouped = "1 234,5" if style == "fr" else "1,234.5"
    alone = parse_amounts(pl.Series(values, dtype=pl.String), exponent=exponent, style=style)  # type: ignore[arg-type]
    general = parse_amounts(
        pl.Series([*values, grouped], dtype=pl.String),
        exponent=exponent,
        style=style,  # type: ignore[arg-type]
    )
    assert alone.values.to_list() == general.values.to_list()[:-1]
    assert alone.reasons.to_list() == general.reasons.to_list()[:-1]
    assert alone.style == general.style


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2026-11-28", "iso", dt.date(2026, 11, 28)),
        ("2026-11-28 00:00:00", "iso", dt.date(2026, 11, 28)),
        ("2026-11-28T13:45", "auto", dt.date(2026, 11, 28)),
        ("2026-1-5", "iso", dt.date(2026, 1, 5)),
        ("28/11/2026", "dmy", dt.date(2026, 11, 28)),
        ("28.11.2026", "dmy", dt.date(2026, 11, 28)),
        ("5/1/2026", "dmy", dt.date(2026, 1, 5)),
        ("11/28/2026", "mdy", dt.date(2026, 11, 28)),
        ("1/5/2026 00:00:00", "mdy", dt.date(2026, 1, 5)),
        ("2026-11-28", "dmy", dt.date(2026, 11, 28)),
    ],
)
def test_date_formats(text: str, order: str, expected: dt.date) -> None:
    parsed = parse_dates(pl.Series([text]), order=order)  # type: ignore[arg-type]
    assert parsed.values.to_list() == [expected]
    assert parsed.reasons.to_list() == [None]


@pytest.mark.parametrize(
    ("text", "order", "reason"),
    [
        ("31/02/2026", "dmy", "date_nonexistent"),
        ("2026-13-01", "iso", "date_nonexistent"),
        ("28/11/2026", "iso", "date_invalid"),
        ("28/11/26", "dmy", "date_invalid"),
        ("tomorrow", "auto", "date_invalid"),
        ("46000", "auto", "date_invalid"),
    ],
)
def test_bad_dates_get_a_reason(text: str, order: str, reason: str) -> None:
    parsed = parse_dates(pl.Series([text]), order=order)  # type: ignore[arg-type]
    assert parsed.values.to_list() == [None]
    assert parsed.reasons.to_list() == [reason]


def test_date_order_is_decided_by_the_whole_column() -> None:
    dmy = parse_dates(pl.Series(["01/02/2026", "28/11/2026", None, "2026-03-04"]))
    assert dmy.order == "dmy"
    assert dmy.values.to_list() == [
        dt.date(2026, 2, 1),
        dt.date(2026, 11, 28),
        None,
        dt.date(2026, 3, 4),
    ]
    mdy = parse_dates(pl.Series(["01/02/2026", "11/28/2026"]))
    assert mdy.order == "mdy"
    assert mdy.values[0] == dt.date(2026, 1, 2)
    assert parse_dates(pl.Series(["2026-01-02"])).order == "iso"
    assert parse_dates(pl.Series(["01/01/2026", "05/05/2026"])).order is None


def test_ambiguous_dates_are_signalled() -> None:
    with pytest.raises(AmbiguousDates) as exc:
        parse_dates(pl.Series(["01/02/2026", "03/04/2026", "05/05/2026"]))
    assert exc.value.choices == ("dmy", "mdy")
    assert exc.value.examples == ("01/02/2026", "03/04/2026")


def test_conflicting_date_orders_follow_the_majority() -> None:
    parsed = parse_dates(pl.Series(["28/11/2026", "29/11/2026", "11/30/2026"]))
    assert parsed.order == "dmy"
    assert parsed.reasons.to_list() == [None, None, "date_nonexistent"]


@given(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_dates_round_trip(day: dt.date) -> None:
    iso = day.isoformat()
    dmy = f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
    mdy = f"{day.month}/{day.day}/{day.year:04d}"
    assert parse_dates(pl.Series([iso]), order="iso").values[0] == day
    assert parse_dates(pl.Series([dmy]), order="dmy").values[0] == day
    assert parse_dates(pl.Series([mdy]), order="mdy").values[0] == day
    assert parse_dates(pl.Series([dmy, "28/11/2026"])).values[0] == day
    assert parse_dates(pl.Series([mdy, "11/28/2026"])).values[0] == day


_PLAIN_DATE = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "2026-02-29", "2026-13-01", "2026-00-10", "0000-01-01", "2026-1-05"]),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(
        lambda day: f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    ),
)


@given(st.lists(_PLAIN_DATE, max_size=8), st.sampled_from(["auto", "iso", "dmy", "mdy"]))
def test_plain_iso_dates_read_as_the_general_parse(values: list[str | None], order: str) -> None:
    """``YYYY-MM-DD`` dates take a shorter path: the same values, reasons and order as the
    general parse, which a date in another form after them forces."""
    alone = parse_dates(pl.Series(values, dtype=pl.String), order=order)  # type: ignore[arg-type]
    general = parse_dates(pl.Series([*values, "2026-1-5"], dtype=pl.String), order=order)  # type: ignore[arg-type]
    days = general.values.cast(pl.Int32).to_list()[:-1]  # year 0 has no Python date
    assert alone.values.cast(pl.Int32).to_list() == days
    assert alone.reasons.to_list() == general.reasons.to_list()[:-1]
    if any(v and v.strip() for v in values):
        assert alone.order == general.order


# --------------------------------------------------------------------------- split credits


def test_split_credits_are_exploded_in_basis_points() -> None:
    parsed = parse_split_credits(
        pl.Series(
            [
                "Seller1@Example.com:60;seller2@example.com:40",
                "solo@example.com",
                None,
                " a@example.com : 33.33 ; b@example.com:33,33% ; c@example.com:33.34 ;",
            ]
        )
    )
    assert parsed.reasons.to_list() == [None, None, None, None]
    assert parsed.credits.rows() == [
        (0, "seller1@example.com", 6000),
        (0, "seller2@example.com", 4000),
        (1, "solo@example.com", 10000),
        (3, "a@example.com", 3333),
        (3, "b@example.com", 3333),
        (3, "c@example.com", 3334),
    ]
    assert parsed.credits.schema == pl.Schema(
        {"row": pl.UInt32, "email": pl.String, "basis_points": pl.Int64}
    )


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("a@x.com:60;b@x.com:30", "split_sum_not_100"),
        ("a@x.com:60;b@x.com:50", "split_sum_not_100"),
        ("a@x.com:50;b@x.com:50;c@x.com:1", "split_sum_not_100"),
        ("a@x.com:50;A@x.com:50", "split_duplicate_email"),
        ("a@x.com:-50;b@x.com:150", "split_negative_percent"),
        ("a@x.com:0;b@x.com:100", "split_zero_percent"),
        ("a@x.com:50.001;b@x.com:49.999", "split_bad_percent"),
        ("a@x.com:fifty;b@x.com:50", "split_bad_percent"),
        ("a@x.com:;b@x.com:100", "split_bad_percent"),
        ("a@x.com;b@x.com", "split_missing_percent"),
        ("a@x.com:60:40", "split_malformed"),
        ("seller one:100", "split_bad_email"),
        ("nope", "split_bad_email"),
        (";", "split_malformed"),
        ("a@x.com:50", "split_sum_not_100"),
    ],
)
def test_bad_split_credits_get_a_reason(cell: str, reason: str) -> None:
    parsed = parse_split_credits(pl.Series([cell, "ok@x.com:100"]))
    assert parsed.reasons.to_list() == [reason, None]
    assert parsed.credits.rows() == [(1, "ok@x.com", 10000)]


@given(st.lists(st.integers(1, 10_000), min_size=1, max_size=8))
def test_split_credits_round_trip(weights: list[int]) -> None:
    total = sum(weights)
    bps = [w * 10_000 // total for w in weights]
    bps[0] += 10_000 - sum(bps)
    if any(b <= 0 for b in bps):
        return
    cell = ";".join(f"s{i}@example.com:{b // 100}.{b % 100:02d}" for i, b in enumerate(bps))
    parsed = parse_split_credits(pl.Series([cell]))
    assert parsed.reasons[0] is None
    assert parsed.credits["basis_points"].to_list() == bps
    assert parsed.credits["basis_points"].sum() == 10_000


# --------------------------------------------------------------------------- formulas


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("＝1+1", "'＝1+1"),
        ("-12.5", "-12.5"),
        ("-1 234,56", "-1 234,56"),
        ("plain", "plain"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise_formula(value: str, expected: str) -> None:
    assert neutralise_formula(value) == expected
    assert neutralise_formulas(pl.Series([value])).to_list() == [expected]


def test_neutralise_formulas_keeps_nulls_and_name() -> None:
    out = neutralise_formulas(pl.Series("detail", [None, "=x"]))
    assert out.to_list() == [None, "'=x"]
    assert out.name == "detail"


# --------------------------------------------------------------------------- validation


def frame_of(ids: list[str | None], first_line: int = 2) -> pl.DataFrame:
    return pl.DataFrame(
        {LINE: list(range(first_line, first_line + len(ids))), "id": ids},
        schema={LINE: pl.Int64, "id": pl.String},
    )


def test_find_duplicates_inside_a_frame() -> None:
    dups = find_duplicates(frame_of(["A", "B", "A", None, None, "B", "A"]), ["id"])
    assert dups.rows() == [(4, 2, "A"), (7, 3, "B"), (8, 2, "A")]


def test_duplicate_keys_across_chunks() -> None:
    tracker = DuplicateKeys(["id"])
    assert tracker.check(frame_of(["A", "B", "C"])).is_empty()
    second = tracker.check(frame_of(["D", "B", "D", "A", None], first_line=5))
    assert second.rows() == [(6, 3, "B"), (7, 5, "D"), (8, 2, "A")]
    third = tracker.check(frame_of(["D", "E"], first_line=10))
    assert third.rows() == [(10, 5, "D")]


def test_duplicate_keys_match_a_plain_dictionary_over_many_chunks() -> None:
    rng = np.random.default_rng(3)
    ids = [f"INV-{i}" for i in rng.integers(0, 6_000, size=20_000)]  # every bucket, repeats
    tracker, found, first = DuplicateKeys(["id"]), [], {}
    expected = []
    for line, key in enumerate(ids, start=2):
        if key in first:
            expected.append((line, first[key], key))
        else:
            first[key] = line
    for start in range(0, len(ids), 1_500):
        found.extend(
            tracker.check(frame_of(ids[start : start + 1_500], first_line=start + 2)).rows()
        )
    assert sorted(found) == expected


def test_duplicate_keys_on_several_columns() -> None:
    frame = pl.DataFrame({LINE: [2, 3, 4], "source": ["x", "y", "x"], "id": ["1", "1", "1"]})
    assert DuplicateKeys(["source", "id"]).check(frame).rows() == [(4, 2, "x", "1")]


def test_check_columns_against_a_mapping() -> None:
    columns = ["Invoice", "Date", "Total", "Comment"]
    mapping = {"external_id": "Invoice", "date": "Date", "amount": "Amount", "channel": None}
    problems = check_columns(
        columns, mapping, required=["external_id", "date", "amount", "seller"], allow_extra=False
    )
    assert [(p.code, p.column) for p in problems] == [
        ("required_field_unmapped", "seller"),
        ("column_missing", "Amount"),
        ("column_unexpected", "Total"),
        ("column_unexpected", "Comment"),
    ]
    ok = check_columns(columns, {"external_id": "Invoice"}, required=["external_id"])
    assert ok == []


def test_select_mapped_and_row_errors(tmp_path: Path) -> None:
    (chunk,) = iter_csv_chunks(write(tmp_path, b"Invoice;Total\nA;12,50\nB;oops\n"))
    frame = select_mapped(chunk.frame, {"external_id": "Invoice", "amount": "Total"})
    assert frame.columns == [LINE, "external_id", "amount"]
    parsed = parse_amounts(frame["amount"], style="fr")
    errors = row_errors(frame, parsed.reasons, "amount")
    assert errors.schema == pl.Schema(ERROR_SCHEMA)
    assert errors.rows() == [(3, "amount", "amount_invalid", "oops")]


# --------------------------------------------------------------------------- head and looks


def test_read_head_reads_the_first_rows_and_how(tmp_path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a;b\n" + b"".join(f"{i};x\n".encode() for i in range(50)))
    head = read_head(path, rows=7)
    assert (head.kind, head.sniffed and head.sniffed.delimiter, head.columns) == (
        "csv",
        ";",
        ["a", "b"],
    )
    assert head.frame.height == 7
    assert head.frame.get_column(LINE).to_list() == list(range(2, 9))


@pytest.mark.parametrize(
    ("cells", "split"),
    [
        (["a@x.com:60;b@y.fr:40", "c@x.com:100", None, ""], True),
        (["a@x.com: 33,34 %; b@y.fr:66.66"], True),
        (["a@x.com", "b@y.fr"], False),  # a seller column
        (["60", "40"], False),
        ([None, ""], False),
    ],
)
def test_looks_like_split_credits(cells, split) -> None:
    assert looks_like_split_credits(pl.Series(cells, dtype=pl.String)) is split


@pytest.mark.parametrize(
    ("cells", "shares"),
    [(["60", "40", "33,33 %"], True), (["100", "100"], False), (["1200", "40"], False)],
)
def test_looks_like_shares(cells, shares) -> None:
    assert looks_like_shares(pl.Series(cells)) is shares


def test_iso_shaped_dates_never_decide_the_order() -> None:
    shaped = pl.Series(["2026-01-31", " 2026-02-30 ", None])  # one invalid, still ISO
    assert iso_shaped(shaped)
    assert parse_dates(shaped, order="auto").order == "iso"  # what the skipped parse decides
    for other in ("31/01/2026", "2026-1-31", "01-02-2026", "2026-01-31 10:00"):
        assert not iso_shaped(pl.Series(["2026-01-31", other]))


_PLAIN_FIELD = st.text("ab 1", max_size=4)
_QUOTED_FIELD = st.text('ab;\n"', max_size=5).map(lambda t: '"' + t.replace('"', '""') + '"')
_RECORD = st.lists(_PLAIN_FIELD | _QUOTED_FIELD, min_size=1, max_size=4)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(_RECORD | st.just([]), max_size=25),  # [] is a blank line
    newline=st.sampled_from(["\n", "\r\n"]),
    block=st.integers(8, 64),
)
def test_csv_records_lines_and_fields_match_python_csv(tmp_path, records, newline, block):
    """The vectorised scan (blocks cut anywhere, quoted newlines, blank and ragged lines,
    CRLF) finds the records, their first lines and their numbers of fields as ``csv`` does."""
    rows = [";".join(r) if r != [""] else '""' for r in records]
    text = newline.join(["a;b;c", *rows]) + newline
    path = write(tmp_path, text.encode(), name=f"scan-{block}.csv")
    expected_good, expected_bad = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    next(reader)
    line = reader.line_num
    for fields in reader:
        first, line = line + 1, reader.line_num
        if not fields:
            continue
        if len(fields) == 3:
            expected_good.append((first, *[f or None for f in fields]))
        else:
            expected_bad.append((first, len(fields)))
    sniffed = Sniffed(encoding="utf-8", delimiter=";")
    if not expected_good and not expected_bad:
        with pytest.raises(TabularError):
            list(iter_csv_chunks(path, sniffed=sniffed, block_bytes=block))
        return
    chunks = list(iter_csv_chunks(path, sniffed=sniffed, block_bytes=block, chunk_rows=7))
    good = pl.concat([c.frame for c in chunks]).rows()
    bad = pl.concat([c.errors for c in chunks])
    found = [int(d.split()[-1]) for d in bad.get_column("detail").to_list()]
    assert good == expected_good
    assert list(zip(bad.get_column("line").to_list(), found, strict=True)) == expected_bad
