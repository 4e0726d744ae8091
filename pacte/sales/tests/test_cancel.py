"""Cancel at the last moment: every row read and checked (staged on SQLite, copied into the
tables on PostgreSQL's direct path), the import about to store or commit. A cancel committed
by another session then stops it, and nothing is written."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from pacte.sales import import_jobs
from pacte.sales.models import CubeCell, ImportJob, Sale
from pacte.sales.tests.helpers import HEADER, MAPPING


@pytest.mark.django_db(transaction=True)
def test_a_cancel_once_every_row_is_read_stops_the_import_before_it_stores(
    cast, channels, tmp_path: Path, monkeypatch
):
    path = tmp_path / "sales.csv"
    path.write_text(
        HEADER
        + "".join(
            f"K{i},2026-03-{i % 28 + 1:02d},{i}.50,field,seller@acme.example,,,,\n"
            for i in range(50)
        )
    )
    job = ImportJob.objects.create(
        workspace=cast.workspace,
        created_by=cast.admin,
        file_path=str(path),
        columns=import_jobs.read_columns(str(path)),
        mapping={
            k: v
            for k, v in MAPPING.items()
            if k in ("external_id", "date", "amount", "channel", "seller")
        },
        status="queued",
    )
    validate = import_jobs._validate
    statuses: list[str] = []

    def validate_then_cancel(*args, **kwargs):  # type: ignore[no-untyped-def]
        validate(*args, **kwargs)

        # as the job page does, from another web process: the service, its own connection
        def cancel() -> None:
            try:
                statuses.append(
                    import_jobs.request_cancel(job=ImportJob.objects.get(pk=job.pk)).status
                )
            finally:
                connection.close()

        thread = threading.Thread(target=cancel)
        thread.start()
        thread.join()

    monkeypatch.setattr(import_jobs, "_validate", validate_then_cancel)
    done = import_jobs.run_import(job_id=job.pk)
    assert statuses == ["running"]
    assert done.status == "cancelled"
    assert not Sale.objects.exists()
    assert not CubeCell.objects.exists()
