"""Partners for tests: a distributors channel, a partner of the cast, its people."""

from __future__ import annotations

from pacte.accounts.models import Membership
from pacte.partners.models import Partner
from pacte.partners.services import create_partner, invite_person
from pacte.sales.models import Channel
from pacte.testing.cast import PASSWORD, Cast


def distributors(cast: Cast) -> Channel:
    channel, _created = Channel.objects.get_or_create(
        workspace=cast.workspace,
        code="distributors",
        defaults={"name_en": "Distributors", "name_fr": "Distributeurs", "position": 2},
    )
    return channel


def make_partner(
    cast: Cast,
    code: str = "alpine",
    name: str = "Alpine Distribution",
    owner: Membership | None = None,
) -> Partner:
    existing = Partner.objects.for_workspace(cast.workspace).filter(code=code).first()
    if existing is not None:
        return existing
    return create_partner(
        workspace=cast.workspace,
        actor=cast.admin,
        code=code,
        name=name,
        kind="distributor",
        channel=distributors(cast),
        territory="Switzerland",
        owner=owner or cast.lead,
    )


def add_person(partner: Partner, email: str, name: str = "Paula Partner") -> Membership:
    return invite_person(
        partner=partner, actor=partner.owner, email=email, name=name, password=PASSWORD
    ).membership
