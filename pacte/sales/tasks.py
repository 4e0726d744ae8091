"""Background tasks of the sales app (enqueued with ``transaction.on_commit``, given ids)."""

from __future__ import annotations

from django.tasks import task


@task
def run_import_task(job_id: int) -> None:
    """Run an import job; idempotent (a finished job is left as it is)."""
    from pacte.sales.services import run_import

    run_import(job_id=job_id)
