"""The accuracy and bias of the pipeline calls of the last closed quarter on the cockpit and
the team view, in the reader's language and number format."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone, translation

from pacte.accounts.models import Workspace
from pacte.pipeline import services, snapshots
from pacte.pipeline.models import Call, CallLevel
from pacte.planning.labels import period_label
from pacte.sales.models import CubeCell
from pacte.templatetags_builtin import percent
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(cast: Cast) -> Cast:
    """Last quarter: the seller called 8,000 then 12,000 and sold 10,000 (error 20 %, no bias);
    the lead's team call was 15,000 every week (team sold 10,000: bias +50 %)."""
    past = snapshots.previous_quarter(cast.workspace, timezone.localdate())
    for i, commit in enumerate((8_000, 12_000)):
        day = past.bounds[0] + datetime.timedelta(days=7 * (i + 1))
        common = {"workspace": cast.workspace, "period": past.key, "week": services.week_of(day)}
        Call.objects.create(
            member=cast.seller, level=CallLevel.SELLER, commit=commit, best_case=commit, **common
        )
        Call.objects.create(
            member=cast.lead,
            unit=cast.team,
            level=CallLevel.TEAM,
            commit=15_000,
            best_case=15_000,
            **common,
        )
        snapshots.snapshot_week(workspace=cast.workspace, day=day)
    CubeCell.objects.create(
        workspace=cast.workspace,
        seller=cast.seller,
        unit=cast.team,
        channel=cast.channel,
        month=past.month_indexes.start,
        split_amount=10_000,
    )
    Workspace.objects.filter(pk=cast.workspace.pk).update(cube_version=F("cube_version") + 1)
    cache.clear()
    return cast


def _html(client, member, url: str, language: str) -> str:  # type: ignore[no-untyped-def]
    member.user.language = language
    member.user.save(update_fields=["language"])
    client.force_login(member.user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_cockpit_shows_the_accuracy_of_the_sellers_calls(
    closed: Cast, client, language
) -> None:  # type: ignore[no-untyped-def]
    html = _html(client, closed.seller, f"/insights/sellers/{closed.seller.uuid}/", language)
    past = snapshots.previous_quarter(closed.workspace, timezone.localdate())
    with translation.override(language):
        title = "Justesse des prévisions" if language == "fr" else "Accuracy of the calls"
        assert f"{title}, {period_label(past)}" in html
        assert f'<td class="num">{percent(0.2)}</td>' in html  # error
        assert f'<td class="num">{percent(0.0)}</td>' in html  # bias
    assert 'id="call-accuracy-title"' in html


def test_the_cockpit_of_a_lead_shows_their_team_call(closed: Cast, client) -> None:  # type: ignore[no-untyped-def]
    html = _html(client, closed.lead, f"/insights/sellers/{closed.lead.uuid}/", "en")
    with translation.override("en"):
        assert f'<td class="num">{percent(0.5)}</td>' in html  # over-called by half


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_team_view_shows_each_sellers_and_the_leads_accuracy(
    closed: Cast, client, language
) -> None:  # type: ignore[no-untyped-def]
    html = _html(client, closed.lead, f"/insights/teams/{closed.team.uuid}/", language)
    section = html[html.index('id="call-accuracy-title"') :]
    section = section[: section.index("</section>")]
    assert closed.seller.name in section
    assert closed.lead.name in section
    with translation.override(language):
        assert percent(0.2) in section
        assert percent(0.5) in section
        assert ("Équipe" if language == "fr" else "Team") in section


def test_no_section_without_snapshots(cast: Cast, client) -> None:  # type: ignore[no-untyped-def]
    html = _html(client, cast.seller, f"/insights/sellers/{cast.seller.uuid}/", "en")
    assert "call-accuracy-title" not in html


def test_a_seller_of_another_team_is_not_in_the_team_accuracy(closed: Cast, client) -> None:  # type: ignore[no-untyped-def]
    html = _html(client, closed.lead, f"/insights/teams/{closed.team.uuid}/", "en")
    section = html[html.index('id="call-accuracy-title"') :]
    assert closed.other_seller.name not in section[: section.index("</section>")]


def test_a_seller_of_another_team_sees_no_call_of_that_team(closed: Cast, client) -> None:  # type: ignore[no-untyped-def]
    html = _html(client, closed.other_seller, f"/insights/teams/{closed.team.uuid}/", "en")
    assert "call-accuracy-title" not in html
