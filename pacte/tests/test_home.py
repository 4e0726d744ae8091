"""The home page: what waits for each role (decisions, unread notifications, their objective and
check-in, their team's or the company's missing proposals and check-ins), in a fixed number of
queries."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from pacte.objectives.models import CheckIn, Notification, Objective, Status
from pacte.objectives.selectors import waiting_for
from pacte.objectives.services import week_of
from pacte.org.services import create_member
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def _years(cast: Cast) -> tuple[int, int]:
    current = cast.workspace.calendar.year_of(timezone.localdate())
    return current, current + 1  # no window: the year being set is the next one


def _objective(seller: Any, fy: int, status: str, handler: Any = None) -> Objective:
    return Objective.objects.create(
        workspace=seller.workspace,
        seller=seller,
        fiscal_year=fy,
        status=status,
        amount=100_000_00,
        handler=handler,
    )


def _check_in(objective: Objective, day: datetime.date) -> None:
    CheckIn.objects.create(
        workspace=objective.workspace, objective=objective, week=week_of(day), confidence=7
    )


@pytest.fixture
def year(cast: Cast) -> dict[str, int]:
    """The lead's team: the seller agreed this year and checked in this week, proposed next
    year; the lead agreed this year, not checked in, no proposal next year. The other team's
    seller agreed this year (checked in last week only) and waits for the lead's decision."""
    current, setting = _years(cast)
    today = timezone.localdate()
    _check_in(_objective(cast.seller, current, Status.AGREED), today)
    _objective(cast.seller, setting, Status.AGREED)
    _objective(cast.lead, current, Status.AGREED)
    last_week = _objective(cast.other_seller, current, Status.AGREED)
    _check_in(last_week, today - datetime.timedelta(days=7))
    _objective(cast.other_seller, setting, Status.PROPOSED, handler=cast.lead)
    Notification.objects.create(workspace=cast.workspace, recipient=cast.lead, kind="proposed")
    Notification.objects.create(
        workspace=cast.workspace, recipient=cast.lead, kind="agreed", read_at=timezone.now()
    )
    return {"current": current, "setting": setting}


def test_a_seller_sees_their_objective_and_this_weeks_check_in(cast: Cast, year) -> None:
    waiting = waiting_for(cast.seller)
    assert (waiting.fiscal_year, waiting.own_status) == (year["setting"], Status.AGREED)
    assert waiting.check_in_objective is not None
    assert waiting.check_in_due is False
    assert (waiting.decisions, waiting.unread, waiting.scope) == (0, 0, None)


def test_a_lead_sees_their_decisions_and_their_teams_gaps(cast: Cast, year) -> None:
    waiting = waiting_for(cast.lead)
    assert (waiting.decisions, waiting.unread) == (1, 1)
    assert waiting.own_status is None
    assert waiting.check_in_due is True
    # the team is the seller (the lead apart): proposed next year, checked in this week
    assert (waiting.scope, waiting.sellers, waiting.missing, waiting.check_ins_due) == (
        "team",
        1,
        0,
        0,
    )


def test_an_executive_sees_the_whole_company(cast: Cast, year) -> None:
    waiting = waiting_for(cast.executive)
    assert not waiting.is_seller
    assert waiting.check_in_objective is None
    # lead, seller, other seller: the lead has not proposed; the lead and the other seller have
    # not checked in this week
    assert (waiting.scope, waiting.sellers, waiting.missing, waiting.check_ins_due) == (
        "company",
        3,
        1,
        2,
    )


def test_the_home_page_shows_the_counts_in_each_language(cast: Cast, year, login) -> None:
    client = login(cast.lead)
    page = client.get("/").content.decode()
    assert "1</strong> decision waits for you" in page
    assert "1</strong> unread notification" in page
    assert "Due this week" in page
    assert "0</strong> of 1 sellers have not proposed" in page
    client.post("/account/language/", {"language": "fr", "next": "/"})
    page = client.get("/").content.decode()
    assert "1</strong> décision vous attend" in page
    assert "À faire cette semaine" in page


@pytest.mark.parametrize("role", ["seller", "lead", "executive"])
def test_the_home_page_reads_a_fixed_number_of_queries(
    cast: Cast, year, login, role: str, django_assert_num_queries
) -> None:
    """However many sellers, objectives, check-ins and notifications there are."""
    client = login(getattr(cast, role))
    expected = {"seller": 7, "lead": 9, "executive": 7}[role]
    with django_assert_num_queries(expected):
        assert client.get("/").status_code == 200
    current, setting = year["current"], year["setting"]
    for n in range(12):
        seller = create_member(
            workspace=cast.workspace,
            actor=None,
            email=f"more{n}@acme.example",
            name=f"More {n}",
            roles={"seller"},
            unit=cast.team,
            joined_on=datetime.date(2020, 1, 1),
        )
        _check_in(_objective(seller, current, Status.AGREED), timezone.localdate())
        _objective(seller, setting, Status.PROPOSED, handler=getattr(cast, role))
        Notification.objects.create(
            workspace=cast.workspace, recipient=getattr(cast, role), kind="proposed"
        )
    with django_assert_num_queries(expected):
        assert client.get("/").status_code == 200
