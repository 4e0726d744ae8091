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
