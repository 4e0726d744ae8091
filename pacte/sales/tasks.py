"""Background tasks of the sales app (enqueued with ``transaction.on_commit``, given ids)."""

from __future__ import annotations

import logging
from typing import Any

from django.tasks import task

from pacte.jobs.queue import on_give_up

logger = logging.getLogger("pacte.jobs")


@task
def run_import_task(job_id: int) -> dict[str, Any]:
    """Run an import job; idempotent (a finished job is left as it is). A job that no longer
    exists (its workspace was deleted) ends with a line in the log."""
    from pacte.sales.import_jobs import run_import
    from pacte.sales.models import ImportJob

    try:
        job = run_import(job_id=job_id)
    except ImportJob.DoesNotExist:
        logger.warning("Import job %s no longer exists (its workspace was deleted?)", job_id)
        return {"status": "gone", "rows": 0}
    return {"status": job.status, "rows": job.rows_read if job.status == "done" else 0}


@on_give_up(run_import_task)
def _import_given_up(job_id: int, *, reason: str) -> None:
    """The import failed for good: the job ends "failed", with a message in its creator's
    language (nothing was written: the import is one transaction)."""
    from pacte.sales.import_jobs import fail_import

    fail_import(job_id=job_id, code=reason if reason != "failed" else "job_failed")
