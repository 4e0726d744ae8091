"""The upload limit applies to files (``PACTE_MAX_UPLOAD_BYTES``), on every page and endpoint
that takes one: a file over it stops being kept as soon as it passes the limit, and the person
reads why (HTTP 413 with code ``file_too_large`` in the API). Sizes are those of the report
(63 MB and 126 MB against 50 MB) divided by ten."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse

from pacte.accounts.models import Membership
from pacte.planning.models import Potential
from pacte.sales.models import ImportJob

pytestmark = pytest.mark.django_db

MB = 1000 * 1000
LIMIT = 5 * MB


@pytest.fixture
def limit(settings: Any) -> int:
    settings.PACTE_MAX_UPLOAD_BYTES = LIMIT
    return LIMIT


@pytest.fixture
def spooled(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The bytes written to the upload's temporary file, at most, per request."""
    seen = {"bytes": 0}
    write = TemporaryFileUploadHandler.receive_data_chunk

    def receive(self: Any, raw_data: bytes, start: int) -> Any:
        seen["bytes"] = max(seen["bytes"], start + len(raw_data))
        return write(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", receive)
    return seen


def _csv(size: int, header: bytes = b"id,date,amount,channel\n") -> bytes:
    line = b"V1,2026-01-15,10.50,field\n"
    return header + line * ((size - len(header)) // len(line) + 1)


@pytest.mark.parametrize("size", [63 * MB // 10, 126 * MB // 10])
def test_a_sales_file_over_the_limit_is_refused_before_it_is_kept(
    cast, login, limit, spooled, size
):
    r = login(cast.admin).post(
        reverse("sales:imports"),
        {"file": SimpleUploadedFile("big.csv", _csv(size)), "source": "crm"},
    )
    assert r.status_code == 200
    assert "The file is larger than the upload limit (4.8\xa0MB)." in r.content.decode()
    assert 'value="crm"' in r.content.decode()  # the rest of the form is kept
    assert spooled["bytes"] <= limit
    assert not ImportJob.objects.exists()


def test_a_sales_file_under_the_limit_goes_through(cast, login, limit):
    r = login(cast.admin).post(
        reverse("sales:imports"),
        {"file": SimpleUploadedFile("ok.csv", _csv(limit - MB)), "source": "crm"},
    )
    assert r.status_code == 302
    assert ImportJob.objects.get().columns == ["id", "date", "amount", "channel"]


def test_the_limit_message_is_translated(cast, login, limit):
    client = login(cast.admin)
    client.cookies["django_language"] = "fr"
    r = client.post(
        reverse("sales:imports"),
        {"file": SimpleUploadedFile("big.csv", _csv(2 * limit)), "source": "crm"},
    )
    assert "Le fichier dépasse la taille maximale d’envoi (4,8\xa0Mio)." in r.content.decode()


def test_people_and_potential_pages_refuse_a_file_over_the_limit(cast, login, limit):
    client = login(cast.admin)
    people = Membership.objects.for_workspace(cast.workspace).count()
    big = SimpleUploadedFile("people.csv", _csv(2 * limit, b"email,name,unit,lead_of,roles\n"))
    r = client.post(reverse("org:people_import"), {"file": big})
    assert "The file is larger than the upload limit" in r.content.decode()
    big = SimpleUploadedFile("potential.csv", _csv(2 * limit, b"seller,potential\n"))
    r = client.post(reverse("planning:potential_import"), {"file": big})
    assert "The file is larger than the upload limit" in r.content.decode()
    assert Membership.objects.for_workspace(cast.workspace).count() == people
    assert not Potential.objects.exists()


def test_people_and_potential_files_have_their_own_smaller_limit(cast, login):
    client = login(cast.admin)
    big = SimpleUploadedFile("people.csv", _csv(11 * MB, b"email,name,unit,lead_of,roles\n"))
    r = client.post(reverse("org:people_import"), {"file": big})
    assert "The file is larger than the upload limit (10.0\xa0MB)." in r.content.decode()


def test_the_api_answers_413_with_a_code(cast, login, limit, spooled):
    client = login(cast.admin)
    r = client.post(
        "/api/v1/members/import",
        {"file": SimpleUploadedFile("people.csv", _csv(2 * limit))},
    )
    assert r.status_code == 413
    assert r.json()["code"] == "file_too_large"
    assert spooled["bytes"] <= limit
    r = client.post(
        "/api/v1/targets/potential/import",
        {"file": SimpleUploadedFile("potential.csv", _csv(2 * limit, b"seller,potential\n"))},
    )
    assert r.status_code == 413
    assert r.json()["code"] == "file_too_large"


def test_a_json_body_over_the_request_limit_is_a_413(cast, login, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = login(cast.admin).post(
        "/api/v1/sales/sales/ingest", b"[" + b"{}," * 1000 + b"{}]", content_type="application/json"
    )
    assert r.status_code == 413
    assert r.json()["code"] == "request_too_large"


def test_people_and_potentials_refuse_absurd_column_counts(cast, login):
    client = login(cast.admin)
    wide = ",".join(f"c{i}" for i in range(100_000)).encode() + b"\n"
    r = client.post(reverse("org:people_import"), {"file": SimpleUploadedFile("people.csv", wide)})
    assert "Line 1 (header): the file has more than 500 columns." in r.content.decode()
    assert len(r.content) < 100_000
    r = client.post("/api/v1/targets/potential/import", {"file": SimpleUploadedFile("p.csv", wide)})
    assert r.status_code == 400
    assert r.json()["code"] == "too_many_columns"
