import datetime
from typing import Any

from django.db.models import F, Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import paginate

from pacte.accounts.access import (
    ADMIN_ROLES,
    get_member_for,
    get_scoped,
    parse_uuid,
    require_role,
    visible_members,
)
from pacte.accounts.models import Membership
from pacte.api_auth import request_member
from pacte.api_pagination import Pagination
from pacte.errors import PermissionDenied
from pacte.org import proposals, selectors, services, structure
from pacte.org.models import Deputy, OrgSettings, ProposalDraft, Unit, UnitLink
from pacte.org.people_import import MAX_BYTES as PEOPLE_MAX_BYTES
from pacte.org.people_import import import_people
from pacte.org.schemas import (
    ChainOut,
    DeputyIn,
    DeputyOut,
    HandlerOut,
    ImportOut,
    MemberFilter,
    MemberIn,
    MemberOut,
    MemberPatch,
    MoveIn,
    MoveSpec,
    OrgSettingsIn,
    OrgSettingsOut,
    ProposalApplyIn,
    ProposalIn,
    ProposalOut,
    ProposalPatch,
    ProposalPreviewIn,
    UnitIn,
    UnitLinkOut,
    UnitOut,
    UnitPatch,
)
from pacte.org.visibility import get_unit_for, visible_units
from pacte.uploads import read_bytes

router = Router(tags=["organisation"])


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
@paginate(Pagination)
def units(request: HttpRequest) -> list[dict[str, Any]]:
    member = request_member(request)
    qs = selectors.units_with_counts(member.workspace).filter(
        pk__in=visible_units(member).values("pk")
    )
    return [_unit_out(u) for u in qs.order_by("name")]


@router.get("/units/{unit_id}", response=UnitOut, summary="One team")
def unit_detail(request: HttpRequest, unit_id: str) -> dict[str, Any]:
    return _unit_out(get_unit_for(request_member(request), unit_id))


@router.post("/units", response={201: UnitOut}, summary="Create a team (admins)")
def unit_create(request: HttpRequest, payload: UnitIn) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
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


@router.patch(
    "/units/{unit_id}", response=UnitOut, summary="Rename, move or change the lead (dated)"
)
def unit_patch(request: HttpRequest, unit_id: str, payload: UnitPatch) -> dict[str, Any]:
    member = request_member(request)
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
        effective=payload.effective,
    )
    return _unit_out(unit)


@router.post("/units/{unit_id}/deactivate", response=UnitOut, summary="Deactivate a team")
def unit_deactivate(request: HttpRequest, unit_id: str) -> dict[str, Any]:
    member = request_member(request)
    unit = get_unit_for(member, unit_id, write=True)
    return _unit_out(services.deactivate_unit(unit=unit, actor=member))


@router.delete("/units/{unit_id}", response={204: None}, summary="Delete an empty team")
def unit_delete(request: HttpRequest, unit_id: str) -> tuple[int, None]:
    member = request_member(request)
    services.delete_unit(unit=get_unit_for(member, unit_id, write=True), actor=member)
    return 204, None


@router.get("/members", response=list[MemberOut], summary="People of the workspace")
@paginate(Pagination)
def members(request: HttpRequest, filters: Query[MemberFilter]) -> list[dict[str, Any]]:
    member = request_member(request)
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
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    result = import_people(
        workspace=member.workspace, actor=member, data=read_bytes(file, PEOPLE_MAX_BYTES)
    )
    return {
        "ok": result.ok,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": [{"line": line, "message": message} for line, message in result.errors],
    }


@router.get("/members/{member_id}", response=MemberOut, summary="One person")
def member_detail(request: HttpRequest, member_id: str) -> dict[str, Any]:
    return _member_out(get_member_for(request_member(request), member_id))


@router.post("/members", response={201: MemberOut}, summary="Add a person (admins)")
def member_create(request: HttpRequest, payload: MemberIn) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
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
    member = request_member(request)
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
    member = request_member(request)
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
    member = request_member(request)
    subject = get_member_for(member, member_id, write=True)
    return _member_out(services.set_member_active(member=subject, actor=member, active=False))


@router.post("/members/{member_id}/reactivate", response=MemberOut, summary="Reactivate a person")
def member_reactivate(request: HttpRequest, member_id: str) -> dict[str, Any]:
    member = request_member(request)
    subject = get_member_for(member, member_id, write=True)
    return _member_out(services.set_member_active(member=subject, actor=member, active=True))


# Structure: chart, metrics, trend, settings, delegation, proposals --------------------------


def _day(on: datetime.date | None) -> datetime.date:
    return on or timezone.localdate()


def _analysable(member: Membership, on: datetime.date | None) -> structure.Snapshot:
    """The part of the organisation ``member`` may analyse on the day (leads: their subtree)."""
    if not structure.can_analyse(member):
        raise PermissionDenied(_("Your role does not allow this action."))
    return structure.scope_for(member, structure.snapshot(member.workspace, _day(on)))


def _unit_index(snap: structure.Snapshot, unit_id: str | None) -> int:
    if not unit_id:
        return structure.root_index(snap)
    key = str(parse_uuid(unit_id))
    if key not in snap.unit_uuid:
        raise Http404
    return snap.unit_uuid.index(key)


@router.get("/org/chart", response=dict[str, Any], summary="One branch of the org chart")
def org_chart(
    request: HttpRequest, on: datetime.date | None = None, unit: str | None = None
) -> dict[str, Any]:
    """A team (the top of what you may see by default) and its children: sub-teams, people."""
    snap = _analysable(request_member(request), on)
    u = _unit_index(snap, unit)
    return {
        "on": snap.day,
        "node": structure.unit_node(snap, u),
        "children": structure.chart_branch(snap, u),
    }


@router.get("/org/chart/search", response=list[dict[str, Any]], summary="Find in the chart")
def org_chart_search(
    request: HttpRequest, q: str = "", on: datetime.date | None = None
) -> list[dict[str, Any]]:
    return structure.search(_analysable(request_member(request), on), q)


@router.get("/org/structure", response=dict[str, Any], summary="Structure metrics on a day")
def org_structure(
    request: HttpRequest, on: datetime.date | None = None, unit: str | None = None
) -> dict[str, Any]:
    member = request_member(request)
    snap = _analysable(member, on)
    if unit:
        snap = snap.subtree(int(snap.unit_pk[_unit_index(snap, unit)]))
    return structure.metrics_of(snap, structure.shape_settings(member.workspace))


@router.get(
    "/org/structure/trend", response=list[dict[str, Any]], summary="Metrics at each month end"
)
def org_structure_trend(request: HttpRequest, months: int = 12) -> list[dict[str, Any]]:
    member = request_member(request)
    _analysable(member, None)
    return structure.trend(member, months=max(1, min(months, 36)))


@router.get("/org/settings", response=OrgSettingsOut, summary="Target shape of the organisation")
def org_settings(request: HttpRequest) -> OrgSettings:
    return structure.shape_settings(request_member(request).workspace)


@router.put("/org/settings", response=OrgSettingsOut, summary="Set the target shape (admins)")
def org_settings_put(request: HttpRequest, payload: OrgSettingsIn) -> OrgSettings:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return services.update_org_settings(workspace=member.workspace, actor=member, **payload.dict())


@router.get("/units/{unit_id}/history", response=list[UnitLinkOut], summary="Dated history")
def unit_history(request: HttpRequest, unit_id: str) -> list[UnitLink]:
    unit = get_unit_for(request_member(request), unit_id)
    return list(
        UnitLink.objects.filter(unit=unit)
        .select_related("parent", "lead")
        .order_by(F("valid_from").asc(nulls_first=True))
    )


def _chain_visible(viewer: Membership, subject: Membership) -> None:
    """Sellers see their own chain; leads the people of their subtree; admins everyone."""
    if viewer.sees_everything or viewer.pk == subject.pk:
        return
    if viewer.is_lead:
        snap = structure.scope_for(viewer, structure.snapshot(viewer.workspace))
        if snap.person_index(subject.pk) is not None:
            return
    raise Http404


@router.get("/members/{member_id}/chain", response=ChainOut, summary="The person's chain of leads")
def member_chain(
    request: HttpRequest, member_id: str, on: datetime.date | None = None
) -> dict[str, Any]:
    viewer = request_member(request)
    subject = get_member_for(viewer, member_id)
    _chain_visible(viewer, subject)
    snap = structure.snapshot(viewer.workspace, _day(on))
    chain = structure.chain_of(snap, subject.pk)
    return {
        "member": subject,
        "on": snap.day,
        "leads": [{"uuid": snap.member_uuid[i], "name": snap.member_name[i]} for i in chain],
    }


@router.get(
    "/members/{member_id}/handler", response=HandlerOut, summary="Who handles their exceptions"
)
def member_handler(
    request: HttpRequest, member_id: str, on: datetime.date | None = None
) -> dict[str, Any]:
    viewer = request_member(request)
    subject = get_member_for(viewer, member_id)
    _chain_visible(viewer, subject)
    return {"member": subject, "handler": structure.handler_for(subject, _day(on)), "on": _day(on)}


@router.get("/org/delegation", response=list[HandlerOut], summary="Delegation map")
def org_delegation(request: HttpRequest, on: datetime.date | None = None) -> list[dict[str, Any]]:
    member = request_member(request)
    snap = _analysable(member, on)
    handlers = structure.handlers_on(snap, member.workspace)
    return [
        {
            "member": {"uuid": snap.member_uuid[i], "name": snap.member_name[i]},
            "handler": handlers.get(int(pk)),
            "on": snap.day,
        }
        for i, pk in enumerate(snap.member_pk.tolist())
        if snap.member_roles[i][2]
    ]


def _deputy_out(row: Deputy) -> dict[str, Any]:
    return {
        "uuid": row.uuid,
        "principal": row.principal,
        "deputy": row.deputy,
        "starts_on": row.starts_on,
        "ends_on": row.ends_on,
    }


@router.get("/org/deputies", response=list[DeputyOut], summary="Deputies of leads and executives")
def deputies(request: HttpRequest) -> list[dict[str, Any]]:
    member = request_member(request)
    qs = Deputy.objects.for_workspace(member.workspace).select_related("principal", "deputy")
    if not member.sees_everything:
        qs = qs.filter(Q(principal=member) | Q(deputy=member))
    return [_deputy_out(d) for d in qs.order_by("starts_on", "pk")]


def _may_name_deputy(viewer: Membership, principal: Membership) -> None:
    if viewer.has_role(*ADMIN_ROLES):
        return
    if viewer.is_lead and viewer.pk == principal.pk:
        return
    raise PermissionDenied(_("Your role does not allow this action."))


@router.post("/org/deputies", response={201: DeputyOut}, summary="Name a deputy for a period")
def deputy_create(request: HttpRequest, payload: DeputyIn) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES, "lead")
    principal = get_member_for(member, payload.principal)
    _may_name_deputy(member, principal)
    deputy = visible_members(member).filter(uuid=payload.deputy, is_active=True).first()
    row = services.add_deputy(
        workspace=member.workspace,
        actor=member,
        principal=principal,
        deputy=deputy,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return 201, _deputy_out(row)


@router.delete("/org/deputies/{deputy_id}", response={204: None}, summary="Remove a deputy")
def deputy_delete(request: HttpRequest, deputy_id: str) -> tuple[int, None]:
    member = request_member(request)
    row = get_scoped(
        Deputy.objects.for_workspace(member.workspace).select_related("principal", "deputy"),
        deputy_id,
    )
    _may_name_deputy(member, row.principal)
    services.remove_deputy(deputy=row, actor=member)
    return 204, None


def _proposal_qs(member: Membership) -> Any:
    require_role(member, *ADMIN_ROLES)
    return ProposalDraft.objects.for_workspace(member.workspace)


def _moves(specs: list[MoveSpec]) -> list[dict[str, Any]]:
    return [
        {
            "kind": m.kind,
            "person": str(m.person) if m.person else None,
            "unit": str(m.unit) if m.unit else None,
            "target": str(m.target) if m.target else None,
            "explanation": m.explanation or {"code": "manual"},
        }
        for m in specs
    ]


def _draft_payload(draft: ProposalDraft) -> dict[str, Any]:
    snap = structure.snapshot(draft.workspace, proposals.shown_on(draft))
    return proposals.payload(snap, draft.shape, list(draft.moves), draft=draft)


@router.post("/org/proposals/preview", response=ProposalOut, summary="Propose moves (not saved)")
def proposal_preview(request: HttpRequest, payload: ProposalPreviewIn) -> dict[str, Any]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    snap = structure.snapshot(member.workspace, _day(payload.on))
    shape = payload.dict(exclude={"on"})
    proposal = proposals.propose(snap, shape)
    lab = proposal.before.labels
    return proposals.payload(
        snap,
        shape,
        proposals.stored_moves(proposal),
        blocking=[lab.explanation(b) for b in proposal.blocking],
    )


@router.get("/org/proposals/compare", response=dict[str, Any], summary="Compare two drafts")
def proposal_compare(request: HttpRequest, a: str = "", b: str = "") -> dict[str, Any]:
    qs = _proposal_qs(request_member(request))
    return {"a": _draft_payload(get_scoped(qs, a)), "b": _draft_payload(get_scoped(qs, b))}


@router.get("/org/proposals", response=list[dict[str, Any]], summary="Delayering drafts")
def proposal_list(request: HttpRequest) -> list[dict[str, Any]]:
    qs = _proposal_qs(request_member(request)).order_by("-created_at")
    return [
        {
            "uuid": str(d.uuid),
            "name": d.name,
            "status": d.status,
            "shape": d.shape,
            "moves": len(d.moves),
            "based_on": d.based_on.isoformat(),
            "version": d.version,
        }
        for d in qs
    ]


@router.post("/org/proposals", response={201: ProposalOut}, summary="Save a draft")
def proposal_create(request: HttpRequest, payload: ProposalIn) -> tuple[int, dict[str, Any]]:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    day = _day(payload.on)
    shape = payload.dict(include={"max_layers", "span_min", "span_max"})
    if payload.moves is None:
        moves = proposals.stored_moves(
            proposals.propose(structure.snapshot(member.workspace, day), shape)
        )
    else:
        moves = _moves(payload.moves)
    draft = services.save_proposal(
        workspace=member.workspace,
        actor=member,
        name=payload.name,
        shape=shape,
        based_on=day,
        moves=moves,
    )
    return 201, _draft_payload(draft)


@router.get("/org/proposals/{proposal_id}", response=ProposalOut, summary="One draft")
def proposal_detail(request: HttpRequest, proposal_id: str) -> dict[str, Any]:
    return _draft_payload(get_scoped(_proposal_qs(request_member(request)), proposal_id))


@router.patch("/org/proposals/{proposal_id}", response=ProposalOut, summary="Edit a draft's moves")
def proposal_patch(
    request: HttpRequest, proposal_id: str, payload: ProposalPatch
) -> dict[str, Any]:
    member = request_member(request)
    draft = get_scoped(_proposal_qs(member), proposal_id)
    draft = services.edit_proposal(
        draft=draft,
        actor=member,
        moves=_moves(payload.moves),
        name=payload.name,
        version=payload.version,
    )
    return _draft_payload(draft)


@router.post(
    "/org/proposals/{proposal_id}/apply", response=ProposalOut, summary="Apply from a date"
)
def proposal_apply(
    request: HttpRequest, proposal_id: str, payload: ProposalApplyIn
) -> dict[str, Any]:
    member = request_member(request)
    draft = get_scoped(_proposal_qs(member), proposal_id)
    draft = services.apply_proposal(
        draft=draft, actor=member, effective=payload.effective, version=payload.version
    )
    return _draft_payload(draft)


@router.post(
    "/org/proposals/{proposal_id}/discard", response=dict[str, Any], summary="Discard a draft"
)
def proposal_discard(request: HttpRequest, proposal_id: str) -> dict[str, Any]:
    member = request_member(request)
    draft = services.discard_proposal(
        draft=get_scoped(_proposal_qs(member), proposal_id), actor=member
    )
    return {"uuid": str(draft.uuid), "status": draft.status}
