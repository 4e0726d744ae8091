"""A seller moved while the teams' split is open: their line follows them from the old team's
draft to the new team's, the shares move with their amount in the company's run (each level
still sums exactly, the company total never changes), both leads are told, and the applied
split writes what the new team decided."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Sum
from django.utils import timezone

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError
from pacte.lib.dates import format_day
from pacte.lib.money import format_money
from pacte.org.services import move_member
from pacte.planning import delegation as dl
from pacte.planning import runs, services
from pacte.planning.models import (
    CascadeShare,
    Delegation,
    SellerExplanation,
    SplitStatus,
    TeamSplit,
)
from pacte.testing.cast import Cast


def _open(cast: Cast, fy: int) -> Delegation:
    """900 000.00 over three sellers: North (Lea, Sam) 600 000.00, South (Olga) 300 000.00."""
    services.set_company_target(
        workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, amount=900_000_00
    )
    run = runs.publish_run(
        run=runs.create_run(
            workspace=cast.workspace, actor=cast.executive, fiscal_year=fy, parameters={}
        ),
        actor=cast.executive,
    )
    today = timezone.localdate()
    return dl.open_delegation(
        run=run,
        actor=cast.executive,
        opens_on=today,
        closes_on=today + datetime.timedelta(days=14),
    )


def _splits(found: Delegation, cast: Cast) -> tuple[TeamSplit, TeamSplit]:
    return (
        TeamSplit.objects.get(delegation=found, unit=cast.team),
        TeamSplit.objects.get(delegation=found, unit=cast.other_team),
    )


def _move_sam(cast: Cast, fy: int) -> None:
    move_member(
        member=cast.seller,
        actor=cast.admin,
        unit=cast.other_team,
        effective=cast.workspace.calendar.quarter(fy, 2).bounds[0],
    )


def test_the_line_follows_the_seller_and_every_share_stays_exact(cast: Cast, fy: int) -> None:
    found = _open(cast, fy)
    north, south = _splits(found, cast)
    sam, lea = str(cast.seller.uuid), str(cast.lead.uuid)
    dl.save_split(
        split=north,
        actor=cast.lead,
        method="equal",
        parameters={"holds": {sam: 400_000_00}},
        submit=True,
    )
    _move_sam(cast, fy)
    north, south = _splits(found, cast)
    # North loses Sam's 300 000.00 of the company's run, South gains it: 900 000.00 in all
    assert (north.amount, south.amount) == (300_000_00, 600_000_00)
    assert north.amount + south.amount == found.run.total
    # Sam's amount and hold leave North's draft, which is open again
    assert sam not in north.amounts
    assert sam not in north.parameters["holds"]
    assert north.status == SplitStatus.DRAFT
    assert [(n["way"], n["name"], n["team"], n["amount"]) for n in north.notices] == [
        ("out", "Sam Seller", "South", 300_000_00)
    ]
    assert [(n["way"], n["team"]) for n in south.notices] == [("in", "North")]
    assert dl.team_inputs(north).keys == [lea]
    south_inputs = dl.team_inputs(south)
    assert sam in south_inputs.keys
    assert int(south_inputs.current.sum()) == south.amount  # the run's amounts still sum
    assert AuditEvent.objects.filter(action="delegation.moves_followed").count() == 1

    # North's old total is refused; what is left is split exactly and submitted
    with pytest.raises(DomainError) as exc:
        dl.save_split(
            split=north, actor=cast.lead, method="manual", amounts={lea: 600_000_00}, submit=True
        )
    assert exc.value.code == "split_mismatch"
    north = dl.save_split(split=north, actor=cast.lead, method="equal", submit=True)
    assert north.amounts == {lea: 300_000_00}
    assert north.notices == []

    # the executive takes over South with Sam in it; every team done, the splits are applied
    dl.save_split(
        split=south,
        actor=cast.executive,
        method="manual",
        amounts={sam: 350_000_00, str(cast.other_seller.uuid): 250_000_00},
        submit=True,
    )
    found.refresh_from_db()
    assert found.status == Delegation.Status.APPLIED
    shares = CascadeShare.objects.filter(run=found.run)
    assert shares.aggregate(t=Sum("amount"))["t"] == 900_000_00
    assert shares.filter(seller=cast.seller).aggregate(t=Sum("amount"))["t"] == 350_000_00
    levels = SellerExplanation.objects.get(run=found.run, seller=cast.seller).data["levels"]
    assert [(lv["team"], lv["amount"]) for lv in levels] == [
        ("South", 600_000_00),
        ("South", 350_000_00),
    ]


def test_moving_back_restores_the_shares(cast: Cast, fy: int) -> None:
    found = _open(cast, fy)
    _move_sam(cast, fy)
    move_member(
        member=cast.seller,
        actor=cast.admin,
        unit=cast.team,
        effective=cast.workspace.calendar.quarter(fy, 3).bounds[0],
    )
    north, south = _splits(found, cast)
    assert (north.amount, south.amount) == (600_000_00, 300_000_00)
    found.refresh_from_db()
    assert found.moved == {}
    assert str(cast.seller.uuid) in dl.team_inputs(north).keys


def test_no_window_open_nothing_follows(cast: Cast, fy: int) -> None:
    found = _open(cast, fy)
    Delegation.objects.filter(pk=found.pk).update(status=Delegation.Status.APPLIED)
    _move_sam(cast, fy)
    north, _south = _splits(found, cast)
    assert north.amount == 600_000_00
    assert north.notices == []


def test_the_lead_is_told_what_the_move_did(cast: Cast, fy: int, login) -> None:
    found = _open(cast, fy)
    _move_sam(cast, fy)
    north, _south = _splits(found, cast)
    page = login(cast.lead).get(f"/targets/splits/{north.uuid}/").content.decode()
    day = format_day(cast.workspace.calendar.quarter(fy, 2).bounds[0], "en")
    assert (
        f"Sam Seller moved to South on {day}: their {format_money(300_000_00, 'EUR', 'en')}" in page
    )
    assert f"Your split must now sum to {format_money(300_000_00, 'EUR', 'en')}." in page
    french = (
        login(cast.lead)
        .get(f"/targets/splits/{north.uuid}/", HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    assert f"doit maintenant totaliser {format_money(300_000_00, 'EUR', 'fr')}" in french
