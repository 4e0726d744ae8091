import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import Membership
from pacte.amounts import api_amount
from pacte.api_auth import request_member
from pacte.api_pagination import Mapped, Pagination
from pacte.errors import DomainError
from pacte.objectives import field_requests, reviews, selectors, services
from pacte.objectives.models import GapRule, Initiative, KeyResult, Notification, Objective
from pacte.objectives.schemas import (
    AllocationOut,
    CheckInIn,
    CheckInOut,
    CheckInReplyIn,
    CounterIn,
    DecisionIn,
    FieldRequestDecisionIn,
    FieldRequestIn,
    FieldRequestOut,
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
    ReasonOut,
    ReasonsIn,
    ReasonSummaryOut,
    ReconciliationOut,
    ReviewAnswerIn,
    ReviewFilter,
    ReviewForPeriodIn,
    ReviewIn,
    ReviewOut,
    ReviewRequestIn,
    ReviewRequestOut,
    TeamCheckInFilter,
    TeamCheckInOut,
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


def notice_out(notice: Notification, member: Membership) -> dict[str, Any]:
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
    return [notice_out(n, member) for n in selectors.notifications_of(member)[:1000]]


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
    return notice_out(notice, member)


# --------------------------------------------------------------------------- team check-ins


def _team_check_in_out(c: Any) -> dict[str, Any]:
    return {
        "uuid": c.uuid,
        "objective": c.objective.uuid,
        "seller": c.objective.seller,
        "week": c.week,
        "confidence": c.confidence,
        "comment": c.comment,
        "seen_at": c.seen_at,
        "reply": c.reply,
        "replied_by": c.replied_by,
        "replied_at": c.replied_at,
        "unanswered": c.unanswered,
    }


@router.get("/team-check-ins", response=list[TeamCheckInOut])
@paginate(Pagination)
def list_team_check_ins(request: HttpRequest, filters: Query[TeamCheckInFilter]) -> Any:
    """The check-ins of the sellers the caller leads (everyone's for executives and admins),
    newest first; ``unanswered=true``: those no lead has seen or answered yet."""
    member = request_member(request)
    fy = filters.fiscal_year or selectors.default_fiscal_year(member)
    items = selectors.team_check_ins(member, fy, unanswered=filters.unanswered)
    return [_team_check_in_out(c) for c in items]


@router.post("/check-ins/{check_in_id}/seen", response=TeamCheckInOut)
def mark_check_in_seen(request: HttpRequest, check_in_id: str) -> Any:
    """The seller's lead marks the check-in seen; anyone else gets 404."""
    member = request_member(request)
    item = selectors.get_check_in_to_answer(member, check_in_id)
    return _team_check_in_out(services.mark_check_in_seen(check_in=item, actor=member))


@router.post("/check-ins/{check_in_id}/reply", response=TeamCheckInOut)
def reply_to_check_in(request: HttpRequest, check_in_id: str, body: CheckInReplyIn) -> Any:
    """The seller's lead answers the check-in (and so marks it seen); anyone else gets 404."""
    member = request_member(request)
    item = selectors.get_check_in_to_answer(member, check_in_id)
    return _team_check_in_out(
        services.reply_to_check_in(check_in=item, actor=member, text=body.reply)
    )


# --------------------------------------------------------------------------- period reviews


def review_out(r: Any) -> dict[str, Any]:
    return {
        "uuid": r.uuid,
        "seller": r.seller,
        "team": r.unit.name if r.unit_id else None,
        "fiscal_year": r.fiscal_year,
        "quarter": r.quarter,
        "basis": r.basis,
        "committed": r.committed,
        "actual": r.actual,
        "gap": r.gap,
        "gap_by_channel": r.gap_by_channel,
        "status": r.status,
        "reasons": r.reasons,
        "text": r.text,
        "next_change": r.next_change,
        "submitted_at": r.submitted_at,
        "answer": r.answer,
        "answered_by": r.answered_by,
        "answered_at": r.answered_at,
        "version": r.version,
    }


def _reasons_out(items: list[Any]) -> list[dict[str, Any]]:
    return [{**item.__dict__, "label": item.label} for item in items]


@router.get("/review-reasons", response=list[ReasonOut])
def list_review_reasons(request: HttpRequest) -> Any:
    """The workspace's review reasons (inactive ones too), names in both languages."""
    return _reasons_out(reviews.reasons_of(request_member(request).workspace))


@router.put("/review-reasons", response=list[ReasonOut])
def put_review_reasons(request: HttpRequest, body: ReasonsIn) -> Any:
    """Replace the list (admins, executives; audited). One left out is kept, inactive."""
    member = request_member(request)
    return _reasons_out(
        reviews.set_reasons(
            workspace=member.workspace, actor=member, reasons=[r.dict() for r in body.reasons]
        )
    )


@router.get("/reviews", response=list[ReviewOut])
@paginate(Pagination)
def list_reviews(request: HttpRequest, filters: Query[ReviewFilter]) -> Any:
    """Own reviews, the teams' a lead leads, everyone's for executives and admins."""
    qs = selectors.reviews_visible_to(request_member(request))
    if filters.fiscal_year:
        qs = qs.filter(fiscal_year=filters.fiscal_year)
    if filters.quarter:
        qs = qs.filter(quarter=filters.quarter)
    if filters.status:
        qs = qs.filter(status=filters.status)
    items = qs.select_related("seller", "unit", "answered_by").order_by(
        "-fiscal_year", "-quarter", "seller__name"
    )
    return [review_out(r) for r in items]


@router.post("/reviews", response=ReviewOut)
def submit_review_for_period(request: HttpRequest, body: ReviewForPeriodIn) -> Any:
    """Write one's own review of a closed quarter. Refused: another seller's (403, field
    ``seller``), a quarter not closed (``period_open``), a reason not in the list
    (``reason_invalid``)."""
    from pacte.accounts.access import get_member_for

    member = request_member(request)
    seller = get_member_for(member, body.seller) if body.seller else None
    with transaction.atomic():
        review = reviews.review_for_period(
            actor=member, fiscal_year=body.fiscal_year, quarter=body.quarter, seller=seller
        )
        review = reviews.submit_review(
            review=review,
            actor=member,
            reasons=body.reasons,
            text=body.text,
            next_change=body.next_change,
            version=body.version,
        )
    return review_out(selectors.get_review_for(member, review.uuid))


@router.post("/reviews/request", response=ReviewRequestOut)
def request_reviews(request: HttpRequest, body: ReviewRequestIn) -> Any:
    """Ask the sellers below their commitment for a closed quarter for a review now
    (executives, admins); once per seller and quarter."""
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    created = reviews.request_reviews(
        workspace=member.workspace,
        fiscal_year=body.fiscal_year,
        quarter=body.quarter,
        actor=member,
    )
    return {"requested": len(created)}


@router.get("/reviews/reasons-summary", response=list[ReasonSummaryOut])
def review_reasons_summary(
    request: HttpRequest,
    fiscal_year: int | None = None,
    quarter: int | None = None,
    by: str = "team",
) -> Any:
    """Top reasons by ``team``, ``channel`` or ``period`` with the gaps behind them (default:
    the fiscal year of the quarter that closed last)."""
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    if by not in ("team", "channel", "period"):
        raise DomainError(_("Group by team, channel or period."), code="by_invalid", field="by")
    if fiscal_year is None:
        from django.utils import timezone

        fiscal_year = reviews.last_closed_quarter(member.workspace, timezone.localdate())[0]
    rows = selectors.reason_summary(member, fiscal_year, quarter, by)
    return [row.__dict__ for row in rows]


@router.get("/reviews/{review_id}", response=ReviewOut)
def get_review(request: HttpRequest, review_id: str) -> Any:
    return review_out(selectors.get_review_for(request_member(request), review_id))


@router.post("/reviews/{review_id}/submit", response=ReviewOut)
def submit_review(request: HttpRequest, review_id: str, body: ReviewIn) -> Any:
    """The seller writes their review (403 for anyone else who can see it)."""
    member = request_member(request)
    review = selectors.get_review_for(member, review_id)
    reviews.submit_review(review=review, actor=member, **body.dict())
    return review_out(selectors.get_review_for(member, review_id))


@router.post("/reviews/{review_id}/answer", response=ReviewOut)
def answer_review(request: HttpRequest, review_id: str, body: ReviewAnswerIn) -> Any:
    """The seller's lead answers (404 for anyone else)."""
    member = request_member(request)
    review = get_scoped(selectors.reviews_answerable_by(member), review_id)
    reviews.answer_review(review=review, actor=member, answer=body.answer, version=body.version)
    return review_out(selectors.get_review_for(member, review_id))


@router.get("/pending", response=list[ObjectiveOut])
@paginate(Pagination)
def list_pending(request: HttpRequest) -> Any:
    member = request_member(request)
    return _objectives_out(member, selectors.pending_for(member).select_related("handler"))


# --------------------------------------------------------------------------- requests


def _request_out(r: Any) -> dict[str, Any]:
    return {
        "uuid": r.uuid,
        "kind": r.kind,
        "status": r.status,
        "seller": r.seller,
        "handler": r.handler,
        "summary": field_requests.summary(r),
        "sale": r.sale.external_id if r.sale else None,
        "credit_kind": r.credit_kind,
        "share_bp": r.share_bp,
        "unit": r.unit.name if r.unit else None,
        "effective": r.effective,
        "reason": r.reason,
        "decision_reason": r.decision_reason,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "created_at": r.created_at,
        "version": r.version,
    }


def _requests(member: Membership) -> Any:
    from pacte.objectives.models import FieldRequest

    return FieldRequest.objects.visible_to(member).select_related(
        "seller", "handler", "decided_by", "sale", "unit"
    )


@router.get("/requests", response=list[FieldRequestOut])
@paginate(Pagination)
def list_requests(request: HttpRequest, pending: bool = False) -> Any:
    """The requests the caller sees (their own, those they decide, their people's); with
    ``pending=1`` only those waiting for the caller's decision."""
    member = request_member(request)
    qs = _requests(member)
    if pending:
        qs = qs.filter(handler=member, status="pending")
    return Mapped(qs.order_by("-created_at", "pk"), _request_out)


@router.post("/requests", response={201: FieldRequestOut})
def make_request(request: HttpRequest, body: FieldRequestIn) -> Any:
    """Dispute a credit (``kind=credit``: sale, credit_kind, share_bp, reason) or ask to move
    team (``kind=move``: unit, effective). The delegation map's handler is notified."""
    from pacte.accounts.access import get_member_for
    from pacte.org.models import Unit

    member = request_member(request)
    if body.kind == "credit":
        seller = get_member_for(member, body.seller) if body.seller else None
        req = field_requests.dispute_credit(
            actor=member,
            sale=field_requests.find_sale(member, body.sale or ""),
            credit_kind=body.credit_kind or "",
            share_bp=body.share_bp or 0,
            reason=body.reason,
            seller=seller,
        )
    elif body.kind == "move":
        unit = (
            Unit.objects.for_workspace(member.workspace).filter(uuid=body.unit).first()
            if body.unit
            else None
        )
        if unit is None:
            raise DomainError(_("Choose a team."), code="not_found", field="unit")
        if body.effective is None:
            raise DomainError(_("Give the date of the move."), field="effective")
        req = field_requests.ask_move(
            actor=member, unit=unit, effective=body.effective, reason=body.reason
        )
    else:
        raise DomainError(_("Choose credit or move."), code="kind_invalid", field="kind")
    return 201, _request_out(get_scoped(_requests(member), req.uuid))


@router.get("/requests/{request_id}", response=FieldRequestOut)
def get_request(request: HttpRequest, request_id: str) -> Any:
    return _request_out(get_scoped(_requests(request_member(request)), request_id))


@router.post("/requests/{request_id}/decision", response=FieldRequestOut)
def decide_request(request: HttpRequest, request_id: str, body: FieldRequestDecisionIn) -> Any:
    """The handler accepts or refuses, with a reason (412 on a stale version)."""
    member = request_member(request)
    req = get_scoped(_requests(member), request_id)
    field_requests.decide(
        request=req, actor=member, accept=body.accept, reason=body.reason, version=body.version
    )
    return _request_out(get_scoped(_requests(member), request_id))


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


# A uuid in the path (not any text): ``/objectives/pending`` and the other fixed paths beside it
# are never read as an objective's id, here or in the API's description.
@router.get("/{uuid:objective_id}", response=ObjectiveOut)
def get_objective(request: HttpRequest, objective_id: uuid.UUID) -> Any:
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


def key_result_out(kr: KeyResult) -> dict[str, Any]:
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
        "key_results": [
            key_result_out(kr) for kr in objective.key_results.order_by("due_on", "name")
        ],
        "initiatives": list(objective.initiatives.order_by("created_at")),
    }


@router.post("/{objective_id}/key-results", response={201: KeyResultOut})
def add_key_result(request: HttpRequest, objective_id: str, body: KeyResultIn) -> Any:
    member = request_member(request)
    objective = selectors.get_objective_for(member, objective_id)
    kr = services.add_key_result(objective=objective, actor=member, **body.dict())
    return 201, key_result_out(kr)


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
