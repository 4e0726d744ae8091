"""The worker's layer over django-tasks-db, in process: retries with backoff, failing for
good with a message in the creator's language, leases of dead workers, withdrawn jobs, jobs of
a deleted workspace."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pacte.jobs import queue
from pacte.jobs.models import TaskStat, WorkerHeartbeat
from pacte.jobs.tests import tasks
from pacte.jobs.worker import Worker, register
from pacte.sales.models import ImportJob, ImportStatus
from pacte.sales.tasks import run_import_task

DB_TASKS = {"default": {"BACKEND": "pacte.jobs.backend.DatabaseBackend"}}


@pytest.fixture
def database_queue(settings) -> None:
    settings.TASKS = DB_TASKS
    settings.PACTE_JOB_MAX_ATTEMPTS = 3
    settings.PACTE_JOB_RETRY_SECONDS = 5.0
    settings.PACTE_JOB_LEASE_SECONDS = 60.0


def make_worker(name: str = "w1") -> Worker:
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=name,
        excluded_queue_names=[],
    )
    register(name)
    return worker


def run_next(worker: Worker) -> DBTaskResult:
    result = worker._claim()
    assert result is not None, "no job was ready"
    worker.run_task(result)
    result.refresh_from_db()
    return result


def make_ready(result_id: str) -> None:
    DBTaskResult.objects.filter(id=result_id).update(run_after=timezone.now())


def test_a_transient_error_is_retried_with_a_growing_delay(db, database_queue):
    tasks.SEEN.clear()
    result_id = tasks.flaky.enqueue("a", 2).id
    worker = make_worker()
    before = timezone.now()
    first = run_next(worker)
    assert first.status == TaskResultStatus.READY
    assert 5 <= (first.run_after - before).total_seconds() <= 6
    assert worker._claim() is None, "a job waiting for its retry delay was run early"
    make_ready(result_id)
    second = run_next(worker)
    assert second.status == TaskResultStatus.READY
    assert 10 <= (second.run_after - timezone.now()).total_seconds() <= 11.5
    make_ready(result_id)
    third = run_next(worker)
    assert third.status == TaskResultStatus.SUCCESSFUL
    assert tasks.SEEN["a"] == 3
    assert TaskStat.objects.get(task="flaky", outcome="retried").count == 2
    assert TaskStat.objects.get(task="flaky", outcome="successful").rows == 7
    assert WorkerHeartbeat.objects.get(worker_id="w1").task_id is None


def test_a_transient_error_on_the_last_attempt_fails_the_job(db, database_queue):
    tasks.SEEN.clear()
    result_id = tasks.flaky.enqueue("b", 10).id
    worker = make_worker()
    for _attempt in range(2):
        assert run_next(worker).status == TaskResultStatus.READY
        make_ready(result_id)
    last = run_next(worker)
    assert last.status == TaskResultStatus.FAILED
    assert last.exception_class_path == "django.db.utils.OperationalError"


def test_a_bug_fails_the_import_with_a_message_in_the_creator_s_language(
    cast, database_queue, monkeypatch, caplog
):
    cast.admin.user.language = "fr"
    cast.admin.user.save()
    job = ImportJob.objects.create(
        workspace=cast.workspace, created_by=cast.admin, status=ImportStatus.QUEUED
    )
    run_import_task.enqueue(job.pk)

    def explode(**kwargs: object) -> None:
        raise KeyError("a bug in the import")

    monkeypatch.setattr("pacte.sales.import_jobs.run_import", explode)
    with caplog.at_level(logging.ERROR, logger="pacte.jobs"):
        result = run_next(make_worker())
    assert result.status == TaskResultStatus.FAILED
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.message_code == "job_failed"
    assert job.message.startswith("L'import s'est arrêté sur une erreur inattendue")
    assert job.finished_at is not None
    assert "a bug in the import" in caplog.text


def test_a_job_whose_worker_died_is_queued_again_then_failed_after_its_attempts(
    cast, database_queue
):
    cast.admin.user.language = "fr"
    cast.admin.user.save()
    job = ImportJob.objects.create(
        workspace=cast.workspace, created_by=cast.admin, status=ImportStatus.RUNNING
    )
    result_id = run_import_task.enqueue(job.pk).id
    now = timezone.now()
    for attempt in range(1, 4):
        worker = make_worker(f"dead-{attempt}")
        assert worker._claim() is not None  # ...and the process is killed here
        long_ago = now - timedelta(seconds=61)
        WorkerHeartbeat.objects.filter(worker_id=f"dead-{attempt}").update(last_seen=long_ago)
        # a live worker holding another job is not a reason to keep this one
        WorkerHeartbeat.objects.create(worker_id=f"alive-{attempt}", hostname="h", pid=1)
        assert queue.requeue_expired(now) == (0, 0), "taken back before the lease expired"
        DBTaskResult.objects.filter(id=result_id).update(started_at=long_ago)
        requeued, failed = queue.requeue_expired(now)
        if attempt < 3:
            assert (requeued, failed) == (1, 0)
            assert DBTaskResult.objects.get(id=result_id).status == TaskResultStatus.READY
    assert (requeued, failed) == (0, 1)
    result = DBTaskResult.objects.get(id=result_id)
    assert result.status == TaskResultStatus.FAILED
    assert result.worker_ids == ["dead-1", "dead-2", "dead-3"]
    job.refresh_from_db()
    assert (job.status, job.message_code) == (ImportStatus.FAILED, "worker_lost")
    assert "interrompu" in job.message


def test_a_live_worker_keeps_its_job(cast, database_queue):
    job = ImportJob.objects.create(workspace=cast.workspace, status=ImportStatus.RUNNING)
    result_id = run_import_task.enqueue(job.pk).id
    make_worker("busy")._claim()
    DBTaskResult.objects.filter(id=result_id).update(started_at=timezone.now() - timedelta(hours=3))
    assert queue.requeue_expired() == (0, 0)
    assert DBTaskResult.objects.get(id=result_id).status == TaskResultStatus.RUNNING


def test_a_cancelled_queued_import_leaves_the_queue(cast, database_queue):
    from pacte.sales.import_jobs import request_cancel

    job = ImportJob.objects.create(workspace=cast.workspace, status=ImportStatus.QUEUED)
    other = ImportJob.objects.create(workspace=cast.workspace, status=ImportStatus.QUEUED)
    run_import_task.enqueue(job.pk)
    run_import_task.enqueue(other.pk)
    assert request_cancel(job=job).status == ImportStatus.CANCELLED
    remaining = DBTaskResult.objects.get()
    assert remaining.args_kwargs["args"] == [other.pk]


def test_a_job_of_a_deleted_workspace_ends_with_a_log_line(cast, database_queue, caplog):
    job = ImportJob.objects.create(workspace=cast.workspace, status=ImportStatus.QUEUED)
    run_import_task.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).delete()  # as deleting its workspace does (cascade)
    with caplog.at_level(logging.WARNING, logger="pacte.jobs"):
        result = run_next(make_worker())
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert f"Import job {job.pk} no longer exists" in caplog.text


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_attempt(db, database_queue):
    tasks.SEEN.clear()
    result_id = tasks.flaky.enqueue("c", 0).id
    slow = make_worker("slow")
    result = slow._claim()
    assert result is not None
    # the lease expired while ``slow`` was cut from the database; ``fast`` took the job over
    DBTaskResult.objects.filter(id=result_id).update(worker_ids=["slow", "fast"])
    slow.run_task(result)
    assert DBTaskResult.objects.get(id=result_id).status == TaskResultStatus.RUNNING


def test_the_retry_delay_doubles_up_to_ten_minutes(settings):
    settings.PACTE_JOB_RETRY_SECONDS = 10.0
    assert 10 <= queue.retry_delay(1) <= 11
    assert 20 <= queue.retry_delay(2) <= 22
    assert 600 <= queue.retry_delay(12) <= 660


def test_transient_errors_are_database_errors_of_the_connection_or_locks():
    from pacte.jobs.worker import TRANSIENT

    assert issubclass(OperationalError, TRANSIENT)
    assert not issubclass(ValueError, TRANSIENT)
