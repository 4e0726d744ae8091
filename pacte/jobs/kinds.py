"""The kinds of schedule a workspace has, and what each one runs.

To add one (a data source's sync, later): an entry here whose ``run`` is the dotted path of a
function ``(run: ScheduleRun) -> int`` (the number of things done, shown on the settings page;
idempotent, as a run taken up again after a lost worker calls it again), and, when one
workspace has several of that kind, schedules with a ``target`` (the data source's uuid) made
by the app that owns them (``per_target=True``: no workspace-wide schedule is made for it, and
the settings page leaves it to that app's page). The scheduler, the settings page and the API
take it from there.

``every`` is "hour" (at ``minute`` past every hour), "day" (at ``hour``:``minute``), "week",
"month" or "quarter"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Every = Literal["hour", "day", "week", "month", "quarter"]


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
    per_target: bool = False


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
        # A data source's sync (pacte.sources), one schedule per connection (target = its uuid)
        # in the cadence the admin chose.
        *(
            Kind(
                f"source_sync_{every}",
                _("Data source sync"),
                _("Reads what changed in a data source since its last sync."),
                every,
                "pacte.sources.schedules.run_scheduled_sync",
                per_target=True,
            )
            for every in ("hour", "day", "week")
        ),
    )
}


def workspace_kinds() -> dict[str, Kind]:
    """The kinds every workspace has one schedule of (not the per-target ones)."""
    return {code: kind for code, kind in KINDS.items() if not kind.per_target}
