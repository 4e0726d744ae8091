"""Where the rows of an import come from: chunks of a file, or the records of an API batch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl

from pacte.lib.tabular.common import ERROR_SCHEMA, LINE, MAX_COLUMNS
from pacte.lib.tabular.reading import iter_chunks
from pacte.lib.tabular.validation import check_columns, select_mapped
from pacte.sales.ingest.context import FIELDS, REQUIRED

# --------------------------------------------------------------------------- sources


def frames_from_file(
    path: str,
    mapping: dict[str, str],
    *,
    chunk_rows: int = 100_000,
    max_columns: int = MAX_COLUMNS,
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame, int, int]]:
    """(mapped frame, structural errors, bytes done, bytes total) per chunk of a file."""
    for chunk in iter_chunks(path, chunk_rows=chunk_rows, max_columns=max_columns):
        problems = check_columns(chunk.columns, mapping, required=REQUIRED)
        if problems:
            raise problems[0]
        frame = select_mapped(chunk.frame, {k: v for k, v in mapping.items() if v})
        yield frame, chunk.errors, chunk.bytes_done, chunk.bytes_total


def frame_from_records(
    records: list[tuple[int, dict[str, Any]]],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(line, object) pairs of an API batch → a frame of strings, and errors for unknown keys."""
    data: dict[str, list[str | None]] = {name: [] for name in FIELDS}
    lines: list[int] = []
    errors: list[dict[str, Any]] = []
    for line, obj in records:
        lines.append(line)
        for name in FIELDS:
            value = obj.get(name)
            data[name].append(None if value is None else str(value))
        for key in obj:
            if key not in FIELDS:
                errors.append(
                    {"line": line, "column": str(key), "code": "column_unexpected", "detail": None}
                )
    frame = pl.DataFrame(
        {LINE: lines, **data}, schema={LINE: pl.Int64, **dict.fromkeys(FIELDS, pl.String)}
    )
    return frame, pl.DataFrame(errors, schema=ERROR_SCHEMA)
