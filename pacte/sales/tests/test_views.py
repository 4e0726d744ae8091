"""Sales pages: upload → mapping (saved as profile) → job page → result; errors CSV; list."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pacte.sales.models import ImportJob, MappingProfile, Sale

pytestmark = pytest.mark.django_db


def _upload(client, content: bytes):
    r = client.post(
        reverse("sales:imports"),
        {"file": SimpleUploadedFile("s.csv", content), "source": "crm"},
    )
    assert r.status_code == 302, r.content[:500]
    return ImportJob.objects.get()


def _map(job, **extra):
    data = {
        "map_external_id": "id",
        "map_date": "date",
        "map_amount": "amount",
        "map_channel": "channel",
        "map_seller": "seller",
        "date_order": "auto",
        "amount_style": "auto",
        "profile_name": "CRM export",
    }
    data.update(extra)
    return data


def test_upload_map_and_import_end_to_end(
    cast, channels, login, django_capture_on_commit_callbacks
):
    client = login(cast.admin)
    job = _upload(
        client, b"id,date,amount,channel,seller\nV1,2026-01-15,10.50,field,seller@acme.example\n"
    )
    r = client.get(reverse("sales:import_map", args=[job.uuid]))
    assert r.status_code == 200
    assert b"map_external_id" in r.content
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("sales:import_map", args=[job.uuid]), _map(job))
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == "done"
    assert Sale.objects.get().source == "crm"
    assert MappingProfile.objects.get().mapping["external_id"] == "id"
    r = client.get(reverse("sales:import_job", args=[job.uuid]), HTTP_HX_REQUEST="true")
    assert b"1 new" in r.content
    assert b"hx-trigger" not in r.content


def test_ambiguous_dates_ask_for_the_order(cast, channels, login):
    client = login(cast.admin)
    job = _upload(
        client, b"id,date,amount,channel,seller\nV1,03/04/2026,10,field,seller@acme.example\n"
    )
    r = client.post(reverse("sales:import_map", args=[job.uuid]), _map(job))
    assert r.status_code == 200
    assert b"day-first and month-first" in r.content
    job.refresh_from_db()
    assert job.status == "mapping"


def test_running_job_page_polls_and_offers_cancel(cast, channels, login):
    client = login(cast.admin)
    job = ImportJob.objects.create(workspace=cast.workspace, status="running", progress=40)
    r = client.get(reverse("sales:import_job", args=[job.uuid]))
    assert b'hx-trigger="every 1s"' in r.content
    assert b'value="40"' in r.content
    client.post(reverse("sales:import_cancel", args=[job.uuid]))
    job.refresh_from_db()
    assert job.cancel_requested


def test_errors_download_neutralises_formulas(
    cast, channels, login, django_capture_on_commit_callbacks
):
    client = login(cast.admin)
    job = _upload(
        client, b"id,date,amount,channel,seller\n=HYPERLINK(1),2026-01-15,10,=cmd,x@acme.example\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sales:import_map", args=[job.uuid]), _map(job))
    job.refresh_from_db()
    assert job.status == "failed"
    r = client.get(reverse("sales:import_errors", args=[job.uuid]))
    body = r.content.decode("utf-8-sig")
    assert "'=cmd" in body
    assert "\n=cmd" not in body
    assert ",=cmd" not in body
    page = client.get(reverse("sales:import_job", args=[job.uuid]))
    assert b"No channel has this code or name." in page.content


def test_sales_list_is_paginated_with_pinned_queries(
    cast, channels, login, django_assert_max_num_queries
):
    from pacte.sales.services import ingest_records

    ingest_records(
        workspace=cast.workspace,
        actor=None,
        records=[
            (
                i,
                {
                    "external_id": f"P{i}",
                    "date": "2026-01-02",
                    "amount": "1",
                    "channel": "field",
                    "seller": "seller@acme.example",
                },
            )
            for i in range(1, 61)
        ],
    )
    client = login(cast.executive)
    with django_assert_max_num_queries(12):
        r = client.get(reverse("sales:list"))
    assert r.status_code == 200
    assert b"Page 1 of 2" in r.content
    r = client.get(reverse("sales:list") + "?q=P1", HTTP_HX_REQUEST="true")
    assert b"<h1>" not in r.content


def test_channels_and_rules_pages(cast, channels, login):
    client = login(cast.admin)
    r = client.post(
        reverse("sales:channels"),
        {
            "code": "partners",
            "name_en": "Partners",
            "name_fr": "Partenaires",
            "position": 3,
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    r = client.post(
        reverse("sales:rules"),
        {
            "channel": channels["e-commerce"].uuid,
            "kind": "split",
            "target": "owner",
            "owner": cast.seller.uuid,
            "priority": 100,
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    assert b"Sam Seller" in client.get(reverse("sales:rules")).content


def test_a_job_message_reads_in_the_readers_language(cast, channels, login, tmp_path):
    from pacte.sales.tests.helpers import import_file, rows

    path = tmp_path / "bad.csv"
    path.write_text(rows("L1,2026-02-30,10,field,seller@acme.example,,,,"))
    job = import_file(cast.workspace, path, created_by=cast.admin)  # written in English
    assert job.message.startswith("Some lines are wrong")
    cast.admin.user.language = "fr"
    cast.admin.user.save(update_fields=["language"])
    page = login(cast.admin).get(reverse("sales:import_job", args=[job.uuid])).content.decode()
    assert "Certaines lignes sont erronées" in page
    assert "Some lines are wrong" not in page
    # The error names the field as the mapping page does, and the file's column it came from.
    assert '<td>Date <small class="muted">(colonne «\u00a0date\u00a0»)</small></td>' in page


@pytest.mark.parametrize(("language", "shown"), [("en", "€1,234.50"), ("fr", "1\u202f234,50\xa0€")])
def test_sales_list_shows_each_sale_to_the_cent(cast, channels, login, language, shown):
    from pacte.sales.services import ingest_records

    ingest_records(
        workspace=cast.workspace,
        actor=None,
        records=[
            (
                1,
                {
                    "external_id": "C1",
                    "date": "2026-01-02",
                    "amount": "1234.50",
                    "channel": "field",
                    "seller": "seller@acme.example",
                },
            )
        ],
    )
    client = login(cast.executive)
    client.post("/account/language/", {"language": language})
    content = client.get(reverse("sales:list")).content.decode()
    assert shown in content
