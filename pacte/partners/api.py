"""Partners in the API: organisations and their people (``/partners``, for the company), the
executives' partner figures, and the partner's own figures and actions (``/partner``, the only
routes its people may call)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router

from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import Membership
from pacte.amounts import api_amount
from pacte.api_auth import request_member
from pacte.errors import DomainError
from pacte.objectives import services as objective_services
from pacte.objectives.api import key_result_out, notice_out, review_out
from pacte.objectives.schemas import (
    KeyResultOut,
    NotificationOut,
    NotificationsReadOut,
    ReviewIn,
    ReviewOut,
)
from pacte.objectives.selectors import default_fiscal_year, notifications_of
from pacte.partners import selectors, services
from pacte.partners.models import Partner, PartnerPerson
from pacte.partners.schemas import (
    FiguresByOut,
    PartnerCheckInIn,
    PartnerCheckInOut,
    PartnerFiguresOut,
    PartnerIn,
    PartnerKeyResultIn,
    PartnerObjectiveOut,
    PartnerOut,
    PartnerPatch,
    PersonIn,
    PersonOut,
    ProposeIn,
)
from pacte.partners.selectors import Row
from pacte.sales.models import Channel

router = Router(tags=["partners"])
portal = Router(tags=["partner"])


def partner_out(p: Partner) -> dict[str, Any]:
    return {
        "uuid": p.uuid,
        "code": p.code,
        "name": p.name,
        "kind": p.kind,
        "channel": p.channel.code,
        "territory": p.territory,
        "owner": p.owner.uuid,
        "owner_name": p.owner.name,
        "seat": p.seat.uuid,
        "is_active": p.is_active,
        "version": p.version,
    }


def _channel(member: Membership, code: str | None) -> Channel | None:
    if code is None:
        return None
    channel = Channel.objects.for_workspace(member.workspace).filter(code=code).first()
    if channel is None:
        raise DomainError("Unknown channel code.", code="not_found", field="channel")
    return channel


def _owner(member: Membership, public_id: Any) -> Membership | None:
    if public_id is None:
        return None
    owner = Membership.objects.for_workspace(member.workspace).filter(uuid=public_id).first()
    if owner is None:
        raise DomainError("Unknown member.", code="not_found", field="owner")
    return owner


@router.get("", response=list[PartnerOut], summary="Partners the caller may see")
def partners_list(request: HttpRequest) -> list[dict[str, Any]]:
    member = request_member(request)
    return [partner_out(p) for p in selectors.visible_partners(member).order_by("name")]


@router.post("", response={201: PartnerOut}, summary="Add a partner (admins)")
def partner_create(request: HttpRequest, payload: PartnerIn) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    partner = services.create_partner(
        workspace=member.workspace,
        actor=member,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        channel=_channel(member, payload.channel),
        territory=payload.territory,
        owner=_owner(member, payload.owner),
    )
    return 201, partner_out(partner)


@router.get(
    "/figures",
    response=FiguresByOut,
    summary="Partner figures by channel, by partner, or one partner's by month (executives, "
    "admins; a channel manager their own partners')",
)
def partners_figures(
    request: HttpRequest,
    fy: int | None = None,
    channel: str | None = None,
    partner: str | None = None,
) -> dict[str, Any]:
    member = request_member(request)
    year = fy or default_fiscal_year(member)
    chosen_partner = selectors.get_partner_for(member, partner) if partner else None
    if chosen_partner is not None:
        chosen: Channel | None = chosen_partner.channel
        rows, total = selectors.partner_months(member, year, chosen_partner)
    else:
        chosen = (
            get_scoped(Channel.objects.for_workspace(member.workspace), channel)
            if channel
            else None
        )
        rows, total = selectors.partner_figures(member, year, chosen)
    return {
        "fiscal_year": year,
        "channel": chosen.uuid if chosen else None,
        "partner": chosen_partner.uuid if chosen_partner else None,
        "rows": [_row(r) for r in rows],
        "total": _row(total),
    }


def _row(row: Row) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "uuid": row.uuid,
        "partners": row.partners,
        "reference": row.reference,
        "objective": row.objective,
        "gap": row.gap,
        "actual": row.actual,
    }


@router.get("/{partner_id}", response=PartnerOut, summary="One partner")
def partner_get(request: HttpRequest, partner_id: str) -> dict[str, Any]:
    return partner_out(selectors.get_partner_for(request_member(request), partner_id))


@router.patch("/{partner_id}", response=PartnerOut, summary="Change a partner (admins)")
def partner_update(request: HttpRequest, partner_id: str, payload: PartnerPatch) -> dict[str, Any]:
    member = request_member(request)
    partner = selectors.get_partner_for(member, partner_id)
    require_role(member, *ADMIN_ROLES)
    partner = services.update_partner(
        partner=partner,
        actor=member,
        version=payload.version,
        name=payload.name,
        kind=payload.kind,
        channel=_channel(member, payload.channel),
        territory=payload.territory,
        owner=_owner(member, payload.owner),
        is_active=payload.is_active,
    )
    return partner_out(partner)


@router.get("/{partner_id}/people", response=list[PersonOut], summary="The partner's people")
def people_list(request: HttpRequest, partner_id: str) -> list[dict[str, Any]]:
    partner = selectors.get_partner_for(request_member(request), partner_id)
    links = (
        PartnerPerson.objects.for_workspace(partner.workspace)
        .filter(partner=partner)
        .select_related("membership__user")
        .order_by("membership__name")
    )
    return [_person(link.membership) for link in links]


def _person(m: Membership) -> dict[str, Any]:
    return {"uuid": m.uuid, "name": m.name, "email": m.user.email, "is_pending": m.is_pending}


@router.post(
    "/{partner_id}/people",
    response={201: PersonOut},
    summary="Add one of the partner's people (its channel manager, admins)",
)
def person_add(
    request: HttpRequest, partner_id: str, payload: PersonIn
) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    partner = selectors.get_partner_for(member, partner_id)
    person = services.invite_person(
        partner=partner, actor=member, email=payload.email, name=payload.name
    )
    return 201, _person(person.membership)


# --------------------------------------------------------------------------- the partner's own


def _own_partner(request: HttpRequest) -> tuple[Membership, Partner]:
    member = request_member(request)
    try:
        return member, services.partner_of(member)
    except DomainError:
        raise Http404 from None


@portal.get("", response=PartnerFiguresOut, summary="The partner's own figures (its people)")
def partner_figures(request: HttpRequest, fy: int | None = None) -> dict[str, Any]:
    member, partner = _own_partner(request)
    year = fy or default_fiscal_year(member)
    data = selectors.figures_of(partner, year)
    objective = data.objective
    return {
        "partner": partner_out(partner),
        "fiscal_year": year,
        "currency": partner.workspace.currency,
        "reference": data.reference.annual if data.reference.exists else None,
        "objective": objective.amount if objective else None,
        "objective_status": objective.status if objective else None,
        "objective_version": objective.version if objective else None,
        "actual": data.actual,
        "attainment": data.attainment,
        "sales": data.sales,
        "key_results": [
            key_result_out(kr) for kr in sorted(objective.key_results.all(), key=lambda k: k.name)
        ]
        if objective
        else [],
    }


@portal.post(
    "/commitment", response=PartnerObjectiveOut, summary="Propose the partner's commitment"
)
def partner_propose(request: HttpRequest, payload: ProposeIn) -> dict[str, Any]:
    member, partner = _own_partner(request)
    objective = services.propose(
        person=member,
        fiscal_year=payload.fiscal_year,
        amount=api_amount(payload.amount, partner.workspace.currency),
        narrative=payload.narrative,
        version=payload.version,
    )
    return {
        "uuid": objective.uuid,
        "fiscal_year": objective.fiscal_year,
        "status": objective.status,
        "amount": objective.amount,
        "version": objective.version,
    }


@portal.post("/check-in", response=PartnerCheckInOut, summary="This week's check-in of the partner")
def partner_check_in(request: HttpRequest, payload: PartnerCheckInIn) -> dict[str, Any]:
    member, _partner = _own_partner(request)
    item = services.check_in(
        person=member,
        fiscal_year=payload.fiscal_year,
        confidence=payload.confidence,
        comment=payload.comment,
    )
    return {"week": item.week, "confidence": item.confidence, "comment": item.comment}


@portal.post(
    "/key-results", response={201: KeyResultOut}, summary="Add a key result to the partner's plan"
)
def partner_add_key_result(request: HttpRequest, payload: PartnerKeyResultIn) -> Any:
    member, _partner = _own_partner(request)
    kr = services.add_key_result(person=member, **payload.dict())
    return 201, key_result_out(kr)


@portal.delete(
    "/key-results/{key_result_id}",
    response={204: None},
    summary="Remove a key result of the partner's plan (another's is not found)",
)
def partner_delete_key_result(request: HttpRequest, key_result_id: str) -> Any:
    member, _partner = _own_partner(request)
    services.delete_key_result(person=member, key_result_id=key_result_id)
    return 204, None


@portal.get(
    "/notifications",
    response=list[NotificationOut],
    summary="The person's notifications (what the partner's seat is told), newest first",
)
def partner_notifications(request: HttpRequest) -> Any:
    member, _partner = _own_partner(request)
    return [notice_out(n, member) for n in notifications_of(member)[:200]]


@portal.post(
    "/notifications/read",
    response=NotificationsReadOut,
    summary="Mark every unread notification of the person read",
)
def partner_read_notifications(request: HttpRequest) -> Any:
    member, _partner = _own_partner(request)
    return {"marked": objective_services.mark_read(member=member)}


@portal.get(
    "/reviews",
    response=list[ReviewOut],
    summary="The partner's period reviews (asked when it fell short of a closed quarter)",
)
def partner_reviews(request: HttpRequest, fiscal_year: int | None = None) -> Any:
    _member, partner = _own_partner(request)
    qs = selectors.reviews_of(partner)
    if fiscal_year:
        qs = qs.filter(fiscal_year=fiscal_year)
    items = qs.select_related("seller", "unit", "answered_by").order_by("-fiscal_year", "-quarter")
    return [review_out(r) for r in items[:200]]


@portal.get("/reviews/{review_id}", response=ReviewOut, summary="One of the partner's reviews")
def partner_review(request: HttpRequest, review_id: str) -> Any:
    _member, partner = _own_partner(request)
    return review_out(selectors.get_review_for(partner, review_id))


@portal.post(
    "/reviews/{review_id}/submit",
    response=ReviewOut,
    summary="Write the partner's review (until its channel manager answers)",
)
def partner_submit_review(request: HttpRequest, review_id: str, body: ReviewIn) -> Any:
    member, partner = _own_partner(request)
    services.submit_review(person=member, review_id=review_id, **body.dict())
    return review_out(selectors.get_review_for(partner, review_id))
