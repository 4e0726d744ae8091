"""What other features hear of a sync: outbound webhooks (``sync.done``, ``sync.failed``).
Called explicitly by the sync engine, never through signals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from pacte.webhooks.events import emit

if TYPE_CHECKING:
    from pacte.sources.models import Connection, SyncRun


def sync_finished(connection: Connection | None, run: SyncRun) -> None:
    """A sync ended (done or failed); ``connection`` is None when it was deleted meanwhile.
    Called after the sync's transaction committed: the event is written on its own."""
    from pacte.sources.models import SyncMode, SyncStatus

    if run.mode == SyncMode.DRY_RUN or run.status not in (SyncStatus.DONE, SyncStatus.FAILED):
        return
    failed = run.status == SyncStatus.FAILED
    emit(
        run.workspace_id,
        "sync.failed" if failed else "sync.done",
        {
            "source": str(connection.uuid) if connection else "",
            "sync": str(run.uuid),
            "name": connection.name if connection else run.connection_name,
            "mode": run.mode,
            "created": run.new_count,
            "updated": run.changed_count,
            "deleted": run.deleted_count,
            "unchanged": run.unchanged_count,
            "errors": run.error_count,
            "message": run.message,
            "url": reverse("sources:detail", args=[connection.uuid]) if connection else "",
        },
    )
