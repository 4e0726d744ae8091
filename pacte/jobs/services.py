"""Changing a workspace's schedules (admins and executives; audited, versioned)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record, snapshot
from pacte.errors import DomainError, check_version
from pacte.jobs.kinds import KINDS
from pacte.jobs.models import Schedule
from pacte.jobs.scheduler import ensure_schedules

SCHEDULE_FIELDS = ("enabled", "weekday", "day", "hour", "minute")
_RANGES = {"weekday": (0, 6), "day": (1, 28), "hour": (0, 23), "minute": (0, 59)}


def _check(field: str, value: Any) -> None:
    if field == "enabled":
        if not isinstance(value, bool):
            raise DomainError(_("Enabled is yes or no."), code="invalid", field=field)
        return
    low, high = _RANGES[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        messages = {
            "weekday": _("The day of the week is a number from 0 (Monday) to 6 (Sunday)."),
            "day": _("The day of the month is a number from 1 to 28 (every month has it)."),
            "hour": _("The hour is a number from 0 to 23."),
            "minute": _("The minute is a number from 0 to 59."),
        }
        raise DomainError(messages[field], code="out_of_range", field=field)


@transaction.atomic
def update_schedule(
    *,
    workspace: Workspace,
    actor: Membership | None,
    kind: str,
    version: int | None,
    target: str = "",
    **changes: Any,
) -> Schedule:
    """Change when a schedule runs. A change of timing, or turning it on, starts it afresh: a
    slot already past is not caught up."""
    if kind not in KINDS or (KINDS[kind].per_target and not target):
        raise DomainError(_("There is no such schedule."), code="not_found", field="kind")
    unknown = set(changes) - set(SCHEDULE_FIELDS)
    if unknown:
        raise DomainError(
            _("These settings cannot be changed here."), code="invalid", field=sorted(unknown)[0]
        )
    for field, value in changes.items():
        _check(field, value)
    ensure_schedules([workspace])
    schedule = Schedule.objects.select_for_update().get(
        workspace=workspace, kind=kind, target=target
    )
    check_version(schedule, version)
    before = snapshot(schedule, SCHEDULE_FIELDS)
    for field, value in changes.items():
        setattr(schedule, field, value)
    after = snapshot(schedule, SCHEDULE_FIELDS)
    if after == before:
        return schedule
    if any(before[f] != after[f] for f in ("weekday", "day", "hour", "minute")) or (
        after["enabled"] and not before["enabled"]
    ):
        schedule.active_since = timezone.now()
    schedule.version += 1
    schedule.save()
    record(
        workspace=workspace,
        actor=actor,
        action="schedule.updated",
        obj=schedule,
        object_repr=str(KINDS[kind].label),
        before=before,
        after=after,
    )
    return schedule
