"""Background tasks of data sources (enqueued on commit, given ids)."""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Q
from django.tasks import TaskContext, task

from pacte.jobs.queue import on_give_up

logger = logging.getLogger("pacte.jobs")


@task(takes_context=True)
def run_sync_task(context: TaskContext, run_id: int) -> dict[str, Any]:
    """Run one sync, claimed by this job alone (a second job of the same run does nothing; the
    same job taken up again after its worker died runs it again from the start: nothing of
    the first attempt was committed)."""
    from pacte.sources.models import SyncRun, SyncStatus
    from pacte.sources.sync import run_sync

    me = str(context.task_result.id)
    claimed = (
        SyncRun.objects.filter(pk=run_id)
        .filter(Q(status=SyncStatus.QUEUED, task_id="") | Q(task_id=me))
        .exclude(status__in=[SyncStatus.DONE, SyncStatus.FAILED])
        .update(task_id=me)
    )
    if not claimed:
        logger.info("Sync run %s is another job's or gone: nothing to do", run_id)
        return {"status": "skipped", "rows": 0}
    run = run_sync(run_id)
    return {"status": run.status, "rows": run.rows_read if run.status == "done" else 0}


@on_give_up(run_sync_task)
def _sync_given_up(run_id: int, *, reason: str) -> None:
    from pacte.sources.services import give_up_sync

    give_up_sync(run_id=run_id, reason=reason)
