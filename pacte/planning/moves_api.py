"""API of moves carrying targets: the workspace's move policy, the pool and open shares, a
move's preview, and assignments from the pool (mounted under ``/targets``)."""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from pacte.accounts.access import ADMIN_ROLES, get_member_for, require_role
from pacte.amounts import AmountIn, api_amount
from pacte.api_auth import request_member
from pacte.errors import DomainError
from pacte.org.visibility import get_unit_for
from pacte.planning import moves, selectors, services
from pacte.planning.models import CascadeRun, Layer, TargetMove

router = Router(tags=["targets"])


class MovePolicyIn(Schema):
    outcome: str = Field(..., description="person, team or pool")
    proration: str = Field(..., description="days, month or phasing")
    version: int | None = None


class MovePolicyOut(Schema):
    outcome: str
    proration: str
    version: int


class TargetMoveOut(Schema):
    uuid: UUID
    kind: str
    seller: UUID | None
    from_unit: UUID | None
    to_unit: UUID | None
    effective: datetime.date
    outcome: str
    proration: str
    target_amount: int = Field(..., description="Reference share carried, minor units.")
    objective_amount: int = Field(..., description="Agreed objective carried, minor units.")


class OpenShareOut(Schema):
    unit: UUID
    name: str
    amount: int


class MovesOut(Schema):
    year: str
    pool: int = Field(..., description="The company pool of reference shares, minor units.")
    objective_pool: int
    open_shares: list[OpenShareOut]
    moves: list[TargetMoveOut]


class PreviewMoveOut(Schema):
    kind: str
    outcome: str
    proration: str
    target_amount: int
    objective_amount: int


class AssignIn(Schema):
    year: str
    amount: AmountIn
    seller: UUID | None = None
    unit: UUID | None = None


def _policy_out(policy: Any) -> dict[str, Any]:
    return {"outcome": policy.outcome, "proration": policy.proration, "version": policy.version}


def move_out(move: TargetMove) -> dict[str, Any]:
    return {
        "uuid": move.uuid,
        "kind": move.kind,
        "seller": move.seller.uuid if move.seller else None,
        "from_unit": move.from_unit.uuid if move.from_unit else None,
        "to_unit": move.to_unit.uuid if move.to_unit else None,
        "effective": move.effective,
        "outcome": move.outcome,
        "proration": move.proration,
        "target_amount": move.target_amount,
        "objective_amount": move.objective_amount,
    }


def _run(member: Any, key: str | None) -> CascadeRun:
    fy = (
        services.parse_year(member.workspace, key)
        if key
        else member.workspace.calendar.year_of(timezone.localdate())
    )
    run = selectors.published_run(member, fy)
    if run is None:
        raise DomainError(
            _("No run is published for this year."), code="no_published_run", field="year"
        )
    return run


@router.get("/move-policy", response=MovePolicyOut, summary="Where a moving seller's target goes")
def policy_get(request: HttpRequest) -> dict[str, Any]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return _policy_out(moves.policy_of(member.workspace))


@router.put("/move-policy", response=MovePolicyOut, summary="Set the move policy (audited)")
def policy_set(request: HttpRequest, payload: MovePolicyIn) -> dict[str, Any]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    policy = moves.update_policy(
        workspace=member.workspace,
        actor=member,
        outcome=payload.outcome,
        proration=payload.proration,
        version=payload.version,
    )
    return _policy_out(policy)


@router.get("/moves", response=MovesOut, summary="The pool, open shares and carries of a year")
def moves_list(request: HttpRequest, year: str | None = None) -> dict[str, Any]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    run = _run(member, year)
    target = moves.totals(run)
    return {
        "year": f"FY{run.fiscal_year}",
        "pool": target["pool"],
        "objective_pool": moves.totals(run, Layer.OBJECTIVE)["pool"],
        "open_shares": [
            {"unit": o["uuid"], "name": o["unit"], "amount": o["amount"]} for o in target["open"]
        ],
        "moves": [move_out(m) for m in moves.recent_moves(run)],
    }


@router.get(
    "/moves/preview", response=PreviewMoveOut, summary="What a move would carry (nothing saved)"
)
def move_preview(
    request: HttpRequest,
    member_id: str | None = None,
    unit: str | None = None,
    effective: datetime.date | None = None,
) -> dict[str, Any]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    if not member_id:
        raise DomainError(_("Choose a person."), code="required", field="member_id")
    if not unit:
        raise DomainError(_("Choose a team."), code="required", field="unit")
    subject = get_member_for(member, member_id, write=True)
    team = get_unit_for(member, unit)
    effective = effective or timezone.localdate()
    shown = moves.preview(member=subject, unit=team, effective=effective)
    return {
        k: shown[k] for k in ("kind", "outcome", "proration", "target_amount", "objective_amount")
    }


@router.post(
    "/moves/pool/assign",
    response={201: TargetMoveOut},
    summary="Give part of the pool (executives)",
)
def pool_assign(request: HttpRequest, payload: AssignIn) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    run = _run(member, payload.year)
    move = moves.assign_pool(
        run=run,
        actor=member,
        amount=api_amount(payload.amount, member.workspace.currency),
        seller=get_member_for(member, payload.seller) if payload.seller else None,
        unit=get_unit_for(member, payload.unit) if payload.unit else None,
    )
    return 201, move_out(move)
