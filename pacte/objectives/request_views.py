"""Request pages: a seller disputes a credit (from the sales list) or asks to move team (from
"My objective" or the team page); the handler decides in one step (from the inbox)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pacte.accounts.access import get_scoped
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError
from pacte.objectives import field_requests, services
from pacte.objectives.models import FieldRequest, RequestKind, RequestStatus
from pacte.org.models import Unit
from pacte.sales.models import CreditKind

FIELDS = ("sale", "credit_kind", "share", "unit", "effective", "reason")


class RequestForm(djforms.Form):
    kind = djforms.ChoiceField(choices=RequestKind.choices)
    sale = djforms.CharField(required=False, max_length=100)
    credit_kind = djforms.CharField(required=False, max_length=7)
    share = djforms.DecimalField(required=False, max_digits=6, decimal_places=2)
    unit = djforms.UUIDField(required=False)
    effective = djforms.DateField(required=False)
    reason = djforms.CharField(required=False, max_length=field_requests.REASON_MAX)


class DecisionForm(djforms.Form):
    decision = djforms.ChoiceField(choices=[("accept", "accept"), ("refuse", "refuse")])
    reason = djforms.CharField(required=False, max_length=field_requests.REASON_MAX)
    version = djforms.IntegerField(required=False)


def _teams(member: Any) -> list[Unit]:
    return list(
        Unit.objects.for_workspace(member.workspace).filter(is_active=True).order_by("name")
    )


@require_http_methods(["GET", "POST"])
@member_required()
def request_new(request: MemberRequest) -> HttpResponse:
    """Make a request: ``?kind=credit&sale=…`` (from the sales list) or ``?kind=move``."""
    member = request.member
    data = request.POST if request.method == "POST" else request.GET
    form = RequestForm(data)
    form.is_valid()
    values = {k: data.get(k, "") for k in ("kind", *FIELDS)}
    values["kind"] = values["kind"] if values["kind"] in RequestKind.values else "credit"
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            if form.errors:
                field = next(iter(form.errors))
                raise DomainError(_("Check this field."), code="invalid", field=field)
            cd = form.cleaned_data
            if cd["kind"] == RequestKind.CREDIT:
                share = cd["share"]
                if share is None:
                    raise DomainError(_("Give the share you ask for."), field="share")
                req = field_requests.dispute_credit(
                    actor=member,
                    sale=field_requests.find_sale(member, cd["sale"]),
                    credit_kind=cd["credit_kind"],
                    share_bp=int(share * 100),
                    reason=cd["reason"],
                )
            else:
                unit = Unit.objects.for_workspace(member.workspace).filter(uuid=cd["unit"]).first()
                if unit is None:
                    raise DomainError(_("Choose a team."), code="not_found", field="unit")
                if cd["effective"] is None:
                    raise DomainError(_("Give the date of the move."), field="effective")
                req = field_requests.ask_move(
                    actor=member, unit=unit, effective=cd["effective"], reason=cd["reason"]
                )
            messages.success(request, _("Request sent to %(name)s.") % {"name": req.handler})
            return redirect("objectives:request_detail", uuid=req.uuid)
        except DomainError as exc:
            where = "share" if exc.field == "share_bp" else (exc.field or "form")
            errors = {where if where in FIELDS else "form": exc.message}
            status = exc.status
    return render(
        request,
        "objectives/request_new.html",
        {
            "values": values,
            "errors": errors,
            "teams": _teams(member),
            "credit_kinds": CreditKind.choices,
            "today": datetime.date.today(),
        },
        status=status,
    )


@require_http_methods(["GET"])
@member_required()
def request_list(request: MemberRequest) -> HttpResponse:
    """My requests, those waiting for my decision and (leads, executives) my people's."""
    member = request.member
    qs = (
        FieldRequest.objects.visible_to(member)
        .select_related("seller", "handler", "sale", "unit")
        .order_by("-created_at")
    )
    items = list(qs[:300])
    for r in items:
        r.summary = field_requests.summary(r)  # type: ignore[attr-defined]
    return render(
        request,
        "objectives/requests.html",
        {
            "mine": [r for r in items if r.seller_id == member.pk],
            "to_decide": [
                r for r in items if r.status == RequestStatus.PENDING and r.handler_id == member.pk
            ],
            "others": [r for r in items if r.seller_id != member.pk],
        },
    )


@require_http_methods(["GET"])
@member_required()
def request_detail(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    req = get_scoped(FieldRequest.objects.visible_to(member), uuid)
    return _detail(request, req, {}, 200)


def _detail(request: MemberRequest, req: FieldRequest, errors: dict[str, str], status: int) -> Any:
    member = request.member
    return render(
        request,
        "objectives/request.html",
        {
            "req": req,
            "summary": field_requests.summary(req),
            "can_decide": req.status == RequestStatus.PENDING and services.may_decide(member, req),
            "errors": errors,
        },
        status=status,
    )


@require_POST
@member_required()
def request_decide(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    req = get_scoped(FieldRequest.objects.visible_to(member), uuid)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, req, {"form": _("Accept or refuse, with a reason.")}, 400)
    if not services.may_decide(member, req):
        raise Http404
    try:
        field_requests.decide(
            request=req,
            actor=member,
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        req.refresh_from_db()
        return _detail(request, req, {exc.field or "form": exc.message}, exc.status)
    messages.success(request, _("Decision sent."))
    return redirect("objectives:inbox")
