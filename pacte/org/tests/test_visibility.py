"""Who sees whose figures: one matrix, checked against every function, page and API route
that shows a seller's own figures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.http import Http404
from django.test import Client

from pacte.accounts.models import Membership
from pacte.org import visibility
from pacte.testing.cast import Cast

#: (viewer, subject, leaderboard on, sees the subject's figures)
MATRIX = [
    pytest.param("seller", "seller", False, True, id="self"),
    pytest.param("lead", "seller", False, True, id="own-lead"),
    pytest.param("lead", "other_seller", False, False, id="other-lead"),
    pytest.param("lead", "other_seller", True, True, id="other-lead-leaderboard"),
    pytest.param("executive", "other_seller", False, True, id="executive"),
    pytest.param("admin", "seller", False, True, id="admin"),
    pytest.param("seller", "other_seller", False, False, id="peer"),
    pytest.param("seller", "other_seller", True, True, id="peer-leaderboard"),
    pytest.param("seller", "lead", False, False, id="seller-of-own-lead"),
]

Check = Callable[[Cast, Membership, Membership, Callable[[Membership], Client]], bool]


def _can_see(cast: Cast, viewer: Membership, subject: Membership, api) -> bool:  # type: ignore[no-untyped-def]
    return visibility.can_see_seller(viewer, subject)


def _get_seller_for(cast: Cast, viewer: Membership, subject: Membership, api) -> bool:  # type: ignore[no-untyped-def]
    try:
        return visibility.get_seller_for(viewer, subject.uuid) == subject
    except Http404:
        return False


def _visible_sellers(cast: Cast, viewer: Membership, subject: Membership, api) -> bool:  # type: ignore[no-untyped-def]
    return visibility.visible_sellers(viewer).filter(pk=subject.pk).exists()


def _status(response) -> bool:  # type: ignore[no-untyped-def]
    assert response.status_code in (200, 404), response.status_code
    return response.status_code == 200


def _insights_page(cast: Cast, viewer: Membership, subject: Membership, api) -> bool:  # type: ignore[no-untyped-def]
    return _status(_login(viewer).get(f"/insights/sellers/{subject.uuid}/"))


def _share_page(cast: Cast, viewer: Membership, subject: Membership, api) -> bool:  # type: ignore[no-untyped-def]
    return _status(_login(viewer).get(f"/targets/sellers/{subject.uuid}/"))


def _login(member: Membership) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def _insights_api(cast: Cast, viewer: Membership, subject: Membership, api) -> bool:  # type: ignore[no-untyped-def]
    return _status(api(viewer).get(f"/api/v1/insights/summary?seller={subject.uuid}"))


def _team_rows(cast: Cast, viewer: Membership, subject: Membership, api) -> bool:  # type: ignore[no-untyped-def]
    team = cast.team if subject.pk in (cast.seller.pk, cast.lead.pk) else cast.other_team
    response = api(viewer).get(f"/api/v1/insights/attainment?by=seller&team={team.uuid}")
    assert response.status_code == 200
    return str(subject.uuid) in {row["key"] for row in response.json()["items"]}


CHECKS = [
    pytest.param(_can_see, id="can_see_seller"),
    pytest.param(_get_seller_for, id="get_seller_for"),
    pytest.param(_visible_sellers, id="visible_sellers"),
    pytest.param(_insights_page, id="insights-seller-page"),
    pytest.param(_share_page, id="share-explanation-page"),
    pytest.param(_insights_api, id="insights-api-seller-filter"),
    pytest.param(_team_rows, id="insights-api-team-rows"),
]


@pytest.mark.parametrize(("viewer", "subject", "leaderboard", "sees"), MATRIX)
@pytest.mark.parametrize("check", CHECKS)
def test_who_sees_whose_figures(
    check: Check,
    viewer: str,
    subject: str,
    leaderboard: bool,
    sees: bool,
    cast: Cast,
    api_client: Callable[[Membership], Client],
) -> None:
    cast.workspace.leaderboard_enabled = leaderboard
    cast.workspace.save()
    who = Membership.objects.select_related("workspace").get(pk=getattr(cast, viewer).pk)
    assert check(cast, who, getattr(cast, subject), api_client) is sees


def test_another_workspace_seller_is_never_visible(cast: Cast) -> None:
    assert not visibility.can_see_seller(cast.outsider, cast.seller)
    with pytest.raises(Http404):
        visibility.get_seller_for(cast.outsider, cast.seller.uuid)
    assert not visibility.visible_sellers(cast.outsider).filter(pk=cast.seller.pk).exists()
