"""People and teams pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts.access import ADMIN_ROLES, get_member_for, get_unit_for, visible_members
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError
from pacte.org import selectors, services
from pacte.org.forms import (
    MemberCreateForm,
    MemberEditForm,
    MemberMoveForm,
    PeopleFilterForm,
    PeopleImportForm,
    UnitForm,
)
from pacte.org.models import Placement
from pacte.org.people_import import COLUMNS, import_people


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
    template = "org/people.html#results" if request.htmx else "org/people.html"  # type: ignore[attr-defined]
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
        },
    )


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
            messages.success(request, _("%(name)s was added.") % {"name": created})
            return redirect("org:person", uuid=created.uuid)
    return render(request, "org/person_form.html", {"form": form, "title": _("Add a person")})


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
    return render(
        request,
        "org/person_form.html",
        {"form": form, "subject": subject, "title": _("Edit %(name)s") % {"name": subject}},
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
    if request.method == "POST" and form.is_valid():
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
    return render(
        request,
        "org/person_form.html",
        {"form": form, "subject": subject, "title": _("Move %(name)s") % {"name": subject}},
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
                data=form.cleaned_data["file"].read(),
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
        },
    )


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
    return render(request, "org/team_form.html", {"form": form, "title": _("New team")})


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
    return render(
        request,
        "org/team_form.html",
        {"form": form, "unit": unit, "title": _("Edit %(name)s") % {"name": unit}},
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
