"""What the insights schedules run (see ``pacte.jobs.kinds``): the weekly digest and the
monthly forecast snapshot. Each is idempotent: a run taken up again skips what it did."""

from __future__ import annotations

import logging

from pacte.jobs.models import Delivery, ScheduleRun
from pacte.jobs.scheduler import zone_of
from pacte.lib.fiscal import Month

logger = logging.getLogger("pacte.jobs")


def send_weekly_digests(run: ScheduleRun) -> int:
    """Send the digest of the run's workspace to each member not served by this run yet."""
    from pacte.insights.digests import send_digests

    served = set(Delivery.objects.filter(run=run).values_list("member_id", flat=True))
    counts = send_digests(
        workspace=run.workspace,
        write=logger.debug,
        skip=served,
        sent=lambda member: Delivery.objects.get_or_create(
            workspace_id=run.workspace_id, run=run, member=member
        ),
    )
    return counts["sent"]


def snapshot_last_month(run: ScheduleRun) -> int:
    """Snapshot every seller's year forecast as of the month before the run's slot (in the
    workspace's time zone); a second run of the same month replaces the first."""
    from pacte.insights.services import snapshot_forecasts

    local = run.due_at.astimezone(zone_of(run.workspace)).date()
    return snapshot_forecasts(workspace=run.workspace, as_of=Month.of(local).index - 1)
