"""The shared cast of the test suite: one workspace with every role, and an outsider."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from pacte.accounts.models import Membership, Workspace
from pacte.accounts.services import create_api_token, create_workspace
from pacte.lib.fiscal import FiscalCalendar
from pacte.org.models import Unit
from pacte.org.selectors import root_unit
from pacte.org.services import create_member, create_unit
from pacte.sales.models import Channel

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Cast:
    workspace: Workspace
    company: Unit
    team: Unit
    other_team: Unit
    executive: Membership
    admin: Membership
    lead: Membership
    seller: Membership
    other_seller: Membership
    outsider: Membership
    outsider_workspace: Workspace
    outsider_team: Unit
    channel: Channel

    def token(self, member: Membership) -> str:
        return create_api_token(member=member, name="test")[1]


def next_fiscal_year(cast: Cast) -> int:
    """The fiscal year after the current one of the cast's workspace (open: it can be set,
    cascaded and published)."""
    from django.utils import timezone

    return FiscalCalendar(cast.workspace.fiscal_year_start_month).year_of(timezone.localdate()) + 1


def _member(ws: Workspace, email: str, name: str, roles: set[str], unit: Unit) -> Membership:
    return create_member(
        workspace=ws,
        actor=None,
        email=email,
        name=name,
        roles=roles,
        unit=unit,
        joined_on=datetime.date(2020, 1, 1),
        password=PASSWORD,
    )


def build_cast() -> Cast:
    ws = create_workspace(name="Acme", slug="acme", currency="EUR")
    company = root_unit(ws)
    executive = _member(ws, "exec@acme.example", "Eve Executive", {"executive"}, company)
    admin = _member(ws, "admin@acme.example", "Adam Admin", {"admin"}, company)
    team = create_unit(workspace=ws, actor=None, name="North", parent=company)
    other_team = create_unit(workspace=ws, actor=None, name="South", parent=company)
    lead = _member(ws, "lead@acme.example", "Lea Lead", {"lead", "seller"}, team)
    from pacte.org.services import update_unit

    update_unit(unit=team, actor=None, lead=lead)
    seller = _member(ws, "seller@acme.example", "Sam Seller", {"seller"}, team)
    other_seller = _member(ws, "other@acme.example", "Olga Other", {"seller"}, other_team)
    channel = Channel.objects.create(workspace=ws, code="field", name_en="Field", name_fr="Terrain")
    ows = create_workspace(name="Globex", slug="globex", currency="EUR")
    outsider_team = create_unit(
        workspace=ows, actor=None, name="Globex team", parent=root_unit(ows)
    )
    outsider = _member(
        ows, "boss@globex.example", "Otto Outsider", {"executive", "admin"}, root_unit(ows)
    )
    Channel.objects.create(workspace=ows, code="field", name_en="Field", name_fr="Terrain")
    team.refresh_from_db()
    return Cast(
        workspace=ws,
        company=company,
        team=team,
        other_team=other_team,
        executive=executive,
        admin=admin,
        lead=lead,
        seller=seller,
        other_seller=other_seller,
        outsider=outsider,
        outsider_workspace=ows,
        outsider_team=outsider_team,
        channel=channel,
    )
