"""The executive's forecast page at scale: as many queries and rendered rows whatever the number
of teams and sellers (team rows paged, with their count), and the cached roll-up of the calls
never served stale (a call saved, a seller moved)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pacte.accounts.models import Membership
from pacte.org.services import move_member
from pacte.pipeline import selectors, services
from pacte.pipeline.models import Call
from pacte.pipeline.tests.helpers import many_teams, quarter
from pacte.pipeline.views import TEAMS_PER_PAGE
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db

URL = "/forecast/company/"


def _count(client) -> int:  # type: ignore[no-untyped-def]
    """Queries of the page on a warm cache."""
    assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_page_reads_as_many_queries_whatever_the_teams_and_sellers(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    client = login(cast.executive)
    many_teams(cast, 2, 2, "Few")
    few = _count(client)
    many_teams(cast, TEAMS_PER_PAGE + 10, 4, "Many")
    assert _count(client) == few
    assert _count(client) == few


def test_the_teams_are_paged_by_name_with_their_count(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    many_teams(cast, TEAMS_PER_PAGE + 3, 1, "Zone")  # with North and South: 30 teams
    client = login(cast.executive)
    first = client.get(URL).content.decode()
    second = client.get(URL + "?page=2").content.decode()
    assert first.count('data-testid="team-') - first.count('data-testid="team-count"') == 25
    assert second.count('data-testid="team-') - second.count('data-testid="team-count"') == 5
    assert "30 teams" in first
    assert "1 to 25 shown" in first
    assert "26 to 30 shown" in second
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first
    assert f'data-testid="team-{cast.team.uuid}"' in first  # North, before the Zones
    assert "Zone 027" in second
    # the company's totals sum every team on every page
    total = first[first.index('data-testid="company-call"') :].split("</td>")[0]
    assert total == second[second.index('data-testid="company-call"') :].split("</td>")[0]
    data = selectors.company_forecast(cast.executive, quarter(cast))
    assert data["seller_commit"] == 100 * (TEAMS_PER_PAGE + 3)
    assert len(data["teams"]) == 30  # without a page: every team (the API)


def test_the_count_is_in_french(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    many_teams(cast, TEAMS_PER_PAGE, 1, "Zone")
    cast.executive.user.language = "fr"
    cast.executive.user.save(update_fields=["language"])
    html = login(cast.executive).get(URL).content.decode()
    assert "27 équipes" in html
    assert "1 à 25 affichées, par nom" in html


def test_a_saved_call_is_seen_at_once(cast: Cast) -> None:
    period = quarter(cast)
    services.set_call(
        actor=cast.seller, seller=cast.seller, period_key=period.key, commit=1_000, best_case=1_000
    )
    north = _north(cast)
    assert north.seller_commit == 1_000
    services.set_call(
        actor=cast.seller,
        seller=cast.seller,
        period_key=period.key,
        commit=3_000,
        best_case=4_000,
        version=Call.objects.get(member=cast.seller).version,
    )
    assert _north(cast).seller_commit == 3_000


def test_a_moved_sellers_call_follows_them(cast: Cast) -> None:
    period = quarter(cast)
    services.set_call(
        actor=cast.seller, seller=cast.seller, period_key=period.key, commit=1_000, best_case=1_000
    )
    assert _north(cast).seller_commit == 1_000
    move_member(member=cast.seller, actor=None, unit=cast.other_team)
    assert _north(cast).seller_commit == 0
    assert _north(cast, cast.other_team.pk).seller_commit == 1_000


def _north(cast: Cast, unit_id: int | None = None) -> selectors.TeamRow:
    """A team's row as a new request reads it (a fresh executive: no memo carried over)."""
    viewer = Membership.objects.select_related("workspace").get(pk=cast.executive.pk)
    data = selectors.company_forecast(viewer, quarter(cast))
    return next(r for r in data["teams"] if r.unit.pk == (unit_id or cast.team.pk))
