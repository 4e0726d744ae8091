"""The leads' second-level split: a published run stopped at teams, each team's share split
by its lead (methods of the cascade restricted to the team, or amounts typed by hand), sub-teams
in turn, and the splits written back as the run's seller shares once every team is done.

Reads (:func:`team_inputs`, :func:`preview`) are set-based: one read of the team's stored
explanations gives every method's inputs. Workflows are atomic and audited.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import FloatField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.access import get_scoped
from pacte.accounts.models import Membership
from pacte.amounts import check_amount
from pacte.audit.services import record
from pacte.errors import DomainError, check_version
from pacte.lib import allocation as alloc
from pacte.lib.money import format_money
from pacte.org.models import Unit
from pacte.org.selectors import subtree_ids
from pacte.planning.cascade import BLEND_METHODS, parse_params
from pacte.planning.models import (
    DONE_STATUSES,
    CascadeRun,
    CascadeShare,
    Delegation,
    Method,
    RunStatus,
    SellerExplanation,
    SplitStatus,
    TeamSplit,
    UnitShare,
)
from pacte.planning.services import is_closed
from pacte.planning.storage import bulk_insert

MANUAL = "manual"
SPLIT_METHODS = (*BLEND_METHODS, Method.BLENDED.value, MANUAL)

# ------------------------------------------------------------------------------------------
# access


def splits_for(viewer: Membership) -> Any:
    """The splits a member may open: every one for executives and admins, else the splits of
    the teams they lead themselves (a sub-team only through its own lead)."""
    qs = TeamSplit.objects.for_workspace(viewer.workspace).select_related(
        "unit", "unit__lead", "delegation", "delegation__run", "parent"
    )
    if viewer.sees_everything:
        return qs
    return qs.filter(unit__lead=viewer)


def get_split_for(viewer: Membership, public_id: Any) -> TeamSplit:
    """A team split the viewer may work on, else 404 (another team's split is not shown)."""
    return get_scoped(splits_for(viewer), public_id)


def get_delegation(run: CascadeRun) -> Delegation | None:
    return Delegation.objects.for_workspace(run.workspace_id).filter(run=run).first()


def get_delegation_for(viewer: Membership, run: CascadeRun) -> Delegation:
    found = get_delegation(run)
    if found is None or not viewer.sees_everything:
        raise Http404
    return found


# ------------------------------------------------------------------------------------------
# the team's inputs (one read of the stored explanations)


@dataclass
class TeamInputs:
    """A team's items (its direct sellers, then its sub-teams) with every method's inputs
    summed per item; arrays are aligned on ``keys``."""

    split: TeamSplit
    keys: list[str]
    names: list[str]
    kinds: list[str]  # "seller" or "team"
    ids: np.ndarray  # seller or unit ids (tie-break keys)
    current: np.ndarray  # the run's amounts
    fte: np.ndarray
    history: np.ndarray  # annualised history
    potential: np.ndarray
    capacity: np.ndarray
    seller_ids: np.ndarray  # every seller of the subtree
    seller_item: np.ndarray  # their item position

    @property
    def position(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.keys)}


def team_inputs(split: TeamSplit) -> TeamInputs:
    """The team's direct sellers and sub-teams with their inputs: the subtree's ids, the sub-
    team splits, and one read of the run's explanations of the subtree's sellers."""
    run_id = split.delegation.run_id
    workspace_id = split.workspace_id
    children = list(
        TeamSplit.objects.filter(workspace_id=workspace_id, parent=split)
        .order_by("unit__name", "pk")
        .values_list("unit_id", "unit__uuid", "unit__name")
    )
    # every placed team has a split: a team without sub-team splits has no sub-team sellers
    units = subtree_ids(split.unit) if children else [split.unit_id]
    parents = (
        dict(
            Unit.objects.filter(workspace_id=workspace_id, pk__in=units).values_list(
                "pk", "parent_id"
            )
        )
        if children
        else {}
    )
    child_pos = {unit_id: i for i, (unit_id, _u, _n) in enumerate(children)}
    # each unit of the subtree belongs to the item of the child team above it (or the team)
    top: dict[int, int | None] = {split.unit_id: None}

    def item_of(unit_id: int) -> int | None:
        if unit_id in top:
            return top[unit_id]
        if unit_id in child_pos:
            top[unit_id] = child_pos[unit_id]
        else:
            top[unit_id] = item_of(parents[unit_id])
        return top[unit_id]

    # every method's inputs as numbers read by the database (no JSON decoded per row)
    def number(name: str) -> Cast:
        return Cast(KT(f"data__inputs__{name}"), FloatField())

    # sellers moved while the window is open are in the team their line followed them to
    moved = {key: int(u) for key, u in (split.delegation.moved or {}).items()}
    moved_in = [key for key, u in moved.items() if u in set(units)]
    placed = (
        Q(unit_id__in=units) | Q(seller__uuid__in=moved_in) if moved_in else Q(unit_id__in=units)
    )
    rows = list(
        SellerExplanation.objects.filter(placed, workspace_id=workspace_id, run_id=run_id)
        .order_by("seller__name", "seller_id")
        .annotate(
            in_fte=number("fte"),
            in_history_annualised=number("history_annualised"),
            in_potential=number("potential"),
            in_capacity=number("capacity"),
        )
        .values_list(
            "seller_id",
            "seller__uuid",
            "seller__name",
            "unit_id",
            "amount",
            "in_fte",
            "in_history_annualised",
            "in_potential",
            "in_capacity",
        )
    )
    if moved:
        unit_set = set(units)
        rows = [
            (r[0], r[1], r[2], moved.get(str(r[1]), r[3]), *r[4:])
            for r in rows
            if moved.get(str(r[1]), r[3]) in unit_set
        ]
    direct = [r for r in rows if r[3] == split.unit_id]
    k_direct = len(direct)
    k = k_direct + len(children)
    direct_pos = {r[0]: i for i, r in enumerate(direct)}
    seller_ids = np.array([r[0] for r in rows], np.int64)
    seller_item = np.array(
        [
            direct_pos[r[0]] if r[3] == split.unit_id else k_direct + (item_of(r[3]) or 0)
            for r in rows
        ],
        np.int64,
    )

    def column(position: int, default: float) -> np.ndarray:
        values = np.array(
            [default if r[position] is None else r[position] for r in rows], dtype=np.float64
        )
        out = np.zeros(k)
        np.add.at(out, seller_item, values)
        return out

    current = np.zeros(k, np.int64)
    np.add.at(current, seller_item, np.array([r[4] for r in rows], np.int64))
    return TeamInputs(
        split=split,
        keys=[str(r[1]) for r in direct] + [str(c[1]) for c in children],
        names=[r[2] for r in direct] + [c[2] for c in children],
        kinds=["seller"] * k_direct + ["team"] * len(children),
        ids=np.array([r[0] for r in direct] + [c[0] for c in children], np.int64),
        current=current,
        fte=column(5, 1.0),
        history=column(6, 0.0),
        potential=column(7, 0.0),
        capacity=column(8, 0.0),
        seller_ids=seller_ids,
        seller_item=seller_item,
    )


# ------------------------------------------------------------------------------------------
# computing a split


@dataclass
class SplitResult:
    amounts: np.ndarray
    explain: list[dict[str, Any]]


def _money(amount: int, currency: str) -> str:
    from django.utils.translation import get_language

    return format_money(amount, currency, get_language())


def compute_split(
    inputs: TeamInputs,
    *,
    method: str,
    parameters: Mapping[str, Any],
    amounts: Mapping[str, int] | None = None,
    currency: str = "EUR",
    rounding_unit: int = 1,
) -> SplitResult:
    """The team's share split among its items by ``method`` (an engine method restricted to
    the team, or ``manual`` with ``amounts`` per public id). Refusals name their field."""
    total = inputs.split.amount
    k = len(inputs.keys)
    pos = inputs.position
    if method not in SPLIT_METHODS:
        raise DomainError(
            _("Unknown method “%(method)s”.") % {"method": method},
            code="bad_method",
            field="method",
        )
    if k == 0:
        raise DomainError(_("This team has nobody to split its share among."), code="no_sellers")
    if method == MANUAL:
        typed = np.zeros(k, np.int64)
        for key, value in (amounts or {}).items():
            if key not in pos:
                raise DomainError(
                    _("An amount names someone who is not in this team."),
                    code="unknown_seller",
                    field=f"amounts.{key}",
                )
            typed[pos[key]] = check_amount(value, currency, field=f"amounts.{key}")
        return SplitResult(typed, [{"method": MANUAL} for _i in range(k)])
    params = parse_params({**parameters, "method": method}, currency=currency)
    holds: dict[int, int] = {}
    for key, amount in params.holds.items():
        if key not in pos:
            raise DomainError(
                _("A hold names someone who is not in this team."),
                code="unknown_seller",
                field="holds",
            )
        if amount > total:
            raise DomainError(
                _("The hold of %(who)s (%(hold)s) is above the team's share (%(share)s).")
                % {
                    "who": inputs.names[pos[key]],
                    "hold": _money(amount, currency),
                    "share": _money(total, currency),
                },
                code="hold_above_share",
                field=f"holds.{key}",
            )
        holds[pos[key]] = amount
    if sum(holds.values()) > total:
        raise DomainError(
            _("The holds add up to %(holds)s, above the team's share (%(share)s).")
            % {
                "holds": _money(sum(holds.values()), currency),
                "share": _money(total, currency),
            },
            code="hold_above_share",
            field="holds",
        )
    vectors = {
        "equal": inputs.fte,
        "history": inputs.history,
        "potential": inputs.potential,
        "capacity": inputs.capacity,
    }
    active = ~np.isin(np.arange(k), list(holds))
    try:
        if method == Method.BLENDED:
            weights = alloc.blend({m: vectors[m] * active for m in params.mix}, params.mix)
        else:
            weights = alloc.Weights.single(method, vectors[method] * active)
    except alloc.AllocationError:
        if total - sum(holds.values()) > 0:
            raise DomainError(
                _("All weights are zero for this method in this team: choose another method."),
                code="weights_zero",
                field="method",
            ) from None
        weights = alloc.Weights(values=active.astype(np.float64), components={}, mix={})
    bounds = None
    if params.bounds:
        bounds = alloc.growth_bounds(
            inputs.history, low=1 + params.bounds[0] / 100, high=1 + params.bounds[1] / 100
        )
    try:
        result = alloc.cascade(
            total,
            seller_unit=np.zeros(k, np.int64),
            unit_parent=np.array([-1], np.int64),
            weights=weights,
            seller_keys=inputs.ids,
            bounds=bounds,
            holds=holds,
            channel_weights=np.ones(1),
            n_months=1,
            rounding_unit=rounding_unit,
        )
    except alloc.CascadeInfeasible:
        raise DomainError(
            _("These holds and bounds cannot all hold within the team's share."),
            code="infeasible",
            field="bounds",
        ) from None
    except alloc.AllocationError as exc:
        raise DomainError(
            _("The split cannot be computed with these inputs: %(reason)s") % {"reason": str(exc)},
            code="allocation_error",
        ) from None
    why = result.explain
    explain = [
        {"method": method, "weight_share": float(share), "held": bool(held), "bound": bound}
        for share, held, bound in zip(
            why.weight_share.tolist(),
            why.held.tolist(),
            (alloc.BOUND_LABELS[int(b)] for b in why.bound),
            strict=True,
        )
    ]
    return SplitResult(np.asarray(result.seller_amounts, np.int64), explain)


def preview(
    split: TeamSplit,
    *,
    method: str,
    parameters: Mapping[str, Any],
    amounts: Mapping[str, int] | None = None,
    currency: str,
) -> dict[str, Any]:
    """What the split page shows: each item's amount against the run's, and the live sum."""
    inputs = team_inputs(split)
    result = compute_split(
        inputs,
        method=method,
        parameters=parameters,
        amounts=amounts,
        currency=currency,
        rounding_unit=split.delegation.run.rounding_unit,
    )
    total = int(result.amounts.sum())
    return {
        "items": [
            {
                "key": inputs.keys[i],
                "name": inputs.names[i],
                "kind": inputs.kinds[i],
                "amount": int(result.amounts[i]),
                "current": int(inputs.current[i]),
                "held": bool(result.explain[i].get("held")),
                "bound": result.explain[i].get("bound") or "none",
            }
            for i in range(len(inputs.keys))
        ],
        "sum": total,
        "share": split.amount,
        "difference": split.amount - total,
        "exact": total == split.amount,
    }


# ------------------------------------------------------------------------------------------
# workflows


def _run_unit_amounts(run: CascadeRun) -> dict[int, int]:
    return dict(
        UnitShare.objects.filter(workspace_id=run.workspace_id, run=run)
        .values_list("unit_id")
        .annotate(total=Sum("amount"))
        .values_list("unit_id", "total")
    )


@transaction.atomic
def open_delegation(
    *,
    run: CascadeRun,
    actor: Membership | None,
    opens_on: datetime.date,
    closes_on: datetime.date,
) -> Delegation:
    """Stop the published ``run`` at teams: each team with a share gets a split for its lead
    (top-level teams now, sub-teams once the team above has submitted)."""
    run = CascadeRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.PUBLISHED:
        raise DomainError(
            _("Only the published run can be split by the teams' leads."), code="not_published"
        )
    if is_closed(run.workspace, run.fiscal_year):
        raise DomainError(
            _("FY%(year)s is closed (its last day is past): its reference can no longer change.")
            % {"year": run.fiscal_year},
            code="closed_year",
        )
    if closes_on < opens_on:
        raise DomainError(
            _("The window closes before it opens."), code="bad_window", field="closes_on"
        )
    if Delegation.objects.filter(run=run).exists():
        raise DomainError(_("The teams' split is already open for this run."), code="already_open")
    amounts = _run_unit_amounts(run)
    units = list(
        Unit.objects.for_workspace(run.workspace_id).order_by("pk").values_list("pk", "parent_id")
    )
    parent_of = dict(units)
    root = next(pk for pk, parent in units if parent is None)
    delegation = Delegation.objects.create(
        workspace_id=run.workspace_id,
        run=run,
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=actor,
    )
    # every team with a share or with sellers in the run, and the teams above them
    placed = set(
        SellerExplanation.objects.filter(workspace_id=run.workspace_id, run=run)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    wanted: set[int] = set()
    for start in placed | {pk for pk, amount in amounts.items() if amount > 0}:
        node: int | None = start
        while node is not None and node != root and node not in wanted:
            wanted.add(node)
            node = parent_of.get(node)
    with_share = sorted(wanted)

    def depth(pk: int) -> int:
        d = 0
        while parent_of[pk] is not None and parent_of[pk] != root:
            pk, d = parent_of[pk], d + 1
        return d

    created: dict[int, TeamSplit] = {}
    for pk in sorted(with_share, key=depth):
        parent_unit = parent_of[pk]
        parent = created.get(parent_unit) if parent_unit != root else None
        created[pk] = TeamSplit.objects.create(
            workspace_id=run.workspace_id,
            delegation=delegation,
            unit_id=pk,
            parent=parent,
            amount=amounts.get(pk, 0),
            status=(
                SplitStatus.WAITING
                if parent is not None
                else SplitStatus.PENDING
                if amounts.get(pk, 0)
                else SplitStatus.LOCKED  # nothing to split
            ),
        )
    record(
        workspace=run.workspace,
        actor=actor,
        action="delegation.opened",
        obj=run,
        after={
            "opens_on": opens_on.isoformat(),
            "closes_on": closes_on.isoformat(),
            "teams": len(created),
        },
    )
    return delegation


def _check_open(split: TeamSplit, actor: Membership, today: datetime.date) -> bool:
    """Whether the actor may change the split now; True when an executive takes it over."""
    delegation = split.delegation
    if delegation.status != Delegation.Status.OPEN:
        raise DomainError(
            _("The teams' split has been applied: it can no longer change."), code="applied"
        )
    if split.status in (SplitStatus.ACCEPTED, SplitStatus.LOCKED):
        raise DomainError(_("This team's split is locked."), code="locked")
    if split.status == SplitStatus.WAITING:
        raise DomainError(_("The team above has not split its share yet."), code="waiting")
    if actor.sees_everything and split.unit.lead_id != actor.pk:
        return True
    if not delegation.opens_on <= today <= delegation.closes_on:
        raise DomainError(
            _("The split window is closed (%(opens)s to %(closes)s).")
            % {
                "opens": delegation.opens_on.isoformat(),
                "closes": delegation.closes_on.isoformat(),
            },
            code="window_closed",
        )
    return False


@transaction.atomic
def save_split(
    *,
    split: TeamSplit,
    actor: Membership,
    method: str,
    parameters: Mapping[str, Any] | None = None,
    amounts: Mapping[str, int] | None = None,
    submit: bool = False,
    version: int | None = None,
    today: datetime.date | None = None,
) -> TeamSplit:
    """Save a lead's split as a draft, or submit it (it must then sum exactly to the team's
    share). An executive saving another lead's team takes it over."""
    split = (
        TeamSplit.objects.select_for_update()
        .select_related("delegation", "delegation__run", "unit")
        .get(pk=split.pk)
    )
    check_version(split, version)
    taken_over = _check_open(split, actor, today or timezone.localdate())
    currency = actor.workspace.currency
    inputs = team_inputs(split)
    result = compute_split(
        inputs,
        method=method,
        parameters=parameters or {},
        amounts=amounts,
        currency=currency,
        rounding_unit=split.delegation.run.rounding_unit,
    )
    total = int(result.amounts.sum())
    if submit and total != split.amount:
        raise DomainError(
            _("The split sums to %(sum)s, not to the team's share %(share)s (%(diff)s to go).")
            % {
                "sum": _money(total, currency),
                "share": _money(split.amount, currency),
                "diff": _money(split.amount - total, currency),
            },
            code="split_mismatch",
            field="amounts",
        )
    before = {"status": split.status, "method": split.method, "amounts": split.amounts}
    split.method = method
    split.parameters = {k: v for k, v in dict(parameters or {}).items() if k != "method"}
    split.amounts = {
        key: int(v) for key, v in zip(inputs.keys, result.amounts.tolist(), strict=True)
    }
    split.explanations = dict(zip(inputs.keys, result.explain, strict=True))
    split.status = SplitStatus.SUBMITTED if submit else SplitStatus.DRAFT
    split.taken_over = split.taken_over or taken_over
    split.updated_by = actor
    split.updated_at = timezone.now()
    if submit:
        split.submitted_at = split.updated_at
        split.notices = []
    split.version += 1
    split.save()
    if submit:
        _release_children(split)
    record(
        workspace=actor.workspace,
        actor=actor,
        action="team_split.submitted" if submit else "team_split.saved",
        obj=split,
        object_repr=split.unit.name,
        before=before,
        after={
            "status": split.status,
            "method": method,
            "amounts": split.amounts,
            "taken_over": split.taken_over,
        },
    )
    _apply_when_done(split.delegation, actor)
    return split


def follow_moves(*, workspace: Any, actor: Membership | None, movers: Any) -> int:
    """People moved while a teams' split is open: each one's line follows them from the split
    that held it to the split of their new team (the nearest team above it with one). The old
    team's share loses their amount in the company's run and the new team's gains it, on every
    level up to the team both are in, so each share still sums exactly and the company total
    never changes; the old draft forgets their amount and hold; a split whose share changed
    is open again (a submitted, accepted or locked one goes back to draft), and both leads get
    a notice. Departures and arrivals are left to the moves' carry. Returns the lines moved."""
    from pacte.planning.moves import Mover

    wanted: list[Mover] = [m for m in movers if m.from_unit_id and m.to_unit_id]
    if not wanted:
        return 0
    delegations = list(
        Delegation.objects.select_for_update()
        .filter(workspace_id=workspace.pk, status=Delegation.Status.OPEN)
        .select_related("run")
    )
    cal = workspace.calendar
    followed = 0
    for delegation in delegations:
        mine = [m for m in wanted if cal.year_of(m.effective) <= delegation.run.fiscal_year]
        if mine:
            followed += _follow(delegation, actor, mine)
    return followed


def _follow(delegation: Delegation, actor: Membership | None, movers: list[Any]) -> int:
    splits = {
        s.unit_id: s
        for s in TeamSplit.objects.select_for_update()
        .filter(delegation=delegation)
        .select_related("unit")
    }
    parent_of = dict(
        Unit.objects.filter(workspace_id=delegation.workspace_id).values_list("pk", "parent_id")
    )
    placed = {
        seller_id: (str(uuid), name, int(amount), unit_id)
        for seller_id, uuid, name, amount, unit_id in SellerExplanation.objects.filter(
            workspace_id=delegation.workspace_id,
            run_id=delegation.run_id,
            seller_id__in=[m.seller_id for m in movers],
        ).values_list("seller_id", "seller__uuid", "seller__name", "amount", "unit_id")
    }

    def chain(unit_id: int | None) -> list[int]:
        """The units with a split from ``unit_id`` up (the first is the team's own)."""
        out = []
        while unit_id is not None:
            if unit_id in splits:
                out.append(unit_id)
            unit_id = parent_of.get(unit_id)
        return out

    moved = dict(delegation.moved or {})
    changed: dict[int, TeamSplit] = {}  # their share changed: open again
    touched: dict[int, TeamSplit] = {}  # the share of one of their sub-teams changed
    followed = 0
    for mover in movers:
        if mover.seller_id not in placed:
            continue
        key, name, amount, run_unit = placed[mover.seller_id]
        old, new = chain(int(moved.get(key, run_unit))), chain(mover.to_unit_id)
        if not old or not new or old[0] == new[0]:
            continue
        common = set(old) & set(new)
        for units, sign in ((old, -1), (new, 1)):
            below: TeamSplit | None = None
            for unit_id in units:
                split = splits[unit_id]
                if below is not None and str(below.unit.uuid) in split.amounts:
                    split.amounts[str(below.unit.uuid)] += sign * amount
                    touched[unit_id] = split
                if unit_id in common:
                    break
                split.amount += sign * amount
                changed[unit_id] = split
                below = split
        first = splits[old[0]]
        first.amounts.pop(key, None)
        first.explanations.pop(key, None)
        (first.parameters.get("holds") or {}).pop(key, None)
        day = mover.effective.isoformat()
        first.notices = [
            *first.notices,
            {
                "way": "out",
                "name": name,
                "team": splits[new[0]].unit.name,
                "amount": amount,
                "on": day,
            },
        ]
        splits[new[0]].notices = [
            *splits[new[0]].notices,
            {"way": "in", "name": name, "team": first.unit.name, "amount": amount, "on": day},
        ]
        changed[new[0]] = splits[new[0]]
        if new[0] == run_unit:
            moved.pop(key, None)
        else:
            moved[key] = new[0]
        followed += 1
    for split in {**touched, **changed}.values():
        if split.amount < 0:  # the run's amounts of a team's people always sum to its share
            raise DomainError(
                _("A team's share would fall below zero: split it again."), code="split_mismatch"
            )
        if split.status in DONE_STATUSES and split.unit_id in changed:
            split.status = SplitStatus.DRAFT
        split.version += 1
        split.save(
            update_fields=[
                "amount",
                "amounts",
                "explanations",
                "parameters",
                "notices",
                "status",
                "version",
            ]
        )
    if followed:
        delegation.moved = moved
        delegation.version += 1
        delegation.save(update_fields=["moved", "version"])
        record(
            workspace=delegation.run.workspace,
            actor=actor,
            action="delegation.moves_followed",
            obj=delegation.run,
            after={"moved": moved, "teams": sorted(s.unit.name for s in changed.values())},
        )
    return followed


def _release_children(split: TeamSplit) -> None:
    """Sub-teams get the share their parent's split gave them and open for their leads."""
    for child in TeamSplit.objects.select_for_update().filter(parent=split).select_related("unit"):
        amount = int(split.amounts.get(str(child.unit.uuid), 0))
        if child.amount != amount or child.status == SplitStatus.WAITING:
            child.amount = amount
            child.status = SplitStatus.PENDING
            child.amounts = {}
            child.version += 1
            child.save(update_fields=["amount", "status", "amounts", "version"])


@transaction.atomic
def lock_split(*, split: TeamSplit, actor: Membership, version: int | None = None) -> TeamSplit:
    """The executive freezes a team: its last split stands, or the run's own shares when the
    lead has not made an exact one."""
    split = (
        TeamSplit.objects.select_for_update()
        .select_related("delegation", "delegation__run", "unit")
        .get(pk=split.pk)
    )
    check_version(split, version)
    if split.delegation.status != Delegation.Status.OPEN:
        raise DomainError(
            _("The teams' split has been applied: it can no longer change."), code="applied"
        )
    if split.status == SplitStatus.LOCKED:
        return split
    before = {"status": split.status}
    if split.status == SplitStatus.WAITING or sum(split.amounts.values()) != split.amount:
        inputs = team_inputs(split)
        current = inputs.current
        if int(current.sum()) != split.amount:  # a sub-team's share changed above it
            current = alloc.largest_remainder(
                split.amount,
                np.where(current > 0, current, 0).astype(np.float64)
                if current.any()
                else np.ones(len(current)),
                keys=inputs.ids,
            )
        split.amounts = dict(zip(inputs.keys, (int(v) for v in current), strict=True))
        split.method = "run"
        split.explanations = {}
    split.status = SplitStatus.LOCKED
    split.updated_by = actor
    split.updated_at = timezone.now()
    split.version += 1
    split.save()
    _release_children(split)
    record(
        workspace=actor.workspace,
        actor=actor,
        action="team_split.locked",
        obj=split,
        object_repr=split.unit.name,
        before=before,
        after={"status": split.status, "amounts": split.amounts},
    )
    _apply_when_done(split.delegation, actor)
    return split


@transaction.atomic
def accept_all(*, delegation: Delegation, actor: Membership) -> int:
    """Accept every submitted split; returns how many were accepted."""
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if delegation.status != Delegation.Status.OPEN:
        raise DomainError(
            _("The teams' split has been applied: it can no longer change."), code="applied"
        )
    submitted = list(
        TeamSplit.objects.select_for_update()
        .filter(delegation=delegation, status=SplitStatus.SUBMITTED)
        .values_list("pk", flat=True)
    )
    TeamSplit.objects.filter(pk__in=submitted).update(status=SplitStatus.ACCEPTED)
    record(
        workspace=actor.workspace,
        actor=actor,
        action="delegation.accepted",
        obj=delegation.run,
        after={"accepted": len(submitted)},
    )
    _apply_when_done(delegation, actor)
    return len(submitted)


def late(split: TeamSplit, today: datetime.date | None = None) -> bool:
    return not split.is_done and (today or timezone.localdate()) > split.delegation.closes_on


def _apply_when_done(delegation: Delegation, actor: Membership | None) -> None:
    open_ = (
        TeamSplit.objects.filter(delegation=delegation).exclude(status__in=DONE_STATUSES).exists()
    )
    if not open_:
        apply_delegation(delegation=delegation, actor=actor)


# ------------------------------------------------------------------------------------------
# writing the splits back as the run's shares


@transaction.atomic
def apply_delegation(*, delegation: Delegation, actor: Membership | None) -> int:
    """Every team done: each seller's amount is the one their lead gave them; their channel and
    month cells share their top team's profile (so every team above keeps its cells exactly);
    unit rollups and explanations follow. Returns the number of sellers written."""
    delegation = Delegation.objects.select_for_update().select_related("run").get(pk=delegation.pk)
    run = delegation.run
    splits = list(
        TeamSplit.objects.filter(delegation=delegation).select_related(
            "unit", "unit__lead", "updated_by"
        )
    )
    if any(not s.is_done for s in splits) or delegation.status != Delegation.Status.OPEN:
        raise DomainError(_("Every team must be done first."), code="not_done")
    by_unit = {s.unit_id: s for s in splits}
    uuid_amount: dict[str, int] = {}
    for s in splits:
        uuid_amount.update(s.amounts)
    expl = list(
        SellerExplanation.objects.filter(
            workspace_id=run.workspace_id, run=run, unit_id__in=list(by_unit)
        ).select_related("seller")
    )
    if not expl:
        delegation.status = Delegation.Status.APPLIED
        delegation.save(update_fields=["status"])
        return 0
    seller_ids = np.array([e.seller_id for e in expl], np.int64)
    new_amounts = np.array([int(uuid_amount.get(str(e.seller.uuid), 0)) for e in expl], np.int64)
    # top-level team of each seller
    by_pk = {s.pk: s for s in splits}
    top_of: dict[int, int] = {}
    for s in splits:
        t = s
        while t.parent_id is not None:
            t = by_pk[t.parent_id]
        top_of[s.unit_id] = t.unit_id
    moved = {key: int(u) for key, u in (delegation.moved or {}).items()}

    def split_unit(e: SellerExplanation) -> int:
        """The unit of the split that holds the seller's line (moved with them)."""
        return moved.get(str(e.seller.uuid), e.unit_id)

    seller_top = np.array([top_of[split_unit(e)] for e in expl], np.int64)
    cells_rows = list(
        CascadeShare.objects.filter(
            workspace_id=run.workspace_id, run=run, seller_id__in=seller_ids.tolist()
        ).values_list("seller_id", "channel_id", "month", "amount")
    )
    arr = np.array(cells_rows, np.int64).reshape(-1, 4)
    channel_ids = np.unique(arr[:, 1]) if arr.size else np.zeros(0, np.int64)
    months = np.unique(arr[:, 2]) if arr.size else np.zeros(0, np.int64)
    ch_pos = {int(c): i for i, c in enumerate(channel_ids)}
    m_pos = {int(m): i for i, m in enumerate(months)}
    s_pos = {int(s): i for i, s in enumerate(seller_ids)}
    n, c, m = len(seller_ids), len(channel_ids), len(months)
    old = np.zeros((n, c, m), np.int64)
    if arr.size:
        np.add.at(
            old,
            (
                np.array([s_pos[int(v)] for v in arr[:, 0]]),
                np.array([ch_pos[int(v)] for v in arr[:, 1]]),
                np.array([m_pos[int(v)] for v in arr[:, 2]]),
            ),
            arr[:, 3],
        )
    new = np.zeros_like(old)
    for team in np.unique(seller_top).tolist():
        rows = np.flatnonzero(seller_top == team)
        profile = old[rows].sum(axis=0).reshape(-1)
        wanted = new_amounts[rows]
        if int(wanted.sum()) != int(profile.sum()):
            raise DomainError(
                _("A team's split no longer sums to its share; split it again."),
                code="split_mismatch",
            )
        new[rows] = alloc.split_matching(wanted, profile, unit=1, keys=seller_ids[rows]).reshape(
            len(rows), c, m
        )
    CascadeShare.objects.filter(
        workspace_id=run.workspace_id, run=run, seller_id__in=seller_ids.tolist()
    ).delete()
    unit_ids = np.array([e.unit_id for e in expl], np.int64)
    flat = new.reshape(-1)
    cell = np.flatnonzero(flat)
    si, ch, mm = np.unravel_index(cell, new.shape)
    k = len(si)
    bulk_insert(
        CascadeShare._meta.db_table,
        ["workspace_id", "run_id", "seller_id", "unit_id", "channel_id", "month", "amount"],
        [
            np.full(k, run.workspace_id, np.int64),
            np.full(k, run.pk, np.int64),
            seller_ids[si],
            unit_ids[si],
            channel_ids[ch],
            months[mm],
            flat[cell],
        ],
    )
    # unit rollups of every delegated unit, from its subtree's sellers
    parent_of: dict[int, int | None] = {
        s.unit_id: (by_pk[s.parent_id].unit_id if s.parent_id else None) for s in splits
    }
    unit_list = list(by_unit)
    u_pos = {u: i for i, u in enumerate(unit_list)}
    unit_cells = np.zeros((len(unit_list), c, m), np.int64)
    for i, e in enumerate(expl):
        u: int | None = e.unit_id
        while u is not None:
            unit_cells[u_pos[u]] += new[i]
            u = parent_of.get(u)
    UnitShare.objects.filter(workspace_id=run.workspace_id, run=run, unit_id__in=unit_list).delete()
    uu, uc, um = np.nonzero(unit_cells)
    bulk_insert(
        UnitShare._meta.db_table,
        ["workspace_id", "run_id", "unit_id", "channel_id", "month", "amount"],
        [
            np.full(len(uu), run.workspace_id, np.int64),
            np.full(len(uu), run.pk, np.int64),
            np.array(unit_list, np.int64)[uu],
            channel_ids[uc],
            months[um],
            unit_cells[uu, uc, um],
        ],
    )
    codes = dict(
        __import__("pacte.sales.models", fromlist=["Channel"])
        .Channel.objects.filter(pk__in=channel_ids.tolist())
        .values_list("pk", "code")
    )
    first = run.workspace.calendar.first_month_index(run.fiscal_year)
    for i, e in enumerate(expl):
        data = dict(e.data or {})
        data["levels"] = _levels(e, by_unit, run, split_unit(e))
        data["channels"] = {
            codes[int(cid)]: int(v) for cid, v in zip(channel_ids, new[i].sum(axis=1), strict=True)
        }
        by_month = [0] * 12
        for j, month in enumerate(months.tolist()):
            if 0 <= month - first < 12:
                by_month[month - first] += int(new[i, :, j].sum())
        data["months"] = by_month
        e.data = data
        e.amount = int(new_amounts[i])
    SellerExplanation.objects.bulk_update(expl, ["data", "amount"], batch_size=2000)
    delegation.status = Delegation.Status.APPLIED
    delegation.applied_at = timezone.now()
    delegation.version += 1
    delegation.save(update_fields=["status", "applied_at", "version"])
    run.version += 1
    run.save(update_fields=["version"])
    record(
        workspace=run.workspace,
        actor=actor,
        action="delegation.applied",
        obj=run,
        after={"sellers": n, "teams": len(splits)},
    )
    return n


def _levels(
    expl: SellerExplanation, by_unit: dict[int, TeamSplit], run: CascadeRun, unit_id: int
) -> list[dict[str, Any]]:
    """From the company down to the seller: who gave what to whom, and how (``unit_id``: the
    unit of the split that holds the seller's line)."""
    chain: list[TeamSplit] = []
    split: TeamSplit | None = by_unit.get(unit_id)
    while split is not None:
        chain.append(split)
        split = by_unit.get(split.parent.unit_id) if split.parent_id and split.parent else None
    chain.reverse()
    top = chain[0]
    levels: list[dict[str, Any]] = [
        {"by": "company", "team": top.unit.name, "amount": top.amount, "method": run.method}
    ]
    for i, s in enumerate(chain):
        if i + 1 < len(chain):
            key = str(chain[i + 1].unit.uuid)
            to = chain[i + 1].unit.name
        else:
            key = str(expl.seller.uuid)
            to = ""
        why = s.explanations.get(key) or {}
        levels.append(
            {
                "by": "lead",
                "team": s.unit.name,
                "lead": (
                    s.updated_by.name
                    if s.taken_over and s.updated_by
                    else (s.unit.lead.name if s.unit.lead else "")
                ),
                "to": to,
                "amount": int(s.amounts.get(key, 0)),
                "method": s.method,
                "held": bool(why.get("held")),
                "bound": why.get("bound") or "none",
                "weight_share": why.get("weight_share"),
                "taken_over": s.taken_over,
            }
        )
    return levels
