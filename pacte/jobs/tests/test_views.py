"""The schedules page and API: last and next run, changes audited and versioned."""

from __future__ import annotations

import datetime as dt
import html
from datetime import UTC

from django.urls import reverse

from pacte.audit.models import AuditEvent
from pacte.jobs.models import RunStatus, Schedule, ScheduleRun
from pacte.jobs.scheduler import ensure_schedules


def test_page_shows_each_schedule_with_its_last_and_next_run(cast, login):
    ensure_schedules([cast.workspace])
    ScheduleRun.objects.create(
        workspace=cast.workspace,
        kind="objective_reminder",
        due_at=dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC),
        status=RunStatus.DONE,
        count=0,
        message_code="no_window",
    )
    client = login(cast.admin)
    client.post(reverse("accounts:set_language"), {"language": "fr"})
    page = html.unescape(client.get(reverse("jobs:schedules")).content.decode())
    for label in (
        "Récapitulatif hebdomadaire",
        "Rappels d'objectif",
        "Photo mensuelle des prévisions",
    ):
        assert label in page
    assert "Aucune fenêtre de fixation des objectifs n'était ouverte ce jour-là." in page
    assert "3 mars 2026, 09:00" in page.replace("\u202f", " ").replace("\xa0", " ")  # local
    assert "Prochaine exécution" in page


def test_admin_moves_the_digest_with_an_audit_event(cast, login):
    ensure_schedules([cast.workspace])
    client = login(cast.admin)
    response = client.post(
        reverse("jobs:schedules"),
        {
            "kind": "digest",
            "digest-version": "1",
            "digest-enabled": "on",
            "digest-weekday": "1",
            "digest-at": "07:30",
        },
    )
    assert response.status_code == 302
    schedule = Schedule.objects.for_workspace(cast.workspace).get(kind="digest")
    assert (schedule.weekday, schedule.hour, schedule.minute, schedule.version) == (1, 7, 30, 2)
    event = AuditEvent.objects.get(action="schedule.updated")
    assert (event.before["weekday"], event.after["weekday"]) == (0, 1)
    assert event.actor == cast.admin


def test_a_stale_change_is_refused_on_the_page(cast, login):
    ensure_schedules([cast.workspace])
    Schedule.objects.for_workspace(cast.workspace).filter(kind="digest").update(version=3)
    response = login(cast.executive).post(
        reverse("jobs:schedules"),
        {"kind": "digest", "digest-version": "1", "digest-weekday": "1", "digest-at": "07:30"},
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert Schedule.objects.for_workspace(cast.workspace).get(kind="digest").weekday == 0


def test_api_lists_and_changes_schedules(cast):
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {cast.token(cast.admin)}")
    listed = client.get("/api/v1/jobs/schedules").json()
    assert [s["kind"] for s in listed] == [
        "digest",
        "objective_reminder",
        "forecast_snapshot",
        "period_review",
    ]
    digest = listed[0]
    assert digest["time_zone"] == "Europe/Paris"
    assert digest["next_run"] is not None
    url = f"/api/v1/jobs/schedules/{digest['uuid']}"
    changed = client.patch(
        url, {"version": 1, "enabled": False}, content_type="application/json"
    ).json()
    assert (changed["enabled"], changed["next_run"], changed["version"]) == (False, None, 2)
    stale = client.patch(url, {"version": 1, "hour": 6}, content_type="application/json")
    assert stale.status_code == 412
    bad = client.patch(url, {"hour": 24}, content_type="application/json")
    assert bad.status_code == 422


def test_the_workspace_time_zone_must_be_known(cast):
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {cast.token(cast.admin)}")
    response = client.patch(
        "/api/v1/workspace", {"time_zone": "Mars/Olympus"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["field"] == "time_zone"
    assert "Mars/Olympus" in response.json()["message"]
