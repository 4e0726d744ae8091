"""Reading any tabular file (CSV or XLSX, chosen by its content): chunks, the header, the
first rows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from pacte.lib.tabular.common import MAX_COLUMNS, Chunk
from pacte.lib.tabular.csvfile import Sniffed, iter_csv_chunks, sniff_file
from pacte.lib.tabular.xlsxfile import header_row, iter_xlsx_chunks, xlsx_rows


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
        with xlsx_rows(Path(path), None, max_columns, None) as rows:
            return header_row(rows, max_columns)[1]
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
