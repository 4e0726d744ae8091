"""Re-basing targets after a bulk move: 1,000 people change team on one day in a workspace of
10,000 sellers with a published run (quick: 100 of 1,000).

What is timed is ``pacte.org.services.move_members`` as the page and API call it, placements
and audit included, with the carry of ``pacte.planning.moves`` (the movers' remaining reference
share, by the workspace's policy, as set-based reads and one bulk insert of carry lines); each
repetition is rolled back. Baseline, measured in the same run on the same tables: one aggregate
query summing the moved sellers' cells from the move's month on, the least any re-basing reads.
SQLite (the benchmark database).
"""

from __future__ import annotations

import datetime
from typing import Any

from bench.common import Figure, timed

CHANNELS = 2
TEAMS = 20


def run(quick: bool) -> list[Figure]:
    from django.db import transaction
    from django.db.models import Sum

    from pacte.org.models import Placement
    from pacte.org.services import move_members
    from pacte.planning import moves
    from pacte.planning.models import CascadeShare

    sellers = 1_000 if quick else 10_000
    moving = 100 if quick else 1_000
    ws, ids, target_team, run_obj, day = _workspace(sellers)
    moved = ids[:moving]
    month = day.year * 12 + day.month - 1

    def baseline() -> object:
        return CascadeShare.objects.filter(
            run=run_obj, seller_id__in=moved, month__gte=month
        ).aggregate(t=Sum("amount"))

    def bulk_move() -> None:
        with transaction.atomic():
            move_members(
                workspace=ws, actor=None, member_ids=moved, unit=target_team, effective=day
            )
            transaction.set_rollback(True)

    movers = [
        moves.Mover(pk, unit, target_team.pk, day)
        for pk, unit in Placement.objects.filter(membership_id__in=moved).values_list(
            "membership_id", "unit_id"
        )
    ]
    carried: list[int] = []

    def rebase() -> None:
        with transaction.atomic():
            done = moves.carry(workspace=ws, actor=None, movers=movers)
            carried[:] = [sum(m.target_amount for m in done), len(done)]
            transaction.set_rollback(True)

    base = timed(baseline, repeat=5)
    seconds = timed(rebase)
    whole = timed(bulk_move)
    size = f"{moving:,} people of {sellers:,} sellers"
    baseline_text = "one SUM over the movers' cells from the move's month (same tables)"
    return [
        Figure(
            name=f"re-base targets after a bulk move ({size})",
            value=seconds,
            unit="s",
            baseline=baseline_text,
            baseline_value=base,
            target="< 2 s",
            holds=seconds < 2.0,
            notes=(
                f"SQLite; the carry alone (reads, lines, audit); {carried[1]:,} carries, "
                f"{carried[0]:,} minor units moved; move on {day}"
            ),
        ),
        Figure(
            name=f"bulk move with its carry, move_members ({size})",
            value=whole,
            unit="s",
            baseline=baseline_text,
            baseline_value=base,
            target="< 4 s",
            holds=whole < 4.0,
            notes="SQLite; placements, audit events and the carry, as the page and API call it",
        ),
    ]


def _workspace(sellers: int) -> tuple[Any, list[int], Any, Any, datetime.date]:
    import numpy as np
    from django.utils import timezone

    from pacte.accounts.models import Membership, User
    from pacte.accounts.services import create_workspace
    from pacte.org.models import Placement, Unit
    from pacte.org.selectors import root_unit
    from pacte.planning.models import CascadeRun, RunStatus, UnitShare
    from pacte.planning.storage import bulk_insert
    from pacte.sales.models import Channel

    slug = f"bench-rebase-{sellers}"
    ws = create_workspace(name=slug, slug=slug, currency="EUR")
    root = root_unit(ws)
    Unit.objects.bulk_create(
        [Unit(workspace=ws, name=f"Team {t}", parent=root) for t in range(TEAMS)]
    )
    teams = list(Unit.objects.for_workspace(ws).exclude(pk=root.pk).order_by("pk"))
    channels = [
        Channel.objects.create(workspace=ws, code=f"c{c}", name_en=f"C{c}", name_fr=f"C{c}")
        for c in range(CHANNELS)
    ]
    User.objects.bulk_create(
        [User(email=f"s{i}@{slug}.example", name=f"S{i}", password="!") for i in range(sellers)],
        batch_size=5000,
    )
    users = list(User.objects.filter(email__endswith=f"@{slug}.example").order_by("pk"))
    joined = datetime.date(2020, 1, 1)
    Membership.objects.bulk_create(
        [
            Membership(workspace=ws, user=u, name=u.name, is_seller=True, joined_on=joined)
            for u in users
        ],
        batch_size=5000,
    )
    ids = list(Membership.objects.for_workspace(ws).order_by("pk").values_list("pk", flat=True))
    # Movers come from every team but the last, which receives them.
    unit_of = [teams[i % (TEAMS - 1)].pk for i in range(sellers)]
    Placement.objects.bulk_create(
        [
            Placement(workspace=ws, membership_id=m, unit_id=u, valid_from=joined)
            for m, u in zip(ids, unit_of, strict=True)
        ],
        batch_size=5000,
    )
    today = timezone.localdate()
    fy = ws.calendar.year_of(today)
    first = ws.calendar.first_month_index(fy)
    monthly = 1_000_00
    run = CascadeRun.objects.create(
        workspace=ws,
        fiscal_year=fy,
        number=1,
        status=RunStatus.PUBLISHED,
        method="stated",
        total=monthly * 12 * CHANNELS * sellers,
        seller_count=sellers,
    )
    n = sellers * CHANNELS * 12
    seller_idx = np.repeat(np.arange(sellers), CHANNELS * 12)
    bulk_insert(
        "planning_cascadeshare",
        ["workspace_id", "run_id", "seller_id", "unit_id", "channel_id", "month", "amount"],
        [
            np.full(n, ws.pk, np.int64),
            np.full(n, run.pk, np.int64),
            np.asarray(ids, np.int64)[seller_idx],
            np.asarray(unit_of, np.int64)[seller_idx],
            np.tile(np.repeat([c.pk for c in channels], 12), sellers),
            np.tile(np.arange(12) + first, sellers * CHANNELS),
            np.full(n, monthly, np.int64),
        ],
    )
    UnitShare.objects.bulk_create(
        UnitShare(workspace=ws, run=run, unit=t, channel=c, month=first + m, amount=0)
        for t in teams
        for c in channels
        for m in range(12)
    )
    # Mid-year (the sixth month's 10th), or today early in the year: most of the year moves.
    sixth = first + 5
    day = datetime.date(sixth // 12, sixth % 12 + 1, 10)
    if day > today:
        day = today
    return ws, ids, teams[-1], run, day
