"""The ``period_close`` schedule kind is retired: ``period_review`` does its work."""

from __future__ import annotations

import datetime as dt
import importlib

from django.apps import apps
from django.utils import timezone

from pacte.jobs.kinds import KINDS
from pacte.jobs.models import Schedule, ScheduleRun
from pacte.jobs.scheduler import ensure_schedules


def test_no_period_close_kind_and_no_new_schedule(cast) -> None:  # type: ignore[no-untyped-def]
    assert "period_close" not in KINDS
    assert "period_review" in KINDS
    ensure_schedules([cast.workspace])
    assert not Schedule.objects.filter(kind="period_close").exists()


def test_the_migration_removes_its_schedules_and_runs(cast) -> None:  # type: ignore[no-untyped-def]
    Schedule.objects.create(workspace=cast.workspace, kind="period_close", day=3, hour=9)
    ScheduleRun.objects.create(
        workspace=cast.workspace, kind="period_close", due_at=timezone.now() - dt.timedelta(days=1)
    )
    migration = importlib.import_module("pacte.jobs.migrations.0003_retire_period_close")
    migration.remove_period_close(apps, None)
    assert not Schedule.objects.filter(kind="period_close").exists()
    assert not ScheduleRun.objects.filter(kind="period_close").exists()
