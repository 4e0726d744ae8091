"""The cube: sales credits summed per seller, team, channel and month; its roll-up by team,
channel and month (``TeamCell``), which the company and team figures read; and each seller's
running total by month (``SellerRunningTotal``), which the rankings of sellers read.

Every write to sales or credits updates all three in the same transaction by set-based deltas
(:func:`apply_cube`, :func:`apply_deltas`, :func:`drop_empty_cells`, which bump the workspace's
cube version): the deltas of a change are written once into a temporary table, then added to
the cube, summed per team to the roll-up, and summed per seller and month into the running
totals. :func:`verify` checks them against a recomputation from the credits and
:func:`rebuild_cube` rebuilds them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import polars as pl
from django.db import connection, transaction

from pacte.accounts.models import Workspace
from pacte.sales.models import CubeCell, SellerRunningTotal, TeamCell

logger = logging.getLogger("pacte.sales")

# --------------------------------------------------------------------------- the cube

CUBE_UPSERT = (
    "INSERT INTO sales_cubecell (workspace_id, seller_id, unit_id, channel_id, month, "
    "split_amount, overlay_amount, sale_count) {select} "
    "ON CONFLICT (workspace_id, seller_id, unit_id, channel_id, month) DO UPDATE SET "
    "split_amount = sales_cubecell.split_amount + excluded.split_amount, "
    "overlay_amount = sales_cubecell.overlay_amount + excluded.overlay_amount, "
    "sale_count = sales_cubecell.sale_count + excluded.sale_count"
)
TEAM_UPSERT = (
    "INSERT INTO sales_teamcell (workspace_id, unit_id, channel_id, month, "
    "split_amount, overlay_amount, sale_count) {select} "
    "ON CONFLICT (workspace_id, unit_id, channel_id, month) DO UPDATE SET "
    "split_amount = sales_teamcell.split_amount + excluded.split_amount, "
    "overlay_amount = sales_teamcell.overlay_amount + excluded.overlay_amount, "
    "sale_count = sales_teamcell.sale_count + excluded.sale_count"
)
#: Columns of a table of cube deltas (``apply_delta_table``).
DELTA_COLUMNS = "seller_id, unit_id, channel_id, month, split, overlay, n"
DELTA_TABLE = "cube_delta"


def apply_cube(
    c: Any, workspace_id: int, sign: int, where: str, params: Iterable[Any] = ()
) -> None:
    """Add (``sign`` = 1) or remove (-1) the credits matching ``where`` (alias ``c`` for
    credits, ``s`` for their sales) to or from the cube and its roll-up."""
    apply_deltas(
        c,
        workspace_id,
        f"SELECT c.seller_id, c.unit_id, s.channel_id, s.month, "  # noqa: S608
        f"{sign} * SUM(CASE WHEN c.kind = 'split' THEN c.amount ELSE 0 END), "
        f"{sign} * SUM(CASE WHEN c.kind = 'overlay' THEN c.amount ELSE 0 END), "
        f"{sign} * COUNT(*) "
        "FROM sales_credit c JOIN sales_sale s ON s.id = c.sale_id "
        f"WHERE c.workspace_id = %s AND {where} "
        "GROUP BY c.seller_id, c.unit_id, s.channel_id, s.month",
        [workspace_id, *params],
    )


def apply_deltas(c: Any, workspace_id: int, select: str, params: Iterable[Any] = ()) -> None:
    """Add the rows of ``select`` — (seller, unit, channel, month, split, overlay, count)
    deltas, one row per cube cell — to the cube and to its roll-up: written once into a
    temporary table, read by both upserts."""
    c.execute(f"DROP TABLE IF EXISTS {DELTA_TABLE}")
    c.execute(
        f"CREATE TEMP TABLE {DELTA_TABLE} (seller_id bigint, unit_id bigint, "
        "channel_id bigint, month integer, split bigint, overlay bigint, n bigint)"
    )
    c.execute(f"INSERT INTO {DELTA_TABLE} ({DELTA_COLUMNS}) {select}", list(params))
    apply_delta_table(c, workspace_id, DELTA_TABLE)
    c.execute(f"DROP TABLE {DELTA_TABLE}")


def add_cells(workspace_id: int, cells: Iterable[tuple[int, int, int, int, int, int, int]]) -> None:
    """Add cells given as values — (seller, unit, channel, month, split, overlay, count) — to
    the cube and its roll-up (fixtures, generated companies)."""
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f"DROP TABLE IF EXISTS {DELTA_TABLE}")
        c.execute(
            f"CREATE TEMP TABLE {DELTA_TABLE} (seller_id bigint, unit_id bigint, "
            "channel_id bigint, month integer, split bigint, overlay bigint, n bigint)"
        )
        c.executemany(
            f"INSERT INTO {DELTA_TABLE} ({DELTA_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            list(cells),
        )
        c.execute(  # one row per cell, as the upserts need
            f"CREATE TEMP TABLE {DELTA_TABLE}_sum AS SELECT seller_id, unit_id, channel_id, "  # noqa: S608
            f"month, SUM(split) AS split, SUM(overlay) AS overlay, SUM(n) AS n FROM {DELTA_TABLE} "
            "GROUP BY seller_id, unit_id, channel_id, month"
        )
        apply_delta_table(c, workspace_id, f"{DELTA_TABLE}_sum")
        c.execute(f"DROP TABLE {DELTA_TABLE}")
        c.execute(f"DROP TABLE {DELTA_TABLE}_sum")


def apply_delta_table(c: Any, workspace_id: int, table: str) -> None:
    """Add the deltas of ``table`` (columns ``DELTA_COLUMNS``, one row per cube cell) to the
    cube, and summed per (team, channel, month) to the roll-up; bump the cube version."""
    c.execute(
        CUBE_UPSERT.format(
            select=f"SELECT %s, {DELTA_COLUMNS} FROM {table} WHERE 1 = 1"  # noqa: S608
        ),
        [workspace_id],
    )
    c.execute(
        TEAM_UPSERT.format(
            select="SELECT %s, unit_id, channel_id, month, SUM(split), SUM(overlay), SUM(n) "  # noqa: S608
            f"FROM {table} GROUP BY unit_id, channel_id, month"
        ),
        [workspace_id],
    )
    apply_running(c, workspace_id, table)
    c.execute(CUBE_VERSION_BUMP, [workspace_id])


RUNNING_DELTA = "running_delta"
RUNNING_MONTHS = "running_months"


def apply_running(c: Any, workspace_id: int, table: str) -> None:
    """Add the deltas of ``table`` to the sellers' running totals, keeping them dense: a new
    last month of the workspace extends every seller's totals to it, a seller's first credit
    (or an earlier one) opens their rows at zero, then every row at or after a delta's month
    gains the sum of the seller's deltas up to its month. Four statements whatever the size."""
    c.execute(f"DROP TABLE IF EXISTS {RUNNING_DELTA}")
    c.execute(
        f"CREATE TEMP TABLE {RUNNING_DELTA} AS SELECT seller_id, month, "  # noqa: S608
        f"SUM(split) AS split, SUM(overlay) AS overlay FROM {table} GROUP BY seller_id, month"
    )
    c.execute(f"CREATE INDEX {RUNNING_DELTA}_key ON {RUNNING_DELTA} (seller_id, month)")
    c.execute(f"SELECT MIN(month), MAX(month) FROM {RUNNING_DELTA}")  # noqa: S608
    low, high = c.fetchone()
    if low is None:
        c.execute(f"DROP TABLE {RUNNING_DELTA}")
        return
    c.execute(
        "SELECT MAX(month) FROM sales_sellerrunningtotal WHERE workspace_id = %s", [workspace_id]
    )
    last = c.fetchone()[0]
    end = int(high) if last is None else max(int(last), int(high))
    start = int(low) if last is None else min(int(low), int(last) + 1)
    c.execute(f"DROP TABLE IF EXISTS {RUNNING_MONTHS}")
    c.execute(f"CREATE TEMP TABLE {RUNNING_MONTHS} (month integer)")
    c.executemany(
        f"INSERT INTO {RUNNING_MONTHS} (month) VALUES (%s)",  # noqa: S608
        [(m,) for m in range(start, end + 1)],
    )
    if last is not None and end > last:  # a new last month: every seller's total carried on
        c.execute(
            "INSERT INTO sales_sellerrunningtotal (workspace_id, seller_id, month, split_amount, "  # noqa: S608
            "overlay_amount) SELECT r.workspace_id, r.seller_id, m.month, r.split_amount, "
            f"r.overlay_amount FROM sales_sellerrunningtotal r JOIN {RUNNING_MONTHS} m "
            "ON m.month > %s WHERE r.workspace_id = %s AND r.month = %s",
            [last, workspace_id, last],
        )
    c.execute(  # months before a seller's first row (or a new seller's): zero so far
        "INSERT INTO sales_sellerrunningtotal (workspace_id, seller_id, month, split_amount, "  # noqa: S608
        "overlay_amount) SELECT %s, d.seller_id, m.month, 0, 0 FROM (SELECT seller_id, "
        f"MIN(month) AS first FROM {RUNNING_DELTA} GROUP BY seller_id) d JOIN {RUNNING_MONTHS} m "
        "ON m.month >= d.first WHERE NOT EXISTS (SELECT 1 FROM sales_sellerrunningtotal r "
        "WHERE r.workspace_id = %s AND r.seller_id = d.seller_id AND r.month = m.month)",
        [workspace_id, workspace_id],
    )
    c.execute(
        "UPDATE sales_sellerrunningtotal SET (split_amount, overlay_amount) = (SELECT "  # noqa: S608
        "sales_sellerrunningtotal.split_amount + COALESCE(SUM(d.split), 0), "
        "sales_sellerrunningtotal.overlay_amount + COALESCE(SUM(d.overlay), 0) "
        f"FROM {RUNNING_DELTA} d WHERE d.seller_id = sales_sellerrunningtotal.seller_id "
        "AND d.month <= sales_sellerrunningtotal.month) WHERE workspace_id = %s "
        f"AND seller_id IN (SELECT seller_id FROM {RUNNING_DELTA}) "
        f"AND month >= (SELECT MIN(d.month) FROM {RUNNING_DELTA} d "
        "WHERE d.seller_id = sales_sellerrunningtotal.seller_id)",
        [workspace_id],
    )
    c.execute(f"DROP TABLE {RUNNING_DELTA}")
    c.execute(f"DROP TABLE {RUNNING_MONTHS}")


# Every change to the cube bumps the workspace's cube version in the same transaction (the
# insights cache is keyed on it): apply_delta_table, and drop_empty_cells, which ends every merge.
CUBE_VERSION_BUMP = "UPDATE accounts_workspace SET cube_version = cube_version + 1 WHERE id = %s"


def drop_empty_cells(c: Any, workspace_id: int) -> None:
    for table in ("sales_cubecell", "sales_teamcell"):
        c.execute(
            f"DELETE FROM {table} WHERE workspace_id = %s AND split_amount = 0 "  # noqa: S608
            "AND overlay_amount = 0 AND sale_count = 0",
            [workspace_id],
        )
    c.execute(CUBE_VERSION_BUMP, [workspace_id])


def rollup_from_cube(c: Any, workspace_id: int) -> None:
    """Replace the roll-up and the running totals of a workspace by sums of its cube cells (for
    a cube written without the deltas: a benchmark's generated cells)."""
    c.execute("DELETE FROM sales_sellerrunningtotal WHERE workspace_id = %s", [workspace_id])
    c.execute(f"DROP TABLE IF EXISTS {DELTA_TABLE}")
    c.execute(
        f"CREATE TEMP TABLE {DELTA_TABLE} AS SELECT seller_id, unit_id, channel_id, month, "  # noqa: S608
        "split_amount AS split, overlay_amount AS overlay, sale_count AS n FROM sales_cubecell "
        "WHERE workspace_id = %s",
        [workspace_id],
    )
    apply_running(c, workspace_id, DELTA_TABLE)
    c.execute(f"DROP TABLE {DELTA_TABLE}")
    c.execute("DELETE FROM sales_teamcell WHERE workspace_id = %s", [workspace_id])
    c.execute(
        "INSERT INTO sales_teamcell (workspace_id, unit_id, channel_id, month, split_amount, "
        "overlay_amount, sale_count) SELECT workspace_id, unit_id, channel_id, month, "
        "SUM(split_amount), SUM(overlay_amount), SUM(sale_count) FROM sales_cubecell "
        "WHERE workspace_id = %s GROUP BY workspace_id, unit_id, channel_id, month",
        [workspace_id],
    )
    c.execute(CUBE_VERSION_BUMP, [workspace_id])


CUBE_SCHEMA: dict[str, Any] = {
    "seller_id": pl.Int64,
    "unit_id": pl.Int64,
    "channel_id": pl.Int64,
    "month": pl.Int32,
    "split": pl.Int64,
    "overlay": pl.Int64,
    "n": pl.Int64,
}
CUBE_KEY = ["seller_id", "unit_id", "channel_id", "month"]


def cube_delta(credits: pl.DataFrame) -> pl.DataFrame:
    """Credits (with their sale's channel and month) summed per cube cell."""
    return (
        credits.group_by(CUBE_KEY)
        .agg(
            split=pl.col("amount").filter(pl.col("kind") == "split").sum(),
            overlay=pl.col("amount").filter(pl.col("kind") == "overlay").sum(),
            n=pl.len(),
        )
        .cast(CUBE_SCHEMA)  # type: ignore[arg-type]
    )


def sum_cube(cells: pl.DataFrame) -> pl.DataFrame:
    return (
        cells.group_by(CUBE_KEY)
        .agg(pl.col("split").sum(), pl.col("overlay").sum(), pl.col("n").sum())
        .cast(CUBE_SCHEMA)  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- checks and rebuild


def _month_sql() -> str:
    if connection.vendor == "postgresql":
        return "(EXTRACT(YEAR FROM s.date)::int * 12 + EXTRACT(MONTH FROM s.date)::int - 1)"
    return "(CAST(strftime('%%Y', s.date) AS INTEGER) * 12 + CAST(strftime('%%m', s.date) AS INTEGER) - 1)"


def recompute_cube(workspace: Workspace) -> dict[tuple[int, int, int, int], tuple[int, int, int]]:
    """The cube as recomputed from raw sales (date → month) and their credits."""
    month = _month_sql()
    with connection.cursor() as c:
        c.execute(
            f"SELECT c.seller_id, c.unit_id, s.channel_id, {month}, "  # noqa: S608
            "SUM(CASE WHEN c.kind = 'split' THEN c.amount ELSE 0 END), "
            "SUM(CASE WHEN c.kind = 'overlay' THEN c.amount ELSE 0 END), COUNT(*) "
            "FROM sales_credit c JOIN sales_sale s ON s.id = c.sale_id "
            f"WHERE s.workspace_id = %s AND c.workspace_id = s.workspace_id GROUP BY c.seller_id, c.unit_id, s.channel_id, {month}",
            [workspace.pk],
        )
        return {
            (a, b, ch, int(m)): (int(sp), int(ov), int(n))
            for a, b, ch, m, sp, ov, n in c.fetchall()
            if sp or ov or n
        }


def rollup(
    cells: dict[tuple[int, int, int, int], tuple[int, int, int]],
) -> dict[tuple[int, int, int], tuple[int, int, int]]:
    """Cube cells (seller, unit, channel, month) summed per (unit, channel, month)."""
    out: dict[tuple[int, int, int], tuple[int, int, int]] = {}
    for (_seller, unit, channel, month), (split, overlay, n) in cells.items():
        a, b, k = out.get((unit, channel, month), (0, 0, 0))
        out[(unit, channel, month)] = (a + split, b + overlay, k + n)
    return out


def verify(workspace: Workspace) -> list[str]:
    """Differences between the cube and a recomputation, and broken credit invariants."""
    problems: list[str] = []
    stored = {
        (c.seller_id, c.unit_id, c.channel_id, c.month): (
            c.split_amount,
            c.overlay_amount,
            c.sale_count,
        )
        for c in CubeCell.objects.for_workspace(workspace)
    }
    fresh = recompute_cube(workspace)
    for key in sorted(set(stored) | set(fresh)):
        if stored.get(key, (0, 0, 0)) != fresh.get(key, (0, 0, 0)):
            problems.append(
                f"cell seller={key[0]} unit={key[1]} channel={key[2]} month={key[3]}: "
                f"cube {stored.get(key)} != recomputed {fresh.get(key)}"
            )
    teams = {
        (t.unit_id, t.channel_id, t.month): (t.split_amount, t.overlay_amount, t.sale_count)
        for t in TeamCell.objects.for_workspace(workspace)
    }
    fresh_teams = rollup(fresh)
    for team in sorted(set(teams) | set(fresh_teams)):
        if teams.get(team, (0, 0, 0)) != fresh_teams.get(team, (0, 0, 0)):
            problems.append(
                f"team cell unit={team[0]} channel={team[1]} month={team[2]}: "
                f"roll-up {teams.get(team)} != recomputed {fresh_teams.get(team)}"
            )
    problems.extend(_verify_running(workspace, fresh))
    with connection.cursor() as c:
        c.execute(
            "SELECT s.external_id, s.amount, COALESCE(SUM(c.basis_points), 0), "
            "COALESCE(SUM(c.amount), 0) FROM sales_sale s LEFT JOIN sales_credit c "
            "ON c.sale_id = s.id AND c.kind = 'split' WHERE s.workspace_id = %s "
            "GROUP BY s.id, s.external_id, s.amount "
            "HAVING COALESCE(SUM(c.basis_points), 0) <> 10000 "
            "OR COALESCE(SUM(c.amount), 0) <> s.amount",
            [workspace.pk],
        )
        for ext, amount, bp, total in c.fetchall()[:100]:
            problems.append(
                f"sale {ext}: split shares {bp}/10000, split amounts {total} != amount {amount}"
            )
        # Sales and credits carry no database foreign keys (models.Sale): check the references.
        for label, sql in ORPHAN_CHECKS:
            c.execute(sql, [workspace.pk, workspace.pk])
            count = int(c.fetchone()[0])
            if count:
                problems.append(f"{count} {label}")
    return problems


def running(
    cells: dict[tuple[int, int, int, int], tuple[int, int, int]], last: int | None = None
) -> dict[tuple[int, int], tuple[int, int]]:
    """Cube cells summed per seller and month, then accumulated: each seller's running total
    for every month from their first credited month to ``last`` (default: the last month)."""
    per: dict[int, dict[int, tuple[int, int]]] = {}
    for (seller, _unit, _channel, month), (split, overlay, _n) in cells.items():
        a, b = per.setdefault(seller, {}).get(month, (0, 0))
        per[seller][month] = (a + split, b + overlay)
    if not per:
        return {}
    end = max(max(months) for months in per.values()) if last is None else last
    out: dict[tuple[int, int], tuple[int, int]] = {}
    for seller, months in per.items():
        a = b = 0
        for month in range(min(months), end + 1):
            da, db = months.get(month, (0, 0))
            a, b = a + da, b + db
            out[(seller, month)] = (a, b)
    return out


def _verify_running(
    workspace: Workspace, fresh: dict[tuple[int, int, int, int], tuple[int, int, int]]
) -> list[str]:
    """The sellers' running totals against the recomputed cube: every stored row equal to the
    recomputed total (zero before a seller's first credit), no recomputed total missing."""
    stored = {
        (r.seller_id, r.month): (r.split_amount, r.overlay_amount)
        for r in SellerRunningTotal.objects.for_workspace(workspace)
    }
    months = [m for _s, m in stored] + [k[3] for k in fresh]
    expected = running(fresh, max(months) if months else None)
    problems = []
    for key in sorted(set(stored) | set(expected)):
        want = expected.get(key, (0, 0))
        if stored.get(key, None if want != (0, 0) else want) != want:
            problems.append(
                f"running total seller={key[0]} month={key[1]}: "
                f"stored {stored.get(key)} != recomputed {expected.get(key, (0, 0))}"
            )
    return problems


ORPHAN_CHECKS = [
    (
        "credits of a missing sale or of another workspace's sale",
        "SELECT COUNT(*) FROM sales_credit c LEFT JOIN sales_sale s ON s.id = c.sale_id "
        "WHERE c.workspace_id = %s AND (s.id IS NULL OR s.workspace_id <> %s)",
    ),
    (
        "credits to a seller who is not a member of the workspace",
        "SELECT COUNT(*) FROM sales_credit c LEFT JOIN accounts_membership m "
        "ON m.id = c.seller_id AND m.workspace_id = %s WHERE c.workspace_id = %s AND m.id IS NULL",
    ),
    (
        "credits to a team that is not the workspace's",
        "SELECT COUNT(*) FROM sales_credit c LEFT JOIN org_unit u "
        "ON u.id = c.unit_id AND u.workspace_id = %s WHERE c.workspace_id = %s AND u.id IS NULL",
    ),
    (
        "sales in a channel that is not the workspace's",
        "SELECT COUNT(*) FROM sales_sale s LEFT JOIN sales_channel ch "
        "ON ch.id = s.channel_id AND ch.workspace_id = %s WHERE s.workspace_id = %s AND ch.id IS NULL",
    ),
    (
        "sales of a customer that is not the workspace's",
        "SELECT COUNT(*) FROM sales_sale s LEFT JOIN sales_customer cu "
        "ON cu.id = s.customer_id AND cu.workspace_id = %s "
        "WHERE s.workspace_id = %s AND s.customer_id IS NOT NULL AND cu.id IS NULL",
    ),
]


def rebuild_cube(workspace: Workspace) -> bool:
    """Replace the cube and the roll-up of ``workspace`` by a recomputation (repair after
    ``verify``), holding the workspace's row: a deletion of the workspace waits for the rebuild
    and then removes its cells with it. Returns False, with a log line, when the workspace was
    deleted before the rebuild could start (nothing to rebuild, nothing written)."""
    with transaction.atomic():
        if not Workspace.objects.select_for_update().filter(pk=workspace.pk).exists():
            logger.warning(
                "cube rebuild skipped: workspace %s (%s) was deleted",
                workspace.pk,
                workspace.slug,
            )
            return False
        CubeCell.objects.for_workspace(workspace).delete()
        TeamCell.objects.for_workspace(workspace).delete()
        SellerRunningTotal.objects.for_workspace(workspace).delete()
        with connection.cursor() as c:
            apply_cube(c, workspace.pk, 1, "1 = 1")
        return True
