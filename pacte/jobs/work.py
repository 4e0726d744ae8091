"""Work members start that runs on a worker: a rule change that credits many sales again, a
large cascade. The member's request stores a ``BackgroundJob`` and queues it; a worker runs it
once, in one transaction with the job's own "done", so that a worker lost halfway leaves
nothing behind and the job taken up again by another worker starts afresh.

To add a kind: an entry in ``WORK`` whose ``run`` is the dotted path of a function
``(job: BackgroundJob) -> dict`` (its result, kept on the job; ``rows`` is counted on
/metrics) that runs inside the job's transaction and raises ``DomainError`` to refuse (the job
ends "failed" with that message, in its creator's language)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from pacte import logs
from pacte.accounts.models import Membership, Workspace
from pacte.errors import DomainError
from pacte.jobs.models import BackgroundJob, JobStatus

logger = logging.getLogger("pacte.jobs")


@dataclass(frozen=True)
class WorkKind:
    label: Promise
    run: str


WORK: dict[str, WorkKind] = {
    "rule_change": WorkKind(_("Crediting rule change"), "pacte.sales.work.apply_rule_change"),
    "cascade": WorkKind(_("Cascade run"), "pacte.planning.work.create_run"),
    "publish": WorkKind(_("Run publication"), "pacte.planning.work.publish_run"),
    "rerun": WorkKind(_("Re-run for a new target"), "pacte.planning.work.rerun_for_target"),
}

#: Why a job failed when its runner did not say (``BackgroundJob.message_code``).
FAILURE_MESSAGES = {
    "failed": _("Stopped on an unexpected error; see the worker's log."),
    "retries_exhausted": _("The database kept failing after several attempts."),
    "worker_lost": _("The process running it stopped several times."),
}


def start(
    *, workspace: Workspace, actor: Membership | None, kind: str, params: dict[str, Any]
) -> BackgroundJob:
    """Store a job and queue it when the current transaction commits."""
    from pacte.jobs.tasks import run_background_job

    if kind not in WORK:
        raise ValueError(f"unknown background job kind {kind!r}")
    job = BackgroundJob.objects.create(
        workspace=workspace,
        created_by=actor,
        kind=kind,
        params=params,
        request_id=str(logs.current().get("request_id", ""))[:128],
    )
    logger.info("Background job %s (%s) queued", job.uuid, kind)
    job_id = job.pk
    transaction.on_commit(lambda: run_background_job.enqueue(job_id))
    return job


def language_of(job: BackgroundJob) -> str:
    creator = job.created_by.user.language if job.created_by else ""
    return creator or job.workspace.language or settings.LANGUAGE_CODE


def run(job_id: int) -> dict[str, Any]:
    """Run a queued job (the task's body). Idempotent: a finished job is left as it is."""
    job = (
        BackgroundJob.objects.select_related("workspace", "created_by__user")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        logger.warning("Background job %s no longer exists (its workspace was deleted?)", job_id)
        return {"status": "gone", "rows": 0}
    with logs.bind(request_id=job.request_id or "-", job=str(job.uuid)):
        if job.is_finished:
            logger.info("Background job %s is already %s: nothing to do", job.uuid, job.status)
            return {"status": job.status, "rows": 0}
        BackgroundJob.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING, started_at=timezone.now()
        )
        logger.info("Background job %s (%s) started", job.uuid, job.kind)
        runner = import_string(WORK[job.kind].run)
        with translation.override(language_of(job)):
            try:
                with transaction.atomic():
                    locked = BackgroundJob.objects.select_for_update().get(pk=job.pk)
                    if locked.is_finished:
                        return {"status": locked.status, "rows": 0}
                    result = dict(runner(job) or {})
                    BackgroundJob.objects.filter(pk=job.pk).update(
                        status=JobStatus.DONE,
                        result=result,
                        message_code="",
                        message="",
                        finished_at=timezone.now(),
                    )
            except DomainError as exc:
                logger.info("Background job %s refused: %s", job.uuid, exc.message)
                _finish_failed(job.pk, exc.code or "refused", exc.message)
                return {"status": JobStatus.FAILED, "rows": 0}
        logger.info("Background job %s (%s) done: %s", job.uuid, job.kind, result)
        return {"status": JobStatus.DONE, "rows": int(result.get("rows", 0) or 0)}


def give_up(job_id: int, *, reason: str) -> None:
    """The job failed for good (a bug, the database kept failing, its workers kept dying): it
    ends "failed" with the reason in its creator's language. Its transaction never
    committed: nothing was changed."""
    job = (
        BackgroundJob.objects.select_related("workspace", "created_by__user")
        .filter(pk=job_id)
        .first()
    )
    if job is None or job.is_finished:
        return
    with translation.override(language_of(job)):
        message = str(FAILURE_MESSAGES.get(reason, FAILURE_MESSAGES["failed"]))
    with logs.bind(request_id=job.request_id or "-", job=str(job.uuid)):
        logger.warning("Background job %s (%s) failed for good: %s", job.uuid, job.kind, reason)
    _finish_failed(job_id, reason, message)


def message_of(job: BackgroundJob) -> str:
    """The failure message in the active language when it is one of ours, else as written (a
    refusal, in its creator's language)."""
    if job.message_code in FAILURE_MESSAGES:
        return str(FAILURE_MESSAGES[job.message_code])
    return job.message


def job_out(job: BackgroundJob) -> dict[str, Any]:
    """A job as the API shows it."""
    from django.urls import reverse

    return {
        "uuid": job.uuid,
        "kind": job.kind,
        "label": str(WORK[job.kind].label) if job.kind in WORK else job.kind,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "created_by": job.created_by.uuid if job.created_by else None,
        "created_by_name": job.created_by.name if job.created_by else "",
        "result": job.result,
        "message_code": job.message_code,
        "message": message_of(job),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": reverse("api:job_detail", args=[job.uuid]),
    }


def _finish_failed(job_id: int, code: str, message: str) -> None:
    BackgroundJob.objects.filter(pk=job_id).exclude(status=JobStatus.DONE).update(
        status=JobStatus.FAILED,
        message_code=code[:40],
        message=message,
        finished_at=timezone.now(),
    )
