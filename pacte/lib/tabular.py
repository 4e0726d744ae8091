"""Framework-free, vectorised parsing of tabular sales files (CSV and XLSX).

This module turns an uploaded file into chunks of string columns with their file line
numbers, and parses those columns into exact values (integer minor units, dates, split
credits) with one reason code per bad row. It knows nothing about Django, workspaces or
the database: the import service maps columns, calls these functions on each chunk,
turns reasons into located errors and stores the rows.

Design notes:

- Reading is streamed: a CSV is read in byte blocks (``block_bytes``, 16 MiB by default),
  cut at record boundaries (quote-aware, with NumPy), checked for ragged rows and parsed
  by Polars one chunk at a time, so memory stays bounded whatever the file size.
  Non-UTF-8 files are transcoded block by block with an incremental decoder.
- Every chunk frame carries the 1-based line on which each record starts in the file
  (column ``LINE``); the header is line 1 in an ordinary file, so the first data row is
  line 2. With quoted fields spanning several lines, ``LINE`` is still the physical line
  where the record starts. For XLSX it is the spreadsheet row number.
- Cell values are strings (``pl.String``); empty cells are null.
- Parsers never use floats: amounts are built from their digit strings as ``Int64``.
- Files are bounded before they are expanded: at most ``max_columns`` columns (refused at the
  first line read), and an XLSX archive is checked from its zip central directory (entries,
  uncompressed sizes, compression ratios) before openpyxl opens it, then from its sheet's
  declared dimension before any row is parsed (``check_xlsx_archive``, ``XlsxLimits``).
- Row problems are reason *codes* (stable, snake_case; see ``REASONS`` for English
  descriptions) so the caller can translate them; file problems raise ``TabularError``;
  a column whose format cannot be decided raises an ``Ambiguous`` subclass so the UI can
  ask the user and call again with an explicit ``style``/``order``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple, NoReturn

import numpy as np
import polars as pl

__all__ = [
    "ERROR_SCHEMA",
    "LINE",
    "REASONS",
    "Ambiguous",
    "AmbiguousAmounts",
    "AmbiguousDates",
    "Chunk",
    "DuplicateKeys",
    "Head",
    "ParsedAmounts",
    "ParsedDates",
    "ParsedSplits",
    "Sniffed",
    "TabularError",
    "XlsxLimits",
    "check_columns",
    "check_xlsx_archive",
    "find_duplicates",
    "iter_chunks",
    "iter_csv_chunks",
    "iter_xlsx_chunks",
    "looks_like_shares",
    "looks_like_split_credits",
    "neutralise_formula",
    "neutralise_formulas",
    "parse_amounts",
    "parse_dates",
    "parse_split_credits",
    "read_head",
    "read_header",
    "row_errors",
    "select_mapped",
    "sniff",
    "sniff_file",
]

#: Name of the column holding each row's 1-based file line in every chunk frame.
LINE = "__line__"

#: Schema of the per-row error frames (``Chunk.errors``, ``row_errors``).
ERROR_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "column": pl.String(),
    "code": pl.String(),
    "detail": pl.String(),
}

#: English description of every row reason code returned by this module.
REASONS: dict[str, str] = {
    "too_few_fields": "the line has fewer fields than the header",
    "too_many_fields": "the line has more fields than the header",
    "amount_invalid": "not an amount",
    "amount_too_many_decimals": "more decimals than the currency has",
    "amount_too_large": "amount too large",
    "date_invalid": "not a date in the expected format",
    "date_nonexistent": "this date does not exist",
    "split_malformed": "split credits must read email:percent;email:percent",
    "split_bad_email": "not an email address",
    "split_bad_percent": "not a percentage with at most two decimals",
    "split_missing_percent": "a percentage is missing",
    "split_negative_percent": "a percentage is negative",
    "split_zero_percent": "a percentage is zero",
    "split_duplicate_email": "the same person is named twice",
    "split_sum_not_100": "percentages do not add up to 100",
    "duplicate_key": "this id already appears on an earlier line",
}

HEAD_BYTES = 64 * 1024
#: Most columns a file may have by default (callers pass their own setting): a header wider than
#: this is refused at the first line read, before anything is kept for each column.
MAX_COLUMNS = 500
#: Bytes of a file scanned at once. The scan's NumPy arrays (a mask and positions for every
#: newline, quote and delimiter) are several times the block: at 16 MB they set an import's
#: peak memory (1M rows: 331 MB; 4 MB: 244 MB, same time).
_BLOCK_BYTES = 4 * 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_NL, _CR, _QUOTE = 10, 13, 34


# --------------------------------------------------------------------------- errors


class TabularError(Exception):
    """A problem with the file as a whole (encoding, header, structure), with its location.

    ``code`` is stable and meant for translation and API errors; ``line`` is 1-based and
    ``column`` is a column name or a 1-based column number, when known.
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: str | int | None = None,
        *,
        code: str = "invalid_file",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.code = code

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class Ambiguous(Exception):
    """A column reads validly in several ways; ask the user to pick one of ``choices``.

    ``examples`` are a few raw values that read differently under the choices.
    """

    kind = "format"

    def __init__(self, choices: Sequence[str], examples: Sequence[str]) -> None:
        self.choices = tuple(choices)
        self.examples = tuple(examples)
        super().__init__(
            f"ambiguous {self.kind}: could be {' or '.join(self.choices)} "
            f"(e.g. {', '.join(self.examples)})"
        )


class AmbiguousDates(Ambiguous):
    """Day/month order cannot be decided from the column: choices are ``dmy`` and ``mdy``."""

    kind = "date order"


class AmbiguousAmounts(Ambiguous):
    """Decimal separator cannot be decided from the column: choices are ``fr`` and ``en``."""

    kind = "number format"


# --------------------------------------------------------------------------- sniffing


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes of a CSV tell: how to decode it and split it.

    ``encoding`` is a Python codec name (``utf-8``, ``utf-16-le``, ``utf-16-be`` or
    ``cp1252``); ``bom_length`` bytes are skipped before decoding; ``columns`` is the
    header as read from the head (for a mapping preview). Override a field with
    ``dataclasses.replace`` when the user corrects the guess.
    """

    encoding: str
    delimiter: str
    bom_length: int = 0
    columns: tuple[str, ...] = ()


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    # Bytes undefined in Windows-1252 decode as their Latin-1 code points (as browsers do).
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start : err.end].decode("latin-1"), err.end


codecs.register_error("pacte_latin1", _latin1_fallback)


def _errors_for(encoding: str) -> str:
    return "pacte_latin1" if encoding == "cp1252" else "strict"


def _detect_encoding(head: bytes) -> tuple[str, int]:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        half = len(head) // 2
        if odd > 0.3 * half and even < 0.05 * half:
            return "utf-16-le", 0
        if even > 0.3 * half and odd < 0.05 * half:
            return "utf-16-be", 0
        raise TabularError("this is not a text file (it contains binary data)", code="not_text")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252", 0
    return "utf-8", 0


def _detect_delimiter(text: str) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) > 1 and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]  # the head cut the last line short
    sample = "".join(lines[:100])
    best, best_score = ",", (0.0, 1)
    for cand in _DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=cand) if r]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        score = (sum(len(r) == width for r in rows) / len(rows), width)
        if score > best_score:
            best, best_score = cand, score
    return best


def sniff(head: bytes, *, max_columns: int = MAX_COLUMNS) -> Sniffed:
    """Detect encoding, delimiter and header of a CSV from its first bytes (64 KiB is plenty).

    Raises ``TabularError`` for an empty file, a spreadsheet or binary file given as CSV,
    a missing header, or a header with more than ``max_columns`` columns (counted in the head:
    a longer header only has more).
    """
    if head.startswith(b"PK\x03\x04"):
        raise TabularError("this is an Excel (XLSX) file, not a CSV", code="not_csv")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TabularError(
            "old Excel (.xls) files are not supported: save as .xlsx or CSV",
            code="unsupported_format",
        )
    encoding, bom = _detect_encoding(head)
    body = head[bom:]
    # Drop a trailing partial code unit / character: the head may cut one in two.
    if encoding.startswith("utf-16") and len(body) % 2:
        body = body[:-1]
    text = codecs.getincrementaldecoder(encoding)(errors=_errors_for(encoding)).decode(body)
    if not text.strip():
        raise TabularError("the file is empty", code="empty_file")
    if "\r" in text and "\n" not in text and len(text) > 1:
        raise TabularError(
            "lines end with a lone carriage return (old Mac format): save the file again "
            "as CSV with ordinary line endings",
            code="unsupported_line_endings",
        )
    delimiter = _detect_delimiter(text)
    first = next(r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r)
    _check_width(len(first), max_columns, line=1)
    return Sniffed(encoding, delimiter, bom, tuple(first))


def sniff_file(path: str | Path, *, max_columns: int = MAX_COLUMNS) -> Sniffed:
    """``sniff`` applied to the first 64 KiB of the file at ``path``."""
    with open(path, "rb") as f:
        return sniff(f.read(HEAD_BYTES), max_columns=max_columns)


def _check_width(width: int, max_columns: int, *, line: int) -> None:
    if width > max_columns:
        raise TabularError(
            f"the file has {width} columns or more; at most {max_columns} are accepted",
            line=line,
            code="too_many_columns",
        )


# --------------------------------------------------------------------------- chunks


@dataclass(frozen=True)
class Chunk:
    """A slice of a file: its rows as strings, and the structural errors found in it.

    ``frame`` has the ``LINE`` column (Int64, 1-based file line) first, then one
    ``pl.String`` column per header column, in file order; empty cells are null. Rows in
    ``errors`` (schema ``ERROR_SCHEMA``: ragged lines…) are *not* in ``frame``.
    ``bytes_done``/``bytes_total`` measure progress through the file.
    """

    frame: pl.DataFrame
    errors: pl.DataFrame
    index: int
    bytes_done: int
    bytes_total: int

    @property
    def columns(self) -> list[str]:
        """The file's header, without ``LINE``."""
        return self.frame.columns[1:]

    @property
    def lines(self) -> pl.Series:
        """The 1-based line of each row of ``frame``."""
        return self.frame.get_column(LINE)


def _empty_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_SCHEMA)


def _check_header(header: Sequence[str], line: int) -> list[str]:
    names = [h.strip() for h in header]
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if not name:
            raise TabularError(
                "the header has a column without a name (is the first line a header?)",
                line=line,
                column=i,
                code="no_header",
            )
        if name == LINE:
            raise TabularError("reserved column name", line=line, column=name, code="no_header")
        if name in seen:
            raise TabularError(
                f"the column name appears twice (columns {seen[name]} and {i})",
                line=line,
                column=name,
                code="duplicate_column",
            )
        seen[name] = i
    looks_like_data = re.compile(r"^[-+(€$]?\s*[0-9][0-9 .,:/()-]*$|^[^@\s]+@[^@\s]+$")
    if all(looks_like_data.match(n) for n in names):
        raise TabularError(
            "the first line looks like data, not a header with column names",
            line=line,
            code="no_header",
        )
    return names


def _utf8_blocks(
    path: Path, sniffed: Sniffed, block_bytes: int
) -> Iterator[tuple[bytes, int, bool]]:
    """(UTF-8 bytes, raw bytes consumed so far, is_last) for each block of the file."""
    passthrough = sniffed.encoding in ("utf-8", "utf-8-sig", "ascii")
    decoder = None
    if not passthrough:
        decoder = codecs.getincrementaldecoder(sniffed.encoding)(
            errors=_errors_for(sniffed.encoding)
        )
    with open(path, "rb") as f:
        f.seek(sniffed.bom_length)
        done = sniffed.bom_length
        raw = f.read(block_bytes)
        while True:
            nxt = f.read(block_bytes) if raw else b""
            last = not nxt
            done += len(raw)
            if decoder is None:
                data = raw
            else:
                try:
                    data = decoder.decode(raw, final=last).encode("utf-8")
                except UnicodeDecodeError as e:
                    raise TabularError(
                        f"the file is not valid {sniffed.encoding} "
                        f"(byte {done - len(raw) + e.start})",
                        code="bad_encoding",
                    ) from e
            yield data, done, last
            if last:
                return
            raw = nxt


@dataclass
class _Batch:
    buf: bytes
    starts: np.ndarray  # record start offsets in buf
    stops: np.ndarray  # offset just past the record's newline (or end of data)
    lines: np.ndarray  # 1-based line where each record starts
    fields: np.ndarray  # number of fields (delimiters outside quotes + 1)
    blank: np.ndarray  # bool: empty line
    done: int


def _scan(
    blocks: Iterator[tuple[bytes, int, bool]], delimiter: str, validate_utf8: bool
) -> Iterator[_Batch]:
    """Cut UTF-8 blocks at record boundaries (newlines outside quotes), vectorised."""
    delim = ord(delimiter)
    carry = b""
    line = 1
    for data, done, last in blocks:
        buf = carry + data if carry else data
        arr = np.frombuffer(buf, dtype=np.uint8)
        nl = np.flatnonzero(arr == _NL)
        quotes = np.flatnonzero(arr == _QUOTE)
        bounds = nl[(np.searchsorted(quotes, nl) & 1) == 0] if quotes.size else nl
        if last:
            end = len(buf)
            if quotes.size % 2:
                start = int(bounds[-1]) + 1 if bounds.size else 0
                raise TabularError(
                    'a quoted field is never closed (a quote " is missing)',
                    line=line + int(np.searchsorted(nl, start)),
                    code="unterminated_quote",
                )
            stops = bounds + 1
            if end and (not bounds.size or bounds[-1] != end - 1):
                stops = np.append(stops, end)
        else:
            if not bounds.size:
                carry = buf
                continue
            end = int(bounds[-1]) + 1
            stops = bounds + 1
        carry = buf[end:]
        if validate_utf8 and end:
            try:
                codecs.utf_8_decode(memoryview(buf)[:end], "strict", True)
            except UnicodeDecodeError as e:
                raise TabularError(
                    "the file is not valid UTF-8 here: it may be in another encoding "
                    "(such as Windows-1252); save it as UTF-8 or choose its encoding",
                    line=line + int(np.searchsorted(nl, e.start)),
                    code="bad_encoding",
                ) from e
        stops = stops.astype(np.int64)
        starts = np.concatenate((np.zeros(min(1, stops.size), np.int64), stops[:-1]))
        # content end: strip the newline and a CR before it
        content_end = stops.copy()
        has_nl = (content_end > starts) & (arr[np.maximum(content_end - 1, 0)] == _NL)
        content_end -= has_nl
        has_cr = (content_end > starts) & (arr[np.maximum(content_end - 1, 0)] == _CR)
        content_end -= has_cr
        delims = np.flatnonzero(arr[:end] == delim)
        if quotes.size and delims.size:
            delims = delims[(np.searchsorted(quotes, delims) & 1) == 0]
        fields = np.searchsorted(delims, content_end) - np.searchsorted(delims, starts) + 1
        lines = line + np.searchsorted(nl, starts)
        yield _Batch(buf, starts, stops, lines, fields, content_end == starts, done)
        line += int(np.searchsorted(nl, end))


def _parse_rows(batch: _Batch, rows: np.ndarray, header: list[str], delimiter: str) -> pl.DataFrame:
    """Parse the records ``rows`` (indices into batch, increasing) with Polars."""
    schema = {name: pl.String() for name in header}
    if not rows.size:
        return pl.DataFrame(schema={LINE: pl.Int64(), **schema})
    first, last = int(rows[0]), int(rows[-1])
    if rows.size == last - first + 1:
        data = batch.buf[batch.starts[first] : batch.stops[last]]
    else:
        arr = np.frombuffer(batch.buf, dtype=np.uint8)
        lo, hi = int(batch.starts[first]), int(batch.stops[last])
        mark = np.zeros(hi - lo + 1, dtype=np.int8)
        mark[batch.starts[rows] - lo] += 1
        np.subtract.at(mark, batch.stops[rows] - lo, 1)
        keep = np.cumsum(mark[:-1], dtype=np.int8) > 0
        data = arr[lo:hi][keep].tobytes()
    if not data.endswith(b"\n"):
        data += b"\n"
    df = pl.read_csv(
        data,
        has_header=False,
        new_columns=header,
        schema=schema,
        separator=delimiter,
        quote_char='"',
        infer_schema=False,
        raise_if_empty=False,
    )
    if df.height != rows.size:
        raise TabularError(
            f"could not read the lines {batch.lines[first]} to {batch.lines[last]}: "
            "check the quotes",
            line=int(batch.lines[first]),
            code="malformed_csv",
        )
    df = df.with_columns(
        pl.when(pl.col(name).str.len_bytes() == 0).then(None).otherwise(pl.col(name)).alias(name)
        for name in header
    )
    return df.insert_column(0, pl.Series(LINE, batch.lines[rows], dtype=pl.Int64))


def _ragged_errors(batch: _Batch, rows: np.ndarray, width: int) -> pl.DataFrame:
    if not rows.size:
        return _empty_errors()
    found = batch.fields[rows]
    return pl.DataFrame(
        {
            "line": batch.lines[rows].astype(np.int64),
            "column": [None] * rows.size,
            "code": np.where(found < width, "too_few_fields", "too_many_fields"),
            "detail": [f"expected {width} fields, found {n}" for n in found.tolist()],
        },
        schema=ERROR_SCHEMA,
    )


def iter_csv_chunks(
    path: str | Path,
    *,
    sniffed: Sniffed | None = None,
    chunk_rows: int = 200_000,
    block_bytes: int = _BLOCK_BYTES,
    max_columns: int = MAX_COLUMNS,
) -> Iterator[Chunk]:
    """Stream a CSV of any size as ``Chunk``s of at most ``chunk_rows`` rows.

    Memory is bounded by a few times ``block_bytes``. Blank lines are skipped; lines with
    the wrong number of fields go to ``Chunk.errors`` instead of ``Chunk.frame``. Raises
    ``TabularError`` for an empty file, a bad header (or one of more than ``max_columns``
    columns), a file with no data rows, invalid bytes for the encoding (with the line) or an
    unclosed quote.
    """
    path = Path(path)
    if sniffed is None:
        sniffed = sniff_file(path, max_columns=max_columns)
    total = path.stat().st_size
    validate = sniffed.encoding in ("utf-8", "utf-8-sig", "ascii")
    header: list[str] | None = None
    header_line = 0
    index = 0
    n_rows = 0
    blocks = _utf8_blocks(path, sniffed, block_bytes)
    for batch in _scan(blocks, sniffed.delimiter, validate):
        candidates = np.flatnonzero(~batch.blank)
        if header is None:
            if not candidates.size:
                continue
            h = int(candidates[0])
            header_line = int(batch.lines[h])
            _check_width(int(batch.fields[h]), max_columns, line=header_line)
            raw = batch.buf[batch.starts[h] : batch.stops[h]].decode("utf-8")
            header = _check_header(
                next(csv.reader(io.StringIO(raw), delimiter=sniffed.delimiter)), header_line
            )
            if int(batch.fields[h]) != len(header):
                raise TabularError(
                    "the header cannot be split into columns (check its quotes)",
                    line=header_line,
                    code="no_header",
                )
            candidates = candidates[1:]
        width = len(header)
        for at in range(0, max(candidates.size, 1), chunk_rows):
            piece = candidates[at : at + chunk_rows]
            good = batch.fields[piece] == width
            frame = _parse_rows(batch, piece[good], header, sniffed.delimiter)
            errors = _ragged_errors(batch, piece[~good], width)
            if frame.height or errors.height:
                n_rows += frame.height + errors.height
                yield Chunk(frame, errors, index, min(batch.done, total), total)
                index += 1
    if header is None:
        raise TabularError("the file is empty", code="empty_file")
    if not n_rows:
        raise TabularError(
            "the file has a header but no data rows", line=header_line + 1, code="no_rows"
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
def _xlsx_rows(
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
            _check_width(declared_columns, max_columns, line=1)
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


def _header_row(
    rows: Iterator[tuple[int, tuple[object, ...]]], max_columns: int
) -> tuple[int, list[str]]:
    """The first non-empty row as a checked header: (its row number, its names)."""
    for line, row in rows:
        if max_columns < len(row) and any(_cell_text(v) is not None for v in row[max_columns:]):
            _check_width(len(row), max_columns, line=line)
        texts = [_cell_text(v) for v in row[:max_columns]]
        while texts and texts[-1] is None:
            texts.pop()
        if texts:
            return line, _check_header([t or "" for t in texts], line)
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
    with _xlsx_rows(path, sheet, max_columns, limits) as rows:
        header_line, header = _header_row(rows, max_columns)
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


def _is_xlsx(path: str | Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


def iter_chunks(
    path: str | Path, *, chunk_rows: int = 200_000, max_columns: int = MAX_COLUMNS
) -> Iterator[Chunk]:
    """``iter_xlsx_chunks`` or ``iter_csv_chunks``, chosen from the file's first bytes."""
    if _is_xlsx(path):
        return iter_xlsx_chunks(path, chunk_rows=chunk_rows, max_columns=max_columns)
    return iter_csv_chunks(path, chunk_rows=chunk_rows, max_columns=max_columns)


def read_header(path: str | Path, *, max_columns: int = MAX_COLUMNS) -> list[str]:
    """The column names of a CSV or XLSX file, with the same checks as reading it (``TabularError``
    for a file that is empty, too wide, an XLSX too large to expand…)."""
    if _is_xlsx(path):
        with _xlsx_rows(Path(path), None, max_columns, None) as rows:
            return _header_row(rows, max_columns)[1]
    return list(sniff_file(path, max_columns=max_columns).columns)


@dataclass(frozen=True)
class Head:
    """The first rows of a file and how they were read (the mapping page's preview).

    ``kind`` is ``csv`` or ``xlsx``; ``sniffed`` says how a CSV is decoded and split (None
    for a spreadsheet); ``frame`` is a chunk frame (``LINE`` then the header's columns)."""

    kind: Literal["csv", "xlsx"]
    frame: pl.DataFrame
    sniffed: Sniffed | None = None

    @property
    def columns(self) -> list[str]:
        return self.frame.columns[1:]


def read_head(path: str | Path, *, rows: int = 1000, max_columns: int = MAX_COLUMNS) -> Head:
    """At most ``rows`` first data rows of a CSV or XLSX file (raises ``TabularError`` as
    ``iter_chunks`` does). Reads one block or the first rows of the sheet, not the file."""
    sniffed = None
    if _is_xlsx(path):
        chunks = iter_xlsx_chunks(path, chunk_rows=rows, max_columns=max_columns)
    else:
        sniffed = sniff_file(path, max_columns=max_columns)
        chunks = iter_csv_chunks(path, sniffed=sniffed, chunk_rows=rows, max_columns=max_columns)
    try:
        first = next(chunks)
    finally:
        chunks.close()  # type: ignore[attr-defined]
    return Head("xlsx" if sniffed is None else "csv", first.frame.head(rows), sniffed)


_SPLIT_ENTRY = r"[^@\s:;,]+@[^@\s:;,]+\.[^@\s:;,.]+\s*:\s*[0-9]+(?:[.,][0-9]+)?\s*%?"
_SPLIT_CELL_RE = rf"^\s*{_SPLIT_ENTRY}(?:\s*;\s*{_SPLIT_ENTRY})*\s*;?\s*$"
_SHARE_RE = r"^\s*(?:100|[0-9]{1,2})(?:[.,][0-9]{1,2})?\s*%?\s*$"


def _values(s: pl.Series) -> pl.Series:
    text = s.cast(pl.String).str.strip_chars()
    return text.filter(text.is_not_null() & (text != ""))


def looks_like_split_credits(s: pl.Series, *, threshold: float = 0.9) -> bool:
    """Whether the non-empty cells of ``s`` read like split credits (``a@x.com:60;b@y.com:40``,
    a percentage after every e-mail), for at least ``threshold`` of them."""
    values = _values(s)
    if values.is_empty():
        return False
    return bool(values.str.contains(_SPLIT_CELL_RE).mean() >= threshold)  # type: ignore[operator]


def looks_like_shares(s: pl.Series, *, threshold: float = 0.9) -> bool:
    """Whether the non-empty cells of ``s`` read like percentages of a whole (``60``,
    ``33,33 %``, ``100``), not all 100, for at least ``threshold`` of them."""
    values = _values(s)
    if values.is_empty():
        return False
    shares = values.str.contains(_SHARE_RE)
    whole = values.str.replace_all(r"[\s%]", "").is_in(["100", "100.0", "100,0", "100.00"])
    return bool(shares.mean() >= threshold and not whole.all())  # type: ignore[operator]


# --------------------------------------------------------------------------- amounts

AmountStyle = Literal["fr", "en"]


class ParsedAmounts(NamedTuple):
    """``values``: Int64 minor units (null where bad or empty); ``reasons``: code or null;
    ``style``: the decimal style used, or None when every value reads the same either way
    (keep ``auto`` for the next chunk)."""

    values: pl.Series
    reasons: pl.Series
    style: AmountStyle | None


_SPACES = ["\u00a0", "\u202f", "\u2009", "\u2007", "\u2002", "\u2003", "\t"]
# Overall shape (no capture groups: the regex engine can then use its fast DFA).
_AMOUNT_RE = r"^[-+]? *\(? *[€$]? *[-+]? *[0-9](?:[0-9., ]*[0-9])? *[€$]? *\)? *-?$"
_BODY_RE: dict[str, str] = {
    "en": r"^(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+)(?:\.[0-9]+)?$",
    "fr": r"^(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+)(?:,[0-9]+)?$",
}
_MAX_DIGITS = 18  # 10**18 < 2**63


def _amount_style_stages(exponent: int, st: str) -> list[list[pl.Expr]]:
    """Expressions computing ``r_<st>`` (reason) then ``v_<st>`` (minor units), in stages so
    that no sub-expression is evaluated twice."""
    body = pl.col("body")
    dec, group = (".", ",") if st == "en" else (",", ".")
    parts = body.str.split_exact(dec, 1)
    whole, frac = pl.col(f"w_{st}"), pl.col(f"f_{st}")
    kept = frac.str.slice(0, exponent).str.pad_end(exponent, "0")
    reason = (
        pl.when(~pl.col("present"))
        .then(None)
        .when(~pl.col("shape_ok") | ~body.str.contains(_BODY_RE[st]))
        .then(pl.lit("amount_invalid"))
        .when(frac.str.slice(exponent).str.contains("[1-9]"))
        .then(pl.lit("amount_too_many_decimals"))
        .when(whole.str.strip_chars_start("0").str.len_bytes() + exponent > _MAX_DIGITS)
        .then(pl.lit("amount_too_large"))
    )
    magnitude = (whole + kept).cast(pl.Int64, strict=False)
    value = pl.when(pl.col(f"r_{st}").is_null() & pl.col("present")).then(
        pl.when(pl.col("neg")).then(-magnitude).otherwise(magnitude)
    )
    return [
        [
            parts.struct.field("field_0")
            .str.replace_all(group, "", literal=True)
            .str.replace_all(" ", "", literal=True)
            .alias(f"w_{st}"),
            parts.struct.field("field_1").fill_null("").alias(f"f_{st}"),
        ],
        [reason.alias(f"r_{st}")],
        [value.alias(f"v_{st}")],
    ]


def parse_amounts(
    s: pl.Series, *, exponent: int = 2, style: Literal["auto", "fr", "en"] = "auto"
) -> ParsedAmounts:
    """Parse money strings to exact Int64 minor units (``exponent`` decimals), no floats.

    Accepts ``1 234,56`` (any space, no-break or narrow no-break space), ``1.234,56``,
    ``1234,56``, ``1,234.56``, ``1234.56``, signs before or after, ``(12.50)`` for a
    negative, ``−`` (U+2212) and ``€``/``$`` before or after. More decimals than
    ``exponent`` are refused unless they are zeros. ``fr`` means decimal comma, ``en``
    decimal point; ``auto`` picks for the whole series the style that reads every value,
    and raises ``AmbiguousAmounts`` when both do but disagree (``1,200``). Empty → null
    value, null reason.
    """
    if exponent < 0 or exponent > 9:
        raise ValueError("exponent must be between 0 and 9")
    text = (
        pl.col("raw")
        .cast(pl.String)
        .str.replace_many(_SPACES, [" "] * len(_SPACES))
        .str.replace_all("\u2212", "-", literal=True)
        .str.strip_chars(" ")
    )
    txt = pl.col("text")
    has_open, has_close = txt.str.contains("(", literal=True), txt.str.contains(")", literal=True)
    df = (
        pl.DataFrame({"raw": s})
        .with_columns(text.alias("text"))
        .with_columns(
            present=txt.fill_null("") != "",
            body=txt.str.strip_chars("-+()€$ "),
            neg=txt.str.contains("-", literal=True) | has_open,
            shape_ok=(
                txt.str.contains(_AMOUNT_RE)
                & (has_open == has_close)
                & (txt.str.count_matches("[-+]") + has_open.cast(pl.UInt32) <= 1)
                & (txt.str.count_matches("[€$]") <= 1)
            ).fill_null(False),
        )
    )
    styles: tuple[AmountStyle, ...] = ("fr", "en") if style == "auto" else (style,)
    stages = [_amount_style_stages(exponent, st) for st in styles]
    lazy = df.lazy()
    for step in range(3):
        lazy = lazy.with_columns([e for st_stages in stages for e in st_stages[step]])
    df = lazy.collect()
    chosen: AmountStyle | None
    if style != "auto":
        chosen = style
    else:
        bad_fr, bad_en = df.select(
            pl.col("r_fr").is_not_null().sum(), pl.col("r_en").is_not_null().sum()
        ).row(0)
        both_ok = pl.col("r_fr").is_null() & pl.col("r_en").is_null() & pl.col("present")
        differ = df.select(
            (both_ok & (pl.col("v_fr") != pl.col("v_en"))).fill_null(False)
        ).to_series()
        if bad_fr < bad_en:
            chosen = "fr"
        elif bad_en < bad_fr:
            chosen = "en"
        elif differ.any():
            examples = df.filter(differ)["raw"].head(3).to_list()
            raise AmbiguousAmounts(("fr", "en"), [str(e) for e in examples])
        else:
            chosen = None
    col = chosen or "en"
    return ParsedAmounts(
        df.get_column(f"v_{col}").alias(s.name),
        df.get_column(f"r_{col}").alias(s.name),
        chosen,
    )


# --------------------------------------------------------------------------- dates

DateOrder = Literal["iso", "dmy", "mdy"]

_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_ISO_RE = rf"^(?<y>[0-9]{{4}})[-/](?<m>[0-9]{{1,2}})[-/](?<d>[0-9]{{1,2}}){_TIME}$"
_DMY_RE = rf"^(?<a>[0-9]{{1,2}})[/.\-](?<b>[0-9]{{1,2}})[/.\-](?<y>[0-9]{{4}}){_TIME}$"


class ParsedDates(NamedTuple):
    """``values``: Date (null where bad or empty); ``reasons``: code or null; ``order``:
    ``dmy``/``mdy`` when day-first/month-first values were read, ``iso`` when all values
    were ISO, None when no value was decisive (keep ``auto`` for the next chunk)."""

    values: pl.Series
    reasons: pl.Series
    order: DateOrder | None


def parse_dates(
    s: pl.Series, *, order: Literal["auto", "iso", "dmy", "mdy"] = "auto"
) -> ParsedDates:
    """Parse ISO (``2026-11-28``, optional time), day-first (``28/11/2026``) or month-first
    (``11/28/2026``) dates; ``/``, ``.`` or ``-`` separate day-first/month-first parts.

    ISO is always accepted, except that ``order="iso"`` refuses the others. In ``auto`` mode
    the whole series decides: a first part above 12 means ``dmy``, a second part above 12
    means ``mdy`` (the majority wins when both occur); when neither occurs and some value
    reads differently both ways, ``AmbiguousDates`` is raised. Empty → null, no reason.
    """
    text = pl.col("raw").cast(pl.String).str.strip_chars()
    df = (
        pl.DataFrame({"raw": s})
        .with_columns(text.alias("text"))
        .with_columns(
            iso=pl.col("text").str.extract_groups(_ISO_RE),
            dmy=pl.col("text").str.extract_groups(_DMY_RE),
            present=pl.col("text").fill_null("") != "",
        )
        .with_columns(
            a=pl.col("dmy").struct.field("a").cast(pl.Int32),
            b=pl.col("dmy").struct.field("b").cast(pl.Int32),
        )
    )
    chosen: DateOrder | None
    if order != "auto":
        chosen = order
    else:
        n_slash, n_dmy, n_mdy = df.select(
            pl.col("a").is_not_null().sum().alias("n_slash"),
            ((pl.col("a") > 12) & (pl.col("b") <= 12)).sum().alias("n_dmy"),
            ((pl.col("b") > 12) & (pl.col("a") <= 12)).sum().alias("n_mdy"),
        ).row(0)
        undecided = df.select((pl.col("a") != pl.col("b")).fill_null(False)).to_series()
        if n_slash == 0:
            chosen = "iso" if df["iso"].struct.field("y").is_not_null().any() else None
        elif n_dmy > n_mdy:
            chosen = "dmy"
        elif n_mdy > n_dmy:
            chosen = "mdy"
        elif undecided.any():
            examples = df.filter(undecided)["raw"].head(3).to_list()
            raise AmbiguousDates(("dmy", "mdy"), [str(e) for e in examples])
        else:
            chosen = None  # every d/m/y value has day == month: any order reads the same
    iso = pl.col("iso")
    y, m, d = iso.struct.field("y"), iso.struct.field("m"), iso.struct.field("d")
    if chosen in ("dmy", None):
        y2 = pl.col("dmy").struct.field("y")
        d2, m2 = pl.col("dmy").struct.field("a"), pl.col("dmy").struct.field("b")
    elif chosen == "mdy":
        y2 = pl.col("dmy").struct.field("y")
        m2, d2 = pl.col("dmy").struct.field("a"), pl.col("dmy").struct.field("b")
    if chosen != "iso":
        y, m, d = (pl.coalesce(y, y2), pl.coalesce(m, m2), pl.coalesce(d, d2))
    ymd = y + "-" + m.str.zfill(2) + "-" + d.str.zfill(2)
    df = df.with_columns(value=ymd.str.to_date("%Y-%m-%d", strict=False))
    reason = (
        pl.when(~pl.col("present"))
        .then(None)
        .when(ymd.is_null())
        .then(pl.lit("date_invalid"))
        .when(pl.col("value").is_null())
        .then(pl.lit("date_nonexistent"))
    )
    df = df.with_columns(reason=reason)
    return ParsedDates(
        df.get_column("value").alias(s.name), df.get_column("reason").alias(s.name), chosen
    )


# --------------------------------------------------------------------------- split credits


class ParsedSplits(NamedTuple):
    """``credits``: one row per (row, email) of the *valid* rows — ``row`` (UInt32, index in
    the input series), ``email`` (lowercased), ``basis_points`` (Int64, 100% = 10000);
    ``reasons``: one code or null per input row."""

    credits: pl.DataFrame
    reasons: pl.Series


_EMAIL_RE = r"^[^@\s:;,]+@[^@\s:;,]+\.[^@\s:;,.]+$"
_ENTRY_RE = r"^(?<email>[^:]+?)\s*(?::\s*(?<pct>[^:]*?)\s*%?)?$"
_PCT_RE = r"^(?<neg>[-\u2212]?)(?<int>[0-9]+)(?:[.,](?<frac>[0-9]+))?$"


def parse_split_credits(s: pl.Series) -> ParsedSplits:
    """Parse split-credit cells such as ``a@example.com:60;b@example.com:40``.

    A lone email means 100%. Percentages may have up to two decimals (``33.34``, ``33,34``)
    and a ``%``; they must be positive, name each person once and add up to exactly 100.
    Empty cells give no credits and no reason (the row's default seller applies).
    """
    cells = pl.DataFrame({"cell": s.cast(pl.String)}).with_row_index("row")
    entries = (
        cells.filter(pl.col("cell").str.strip_chars().fill_null("") != "")
        .with_columns(entry=pl.col("cell").str.split(";"))
        .explode("entry")
        .with_columns(entry=pl.col("entry").str.strip_chars())
        .filter(pl.col("entry") != "")
        .with_columns(g=pl.col("entry").str.extract_groups(_ENTRY_RE))
        .with_columns(
            email=pl.col("g").struct.field("email").str.to_lowercase(),
            has_pct=pl.col("g").struct.field("pct").is_not_null(),
            p=pl.col("g").struct.field("pct").str.extract_groups(_PCT_RE),
            n_entries=pl.len().over("row"),
        )
        .with_columns(
            frac=pl.col("p").struct.field("frac").fill_null(""),
            neg=pl.col("p").struct.field("neg") != "",
        )
    )
    bp_abs = (
        pl.col("p").struct.field("int") + pl.col("frac").str.slice(0, 2).str.pad_end(2, "0")
    ).cast(pl.Int64, strict=False)
    entry_reason = (
        pl.when(pl.col("g").struct.field("email").is_null())
        .then(pl.lit("split_malformed"))
        .when(~pl.col("email").str.contains(_EMAIL_RE))
        .then(pl.lit("split_bad_email"))
        .when(~pl.col("has_pct") & (pl.col("n_entries") > 1))
        .then(pl.lit("split_missing_percent"))
        .when(
            pl.col("has_pct")
            & (
                pl.col("p").struct.field("int").is_null()
                | (pl.col("frac").str.len_chars() > 2)
                | (pl.col("p").struct.field("int").str.len_chars() > 6)
            )
        )
        .then(pl.lit("split_bad_percent"))
        .when(pl.col("neg") & (bp_abs > 0))
        .then(pl.lit("split_negative_percent"))
        .when(pl.col("has_pct") & (bp_abs == 0))
        .then(pl.lit("split_zero_percent"))
    )
    entries = entries.with_columns(
        reason=entry_reason,
        basis_points=pl.when(pl.col("has_pct")).then(bp_abs).otherwise(pl.lit(10_000, pl.Int64)),
    )
    per_row = entries.group_by("row", maintain_order=True).agg(
        first_reason=pl.col("reason").drop_nulls().first(),
        dup=pl.col("email").n_unique() < pl.len(),
        total=pl.col("basis_points").sum(),
    )
    row_reason = (
        pl.when(pl.col("first_reason").is_not_null())
        .then(pl.col("first_reason"))
        .when(pl.col("dup"))
        .then(pl.lit("split_duplicate_email"))
        .when(pl.col("total") != 10_000)
        .then(pl.lit("split_sum_not_100"))
    )
    per_row = per_row.select("row", row_reason=row_reason, seen=pl.lit(True))
    reasons = (
        cells.join(per_row, on="row", how="left", maintain_order="left")
        .select(
            # a non-empty cell without any entry (";") is malformed
            pl.when(pl.col("seen").is_null() & (pl.col("cell").str.strip_chars() != ""))
            .then(pl.lit("split_malformed"))
            .otherwise(pl.col("row_reason"))
        )
        .to_series()
        .alias(s.name)
    )
    bad_rows = per_row.filter(pl.col("row_reason").is_not_null()).get_column("row")
    credits = entries.filter(~pl.col("row").is_in(bad_rows.implode())).select(
        "row", "email", "basis_points"
    )
    return ParsedSplits(credits, reasons)


# --------------------------------------------------------------------------- formulas

_FORMULA_START = re.compile(r"^[=+\-@\t\r＝＋－＠]")
_PLAIN_NEGATIVE = re.compile(r"^-[0-9][0-9.,\u00a0\u202f ]*$")
_FORMULA_START_PL = r"^[=+\-@\t\r＝＋－＠]"
_PLAIN_NEGATIVE_PL = r"^-[0-9][0-9.,\u00a0\u202f ]*$"


def neutralise_formula(value: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (``=``, ``+``, ``-``,
    ``@``, TAB, CR, and their full-width forms), except a plain negative number."""
    if _FORMULA_START.match(value) and not _PLAIN_NEGATIVE.match(value):
        return "'" + value
    return value


def neutralise_formulas(s: pl.Series) -> pl.Series:
    """Vectorised ``neutralise_formula``; nulls stay null."""
    t = s.cast(pl.String)
    risky = t.str.contains(_FORMULA_START_PL) & ~t.str.contains(_PLAIN_NEGATIVE_PL)
    return (
        pl.DataFrame({"v": t, "r": risky})
        .select(pl.when(pl.col("r")).then("'" + pl.col("v")).otherwise(pl.col("v")))
        .to_series()
        .alias(s.name)
    )


# --------------------------------------------------------------------------- validation


def row_errors(frame: pl.DataFrame, reasons: pl.Series, column: str) -> pl.DataFrame:
    """Error rows (``ERROR_SCHEMA``) for the non-null ``reasons`` of ``frame[column]``."""
    return (
        frame.select(
            line=pl.col(LINE),
            column=pl.lit(column, pl.String),
            code=reasons.alias("code"),
            detail=pl.col(column).cast(pl.String),
        )
        .filter(pl.col("code").is_not_null())
        .cast(ERROR_SCHEMA)  # type: ignore[arg-type]
    )


def find_duplicates(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Repeated keys inside one frame: ``line`` of each repeat, ``first_line`` of the first
    occurrence, and the key columns. Rows with a null key are ignored."""
    keys = list(keys)
    return (
        frame.select(LINE, *keys)
        .drop_nulls(keys)
        .with_columns(first_line=pl.col(LINE).min().over(keys))
        .filter(pl.col(LINE) != pl.col("first_line"))
        .select(pl.col(LINE).alias("line"), "first_line", *keys)
        .sort("line")
    )


BUCKET_BITS = 4  # DuplicateKeys keeps 16 sorted buckets of hashes


@dataclass
class DuplicateKeys:
    """Finds repeated keys across all the chunks of a file, with bounded memory.

    Feed every chunk's frame to ``check`` in file order; it returns the repeats in that
    chunk (``line``, ``first_line`` and the key columns), including repeats of keys first
    seen in an earlier chunk. Keys of earlier chunks are remembered as 64-bit hashes with
    their first line (12 bytes per distinct key: 120 MB for 10 million rows), so a
    cross-chunk repeat could in theory be a hash collision (about 1 in 10^5 for a 20-million-row
    file); the database's unique constraint remains the final guard. The hashes sit in 16
    buckets (by their top bits), each a sorted array: adding a chunk's keys copies one bucket
    at a time, so memory never holds the whole set twice.
    """

    keys: Sequence[str]
    _hashes: list[np.ndarray] = field(
        default_factory=lambda: [np.empty(0, dtype=np.uint64) for _ in range(1 << BUCKET_BITS)]
    )
    _lines: list[np.ndarray] = field(
        default_factory=lambda: [np.empty(0, dtype=np.uint32) for _ in range(1 << BUCKET_BITS)]
    )

    def check(self, frame: pl.DataFrame) -> pl.DataFrame:
        keys = list(self.keys)
        rows = frame.select(LINE, *keys).drop_nulls(keys)
        rows = rows.with_columns(
            pl.Series("h", rows.select(keys).hash_rows(seed=0x5AC7E), dtype=pl.UInt64)
        ).with_columns(first_line=pl.col(LINE).min().over(keys))
        firsts = rows.filter(pl.col(LINE) == pl.col("first_line"))
        h = firsts.get_column("h").to_numpy()
        lines = firsts.get_column(LINE).to_numpy()
        bucket = (h >> np.uint64(64 - BUCKET_BITS)).astype(np.intp)
        order = np.argsort(bucket, kind="stable")
        bounds = np.searchsorted(bucket[order], np.arange((1 << BUCKET_BITS) + 1))
        seen_h: list[np.ndarray] = []
        seen_line: list[np.ndarray] = []
        for b in range(1 << BUCKET_BITS):
            part = order[bounds[b] : bounds[b + 1]]
            if part.size == 0:
                continue
            hb, known, known_lines = h[part], self._hashes[b], self._lines[b]
            pos = np.searchsorted(known, hb)
            found = pos < known.size
            found[found] = known[pos[found]] == hb[found]
            seen_h.append(hb[found])
            seen_line.append(known_lines[pos[found]].astype(np.int64))
            new_h = hb[~found]
            new_lines = lines[part][~found]
            new_order = np.argsort(new_h, kind="stable")
            new_h, new_lines = new_h[new_order], new_lines[new_order].astype(np.uint32)
            at = np.searchsorted(known, new_h)
            self._hashes[b] = np.insert(known, at, new_h)
            self._lines[b] = np.insert(known_lines, at, new_lines)
        earlier = pl.DataFrame(
            {
                "h": np.concatenate(seen_h) if seen_h else np.empty(0, dtype=np.uint64),
                "earlier": np.concatenate(seen_line) if seen_line else np.empty(0, np.int64),
            },
            schema={"h": pl.UInt64(), "earlier": pl.Int64()},
        ).unique(subset="h", keep="first", maintain_order=True)
        return (
            rows.join(earlier, on="h", how="left", maintain_order="left")
            .with_columns(first_line=pl.coalesce("earlier", "first_line"))
            .filter(pl.col(LINE) != pl.col("first_line"))
            .select(pl.col(LINE).alias("line"), "first_line", *keys)
        )


def check_columns(
    columns: Sequence[str],
    mapping: Mapping[str, str | None],
    *,
    required: Collection[str],
    allow_extra: bool = True,
) -> list[TabularError]:
    """Check a file's header against a column mapping (target field → file column).

    Returns one ``TabularError`` per problem: a required field not mapped
    (``required_field_unmapped``), a mapped column absent from the file
    (``column_missing``), and unless ``allow_extra``, a file column that no field uses
    (``column_unexpected``). An empty list means the header fits.
    """
    present = set(columns)
    problems: list[TabularError] = []
    for target in required:
        if not mapping.get(target):
            problems.append(
                TabularError(
                    f"no column is chosen for the required field {target!r}",
                    column=target,
                    code="required_field_unmapped",
                )
            )
    for target, source in mapping.items():
        if source and source not in present:
            problems.append(
                TabularError(
                    f"the column {source!r} (for {target!r}) is not in the file",
                    line=1,
                    column=source,
                    code="column_missing",
                )
            )
    if not allow_extra:
        used = {source for source in mapping.values() if source}
        for name in columns:
            if name not in used:
                problems.append(
                    TabularError(
                        f"the column {name!r} is not expected",
                        line=1,
                        column=name,
                        code="column_unexpected",
                    )
                )
    return problems


def select_mapped(frame: pl.DataFrame, mapping: Mapping[str, str | None]) -> pl.DataFrame:
    """``LINE`` plus one column per mapped target field, renamed from the file's columns."""
    return frame.select(
        LINE, *(pl.col(source).alias(target) for target, source in mapping.items() if source)
    )
