"""Targets pages: calendar and company target, cascade editor with live preview, runs,
compare, and each seller's "why is my share this number"."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError
from pacte.lib.money import from_minor
from pacte.planning import selectors, services
from pacte.planning.forms import CascadeForm, PotentialImportForm, TargetForm
from pacte.planning.labels import calendar_rows, month_label, year_label
from pacte.planning.models import CascadeRun, RunStatus
from pacte.uploads import read_bytes


def _year(request: MemberRequest, source: Any = None) -> int:
    """The fiscal year of ``?year=FY2027`` (default: the current one); a bad key is a 400."""
    key = (source if source is not None else request.GET).get("year")
    if not key:
        return services.calendar_of(request.member.workspace).year_of(timezone.localdate())
    return services.parse_year(request.member.workspace, key)


def _bad_input(request: MemberRequest, exc: DomainError) -> HttpResponse:
    return render(request, "planning/bad_input.html", {"message": exc.message}, status=400)


def _chart_data(summary: dict[str, Any], currency: str) -> dict[str, Any]:
    """Chart series in minor units; the script divides by ``scale`` for display only."""
    from pacte.lib.money import exponent

    return {
        "scale": 10 ** exponent(currency),
        "currency": currency,
        "months": [m["label"] for m in summary["months"]],
        "month_amounts": [m["amount"] for m in summary["months"]],
        "units": [u["name"] for u in summary["units"] if u["depth"] == 1],
        "unit_amounts": [u["amount"] for u in summary["units"] if u["depth"] == 1],
    }


@require_GET
@member_required()
def index(request: MemberRequest) -> HttpResponse:
    member = request.member
    try:
        fy = _year(request)
    except DomainError as exc:
        return _bad_input(request, exc)
    cal = services.calendar_of(member.workspace)
    target = selectors.company_target(member, fy)
    is_admin = member.has_role(*ADMIN_ROLES)
    form = None
    if is_admin:
        form = TargetForm(
            initial={
                "year": f"FY{fy}",
                "amount": from_minor(target.amount, member.workspace.currency) if target else "",
                "version": target.version if target else None,
            }
        )
    runs = (
        selectors.runs_for(member).filter(fiscal_year=fy).order_by("-number")
        if is_admin
        else CascadeRun.objects.none()
    )
    published = selectors.published_run(member, fy)
    return render(
        request,
        "planning/index.html",
        {
            "fy": fy,
            "year_label": year_label(fy),
            "prev_key": f"FY{fy - 1}",
            "next_key": f"FY{fy + 1}",
            "periods": calendar_rows(cal, fy),
            "closed": services.is_closed(member.workspace, fy),
            "target": target,
            "form": form,
            "runs": runs,
            "published": published,
            "is_admin": is_admin,
        },
    )


@require_POST
@member_required(*ADMIN_ROLES)
def target_set(request: MemberRequest) -> HttpResponse:
    member = request.member
    form = TargetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The target form is incomplete."))
        return redirect("planning:index")
    try:
        fy = services.parse_year(member.workspace, form.cleaned_data["year"])
        amount = services.parse_amount(form.cleaned_data["amount"], member.workspace.currency)
        services.set_company_target(
            workspace=member.workspace,
            actor=member,
            fiscal_year=fy,
            amount=amount,
            version=form.cleaned_data.get("version"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("planning:index") + f"?year={form.cleaned_data['year']}")
    messages.success(request, _("The target of %(year)s is saved.") % {"year": year_label(fy)})
    return redirect(reverse("planning:index") + f"?year=FY{fy}")


def _cascade_form(request: MemberRequest, fy: int, data: Any = None) -> CascadeForm:
    initial = {"year": f"FY{fy}", "effective_from": request.GET.get("effective_from") or 1}
    return CascadeForm(data, workspace=request.member.workspace, initial=initial)


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def editor(request: MemberRequest) -> HttpResponse:
    """The cascade editor; "Save draft" stores a run, the preview is the ``preview`` view."""
    member = request.member
    try:
        fy = _year(request, request.POST if request.method == "POST" else None)
    except DomainError as exc:
        return _bad_input(request, exc)
    form = _cascade_form(request, fy, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.create_run(
                workspace=member.workspace,
                actor=member,
                fiscal_year=fy,
                parameters=form.parameters(),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Draft run #%(n)s saved.") % {"n": run.number})
            return redirect("planning:run", uuid=run.uuid)
    target = selectors.company_target(member, fy)
    return render(
        request,
        "planning/editor.html",
        {
            "form": form,
            "fy": fy,
            "year_label": year_label(fy),
            "target": target,
            "published": selectors.published_run(member, fy),
        },
    )


@require_POST
@member_required(*ADMIN_ROLES)
def preview(request: MemberRequest) -> HttpResponse:
    """The live preview (htmx): computes the cascade in memory, stores nothing."""
    member = request.member
    context: dict[str, Any] = {}
    try:
        fy = _year(request, request.POST)
        form = _cascade_form(request, fy, request.POST)
        if not form.is_valid():
            errors = [str(e) for errs in form.errors.values() for e in errs]
            raise DomainError("; ".join(errors), code="invalid")
        computed = services.compute(
            workspace=member.workspace,
            fiscal_year=fy,
            params=services.parse_params(form.parameters()),
        )
        summary = services.summarise(computed, seller_limit=500)
        context = {"summary": summary, "chart": _chart_data(summary, member.workspace.currency)}
    except DomainError as exc:
        context = {"error": exc.message}
    response = render(request, "planning/editor.html#preview", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required(*ADMIN_ROLES)
def run(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    cascade = selectors.get_run_for(member, uuid)
    summary = selectors.run_summary(cascade)
    others = (
        selectors.runs_for(member).filter(fiscal_year=cascade.fiscal_year).exclude(pk=cascade.pk)
    )
    return render(
        request,
        "planning/run.html",
        {
            "run": cascade,
            "summary": summary,
            "chart": _chart_data(summary, member.workspace.currency),
            "year_label": year_label(cascade.fiscal_year),
            "others": others.order_by("-number"),
            "closed": services.is_closed(member.workspace, cascade.fiscal_year),
            "can_publish": cascade.status == RunStatus.DRAFT,
            "can_rerun": cascade.status == RunStatus.PUBLISHED,
        },
    )


@require_POST
@member_required(*ADMIN_ROLES)
def publish(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    cascade = selectors.get_run_for(member, uuid)
    version = request.POST.get("version")
    try:
        services.publish_run(run=cascade, actor=member, version=int(version) if version else None)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Run #%(n)s is now the reference of %(year)s.")
            % {"n": cascade.number, "year": year_label(cascade.fiscal_year)},
        )
    return redirect("planning:run", uuid=cascade.uuid)


@require_GET
@member_required(*ADMIN_ROLES)
def compare(request: MemberRequest) -> HttpResponse:
    member = request.member
    a_id, b_id = request.GET.get("a"), request.GET.get("b")
    if not a_id or not b_id:
        return _bad_input(request, DomainError(_("Choose two runs to compare."), code="required"))
    run_a = selectors.get_run_for(member, a_id)
    run_b = selectors.get_run_for(member, b_id)
    rows = services.compare_runs(run_a, run_b)
    return render(
        request,
        "planning/compare.html",
        {
            "a": run_a,
            "b": run_b,
            "rows": rows[:500],
            "row_count": len(rows),
            "gainers": sum(1 for r in rows if r["delta"] > 0),
            "losers": sum(1 for r in rows if r["delta"] < 0),
        },
    )


@require_GET
@member_required()
def seller(request: MemberRequest, uuid: str) -> HttpResponse:
    """ "Why is my share this number": the seller, their lead, executives and admins; other
    members only with the workspace's leaderboard on (else 404)."""
    member = request.member
    subject = selectors.get_seller_for(member, uuid)
    try:
        fy = _year(request)
    except DomainError as exc:
        return _bad_input(request, exc)
    cascade = selectors.published_run(member, fy)
    if request.GET.get("run") and member.sees_everything:
        cascade = selectors.get_run_for(member, request.GET["run"])
    found = selectors.explanation(cascade, subject) if cascade else None
    data = found.data if found else None
    months = []
    if data:
        first = services.calendar_of(member.workspace).first_month_index(cascade.fiscal_year)  # type: ignore[union-attr]
        months = [
            {
                "label": month_label(first + i),
                "amount": amount,
                "leave": data["inputs"]["leave_months"][i],
            }
            for i, amount in enumerate(data["months"])
        ]
    return render(
        request,
        "planning/seller.html",
        {
            "subject": subject,
            "fy": fy,
            "year_label": year_label(fy),
            "prev_key": f"FY{fy - 1}",
            "next_key": f"FY{fy + 1}",
            "run": cascade,
            "explanation": found,
            "data": data,
            "months": months,
            "methods": sorted((data or {}).get("methods", {}).items()),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def potential_import(request: MemberRequest) -> HttpResponse:
    member = request.member
    source = request.POST if request.method == "POST" else request.GET
    try:
        fy = _year(request, source)
    except DomainError as exc:
        return _bad_input(request, exc)
    form = PotentialImportForm(
        request.POST or None, request.FILES or None, initial={"year": f"FY{fy}"}
    )
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_potential(
                workspace=member.workspace,
                actor=member,
                fiscal_year=fy,
                data=read_bytes(form.cleaned_data["file"], services.POTENTIAL_MAX_BYTES),
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            if not result.errors:
                messages.success(request, _("%(n)s potentials imported.") % {"n": result.stored})
                return redirect(reverse("planning:index") + f"?year=FY{fy}")
    return render(
        request,
        "planning/potential_import.html",
        {"form": form, "result": result, "fy": fy, "year_label": year_label(fy)},
    )
