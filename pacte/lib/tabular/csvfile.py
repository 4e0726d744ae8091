"""Reading CSV files: sniff the encoding and delimiter, then stream chunks of string columns
cut at record boundaries, with their file lines and structural row errors."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pacte.lib.tabular.common import (
    ERROR_SCHEMA,
    HEAD_BYTES,
    LINE,
    MAX_COLUMNS,
    Chunk,
    TabularError,
    check_header,
    check_width,
)

#: Bytes of a file scanned at once. The scan's NumPy arrays (a mask and positions for every
#: newline, quote and delimiter) are several times the block: at 16 MB they set an import's
#: peak memory (1M rows: 331 MB; 4 MB: 244 MB, same time).
BLOCK_BYTES = 4 * 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_NL, _CR, _QUOTE = 10, 13, 34


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
    check_width(len(first), max_columns, line=1)
    return Sniffed(encoding, delimiter, bom, tuple(first))


def sniff_file(path: str | Path, *, max_columns: int = MAX_COLUMNS) -> Sniffed:
    """``sniff`` applied to the first 64 KiB of the file at ``path``."""
    with open(path, "rb") as f:
        return sniff(f.read(HEAD_BYTES), max_columns=max_columns)


# --------------------------------------------------------------------------- chunks


def _empty_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_SCHEMA)


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
        # A record's delimiters lie before its content's end (a delimiter is never CR or LF)
        # and after the previous record's stop: one search for every record's stop.
        before = np.searchsorted(delims, stops)
        fields = np.diff(before, prepend=0) + 1
        if quotes.size:  # a quoted newline: a record may span lines
            lines = line + np.searchsorted(nl, starts)
        else:  # every newline ends a record
            lines = line + np.arange(starts.size, dtype=np.int64)
        yield _Batch(buf, starts, stops, lines, fields, content_end == starts, done)
        line += int(np.searchsorted(nl, end)) if quotes.size else int(nl.size)


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
    block_bytes: int = BLOCK_BYTES,
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
            check_width(int(batch.fields[h]), max_columns, line=header_line)
            raw = batch.buf[batch.starts[h] : batch.stops[h]].decode("utf-8")
            header = check_header(
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
