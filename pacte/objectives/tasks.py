"""Background tasks of objectives (enqueued on commit, given ids)."""

from __future__ import annotations

from django.tasks import task


@task
def remind_objectives_task(workspace_id: int, fiscal_year: int) -> int:
    """Remind the sellers of a workspace who have not proposed for ``fiscal_year``."""
    from pacte.accounts.models import Workspace
    from pacte.objectives.services import remind

    return remind(workspace=Workspace.objects.get(pk=workspace_id), fiscal_year=fiscal_year)
