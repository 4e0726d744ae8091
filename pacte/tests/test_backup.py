"""The backup and restore drill, on SQLite and on PostgreSQL: the demo company and a stored
upload are backed up, wiped, restored; ``pacte verify`` is clean and the executive's insights
figures are the same as before. A restore refuses the other database kind, a newer archive
format, and a database that holds data unless forced."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from pacte import backup, storage
from pacte.accounts.models import Membership, Workspace
from pacte.audit.models import AuditEvent
from pacte.sales import import_jobs
from pacte.sales.models import ImportJob, Sale
from pacte.samples import demo

API = (
    "/api/v1/insights/summary",
    "/api/v1/insights/summary?period=FY{year}-Q1",
    "/api/v1/insights/attainment",
    "/api/v1/insights/heatmap",
)


@pytest.fixture
def imports_folder(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "imports"
    settings.STORAGES = {
        **settings.STORAGES,
        "imports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


def _figures() -> dict[str, Any]:
    """What the demo's executive reads, computed afresh (never from the cache)."""
    cache.clear()
    executive = Membership.objects.filter(workspace__slug=demo.DEMO_SLUG, is_executive=True)
    client = Client()
    assert client.login(username=executive.first().user.email, password=demo.DEMO_PASSWORD)
    year = client.get(API[0]).json()["fiscal_year"]
    found = {}
    for url in API:
        response = client.get(url.format(year=year))
        assert response.status_code == 200, response.content[:300]
        found[url] = response.json()
    found["counts"] = [
        Sale.objects.count(),
        AuditEvent.objects.count(),
        Membership.objects.count(),
        ImportJob.objects.count(),
    ]
    return found


def _drill(tmp_path: Path, folder: Path) -> None:
    call_command("demo", "--quiet-logins", stdout=io.StringIO())
    upload = SimpleUploadedFile("kept.csv", b"id,date,amount\nK1,2026-01-02,3\n")
    job = import_jobs.start_file_import(
        workspace=Workspace.objects.get(slug=demo.DEMO_SLUG), actor=None, upload=upload
    )
    before = _figures()
    assert before["counts"][0] > 1000

    archive = tmp_path / "pacte.backup"
    call_command("backup", str(archive), stdout=io.StringIO())
    manifest = backup.read_manifest(archive)
    assert (manifest.format, manifest.database, manifest.files) == (1, connection.vendor, 1)

    call_command("flush", "--no-input")  # the wipe
    storage.imports().delete(job.file_path)
    assert not Workspace.objects.exists()
    assert list(folder.rglob("*.csv")) == []

    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)
    assert "Restored the" in out.getvalue()
    call_command("verify", stdout=io.StringIO())  # raises CommandError on any difference
    assert _figures() == before
    restored = ImportJob.objects.get(pk=job.pk)
    with storage.imports().open(restored.file_path, "rb") as kept:
        assert kept.read() == b"id,date,amount\nK1,2026-01-02,3\n"

    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive))
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert _figures() == before


@pytest.mark.sqlite_only
@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore_on_sqlite(tmp_path: Path, imports_folder: Path) -> None:
    assert connection.vendor == "sqlite"
    _drill(tmp_path, imports_folder)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore_on_postgresql(tmp_path: Path, imports_folder: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass runs this (tools/with_postgres.py)")
    _drill(tmp_path, imports_folder)


def _archive(tmp_path: Path, **manifest: Any) -> Path:
    path = tmp_path / "other.backup"
    data = json.dumps(
        {
            "format": 1,
            "database": "sqlite",
            "pacte_version": "0.1.0",
            "created_at": "2026-01-01T00:00:00+00:00",
            "files": 0,
            **manifest,
        }
    ).encode()
    with tarfile.open(path, "w") as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.django_db
def test_a_restore_refuses_the_other_database_kind(tmp_path: Path) -> None:
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    with pytest.raises(CommandError, match=r"holds a (PostgreSQL|SQLite) database; this Pacte"):
        call_command("restore", str(_archive(tmp_path, database=other)))


@pytest.mark.django_db
def test_a_restore_refuses_a_newer_format(tmp_path: Path) -> None:
    path = _archive(tmp_path, format=2, database=connection.vendor, pacte_version="9.0")
    with pytest.raises(CommandError, match=r"made by a newer Pacte \(9.0, archive format 2\)"):
        call_command("restore", str(path))


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(backup.BackupError, match="is not a Pacte backup"):
        backup.read_manifest(path)
