"""Row-level checks shared by callers: located row errors, duplicate keys (in a chunk and
across chunks), the mapped columns of a file."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pacte.lib.tabular.common import ERROR_SCHEMA, LINE, TabularError

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
