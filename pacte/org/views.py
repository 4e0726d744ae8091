"""People and teams pages."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES, get_member_for, visible_members
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.models import Membership
from pacte.errors import DomainError
from pacte.lib.dates import format_day
from pacte.org import proposals, selectors, services, structure
from pacte.org.forms import (
    DeputyForm,
    MemberCreateForm,
    MemberEditForm,
    MemberMoveForm,
    OnDateForm,
    OrgSettingsForm,
    PeopleFilterForm,
    PeopleImportForm,
    ProposalApplyForm,
    ProposalCreateForm,
    UnitForm,
)
from pacte.org.labels import shape_value
from pacte.org.models import Deputy, Placement, ProposalDraft, Unit
from pacte.org.people_import import COLUMNS, import_people
from pacte.org.people_import import MAX_BYTES as PEOPLE_MAX_BYTES
from pacte.org.visibility import get_unit_for
from pacte.uploads import read_bytes


def _form_page(
    request: MemberRequest, form: Any, title: str, cancel: str, **extra: Any
) -> HttpResponse:
    """The one page that shows a person's or a team's form: a title, the form, Save and Cancel
    (and, for a move, Preview and what saving would carry)."""
    return render(
        request, "org/form.html", {"form": form, "title": title, "cancel": cancel, **extra}
    )


def _form_error(form: object, exc: DomainError) -> None:
    field = exc.field if exc.field in getattr(form, "fields", {}) else None
    form.add_error(field, exc.message)  # type: ignore[attr-defined]


@require_GET
@member_required()
def people(request: MemberRequest) -> HttpResponse:
    member = request.member
    filters = PeopleFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    if not member.sees_everything:
        cleaned["status"] = "active"
    base = selectors.members_with_unit(member.workspace).filter(
        pk__in=visible_members(member).values("pk")
    )
    qs = selectors.filter_members(
        base.select_related("user"),
        q=cleaned.get("q") or "",
        unit=cleaned.get("unit"),
        role=cleaned.get("role") or "",
        status=cleaned.get("status") or "active",
    ).order_by("name", "pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "units": selectors.units_with_counts(member.workspace)
        .filter(is_active=True)
        .order_by("name"),
        "can_edit": member.has_role(*ADMIN_ROLES),
    }
    template = "org/people.html#results" if request.htmx else "org/people.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required()
def person(request: MemberRequest, uuid: str) -> HttpResponse:
    subject = get_member_for(request.member, uuid)
    history = (
        Placement.objects.filter(membership=subject).select_related("unit").order_by("-valid_from")
    )
    return render(
        request,
        "org/person.html",
        {
            "subject": subject,
            "unit": selectors.unit_of(subject),
            "history": history,
            "led_units": subject.led_units.all(),
            "can_edit": request.member.has_role(*ADMIN_ROLES),
            **_delegation_context(request.member, subject),
        },
    )


def _delegation_context(viewer: Any, subject: Any) -> dict[str, Any]:
    """Who handles the person's exceptions, their chain of leads, and their deputies."""
    today = timezone.localdate()
    own = viewer.pk == subject.pk
    ctx: dict[str, Any] = {"handler": None, "chain": None, "deputies": [], "can_name_deputy": False}
    if not (viewer.sees_everything or own or viewer.is_lead):
        return ctx
    snap = structure.snapshot(subject.workspace, today)
    outside = structure.scope_for(viewer, snap).person_index(subject.pk) is None
    if not viewer.sees_everything and not own and outside:
        return ctx
    ctx["handler"] = structure.handler_for(subject, today)
    ctx["chain"] = [
        (snap.member_uuid[i], snap.member_name[i]) for i in structure.chain_of(snap, subject.pk)
    ]
    if subject.is_lead or subject.is_executive:
        ctx["deputies"] = list(
            Deputy.objects.filter(principal=subject).select_related("deputy").order_by("starts_on")
        )
        ctx["can_name_deputy"] = _may_name_deputy(viewer, subject)
        if ctx["can_name_deputy"]:
            ctx["deputy_form"] = DeputyForm()
            ctx["deputy_choices"] = (
                visible_members(viewer)
                .filter(is_active=True)
                .exclude(pk=subject.pk)
                .order_by("name")
            )
    return ctx


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def person_create(request: MemberRequest) -> HttpResponse:
    workspace = request.member.workspace
    form = MemberCreateForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_member(
                workspace=workspace,
                actor=request.member,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                roles=form.cleaned_data["roles"],
                unit=form.cleaned_data["unit"],
                joined_on=form.cleaned_data["joined_on"],
                password=form.cleaned_data["password"] or None,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            if created.is_pending:
                messages.success(
                    request,
                    _(
                        "%(name)s already has a Pacte login: an invitation was sent. They see "
                        "nothing of this workspace until they accept it."
                    )
                    % {"name": created},
                )
            else:
                messages.success(request, _("%(name)s was added.") % {"name": created})
            return redirect("org:person", uuid=created.uuid)
    return _form_page(request, form, _("Add a person"), reverse("org:people"))


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def person_edit(request: MemberRequest, uuid: str) -> HttpResponse:
    subject = get_member_for(request.member, uuid, write=True)
    initial = {"name": subject.name, "roles": subject.roles, "version": subject.version}
    form = MemberEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(
                member=subject,
                actor=request.member,
                name=form.cleaned_data["name"],
                roles=form.cleaned_data["roles"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("org:person", uuid=subject.uuid)
    return _form_page(
        request,
        form,
        _("Edit %(name)s") % {"name": subject},
        reverse("org:person", args=[subject.uuid]),
    )


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def person_move(request: MemberRequest, uuid: str) -> HttpResponse:
    subject = get_member_for(request.member, uuid, write=True)
    form = MemberMoveForm(
        request.POST or None,
        workspace=request.member.workspace,
        initial={"version": subject.version},
    )
    preview = ""
    if request.method == "POST" and form.is_valid() and request.POST.get("preview"):
        from pacte.planning import moves

        try:
            services.check_move(subject, form.cleaned_data["unit"], form.cleaned_data["effective"])
            moves.check_period(subject.workspace, form.cleaned_data["effective"])
            shown = moves.preview(
                member=subject,
                unit=form.cleaned_data["unit"],
                effective=form.cleaned_data["effective"],
            )
            preview = moves.preview_sentence(shown, subject.workspace.currency)
        except DomainError as exc:
            _form_error(form, exc)
    elif request.method == "POST" and form.is_valid():
        try:
            services.move_member(
                member=subject,
                actor=request.member,
                unit=form.cleaned_data["unit"],
                effective=form.cleaned_data["effective"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("%(name)s was moved.") % {"name": subject})
            return redirect("org:person", uuid=subject.uuid)
    return _form_page(
        request,
        form,
        _("Move %(name)s") % {"name": subject},
        reverse("org:person", args=[subject.uuid]),
        can_preview=True,
        preview=preview,
    )


@require_POST
@member_required(*ADMIN_ROLES)
def person_active(request: MemberRequest, uuid: str) -> HttpResponse:
    subject = get_member_for(request.member, uuid, write=True)
    active = request.POST.get("active") == "1"
    try:
        services.set_member_active(member=subject, actor=request.member, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            (_("%(name)s was reactivated.") if active else _("%(name)s was deactivated."))
            % {"name": subject},
        )
    return redirect("org:person", uuid=subject.uuid)


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def people_import(request: MemberRequest) -> HttpResponse:
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = import_people(
                workspace=request.member.workspace,
                actor=request.member,
                data=read_bytes(form.cleaned_data["file"], PEOPLE_MAX_BYTES),
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            if result.ok:
                messages.success(
                    request,
                    _(
                        "Import done: %(created)s added, %(updated)s updated, %(unchanged)s unchanged."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
    return render(
        request,
        "org/people_import.html",
        {"form": form, "result": result, "columns": ",".join(COLUMNS)},
    )


@require_GET
@member_required()
def teams(request: MemberRequest) -> HttpResponse:
    member = request.member
    rows = selectors.tree_rows(member.workspace)
    if not member.sees_everything:
        rows = [(unit, depth) for unit, depth in rows if unit.is_active]
    return render(
        request, "org/teams.html", {"rows": rows, "can_edit": member.has_role(*ADMIN_ROLES)}
    )


@require_GET
@member_required()
def team(request: MemberRequest, uuid: str) -> HttpResponse:
    unit = get_unit_for(request.member, uuid)
    members = (
        selectors.members_with_unit(request.member.workspace)
        .filter(**{"unit_id": unit.pk}, is_active=True)
        .select_related("user")
        .order_by("name")
    )
    return render(
        request,
        "org/team.html",
        {
            "unit": unit,
            "members": members,
            "children": unit.children.filter(is_active=True).order_by("name"),
            "can_edit": request.member.has_role(*ADMIN_ROLES),
            "open_share": _open_share(request.member, unit),
        },
    )


def _open_share(member: Membership, unit: Unit) -> int:
    """The team's open share in this year's published run: targets left by moves and
    departures, waiting for a newcomer or a re-split (pacte.planning.moves)."""
    from pacte.planning import moves
    from pacte.planning import selectors as planning

    run = planning.published_run(member, member.workspace.calendar.year_of(timezone.localdate()))
    return moves.open_share_of(run, [unit.pk]) if run else 0


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def team_create(request: MemberRequest) -> HttpResponse:
    workspace = request.member.workspace
    form = UnitForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.create_unit(
                workspace=workspace,
                actor=request.member,
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"] or selectors.root_unit(workspace),
                lead=form.cleaned_data["lead"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Team “%(name)s” was created.") % {"name": unit})
            return redirect("org:team", uuid=unit.uuid)
    return _form_page(request, form, _("New team"), reverse("org:teams"))


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def team_edit(request: MemberRequest, uuid: str) -> HttpResponse:
    unit = get_unit_for(request.member, uuid, write=True)
    initial = {
        "name": unit.name,
        "parent": unit.parent.uuid if unit.parent else None,
        "lead": unit.lead.uuid if unit.lead else None,
        "version": unit.version,
    }
    form = UnitForm(request.POST or None, workspace=request.member.workspace, initial=initial)
    if unit.is_root:
        form.fields["parent"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.update_unit(
                unit=unit,
                actor=request.member,
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"],
                lead=form.cleaned_data["lead"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("org:team", uuid=unit.uuid)
    return _form_page(
        request, form, _("Edit %(name)s") % {"name": unit}, reverse("org:team", args=[unit.uuid])
    )


@require_POST
@member_required(*ADMIN_ROLES)
def team_deactivate(request: MemberRequest, uuid: str) -> HttpResponse:
    unit = get_unit_for(request.member, uuid, write=True)
    try:
        if request.POST.get("active") == "1":
            services.reactivate_unit(unit=unit, actor=request.member)
            messages.success(request, _("Team “%(name)s” was reactivated.") % {"name": unit})
        else:
            services.deactivate_unit(unit=unit, actor=request.member)
            messages.success(request, _("Team “%(name)s” was deactivated.") % {"name": unit})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("org:team", uuid=unit.uuid)


@require_POST
@member_required(*ADMIN_ROLES)
def team_delete(request: MemberRequest, uuid: str) -> HttpResponse:
    unit = get_unit_for(request.member, uuid, write=True)
    try:
        services.delete_unit(unit=unit, actor=request.member)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("org:team", uuid=unit.uuid)
    messages.success(request, _("Team “%(name)s” was deleted.") % {"name": unit})
    return redirect("org:teams")


# Structure pages ---------------------------------------------------------------------------

ANALYSTS = (*ADMIN_ROLES, "lead")


def _on(request: MemberRequest) -> datetime.date:
    form = OnDateForm(request.GET or None)
    if form.is_valid() and form.cleaned_data.get("on"):
        return form.cleaned_data["on"]
    return timezone.localdate()


@require_GET
@member_required(*ANALYSTS)
def chart(request: MemberRequest) -> HttpResponse:
    member = request.member
    day = _on(request)
    snap = structure.scope_for(member, structure.snapshot(member.workspace, day))
    root = structure.root_index(snap)
    data = {
        "on": day.isoformat(),
        "api": "/api/v1/org/chart",
        "node": structure.unit_node(snap, root),
        "children": structure.chart_branch(snap, root),
        "labels": {"layers": _("layers above"), "people": _("people"), "lead": _("lead")},
    }
    return render(
        request,
        "org/chart.html",
        {"data": data, "on": day, "form": OnDateForm(initial={"on": day}), "root": data["node"]},
    )


@require_GET
@member_required(*ANALYSTS)
def structure_page(request: MemberRequest) -> HttpResponse:
    member = request.member
    day = _on(request)
    settings = structure.shape_settings(member.workspace)
    snap = structure.scope_for(member, structure.snapshot(member.workspace, day))
    metrics = structure.metrics_of(snap, settings)
    trend = structure.trend(member)
    for point in trend:
        point["label"] = format_day(datetime.date.fromisoformat(point["on"]), get_language())
    by_layers = list(enumerate(metrics["layers"]["sellers_by_layers"]))
    return render(
        request,
        "org/structure.html",
        {
            "on": day,
            "form": OnDateForm(initial={"on": day}),
            "m": metrics,
            "by_layers": by_layers,
            "trend": trend,
            "settings": settings,
            "settings_form": OrgSettingsForm(
                initial={
                    "max_layers": settings.max_layers,
                    "span_min": settings.span_min,
                    "span_max": settings.span_max,
                    "require_lead": settings.require_lead,
                    "version": settings.version,
                }
            ),
            "can_edit": member.has_role(*ADMIN_ROLES),
            "chart_data": {
                "trend": trend,
                "by_layers": metrics["layers"]["sellers_by_layers"],
                "labels": {
                    "managers_above": _("Managers above"),
                    "sellers": _("Sellers"),
                    "layers_max": _("Most layers"),
                    "layers_mean": _("Mean layers"),
                    "span_mean": _("Mean span"),
                },
            },
        },
    )


@require_POST
@member_required(*ADMIN_ROLES)
def shape_settings(request: MemberRequest) -> HttpResponse:
    form = OrgSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.update_org_settings(
                workspace=request.member.workspace,
                actor=request.member,
                max_layers=form.cleaned_data["max_layers"],
                span_min=form.cleaned_data["span_min"],
                span_max=form.cleaned_data["span_max"],
                require_lead=form.cleaned_data["require_lead"],
                version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Target shape saved."))
    else:
        messages.error(request, _("Check the target shape: whole numbers from 0."))
    return redirect("org:structure")


@require_GET
@member_required(*ANALYSTS)
def delegation(request: MemberRequest) -> HttpResponse:
    member = request.member
    day = _on(request)
    snap = structure.scope_for(member, structure.snapshot(member.workspace, day))
    handlers = structure.handlers_on(snap, member.workspace)
    rows = [
        {
            "uuid": snap.member_uuid[i],
            "name": snap.member_name[i],
            "team": snap.unit_name[int(snap.placed_unit[i])] if snap.placed_unit[i] >= 0 else "",
            "handler": handlers.get(int(pk)),
        }
        for i, pk in enumerate(snap.member_pk.tolist())
        if snap.member_roles[i][2]
    ]
    rows.sort(key=lambda r: str(r["name"]).casefold())
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "org/delegation.html",
        {"page": page, "on": day, "form": OnDateForm(initial={"on": day})},
    )


def _may_name_deputy(viewer: object, principal: object) -> bool:
    from pacte.accounts.models import Membership

    assert isinstance(viewer, Membership)
    assert isinstance(principal, Membership)
    return viewer.has_role(*ADMIN_ROLES) or (viewer.is_lead and viewer.pk == principal.pk)


@require_POST
@member_required(*ANALYSTS)
def deputy_add(request: MemberRequest, uuid: str) -> HttpResponse:
    principal = get_member_for(request.member, uuid)
    if not _may_name_deputy(request.member, principal):
        return render(request, "403.html", status=403)
    form = DeputyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a deputy and a start date."))
        return redirect("org:person", uuid=principal.uuid)
    deputy = visible_members(request.member).filter(uuid=form.cleaned_data["deputy"]).first()
    try:
        services.add_deputy(
            workspace=request.member.workspace,
            actor=request.member,
            principal=principal,
            deputy=deputy,
            starts_on=form.cleaned_data["starts_on"],
            ends_on=form.cleaned_data["ends_on"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Deputy named."))
    return redirect("org:person", uuid=principal.uuid)


@require_POST
@member_required(*ANALYSTS)
def deputy_remove(request: MemberRequest, uuid: str) -> HttpResponse:
    from pacte.accounts.access import get_scoped

    row = get_scoped(
        Deputy.objects.for_workspace(request.member.workspace).select_related("principal"), uuid
    )
    if not _may_name_deputy(request.member, row.principal):
        return render(request, "403.html", status=403)
    services.remove_deputy(deputy=row, actor=request.member)
    messages.success(request, _("Deputy removed."))
    return redirect("org:person", uuid=row.principal.uuid)


def _drafts(request: MemberRequest) -> Any:
    return ProposalDraft.objects.for_workspace(request.member.workspace)


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def proposals_page(request: MemberRequest) -> HttpResponse:
    member = request.member
    settings = structure.shape_settings(member.workspace)
    initial = {
        "max_layers": settings.max_layers,
        "span_min": settings.span_min,
        "span_max": settings.span_max,
        "name": _("Proposal of %(date)s")
        % {"date": format_day(timezone.localdate(), get_language())},
        "on": timezone.localdate(),
    }
    form = ProposalCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        shape = {k: form.cleaned_data[k] for k in ("max_layers", "span_min", "span_max")}
        day = form.cleaned_data["on"]
        try:
            snap = structure.snapshot(member.workspace, day)
            moves = proposals.stored_moves(proposals.propose(snap, shape))
            draft = services.save_proposal(
                workspace=member.workspace,
                actor=member,
                name=form.cleaned_data["name"],
                shape=shape,
                based_on=day,
                moves=moves,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return redirect("org:proposal", uuid=draft.uuid)
    drafts = _drafts(request).order_by("-created_at")[:100]
    return render(request, "org/proposals.html", {"form": form, "drafts": drafts})


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def proposal(request: MemberRequest, uuid: str) -> HttpResponse:
    from pacte.accounts.access import get_scoped

    draft = get_scoped(_drafts(request), uuid)
    if request.method == "POST":
        action = request.POST.get("action", "")
        version = int(request.POST.get("version") or 0) or None
        moves = list(draft.moves)
        try:
            if action == "remove":
                index = int(request.POST.get("index", "-1"))
                if 0 <= index < len(moves):
                    del moves[index]
                services.edit_proposal(
                    draft=draft, actor=request.member, moves=moves, version=version
                )
            elif action == "add":
                subject = request.POST.get("subject", "")
                target = request.POST.get("target", "")
                kind, _sep, ident = subject.partition(":")
                moves.append(
                    {
                        "kind": "reattach",
                        "person": ident if kind == "p" else None,
                        "unit": ident if kind == "u" else None,
                        "target": target,
                        "explanation": {"code": "manual"},
                    }
                )
                services.edit_proposal(
                    draft=draft, actor=request.member, moves=moves, version=version
                )
            elif action == "apply":
                form = ProposalApplyForm(request.POST)
                if not form.is_valid():
                    raise DomainError(_("Give the date the changes take effect."), code="required")
                services.apply_proposal(
                    draft=draft,
                    actor=request.member,
                    effective=form.cleaned_data["effective"],
                    version=form.cleaned_data["version"],
                )
                messages.success(request, _("The proposal was applied."))
            elif action == "discard":
                services.discard_proposal(draft=draft, actor=request.member, version=version)
                messages.success(request, _("The proposal was discarded."))
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        return redirect("org:proposal", uuid=draft.uuid)
    draft.refresh_from_db()
    snap = structure.snapshot(draft.workspace, proposals.shown_on(draft))
    error = None
    try:
        data = proposals.payload(snap, draft.shape, list(draft.moves), draft=draft)
    except DomainError as exc:
        data, error = None, exc.message
    return render(
        request,
        "org/proposal.html",
        {
            "draft": draft,
            "p": data,
            "error": error,
            "rows": _side_by_side(data) if data else [],
            "apply_form": ProposalApplyForm(initial={"version": draft.version}),
            "subjects": [
                (f"p:{u}", n)
                for u, n in sorted(
                    zip(snap.member_uuid, snap.member_name, strict=True), key=lambda x: x[1]
                )
            ]
            + [(f"u:{u}", "▸ " + n) for u, n in zip(snap.unit_uuid, snap.unit_name, strict=True)],
            "targets": sorted(zip(snap.unit_uuid, snap.unit_name, strict=True), key=lambda x: x[1]),
            "others": _drafts(request).exclude(pk=draft.pk).order_by("-created_at")[:50],
        },
    )


def _side_by_side(
    data: dict[str, Any], other: dict[str, Any] | None = None
) -> list[tuple[str, Any, Any]]:
    """Rows (label, before, after) of the key metrics — or (label, draft A after, draft B after)."""
    left, right = (
        (data["before"], data["after"]) if other is None else (data["after"], other["after"])
    )

    def pick(m: dict[str, Any]) -> list[Any]:
        return [
            m["layers"]["max"],
            m["layers"]["mean"],
            m["layers"]["sellers_by_layers"],
            m["span"]["mean"],
            m["span"]["median"],
            m["span"]["min"],
            m["span"]["max"],
            m["leads"],
            m["managers_per_seller"],
            len(m["span"]["too_narrow"]),
            len(m["span"]["too_wide"]),
            m["sellers_beyond_max_layers"]["count"],
            m["reached"],
        ]

    labels = [
        _("Most layers above a seller"),
        _("Mean layers above a seller"),
        _("Sellers by layers above them"),
        _("Mean span"),
        _("Median span"),
        _("Smallest span"),
        _("Largest span"),
        _("Leads"),
        _("Managers per seller"),
        _("Leads with too narrow a span"),
        _("Leads with too wide a span"),
        _("Sellers too far from the top"),
        _("Target shape reached"),
    ]
    return [
        (label, shape_value(a), shape_value(b))
        for label, a, b in zip(labels, pick(left), pick(right), strict=True)
    ]


@require_GET
@member_required(*ADMIN_ROLES)
def proposal_compare(request: MemberRequest) -> HttpResponse:
    from pacte.accounts.access import get_scoped

    a = get_scoped(_drafts(request), request.GET.get("a"))
    b = get_scoped(_drafts(request), request.GET.get("b"))
    out = []
    for draft in (a, b):
        snap = structure.snapshot(draft.workspace, proposals.shown_on(draft))
        out.append(proposals.payload(snap, draft.shape, list(draft.moves), draft=draft))
    return render(
        request,
        "org/proposal_compare.html",
        {
            "a": a,
            "b": b,
            "pa": out[0],
            "pb": out[1],
            "pair": out,
            "rows": _side_by_side(out[0], out[1]),
        },
    )
