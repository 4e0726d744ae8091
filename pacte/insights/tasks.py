"""Background tasks of the insights app (enqueued with ``transaction.on_commit``, given ids)."""

from __future__ import annotations

from django.tasks import task


@task
def warm_overview(workspace_id: int) -> None:
    """Compute the company overview's aggregates of the current fiscal year into the cache
    (after an import committed), so that the first executive to look does not pay for them."""
    from pacte.accounts.models import Membership, Workspace
    from pacte.insights import dashboard, periods

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return
    viewer = (
        Membership.objects.for_workspace(workspace)
        .filter(is_executive=True)
        .select_related("workspace")
        .first()
    )
    if viewer is None:
        return
    viewer.workspace = workspace
    dashboard.overview(viewer, periods.resolve_period(workspace, None))
