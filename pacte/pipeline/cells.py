"""The pipeline cells: (seller, team, channel, month, category, credit kind) → open deals,
amount, weighted amount; and their sums per team (split credits). Rebuilt by set-based SQL for
the sellers a write touched, inside the write's transaction, so pages read a few hundred cells
and never scan deals."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from pacte.accounts.models import Workspace
from pacte.pipeline.models import CreditKind, DealStatus, PipelineCell, TeamPipelineCell

#: Beyond this many sellers, rebuilding the whole workspace is cheaper than a long IN list.
WHOLE_WORKSPACE = 500

_INSERT = """
INSERT INTO pipeline_pipelinecell
    (workspace_id, seller_id, unit_id, channel_id, month, category, kind, deals, amount, weighted)
SELECT %s, a.seller_id, p.unit_id, a.channel_id, a.month, a.category, a.kind,
       a.deals, a.amount, a.weighted
FROM (
    SELECT c.seller_id, d.channel_id, d.month, d.category, c.kind,
           COUNT(*) AS deals, SUM(c.amount) AS amount,
           SUM(c.amount * d.probability / 100) AS weighted
    FROM pipeline_dealcredit c
    JOIN pipeline_deal d ON d.id = c.deal_id
    WHERE c.workspace_id = %s AND d.status = %s {sellers}
    GROUP BY c.seller_id, d.channel_id, d.month, d.category, c.kind
) a
LEFT JOIN org_placement p
    ON p.membership_id = a.seller_id AND p.workspace_id = %s
    AND p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to > %s)
"""

_INSERT_TEAMS = """
INSERT INTO pipeline_teampipelinecell
    (workspace_id, unit_id, channel_id, month, category, deals, amount, weighted)
SELECT workspace_id, unit_id, channel_id, month, category, SUM(deals), SUM(amount), SUM(weighted)
FROM pipeline_pipelinecell
WHERE workspace_id = %s AND kind = %s {units}
GROUP BY workspace_id, unit_id, channel_id, month, category
"""


def rebuild_cells(workspace: Workspace | int, seller_ids: Sequence[int] | None = None) -> None:
    """Rebuild the cells of ``seller_ids`` (every seller when None or many), then the team
    sums of every team those sellers' cells were or are now in."""
    ws_id = workspace if isinstance(workspace, int) else workspace.pk
    ids = None if seller_ids is None or len(seller_ids) > WHOLE_WORKSPACE else list(seller_ids)
    if ids is not None and not ids:
        return
    cells = PipelineCell.objects.for_workspace(ws_id)
    units: set[int | None] = set()
    if ids is not None:
        cells = cells.filter(seller_id__in=ids)
        units = _units_of(cells)
    cells._raw_delete(cells.db)  # no cascade: a plain DELETE
    today = timezone.localdate()
    sql = _INSERT.format(
        sellers="" if ids is None else f"AND c.seller_id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as c:
        c.execute(sql, [ws_id, ws_id, DealStatus.OPEN, *(ids or []), ws_id, today, today])
    _rebuild_teams(ws_id, None if ids is None else units | _units_of(cells))


def _units_of(cells: QuerySet[PipelineCell]) -> set[int | None]:
    return set(cells.values_list("unit_id", flat=True).distinct().order_by())


def _rebuild_teams(ws_id: int, units: Collection[int | None] | None) -> None:
    """Replace the team sums of ``units`` (``None`` among them: the sellers placed nowhere;
    every team when ``units`` is None)."""
    teams = TeamPipelineCell.objects.for_workspace(ws_id)
    condition, params = "", []
    if units is not None:
        if not units:
            return
        placed = sorted(u for u in units if u is not None)
        parts = [f"unit_id IN ({', '.join(['%s'] * len(placed))})"] if placed else []
        if None in units:
            parts.append("unit_id IS NULL")
        condition, params = f"AND ({' OR '.join(parts)})", placed
        which = Q(unit_id__in=placed)
        if None in units:
            which |= Q(unit_id__isnull=True)
        teams = teams.filter(which)
    teams._raw_delete(teams.db)
    with connection.cursor() as c:
        c.execute(_INSERT_TEAMS.format(units=condition), [ws_id, CreditKind.SPLIT, *params])
