"""Storing a cascade's integer results in bulk: cells, unit rollups, explanations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connections

from pacte.planning.cascade import Computed
from pacte.planning.models import (
    CascadeRun,
    CascadeShare,
    SellerExplanation,
    UnitShare,
)

# ------------------------------------------------------------------------------------------
# storing


def store_cells(
    *,
    run: CascadeRun,
    seller_ids: np.ndarray,
    seller_unit_ids: np.ndarray,
    channel_ids: np.ndarray,
    first_month: int,
    cells: np.ndarray,
    unit_ids: np.ndarray,
    unit_cells: np.ndarray,
    using: str = "default",
) -> int:
    """Store a run's non-zero seller cells ``(n, c, m)`` and unit rollups ``(u, c, m)`` in bulk
    (COPY on PostgreSQL, batched executemany on SQLite); returns the number of seller cells.

    Cells are written in seller-id order: on PostgreSQL a run's cells are found through a BRIN
    index on (run, seller) (migration 0002), summarised here before returning."""
    return store_runs_cells(
        [
            RunCells(
                run=run,
                seller_ids=seller_ids,
                seller_unit_ids=seller_unit_ids,
                channel_ids=channel_ids,
                first_month=first_month,
                cells=cells,
                unit_ids=unit_ids,
                unit_cells=unit_cells,
            )
        ],
        using=using,
    )


@dataclass(frozen=True)
class RunCells:
    """One run's cells, as :func:`store_cells` takes them."""

    run: CascadeRun
    seller_ids: np.ndarray
    seller_unit_ids: np.ndarray
    channel_ids: np.ndarray
    first_month: int
    cells: np.ndarray
    unit_ids: np.ndarray
    unit_cells: np.ndarray


SHARE_COLUMNS = ["workspace_id", "run_id", "seller_id", "unit_id", "channel_id", "month", "amount"]
UNIT_SHARE_COLUMNS = ["workspace_id", "run_id", "unit_id", "channel_id", "month", "amount"]


def store_runs_cells(batch: Sequence[RunCells], *, using: str = "default") -> int:
    """:func:`store_cells` of several runs at once: one COPY a table for them all (runs in the
    order given, each in seller-id order; give them in run-id order to keep the BRIN ranges
    tight), one summarising of the BRIN index. Returns the number of seller cells."""
    if not batch:
        return 0
    shares = [_share_columns(part) for part in batch]
    units = [_unit_share_columns(part) for part in batch]
    stored = bulk_insert(
        CascadeShare._meta.db_table,
        SHARE_COLUMNS,
        [np.concatenate([cols[i] for cols in shares]) for i in range(len(SHARE_COLUMNS))],
        using=using,
    )
    bulk_insert(
        UnitShare._meta.db_table,
        UNIT_SHARE_COLUMNS,
        [np.concatenate([cols[i] for cols in units]) for i in range(len(UNIT_SHARE_COLUMNS))],
        using=using,
    )
    if connections[using].vendor == "postgresql":
        # Summarising needs the table's owner: a database role that does not own it leaves
        # the new ranges to autovacuum (reads scan them until then, still correct).
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN pg_has_role(current_user, c.relowner, 'USAGE') "
                "THEN brin_summarize_new_values('cascadeshare_brin') END "
                "FROM pg_class c WHERE c.oid = 'planning_cascadeshare'::regclass"
            )
    return stored


def _share_columns(part: RunCells) -> list[np.ndarray]:
    """A run's non-zero seller cells as the columns of ``SHARE_COLUMNS``, in seller-id order."""
    seller_ids, seller_unit_ids, cells = part.seller_ids, part.seller_unit_ids, part.cells
    order = np.argsort(seller_ids, kind="stable")
    if (order != np.arange(order.size)).any():
        seller_ids, seller_unit_ids, cells = seller_ids[order], seller_unit_ids[order], cells[order]
    flat = np.ascontiguousarray(cells).reshape(-1)
    cell = np.flatnonzero(flat)  # one pass; the 3-D indices are derived from it
    s, ch, m = np.unravel_index(cell, cells.shape)
    n = len(s)
    return [
        np.full(n, part.run.workspace_id, np.int64),
        np.full(n, part.run.pk, np.int64),
        np.asarray(seller_ids[s], np.int64),
        np.asarray(seller_unit_ids[s], np.int64),
        np.asarray(part.channel_ids[ch], np.int64),
        (m + part.first_month).astype(np.int64),
        np.asarray(flat[cell], np.int64),
    ]


def _unit_share_columns(part: RunCells) -> list[np.ndarray]:
    """A run's non-zero unit rollups as the columns of ``UNIT_SHARE_COLUMNS``."""
    u, ch, m = np.nonzero(part.unit_cells)
    k = len(u)
    return [
        np.full(k, part.run.workspace_id, np.int64),
        np.full(k, part.run.pk, np.int64),
        np.asarray(part.unit_ids[u], np.int64),
        np.asarray(part.channel_ids[ch], np.int64),
        (m + part.first_month).astype(np.int64),
        np.asarray(part.unit_cells[u, ch, m], np.int64),
    ]


COPY_SLICE_ROWS = 250_000


def bulk_insert(
    table: str, columns: list[str], data: list[np.ndarray], *, using: str = "default"
) -> int:
    """Insert column arrays into ``table``: COPY on PostgreSQL, batched executemany on SQLite."""
    if not data or not len(data[0]):
        return 0
    count = len(data[0])
    conn = connections[using]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            import polars as pl
            from psycopg.copy import QueuedLibpqWriter

            frame = pl.DataFrame(
                {
                    name: np.asarray(col, dtype=np.int64)
                    for name, col in zip(columns, data, strict=True)
                }
            )
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            # Text built a slice at a time while a writer thread sends the previous one: the
            # formatting overlaps the server's parsing and index inserts, and the payload in
            # memory is one slice, not the whole run.
            with cursor.cursor.copy(sql, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
                for part in frame.iter_slices(COPY_SLICE_ROWS):
                    copy.write(part.write_csv(separator="\t", include_header=False))
        else:
            placeholders = ", ".join(["?"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608 (internal table names)
            raw = conn.connection  # sqlite3 itself, in the same transaction: no wrapper per batch
            arrays = [np.asarray(col) for col in data]
            batch = 50_000
            # Python tuples for one batch at a time (a whole run of 6M rows as tuples is GBs).
            for start in range(0, count, batch):
                raw.executemany(
                    sql, zip(*(a[start : start + batch].tolist() for a in arrays), strict=True)
                )
    return count


def store_shares(run: CascadeRun, computed: Computed) -> int:
    """Store a computed cascade's cells and unit rollups (see :func:`store_cells`)."""
    inp, result = computed.inputs, computed.result
    return store_cells(
        run=run,
        seller_ids=inp.seller_ids,
        seller_unit_ids=inp.unit_ids[inp.seller_unit],
        channel_ids=inp.channel_ids,
        first_month=inp.first_month,
        cells=result.cells,
        unit_ids=inp.unit_ids,
        unit_cells=result.unit_cells,
    )


def store_explanations(run: CascadeRun, computed: Computed) -> None:
    inp, result = computed.inputs, computed.result
    SellerExplanation.objects.bulk_create(
        [
            SellerExplanation(
                workspace_id=run.workspace_id,
                run=run,
                seller_id=int(inp.seller_ids[i]),
                unit_id=int(inp.unit_ids[inp.seller_unit[i]]),
                amount=int(result.seller_amounts[i]),
                data=computed.explanation(i),
            )
            for i in range(len(inp.seller_ids))
        ],
        batch_size=2000,
    )
