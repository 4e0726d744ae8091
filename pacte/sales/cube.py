"""The cube: sales credits summed per seller, team, channel and month.

Every write to sales or credits updates it in the same transaction by set-based deltas
(:func:`apply_cube`, :func:`drop_empty_cells`, which bump the workspace's cube version);
:func:`verify` and :func:`rebuild_cube` check and rebuild it from the credits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl
from django.db import connection, transaction

from pacte.accounts.models import Workspace
from pacte.sales.models import (
    CubeCell,
)

# --------------------------------------------------------------------------- the cube

CUBE_UPSERT = (
    "INSERT INTO sales_cubecell (workspace_id, seller_id, unit_id, channel_id, month, "
    "split_amount, overlay_amount, sale_count) {select} "
    "ON CONFLICT (workspace_id, seller_id, unit_id, channel_id, month) DO UPDATE SET "
    "split_amount = sales_cubecell.split_amount + excluded.split_amount, "
    "overlay_amount = sales_cubecell.overlay_amount + excluded.overlay_amount, "
    "sale_count = sales_cubecell.sale_count + excluded.sale_count"
)


def apply_cube(
    c: Any, workspace_id: int, sign: int, where: str, params: Iterable[Any] = ()
) -> None:
    """Add (``sign`` = 1) or remove (-1) the credits matching ``where`` (alias ``c`` for
    credits, ``s`` for their sales) to or from the cube, in one statement."""
    c.execute(
        CUBE_UPSERT.format(
            select=f"SELECT %s, c.seller_id, c.unit_id, s.channel_id, s.month, "  # noqa: S608
            f"{sign} * SUM(CASE WHEN c.kind = 'split' THEN c.amount ELSE 0 END), "
            f"{sign} * SUM(CASE WHEN c.kind = 'overlay' THEN c.amount ELSE 0 END), "
            f"{sign} * COUNT(*) "
            "FROM sales_credit c JOIN sales_sale s ON s.id = c.sale_id "
            f"WHERE c.workspace_id = %s AND {where} "
            "GROUP BY c.seller_id, c.unit_id, s.channel_id, s.month"
        ),
        [workspace_id, workspace_id, *params],
    )
    c.execute(CUBE_VERSION_BUMP, [workspace_id])


# Every change to the cube bumps the workspace's cube version in the same transaction (the
# insights cache is keyed on it): apply_cube, and drop_empty_cells, which ends every merge.
CUBE_VERSION_BUMP = "UPDATE accounts_workspace SET cube_version = cube_version + 1 WHERE id = %s"


def drop_empty_cells(c: Any, workspace_id: int) -> None:
    c.execute(
        "DELETE FROM sales_cubecell WHERE workspace_id = %s AND split_amount = 0 "
        "AND overlay_amount = 0 AND sale_count = 0",
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
            f"WHERE s.workspace_id = %s GROUP BY c.seller_id, c.unit_id, s.channel_id, {month}",
            [workspace.pk],
        )
        return {
            (a, b, ch, int(m)): (int(sp), int(ov), int(n))
            for a, b, ch, m, sp, ov, n in c.fetchall()
            if sp or ov or n
        }


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


@transaction.atomic
def rebuild_cube(workspace: Workspace) -> None:
    """Replace the cube of ``workspace`` by a recomputation (repair after ``verify``)."""
    CubeCell.objects.for_workspace(workspace).delete()
    with connection.cursor() as c:
        apply_cube(c, workspace.pk, 1, "1 = 1")
