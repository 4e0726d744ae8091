"""What a data source's schedule runs (``pacte.jobs.kinds``: ``source_sync_*``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from pacte.jobs.models import ScheduleRun
from pacte.sources.models import Connection, SyncMode, SyncRun, SyncStatus


def run_scheduled_sync(run: ScheduleRun) -> int:
    """One slot of a connection's schedule: an incremental sync, or a full reconciliation
    when the last one is older than the connection's period. Runs on the worker that took
    the slot; a slot taken up again after a lost worker finds its sync and runs it again
    (nothing of the first attempt was committed). Returns the rows read."""
    from pacte.sources.sync import run_sync

    connection = (
        Connection.objects.for_workspace(run.workspace_id).filter(uuid=run.target).first()
        if run.target
        else None
    )
    if connection is None:
        return 0
    marker = f"schedule:{run.pk}"
    sync = (
        SyncRun.objects.for_workspace(run.workspace_id)
        .filter(connection=connection, task_id=marker)
        .first()
    )
    if sync is None:
        if (
            SyncRun.objects.for_workspace(run.workspace_id)
            .filter(connection=connection, status__in=[SyncStatus.QUEUED, SyncStatus.RUNNING])
            .exclude(mode__in=[SyncMode.DRY_RUN, SyncMode.WEBHOOK])
            .exists()
        ):
            return 0  # a sync started by hand is under way: this slot is covered
        full_due = connection.last_full_at is None or connection.last_full_at < (
            timezone.now() - timedelta(days=connection.full_every_days)
        )
        sync = SyncRun.objects.create(
            workspace_id=run.workspace_id,
            connection=connection,
            connection_name=connection.name,
            mode=SyncMode.FULL if full_due else SyncMode.INCREMENTAL,
            task_id=marker,
        )
    done = run_sync(sync.pk)
    return int(done.rows_read)
