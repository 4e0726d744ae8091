from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from pacte.accounts.access import get_scoped, require_role
from pacte.accounts.models import Membership
from pacte.amounts import api_amount
from pacte.api_auth import request_member
from pacte.api_pagination import Pagination
from pacte.errors import DomainError
from pacte.objectives import selectors, services
from pacte.objectives.models import GapRule, Initiative, KeyResult, Notification, Objective
from pacte.objectives.schemas import (
    AllocationOut,
    CheckInIn,
    CheckInOut,
    CounterIn,
    DecisionIn,
    GapRuleIn,
    GapRuleOut,
    InitiativeIn,
    InitiativeOut,
    InitiativePatch,
    KeyResultIn,
    KeyResultOut,
    NotificationOut,
    NotificationsReadOut,
    ObjectiveFilter,
    ObjectiveIn,
    ObjectiveOut,
    ObjectiveVersionOut,
    PlanOut,
    PolicyIn,
    PolicyOut,
    RealismOut,
    ReconciliationOut,
    VersionRef,
    WindowIn,
    WindowOut,
)

router = Router(tags=["objectives"])


def _objectives_out(member: Membership, objectives: Any) -> list[dict[str, Any]]:
    """Objectives as the API gives them, with the current reference share of each seller."""
    return [_objective_out(o) for o in selectors.with_references(member.workspace, objectives)]


def _one_out(member: Membership, o: Objective) -> dict[str, Any]:
    return _objectives_out(member, [o])[0]


def _objective_out(o: Objective) -> dict[str, Any]:
    return {
        "uuid": o.uuid,
        "seller": o.seller,
        "fiscal_year": o.fiscal_year,
        "status": o.status,
        "amount": o.amount,
        "months": o.months,
        "channel_split": o.channel_split,
        "narrative": o.narrative,
        "reference_amount": o.reference.annual if o.reference.exists else None,  # type: ignore[attr-defined]
        "proposed_reference_amount": o.reference_amount,
        "handler": o.handler,
        "reason": o.reason,
        "counter_amount": o.counter_amount,
        "agreed_amount": o.agreed_amount,
        "is_late": o.is_late,
        "version": o.version,
    }


def _inputs(member: Membership, body: ObjectiveIn) -> dict[str, Any]:
    currency = member.workspace.currency
    return {
        "seller": member,
        "fiscal_year": body.fiscal_year,
        "amount": api_amount(body.amount, currency),
        "months": None
        if body.months is None
        else [api_amount(v, currency, field=f"month_{i + 1}") for i, v in enumerate(body.months)],
        "channel_split": body.channel_split,
        "narrative": body.narrative,
        "version": body.version,
    }


# --------------------------------------------------------------------------- policy, windows


@router.get("/policy", response=PolicyOut)
def get_policy(request: HttpRequest) -> Any:
    policy = services.policy_of(request_member(request).workspace)
    return {
        "auto_agree": policy.auto_agree,
        "tolerance_pct": str(policy.tolerance_pct),
        "version": policy.version,
    }


@router.put("/policy", response=PolicyOut)
def put_policy(request: HttpRequest, body: PolicyIn) -> Any:
    member = request_member(request)
    require_role(member, "executive")
    policy = services.set_policy(
        workspace=member.workspace,
        actor=member,
        auto_agree=body.auto_agree,
        tolerance_pct=body.tolerance_pct,
        version=body.version,
    )
    return {
        "auto_agree": policy.auto_agree,
        "tolerance_pct": str(policy.tolerance_pct),
        "version": policy.version,
    }


@router.get("/windows", response=list[WindowOut])
def list_windows(request: HttpRequest) -> Any:
    from pacte.objectives.models import Window

    return Window.objects.for_workspace(request_member(request).workspace).order_by("-fiscal_year")


@router.put("/windows", response=WindowOut)
def put_window(request: HttpRequest, body: WindowIn) -> Any:
    member = request_member(request)
    require_role(member, "executive")
    return services.set_window(
        workspace=member.workspace,
        actor=member,
        fiscal_year=body.fiscal_year,
        opens_on=body.opens_on,
        closes_on=body.closes_on,
        version=body.version,
    )


# --------------------------------------------------------------------------- reconciliation


@router.get("/reconciliation", response=ReconciliationOut)
def get_reconciliation(
    request: HttpRequest,
    fiscal_year: int | None = Query(None, ge=1900, le=9998),
    unit: str | None = None,
) -> Any:
    """Target, agreed, proposed, missing and gap of a node (default: the company for
    executives, the viewer's team for leads) and fiscal year (default: the one being set)."""
    member = request_member(request)
    require_role(member, "executive", "admin", "lead")
    fiscal_year = fiscal_year or selectors.default_fiscal_year(member)
    node = selectors.get_node_for(member, unit)
    data = selectors.reconciliation(member.workspace, node, fiscal_year)
    data["unit"] = node.uuid
    return data


# --------------------------------------------------------------------------- realism


def _ratio(value: Any) -> str | None:
    from decimal import Decimal

    if value is None:
        return None
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.0001")))


@router.get("/realism", response=RealismOut)
def get_realism(
    request: HttpRequest,
    amount: int = Query(..., ge=0, description="Minor units (cents)."),
    fiscal_year: int | None = Query(None, ge=1900, le=9998),
) -> Any:
    """How realistic ``amount`` (minor units) is as the requesting seller's objective of
    ``fiscal_year`` (default: the one being set): the same bands and words as the page."""
    from pacte.objectives import realism

    member = request_member(request)
    require_role(member, "seller")
    fiscal_year = fiscal_year or selectors.default_fiscal_year(member)
    view = realism.of_amount(member, fiscal_year, amount)
    figures = view.figures
    assert figures is not None
    return {
        "fiscal_year": fiscal_year,
        "amount": figures.amount,
        "history": figures.history,
        "reference": figures.reference,
        "growth": _ratio(figures.growth),
        "vs_reference": _ratio(figures.vs_reference),
        "team_growth": _ratio(figures.team_growth),
        "level": figures.level,
        "history_band": figures.history_band,
        "reference_band": figures.reference_band,
        "low": figures.low,
        "high": figures.high,
        "in_range": figures.in_range,
        "headline": view.headline,
        "sentences": view.sentences,
    }


def _rule_args(member: Membership, body: GapRuleIn) -> dict[str, Any]:
    require_role(member, "executive", "admin", "lead")
    node = selectors.get_node_for(member, body.unit)
    sellers = list(Membership.objects.for_workspace(member.workspace).filter(uuid__in=body.sellers))
    return {
        "unit_id": node.pk,
        "fiscal_year": body.fiscal_year,
        "kind": body.kind,
        "amount": api_amount(body.amount, member.workspace.currency),
        "sellers": sellers,
    }


@router.post("/gap-rules/preview", response=list[AllocationOut])
def preview_gap_rule(request: HttpRequest, body: GapRuleIn) -> Any:
    member = request_member(request)
    return services.preview_gap_rule(workspace=member.workspace, **_rule_args(member, body))


@router.get("/gap-rules", response=list[GapRuleOut])
@paginate(Pagination)
def list_gap_rules(request: HttpRequest, fiscal_year: int | None = None) -> Any:
    member = request_member(request)
    require_role(member, "executive", "admin", "lead")
    units = selectors.reconciliation_units(member)
    qs = GapRule.objects.for_workspace(member.workspace).filter(unit__in=units)
    if fiscal_year:
        qs = qs.filter(fiscal_year=fiscal_year)
    return qs.order_by("-created_at", "-pk")


@router.post("/gap-rules", response={201: GapRuleOut})
def apply_gap_rule(request: HttpRequest, body: GapRuleIn) -> Any:
    member = request_member(request)
    rule = services.apply_gap_rule(actor=member, note=body.note, **_rule_args(member, body))
    return 201, rule


# --------------------------------------------------------------------------- inbox


def _notice_out(notice: Notification, member: Membership) -> dict[str, Any]:
    subject, body = services.render_notice(notice, member.workspace.currency)
    return {
        "uuid": notice.uuid,
        "kind": notice.kind,
        "subject": subject,
        "body": body,
        "url": notice.url,
        "read": notice.read_at is not None,
        "created_at": notice.created_at,
    }


@router.get("/notifications", response=list[NotificationOut])
@paginate(Pagination)
def list_notifications(request: HttpRequest) -> Any:
    member = request_member(request)
    return [_notice_out(n, member) for n in selectors.notifications_of(member)[:1000]]


@router.post("/notifications/read", response=NotificationsReadOut)
def read_all_notifications(request: HttpRequest) -> Any:
    """Mark every unread notification of the caller read; says how many changed."""
    member = request_member(request)
    return {"marked": services.mark_read(member=member)}


@router.post("/notifications/{notification_id}/read", response=NotificationOut)
def read_notification(request: HttpRequest, notification_id: str) -> Any:
    """Mark one of the caller's notifications read (someone else's is not found)."""
    member = request_member(request)
    notice = get_scoped(selectors.notifications_of(member), notification_id)
    services.mark_read(member=member, notice=notice)
    notice.refresh_from_db()
    return _notice_out(notice, member)


@router.get("/pending", response=list[ObjectiveOut])
@paginate(Pagination)
def list_pending(request: HttpRequest) -> Any:
    member = request_member(request)
    return _objectives_out(member, selectors.pending_for(member).select_related("handler"))


# --------------------------------------------------------------------------- objectives


@router.get("", response=list[ObjectiveOut])
@paginate(Pagination)
def list_objectives(request: HttpRequest, filters: Query[ObjectiveFilter]) -> Any:
    member = request_member(request)
    qs = selectors.objectives_visible_to(member).select_related("seller", "handler")
    if filters.fiscal_year:
        qs = qs.filter(fiscal_year=filters.fiscal_year)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return _objectives_out(member, qs.order_by("fiscal_year", "seller__name", "pk"))


@router.post("/draft", response=ObjectiveOut)
def save_draft(request: HttpRequest, body: ObjectiveIn) -> Any:
    member = request_member(request)
    return _one_out(member, services.save_draft(**_inputs(member, body)))


@router.post("/propose", response=ObjectiveOut)
def propose(request: HttpRequest, body: ObjectiveIn) -> Any:
    member = request_member(request)
    return _one_out(member, services.propose(**_inputs(member, body)))


@router.get("/{objective_id}", response=ObjectiveOut)
def get_objective(request: HttpRequest, objective_id: str) -> Any:
    member = request_member(request)
    return _one_out(member, selectors.get_objective_for(member, objective_id))


@router.get("/{objective_id}/versions", response=list[ObjectiveVersionOut])
def list_versions(request: HttpRequest, objective_id: str) -> Any:
    objective = selectors.get_objective_for(request_member(request), objective_id)
    return objective.versions.select_related("author").order_by("number")


@router.post("/{objective_id}/decide", response=ObjectiveOut)
def decide(request: HttpRequest, objective_id: str, body: DecisionIn) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    if body.decision == "agree":
        objective = services.agree(objective=objective, actor=member, version=body.version)
    elif body.decision == "return":
        objective = services.return_objective(
            objective=objective, actor=member, reason=body.reason, version=body.version
        )
    else:
        raise DomainError(
            _("The decision is agree or return (counter-propose has its own endpoint)."),
            code="decision_invalid",
            field="decision",
        )
    return _one_out(member, objective)


@router.post("/{objective_id}/counter", response=ObjectiveOut)
def counter(request: HttpRequest, objective_id: str, body: CounterIn) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    return _one_out(
        member,
        services.counter_propose(
            objective=objective,
            actor=member,
            amount=api_amount(body.amount, member.workspace.currency),
            reason=body.reason,
            version=body.version,
        ),
    )


@router.post("/{objective_id}/accept", response=ObjectiveOut)
def accept(request: HttpRequest, objective_id: str, body: VersionRef) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    return _one_out(
        member, services.accept_counter(seller=member, objective=objective, version=body.version)
    )


# --------------------------------------------------------------------------- plan


def _kr_out(kr: KeyResult) -> dict[str, Any]:
    return {
        "uuid": kr.uuid,
        "name": kr.name,
        "measure": kr.measure,
        "target": str(kr.target),
        "unit": kr.unit,
        "due_on": kr.due_on,
    }


@router.get("/{objective_id}/plan", response=PlanOut)
def get_plan(request: HttpRequest, objective_id: str) -> Any:
    objective = selectors.get_objective_for(request_member(request), objective_id)
    return {
        "key_results": [_kr_out(kr) for kr in objective.key_results.order_by("due_on", "name")],
        "initiatives": list(objective.initiatives.order_by("created_at")),
    }


@router.post("/{objective_id}/key-results", response={201: KeyResultOut})
def add_key_result(request: HttpRequest, objective_id: str, body: KeyResultIn) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    kr = services.add_key_result(objective=objective, actor=member, **body.dict())
    return 201, _kr_out(kr)


@router.delete("/{objective_id}/key-results/{key_result_id}", response={204: None})
def delete_key_result(request: HttpRequest, objective_id: str, key_result_id: str) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    kr = get_scoped(
        KeyResult.objects.for_workspace(member.workspace).filter(objective=objective), key_result_id
    )
    services.delete_key_result(key_result=kr, actor=member)
    return 204, None


@router.post("/{objective_id}/initiatives", response={201: InitiativeOut})
def add_initiative(request: HttpRequest, objective_id: str, body: InitiativeIn) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    return 201, services.add_initiative(objective=objective, actor=member, text=body.text)


@router.patch("/{objective_id}/initiatives/{initiative_id}", response=InitiativeOut)
def patch_initiative(
    request: HttpRequest, objective_id: str, initiative_id: str, body: InitiativePatch
) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    initiative = get_scoped(
        Initiative.objects.for_workspace(member.workspace).filter(objective=objective),
        initiative_id,
    )
    return services.set_initiative_status(initiative=initiative, actor=member, status=body.status)


@router.get("/{objective_id}/check-ins", response=list[CheckInOut])
def list_check_ins(request: HttpRequest, objective_id: str) -> Any:
    objective = selectors.get_objective_for(request_member(request), objective_id)
    return objective.check_ins.order_by("-week")


@router.post("/{objective_id}/check-ins", response={201: CheckInOut})
def add_check_in(request: HttpRequest, objective_id: str, body: CheckInIn) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    return 201, services.check_in(
        objective=objective, actor=member, confidence=body.confidence, comment=body.comment
    )
