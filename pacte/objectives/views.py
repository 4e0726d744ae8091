"""Objective pages: my objective, decisions, versions, policy, reconciliation, plan, check-ins."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import get_scoped, require_role
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.models import Membership
from pacte.amounts import AmountError, input_value, parse_amount, parse_fields
from pacte.errors import DomainError, StaleVersion
from pacte.objectives import maths, realism, references, selectors, services
from pacte.objectives.models import (
    Initiative,
    InitiativeStatus,
    KeyResult,
    Notification,
    Objective,
    RuleKind,
    Status,
)


def _fy(request: MemberRequest) -> int:
    """The fiscal year of the page (``?fy=``), by default the one being set."""
    member = request.member
    raw = request.GET.get("fy") or request.POST.get("fy")
    if not raw:
        return services.default_fiscal_year(member)
    current = references.calendar_of(member.workspace).year_of(timezone.localdate())
    try:
        fy = int(raw)
    except ValueError:
        raise Http404 from None
    if not current - 5 <= fy <= current + 5:
        raise Http404
    return fy


def fy_url(name: str, fy: int, **params: object) -> str:
    from urllib.parse import urlencode

    return reverse(name) + "?" + urlencode({"fy": fy, **params})


def _major(minor: int | None, currency: str) -> str:
    """An amount as a field's value in the page's language (``1234,50`` / ``1234.50``)."""
    return input_value(minor, currency)


def _month_labels(member: Membership, fy: int) -> list[str]:
    from pacte.planning.labels import month_label

    return [month_label(i) for i in references.fy_months(member.workspace, fy)]


@require_GET
@member_required()
def index(request: MemberRequest) -> HttpResponse:
    return redirect(fy_url("objectives:mine", services.default_fiscal_year(request.member)))


def _mine_context(
    member: Membership,
    fy: int,
    objective: Objective | None,
    data: dict[str, Any] | None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    ws = member.workspace
    currency = ws.currency
    ref = references.reference_for(member, fy)
    history = references.actuals_for(ws, fy - 1, [member.pk]).get(member.pk, references.Actuals())
    codes = services.channel_codes(ws)
    from pacte.sales.models import Channel

    channel_names = (
        {c.code: c.label for c in Channel.objects.for_workspace(ws).filter(code__in=codes)}
        if codes
        else {}
    )
    if data is None:
        if objective is not None:
            amount, months = objective.amount, objective.months
            split = {k: str(v / 100) for k, v in objective.channel_split.items()}
            narrative = objective.narrative
        else:
            amount, months = maths.default_objective(ref, history)
            split, narrative = {}, ""
        data = {
            "amount": _major(amount, currency),
            "months": [_major(m, currency) for m in months],
            "split": split,
            "narrative": narrative,
            "version": objective.version if objective else "",
        }
    errors = errors or {}
    labels = _month_labels(member, fy)
    return {
        "fy": fy,
        "objective": objective,
        "data": data,
        "errors": errors,
        "months_invalid": any(key.startswith("month_") for key in errors),
        "reference": ref,
        "history": history,
        "realism": realism.of_typed(member, fy, data["amount"]),
        "month_rows": [
            {
                "label": labels[i],
                "number": i + 1,
                "value": data["months"][i] if i < len(data["months"]) else "",
                "error": errors.get(f"month_{i + 1}", ""),
                "reference": ref.by_month[i],
                "history": history.by_month[i],
            }
            for i in range(12)
        ],
        "channels": [
            {
                "code": code,
                "name": channel_names.get(code, code),
                "value": data["split"].get(code, ""),
                "reference": ref.by_channel.get(code, 0),
                "history": history.by_channel.get(code, 0),
            }
            for code in codes
        ],
        "window": services.window_of(ws, fy),
        "versions": objective.versions.select_related("author").order_by("-number")
        if objective
        else [],
        "stretches": _stretches(member, fy),
        "phasing": _phasing_summary(data, currency),
        "editable": objective is None or objective.status != Status.PROPOSED,
        "fiscal_years": [fy - 1, fy, fy + 1],
        "chart": _chart(
            ws.currency,
            labels,
            [(_("Reference"), ref.by_month, "bar"), (_("Last year"), history.by_month, "line")],
        ),
    }


def _chart(
    currency: str, labels: list[str], series: list[tuple[str, list[int], str]]
) -> dict[str, Any]:
    from pacte.lib.money import exponent

    return {
        "currency": currency,
        "scale": 10 ** exponent(currency),
        "labels": labels,
        "series": [{"name": name, "data": data, "type": kind} for name, data, kind in series],
    }


def _stretches(member: Membership, fy: int) -> list[Any]:
    from pacte.objectives.models import StretchRequest

    return list(
        StretchRequest.objects.filter(workspace=member.workspace, seller=member, fiscal_year=fy)
        .select_related("rule", "rule__created_by")
        .order_by("-created_at")[:10]
    )


def _phasing_summary(data: dict[str, Any], currency: str) -> dict[str, Any]:
    months = []
    ok = True
    for value in data["months"]:
        try:
            months.append(parse_amount(value, currency))
        except AmountError:
            ok = False
    try:
        annual = parse_amount(data["amount"], currency)
    except AmountError:
        annual, ok = 0, False
    gap = maths.phasing_gap(annual, months)
    return {"total": sum(months), "annual": annual, "diff": gap, "ok": ok and gap == 0}


def _posted(request: MemberRequest, codes: list[str]) -> dict[str, Any]:
    post = request.POST
    return {
        "amount": post.get("amount", ""),
        "months": [post.get(f"month_{i}", "") for i in range(1, 13)],
        "split": {code: post.get(f"channel_{code}", "") for code in codes},
        "narrative": post.get("narrative", ""),
        "version": post.get("version", ""),
    }


def _typed_amounts(
    data: dict[str, Any], currency: str
) -> tuple[int, list[int] | None, dict[str, str]]:
    """The annual amount and the months as typed, read in the page's language; months left
    all blank are phased like the reference. Returns them with every field's error."""
    fields: dict[str, object] = {"amount": data["amount"]}
    months_given = any(str(v).strip() for v in data["months"])
    if months_given:
        fields.update({f"month_{i}": v for i, v in enumerate(data["months"], start=1)})
    amounts, errors = parse_fields(fields, currency)
    months = [amounts.get(f"month_{i}", 0) for i in range(1, 13)] if months_given else None
    return amounts.get("amount", 0), months, errors


def _version(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@member_required()
def mine(request: MemberRequest) -> HttpResponse:
    member = request.member
    fy = _fy(request)
    if not member.is_seller:
        messages.info(request, _("Only sellers set their own objective."))
        return redirect("objectives:inbox")
    objective = selectors.own_objective(member, fy)
    data = None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        codes = services.channel_codes(member.workspace)
        data = _posted(request, codes)
        action = request.POST.get("action", "save")
        amount, months, errors = _typed_amounts(data, member.workspace.currency)
        try:
            accepting = action == "accept" and objective is not None
            if errors and not accepting:
                raise AmountError(_("Check the amounts marked below."), code="amount_invalid")
            if accepting and objective is not None:
                services.accept_counter(
                    seller=member, objective=objective, version=_version(data["version"])
                )
                messages.success(
                    request, _("You accepted the counter-proposal: your objective is agreed.")
                )
                return redirect(fy_url("objectives:mine", fy))
            service = services.propose if action == "propose" else services.save_draft
            objective = service(
                seller=member,
                fiscal_year=fy,
                amount=amount,
                months=months,
                channel_split=data["split"],
                narrative=data["narrative"],
                version=_version(data["version"]),
            )
        except StaleVersion as exc:
            messages.error(request, exc.message)
            objective = selectors.own_objective(member, fy)
            status = 412
        except AmountError as exc:
            if exc.field:
                errors[exc.field] = exc.message
            else:
                messages.error(request, exc.message)
            status = exc.status
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 403 if exc.status == 403 else 400
        else:
            if objective.status == Status.AGREED:
                messages.success(request, _("Your objective is agreed."))
            elif objective.status == Status.PROPOSED:
                messages.success(
                    request,
                    _("Your proposal was sent to %(name)s, who handles it.")
                    % {"name": objective.handler.name if objective.handler else "—"},
                )
            else:
                messages.success(request, _("Draft saved."))
            return redirect(fy_url("objectives:mine", fy))
    context = _mine_context(member, fy, objective, data, errors)
    if data is not None and objective is not None and status == 412:
        context["current_version"] = objective.version
    return render(request, "objectives/mine.html", context, status=status)


@require_POST
@member_required("seller")
def phasing(request: MemberRequest) -> HttpResponse:
    """htmx: re-phase the months when the annual amount changes; total them when a month does."""
    member = request.member
    fy = _fy(request)
    currency = member.workspace.currency
    codes = services.channel_codes(member.workspace)
    data = _posted(request, codes)
    trigger = request.headers.get("HX-Trigger-Name") or request.POST.get("changed", "")
    errors: dict[str, str] = {}
    if trigger == "amount":
        amounts, errors = parse_fields({"amount": data["amount"]}, currency)
        if not errors:

            def typed_months() -> list[int]:
                typed, _month_errors = parse_fields(
                    {f"month_{i}": v for i, v in enumerate(data["months"], start=1) if v},
                    currency,
                )
                return [typed.get(f"month_{i}", 0) for i in range(1, 13)]

            ref = references.reference_for(member, fy)
            months = maths.phase_like_reference(amounts["amount"], ref.by_month, typed_months)
            data["months"] = [_major(v, currency) for v in months]
    elif trigger.startswith("month_"):
        amounts, errors = parse_fields(
            {f"month_{i}": v for i, v in enumerate(data["months"], start=1)}, currency
        )
        if not errors:
            data["amount"] = _major(sum(amounts.values()), currency)
    objective = selectors.own_objective(member, fy)
    context = _mine_context(member, fy, objective, data, errors)
    response = render(request, "objectives/mine.html#editor", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required("seller")
def realism_partial(request: MemberRequest) -> HttpResponse:
    """htmx: the realism of the amount being typed (the same words as the page)."""
    member = request.member
    fy = _fy(request)
    response = render(
        request,
        "objectives/mine.html#realism",
        {"fy": fy, "realism": realism.of_typed(member, fy, request.GET.get("amount", ""))},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required()
def detail(request: MemberRequest, uuid: str) -> HttpResponse:
    objective = selectors.get_objective_for(request.member, uuid)
    return _detail(request, objective)


def _detail(
    request: MemberRequest, objective: Objective, status: int = 200, **extra: Any
) -> HttpResponse:
    member = request.member
    selectors.with_references(member.workspace, [objective])
    ref = objective.reference  # type: ignore[attr-defined]
    history = references.actuals_for(
        member.workspace, objective.fiscal_year - 1, [objective.seller_id]
    ).get(objective.seller_id, references.Actuals())
    labels = _month_labels(member, objective.fiscal_year)
    context = {
        "objective": objective,
        "reference": ref,
        "history": history,
        "months": [
            {
                "label": labels[i],
                "amount": objective.months[i] if i < len(objective.months) else 0,
                "reference": ref.by_month[i],
                "history": history.by_month[i],
            }
            for i in range(12)
        ],
        "versions": objective.versions.select_related("author").order_by("-number"),
        "can_decide": objective.status == Status.PROPOSED
        and services.may_decide(member, objective),
        "is_own": objective.seller_id == member.pk,
        **extra,
    }
    return render(request, "objectives/detail.html", context, status=status)


@require_POST
@member_required()
def decide(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    objective = selectors.get_objective_for(member, uuid)
    decision = request.POST.get("decision", "")
    version = _version(request.POST.get("version"))
    reason = request.POST.get("reason", "")
    currency = member.workspace.currency
    try:
        if decision == "agree":
            services.agree(objective=objective, actor=member, version=version)
            messages.success(
                request, _("Agreed. %(name)s is notified.") % {"name": objective.seller.name}
            )
        elif decision == "return":
            services.return_objective(
                objective=objective, actor=member, reason=reason, version=version
            )
            messages.success(
                request, _("Returned. %(name)s is notified.") % {"name": objective.seller.name}
            )
        elif decision == "counter":
            services.counter_propose(
                objective=objective,
                actor=member,
                amount=parse_amount(
                    request.POST.get("counter_amount", ""), currency, field="counter_amount"
                ),
                reason=reason,
                version=version,
            )
            messages.success(
                request, _("Counter-proposal sent to %(name)s.") % {"name": objective.seller.name}
            )
        else:
            raise DomainError(_("Choose a decision."), code="decision_invalid")
    except AmountError as exc:
        objective.refresh_from_db()
        errors = {exc.field or "counter_amount": exc.message}
        return _detail(request, objective, status=exc.status, posted=request.POST, errors=errors)
    except DomainError as exc:
        messages.error(request, exc.message)
        objective.refresh_from_db()
        return _detail(request, objective, status=exc.status, posted=request.POST)
    return redirect("objectives:detail", uuid=objective.uuid)


@require_GET
@member_required()
def inbox(request: MemberRequest) -> HttpResponse:
    member = request.member
    notices = list(
        Notification.objects.filter(workspace=member.workspace, recipient=member).order_by(
            "-created_at"
        )[:50]
    )
    rendered = [(n, *services.render_notice(n, member.workspace.currency)) for n in notices]
    Notification.objects.filter(
        workspace=member.workspace, recipient=member, read_at__isnull=True
    ).update(read_at=timezone.now())
    pending = selectors.with_references(member.workspace, selectors.pending_for(member))
    return render(
        request,
        "objectives/inbox.html",
        {"pending": pending, "notices": rendered},
    )


@require_http_methods(["GET", "POST"])
@member_required("executive", "admin")
def policy(request: MemberRequest) -> HttpResponse:
    member = request.member
    ws = member.workspace
    current = services.policy_of(ws)
    status = 200
    if request.method == "POST":
        try:
            require_role(member, "executive")
            if request.POST.get("form") == "window":
                services.set_window(
                    workspace=ws,
                    actor=member,
                    fiscal_year=_year_number(request.POST.get("fiscal_year")),
                    opens_on=_date(request.POST.get("opens_on"), "opens_on"),
                    closes_on=_date(request.POST.get("closes_on"), "closes_on"),
                    version=_version(request.POST.get("version")),
                )
                messages.success(request, _("Window saved."))
            else:
                services.set_policy(
                    workspace=ws,
                    actor=member,
                    auto_agree=request.POST.get("auto_agree") == "on",
                    tolerance_pct=request.POST.get("tolerance_pct", ""),
                    version=_version(request.POST.get("version")),
                )
                messages.success(request, _("Delegation policy saved."))
            return redirect("objectives:policy")
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    from pacte.audit.models import AuditEvent
    from pacte.objectives.models import Window

    history = AuditEvent.objects.filter(
        workspace=ws, action__in=["delegation_policy.updated", "objective_window.set"]
    ).order_by("-at")[:20]
    return render(
        request,
        "objectives/policy.html",
        {
            "policy": current,
            "windows": Window.objects.filter(workspace=ws).order_by("-fiscal_year"),
            "history": history,
            "default_fy": services.default_fiscal_year(member),
            "can_edit": member.is_executive,
        },
        status=status,
    )


def _year_number(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise DomainError(
            _("Enter the fiscal year as a number, e.g. 2027."),
            code="year_invalid",
            field="fiscal_year",
        ) from None


def _date(value: str | None, field: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        raise DomainError(
            _("Enter a date (YYYY-MM-DD)."), code="date_invalid", field=field
        ) from None


@require_http_methods(["GET", "POST"])
@member_required("executive", "admin", "lead")
def reconciliation(request: MemberRequest) -> HttpResponse:
    member = request.member
    fy = _fy(request)
    unit = selectors.get_node_for(member, request.GET.get("unit") or request.POST.get("unit"))
    preview = None
    status = 200
    form: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {
            "kind": request.POST.get("kind", ""),
            "amount": request.POST.get("amount", ""),
            "sellers": request.POST.getlist("sellers"),
            "note": request.POST.get("note", ""),
        }
        chosen = list(
            Membership.objects.for_workspace(member.workspace).filter(
                uuid__in=_uuids(form["sellers"])
            )
        )
        try:
            amount = parse_amount(form["amount"], member.workspace.currency)
            if request.POST.get("apply") == "1":
                services.apply_gap_rule(
                    actor=member,
                    unit_id=unit.pk,
                    fiscal_year=fy,
                    kind=form["kind"],
                    amount=amount,
                    sellers=chosen,
                    note=form["note"],
                )
                messages.success(request, _("Rule applied. Nobody's objective was changed."))
                return redirect(fy_url("objectives:reconciliation", fy, unit=unit.uuid))
            preview = services.preview_gap_rule(
                workspace=member.workspace,
                unit_id=unit.pk,
                fiscal_year=fy,
                kind=form["kind"],
                amount=amount,
                sellers=chosen,
            )
        except AmountError as exc:
            errors[exc.field or "amount"] = exc.message
            status = exc.status
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    data = selectors.reconciliation(member.workspace, unit, fy)
    labels = _month_labels(member, fy)
    for row, label in zip(data["months"], labels, strict=True):
        row["label"] = label
    chart = _chart(
        member.workspace.currency,
        labels,
        [
            (_("Target"), [r["target"] for r in data["months"]], "line"),
            (_("Agreed"), [r["agreed"] for r in data["months"]], "bar"),
            (_("Proposed"), [r["proposed"] for r in data["months"]], "bar"),
        ],
    )
    return render(
        request,
        "objectives/reconciliation.html",
        {
            **data,
            "chart": chart,
            "preview": preview,
            "preview_total": sum(r["amount"] for r in preview or []),
            "form": form,
            "errors": errors,
            "kinds": RuleKind.choices,
            "fiscal_years": [fy - 1, fy, fy + 1],
            "units": selectors.reconciliation_units(member).filter(is_active=True).order_by("name"),
        },
        status=status,
    )


def _uuids(values: list[str]) -> list[str]:
    import uuid as uuidlib

    out = []
    for value in values:
        try:
            out.append(str(uuidlib.UUID(value)))
        except ValueError:
            continue
    return out


@require_http_methods(["GET", "POST"])
@member_required()
def plan(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    objective = selectors.get_objective_for(member, uuid)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "key_result":
                services.add_key_result(
                    objective=objective,
                    actor=member,
                    name=request.POST.get("name", ""),
                    measure=request.POST.get("measure", ""),
                    target=request.POST.get("target", ""),
                    unit=request.POST.get("unit", ""),
                    due_on=_date(request.POST.get("due_on"), "due_on")
                    if request.POST.get("due_on")
                    else None,
                )
            elif action == "delete_key_result":
                kr = get_scoped(
                    KeyResult.objects.filter(workspace=member.workspace, objective=objective),
                    request.POST.get("key_result"),
                )
                services.delete_key_result(key_result=kr, actor=member)
            elif action == "initiative":
                services.add_initiative(
                    objective=objective, actor=member, text=request.POST.get("text", "")
                )
            elif action == "initiative_status":
                initiative = get_scoped(
                    Initiative.objects.filter(workspace=member.workspace, objective=objective),
                    request.POST.get("initiative"),
                )
                services.set_initiative_status(
                    initiative=initiative, actor=member, status=request.POST.get("status", "")
                )
            elif action == "check_in":
                services.check_in(
                    objective=objective,
                    actor=member,
                    confidence=request.POST.get("confidence", ""),
                    comment=request.POST.get("comment", ""),
                )
            else:
                raise DomainError(_("Unknown action."), code="action_invalid")
            messages.success(request, _("Saved."))
            return redirect("objectives:plan", uuid=objective.uuid)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
    return render(
        request,
        "objectives/plan.html",
        {
            "objective": objective,
            "key_results": objective.key_results.order_by("due_on", "name"),
            "initiatives": objective.initiatives.order_by("created_at"),
            "check_ins": objective.check_ins.order_by("-week")[:52],
            "statuses": InitiativeStatus.choices,
            "is_own": objective.seller_id == member.pk,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=status,
    )


@require_GET
@member_required("executive", "admin", "lead")
def check_ins(request: MemberRequest) -> HttpResponse:
    member = request.member
    fy = _fy(request)
    return render(
        request,
        "objectives/check_ins.html",
        {
            "fy": fy,
            "items": selectors.team_check_ins(member, fy),
            "fiscal_years": [fy - 1, fy, fy + 1],
        },
    )
