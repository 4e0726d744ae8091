"""Pages of moves carrying targets: the move policy, the company pool and the teams' open
shares (executives and admins), with assignments from the pool."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pacte.accounts.access import ADMIN_ROLES, get_member_for
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.amounts import parse_amount
from pacte.errors import DomainError
from pacte.org.visibility import get_unit_for, visible_units
from pacte.planning import moves, selectors, services
from pacte.planning.labels import year_label
from pacte.planning.models import Layer, MoveOutcome, Proration


def _year(request: MemberRequest) -> int:
    key = request.GET.get("year") or request.POST.get("year")
    if not key:
        return request.member.workspace.calendar.year_of(timezone.localdate())
    return services.parse_year(request.member.workspace, key)


@require_GET
@member_required(*ADMIN_ROLES)
def index(request: MemberRequest) -> HttpResponse:
    return _page(request, {})


def _page(request: MemberRequest, errors: dict[str, str], status: int = 200) -> HttpResponse:
    member = request.member
    try:
        fy = _year(request)
    except DomainError as exc:
        errors = {"year": exc.message}
        fy = member.workspace.calendar.year_of(timezone.localdate())
    run = selectors.published_run(member, fy)
    policy = moves.policy_of(member.workspace)
    context = {
        "fy": fy,
        "year_key": f"FY{fy}",
        "year_label": year_label(fy),
        "run": run,
        "policy": policy,
        "outcomes": MoveOutcome.choices,
        "prorations": Proration.choices,
        "errors": errors,
        "totals": moves.totals(run) if run else None,
        "objective_pool": moves.totals(run, Layer.OBJECTIVE)["pool"] if run else 0,
        "moves": [
            (m, moves.sentence(m, member.workspace.currency)) for m in moves.recent_moves(run)
        ]
        if run
        else [],
        "teams": visible_units(member).filter(is_active=True).order_by("name"),
    }
    return render(request, "planning/moves.html", context, status=status)


@require_POST
@member_required(*ADMIN_ROLES)
def policy(request: MemberRequest) -> HttpResponse:
    try:
        moves.update_policy(
            workspace=request.member.workspace,
            actor=request.member,
            outcome=request.POST.get("outcome", ""),
            proration=request.POST.get("proration", ""),
            version=int(request.POST.get("version") or 0) or None,
        )
    except DomainError as exc:
        return _page(request, {exc.field or "policy": exc.message}, status=exc.status)
    messages.success(request, _("The move policy was saved."))
    return redirect("planning:moves")


@require_POST
@member_required(*ADMIN_ROLES)
def assign(request: MemberRequest) -> HttpResponse:
    member = request.member
    try:
        run = selectors.published_run(member, _year(request))
        if run is None:
            raise DomainError(_("No run is published for this year."), field="year")
        seller = request.POST.get("seller") or None
        unit = request.POST.get("unit") or None
        moves.assign_pool(
            run=run,
            actor=member,
            amount=parse_amount(request.POST.get("amount", ""), member.workspace.currency),
            seller=get_member_for(member, seller) if seller else None,
            unit=get_unit_for(member, unit) if unit else None,
        )
    except DomainError as exc:
        return _page(request, {exc.field or "amount": exc.message}, status=exc.status)
    messages.success(request, _("Part of the pool was assigned."))
    return redirect(f"{reverse('planning:moves')}?year=FY{run.fiscal_year}")
