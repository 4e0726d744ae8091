"""Schedules: each due slot runs once (several schedulers, a run enqueued twice, a run taken up
again), a slot missed while everything was down is caught up once, daylight-saving nights, and
what each kind of schedule does."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from datetime import UTC, timedelta

from django.core import mail

from pacte.jobs import scheduler
from pacte.jobs.models import Delivery, RunStatus, Schedule, ScheduleRun
from pacte.jobs.recurrence import last_due, next_due, slots
from pacte.jobs.tasks import run_schedule_task
from pacte.objectives.models import Notification, Window

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def only(
    cast, kind: str, since: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=UTC), **timing: int
) -> Schedule:
    """Turn every schedule of the cast's workspace off but ``kind``, timed as given, set up
    at ``since``."""
    scheduler.ensure_schedules()
    Schedule.objects.exclude(workspace=cast.workspace, kind=kind).update(enabled=False)
    Schedule.objects.for_workspace(cast.workspace).filter(kind=kind).update(
        enabled=True, active_since=since, **timing
    )
    return Schedule.objects.for_workspace(cast.workspace).get(kind=kind)


def ticks(start: dt.datetime, end: dt.datetime, every: timedelta) -> None:
    now = start
    while now <= end:
        scheduler.tick(now)
        now += every


def runs(cast, kind: str = "digest") -> list[dt.datetime]:
    return list(
        ScheduleRun.objects.for_workspace(cast.workspace)
        .filter(kind=kind)
        .order_by("due_at")
        .values_list("due_at", flat=True)
    )


def test_a_due_slot_runs_once_however_often_the_scheduler_looks(cast):
    start = dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    only(cast, "digest", since=start, weekday=0, hour=8, minute=0)
    # Monday 2026-03-02, 08:00 in Paris is 07:00 UTC
    ticks(
        start,
        dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        timedelta(minutes=7),
    )
    assert runs(cast) == [dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC)]


def test_two_schedulers_racing_for_a_slot_start_it_once(cast):
    schedule = only(cast, "digest", weekday=0, hour=8, minute=0)
    slot = dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert scheduler.start(schedule, slot) is True
    assert scheduler.start(schedule, slot) is False
    assert len(runs(cast)) == 1


def test_slots_missed_while_everything_was_down_are_caught_up_once(cast):
    only(cast, "digest", weekday=0, hour=8, minute=0)
    scheduler.tick(dt.datetime(2026, 3, 2, 7, 5, tzinfo=UTC))
    # down for five weeks; back on a Thursday
    back = dt.datetime(2026, 4, 9, 10, 0, tzinfo=UTC)
    scheduler.tick(back)
    scheduler.tick(back + timedelta(minutes=1))
    assert runs(cast) == [
        dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC),
        dt.datetime(2026, 4, 6, 6, 0, tzinfo=UTC),  # summer time: 08:00 is 06:00 UTC
    ]


def test_a_slot_before_the_schedule_was_set_is_not_run(cast):
    schedule = only(cast, "digest", weekday=0, hour=8, minute=0)
    Schedule.objects.filter(pk=schedule.pk).update(
        active_since=dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    )
    scheduler.tick(dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    assert runs(cast) == []
    scheduler.tick(dt.datetime(2026, 3, 9, 7, 1, tzinfo=UTC))
    assert runs(cast) == [dt.datetime(2026, 3, 9, 7, 0, tzinfo=UTC)]


def test_a_slot_in_the_hour_skipped_by_summer_time_runs_once_an_hour_later(cast):
    """Sunday 2026-03-29 in Paris: clocks go from 02:00 to 03:00; 02:30 runs at 03:30."""
    start = dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    only(cast, "digest", since=start, weekday=6, hour=2, minute=30)
    ticks(
        start,
        dt.datetime(2026, 3, 29, 6, 0, tzinfo=UTC),
        timedelta(minutes=5),
    )
    (due,) = runs(cast)
    assert due == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.astimezone(PARIS).strftime("%H:%M %Z") == "03:30 CEST"


def test_a_slot_in_the_hour_repeated_by_winter_time_runs_once(cast):
    """Sunday 2026-10-25 in Paris: 02:00-03:00 happens twice; 02:30 runs at the first."""
    start = dt.datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    only(cast, "digest", since=start, weekday=6, hour=2, minute=30)
    ticks(
        start,
        dt.datetime(2026, 10, 25, 5, 0, tzinfo=UTC),
        timedelta(minutes=5),
    )
    (due,) = runs(cast)
    assert due == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert due.astimezone(PARIS).strftime("%H:%M %Z") == "02:30 CEST"


def test_schedules_follow_the_workspace_time_zone(cast):
    cast.workspace.time_zone = "America/New_York"
    cast.workspace.save()
    only(cast, "digest", weekday=0, hour=8, minute=0)
    scheduler.tick(dt.datetime(2026, 3, 2, 13, 5, tzinfo=UTC))
    assert runs(cast) == [dt.datetime(2026, 3, 2, 13, 0, tzinfo=UTC)]


def test_quarter_slots_follow_the_fiscal_year():
    rule = slots("quarter", weekday=0, day=3, hour=9, minute=0, fiscal_start_month=2)
    now = dt.datetime(2026, 6, 1, tzinfo=UTC)
    assert last_due(rule, PARIS, now) == dt.datetime(2026, 5, 3, 7, 0, tzinfo=UTC)
    assert next_due(rule, PARIS, now) == dt.datetime(2026, 8, 3, 7, 0, tzinfo=UTC)


def test_a_digest_run_sends_once_even_when_its_job_runs_again(
    cast, django_capture_on_commit_callbacks
):
    schedule = only(cast, "digest", weekday=0, hour=8, minute=0)
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduler.start(schedule, dt.datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    run = ScheduleRun.objects.get()
    assert run.status == RunStatus.DONE
    sent = len(mail.outbox)
    assert sent == run.count == Delivery.objects.filter(run=run).count() > 0
    # the same run enqueued again (a scheduler recovering it) does nothing
    run_schedule_task.enqueue(run.pk)
    assert len(mail.outbox) == sent
    # its job taken up again after a lost worker skips who was served
    ScheduleRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
    run_schedule_task.enqueue(run.pk)
    assert len(mail.outbox) == sent
    assert ScheduleRun.objects.get().count == 0


def test_a_run_of_a_deleted_workspace_ends_with_a_log_line(cast, caplog):
    with caplog.at_level(logging.WARNING, logger="pacte.jobs"):
        run_schedule_task.enqueue(987654)
    assert "Schedule run 987654 no longer exists" in caplog.text


def test_reminders_run_only_while_a_window_is_open(cast, django_capture_on_commit_callbacks):
    schedule = only(cast, "objective_reminder", weekday=1, hour=9, minute=0)
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.start(schedule, dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    run = ScheduleRun.objects.get()
    assert (run.status, run.count, run.message_code) == (RunStatus.DONE, 0, "no_window")
    Window.objects.create(
        workspace=cast.workspace,
        fiscal_year=2027,
        opens_on=dt.date(2026, 3, 1),
        closes_on=dt.date(2026, 3, 31),
    )
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.start(schedule, dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    second = ScheduleRun.objects.get(due_at=dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    sellers = {cast.seller.pk, cast.other_seller.pk, cast.lead.pk}
    assert second.count == len(sellers)
    assert (
        set(Notification.objects.filter(kind="reminder").values_list("recipient_id", flat=True))
        == sellers
    )


def test_a_monthly_snapshot_stores_last_month(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    from pacte.lib.fiscal import Month

    schedule = only(cast, "forecast_snapshot", day=1, hour=6, minute=0)
    seen: list[int | None] = []

    def snapshot_forecasts(*, workspace, as_of=None):  # type: ignore[no-untyped-def]
        seen.append(as_of)
        return 3

    monkeypatch.setattr("pacte.insights.services.snapshot_forecasts", snapshot_forecasts)
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.start(schedule, dt.datetime(2026, 5, 1, 4, 0, tzinfo=UTC))
    assert seen == [Month(2026, 4).index]
    assert ScheduleRun.objects.get().count == 3
