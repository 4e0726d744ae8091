"""Helpers of the sales tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pacte.accounts.models import Workspace
from pacte.sales import import_jobs
from pacte.sales.models import ImportJob

MAPPING = {
    "external_id": "id",
    "date": "date",
    "amount": "amount",
    "channel": "channel",
    "seller": "seller",
    "split": "split",
    "overlay": "overlay",
    "customer": "customer",
    "territory": "territory",
}
HEADER = "id,date,amount,channel,seller,split,overlay,customer,territory\n"


def import_file(
    workspace: Workspace, path: Path, mapping: dict[str, str] | None = None, **job: Any
) -> ImportJob:
    """Run a file import synchronously (the task body) and return the finished job."""
    columns = import_jobs.read_columns(str(path))
    wanted = mapping or {k: v for k, v in MAPPING.items() if v in columns}
    created = ImportJob.objects.create(
        workspace=workspace,
        file_path=str(path),
        file_name=path.name,
        columns=columns,
        mapping=wanted,
        status="queued",
        **job,
    )
    return import_jobs.run_import(job_id=created.pk)


def rows(*lines: str) -> str:
    return HEADER + "".join(line + "\n" for line in lines)
