"""Partner organisations, their seat and people, and what the people do on the seat."""

from __future__ import annotations

import pytest

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, PermissionDenied
from pacte.objectives import services as objective_services
from pacte.objectives.models import Status
from pacte.org.models import Placement
from pacte.org.services import create_member, move_member, update_member
from pacte.org.structure import handler_for, handlers_on, snapshot
from pacte.partners import services
from pacte.partners.models import Partner
from pacte.partners.tests.helpers import add_person, distributors, make_partner
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def test_create_partner_makes_a_seat_handled_by_the_channel_manager(cast: Cast) -> None:
    partner = make_partner(cast)
    seat = partner.seat
    assert seat.is_seller
    assert not seat.is_partner
    assert not seat.user.is_active
    assert not seat.user.has_usable_password()
    placement = Placement.objects.get(membership=seat, valid_to__isnull=True)
    assert placement.unit.name == "Partners"
    assert placement.unit.parent_id == cast.company.pk
    assert handler_for(seat) == cast.lead
    assert handlers_on(snapshot(cast.workspace), cast.workspace)[seat.pk] == cast.lead
    event = AuditEvent.objects.get(action="partner.created")
    assert event.after["code"] == "alpine"
    # A second partner joins the same team.
    other = make_partner(cast, code="tessin", name="Tessin Trade")
    assert Placement.objects.get(membership=other.seat).unit == placement.unit


def test_partner_refuses_a_duplicate_code_and_a_partner_owner(cast: Cast) -> None:
    partner = make_partner(cast)
    with pytest.raises(DomainError) as exc:
        make_partner_again(cast, "alpine")
    assert exc.value.field == "code"
    person = add_person(partner, "paula@alpine.example")
    with pytest.raises(DomainError) as exc:
        services.create_partner(
            workspace=cast.workspace,
            actor=cast.admin,
            code="x",
            name="X",
            kind="agent",
            channel=distributors(cast),
            owner=person,
        )
    assert exc.value.field == "owner"
    assert Partner.objects.count() == 1


def make_partner_again(cast: Cast, code: str) -> Partner:
    return services.create_partner(
        workspace=cast.workspace,
        actor=cast.admin,
        code=code,
        name="Again",
        kind="bogus-kind" if code == "?" else "reseller",
        channel=distributors(cast),
        owner=cast.lead,
    )


def test_only_the_channel_manager_or_an_admin_invites(cast: Cast) -> None:
    partner = make_partner(cast)
    with pytest.raises(PermissionDenied):
        services.invite_person(
            partner=partner, actor=cast.seller, email="x@alpine.example", name="X"
        )
    person = add_person(partner, "paula@alpine.example")
    assert person.is_partner
    assert person.roles == ["partner"]
    assert not Placement.objects.filter(membership=person).exists()
    assert person.partner_link.partner == partner


def test_a_partner_person_is_never_placed_in_the_company_teams(cast: Cast) -> None:
    partner = make_partner(cast)
    person = add_person(partner, "paula@alpine.example")
    with pytest.raises(DomainError) as exc:
        move_member(member=person, actor=cast.admin, unit=cast.team)
    assert exc.value.code == "partner_role"
    with pytest.raises(DomainError) as exc:
        update_member(member=person, actor=cast.admin, roles=["seller"])
    assert exc.value.code == "partner_role"
    with pytest.raises(DomainError) as exc:
        create_member(
            workspace=cast.workspace,
            actor=cast.admin,
            email="new@acme.example",
            name="New",
            roles=["partner"],
            unit=cast.team,
        )
    assert exc.value.code == "partner_role"
    assert not Placement.objects.filter(membership=person).exists()


def test_partner_proposes_and_the_channel_manager_agrees_in_one_step(cast: Cast, fy: int) -> None:
    partner = make_partner(cast)
    person = add_person(partner, "paula@alpine.example")
    objective = services.propose(person=person, fiscal_year=fy, amount=1_000_000)
    # No published cascade: no reference, so the policy sends it to the seat's handler.
    assert objective.status == Status.PROPOSED
    assert objective.handler == cast.lead
    agreed = objective_services.agree(
        objective=objective, actor=cast.lead, version=objective.version
    )
    assert agreed.status == Status.AGREED
    assert AuditEvent.objects.filter(action="partner.proposed", actor=person).exists()
    item = services.check_in(person=person, fiscal_year=fy, confidence=7, comment="On track")
    assert item.confidence == 7


def test_someone_else_than_a_partner_person_cannot_act_for_a_partner(cast: Cast, fy: int) -> None:
    make_partner(cast)
    with pytest.raises(PermissionDenied):
        services.propose(person=cast.seller, fiscal_year=fy, amount=10)


def test_update_partner_moves_the_seat_to_the_new_channel_manager(cast: Cast) -> None:
    partner = make_partner(cast)
    services.update_partner(
        partner=partner, actor=cast.admin, version=partner.version, owner=cast.executive
    )
    partner.seat.refresh_from_db()
    assert handler_for(partner.seat) == cast.executive
    with pytest.raises(DomainError) as exc:
        services.update_partner(partner=partner, actor=cast.admin, version=1, name="Stale")
    assert exc.value.status == 412


def test_people_import_and_group_mappings_never_give_the_partner_role(cast: Cast) -> None:
    from pacte.accounts.signin import clean_roles
    from pacte.org.people_import import import_people

    partner = make_partner(cast)
    add_person(partner, "paula@alpine.example")
    data = (
        b"email,name,unit,lead_of,roles\n"
        b"new@acme.example,New,North,,partner\n"
        b"paula@alpine.example,Paula,North,,seller\n"
    )
    result = import_people(workspace=cast.workspace, actor=cast.admin, data=data)
    assert not result.ok
    assert [line for line, _ in result.errors] == [2, 3]
    with pytest.raises(DomainError):
        clean_roles(["partner"])


def test_single_sign_on_keeps_a_partner_person_out_of_the_company_teams(cast: Cast) -> None:
    """A partner's person signs in through the workspace's provider: whatever groups it says,
    they keep the partner role and no team."""
    from django.utils import timezone

    from pacte.accounts.models import GroupMapping
    from pacte.accounts.provisioning import apply_identity

    GroupMapping.objects.create(
        workspace=cast.workspace, group="sales", roles=["seller"], unit=cast.team
    )
    person = add_person(make_partner(cast), "paula@alpine.example")
    signed_in = apply_identity(
        person,
        workspace=cast.workspace,
        email="paula@alpine.example",
        name="Paula",
        groups=["sales"],
        at=timezone.now(),
    )
    signed_in.refresh_from_db()
    assert signed_in.roles == ["partner"]
    assert not Placement.objects.filter(membership=person).exists()
