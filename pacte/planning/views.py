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
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.models import Membership
from pacte.errors import DomainError
from pacte.org.visibility import get_seller_for
from pacte.planning import runs, selectors, services, work
from pacte.planning.cascade import compute, parse_params, summarise
from pacte.planning.forms import CascadeForm, PotentialImportForm, TargetForm
from pacte.planning.labels import (
    calendar_rows,
    level_sentences,
    method_label,
    month_label,
    parameter_rows,
    year_label,
)
from pacte.planning.models import CascadeRun, RunStatus
from pacte.uploads import read_bytes


def _year(request: MemberRequest, source: Any = None) -> int:
    """The fiscal year of ``?year=FY2027`` (default: the current one); a bad key is a 400."""
    key = (source if source is not None else request.GET).get("year")
    if not key:
        return request.member.workspace.calendar.year_of(timezone.localdate())
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
    try:
        fy = _year(request)
    except DomainError as exc:
        return _bad_input(request, exc)
    return _index(request, fy)


def _index(
    request: MemberRequest, fy: int, form: TargetForm | None = None, status: int = 200
) -> HttpResponse:
    member = request.member
    cal = member.workspace.calendar
    target = selectors.company_target(member, fy)
    is_admin = member.has_role(*ADMIN_ROLES)
    if is_admin and form is None:
        form = TargetForm(
            initial={
                "year": f"FY{fy}",
                "amount": target.amount if target else None,
                "version": target.version if target else None,
            },
            currency=member.workspace.currency,
        )
    runs = (
        selectors.runs_for(member).filter(fiscal_year=fy).order_by("-number")
        if is_admin
        else CascadeRun.objects.none()
    )
    drift = selectors.target_drift(member, fy)
    published = drift.published
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
            "form": form if is_admin else None,
            "runs": runs,
            "published": published,
            "drift": drift,
            "is_admin": is_admin,
        },
        status=status,
    )


@require_POST
@member_required(*ADMIN_ROLES)
def target_set(request: MemberRequest) -> HttpResponse:
    """Save the company target; a bad amount is shown next to the field, nothing is saved."""
    member = request.member
    form = TargetForm(request.POST, currency=member.workspace.currency)
    try:
        fy = services.parse_year(member.workspace, request.POST.get("year", ""))
    except DomainError as exc:
        return _bad_input(request, exc)
    if not form.is_valid():
        return _index(request, fy, form, status=422)
    try:
        services.set_company_target(
            workspace=member.workspace,
            actor=member,
            fiscal_year=fy,
            amount=form.cleaned_data["amount"],
            version=form.cleaned_data.get("version"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("planning:index") + f"?year=FY{fy}")
    messages.success(request, _("The target of %(year)s is saved.") % {"year": year_label(fy)})
    drift = selectors.target_drift(member, fy)
    if drift.stale:
        messages.warning(request, stale_message(drift))
    return redirect(reverse("planning:index") + f"?year=FY{fy}")


def stale_message(drift: selectors.TargetDrift) -> str:
    """ "The published run #3 cascades €1,000,000; the target is now €1,200,000." """
    from django.utils.translation import get_language

    from pacte.lib.money import format_money

    assert drift.published is not None
    assert drift.target is not None
    currency = drift.published.workspace.currency
    return _("The published run #%(n)s cascades %(cascaded)s; the target is now %(target)s.") % {
        "n": drift.published.number,
        "cascaded": format_money(drift.published.total, currency, get_language()),
        "target": format_money(drift.target.amount, currency, get_language()),
    }


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
    if request.method == "POST" and form.is_valid() and work.in_background(member.workspace):
        try:
            job = work.start_run(
                workspace=member.workspace,
                actor=member,
                fiscal_year=fy,
                parameters=form.parameters(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.info(
                request,
                _(
                    "The workspace has many sellers: the run is computed in the background. "
                    "Follow it here."
                ),
            )
            return redirect("work:job", uuid=job.uuid)
    elif request.method == "POST" and form.is_valid():
        try:
            run = runs.create_run(
                workspace=member.workspace,
                actor=member,
                fiscal_year=fy,
                parameters=form.parameters(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Draft run #%(n)s saved.") % {"n": run.number})
            return redirect("planning:run", uuid=run.uuid)
    drift = selectors.target_drift(member, fy)
    return render(
        request,
        "planning/editor.html",
        {
            "form": form,
            "fy": fy,
            "year_label": year_label(fy),
            "target": drift.target,
            "published": drift.published,
            "drift": drift,
            "closed": services.is_closed(member.workspace, fy),
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
        computed = compute(
            workspace=member.workspace,
            fiscal_year=fy,
            params=parse_params(form.parameters(), currency=member.workspace.currency),
        )
        summary = summarise(computed, seller_limit=500)
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
    params = cascade.parameters or {}
    names = _names_of(member, [*(params.get("holds") or {}), *(params.get("exclusions") or [])])
    return render(
        request,
        "planning/run.html",
        {
            "run": cascade,
            "parameters": parameter_rows(
                params,
                calendar=member.workspace.calendar,
                fiscal_year=cascade.fiscal_year,
                names=names,
                currency=member.workspace.currency,
            ),
            "summary": summary,
            "chart": _chart_data(summary, member.workspace.currency),
            "year_label": year_label(cascade.fiscal_year),
            "others": others.order_by("-number"),
            "closed": services.is_closed(member.workspace, cascade.fiscal_year),
            "can_publish": cascade.status == RunStatus.DRAFT,
            "can_rerun": cascade.status == RunStatus.PUBLISHED,
            "drift": selectors.target_drift(member, cascade.fiscal_year),
        },
    )


def _names_of(member: Any, public_ids: list[str]) -> dict[str, str]:
    """Names of the workspace's members by public id (ids that are not UUIDs are skipped)."""
    import uuid

    ids = []
    for value in public_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return {
        str(u): n
        for u, n in Membership.objects.for_workspace(member.workspace)
        .filter(uuid__in=ids)
        .values_list("uuid", "name")
    }


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def publish(request: MemberRequest, uuid: str) -> HttpResponse:
    """GET: what publishing the run changes, to confirm (a page, or with htmx a dialog on the
    run page); POST from that confirmation: publish. A POST that did not come through the
    confirmation (no ``replaces``) is sent to it."""
    member = request.member
    cascade = selectors.get_run_for(member, uuid)
    if request.method == "GET":
        template = "planning/publish.html#confirm" if request.htmx else "planning/publish.html"
        diff = selectors.publish_diff(cascade)
        response = render(
            request,
            template,
            {
                "run": cascade,
                "diff": diff,
                "diff_tables": [
                    (
                        _("Largest increases") if diff.reference else _("Largest shares"),
                        diff.largest_up,
                    ),
                    (_("Largest decreases"), diff.largest_down),
                ],
                "year_label": year_label(cascade.fiscal_year),
                "closed": services.is_closed(member.workspace, cascade.fiscal_year),
                "can_publish": cascade.status == RunStatus.DRAFT,
            },
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    if "replaces" not in request.POST:
        return redirect("planning:publish", uuid=cascade.uuid)
    version = request.POST.get("version")
    if work.in_background(member.workspace):
        job = work.start_publish(
            run=cascade,
            actor=member,
            version=int(version) if version else None,
            replaces=request.POST["replaces"] or None,
        )
        messages.info(
            request,
            _("The workspace has many sellers: the run is published in the background."),
        )
        return redirect("work:job", uuid=job.uuid)
    try:
        runs.publish_run(
            run=cascade,
            actor=member,
            version=int(version) if version else None,
            replaces=request.POST["replaces"] or None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        if exc.code == "reference_changed":
            return redirect("planning:publish", uuid=cascade.uuid)
    else:
        messages.success(
            request,
            _("Run #%(n)s is now the reference of %(year)s.")
            % {"n": cascade.number, "year": year_label(cascade.fiscal_year)},
        )
    return redirect("planning:run", uuid=cascade.uuid)


@require_POST
@member_required(*ADMIN_ROLES)
def rerun(request: MemberRequest, uuid: str) -> HttpResponse:
    """A new draft from the published run's inputs and the company target as it is now."""
    member = request.member
    cascade = selectors.get_run_for(member, uuid)
    if work.in_background(member.workspace):
        job = work.start_rerun(run=cascade, actor=member)
        messages.info(
            request,
            _("The workspace has many sellers: the new run is computed in the background."),
        )
        return redirect("work:job", uuid=job.uuid)
    try:
        new = runs.rerun_for_target(run=cascade, actor=member)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("planning:run", uuid=cascade.uuid)
    messages.success(
        request,
        _("Draft run #%(n)s cascades the new target with the inputs of run #%(m)s.")
        % {"n": new.number, "m": cascade.number},
    )
    return redirect("planning:run", uuid=new.uuid)


@require_GET
@member_required(*ADMIN_ROLES)
def compare(request: MemberRequest) -> HttpResponse:
    member = request.member
    a_id, b_id = request.GET.get("a"), request.GET.get("b")
    if not a_id or not b_id:
        return _bad_input(request, DomainError(_("Choose two runs to compare."), code="required"))
    run_a = selectors.get_run_for(member, a_id)
    run_b = selectors.get_run_for(member, b_id)
    rows = runs.compare_runs(run_a, run_b)
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
    subject = get_seller_for(member, uuid)
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
        first = member.workspace.calendar.first_month_index(cascade.fiscal_year)  # type: ignore[union-attr]
        leave = (data.get("inputs") or {}).get("leave_months") or [0] * len(data["months"])
        months = [
            {"label": month_label(first + i), "amount": amount, "leave": leave[i]}
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
            "methods": [
                (method_label(code), m)
                for code, m in sorted((data or {}).get("methods", {}).items())
            ],
            "levels": level_sentences((data or {}).get("levels") or [], member.workspace.currency),
            **_carries(cascade, subject),
        },
    )


def _carries(run: CascadeRun | None, subject: Membership) -> dict[str, Any]:
    """What moves carried into or out of the seller's share (pacte.planning.moves)."""
    from pacte.planning import moves

    if run is None:
        return {"carries": [], "carried": 0}
    currency = subject.workspace.currency
    return {
        "carries": [moves.sentence(m, currency) for m in moves.moves_of(run, subject)],
        "carried": moves.seller_adjustment(run, subject),
    }


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
                messages.success(
                    request,
                    ngettext(
                        "%(n)s potential imported.", "%(n)s potentials imported.", result.stored
                    )
                    % {"n": result.stored},
                )
                return redirect(reverse("planning:index") + f"?year=FY{fy}")
    return render(
        request,
        "planning/potential_import.html",
        {"form": form, "result": result, "fy": fy, "year_label": year_label(fy)},
    )
