"""/healthz's queue and workers, and /metrics behind its token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from pacte.jobs.models import TaskStat, WorkerHeartbeat
from pacte.jobs.queue import count
from pacte.sales.models import ImportJob
from pacte.sales.tasks import run_import_task

DB_TASKS = {"default": {"BACKEND": "pacte.jobs.backend.DatabaseBackend"}}


@pytest.fixture
def database_queue(settings):
    settings.TASKS = DB_TASKS
    settings.PACTE_JOB_LEASE_SECONDS = 60.0


def test_healthz_is_ok_with_an_empty_queue_and_no_worker(db, client, database_queue):
    response = client.get("/healthz")
    assert response.status_code == 200
    jobs = response.json()["jobs"]
    assert jobs["status"] == "ok"
    assert (jobs["waiting"], jobs["workers"]["alive"]) == (0, 0)


def test_healthz_fails_when_jobs_wait_and_no_worker_lives(cast, client, database_queue):
    run_import_task.enqueue(ImportJob.objects.create(workspace=cast.workspace).pk)
    WorkerHeartbeat.objects.create(
        worker_id="gone", hostname="h", pid=1, last_seen=timezone.now() - timedelta(minutes=5)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["jobs"]["status"], body["jobs"]["waiting"]) == (
        "degraded",
        "failing",
        1,
    )
    assert body["jobs"]["workers"]["alive"] == 0
    assert body["jobs"]["workers"]["last_seen"] is not None
    # The load balancer's view (deploy/Caddyfile): this web process can serve.
    web = client.get("/healthz?scope=web")
    assert web.status_code == 200
    assert web.json()["jobs"]["status"] == "failing"
    WorkerHeartbeat.objects.create(worker_id="alive", hostname="h", pid=2)
    assert client.get("/healthz").status_code == 200


def test_healthz_fails_when_the_oldest_job_waits_too_long(cast, client, database_queue, settings):
    from django_tasks_db.models import DBTaskResult

    settings.PACTE_HEALTH_MAX_WAIT_SECONDS = 60.0
    WorkerHeartbeat.objects.create(worker_id="alive", hostname="h", pid=2)
    result = run_import_task.enqueue(ImportJob.objects.create(workspace=cast.workspace).pk)
    assert client.get("/healthz").status_code == 200
    DBTaskResult.objects.filter(id=result.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=2)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["jobs"]["oldest_wait_seconds"] >= 120


def test_metrics_are_hidden_without_a_token(db, client, settings):
    settings.PACTE_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.PACTE_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_metrics_expose_requests_by_route_jobs_and_the_queue(
    cast, client, settings, database_queue
):
    settings.PACTE_METRICS_TOKEN = "s3cret-token"
    run_import_task.enqueue(ImportJob.objects.create(workspace=cast.workspace).pk)
    count("run_import_task", "successful", 2.0, rows=1500)
    count("run_import_task", "failed", 0.05)
    client.get("/healthz")
    client.get(f"/people/{cast.seller.uuid}/")
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'pacte_request_duration_seconds_count{method="GET",route="healthz",status="2xx"}' in text
    assert 'route="org:person"' in text
    assert str(cast.seller.uuid) not in text, "a raw path became a label"
    assert 'pacte_jobs_waiting{task="run_import_task"} 1.0' in text
    assert 'pacte_jobs_total{outcome="successful",task="run_import_task"} 1.0' in text
    assert 'pacte_jobs_total{outcome="failed",task="run_import_task"} 1.0' in text
    assert 'pacte_job_rows_total{task="run_import_task"} 1500.0' in text
    assert (
        'pacte_job_duration_seconds_bucket{le="5.0",outcome="successful",task="run_import_task"} 1.0'
        in text
    )
    assert (
        'pacte_job_duration_seconds_bucket{le="1.0",outcome="successful",task="run_import_task"} 0.0'
        in text
    )
    assert "pacte_workers_alive 0.0" in text
    assert TaskStat.objects.count() == 2
