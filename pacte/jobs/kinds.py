"""The kinds of schedule a workspace has, and what each one runs.

To add one (a data source's sync, later): an entry here whose ``run`` is the dotted path of a
function ``(run: ScheduleRun) -> int`` (the number of things done, shown on the settings page;
idempotent, as a run taken up again after a lost worker calls it again), and, when one
workspace has several of that kind, schedules with a ``target`` (the data source's uuid) made
by the app that owns them. The scheduler, the settings page and the API take it from there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Every = Literal["week", "month", "quarter"]


@dataclass(frozen=True)
class Kind:
    code: str
    label: Promise
    help: Promise
    every: Every
    run: str
    weekday: int = 0  # Monday
    day: int = 1
    hour: int = 8
    minute: int = 0
    enabled: bool = True


KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        Kind(
            "digest",
            _("Weekly digest"),
            _("Each member's progress and their team's, by e-mail."),
            "week",
            "pacte.insights.schedules.send_weekly_digests",
            weekday=0,
            hour=8,
        ),
        Kind(
            "objective_reminder",
            _("Objective reminders"),
            _("While the objective-setting window is open: sellers who have not proposed yet."),
            "week",
            "pacte.objectives.schedules.remind_in_window",
            weekday=1,
            hour=9,
        ),
        Kind(
            "forecast_snapshot",
            _("Monthly forecast snapshot"),
            _("Every seller's year forecast as of the end of last month, for accuracy."),
            "month",
            "pacte.insights.schedules.snapshot_last_month",
            day=1,
            hour=6,
        ),
        Kind(
            "pipeline_snapshot",
            _("Weekly snapshot of forecast calls"),
            _("Every seller's and lead's call and open pipeline of the quarter, for accuracy."),
            "week",
            "pacte.pipeline.snapshots.snapshot_this_week",
            weekday=6,
            hour=22,
        ),
        Kind(
            "period_close",
            _("Quarter-close reminders"),
            _("After a quarter closes: sellers below their objective for it."),
            "quarter",
            "pacte.objectives.schedules.remind_period_close",
            day=3,
            hour=9,
        ),
        Kind(
            "period_review",
            _("Period reviews"),
            _(
                "After a quarter closes: sellers below their objective are asked for a review, "
                "then reminded each week while it waits."
            ),
            "week",
            "pacte.objectives.schedules.request_period_reviews",
            weekday=2,
            hour=9,
        ),
    )
}
