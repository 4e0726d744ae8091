"""The alert admins get when a data source's sync fails (the existing notification and e-mail
path), once per failure streak: an hourly sync failing all night alerts once, not twelve
times."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from pacte.accounts.models import Membership
from pacte.objectives.services import notify
from pacte.sources.models import SyncMode, SyncRun, SyncStatus


def after_sync(run: SyncRun) -> int:
    """Notify the workspace's active admins of a failed sync (not a dry run), unless the
    connection's previous sync failed too. Returns how many were notified."""
    if run.status != SyncStatus.FAILED or run.mode == SyncMode.DRY_RUN:
        return 0
    if run.connection_id is not None:
        previous = (
            SyncRun.objects.for_workspace(run.workspace_id)
            .filter(connection_id=run.connection_id, finished_at__isnull=False)
            .exclude(pk=run.pk)
            .exclude(mode=SyncMode.DRY_RUN)
            .order_by("-finished_at", "-pk")
            .values_list("status", flat=True)
            .first()
        )
        if previous == SyncStatus.FAILED:
            return 0
        url = reverse("sources:detail", args=[run.connection.uuid]) if run.connection else ""
    else:
        url = ""
    admins = list(
        Membership.objects.for_workspace(run.workspace_id)
        .filter(is_admin=True, is_active=True, is_pending=False)
        .select_related("user", "workspace")
    )
    with transaction.atomic():
        for admin in admins:
            notify(
                recipient=admin,
                kind="sync_failed",
                params={"name": run.connection_name, "message": run.message},
                url=url,
            )
    return len(admins)
