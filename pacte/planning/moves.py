"""Moves carry targets: when a seller changes team, leaves or joins mid-year, the rest of their
reference share (in the published run) and of their agreed objective follows the workspace's
``MovePolicy``: with the person, to the team as an open share, or to the company pool.

Nothing already stored is rewritten: a carry is a ``TargetMove`` and signed ``TargetTransfer``
lines that sum to zero for every channel and month, so the company total never changes and a
seller's, a team's or the pool's part is exactly its stored cells plus its lines. The services
of the organisation call :func:`carry` inside their own transaction (a move, a bulk move, the
people import, a departure, an arrival); it reads every mover's holdings in a few set-based
queries and writes its lines in one bulk insert. The maths is ``pacte.lib.carry``.
"""

from __future__ import annotations

import datetime
import uuid as uuid_module
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connections, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record, snapshot
from pacte.errors import DomainError, check_version
from pacte.lib.allocation import largest_remainder
from pacte.lib.carry import month_fraction, moving_part, split_evenly
from pacte.lib.fiscal import Month
from pacte.org.models import Unit
from pacte.planning.models import (
    CascadeRun,
    CascadeShare,
    Holder,
    Layer,
    MoveKind,
    MoveOutcome,
    MovePolicy,
    Proration,
    RunStatus,
    TargetMove,
    TargetTransfer,
)

POLICY_FIELDS = ("outcome", "proration")


def policy_of(workspace: Workspace | int) -> MovePolicy:
    ws_id = workspace if isinstance(workspace, int) else workspace.pk
    found = MovePolicy.objects.filter(workspace_id=ws_id).first()
    return found or MovePolicy(workspace_id=ws_id)


@transaction.atomic
def update_policy(
    *,
    workspace: Workspace,
    actor: Membership | None,
    outcome: str,
    proration: str,
    version: int | None = None,
) -> MovePolicy:
    """Change where the rest of a target goes on a move (audited; a stale ``version`` is 412)."""
    if outcome not in MoveOutcome.values:
        raise DomainError(
            _("Choose where the rest of the target goes."), code="invalid", field="outcome"
        )
    if proration not in Proration.values:
        raise DomainError(
            _("Choose how the month of the move is split."), code="invalid", field="proration"
        )
    policy, _created = MovePolicy.objects.select_for_update().get_or_create(workspace=workspace)
    check_version(policy, version)
    before = snapshot(policy, POLICY_FIELDS)
    policy.outcome, policy.proration = outcome, proration
    after = snapshot(policy, POLICY_FIELDS)
    if after != before:
        policy.version += 1
        policy.updated_by = actor
        policy.updated_at = timezone.now()
        policy.save()
        record(
            workspace=workspace,
            actor=actor,
            action="move_policy.updated",
            obj=policy,
            before=before,
            after=after,
        )
    return policy


# ------------------------------------------------------------------------------------------
# refusals


def check_period(workspace: Workspace, effective: datetime.date) -> None:
    """Refuse a move dated in a closed month (closed months are closed for every figure; a
    past year left open still takes corrections)."""
    from pacte.insights.selectors import is_month_closed

    if is_month_closed(workspace, Month.of(effective).index):
        raise DomainError(
            _("The move is dated %(date)s, in a closed month: choose a date in an open month.")
            % {"date": effective},
            code="period_closed",
            field="effective",
        )


# ------------------------------------------------------------------------------------------
# planning a carry


@dataclass(frozen=True)
class Mover:
    """One seller's move (``to_unit`` None: a departure; ``from_unit`` None: an arrival)."""

    seller_id: int
    from_unit_id: int | None
    to_unit_id: int | None
    effective: datetime.date

    @property
    def kind(self) -> str:
        if self.from_unit_id is None:
            return MoveKind.JOIN
        return MoveKind.LEAVE if self.to_unit_id is None else MoveKind.MOVE


@dataclass
class PlannedMove:
    """A ``TargetMove`` before it is written (a thousand model instances cost more than the
    carry itself)."""

    kind: str
    seller_id: int
    from_unit_id: int | None
    to_unit_id: int | None
    effective: datetime.date
    outcome: str
    proration: str
    uuid: uuid_module.UUID = field(default_factory=uuid_module.uuid4)
    target_amount: int = 0
    objective_amount: int = 0
    pk: int | None = None


@dataclass
class Planned:
    """A carry before it is written: one header per mover that moves something, its lines."""

    run: CascadeRun
    actor_id: int | None = None
    moves: list[PlannedMove] = field(default_factory=list)
    # (move position, layer, holder, seller, unit, channel, month, amount)
    lines: list[tuple[int, str, str, int | None, int | None, int | None, int, int]] = field(
        default_factory=list
    )


def _seller_holdings(
    run: CascadeRun, layer: str, seller_ids: list[int], first_month: int
) -> dict[int, dict[tuple[int | None, int | None, int], int]]:
    """Each seller's holdings from ``first_month`` on: ``{seller: {(unit, channel, month):
    amount}}`` — stored cells (or agreed objective months) plus carry lines, set-based."""
    held: dict[int, dict[tuple[int | None, int | None, int], int]] = defaultdict(
        lambda: defaultdict(int)
    )
    if layer == Layer.TARGET:
        cells = CascadeShare.objects.filter(
            run=run, seller_id__in=seller_ids, month__gte=first_month
        ).values_list("seller_id", "unit_id", "channel_id", "month", "amount")
        for seller, unit, channel, month, amount in cells:
            held[seller][(unit, channel, month)] += amount
    else:
        from pacte.objectives.models import Objective, Status

        first = run.workspace.calendar.first_month_index(run.fiscal_year)
        objectives = Objective.objects.filter(
            workspace_id=run.workspace_id,
            fiscal_year=run.fiscal_year,
            status=Status.AGREED,
            seller_id__in=seller_ids,
        ).values_list("seller_id", "months")
        for seller, months in objectives:
            for i, amount in enumerate(months or []):
                if first + i >= first_month and int(amount):
                    held[seller][(None, None, first + i)] += int(amount)
    lines = (
        TargetTransfer.objects.filter(
            run=run,
            layer=layer,
            holder=Holder.SELLER,
            seller_id__in=seller_ids,
            month__gte=first_month,
        )
        .values_list("seller_id", "unit_id", "channel_id", "month")
        .annotate(total=Sum("amount"))
    )
    for seller, unit, channel, month, total in lines:
        # An objective is the person's: its lines count whatever team they were written in.
        key = (unit, channel, month) if layer == Layer.TARGET else (None, None, month)
        held[seller][key] += total
    return held


def _open_holdings(
    run: CascadeRun, layer: str, unit_ids: list[int], first_month: int
) -> dict[int, dict[tuple[int | None, int | None, int], int]]:
    held: dict[int, dict[tuple[int | None, int | None, int], int]] = defaultdict(
        lambda: defaultdict(int)
    )
    lines = (
        TargetTransfer.objects.filter(
            run=run, layer=layer, holder=Holder.OPEN, unit_id__in=unit_ids, month__gte=first_month
        )
        .values_list("unit_id", "channel_id", "month")
        .annotate(total=Sum("amount"))
    )
    for unit, channel, month, total in lines:
        if total:
            held[unit][(unit, channel, month)] += total
    return held


def _split(
    sources: list[dict[tuple[int | None, int | None, int], int]],
    move_months: list[int],
    fractions: list[tuple[int, int]],
) -> list[list[tuple[tuple[int | None, int | None, int], int]]]:
    """What moves of each source's holdings: ``[(key, part), ...]`` per source (parts > 0)."""
    keys: list[tuple[int | None, int | None, int]] = []
    amounts: list[int] = []
    groups: list[int] = []
    for g, held in enumerate(sources):
        for key, amount in held.items():
            if amount > 0:
                keys.append(key)
                amounts.append(amount)
                groups.append(g)
    out: list[list[tuple[tuple[int | None, int | None, int], int]]] = [[] for _ in sources]
    if not keys:
        return out
    parts = moving_part(amounts, [k[2] for k in keys], groups, move_months, fractions).tolist()
    for key, g, part in zip(keys, groups, parts, strict=True):
        if part:
            out[g].append((key, part))
    return out


def plan(
    *,
    workspace: Workspace,
    movers: Sequence[Mover],
    actor: Membership | None = None,
    policy: MovePolicy | None = None,
) -> list[Planned]:
    """The carries of ``movers`` (nothing written): one ``Planned`` per fiscal year that has a
    published run."""
    policy = policy or policy_of(workspace)
    cal = workspace.calendar
    by_year: dict[int, list[Mover]] = defaultdict(list)
    for mover in movers:
        by_year[cal.year_of(mover.effective)].append(mover)
    runs = {
        r.fiscal_year: r
        for r in CascadeRun.objects.for_workspace(workspace)
        .filter(status=RunStatus.PUBLISHED, fiscal_year__in=list(by_year))
        .select_related("workspace")
    }
    out = []
    for fy, group in sorted(by_year.items()):
        run = runs.get(fy)
        if run is not None:
            out.append(_plan_year(run, group, policy, actor))
    return out


def _plan_year(
    run: CascadeRun, movers: list[Mover], policy: MovePolicy, actor: Membership | None
) -> Planned:
    planned = Planned(run=run, actor_id=actor.pk if actor else None)
    outcome = policy.outcome
    leaving = [m for m in movers if m.kind != MoveKind.JOIN]
    joining = [m for m in movers if m.kind == MoveKind.JOIN and outcome == MoveOutcome.TEAM]
    first_month = min(Month.of(m.effective).index for m in movers)
    headers: dict[tuple[str, int], int] = {}  # (kind, seller) -> position in planned.moves

    def header(mover: Mover) -> int:
        pos = headers.get((mover.kind, mover.seller_id))
        if pos is None:
            pos = headers[(mover.kind, mover.seller_id)] = len(planned.moves)
            planned.moves.append(
                PlannedMove(
                    kind=mover.kind,
                    seller_id=mover.seller_id,
                    from_unit_id=mover.from_unit_id,
                    to_unit_id=mover.to_unit_id,
                    effective=mover.effective,
                    outcome=outcome,
                    proration=policy.proration,
                )
            )
        return pos

    for layer in (Layer.TARGET, Layer.OBJECTIVE):
        if leaving:
            held = _seller_holdings(run, layer, [m.seller_id for m in leaving], first_month)
            parts = _split(
                [held.get(m.seller_id, {}) for m in leaving],
                [Month.of(m.effective).index for m in leaving],
                [month_fraction(m.effective, policy.proration) for m in leaving],
            )
            for mover, moved in zip(leaving, parts, strict=True):
                if not moved:
                    continue
                pos = header(mover)
                for (unit, channel, month), part in moved:
                    unit = unit if unit is not None else mover.from_unit_id
                    planned.lines.append(
                        (pos, layer, Holder.SELLER, mover.seller_id, unit, channel, month, -part)
                    )
                    dest: tuple[str, int | None, int | None]
                    if mover.kind == MoveKind.MOVE and outcome == MoveOutcome.PERSON:
                        dest = (Holder.SELLER, mover.seller_id, mover.to_unit_id)
                    elif outcome == MoveOutcome.POOL:
                        dest = (Holder.POOL, None, None)
                    else:  # the team's open share (a departure under "person" too)
                        dest = (Holder.OPEN, None, unit)
                    planned.lines.append(
                        (pos, layer, dest[0], dest[1], dest[2], channel, month, part)
                    )
        if joining:
            _plan_joins(planned, run, layer, joining, policy, header)
    for pos, line_layer, _holder, _seller, _unit, _channel, _month, amount in planned.lines:
        if amount < 0:  # what left its holder is what the carry moved
            if line_layer == Layer.TARGET:
                planned.moves[pos].target_amount -= amount
            else:
                planned.moves[pos].objective_amount -= amount
    return planned


def _plan_joins(
    planned: Planned,
    run: CascadeRun,
    layer: str,
    joining: list[Mover],
    policy: MovePolicy,
    header: Any,
) -> None:
    """Arrivals under the "team" policy take their team's open share from their first day, in
    equal parts when several arrive in one team on one day."""
    groups: dict[tuple[int, datetime.date], list[Mover]] = defaultdict(list)
    for mover in joining:
        assert mover.to_unit_id is not None
        groups[(mover.to_unit_id, mover.effective)].append(mover)
    first_month = min(Month.of(day).index for _unit, day in groups)
    held = _open_holdings(run, layer, list({unit for unit, _day in groups}), first_month)
    keys = list(groups)
    parts = _split(
        [held.get(unit, {}) for unit, _day in keys],
        [Month.of(day).index for _unit, day in keys],
        [month_fraction(day, policy.proration) for _unit, day in keys],
    )
    for (unit, _day), moved in zip(keys, parts, strict=True):
        people = groups[(unit, _day)]
        for (_u, channel, month), part in moved:
            shares = split_evenly(part, len(people))
            for mover, share in zip(people, shares, strict=True):
                if not share:
                    continue
                pos = header(mover)
                planned.lines.append((pos, layer, Holder.OPEN, None, unit, channel, month, -share))
                planned.lines.append(
                    (pos, layer, Holder.SELLER, mover.seller_id, unit, channel, month, share)
                )
        held.pop(unit, None)  # a second arrival day in the same batch finds it taken


def _write(planned: Planned, actor: Membership | None) -> list[PlannedMove]:
    if not planned.moves:
        return []
    moves = planned.moves
    run = planned.run
    now = timezone.now()
    conn = connections["default"]
    uuid_field = TargetMove._meta.get_field("uuid")
    _insert_rows(
        TargetMove._meta.db_table,
        {
            "workspace_id": [run.workspace_id] * len(moves),
            "uuid": [uuid_field.get_db_prep_value(m.uuid, conn) for m in moves],
            "run_id": [run.pk] * len(moves),
            "fiscal_year": [run.fiscal_year] * len(moves),
            "kind": [m.kind for m in moves],
            "seller_id": [m.seller_id for m in moves],
            "from_unit_id": [m.from_unit_id for m in moves],
            "to_unit_id": [m.to_unit_id for m in moves],
            "effective": [conn.ops.adapt_datefield_value(m.effective) for m in moves],
            "outcome": [m.outcome for m in moves],
            "proration": [m.proration for m in moves],
            "target_amount": [m.target_amount for m in moves],
            "objective_amount": [m.objective_amount for m in moves],
            "created_by_id": [planned.actor_id] * len(moves),
            "created_at": [conn.ops.adapt_datetimefield_value(now)] * len(moves),
        },
    )
    ids = dict(
        TargetMove.objects.filter(run=run, uuid__in=[m.uuid for m in moves]).values_list(
            "uuid", "pk"
        )
    )
    for m in moves:
        m.pk = ids[m.uuid]
    if planned.lines:
        cols = list(zip(*planned.lines, strict=True))
        _insert_rows(
            TargetTransfer._meta.db_table,
            {
                "workspace_id": [planned.run.workspace_id] * len(planned.lines),
                "move_id": [moves[p].pk for p in cols[0]],
                "run_id": [planned.run.pk] * len(planned.lines),
                "layer": list(cols[1]),
                "holder": list(cols[2]),
                "seller_id": list(cols[3]),
                "unit_id": list(cols[4]),
                "channel_id": list(cols[5]),
                "month": list(cols[6]),
                "amount": list(cols[7]),
            },
        )
    # One event for the carry (a bulk move carries a thousand people in one statement), with
    # each mover's amounts: the TargetMove rows keep the detail.
    uuids = dict(
        Membership.objects.filter(pk__in={m.seller_id for m in moves}).values_list("pk", "uuid")
    )
    first = moves[0]
    record(
        workspace=planned.run.workspace,
        actor=actor,
        action="target.carried",
        object_type="targetmove",
        object_id=str(first.uuid) if len(moves) == 1 else "",
        object_repr=f"FY{planned.run.fiscal_year}: {len(moves)}",
        after={
            "fiscal_year": planned.run.fiscal_year,
            "outcome": first.outcome,
            "proration": first.proration,
            "moves": [
                {
                    "seller": str(uuids.get(move.seller_id, "")),
                    "kind": move.kind,
                    "effective": move.effective,
                    "target_amount": move.target_amount,
                    "objective_amount": move.objective_amount,
                }
                for move in moves
            ],
        },
    )
    return moves


def _insert_rows(table: str, columns: dict[str, list[Any]]) -> None:
    """Insert rows in bulk: one COPY on PostgreSQL (NULLs as ``\\N``), one executemany on
    SQLite; ``bulk_create`` costs a second per 50,000 lines, and a model instance per row."""
    names = list(columns)
    conn = connections["default"]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            import polars as pl

            frame = pl.DataFrame(
                {
                    name: pl.Series(
                        name,
                        [None if v is None else str(v) for v in values]
                        if name not in NUMBERS
                        else values,
                        dtype=pl.Int64 if name in NUMBERS else pl.String,
                    )
                    for name, values in columns.items()
                }
            )
            sql = f"COPY {table} ({', '.join(names)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                copy.write(frame.write_csv(separator="\t", include_header=False, null_value="\\N"))
        else:
            marks = ", ".join(["?"] * len(names))
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"  # noqa: S608 (internal table)
            conn.connection.executemany(sql, zip(*columns.values(), strict=True))


NUMBERS = {
    "workspace_id",
    "move_id",
    "run_id",
    "seller_id",
    "unit_id",
    "channel_id",
    "month",
    "amount",
    "fiscal_year",
    "from_unit_id",
    "to_unit_id",
    "target_amount",
    "objective_amount",
    "created_by_id",
}


def carry(
    *,
    workspace: Workspace,
    actor: Membership | None,
    movers: Sequence[Mover],
) -> list[PlannedMove]:
    """Carry the rest of the movers' targets by the workspace's policy; call it inside the
    transaction that records the moves (it refuses to run outside one)."""
    if not movers:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A carry is written in the transaction of the moves it follows.")
    MovePolicy.objects.select_for_update().filter(workspace=workspace).first()
    written: list[PlannedMove] = []
    for planned in plan(workspace=workspace, movers=movers, actor=actor):
        written.extend(_write(planned, actor))
    from pacte.planning.delegation import follow_moves

    follow_moves(workspace=workspace, actor=actor, movers=movers)
    return written


def preview(*, member: Membership, unit: Unit | None, effective: datetime.date) -> dict[str, Any]:
    """What recording this move would carry, without writing anything: the policy, and the
    reference share and objective that would move."""
    from pacte.org.models import Placement

    current = (
        Placement.objects.for_workspace(member.workspace)
        .filter(membership=member, valid_to__isnull=True)
        .values_list("unit_id", flat=True)
        .first()
    )
    policy = policy_of(member.workspace)
    mover = Mover(member.pk, current, unit.pk if unit else None, effective)
    planned = plan(workspace=member.workspace, movers=[mover], policy=policy)
    moves = [m for p in planned for m in p.moves]
    return {
        "outcome": policy.outcome,
        "proration": policy.proration,
        "kind": mover.kind,
        "run": planned[0].run if planned else None,
        "target_amount": sum(m.target_amount for m in moves),
        "objective_amount": sum(m.objective_amount for m in moves),
    }


# ------------------------------------------------------------------------------------------
# the pool


def pool_cells(run: CascadeRun, *, from_month: int | None = None) -> dict[tuple[int, int], int]:
    """The company pool of a run's reference shares: ``{(channel, month): amount}``."""
    qs = TargetTransfer.objects.filter(run=run, layer=Layer.TARGET, holder=Holder.POOL)
    if from_month is not None:
        qs = qs.filter(month__gte=from_month)
    return {
        (channel, month): total
        for channel, month, total in qs.values_list("channel_id", "month").annotate(
            total=Sum("amount")
        )
        if total
    }


@transaction.atomic
def assign_pool(
    *,
    run: CascadeRun,
    actor: Membership | None,
    amount: int,
    seller: Membership | None = None,
    unit: Unit | None = None,
    today: datetime.date | None = None,
) -> TargetMove:
    """Give ``amount`` of the pool (its months from this one on) to a seller, in their current
    team, or to a team as an open share; split over the pool's channels and months by largest
    remainder. Audited."""
    from pacte.org.models import Placement

    workspace = run.workspace
    if (seller is None) == (unit is None):
        raise DomainError(_("Choose a seller or a team."), code="required", field="seller")
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError(_("Give an amount above zero."), code="invalid", field="amount")
    # One assignment at a time per workspace: the pool cannot be given away twice.
    MovePolicy.objects.get_or_create(workspace=workspace)
    MovePolicy.objects.select_for_update().filter(workspace=workspace).first()
    day = today or timezone.localdate()
    check_period(workspace, day)
    if seller is not None:
        if seller.workspace_id != workspace.pk or not seller.is_active:
            raise DomainError(
                _("Choose an active seller of this workspace."), code="not_found", field="seller"
            )
        unit_id = (
            Placement.objects.for_workspace(workspace)
            .on(day)
            .filter(membership=seller)
            .values_list("unit_id", flat=True)
            .first()
        )
        if unit_id is None:
            raise DomainError(
                _("%(name)s is in no team today.") % {"name": seller},
                code="no_team",
                field="seller",
            )
    else:
        assert unit is not None
        if unit.workspace_id != workspace.pk or not unit.is_active:
            raise DomainError(
                _("Choose an active team of this workspace."), code="not_found", field="unit"
            )
        unit_id = unit.pk
    cells = pool_cells(run, from_month=Month.of(day).index)
    available = sum(cells.values())
    if amount > available:
        raise DomainError(
            _("The pool holds %(available)s from this month on; assign at most that.")
            % {"available": available},
            code="too_much",
            field="amount",
        )
    keys = sorted(cells)
    parts = largest_remainder(amount, [cells[k] for k in keys], keys=np.arange(len(keys)))
    move = TargetMove.objects.create(
        workspace=workspace,
        run=run,
        fiscal_year=run.fiscal_year,
        kind=MoveKind.ASSIGN,
        seller=seller,
        to_unit_id=unit_id,
        effective=day,
        outcome=MoveOutcome.POOL,
        proration=policy_of(workspace).proration,
        target_amount=amount,
        created_by=actor,
    )
    lines = []
    for (channel, month), part in zip(keys, parts.tolist(), strict=True):
        if not part:
            continue
        common = {"workspace": workspace, "move": move, "run": run, "layer": Layer.TARGET}
        lines.append(
            TargetTransfer(
                **common, holder=Holder.POOL, channel_id=channel, month=month, amount=-part
            )
        )
        lines.append(
            TargetTransfer(
                **common,
                holder=Holder.SELLER if seller else Holder.OPEN,
                seller=seller,
                unit_id=unit_id,
                channel_id=channel,
                month=month,
                amount=part,
            )
        )
    TargetTransfer.objects.bulk_create(lines)
    record(
        workspace=workspace,
        actor=actor,
        action="target.pool_assigned",
        obj=move,
        after={
            "fiscal_year": run.fiscal_year,
            "amount": amount,
            "seller": str(seller.uuid) if seller else None,
            "unit": str(unit.uuid) if unit else None,
        },
    )
    return move


# ------------------------------------------------------------------------------------------
# reads


def totals(run: CascadeRun, layer: str = Layer.TARGET) -> dict[str, Any]:
    """The pool, each team's open share and the moves of a run (for the executive's page)."""
    lines = TargetTransfer.objects.filter(run=run, layer=layer)
    pool = lines.filter(holder=Holder.POOL).aggregate(total=Sum("amount"))["total"] or 0
    open_rows = (
        lines.filter(holder=Holder.OPEN)
        .values("unit_id", "unit__name", "unit__uuid")
        .annotate(total=Sum("amount"))
        .order_by("unit__name")
    )
    return {
        "pool": pool,
        "open": [
            {"unit": r["unit__name"], "uuid": r["unit__uuid"], "amount": r["total"]}
            for r in open_rows
            if r["total"]
        ],
    }


def open_share_of(run: CascadeRun, unit_ids: Iterable[int]) -> int:
    return (
        TargetTransfer.objects.filter(
            run=run, layer=Layer.TARGET, holder=Holder.OPEN, unit_id__in=list(unit_ids)
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def seller_adjustment(run: CascadeRun, seller: Membership) -> int:
    """What carries added to (or took from) a seller's reference share in ``run``."""
    return (
        TargetTransfer.objects.filter(
            run=run, layer=Layer.TARGET, holder=Holder.SELLER, seller=seller
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def moves_of(run: CascadeRun, seller: Membership) -> list[TargetMove]:
    return list(
        TargetMove.objects.filter(run=run, seller=seller)
        .select_related("from_unit", "to_unit")
        .order_by("effective", "pk")
    )


def recent_moves(run: CascadeRun, limit: int = 50) -> list[TargetMove]:
    return list(
        TargetMove.objects.filter(run=run)
        .select_related("seller", "from_unit", "to_unit")
        .order_by("-created_at", "-pk")[:limit]
    )


# ------------------------------------------------------------------------------------------
# words


def _money(amount: int, currency: str) -> str:
    from django.utils.translation import get_language

    from pacte.lib.money import format_money

    return format_money(amount, currency, get_language())


def _day(day: datetime.date) -> str:
    from django.utils.translation import get_language

    from pacte.lib.dates import format_day

    return format_day(day, get_language())


def sentence(move: TargetMove, currency: str) -> str:
    """ "Why my number": what a carry did to the seller's target, in their words."""
    params = {
        "amount": _money(move.target_amount, currency),
        "from": str(move.from_unit) if move.from_unit_id else "",
        "to": str(move.to_unit) if move.to_unit_id else "",
        "date": _day(move.effective),
    }
    if move.kind == MoveKind.ASSIGN:
        return _("%(amount)s of the company pool was given to you on %(date)s.") % params
    if move.kind == MoveKind.JOIN:
        return (
            _(
                "You took over %(amount)s of the open share of %(to)s when you joined it on %(date)s."
            )
            % params
        )
    if move.kind == MoveKind.LEAVE:
        if move.outcome == MoveOutcome.POOL:
            return (
                _(
                    "%(amount)s of your target went to the company pool when you left %(from)s on "
                    "%(date)s."
                )
                % params
            )
        return (
            _(
                "%(amount)s of your target stayed with %(from)s as an open share when you left it "
                "on %(date)s."
            )
            % params
        )
    if move.outcome == MoveOutcome.PERSON:
        return (
            _("%(amount)s of your target moved with you from %(from)s to %(to)s on %(date)s.")
            % params
        )
    if move.outcome == MoveOutcome.TEAM:
        return (
            _(
                "%(amount)s of your target stayed with %(from)s as an open share when you moved to "
                "%(to)s on %(date)s."
            )
            % params
        )
    return (
        _(
            "%(amount)s of your target went to the company pool when you moved from %(from)s to "
            "%(to)s on %(date)s."
        )
        % params
    )


def preview_sentence(shown: dict[str, Any], currency: str) -> str:
    """The move form's preview: what saving it would carry, by the workspace's policy."""
    if shown["run"] is None:
        return _("No run is published for the year of this move: no target moves.")
    params = {
        "amount": _money(shown["target_amount"], currency),
        "objective": _money(shown["objective_amount"], currency),
        "outcome": MoveOutcome(shown["outcome"]).label,
        "proration": Proration(shown["proration"]).label,
    }
    return (
        _(
            "Saving this move carries %(amount)s of reference share and %(objective)s of agreed "
            "objective: %(outcome)s (%(proration)s)."
        )
        % params
    )
