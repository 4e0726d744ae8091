"""The weekly snapshot of calls (a schedule kind) and the accuracy of calls after the close."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pacte.jobs.kinds import KINDS
from pacte.pipeline import services, snapshots
from pacte.pipeline.models import Call, CallLevel, CallSnapshot
from pacte.pipeline.tests.helpers import load, quarter, row
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def test_the_snapshot_is_a_weekly_schedule_kind() -> None:
    kind = KINDS["pipeline_snapshot"]
    assert kind.every == "week"
    assert kind.run == "pacte.pipeline.snapshots.snapshot_this_week"


def test_snapshot_copies_calls_and_pipeline_and_replaces_itself(cast: Cast) -> None:
    load(cast, [row(cast.seller, "A", amount="100", probability="50")])
    key = quarter(cast).key
    services.set_call(
        actor=cast.seller, seller=cast.seller, period_key=key, commit=7_000, best_case=9_000
    )
    services.set_call(
        actor=cast.other_seller, seller=cast.other_seller, period_key=key, commit=1, best_case=1
    )
    services.adjust_team_call(actor=cast.lead, unit=cast.team, period_key=key, adjustment=0)
    today = timezone.localdate()
    assert snapshots.snapshot_week(workspace=cast.workspace, day=today) == 3
    assert snapshots.snapshot_week(workspace=cast.workspace, day=today) == 3
    rows = {(s.member_id, s.level): s for s in CallSnapshot.objects.for_workspace(cast.workspace)}
    mine = rows[(cast.seller.pk, "seller")]
    assert (mine.commit, mine.best_case, mine.pipeline, mine.weighted) == (
        7_000,
        9_000,
        10_000,
        5_000,
    )
    assert rows[(cast.other_seller.pk, "seller")].pipeline == 0
    assert rows[(cast.lead.pk, "team")].commit == 7_000


def test_accuracy_after_the_close(cast: Cast) -> None:
    from pacte.sales.models import CubeCell

    cal = cast.workspace.calendar
    past = cal.period_of(timezone.localdate() - datetime.timedelta(days=200), "quarter")
    first = past.bounds[0]
    for i, commit in enumerate((8_000, 12_000)):
        day = first + datetime.timedelta(days=7 * (i + 1))
        week = services.week_of(day)
        Call.objects.create(
            workspace=cast.workspace,
            member=cast.seller,
            level=CallLevel.SELLER,
            period=past.key,
            week=week,
            commit=commit,
            best_case=commit,
        )
        snapshots.snapshot_week(workspace=cast.workspace, day=day)
    CubeCell.objects.create(
        workspace=cast.workspace,
        seller=cast.seller,
        unit=cast.team,
        channel=cast.channel,
        month=past.month_indexes.start,
        split_amount=10_000,
    )
    rows = snapshots.accuracy(cast.workspace, past, [cast.seller])
    assert len(rows) == 1
    assert rows[0].last_call == 12_000
    assert rows[0].actual == 10_000
    assert rows[0].accuracy.bias == 0
    assert rows[0].accuracy.wape == pytest.approx(0.2)
    assert snapshots.accuracy(cast.workspace, quarter(cast), [cast.seller]) == []


def test_a_past_weeks_snapshot_takes_the_call_of_that_week_or_before(cast: Cast) -> None:
    period = quarter(cast)
    first, last = period.bounds
    load(cast, [row(cast.other_seller, "P", amount="50", probability="10")])
    for day, commit in ((first, 1_000), (last, 3_000)):
        services.set_call(
            actor=cast.seller,
            seller=cast.seller,
            period_key=period.key,
            commit=commit,
            best_case=commit,
            today=day,
        )
    assert snapshots.snapshot_week(workspace=cast.workspace, day=first) == 2
    rows = {
        s.member_id: s
        for s in CallSnapshot.objects.for_workspace(cast.workspace).filter(
            week=services.week_of(first)
        )
    }
    assert rows[cast.seller.pk].commit == 1_000
    assert rows[cast.seller.pk].pipeline == 0
    assert rows[cast.other_seller.pk].commit is None
    assert (rows[cast.other_seller.pk].pipeline, rows[cast.other_seller.pk].weighted) == (
        5_000,
        500,
    )
