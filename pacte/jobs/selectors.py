"""Reads of the schedules: each with its last run and next slot (settings page and API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from pacte.accounts.models import Workspace
from pacte.jobs.kinds import Kind, workspace_kinds
from pacte.jobs.models import Schedule, ScheduleRun
from pacte.jobs.scheduler import ensure_schedules, next_slot


@dataclass
class ScheduleRow:
    schedule: Schedule
    kind: Kind
    last_run: ScheduleRun | None
    next_run: datetime | None


def schedules_of(workspace: Workspace, now: datetime | None = None) -> list[ScheduleRow]:
    """The workspace's schedules in the order of ``KINDS`` (made with defaults if missing)."""
    now = now or timezone.now()
    ensure_schedules([workspace])
    schedules = {
        s.kind: s
        for s in Schedule.objects.for_workspace(workspace)
        .filter(target="")
        .select_related("workspace")
    }
    rows = []
    for code, kind in workspace_kinds().items():
        schedule = schedules[code]
        last = (
            ScheduleRun.objects.for_workspace(workspace)
            .filter(kind=code, target="")
            .order_by("-due_at")
            .first()
        )
        rows.append(ScheduleRow(schedule, kind, last, next_slot(schedule, now)))
    return rows
