"""Publishing a run and re-running it for a new target in a workspace with many sellers: queued
for a worker with a page to follow and a 202 answer in the API, run once, a refusal (a run
changed since it was read) ended "failed" with the reason in the creator's language; the
admins' list of the workspace's background work."""

from __future__ import annotations

import html
import json

import pytest
from django.test import Client
from django.urls import reverse

from pacte.audit.models import AuditEvent
from pacte.jobs import work
from pacte.jobs.models import BackgroundJob, JobStatus
from pacte.jobs.tests.test_queue import make_worker, run_next
from pacte.jobs.tests.test_work import queued  # noqa: F401  (fixture)
from pacte.planning import services as planning
from pacte.planning.models import CascadeRun, RunStatus
from pacte.planning.runs import create_run, publish_run
from pacte.planning.tests.conftest import next_year

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(cast) -> CascadeRun:
    fy = next_year(cast)
    planning.set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=1_000_000_00
    )
    return create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})


def api(cast, who: str = "admin") -> Client:
    return Client(headers={"Authorization": f"Bearer {cast.token(getattr(cast, who))}"})


def test_publishing_goes_to_a_worker_and_its_page_links_the_run(
    queued,  # noqa: F811
    cast,
    draft,
    login,
    django_capture_on_commit_callbacks,
):
    client = login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("planning:publish", args=[draft.uuid]),
            {"version": draft.version, "replaces": ""},
        )
    job = BackgroundJob.objects.get()
    assert r.status_code == 302
    assert r["Location"] == reverse("work:job", args=[job.uuid])
    assert (job.kind, job.status) == ("publish", "queued")
    draft.refresh_from_db()
    assert draft.status == RunStatus.DRAFT, "published in the request"

    assert run_next(make_worker()).status == "SUCCESSFUL"
    job.refresh_from_db()
    draft.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.result["run"] == str(draft.uuid)
    assert draft.status == RunStatus.PUBLISHED
    assert AuditEvent.objects.get(action="cascade.published").actor_id == cast.admin.pk
    page = client.get(reverse("work:job", args=[job.uuid])).content.decode()
    assert "Done." in page
    assert reverse("planning:run", args=[draft.uuid]) in page

    # Queued again: nothing is published twice.
    from pacte.jobs.tasks import run_background_job

    run_background_job.enqueue(job.pk)
    assert run_next(make_worker("w2")).status == "SUCCESSFUL"
    assert AuditEvent.objects.filter(action="cascade.published").count() == 1


def test_a_stale_publication_fails_with_the_reason_in_french(
    queued,  # noqa: F811
    cast,
    draft,
    django_capture_on_commit_callbacks,
):
    cast.admin.user.language = "fr"
    cast.admin.user.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        r = api(cast).post(
            f"/api/v1/targets/runs/{draft.uuid}/publish",
            data=json.dumps({"version": draft.version + 5}),
            content_type="application/json",
        )
    assert r.status_code == 202, r.content
    body = r.json()
    assert (body["kind"], body["status"]) == ("publish", "queued")
    assert body["created_by"] == str(cast.admin.uuid)
    run_next(make_worker())
    job = BackgroundJob.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("« FY"), job.message
    assert "a été modifié par quelqu'un d'autre" in job.message
    draft.refresh_from_db()
    assert draft.status == RunStatus.DRAFT
    assert not AuditEvent.objects.filter(action="cascade.published").exists()
    body = api(cast).get(body["url"]).json()
    assert body["status"] == "failed"
    assert "a été modifié" in body["message"]


def test_a_publication_refused_for_a_new_reference_fails(
    queued,  # noqa: F811
    cast,
    draft,
    django_capture_on_commit_callbacks,
):
    """The publisher reviewed the changes against no reference; one was published since."""
    other = create_run(
        workspace=cast.workspace, actor=None, fiscal_year=draft.fiscal_year, parameters={}
    )
    with django_capture_on_commit_callbacks(execute=True):
        work.start(
            workspace=cast.workspace,
            actor=cast.admin,
            kind="publish",
            params={"run": str(draft.uuid), "version": None, "replaces": None},
        )
    publish_run(run=other, actor=None)
    run_next(make_worker())
    job = BackgroundJob.objects.get()
    assert (job.status, job.message_code) == (JobStatus.FAILED, "reference_changed")
    assert job.message.startswith("Another run was published since"), job.message


def test_a_rerun_for_a_new_target_goes_to_a_worker(
    queued,  # noqa: F811
    cast,
    draft,
    login,
    django_capture_on_commit_callbacks,
):
    publish_run(run=draft, actor=None)
    target = planning.set_company_target(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=draft.fiscal_year,
        amount=1_200_000_00,
    )
    assert target.amount == 1_200_000_00
    with django_capture_on_commit_callbacks(execute=True):
        r = api(cast).post(f"/api/v1/targets/runs/{draft.uuid}/rerun")
    assert r.status_code == 202, r.content
    assert r.json()["kind"] == "rerun"
    assert CascadeRun.objects.count() == 1
    run_next(make_worker())
    job = BackgroundJob.objects.get()
    new = CascadeRun.objects.latest("id")
    assert job.status == JobStatus.DONE, job.message
    assert job.result["run"] == str(new.uuid)
    assert (new.status, new.total, new.created_by_id) == (
        RunStatus.DRAFT,
        1_200_000_00,
        cast.admin.pk,
    )

    # The page: the same, through the view; the target is unchanged now: refused.
    client = login(cast.admin)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("planning:rerun", args=[draft.uuid]))
    second = BackgroundJob.objects.latest("id")
    assert r["Location"] == reverse("work:job", args=[second.uuid])
    planning.set_company_target(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=draft.fiscal_year,
        amount=draft.total,
    )
    run_next(make_worker())
    second.refresh_from_db()
    assert (second.status, second.message_code) == (JobStatus.FAILED, "target_unchanged")


def test_the_background_work_list(cast, login, settings):
    settings.PACTE_BACKGROUND_RECREDIT_SALES = 0
    for n in range(55):
        BackgroundJob.objects.create(
            workspace=cast.workspace,
            created_by=cast.admin,
            kind="rule_change" if n % 2 else "cascade",
            status=JobStatus.FAILED if n == 54 else JobStatus.DONE,
            message_code="worker_lost" if n == 54 else "",
        )
    elsewhere = BackgroundJob.objects.create(workspace=cast.outsider_workspace, kind="cascade")
    cast.admin.user.language = "fr"
    cast.admin.user.save(update_fields=["language"])
    client = login(cast.admin)
    page = html.unescape(client.get(reverse("work:list")).content.decode())
    assert "Travaux en arrière-plan" in page
    assert "Modification d'une règle d'attribution" in page
    assert "Le processus qui l'exécutait s'est arrêté plusieurs fois." in page
    assert str(elsewhere.uuid) not in page
    assert 'rel="next"' in page
    second = client.get(reverse("work:list") + "?page=2").content.decode()
    assert second.count("/jobs/") >= 5
    schedules = client.get(reverse("jobs:schedules")).content.decode()
    assert reverse("work:list") in schedules

    body = api(cast).get("/api/v1/jobs/work?limit=10").json()
    assert body["count"] == 55
    assert len(body["items"]) == 10
    assert body["items"][0]["created_by_name"] == cast.admin.name
    assert str(elsewhere.uuid) not in json.dumps(body)
