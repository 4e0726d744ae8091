"""The task that runs one slot of a schedule."""

from __future__ import annotations

import logging

from django.db.models import Q
from django.tasks import TaskContext, task
from django.utils import timezone
from django.utils.module_loading import import_string

from pacte.jobs.kinds import KINDS
from pacte.jobs.models import RunStatus, ScheduleRun
from pacte.jobs.queue import on_give_up

logger = logging.getLogger("pacte.jobs")


@task(takes_context=True)
def run_schedule_task(context: TaskContext, run_id: int) -> dict[str, object]:
    """Run one slot: claimed by this job alone (a second job of the same run, enqueued by a
    scheduler that recovered it, does nothing), run, and its outcome stored on the run."""
    me = str(context.task_result.id)
    claimed = (
        ScheduleRun.objects.filter(pk=run_id)
        .filter(Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, task_id=me))
        .update(status=RunStatus.RUNNING, task_id=me, started_at=timezone.now())
    )
    if not claimed:
        if not ScheduleRun.objects.filter(pk=run_id).exists():
            logger.warning("Schedule run %s no longer exists (its workspace was deleted?)", run_id)
        else:
            logger.info("Schedule run %s is another job's: nothing to do", run_id)
        return {"status": "skipped", "rows": 0}
    run = ScheduleRun.objects.select_related("workspace").get(pk=run_id)
    runner = import_string(KINDS[run.kind].run)
    done = int(runner(run) or 0)
    ScheduleRun.objects.filter(pk=run_id).update(
        status=RunStatus.DONE, count=done, message_code=run.message_code, finished_at=timezone.now()
    )
    return {"status": "done", "count": done}


@on_give_up(run_schedule_task)
def _run_given_up(run_id: int, *, reason: str) -> None:
    ScheduleRun.objects.filter(pk=run_id).exclude(status=RunStatus.DONE).update(
        status=RunStatus.FAILED, message_code=reason, finished_at=timezone.now()
    )


@task
def run_background_job(job_id: int) -> dict[str, object]:
    """Run a job a member started (``pacte.jobs.work``): once, all or nothing."""
    from pacte.jobs import work

    return work.run(job_id)


@on_give_up(run_background_job)
def _background_given_up(job_id: int, *, reason: str) -> None:
    from pacte.jobs import work

    work.give_up(job_id, reason=reason)
