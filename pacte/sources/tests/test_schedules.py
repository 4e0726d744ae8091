"""A data source's schedule: hourly and daily slots, and the slot's run (a full
reconciliation first, then incremental syncs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from pacte.jobs.kinds import workspace_kinds
from pacte.jobs.models import Schedule, ScheduleRun
from pacte.jobs.recurrence import last_due, next_due, slots
from pacte.sales.models import Sale
from pacte.sources.models import Connection, SyncMode, SyncRun
from pacte.sources.schedules import run_scheduled_sync
from pacte.sources.tests.conftest import Remote, record
from pacte.sources.tests.fakeserver import FakeServer

pytestmark = pytest.mark.django_db


def test_hourly_and_daily_slots() -> None:
    import zoneinfo

    tz = zoneinfo.ZoneInfo("Europe/Paris")
    now = datetime(2026, 5, 4, 10, 20, tzinfo=UTC)
    hourly = slots("hour", weekday=0, day=1, hour=0, minute=7)
    assert next_due(hourly, tz, now) == datetime(2026, 5, 4, 11, 7, tzinfo=UTC)
    assert last_due(hourly, tz, now) == datetime(2026, 5, 4, 10, 7, tzinfo=UTC)
    daily = slots("day", weekday=0, day=1, hour=2, minute=0)
    assert next_due(daily, tz, now) == datetime(2026, 5, 5, 0, 0, tzinfo=UTC)  # 02:00 CEST


def test_per_target_kinds_are_not_workspace_schedules() -> None:
    assert not any(code.startswith("source_sync") for code in workspace_kinds())


def test_a_slot_runs_a_full_reconciliation_first_then_incremental(
    source: Connection,
    remote: tuple[Remote, FakeServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state, _server = remote
    state.pages = [[record(1), record(2)]]
    from pacte.sources import sync as engine
    from pacte.sources.http import Http

    original: Callable[..., SyncRun] = engine.run_sync
    monkeypatch.setattr(
        engine, "run_sync", lambda run_id: original(run_id, http=Http(sleep=lambda s: None))
    )
    schedule = Schedule.objects.get(target=str(source.uuid))
    slot = ScheduleRun.objects.create(
        workspace=source.workspace,
        kind=schedule.kind,
        target=schedule.target,
        due_at=datetime.now(UTC),
    )
    assert run_scheduled_sync(slot) == 2
    first = SyncRun.objects.get()
    assert first.mode == SyncMode.FULL
    assert Sale.objects.filter(source=source.source).count() == 2
    again = ScheduleRun.objects.create(
        workspace=source.workspace,
        kind=schedule.kind,
        target=schedule.target,
        due_at=datetime.now(UTC) + timedelta(days=1),
    )
    run_scheduled_sync(again)
    assert SyncRun.objects.order_by("-pk").first().mode == SyncMode.INCREMENTAL  # type: ignore[union-attr]
