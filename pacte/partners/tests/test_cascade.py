"""A partner is a recipient of the cascade through its seat: methods, holds, publication, and
its commitment is then judged against its reference by the delegation policy."""

from __future__ import annotations

import pytest

from pacte.objectives import references
from pacte.objectives.models import Status
from pacte.partners import services
from pacte.partners.tests.helpers import add_person, make_partner
from pacte.planning.runs import create_run, publish_run
from pacte.planning.services import set_company_target
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def test_cascade_holds_the_partner_share_and_the_partner_commits_to_it(cast: Cast, fy: int) -> None:
    partner = make_partner(cast)
    person = add_person(partner, "paula@alpine.example")
    set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=1_000_000_00
    )
    run = create_run(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        parameters={"method": "equal", "holds": {str(partner.seat.uuid): 150_000_00}},
    )
    publish_run(run=run, actor=cast.executive)
    reference = references.reference_for(partner.seat, fy)
    assert reference.annual == 150_000_00
    assert reference.held
    # At the reference: agreed at once by the delegation policy (no manager needed).
    objective = services.propose(person=person, fiscal_year=fy, amount=150_000_00)
    assert objective.status == Status.AGREED
    # Below it: sent to the channel manager.
    objective = services.propose(
        person=person, fiscal_year=fy, amount=100_000_00, version=objective.version
    )
    assert objective.status == Status.PROPOSED
    assert objective.handler == cast.lead


def test_growth_bounds_hold_for_the_partner_share(cast: Cast, fy: int) -> None:
    """The cascade's bounds apply to the partner as to any seller: an equal split would give
    it more than twice its history; the bound keeps it within +30 %."""
    from pacte.org.models import Placement
    from pacte.planning.tests.conftest import add_history
    from pacte.sales.models import CubeCell

    partner = make_partner(cast)
    first = add_history(
        cast, fy, {"seller": 300_000_00, "lead": 300_000_00, "other_seller": 300_000_00}
    )
    team = Placement.objects.get(membership=partner.seat, valid_to__isnull=True).unit
    CubeCell.objects.bulk_create(
        CubeCell(
            workspace=cast.workspace,
            seller=partner.seat,
            unit=team,
            channel=cast.channel,
            month=first.index - 12 + k,
            split_amount=100_000_00 // 12,
        )
        for k in range(12)
    )
    history = 100_000_00 // 12 * 12
    set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=1_100_000_00
    )
    run = create_run(
        workspace=cast.workspace,
        actor=cast.executive,
        fiscal_year=fy,
        parameters={"method": "equal", "bounds": [-10, 30]},
    )
    publish_run(run=run, actor=cast.executive)
    reference = references.reference_for(partner.seat, fy)
    assert reference.exists
    assert history * 9 // 10 <= reference.annual <= history * 13 // 10 + 1_000_00
    assert reference.upper is not None
