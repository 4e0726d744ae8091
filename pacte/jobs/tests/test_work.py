"""Work a member starts that runs on a worker (rule changes of a workspace with many sales,
cascade runs of one with many sellers): queued with a page to follow, run once by a worker,
its result visible, a failure ended with a message in its creator's language, the request id
in the job's log lines."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from pacte.audit.models import AuditEvent
from pacte.jobs import work
from pacte.jobs.models import BackgroundJob, JobStatus
from pacte.jobs.tests.test_queue import DB_TASKS, make_worker, run_next
from pacte.planning.models import CascadeRun
from pacte.planning.tests.conftest import next_year
from pacte.sales import cube, services
from pacte.sales.models import Channel, Credit, CreditRule
from pacte.sales.tests.helpers import import_file, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings) -> None:
    """Every rule change and every cascade goes to a worker; jobs on the database queue."""
    settings.TASKS = DB_TASKS
    settings.PACTE_JOB_MAX_ATTEMPTS = 1
    settings.PACTE_BACKGROUND_RECREDIT_SALES = 0
    settings.PACTE_BACKGROUND_CASCADE_SELLERS = 0


@pytest.fixture
def channels(cast) -> dict[str, Channel]:
    return {
        code: Channel.objects.create(
            workspace=cast.workspace, code=code, name_en=code.title(), name_fr=code.title()
        )
        for code in ("e-commerce", "distributors")
    }


@pytest.fixture
def sales(cast, channels, tmp_path):
    rule = services.create_rule(
        workspace=cast.workspace,
        actor=cast.admin,
        channel=channels["e-commerce"],
        owner=cast.seller,
    )
    path = tmp_path / "sales.csv"
    path.write_text(rows("R1,2026-01-01,10,e-commerce,,,,,", "R2,2026-01-02,7,e-commerce,,,,,"))
    job = import_file(cast.workspace, path)
    assert job.status == "done", job.errors
    return rule


def owners() -> set[int]:
    return set(Credit.objects.values_list("seller_id", flat=True))


def test_a_rule_change_is_queued_then_run_once_by_a_worker(
    queued, cast, channels, sales, login, django_capture_on_commit_callbacks, caplog
):
    client = login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("sales:rule_edit", args=[sales.uuid]),
            {
                "channel": channels["e-commerce"].uuid,
                "kind": "split",
                "target": "owner",
                "owner": cast.lead.uuid,
                "priority": 100,
                "is_active": "on",
                "version": 1,
            },
            HTTP_X_REQUEST_ID="req-rule-42",
        )
    job = BackgroundJob.objects.get()
    assert r.status_code == 302
    assert r["Location"] == reverse("work:job", args=[job.uuid])
    assert (job.kind, job.status, job.request_id) == ("rule_change", "queued", "req-rule-42")
    assert owners() == {cast.seller.pk}, "the change ran in the request"
    page = client.get(reverse("work:job", args=[job.uuid])).content.decode()
    assert "Queued" in page
    assert "hx-trigger" in page

    caplog.set_level(logging.INFO, logger="pacte.jobs")
    with django_capture_on_commit_callbacks(execute=True):
        result = run_next(make_worker())
    assert result.status == "SUCCESSFUL"
    # The new credits changed the figures: the company overview is warmed again.
    assert DBTaskResult.objects.filter(task_path__endswith="warm_overview").count() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.result == {"rule": str(sales.uuid)}
    assert owners() == {cast.lead.pk}
    assert cube.verify(cast.workspace) == []
    event = AuditEvent.objects.get(action="creditrule.updated")
    assert event.actor_id == cast.admin.pk
    lines = [r for r in caplog.records if getattr(r, "job", None) == str(job.uuid)]
    assert lines
    assert {r.request_id for r in lines} == {"req-rule-42"}

    # Queued again (a scheduler or a lease gave it back): nothing is done twice.
    from pacte.jobs.tasks import run_background_job

    run_background_job.enqueue(job.pk)
    assert run_next(make_worker("w2")).status == "SUCCESSFUL"
    assert AuditEvent.objects.filter(action="creditrule.updated").count() == 1
    page = client.get(reverse("work:job", args=[job.uuid])).content.decode()
    assert "Done." in page
    assert reverse("sales:rules") in page


def test_a_refused_rule_change_fails_with_the_reason_in_its_creator_s_language(
    queued, cast, sales, login, django_capture_on_commit_callbacks
):
    cast.admin.user.language = "fr"
    cast.admin.user.save(update_fields=["language"])
    client = login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("sales:rule_delete", args=[sales.uuid]))
    assert r.status_code == 302
    run_next(make_worker())
    job = BackgroundJob.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.message_code == "sales_without_credit"
    assert job.message.startswith("2 ventes créditées par une règle"), job.message
    assert CreditRule.objects.filter(pk=sales.pk).exists(), "a refused change was applied"
    assert owners() == {cast.seller.pk}


def test_a_job_that_breaks_ends_failed_with_a_message_in_french(
    queued, cast, sales, monkeypatch, django_capture_on_commit_callbacks
):
    cast.admin.user.language = "fr"
    cast.admin.user.save(update_fields=["language"])

    def broken(job: BackgroundJob) -> dict[str, object]:
        raise ValueError("a bug")

    monkeypatch.setitem(work.WORK, "broken", work.WorkKind(work.WORK["cascade"].label, "x.y"))
    monkeypatch.setattr("pacte.jobs.work.import_string", lambda path: broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = work.start(workspace=cast.workspace, actor=cast.admin, kind="broken", params={})
    assert run_next(make_worker()).status == "FAILED"
    job.refresh_from_db()
    assert (job.status, job.message_code) == (JobStatus.FAILED, "failed")
    assert job.message == "Arrêté sur une erreur inattendue ; voir le journal du worker."


def test_a_large_cascade_runs_on_a_worker_and_the_api_follows_it(
    queued, cast, django_capture_on_commit_callbacks
):
    from pacte.planning import services as planning

    fy = next_year(cast)
    planning.set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=1_000_000_00
    )
    client = Client(headers={"Authorization": f"Bearer {cast.token(cast.admin)}"})
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/targets/runs",
            data=json.dumps({"year": f"FY{fy}"}),
            content_type="application/json",
        )
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "queued"
    assert body["kind"] == "cascade"
    assert not CascadeRun.objects.exists()
    assert DBTaskResult.objects.count() == 1
    run_next(make_worker())
    body = client.get(body["url"]).json()
    run = CascadeRun.objects.get()
    assert body["status"] == "done"
    assert body["result"]["run"] == str(run.uuid)
    assert run.created_by_id == cast.admin.pk
    assert run.status == "draft"
    # Another workspace's member does not see it.
    other = Client(headers={"Authorization": f"Bearer {cast.token(cast.outsider)}"})
    assert other.get(body["url"]).status_code in (403, 404)


def test_small_workspaces_keep_changes_in_the_request(cast, channels, sales, login):
    """The defaults: a few sales, a few sellers: done at once, as before."""
    client = login(cast.admin)
    r = client.post(
        reverse("sales:rules"),
        {
            "channel": channels["distributors"].uuid,
            "kind": "split",
            "target": "owner",
            "owner": cast.seller.uuid,
            "priority": 100,
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    assert r["Location"] == reverse("sales:rules")
    assert not BackgroundJob.objects.exists()
    assert CreditRule.objects.count() == 2
