"""Reading XLSX files: bound the archive before openpyxl opens it, then stream chunks of
string columns with their spreadsheet row numbers."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, NoReturn

import polars as pl

from pacte.lib.tabular.common import (
    ERROR_SCHEMA,
    LINE,
    MAX_COLUMNS,
    Chunk,
    TabularError,
    check_header,
    check_width,
)

# --------------------------------------------------------------------------- xlsx


def _cell_text(value: object) -> str | None:
    """Canonical string for an Excel cell value: ISO dates, plain decimals, no floats kept."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        # repr is the shortest string that reads back as this float: the number the user
        # typed in the spreadsheet, written out without an exponent.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@dataclass(frozen=True)
class XlsxLimits:
    """What an XLSX may hold, checked before it is expanded: from the zip's central directory
    (entries and their declared sizes: nothing is decompressed) and from the sheet's declared
    dimension (no row is parsed). A zip entry cannot expand past its declared size: Python's
    zipfile stops there and fails the CRC check.

    ``max_loaded_part`` bounds the parts openpyxl reads whole into memory (shared strings,
    styles, the workbook…): only worksheets are streamed. ``max_ratio`` (uncompressed size over
    compressed size) applies to the archive and to each part larger than ``ratio_floor``: XML
    that a spreadsheet program writes compresses 5 to 20 times; zip bombs, hundreds of times.
    """

    max_entries: int = 10_000
    max_uncompressed: int = 2 * 1024**3
    max_loaded_part: int = 256 * 1024**2
    max_ratio: int = 100
    ratio_floor: int = 8 * 1024**2
    max_rows: int = 1_048_576  # Excel's own limit


def check_xlsx_archive(source: str | Path | BinaryIO, limits: XlsxLimits | None = None) -> None:
    """Refuse an XLSX whose zip directory announces more than ``limits`` allow (``TabularError``
    with code ``xlsx_too_large``, or ``bad_xlsx`` when it is not a zip), expanding nothing."""
    limits = limits or XlsxLimits()
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise TabularError(f"cannot open the spreadsheet: {e}", code="bad_xlsx") from e

    def refuse(why: str) -> NoReturn:
        raise TabularError(f"the spreadsheet {why}", code="xlsx_too_large")

    if len(entries) > limits.max_entries:
        refuse(f"holds {len(entries)} parts (at most {limits.max_entries})")
    total = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries)
    if total > limits.max_uncompressed:
        refuse(f"expands to {total} bytes (at most {limits.max_uncompressed})")
    if total > limits.ratio_floor and total > limits.max_ratio * max(packed, 1):
        refuse(f"expands {total // max(packed, 1)} times (at most {limits.max_ratio})")
    for entry in entries:
        if entry.file_size > limits.ratio_floor and entry.file_size > limits.max_ratio * max(
            entry.compress_size, 1
        ):
            refuse(f"part {entry.filename!r} expands more than {limits.max_ratio} times")
        streamed = entry.filename.startswith("xl/worksheets/") and not entry.filename.endswith(
            ".rels"
        )
        if not streamed and entry.file_size > limits.max_loaded_part:
            refuse(f"part {entry.filename!r} expands to {entry.file_size} bytes")


@contextlib.contextmanager
def xlsx_rows(
    path: Path, sheet: str | None, max_columns: int, limits: XlsxLimits | None
) -> Iterator[Iterator[tuple[int, tuple[object, ...]]]]:
    """(spreadsheet row number, values) of the sheet, each row at most as wide as the sheet
    declares (else ``max_columns`` + 1, enough to see a file wider than allowed), and at most
    ``limits.max_rows`` rows: no sheet, however its cells are laid out, makes us build more."""
    import openpyxl

    limits = limits or XlsxLimits()
    check_xlsx_archive(path, limits)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a corrupt file
        raise TabularError(f"cannot open the spreadsheet: {e}", code="bad_xlsx") from e
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise TabularError(f"no sheet named {sheet!r}", code="no_sheet")
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        # The dimension the sheet declares (A1:XFD1048576 in a "sheet bomb") would make openpyxl
        # pad every row and add every missing one: bound it, then read without it.
        declared_rows, declared_columns = ws.max_row, ws.max_column
        if declared_columns is not None:
            check_width(declared_columns, max_columns, line=1)
        if declared_rows is not None and declared_rows > limits.max_rows:
            raise TabularError(
                f"the sheet declares {declared_rows} rows (at most {limits.max_rows})",
                code="too_many_rows",
            )
        ws.reset_dimensions()
        rows = ws.iter_rows(
            max_col=declared_columns or max_columns + 1,
            max_row=limits.max_rows,
            values_only=True,
        )
        yield enumerate(rows, start=1)
    finally:
        wb.close()


def header_row(
    rows: Iterator[tuple[int, tuple[object, ...]]], max_columns: int
) -> tuple[int, list[str]]:
    """The first non-empty row as a checked header: (its row number, its names)."""
    for line, row in rows:
        if max_columns < len(row) and any(_cell_text(v) is not None for v in row[max_columns:]):
            check_width(len(row), max_columns, line=line)
        texts = [_cell_text(v) for v in row[:max_columns]]
        while texts and texts[-1] is None:
            texts.pop()
        if texts:
            return line, check_header([t or "" for t in texts], line)
    raise TabularError("the spreadsheet is empty", code="empty_file")


def iter_xlsx_chunks(
    path: str | Path,
    *,
    sheet: str | None = None,
    chunk_rows: int = 200_000,
    max_columns: int = MAX_COLUMNS,
    limits: XlsxLimits | None = None,
) -> Iterator[Chunk]:
    """Stream the first (or the named) sheet of an XLSX as ``Chunk``s, like ``iter_csv_chunks``.

    Uses openpyxl in read-only mode, after ``check_xlsx_archive``; ``LINE`` is the spreadsheet
    row number. Dates become ISO strings (``2026-11-28``, or ``2026-11-28 13:45:00`` with a
    time) and numbers plain decimal strings (``1234.56``). Non-empty cells beyond the header go
    to ``errors``. A sheet wider than ``max_columns`` (declared or in its header) is refused.
    """
    path = Path(path)
    total = path.stat().st_size
    with xlsx_rows(path, sheet, max_columns, limits) as rows:
        header_line, header = header_row(rows, max_columns)
        width = len(header)
        cols: list[list[str | None]] = [[] for _ in header]
        lines: list[int] = []
        errors: list[tuple[int, int]] = []
        index = 0
        n_rows = 0

        def flush(done: int) -> Chunk:
            frame = pl.DataFrame(
                {LINE: lines, **dict(zip(header, cols, strict=True))},
                schema={LINE: pl.Int64(), **{h: pl.String() for h in header}},
            )
            err = pl.DataFrame(
                {
                    "line": [ln for ln, _ in errors],
                    "column": [None] * len(errors),
                    "code": ["too_many_fields"] * len(errors),
                    "detail": [f"expected {width} fields, found {n}" for _, n in errors],
                },
                schema=ERROR_SCHEMA,
            )
            return Chunk(frame, err, index, done, total)

        for line, row in rows:
            texts = [_cell_text(v) for v in row[:width]]
            rest = row[width:]
            if rest and len(rest) > rest.count(None):
                beyond = [_cell_text(v) for v in rest]
                while beyond and beyond[-1] is None:
                    beyond.pop()
                if beyond:
                    errors.append((line, width + len(beyond)))
                    texts = []
            if texts and any(t is not None for t in texts):
                texts += [None] * (width - len(texts))
                for col, text in zip(cols, texts, strict=True):
                    col.append(text)
                lines.append(line)
            if len(lines) + len(errors) >= chunk_rows:
                yield flush(total)
                n_rows += len(lines) + len(errors)
                index += 1
                cols, lines, errors = [[] for _ in header], [], []
        if lines or errors:
            n_rows += len(lines) + len(errors)
            yield flush(total)
        if not n_rows:
            raise TabularError(
                "the sheet has a header but no data rows", line=header_line + 1, code="no_rows"
            )
