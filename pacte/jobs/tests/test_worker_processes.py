"""Real ``pacte worker`` processes on a database of the test's own (SQLite here, PostgreSQL in
the PostgreSQL pass): a worker killed with SIGKILL mid-import and another that completes it;
cancel before a worker takes the job and while it reads; a worker started without a database."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pacte.testing.processes import Deployment, own_database

# The subprocesses start from a copy of the test database (``migrated_database``), which
# pytest-django creates only for the tests marked as using it.
pytestmark = pytest.mark.django_db

ROWS = 60_000

QUEUE_IMPORT = """
import sys, django; django.setup()
from django.db import transaction
from pacte.accounts.models import Workspace, Membership
from pacte.sales.models import ImportJob
from pacte.sales.import_jobs import configure_import
ws = Workspace.objects.get(slug="acme")
admin = Membership.objects.for_workspace(ws).get(user__email="admin@acme.example")
mapping = {k: k for k in ("external_id", "date", "amount", "channel", "seller", "split")}
job = ImportJob.objects.create(
    workspace=ws, created_by=admin, file_path=sys.argv[1], file_name="sales.csv",
    columns=list(mapping), status="mapping",
)
with transaction.atomic():
    configure_import(job=job, actor=admin, mapping=mapping)
print(job.pk)
"""

CANCEL = """
import sys, django; django.setup()
from pacte.sales.models import ImportJob
from pacte.sales.import_jobs import request_cancel
print("ready", flush=True)
job_id = int(sys.stdin.readline())
print(request_cancel(job=ImportJob.objects.get(pk=job_id)).status, flush=True)
"""


def cancel(dep: Deployment, job_id: int, *, when: Callable[[], bool] = lambda: True) -> str:
    """Cancel through the service, from a process started beforehand, as soon as ``when``."""
    proc = dep.ready_script(CANCEL)
    dep.wait_for(when)
    out, _err = proc.communicate(f"{job_id}\n", timeout=60)
    return out.strip()


def write_sales(path: Path, rows: int = ROWS) -> Path:
    lines = ["external_id,date,amount,channel,seller,split"]
    for i in range(rows):
        credit = (
            ",seller@acme.example:70;other@acme.example:30"
            if i % 7 == 0
            else "seller@acme.example,"
        )
        lines.append(
            f"K{i},2026-{i % 12 + 1:02d}-{i % 28 + 1:02d},{i}.{i % 100:02d},field,{credit}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory, migrated_database: str) -> Iterator[str]:
    """One migrated database with the cast, copied for each test (migrating takes long)."""
    tmp = tmp_path_factory.mktemp("template")
    with own_database(tmp, "jobs_template", template=migrated_database) as url:
        Deployment(url, tmp).setup()
        yield url


@pytest.fixture
def deployment(tmp_path: Path, migrated: str) -> Iterator[Deployment]:
    with own_database(tmp_path, "jobs", template=migrated) as url:
        dep = Deployment(url, tmp_path)
        try:
            yield dep
        finally:
            dep.stop_all()


def job_row(dep: Deployment, job_id: int) -> tuple[str, int, int]:
    ((status, created, rows_read),) = dep.query(
        "SELECT status, created_count, rows_read FROM sales_importjob WHERE id = %s", [job_id]
    )
    return status, created, rows_read


def sales(dep: Deployment) -> int:
    return int(dep.query("SELECT COUNT(*) FROM sales_sale")[0][0])


def test_a_killed_worker_s_import_is_completed_by_another(deployment, tmp_path):
    dep = deployment
    job_id = int(dep.script(QUEUE_IMPORT, str(write_sales(tmp_path / "sales.csv"))))
    first = dep.start("worker", "--worker-id", "first", name="first")
    dep.wait_for(lambda: job_row(dep, job_id)[0] == "running")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert sales(dep) == 0, "a killed import wrote part of its rows"
    assert job_row(dep, job_id)[0] == "running"

    dep.start("worker", "--worker-id", "second", name="second")

    def task() -> tuple[str, list[str]]:
        ((status, workers),) = dep.query(
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE %s",
            ["%run_import_task"],
        )
        return status, json.loads(workers) if isinstance(workers, str) else workers

    dep.wait_for(lambda: task()[0] in ("SUCCESSFUL", "FAILED"), every=0.2)
    status, workers = task()
    assert status == "SUCCESSFUL"
    assert job_row(dep, job_id) == ("done", ROWS, ROWS)
    assert sales(dep) == ROWS
    assert workers == ["first", "second"]
    assert "lost its worker first: queued again" in dep.log("second")


def test_a_cancelled_queued_import_never_runs(deployment, tmp_path):
    dep = deployment
    job_id = int(dep.script(QUEUE_IMPORT, str(write_sales(tmp_path / "sales.csv", 100))))
    assert dep.query("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult")[0][0] == 1
    assert cancel(dep, job_id) == "cancelled"
    assert dep.query("SELECT COUNT(*) FROM django_tasks_database_dbtaskresult")[0][0] == 0
    worker = dep.start("worker", "--batch")
    assert worker.wait(timeout=60) == 0
    ((status, started),) = dep.query(
        "SELECT status, started_at FROM sales_importjob WHERE id = %s", [job_id]
    )
    assert (status, started) == ("cancelled", None)
    assert sales(dep) == 0


def test_a_cancel_while_reading_stops_the_import(deployment, tmp_path):
    dep = deployment
    job_id = int(dep.script(QUEUE_IMPORT, str(write_sales(tmp_path / "sales.csv"))))
    dep.start("worker")
    assert cancel(dep, job_id, when=lambda: job_row(dep, job_id)[0] == "running") == "running"
    dep.wait_for(lambda: job_row(dep, job_id)[0] not in ("queued", "running", "storing"))
    assert job_row(dep, job_id)[0] == "cancelled"
    assert sales(dep) == 0


def test_a_worker_started_without_a_database_says_so_and_waits(tmp_path):
    dep = Deployment("postgres://nobody@127.0.0.1:9/nowhere", tmp_path)
    worker = dep.start("worker")
    dep.wait_for(lambda: "cannot be reached" in dep.log(), timeout=60, every=0.2)
    assert worker.poll() is None, "the worker gave up instead of waiting for the database"
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    assert "trying again in" in dep.log()


def test_a_worker_on_a_database_not_migrated_says_to_migrate(tmp_path):
    dep = Deployment(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    worker = dep.start("worker")
    dep.wait_for(lambda: "pacte migrate" in dep.log(), timeout=60, every=0.2)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)


DUE_DIGEST = """
import datetime, django; django.setup()
from django.utils import timezone
from pacte.accounts.models import Workspace
from pacte.jobs.models import Schedule
from pacte.jobs.scheduler import ensure_schedules, zone_of
ensure_schedules()
ws = Workspace.objects.get(slug="acme")
Schedule.objects.exclude(workspace=ws, kind="digest").update(enabled=False)
slot = (timezone.now() - datetime.timedelta(minutes=2)).astimezone(zone_of(ws))
Schedule.objects.for_workspace(ws).filter(kind="digest").update(
    weekday=slot.weekday(), hour=slot.hour, minute=slot.minute,
    active_since=timezone.now() - datetime.timedelta(days=1),
)
"""


def test_two_schedulers_started_at_once_send_a_due_digest_once(deployment):
    dep = deployment
    dep.script(DUE_DIGEST)
    schedulers = [dep.start("scheduler", "--once", name=f"scheduler{i}") for i in (1, 2)]
    assert [s.wait(timeout=120) for s in schedulers] == [0, 0]
    assert dep.query("SELECT COUNT(*) FROM jobs_schedulerun")[0][0] == 1
    worker = dep.start("worker", "--batch", "--with-scheduler")
    assert worker.wait(timeout=120) == 0
    ((status, count),) = dep.query("SELECT status, count FROM jobs_schedulerun")
    members = dep.query(
        "SELECT COUNT(*) FROM accounts_membership m JOIN accounts_workspace w "
        "ON w.id = m.workspace_id WHERE w.slug = 'acme' AND m.is_active"
    )[0][0]
    assert (status, count) == ("done", members)
    assert dep.log().count("Subject: Your week in Pacte: Acme") == members
    tasks = dep.query(
        "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE task_path LIKE %s",
        ["%run_schedule_task"],
    )
    assert tasks == [(1,)]
