"""Moves carry targets: a move, a departure or an arrival carries the rest of a target by the
workspace's policy; every node stays exact and the company total never changes."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, StaleVersion
from pacte.lib.carry import month_fraction, moving_part
from pacte.org import services as org
from pacte.org.models import Placement
from pacte.planning import moves
from pacte.planning.models import (
    CascadeRun,
    CascadeShare,
    Holder,
    Layer,
    RunStatus,
    TargetMove,
    TargetTransfer,
    UnitShare,
)
from pacte.testing.cast import Cast

MONTHLY = 100_00


def published(cast: Cast) -> CascadeRun:
    """A published run of the current fiscal year: 100.00 a month for each of three sellers."""
    ws = cast.workspace
    fy = ws.calendar.year_of(timezone.localdate())
    first = ws.calendar.first_month_index(fy)
    sellers = [
        (cast.seller, cast.team),
        (cast.lead, cast.team),
        (cast.other_seller, cast.other_team),
    ]
    run = CascadeRun.objects.create(
        workspace=ws,
        fiscal_year=fy,
        number=1,
        status=RunStatus.PUBLISHED,
        method="stated",
        total=MONTHLY * 12 * len(sellers),
    )
    CascadeShare.objects.bulk_create(
        CascadeShare(
            workspace=ws,
            run=run,
            seller=s,
            unit=u,
            channel=cast.channel,
            month=first + i,
            amount=MONTHLY,
        )
        for s, u in sellers
        for i in range(12)
    )
    UnitShare.objects.bulk_create(
        UnitShare(workspace=ws, run=run, unit=u, channel=cast.channel, month=first + i, amount=a)
        for u, a in (
            (cast.team, 2 * MONTHLY),
            (cast.other_team, MONTHLY),
            (cast.company, 3 * MONTHLY),
        )
        for i in range(12)
    )
    return run


def mid_year(cast: Cast, day: int = 1) -> datetime.date:
    """A day of the fourth month of the current fiscal year, before today and still open."""
    cal = cast.workspace.calendar
    fy = cal.year_of(timezone.localdate())
    index = cal.first_month_index(fy) + 3
    return datetime.date(index // 12, index % 12 + 1, day)


def seller_total(run: CascadeRun, member) -> int:  # type: ignore[no-untyped-def]
    cells = CascadeShare.objects.filter(run=run, seller=member).aggregate(t=Sum("amount"))["t"]
    return (cells or 0) + moves.seller_adjustment(run, member)


def unit_total(run: CascadeRun, unit) -> int:  # type: ignore[no-untyped-def]
    cells = UnitShare.objects.filter(run=run, unit=unit).aggregate(t=Sum("amount"))["t"] or 0
    lines = (
        TargetTransfer.objects.filter(run=run, layer=Layer.TARGET, unit=unit).aggregate(
            t=Sum("amount")
        )["t"]
        or 0
    )
    return cells + lines


def set_policy(cast: Cast, outcome: str, proration: str = "days") -> None:
    moves.update_policy(
        workspace=cast.workspace, actor=cast.admin, outcome=outcome, proration=proration
    )


def assert_exact(run: CascadeRun) -> None:
    """Lines sum to zero per layer, channel and month; no holder ever goes negative."""
    for layer in Layer.values:
        by_cell = (
            TargetTransfer.objects.filter(run=run, layer=layer)
            .values("channel_id", "month")
            .annotate(t=Sum("amount"))
        )
        assert all(row["t"] == 0 for row in by_cell)
    held: dict[tuple[object, ...], int] = {}
    for s, u, c, m, a in CascadeShare.objects.filter(run=run).values_list(
        "seller_id", "unit_id", "channel_id", "month", "amount"
    ):
        held[("seller", s, u, c, m)] = held.get(("seller", s, u, c, m), 0) + a
    for h, s, u, c, m, a in TargetTransfer.objects.filter(run=run, layer=Layer.TARGET).values_list(
        "holder", "seller_id", "unit_id", "channel_id", "month", "amount"
    ):
        held[(h, s, u, c, m)] = held.get((h, s, u, c, m), 0) + a
    assert min(held.values(), default=0) >= 0
    assert sum(held.values()) == run.total


# ------------------------------------------------------------------------------- the maths


def test_month_fraction_by_proration() -> None:
    day = datetime.date(2026, 6, 3)
    assert month_fraction(day, "days") == (28, 30)
    assert month_fraction(day, "month") == (1, 1)
    assert month_fraction(day, "phasing") == (0, 1)
    assert month_fraction(datetime.date(2026, 6, 20), "month") == (0, 1)
    assert month_fraction(datetime.date(2026, 6, 1), "phasing") == (1, 1)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 11), st.integers(0, 10**9)),
        min_size=1,
        max_size=30,
    ),
    move_months=st.lists(st.integers(0, 12), min_size=4, max_size=4),
    fractions=st.lists(
        st.integers(1, 31).flatmap(lambda d: st.tuples(st.integers(0, d), st.just(d))),
        min_size=4,
        max_size=4,
    ),
)
def test_moving_part_is_bounded_and_exact(rows, move_months, fractions) -> None:  # type: ignore[no-untyped-def]
    groups, months, amounts = zip(*rows, strict=True)
    part = moving_part(amounts, months, groups, move_months, fractions)
    assert all(0 <= p <= a for p, a in zip(part.tolist(), amounts, strict=True))
    for g in range(4):
        after = sum(a for gg, m, a in rows if gg == g and m > move_months[g])
        at = sum(a for gg, m, a in rows if gg == g and m == move_months[g])
        moved = sum(p for p, (gg, _m, _a) in zip(part.tolist(), rows, strict=True) if gg == g)
        num, den = fractions[g]
        assert moved == after + (2 * at * num + den) // (2 * den)


# ------------------------------------------------------------------------------- the policy


def test_policy_is_audited_and_versioned(cast) -> None:  # type: ignore[no-untyped-def]
    set_policy(cast, "team", "month")
    policy = moves.policy_of(cast.workspace)
    assert (policy.outcome, policy.proration, policy.version) == ("team", "month", 2)
    assert AuditEvent.objects.filter(action="move_policy.updated").count() == 1
    with pytest.raises(StaleVersion):
        moves.update_policy(
            workspace=cast.workspace, actor=cast.admin, outcome="pool", proration="days", version=1
        )
    with pytest.raises(DomainError) as e:
        moves.update_policy(
            workspace=cast.workspace, actor=cast.admin, outcome="x", proration="days"
        )
    assert e.value.field == "outcome"


# ------------------------------------------------------------------------------- carries


def test_a_move_with_the_person_keeps_their_total_and_moves_it_between_teams(cast) -> None:  # type: ignore[no-untyped-def]
    run = published(cast)
    day = mid_year(cast, 1)
    org.move_member(member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=day)
    move = TargetMove.objects.get()
    assert move.target_amount == 9 * MONTHLY  # the month of the move (from its first day) and 8
    assert seller_total(run, cast.seller) == 12 * MONTHLY
    assert unit_total(run, cast.team) == 24 * MONTHLY - 9 * MONTHLY
    assert unit_total(run, cast.other_team) == 12 * MONTHLY + 9 * MONTHLY
    assert unit_total(run, cast.company) == run.total
    assert AuditEvent.objects.filter(action="target.carried").count() == 1
    assert_exact(run)


def test_a_move_under_team_policy_leaves_an_open_share_pro_rata_by_days(cast) -> None:  # type: ignore[no-untyped-def]
    run = published(cast)
    set_policy(cast, "team", "days")
    day = mid_year(cast, 11)
    num, den = month_fraction(day, "days")
    org.move_member(member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=day)
    moved = 8 * MONTHLY + (2 * MONTHLY * num + den) // (2 * den)
    assert TargetMove.objects.get().target_amount == moved
    assert seller_total(run, cast.seller) == 12 * MONTHLY - moved
    assert moves.totals(run)["open"][0]["amount"] == moved
    assert unit_total(run, cast.team) == 24 * MONTHLY  # the team keeps it, open
    assert_exact(run)


def test_pool_then_assignment_to_another_seller(cast) -> None:  # type: ignore[no-untyped-def]
    run = published(cast)
    set_policy(cast, "pool", "phasing")
    org.move_member(
        member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=mid_year(cast, 15)
    )
    pool = moves.totals(run)["pool"]
    assert pool == 8 * MONTHLY
    # Assign from the pool's first month on (a day before it is ``today`` for the pool).
    first_day = mid_year(cast, 15)
    moves.assign_pool(
        run=run, actor=cast.executive, amount=pool, seller=cast.other_seller, today=first_day
    )
    assert moves.totals(run)["pool"] == 0
    assert seller_total(run, cast.other_seller) == 12 * MONTHLY + 8 * MONTHLY
    with pytest.raises(DomainError) as e:
        moves.assign_pool(run=run, actor=cast.executive, amount=1, unit=cast.team, today=first_day)
    assert (e.value.code, e.value.field) == ("too_much", "amount")
    assert_exact(run)


def test_a_departure_leaves_an_open_share_and_an_arrival_takes_it(cast) -> None:  # type: ignore[no-untyped-def]
    run = published(cast)
    set_policy(cast, "team", "month")
    org.set_member_active(member=cast.seller, actor=cast.admin, active=False)
    left = TargetMove.objects.get(kind="leave")
    assert left.target_amount > 0 or timezone.localdate().month == 12
    newcomer = org.create_member(
        workspace=cast.workspace,
        actor=cast.admin,
        email="new@acme.example",
        name="Nina New",
        roles={"seller"},
        unit=cast.team,
        invite=False,
    )
    joined = TargetMove.objects.filter(kind="join").first()
    if left.target_amount:
        assert joined is not None
        assert joined.seller_id == newcomer.pk
        assert seller_total(run, newcomer) == joined.target_amount
    assert_exact(run)


def test_the_agreed_objective_follows_the_policy_too(cast) -> None:  # type: ignore[no-untyped-def]
    from pacte.objectives.models import Objective

    run = published(cast)
    set_policy(cast, "pool", "month")
    Objective.objects.create(
        workspace=cast.workspace,
        seller=cast.seller,
        fiscal_year=run.fiscal_year,
        status="agreed",
        amount=12 * 50_00,
        months=[50_00] * 12,
    )
    org.move_member(
        member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=mid_year(cast, 1)
    )
    assert TargetMove.objects.get().objective_amount == 9 * 50_00
    assert moves.totals(run, Layer.OBJECTIVE)["pool"] == 9 * 50_00


def test_a_bulk_move_carries_every_mover_in_one_go(cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    run = published(cast)
    with django_assert_max_num_queries(30):
        org.move_members(
            workspace=cast.workspace,
            actor=cast.admin,
            member_ids=[cast.seller.pk, cast.lead.pk],
            unit=cast.other_team,
            effective=mid_year(cast, 1),
        )
    assert TargetMove.objects.count() == 2
    assert unit_total(run, cast.other_team) == 12 * MONTHLY + 18 * MONTHLY
    assert_exact(run)


def test_the_preview_writes_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    published(cast)
    set_policy(cast, "team")
    shown = moves.preview(member=cast.seller, unit=cast.other_team, effective=mid_year(cast, 1))
    assert (shown["outcome"], shown["target_amount"]) == ("team", 9 * MONTHLY)
    assert not TargetMove.objects.exists()
    assert not TargetTransfer.objects.exists()


# ------------------------------------------------------------------------------- refusals


def _nothing_written(cast: Cast) -> None:
    assert not TargetMove.objects.exists()
    assert Placement.objects.filter(membership=cast.seller).count() == 1


def test_refusals_are_located_and_write_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    from pacte.insights.models import ClosedMonth
    from pacte.lib.fiscal import Month

    published(cast)
    day = mid_year(cast, 3)
    cases = [
        (datetime.date(2019, 6, 1), "before_joining"),
        (day, "same_unit"),
    ]
    for effective, code in cases:
        unit = cast.team if code == "same_unit" else cast.other_team
        with pytest.raises(DomainError) as e:
            org.move_member(member=cast.seller, actor=cast.admin, unit=unit, effective=effective)
        assert (e.value.code, e.value.field) == (
            code,
            "unit" if code == "same_unit" else "effective",
        )
        _nothing_written(cast)
    ClosedMonth.objects.create(workspace=cast.workspace, month=Month.of(day).index)
    with pytest.raises(DomainError) as e:
        org.move_member(member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=day)
    assert (e.value.code, e.value.field) == ("period_closed", "effective")
    _nothing_written(cast)
    ClosedMonth.objects.all().delete()
    org.set_member_active(member=cast.seller, actor=cast.admin, active=False)
    TargetMove.objects.all().delete()
    with pytest.raises(DomainError) as e:
        org.move_member(member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=day)
    assert (e.value.code, e.value.field) == ("member_left", "member")
    _nothing_written(cast)


# ------------------------------------------------------------------------------- property


OPS = st.lists(
    st.tuples(
        st.sampled_from(["move", "leave", "join", "assign"]),
        st.sampled_from(["seller", "lead", "other_seller"]),
        st.sampled_from(["person", "team", "pool"]),
        st.sampled_from(["days", "month", "phasing"]),
        st.integers(1, 28),
    ),
    min_size=1,
    max_size=6,
)


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_any_sequence_of_moves_keeps_every_level_exact(cast, ops) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        run = published(cast)
        teams = [cast.team, cast.other_team]
        day = mid_year(cast, 1)
        joined = 0
        for kind, who, outcome, proration, step in ops:
            set_policy(cast, outcome, proration)
            day = day + datetime.timedelta(days=step)
            if day >= timezone.localdate():
                break
            member = getattr(cast, who)
            member.refresh_from_db()
            try:
                if kind == "move":
                    current = Placement.objects.get(membership=member, valid_to__isnull=True)
                    other = teams[1] if current.unit_id == teams[0].pk else teams[0]
                    org.move_member(member=member, actor=None, unit=other, effective=day)
                elif kind == "leave":
                    org.set_member_active(member=member, actor=None, active=False)
                elif kind == "join":
                    joined += 1
                    org.create_member(
                        workspace=cast.workspace,
                        actor=None,
                        email=f"j{joined}@acme.example",
                        name=f"Joiner {joined}",
                        roles={"seller"},
                        unit=teams[joined % 2],
                        joined_on=day,
                        invite=False,
                    )
                else:
                    pool = moves.totals(run)["pool"]
                    if pool:
                        moves.assign_pool(
                            run=run, actor=None, amount=max(1, pool // 2), unit=teams[0], today=day
                        )
            except DomainError:
                pass  # a refused step writes nothing; the next one goes on
            assert_exact(run)
            assert unit_total(run, cast.company) == run.total
            for team in teams:  # a team is its sellers, its open share and nothing else
                assert unit_total(run, team) >= 0
            assert (
                sum(seller_total(run, m) for m in _sellers(cast)) + _open_and_pool(run) == run.total
            )
        transaction.set_rollback(True)


def _sellers(cast: Cast) -> list[object]:
    from pacte.accounts.models import Membership

    return list(Membership.objects.for_workspace(cast.workspace))


def _open_and_pool(run: CascadeRun) -> int:
    return (
        TargetTransfer.objects.filter(run=run, layer=Layer.TARGET)
        .exclude(holder=Holder.SELLER)
        .aggregate(t=Sum("amount"))["t"]
        or 0
    )
