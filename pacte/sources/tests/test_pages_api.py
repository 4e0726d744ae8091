"""Data source pages and API: create with write-only credentials, edit (stale → 412), status,
sync now, delete; schedules follow the connection."""

from __future__ import annotations

import pytest

from pacte.audit.models import AuditEvent
from pacte.jobs.models import Schedule
from pacte.jobs.scheduler import ensure_schedules
from pacte.sources import services
from pacte.sources.credentials import read_secrets
from pacte.sources.models import Connection, SyncRun
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def test_create_page_stores_the_token_encrypted_and_never_shows_it(cast: Cast, login) -> None:
    client = login(cast.admin)
    assert client.get("/sources/new/?kind=https").status_code == 200
    response = client.post(
        "/sources/new/?kind=https",
        {
            "name": "ERP",
            "config_url": "https://erp.example/sales.json",
            "config_format": "json",
            "config_next_rule": "none",
            "config_auth": "bearer",
            "config_id_field": "id",
            "config_modified_field": "updated_at",
            "secret_token": "tok-123456",
            "every": "hour",
            "hour": "2",
            "full_every_days": "7",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connection = Connection.objects.get(name="ERP")
    assert response["Location"] == f"/sources/{connection.uuid}/mapping/"
    assert "tok-123456" not in connection.secrets
    assert read_secrets(connection) == {"token": "tok-123456"}
    assert connection.profile is None
    page = client.get(f"/sources/{connection.uuid}/").content.decode()
    assert "tok-123456" not in page
    assert "••• set" in page
    edit = client.get(f"/sources/{connection.uuid}/edit/").content.decode()
    assert "tok-123456" not in edit
    assert Schedule.objects.filter(target=str(connection.uuid), kind="source_sync_hour").exists()
    event = AuditEvent.objects.get(action="source.created")
    assert "tok-123456" not in str(event.after)
    assert event.after["secrets_set"] == ["token"]


def test_schedule_follows_the_cadence_and_stays_off_the_schedules_page(cast: Cast) -> None:
    connection, _ = services.create_connection(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="https",
        name="S",
        config={"url": "https://x.example/", "auth": "none"},
        every="day",
        hour=5,
    )
    schedule = Schedule.objects.get(target=str(connection.uuid))
    assert (schedule.kind, schedule.hour) == ("source_sync_day", 5)
    services.update_connection(connection=connection, actor=cast.admin, version=1, every="off")
    assert not Schedule.objects.filter(target=str(connection.uuid)).exists()
    ensure_schedules([cast.workspace])
    assert not Schedule.objects.filter(kind__startswith="source_sync", target="").exists()


def test_stale_edit_is_412(cast: Cast, api_client) -> None:
    connection, _ = services.create_connection(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="https",
        name="S",
        config={"url": "https://x.example/", "auth": "none"},
    )
    client = api_client(cast.admin)
    ok = client.patch(
        f"/api/v1/sources/{connection.uuid}",
        {"version": 1, "name": "S2"},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    stale = client.patch(
        f"/api/v1/sources/{connection.uuid}",
        {"version": 1, "name": "S3"},
        content_type="application/json",
    )
    assert stale.status_code == 412


def test_api_create_returns_the_webhook_secret_once_and_never_the_token(
    cast: Cast, api_client
) -> None:
    client = api_client(cast.admin)
    response = client.post(
        "/api/v1/sources",
        {
            "kind": "https",
            "name": "API",
            "config": {"url": "https://x.example/"},
            "secrets": {"token": "zzz-secret"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secrets_set"] == ["token"]
    assert "zzz-secret" not in response.content.decode()
    assert body["webhook_secret"]
    again = client.get(f"/api/v1/sources/{body['uuid']}").json()
    assert "webhook_secret" not in again


def test_api_refuses_an_unknown_setting_with_its_field(cast: Cast, api_client) -> None:
    response = api_client(cast.admin).post(
        "/api/v1/sources",
        {"kind": "https", "name": "X", "config": {"url": "https://x/", "colour": "red"}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "colour"


def test_sync_now_queues_one_sync_and_refuses_a_second(cast: Cast, login) -> None:
    connection, _ = services.create_connection(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="https",
        name="S",
        config={"url": "https://x.example/", "auth": "none"},
    )
    client = login(cast.admin)
    first = client.post(f"/sources/{connection.uuid}/sync/", {"mode": "incremental"})
    assert first.status_code == 302
    run = SyncRun.objects.get()
    assert first["Location"] == f"/sources/{connection.uuid}/runs/{run.uuid}/"
    assert client.get(first["Location"]).status_code == 200
    second = client.post(f"/sources/{connection.uuid}/sync/", {"mode": "incremental"}, follow=True)
    assert "already under way" in second.content.decode()
    assert SyncRun.objects.count() == 1
    status = client.get(f"/sources/{connection.uuid}/", HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in status.content.decode()


def test_delete_keeps_the_sales_and_audits(cast: Cast, login) -> None:
    connection, _ = services.create_connection(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="https",
        name="S",
        config={"url": "https://x.example/", "auth": "none"},
    )
    response = login(cast.admin).post(f"/sources/{connection.uuid}/delete/", {"version": 1})
    assert response.status_code == 302
    assert not Connection.objects.exists()
    assert AuditEvent.objects.filter(action="source.deleted").exists()
    assert not Schedule.objects.filter(target=str(connection.uuid)).exists()


def test_list_page_in_french(cast: Cast, login) -> None:
    client = login(cast.admin)
    response = client.get("/sources/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200


def test_list_page_queries_do_not_grow_with_the_sources(
    cast: Cast, login, django_assert_max_num_queries
) -> None:
    client = login(cast.admin)
    for n in range(5):
        connection, _ = services.create_connection(
            workspace=cast.workspace,
            actor=cast.admin,
            kind="https",
            name=f"S{n}",
            config={"url": "https://x.example/", "auth": "none"},
            every="hour",
        )
        SyncRun.objects.create(
            workspace=cast.workspace,
            connection=connection,
            connection_name=connection.name,
            mode="incremental",
            status="done",
            finished_at=connection.created_at,
        )
    client.get("/sources/")
    with django_assert_max_num_queries(12):
        response = client.get("/sources/")
    assert response.content.decode().count("/sources/") >= 5
