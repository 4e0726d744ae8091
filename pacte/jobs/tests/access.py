"""Access rules of the schedules and background jobs pages and API (read by pacte/tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast


def schedule(c: Cast) -> dict[str, Any]:
    from pacte.jobs.models import Schedule
    from pacte.jobs.scheduler import ensure_schedules

    ensure_schedules([c.workspace])
    return {"schedule_id": Schedule.objects.for_workspace(c.workspace).get(kind="digest").uuid}


def background_job(c: Cast) -> Any:
    from pacte.jobs.models import BackgroundJob

    job, _ = BackgroundJob.objects.get_or_create(
        workspace=c.workspace, kind="cascade", defaults={"created_by": c.admin}
    )
    return job.uuid


register_pages(
    {
        "jobs:schedules": Route(ADMIN),
        "work:list": Route(ADMIN),
        "work:job": Route(ADMIN, obj=lambda c: {"uuid": background_job(c)}),
    }
)

register_api(
    {
        ("GET", "/api/v1/jobs/schedules"): Route(ADMIN),
        ("PATCH", "/api/v1/jobs/schedules/{schedule_id}"): Route(
            ADMIN, obj=schedule, body=lambda c: {"hour": 7}
        ),
        ("GET", "/api/v1/jobs/work"): Route(ADMIN),
        ("GET", "/api/v1/jobs/work/{job_id}"): Route(
            ADMIN, obj=lambda c: {"job_id": background_job(c)}
        ),
    }
)
