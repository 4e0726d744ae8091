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
    buckets (by their top bits), so memory never holds the whole set twice; each bucket is a
    few sorted runs, a chunk's new keys one more run, two runs merged when the older is no
    more than twice the newer (as a binary counter carries): a key is copied about log2 of
    the file's chunks times in all, where inserting into one sorted array copied the whole
    set at every chunk (10 million keys in 50,000-row chunks: 4.9 s, quadratic).
    """

    keys: Sequence[str]
    #: Per bucket, its runs (sorted hashes, their first lines), oldest and largest first.
    _runs: list[list[tuple[np.ndarray, np.ndarray]]] = field(
        default_factory=lambda: [[] for _ in range(1 << BUCKET_BITS)]
    )

    def check(self, frame: pl.DataFrame) -> pl.DataFrame:
        keys = list(self.keys)
        rows = frame.select(LINE, *keys).drop_nulls(keys)
        hashes = rows.select(keys).hash_rows(seed=0x5AC7E)
        first = hashes.is_first_distinct()
        repeated = not first.all()  # a key repeated inside this frame (rare)
        h, lines = hashes.to_numpy(), rows.get_column(LINE).to_numpy()
        if repeated:
            keep = first.to_numpy()
            h, lines = h[keep], lines[keep]
        # Sorted by hash is sorted by bucket too (a bucket is the hash's top bits): one sort,
        # then each bucket's new keys are already in order.
        order = np.argsort(h)
        h, lines = h[order], lines[order].astype(np.uint32)
        tops = np.arange((1 << BUCKET_BITS) + 1, dtype=np.uint64) << np.uint64(64 - BUCKET_BITS)
        bounds = [*np.searchsorted(h, tops[:-1]).tolist(), h.size]
        seen_h: list[np.ndarray] = []
        seen_line: list[np.ndarray] = []
        for b in range(1 << BUCKET_BITS):
            lo, hi = bounds[b], bounds[b + 1]
            if lo == hi:
                continue
            hb, runs = h[lo:hi], self._runs[b]
            new = np.ones(hb.size, dtype=bool)
            for known, known_lines in runs:
                pos = np.searchsorted(known, hb)
                found = pos < known.size
                found[found] = known[pos[found]] == hb[found]
                if found.any():
                    seen_h.append(hb[found])
                    seen_line.append(known_lines[pos[found]].astype(np.int64))
                    new &= ~found
            runs.append((hb[new], lines[lo:hi][new]))
            while len(runs) > 1 and runs[-2][0].size <= 2 * runs[-1][0].size:
                (h1, l1), (h2, l2) = runs.pop(-2), runs.pop()
                merged = np.concatenate((h1, h2))
                order = np.argsort(merged, kind="stable")  # two sorted runs: one merge
                runs.append((merged[order], np.concatenate((l1, l2))[order]))
        if not repeated and not seen_h:
            return pl.DataFrame(
                schema={"line": rows.schema[LINE], "first_line": rows.schema[LINE]}
                | {k: rows.schema[k] for k in keys}
            )
        earlier = pl.DataFrame(
            {
                "h": np.concatenate(seen_h) if seen_h else np.empty(0, dtype=np.uint64),
                "earlier": np.concatenate(seen_line) if seen_line else np.empty(0, np.int64),
            },
            schema={"h": pl.UInt64(), "earlier": pl.Int64()},
        )
        return (
            rows.with_columns(h=hashes)
            .with_columns(first_line=pl.col(LINE).min().over("h"))
            .join(earlier, on="h", how="left", maintain_order="left")
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
