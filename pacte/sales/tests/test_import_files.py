"""Uploaded import files live in the ``imports`` storage: an S3-compatible object store (moto's
server on 127.0.0.1, spoken to over HTTP) or a folder. A store that refuses the file, a full
disk, a file gone from the store, a zip bomb or a file with 100,000 columns: a clear message,
no job row and no stored file left behind."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from pacte import storage
from pacte.lib.tests.xlsx_bombs import zip_bomb
from pacte.sales import import_jobs
from pacte.sales.models import ImportJob, Sale
from pacte.testing.s3 import S3Peer, s3_server

pytestmark = pytest.mark.django_db

CSV = b"id,date,amount,channel,seller\nV1,2026-01-15,10.50,field,seller@acme.example\n"
MAPPING = {
    "map_external_id": "id",
    "map_date": "date",
    "map_amount": "amount",
    "map_channel": "channel",
    "map_seller": "seller",
    "date_order": "auto",
    "amount_style": "auto",
    "profile_name": "",
}


class FullDisk(FileSystemStorage):
    """A folder whose disk fills up halfway through the file."""

    def _save(self, name: str, content: Any) -> str:
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            out.write(content.read(16))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Peer]:
    with s3_server() as peer:
        yield peer


@pytest.fixture
def bucket(s3: S3Peer, settings: Any, request: pytest.FixtureRequest) -> str:
    """A new bucket of the S3 server, used as the imports storage."""
    name = "pacte-" + request.node.name.replace("_", "-")[:40].lower()
    s3.create_bucket(name)
    settings.STORAGES = {**settings.STORAGES, "imports": s3.storage(name)}
    return name


def _upload(client: Any, content: bytes, name: str = "sales.csv") -> Any:
    return client.post(
        reverse("sales:imports"), {"file": SimpleUploadedFile(name, content), "source": "crm"}
    )


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_an_upload_goes_to_the_object_store_and_the_import_reads_it_back(
    cast, channels, login, s3, bucket, django_capture_on_commit_callbacks
):
    client = login(cast.admin)
    r = _upload(client, CSV)
    assert r.status_code == 302, r.content[:500]
    job = ImportJob.objects.get()
    assert s3.keys(bucket) == [f"imports/{cast.workspace.uuid}/{job.uuid}.csv"]
    assert job.file_path == f"{cast.workspace.uuid}/{job.uuid}.csv"  # a name in the store
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("sales:import_map", args=[job.uuid]), MAPPING)
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert Sale.objects.get().external_id == "V1"


def test_an_xlsx_upload_is_read_back_from_the_object_store(cast, channels, bucket, tmp_path):
    import openpyxl

    path = tmp_path / "sales.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["id", "date", "amount", "channel", "seller"])
    wb.active.append(["X1", "2026-01-15", 12, "field", "seller@acme.example"])
    wb.save(path)
    upload = SimpleUploadedFile("sales.xlsx", path.read_bytes())
    job = import_jobs.start_file_import(workspace=cast.workspace, actor=cast.admin, upload=upload)
    assert job.columns == ["id", "date", "amount", "channel", "seller"]
    mapping = {k.removeprefix("map_"): v for k, v in MAPPING.items() if k.startswith("map_")}
    import_jobs.configure_import(job=job, actor=cast.admin, mapping=mapping, enqueue=False)
    job = import_jobs.run_import(job_id=job.pk)
    assert job.status == "done", job.message
    assert Sale.objects.get().amount == 1200


def test_a_store_that_refuses_writes_leaves_no_job(cast, login, s3, settings):
    settings.STORAGES = {**settings.STORAGES, "imports": s3.storage("no-such-bucket")}
    r = _upload(login(cast.admin), CSV)
    assert r.status_code == 200
    assert "The file store refused this file: nothing was saved." in r.content.decode()
    assert not ImportJob.objects.exists()


def test_a_full_disk_leaves_no_job_and_no_partial_file(cast, login, settings, tmp_path):
    location = tmp_path / "imports"
    settings.STORAGES = {
        **settings.STORAGES,
        "imports": {"BACKEND": f"{__name__}.FullDisk", "OPTIONS": {"location": str(location)}},
    }
    client = login(cast.admin)
    client.cookies["django_language"] = "fr"
    r = _upload(client, CSV)
    assert r.status_code == 200
    assert "Le serveur n’a plus de place pour enregistrer ce fichier" in r.content.decode()
    assert not ImportJob.objects.exists()
    assert _files_under(location) == []


def test_a_file_gone_from_the_store_fails_its_job_with_a_message(cast, channels, s3, bucket):
    upload = SimpleUploadedFile("sales.csv", CSV)
    job = import_jobs.start_file_import(workspace=cast.workspace, actor=cast.admin, upload=upload)
    job.mapping = {"external_id": "id", "date": "date", "amount": "amount", "channel": "channel"}
    job.status = "queued"
    job.save()
    s3.client().delete_object(Bucket=bucket, Key=f"imports/{job.file_path}")
    job = import_jobs.run_import(job_id=job.pk)
    assert job.status == "failed"
    assert job.message_code == "file_unavailable"
    with translation.override("en"):
        assert "cannot be read back from the file store" in import_jobs.job_message(job)
    assert not Sale.objects.exists()


def test_the_mapping_page_says_when_the_file_is_gone(cast, channels, login, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "imports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    client = login(cast.admin)
    _upload(client, CSV)
    job = ImportJob.objects.get()
    storage.imports().delete(job.file_path)
    r = client.post(reverse("sales:import_map", args=[job.uuid]), MAPPING, follow=True)
    assert r.redirect_chain == [(reverse("sales:imports"), 302)]
    assert "cannot be read back from the file store" in r.content.decode()
    job.refresh_from_db()
    assert job.status == "mapping"


def test_a_zip_bomb_upload_is_refused_and_not_kept(cast, login, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "imports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "imports")},
        },
    }
    bomb = zip_bomb(tmp_path / "bomb.xlsx").read_bytes()
    r = _upload(login(cast.admin), bomb, "bomb.xlsx")
    assert r.status_code == 200
    assert "would expand to far more than its size" in r.content.decode()
    assert not ImportJob.objects.exists()
    assert _files_under(tmp_path / "imports") == []


def test_a_csv_of_100000_columns_is_refused_without_a_mapping_page(cast, login):
    header = ",".join(f"column{i}" for i in range(100_000)).encode()
    r = _upload(login(cast.admin), header + b"\n" + b",".join([b"1"] * 100_000) + b"\n")
    assert r.status_code == 200
    body = r.content.decode()
    assert "The file has more than 500 columns" in body
    assert len(body) < 100_000
    assert not ImportJob.objects.exists()


def test_the_settings_build_an_s3_store_from_the_environment(tmp_path):
    import subprocess
    import sys

    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PACTE_") and k != "DATABASE_URL"
    }
    env.update(
        PACTE_VAR_DIR=str(tmp_path),
        PACTE_S3_BUCKET="uploads",
        PACTE_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        PACTE_S3_REGION="eu-west-3",
        PACTE_S3_ACCESS_KEY_ID="key",
        PACTE_S3_SECRET_ACCESS_KEY="secret",
        DJANGO_SETTINGS_MODULE="pacte.settings",
    )
    code = (
        "import django; django.setup(); from pacte import storage; s = storage.imports(); "
        "print(type(s).__name__, s.bucket_name, s.location, s.endpoint_url, s.region_name)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [
        "S3Storage",
        "uploads",
        "imports",
        "http://127.0.0.1:9000",
        "eu-west-3",
    ]


def test_a_look_at_the_start_of_a_stored_csv_fetches_whole_lines_only(bucket):
    name = storage.save("head/check.csv", SimpleUploadedFile("check.csv", b"a,b\n1,2\n3,4\n"))
    with storage.local_copy(name, head_lines_of=10) as path:
        assert Path(path).read_bytes() == b"a,b\n1,2\n"
    with storage.local_copy(name, head_lines_of=1000) as path:
        assert Path(path).read_bytes() == b"a,b\n1,2\n3,4\n"
    with storage.local_copy(name) as path:
        assert Path(path).read_bytes() == b"a,b\n1,2\n3,4\n"
