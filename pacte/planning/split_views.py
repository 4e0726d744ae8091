"""The teams' split pages: the executive's delegation page (open the window, see which teams
are done, pending or late, lock one, accept all) and a lead's split page with its live sum."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES, require_role
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.amounts import AmountError, input_value, parse_amount
from pacte.errors import DomainError, StaleVersion
from pacte.planning import delegation as dl
from pacte.planning import selectors
from pacte.planning.labels import method_label, year_label
from pacte.planning.models import Delegation, TeamSplit

METHOD_CHOICES = ("equal", "history", "potential", "capacity", "blended", "manual")


def method_choices() -> list[tuple[str, str]]:
    return [(m, method_label(m) if m != dl.MANUAL else _("By hand")) for m in METHOD_CHOICES]


def split_state(split: TeamSplit, today: datetime.date) -> str:
    """done, late, waiting or pending: what the delegation page shows."""
    if split.is_done:
        return "done"
    if split.status == "waiting":
        return "waiting"
    return "late" if today > split.delegation.closes_on else "pending"


STATE_LABELS = {
    "done": gettext_lazy("done"),
    "late": gettext_lazy("late"),
    "waiting": gettext_lazy("waiting for the team above"),
    "pending": gettext_lazy("pending"),
}


def read_split_form(
    inputs: dl.TeamInputs, data: Any, currency: str
) -> tuple[str, dict[str, Any], dict[str, int]]:
    """The method, its parameters and the amounts typed by hand of a split form; every
    amount is read with :mod:`pacte.lib.money` in the page's language, a refusal names the
    person or team it is about."""
    method = str(data.get("method") or "equal")
    parameters: dict[str, Any] = {}
    if method == "blended":
        parameters["mix"] = {
            m: data.get(f"mix_{m}") or 0 for m in ("equal", "history", "potential", "capacity")
        }
    low, high = data.get("bound_low"), data.get("bound_high")
    if low or high:
        parameters["bounds"] = [low or "-100", high or "1000000"]
    holds: dict[str, int] = {}
    amounts: dict[str, int] = {}
    for key, name in zip(inputs.keys, inputs.names, strict=True):
        for prefix, target in (("hold_", holds), ("amount_", amounts)):
            text = str(data.get(prefix + key) or "").strip()
            if prefix == "amount_" and method != dl.MANUAL:
                continue
            if not text:
                continue
            try:
                target[key] = parse_amount(text, currency, field=prefix + key)
            except AmountError as exc:
                raise AmountError(
                    f"{name}{_(':')} {exc.message}", code=exc.code, field=prefix + key
                ) from None
    parameters["holds"] = holds
    return method, parameters, amounts


@require_GET
@member_required()
def split_list(request: MemberRequest) -> HttpResponse:
    """The splits the member may work on (their own teams; every team for executives)."""
    member = request.member
    today = timezone.localdate()
    splits = list(
        dl.splits_for(member)
        .filter(delegation__status=Delegation.Status.OPEN)
        .order_by("delegation__run__fiscal_year", "unit__name")
    )
    rows = [(s, STATE_LABELS[split_state(s, today)]) for s in splits]
    return render(request, "planning/splits.html", {"rows": rows})


def _shown(amount: int | None, currency: str) -> str:
    return "" if amount is None else input_value(amount, currency)


def _split_context(request: MemberRequest, split: TeamSplit, data: Any = None) -> dict[str, Any]:
    inputs = dl.team_inputs(split)
    currency = request.member.workspace.currency
    saved = split.amounts or {}
    holds = (split.parameters or {}).get("holds") or {}
    rows = [
        {
            "key": key,
            "name": name,
            "kind": kind,
            "current": int(inputs.current[i]),
            "hold": (
                data.get(f"hold_{key}", "")
                if data is not None
                else _shown(holds.get(key), currency)
            ),
            "amount": (
                data.get(f"amount_{key}", "")
                if data is not None
                else _shown(saved.get(key) if split.method == dl.MANUAL else None, currency)
            ),
        }
        for i, (key, name, kind) in enumerate(
            zip(inputs.keys, inputs.names, inputs.kinds, strict=True)
        )
    ]
    run = split.delegation.run
    return {
        "notices": move_notices(split, currency),
        "split": split,
        "run": run,
        "year_label": year_label(run.fiscal_year),
        "rows": rows,
        "methods": method_choices(),
        "mix_methods": [
            (m, method_label(m)) for m in ("equal", "history", "potential", "capacity")
        ],
        "method": (data.get("method") if data is not None else split.method) or "equal",
        "params": split.parameters or {},
        "state": STATE_LABELS[split_state(split, timezone.localdate())],
        "editable": split.status not in ("accepted", "locked", "waiting")
        and split.delegation.status == Delegation.Status.OPEN,
    }


def move_notices(split: TeamSplit, currency: str) -> list[str]:
    """What the moves of the window did to the team's share, said to its lead."""
    from django.utils.translation import get_language

    from pacte.lib.dates import format_day
    from pacte.lib.money import format_money

    language = get_language()
    out = []
    for notice in split.notices or []:
        params = {
            "name": notice.get("name", ""),
            "team": notice.get("team", ""),
            "date": format_day(parse_date(str(notice.get("on") or "")), language),
            "amount": format_money(int(notice.get("amount") or 0), currency, language),
            "share": format_money(split.amount, currency, language),
        }
        if notice.get("way") == "out":
            text = _(
                "%(name)s moved to %(team)s on %(date)s: their %(amount)s in the company's "
                "cascade left this team's share. Your split must now sum to %(share)s."
            )
        else:
            text = _(
                "%(name)s joined this team from %(team)s on %(date)s with %(amount)s in the "
                "company's cascade, added to this team's share. Your split must now sum to "
                "%(share)s."
            )
        out.append(text % params)
    return out


@require_http_methods(["GET", "POST"])
@member_required()
def split_page(request: MemberRequest, uuid: str) -> HttpResponse:
    """A lead's split of their team's share (an executive's take-over of any team)."""
    member = request.member
    split = dl.get_split_for(member, uuid)
    status = 200
    if request.method == "POST":
        submit = request.POST.get("action") == "submit"
        try:
            inputs = dl.team_inputs(split)
            method, parameters, amounts = read_split_form(
                inputs, request.POST, member.workspace.currency
            )
            version = request.POST.get("version")
            dl.save_split(
                split=split,
                actor=member,
                method=method,
                parameters=parameters,
                amounts=amounts,
                submit=submit,
                version=int(version) if version and version.isdigit() else None,
            )
        except StaleVersion as exc:
            messages.error(request, exc.message)
            status = 412
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(
                request,
                _("Your split of %(team)s is submitted.") % {"team": split.unit.name}
                if submit
                else _("Draft saved."),
            )
            return redirect("planning:split", uuid=split.uuid)
        split.refresh_from_db()
        context = _split_context(request, split, request.POST)
    else:
        context = _split_context(request, split)
    return render(request, "planning/split.html", context, status=status)


@require_POST
@member_required()
def split_preview(request: MemberRequest, uuid: str) -> HttpResponse:
    """The live sum (htmx): the split computed in memory from the form, nothing stored."""
    member = request.member
    split = dl.get_split_for(member, uuid)
    context: dict[str, Any] = {"split": split}
    try:
        inputs = dl.team_inputs(split)
        method, parameters, amounts = read_split_form(
            inputs, request.POST, member.workspace.currency
        )
        context["preview"] = dl.preview(
            split,
            method=method,
            parameters=parameters,
            amounts=amounts,
            currency=member.workspace.currency,
        )
    except DomainError as exc:
        context["error"] = exc.message
    context["editable"] = split.status not in ("accepted", "locked", "waiting")
    response = render(request, "planning/split.html#preview", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@member_required()
def split_lock(request: MemberRequest, uuid: str) -> HttpResponse:
    """The executive locks a team (a lead sees their split but may not lock it: 403)."""
    member = request.member
    split = dl.get_split_for(member, uuid)
    require_role(member, *ADMIN_ROLES)
    version = request.POST.get("version")
    try:
        dl.lock_split(
            split=split,
            actor=member,
            version=int(version) if version and version.isdigit() else None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(team)s is locked.") % {"team": split.unit.name})
    return redirect("planning:delegation", uuid=split.delegation.run.uuid)


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def delegation_page(request: MemberRequest, uuid: str) -> HttpResponse:
    """The executive's view of the teams' split of a published run: open it (dates), then
    which teams are done, pending or late."""
    member = request.member
    run = selectors.get_run_for(member, uuid)
    found = dl.get_delegation(run)
    status = 200
    if request.method == "POST" and found is None:
        opens = parse_date(request.POST.get("opens_on") or "")
        closes = parse_date(request.POST.get("closes_on") or "")
        try:
            if opens is None or closes is None:
                raise DomainError(
                    _("Enter the dates the window opens and closes."),
                    code="bad_window",
                    field="opens_on",
                )
            dl.open_delegation(run=run, actor=member, opens_on=opens, closes_on=closes)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(request, _("The leads can now split their teams' shares."))
            return redirect("planning:delegation", uuid=run.uuid)
    today = timezone.localdate()
    rows = []
    counts = {"done": 0, "pending": 0, "late": 0, "waiting": 0}
    if found is not None:
        for s in (
            TeamSplit.objects.for_workspace(member.workspace)
            .filter(delegation=found)
            .select_related("unit", "unit__lead", "parent__unit", "delegation")
            .order_by("parent_id", "unit__name")
        ):
            state = split_state(s, today)
            counts[state] += 1
            rows.append({"split": s, "state": state, "label": STATE_LABELS[state]})
    return render(
        request,
        "planning/delegation.html",
        {
            "run": run,
            "year_label": year_label(run.fiscal_year),
            "delegation": found,
            "rows": rows,
            "counts": counts,
            "today": today,
            "default_close": today + datetime.timedelta(days=14),
        },
        status=status,
    )


@require_POST
@member_required(*ADMIN_ROLES)
def delegation_accept(request: MemberRequest, uuid: str) -> HttpResponse:
    member = request.member
    run = selectors.get_run_for(member, uuid)
    found = dl.get_delegation_for(member, run)
    try:
        count = dl.accept_all(delegation=found, actor=member)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext("%(n)s submitted split accepted.", "%(n)s submitted splits accepted.", count)
            % {"n": count},
        )
    return redirect("planning:delegation", uuid=run.uuid)
