from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from pacte.accounts.access import (
    ADMIN_ROLES,
    get_member_for,
    get_unit_for,
    require_role,
    visible_members,
    visible_units,
)
from pacte.accounts.models import Membership
from pacte.org import selectors, services
from pacte.org.models import Unit
from pacte.org.people_import import import_people
from pacte.org.schemas import (
    ImportOut,
    MemberFilter,
    MemberIn,
    MemberOut,
    MemberPatch,
    MoveIn,
    UnitIn,
    UnitOut,
    UnitPatch,
)

router = Router(tags=["organisation"])


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined]


def _unit_out(unit: Unit, member_count: int = 0) -> dict[str, Any]:
    return {
        "uuid": unit.uuid,
        "name": unit.name,
        "parent": unit.parent,
        "lead": unit.lead,
        "is_active": unit.is_active,
        "version": unit.version,
        "member_count": getattr(unit, "member_count", member_count),
    }


def _member_out(member: Membership) -> dict[str, Any]:
    unit_uuid = getattr(member, "unit_uuid", None)
    if not hasattr(member, "unit_uuid"):
        unit = selectors.unit_of(member)
        unit_ref = {"uuid": unit.uuid, "name": unit.name} if unit else None
    else:
        unit_ref = {"uuid": unit_uuid, "name": member.unit_name} if unit_uuid else None  # type: ignore[attr-defined]
    return {
        "uuid": member.uuid,
        "name": member.name,
        "email": member.user.email,
        "roles": member.roles,
        "is_active": member.is_active,
        "joined_on": member.joined_on,
        "unit": unit_ref,
        "version": member.version,
    }


@router.get("/units", response=list[UnitOut], summary="Teams of the workspace")
@paginate(LimitOffsetPagination)
def units(request: HttpRequest) -> list[dict[str, Any]]:
    member = _member(request)
    qs = selectors.units_with_counts(member.workspace).filter(
        pk__in=visible_units(member).values("pk")
    )
    return [_unit_out(u) for u in qs.order_by("name")]


@router.get("/units/{unit_id}", response=UnitOut, summary="One team")
def unit_detail(request: HttpRequest, unit_id: str) -> dict[str, Any]:
    return _unit_out(get_unit_for(_member(request), unit_id))


@router.post("/units", response={201: UnitOut}, summary="Create a team (admins)")
def unit_create(request: HttpRequest, payload: UnitIn) -> tuple[int, dict[str, Any]]:
    member = _member(request)
    require_role(member, *ADMIN_ROLES)
    parent = (
        get_unit_for(member, payload.parent)
        if payload.parent
        else selectors.root_unit(member.workspace)
    )
    lead = get_member_for(member, payload.lead) if payload.lead else None
    unit = services.create_unit(
        workspace=member.workspace, actor=member, name=payload.name, parent=parent, lead=lead
    )
    return 201, _unit_out(unit)


@router.patch("/units/{unit_id}", response=UnitOut, summary="Rename, move or change the lead")
def unit_patch(request: HttpRequest, unit_id: str, payload: UnitPatch) -> dict[str, Any]:
    member = _member(request)
    unit = get_unit_for(member, unit_id, write=True)
    lead: Any = ...
    if payload.remove_lead:
        lead = None
    elif payload.lead:
        lead = get_member_for(member, payload.lead)
    unit = services.update_unit(
        unit=unit,
        actor=member,
        name=payload.name,
        parent=get_unit_for(member, payload.parent) if payload.parent else None,
        lead=lead,
        version=payload.version,
    )
    return _unit_out(unit)


@router.post("/units/{unit_id}/deactivate", response=UnitOut, summary="Deactivate a team")
def unit_deactivate(request: HttpRequest, unit_id: str) -> dict[str, Any]:
    member = _member(request)
    unit = get_unit_for(member, unit_id, write=True)
    return _unit_out(services.deactivate_unit(unit=unit, actor=member))


@router.delete("/units/{unit_id}", response={204: None}, summary="Delete an empty team")
def unit_delete(request: HttpRequest, unit_id: str) -> tuple[int, None]:
    member = _member(request)
    services.delete_unit(unit=get_unit_for(member, unit_id, write=True), actor=member)
    return 204, None


@router.get("/members", response=list[MemberOut], summary="People of the workspace")
@paginate(LimitOffsetPagination)
def members(request: HttpRequest, filters: Query[MemberFilter]) -> list[dict[str, Any]]:
    member = _member(request)
    status = filters.status if member.sees_everything else "active"
    qs = selectors.filter_members(
        selectors.members_with_unit(member.workspace)
        .filter(pk__in=visible_members(member).values("pk"))
        .select_related("user"),
        q=filters.q,
        unit=filters.unit,
        role=filters.role or "",
        status=status,
    ).order_by("name", "pk")
    return [_member_out(m) for m in qs]


@router.post(
    "/members/import", response=ImportOut, summary="Import people from CSV (all or nothing)"
)
def member_import(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    member = _member(request)
    require_role(member, *ADMIN_ROLES)
    result = import_people(workspace=member.workspace, actor=member, data=file.read())
    return {
        "ok": result.ok,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": [{"line": line, "message": message} for line, message in result.errors],
    }


@router.get("/members/{member_id}", response=MemberOut, summary="One person")
def member_detail(request: HttpRequest, member_id: str) -> dict[str, Any]:
    return _member_out(get_member_for(_member(request), member_id))


@router.post("/members", response={201: MemberOut}, summary="Add a person (admins)")
def member_create(request: HttpRequest, payload: MemberIn) -> tuple[int, dict[str, Any]]:
    member = _member(request)
    require_role(member, *ADMIN_ROLES)
    created = services.create_member(
        workspace=member.workspace,
        actor=member,
        email=payload.email,
        name=payload.name,
        roles=[r.value for r in payload.roles],
        unit=get_unit_for(member, payload.unit),
        joined_on=payload.joined_on,
    )
    return 201, _member_out(created)


@router.patch("/members/{member_id}", response=MemberOut, summary="Edit a person (admins)")
def member_patch(request: HttpRequest, member_id: str, payload: MemberPatch) -> dict[str, Any]:
    member = _member(request)
    subject = get_member_for(member, member_id, write=True)
    updated = services.update_member(
        member=subject,
        actor=member,
        name=payload.name,
        roles=[r.value for r in payload.roles] if payload.roles is not None else None,
        version=payload.version,
    )
    return _member_out(updated)


@router.post("/members/{member_id}/move", response=MemberOut, summary="Move a person to a team")
def member_move(request: HttpRequest, member_id: str, payload: MoveIn) -> dict[str, Any]:
    member = _member(request)
    subject = get_member_for(member, member_id, write=True)
    services.move_member(
        member=subject,
        actor=member,
        unit=get_unit_for(member, payload.unit),
        effective=payload.effective,
        version=payload.version,
    )
    return _member_out(subject)


@router.post("/members/{member_id}/deactivate", response=MemberOut, summary="Deactivate a person")
def member_deactivate(request: HttpRequest, member_id: str) -> dict[str, Any]:
    member = _member(request)
    subject = get_member_for(member, member_id, write=True)
    return _member_out(services.set_member_active(member=subject, actor=member, active=False))


@router.post("/members/{member_id}/reactivate", response=MemberOut, summary="Reactivate a person")
def member_reactivate(request: HttpRequest, member_id: str) -> dict[str, Any]:
    member = _member(request)
    subject = get_member_for(member, member_id, write=True)
    return _member_out(services.set_member_active(member=subject, actor=member, active=True))
