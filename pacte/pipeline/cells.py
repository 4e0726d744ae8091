"""The pipeline cells: (seller, team, channel, month, category, credit kind) → open deals,
amount, weighted amount. Rebuilt by set-based SQL for the sellers a write touched, inside the
write's transaction, so pages read a few hundred cells and never scan deals."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from pacte.accounts.models import Workspace
from pacte.pipeline.models import DealStatus, PipelineCell

#: Beyond this many sellers, rebuilding the whole workspace is cheaper than a long IN list.
WHOLE_WORKSPACE = 500

_INSERT = """
INSERT INTO pipeline_pipelinecell
    (workspace_id, seller_id, unit_id, channel_id, month, category, kind, deals, amount, weighted)
SELECT d.workspace_id, c.seller_id, p.unit_id, d.channel_id, d.month, d.category, c.kind,
       COUNT(*), SUM(c.amount), SUM(c.amount * d.probability / 100)
FROM pipeline_dealcredit c
JOIN pipeline_deal d ON d.id = c.deal_id
LEFT JOIN org_placement p
    ON p.membership_id = c.seller_id AND p.workspace_id = c.workspace_id
    AND p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to > %s)
WHERE c.workspace_id = %s AND d.status = %s {sellers}
GROUP BY d.workspace_id, c.seller_id, p.unit_id, d.channel_id, d.month, d.category, c.kind
"""


def rebuild_cells(workspace: Workspace | int, seller_ids: Sequence[int] | None = None) -> None:
    """Rebuild the cells of ``seller_ids`` (every seller when None or many)."""
    ws_id = workspace if isinstance(workspace, int) else workspace.pk
    ids = None if seller_ids is None or len(seller_ids) > WHOLE_WORKSPACE else list(seller_ids)
    if ids is not None and not ids:
        return
    cells = PipelineCell.objects.for_workspace(ws_id)
    if ids is not None:
        cells = cells.filter(seller_id__in=ids)
    cells._raw_delete(cells.db)  # no cascade: a plain DELETE
    today = timezone.localdate()
    sql = _INSERT.format(
        sellers="" if ids is None else f"AND c.seller_id IN ({', '.join(['%s'] * len(ids))})"
    )
    with connection.cursor() as c:
        c.execute(sql, [today, today, ws_id, DealStatus.OPEN, *(ids or [])])
