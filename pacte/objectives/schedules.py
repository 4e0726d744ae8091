"""What the objectives schedules run (see ``pacte.jobs.kinds``): reminders while the
objective-setting window is open, and the period reviews after a quarter closes. A run taken up again
after its worker died skips the members it already reminded."""

from __future__ import annotations

from collections.abc import Callable

from pacte.accounts.models import Membership
from pacte.jobs.models import Delivery, ScheduleRun
from pacte.jobs.scheduler import zone_of


def _served(run: ScheduleRun) -> set[int]:
    return set(Delivery.objects.filter(run=run).values_list("member_id", flat=True))


def _record(run: ScheduleRun) -> Callable[[list[Membership]], None]:
    def record(members: list[Membership]) -> None:
        Delivery.objects.bulk_create(
            [Delivery(workspace_id=run.workspace_id, run=run, member=m) for m in members],
            ignore_conflicts=True,
        )

    return record


def remind_in_window(run: ScheduleRun) -> int:
    """Remind the sellers who have not proposed yet, when a window is open on the slot's day
    (in the workspace's time zone); otherwise nothing to do ("no_window")."""
    from pacte.objectives.models import Window
    from pacte.objectives.services import remind

    day = run.due_at.astimezone(zone_of(run.workspace)).date()
    window = (
        Window.objects.for_workspace(run.workspace)
        .filter(opens_on__lte=day, closes_on__gte=day)
        .order_by("fiscal_year")
        .first()
    )
    if window is None:
        run.message_code = "no_window"
        return 0
    return remind(
        workspace=run.workspace,
        fiscal_year=window.fiscal_year,
        exclude=_served(run),
        notified=_record(run),
    )


def request_period_reviews(run: ScheduleRun) -> int:
    """Each week: ask the sellers below their commitment for the fiscal quarter that closed last
    for a review (once per seller and quarter), and remind those whose review still waits.
    Returns how many were asked or reminded."""
    from pacte.objectives.reviews import last_closed_quarter, remind_reviews, request_reviews

    day = run.due_at.astimezone(zone_of(run.workspace)).date()
    fy, quarter = last_closed_quarter(run.workspace, day)
    served = _served(run)
    created = request_reviews(
        workspace=run.workspace,
        fiscal_year=fy,
        quarter=quarter,
        today=day,
        exclude=served,
        notified=_record(run),
    )
    from pacte.webhooks.events import emit

    emit(  # once per quarter: the first run after it closes
        run.workspace,
        "period.closed",
        {"fiscal_year": fy, "quarter": quarter, "reviews": len(created), "url": "/"},
        dedup_key=f"period.closed:{fy}:{quarter}",
    )
    reminded = remind_reviews(
        workspace=run.workspace,
        fiscal_year=fy,
        quarter=quarter,
        now=run.due_at,
        exclude=served | {r.seller_id for r in created},
        notified=_record(run),
    )
    return len(created) + reminded
