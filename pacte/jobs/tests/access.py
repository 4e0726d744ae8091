"""Access rules of the schedules page and API (read by pacte/tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from pacte.testing.access import ADMIN, Route, register_api, register_pages
from pacte.testing.cast import Cast


def schedule(c: Cast) -> dict[str, Any]:
    from pacte.jobs.models import Schedule
    from pacte.jobs.scheduler import ensure_schedules

    ensure_schedules([c.workspace])
    return {"schedule_id": Schedule.objects.for_workspace(c.workspace).get(kind="digest").uuid}


register_pages({"jobs:schedules": Route(ADMIN)})

register_api(
    {
        ("GET", "/api/v1/jobs/schedules"): Route(ADMIN),
        ("PATCH", "/api/v1/jobs/schedules/{schedule_id}"): Route(
            ADMIN, obj=schedule, body=lambda c: {"hour": 7}
        ),
    }
)
