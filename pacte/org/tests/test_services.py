"""The organisation services refuse bad changes with a clear message and audit every change."""

from __future__ import annotations

import datetime

import pytest

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, StaleVersion
from pacte.org import services
from pacte.org.models import Placement, Unit
from pacte.testing.cast import Cast


def events(cast: Cast, action: str) -> int:
    return AuditEvent.objects.for_workspace(cast.workspace).filter(action=action).count()


def test_create_unit_writes_an_audit_event(cast: Cast) -> None:
    unit = services.create_unit(
        workspace=cast.workspace, actor=cast.admin, name="East", parent=cast.company
    )
    event = AuditEvent.objects.for_workspace(cast.workspace).get(
        action="unit.created", object_id=str(unit.uuid)
    )
    assert event.actor == cast.admin
    assert event.after["name"] == "East"


def test_moving_a_team_under_its_own_child_is_a_cycle(cast: Cast) -> None:
    child = services.create_unit(
        workspace=cast.workspace, actor=None, name="North-1", parent=cast.team
    )
    with pytest.raises(DomainError) as exc:
        services.update_unit(unit=cast.team, actor=cast.admin, parent=child)
    assert exc.value.code == "cycle"
    cast.team.refresh_from_db()
    assert cast.team.parent == cast.company


def test_a_team_cannot_be_its_own_parent(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        services.update_unit(unit=cast.team, actor=cast.admin, parent=cast.team)
    assert exc.value.code == "cycle"


def test_a_person_leads_one_team_at_most(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        services.update_unit(unit=cast.other_team, actor=cast.admin, lead=cast.lead)
    assert exc.value.code == "already_leads"
    assert "North" in exc.value.message


def test_deleting_a_team_with_members_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        services.delete_unit(unit=cast.other_team, actor=cast.admin)
    assert exc.value.code == "unit_has_members"
    assert Unit.objects.filter(pk=cast.other_team.pk).exists()


def test_deleting_an_empty_team_works_and_is_audited(cast: Cast) -> None:
    unit = services.create_unit(
        workspace=cast.workspace, actor=None, name="Empty", parent=cast.company
    )
    services.delete_unit(unit=unit, actor=cast.admin)
    assert not Unit.objects.filter(pk=unit.pk).exists()
    assert events(cast, "unit.deleted") == 1


def test_deactivating_a_team_with_members_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        services.deactivate_unit(unit=cast.other_team, actor=cast.admin)
    assert exc.value.code == "unit_has_members"


def test_duplicate_email_in_a_workspace_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        services.create_member(
            workspace=cast.workspace,
            actor=cast.admin,
            email="SELLER@acme.example",
            name="Twin",
            roles=["seller"],
            unit=cast.team,
        )
    assert exc.value.code == "duplicate_email"
    assert exc.value.field == "email"


def test_a_person_can_belong_to_two_workspaces(cast: Cast) -> None:
    member = services.create_member(
        workspace=cast.outsider_workspace,
        actor=cast.outsider,
        email="seller@acme.example",
        name="Sam at Globex",
        roles=["seller"],
        unit=cast.outsider_team,
    )
    assert member.user == cast.seller.user
    assert member.user.memberships.count() == 2


def test_move_is_dated_and_keeps_history(cast: Cast) -> None:
    day = datetime.date(2025, 3, 1)
    services.move_member(member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=day)
    rows = list(Placement.objects.filter(membership=cast.seller).order_by("valid_from"))
    assert [(p.unit_id, p.valid_to) for p in rows] == [
        (cast.team.pk, day),
        (cast.other_team.pk, None),
    ]
    assert (
        Placement.objects.on(datetime.date(2025, 2, 28)).get(membership=cast.seller).unit
        == cast.team
    )
    assert Placement.objects.on(day).get(membership=cast.seller).unit == cast.other_team


def test_a_same_day_correction_replaces_the_placement_with_a_new_row(cast: Cast) -> None:
    # Caches fingerprint placements by count and highest id: a correction must change them.
    day = datetime.date(2025, 3, 1)
    services.move_member(member=cast.seller, actor=cast.admin, unit=cast.other_team, effective=day)
    first = Placement.objects.get(membership=cast.seller, valid_from=day)
    services.move_member(member=cast.seller, actor=cast.admin, unit=cast.company, effective=day)
    again = Placement.objects.get(membership=cast.seller, valid_from=day)
    assert again.unit == cast.company
    assert again.pk > first.pk
    services.move_members(
        workspace=cast.workspace,
        actor=cast.admin,
        member_ids=[cast.seller.pk],
        unit=cast.other_team,
        effective=day,
    )
    third = Placement.objects.get(membership=cast.seller, valid_from=day)
    assert third.unit == cast.other_team
    assert third.pk > again.pk
    assert Placement.objects.filter(membership=cast.seller).count() == 2
    assert Placement.objects.on(day).get(membership=cast.seller).unit == cast.other_team


def test_move_before_joining_is_refused(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        services.move_member(
            member=cast.seller,
            actor=cast.admin,
            unit=cast.other_team,
            effective=datetime.date(2019, 12, 31),
        )
    assert exc.value.code == "before_joining"
    assert Placement.objects.filter(membership=cast.seller).count() == 1


def test_stale_edit_is_refused(cast: Cast) -> None:
    stale = cast.seller.version
    services.update_member(member=cast.seller, actor=cast.admin, name="Sam S.", version=stale)
    with pytest.raises(StaleVersion):
        services.update_member(member=cast.seller, actor=cast.admin, name="Sam T.", version=stale)
    cast.seller.refresh_from_db()
    assert cast.seller.name == "Sam S."


def test_deactivating_a_lead_is_refused_until_replaced(cast: Cast) -> None:
    with pytest.raises(DomainError) as exc:
        services.set_member_active(member=cast.lead, actor=cast.admin, active=False)
    assert exc.value.code == "still_leads"
    services.update_unit(unit=cast.team, actor=cast.admin, lead=None)
    services.set_member_active(member=cast.lead, actor=cast.admin, active=False)
    cast.lead.refresh_from_db()
    assert not cast.lead.is_active


def test_update_without_changes_writes_no_event(cast: Cast) -> None:
    before = AuditEvent.objects.count()
    services.update_member(member=cast.seller, actor=cast.admin, name=cast.seller.name)
    assert AuditEvent.objects.count() == before


def test_audit_events_are_append_only(cast: Cast) -> None:
    event = AuditEvent.objects.for_workspace(cast.workspace).first()
    assert event is not None
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
