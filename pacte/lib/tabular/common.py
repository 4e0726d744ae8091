"""What every part of the tabular package shares: the line column, the error frame schema,
the row reason codes and the exceptions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

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


def check_header(header: Sequence[str], line: int) -> list[str]:
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


def check_width(width: int, max_columns: int, *, line: int) -> None:
    if width > max_columns:
        raise TabularError(
            f"the file has {width} columns or more; at most {max_columns} are accepted",
            line=line,
            code="too_many_columns",
        )
