"""The two levels of a reference share (the company gave the team X, the lead gave the seller Y)
are said wherever the share is shown and explained: "why my number", the reconciliation of a
team and the insights of a seller, in English and in French, amounts in the reader's locale."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from pacte.lib.money import format_money
from pacte.planning import delegation as dl
from pacte.planning import runs, services
from pacte.planning.labels import level_sentences, method_label
from pacte.planning.models import Delegation, TeamSplit
from pacte.planning.selectors import levels_of
from pacte.testing.cast import Cast


def _applied(cast: Cast, fy: int) -> Delegation:
    """900 000.00 over three sellers (300 000.00 each; North 600 000.00); North's lead holds
    Sam at 400 000.00 and submits; the executive locks South: the splits are the run's."""
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
    found = dl.open_delegation(
        run=run,
        actor=cast.executive,
        opens_on=today,
        closes_on=today + datetime.timedelta(days=14),
    )
    dl.save_split(
        split=TeamSplit.objects.get(delegation=found, unit=cast.team),
        actor=cast.lead,
        method="equal",
        parameters={"holds": {str(cast.seller.uuid): 400_000_00}},
        submit=True,
    )
    dl.lock_split(
        split=TeamSplit.objects.get(delegation=found, unit=cast.other_team), actor=cast.executive
    )
    found.refresh_from_db()
    assert found.status == Delegation.Status.APPLIED
    return found


def _text(client: Client, url: str, language: str = "en") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


def money(amount: int, language: str = "en") -> str:
    return format_money(amount, "EUR", language)


def test_levels_of_reads_the_published_run_in_one_query(
    cast: Cast, fy: int, django_assert_num_queries
) -> None:
    assert levels_of(cast.seller, fy) == []  # nothing published
    _applied(cast, fy)
    with django_assert_num_queries(1):
        levels = levels_of(cast.seller, fy)
    assert [(lv["by"], lv["team"], lv["amount"]) for lv in levels] == [
        ("company", "North", 600_000_00),
        ("lead", "North", 400_000_00),
    ]
    assert levels[1]["held"] is True
    assert levels_of(cast.other_seller, fy)[1]["method"] == "run"  # South locked as it was


def test_sentences_about_someone_else_name_them(cast: Cast, fy: int) -> None:
    _applied(cast, fy)
    mine = level_sentences(levels_of(cast.seller, fy), "EUR")
    theirs = level_sentences(levels_of(cast.seller, fy), "EUR", subject="Sam Seller")
    assert mine[0].startswith(f"The company gave your team North {money(600_000_00)}")
    assert mine[1].startswith(f"Lea Lead, lead of North, gave you {money(400_000_00)}")
    assert theirs[0].startswith(f"The company gave North {money(600_000_00)}")
    assert theirs[1].startswith(f"Lea Lead, lead of North, gave Sam Seller {money(400_000_00)}")
    assert theirs[1].endswith("held at that amount.")


def test_reconciliation_says_both_levels_for_each_seller(
    cast: Cast, fy: int, login, django_assert_max_num_queries
) -> None:
    client = login(cast.lead)
    url = f"/objectives/reconciliation/?fy={fy}&unit={cast.team.uuid}"
    assert "The company gave North" not in _text(client, url)  # not split by the leads yet
    _applied(cast, fy)
    page = _text(client, url)
    equal = method_label("equal")
    assert f"The company gave North {money(600_000_00)}, by the method “{equal}”." in page
    assert (
        f"Lea Lead, lead of North, gave Sam Seller {money(400_000_00)}, by the method “{equal}”, "
        "held at that amount." in page
    )
    assert f"Lea Lead, lead of North, gave Lea Lead {money(200_000_00)}" in page
    french = _text(client, url, "fr")
    assert f"L'entreprise a donné {money(600_000_00, 'fr')} à l'équipe North" in french
    assert (
        f"Lea Lead, responsable de North, a donné {money(400_000_00, 'fr')} à Sam Seller" in french
    )
    assert money(600_000_00, "fr") != money(600_000_00)
    # the sentences come from the one read of the reference shares: no query per seller
    with django_assert_max_num_queries(40) as before:
        client.get(url)
    from pacte.testing.cast import _member

    for i in range(3):
        _member(cast.workspace, f"x{i}@acme.example", f"Xavier {i}", {"seller"}, cast.team)
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(url)


def test_insights_of_a_seller_say_both_levels(cast: Cast, fy: int, login) -> None:
    url = f"/insights/sellers/{cast.seller.uuid}/?period=FY{fy}"
    assert 'id="levels"' not in _text(login(cast.seller), url)
    _applied(cast, fy)
    mine = _text(login(cast.seller), url)
    assert f"The company gave your team North {money(600_000_00)}" in mine
    assert f"Lea Lead, lead of North, gave you {money(400_000_00)}" in mine
    assert f"/targets/sellers/{cast.seller.uuid}/?year=FY{fy}" in mine
    theirs = _text(login(cast.lead), url)
    assert f"Lea Lead, lead of North, gave Sam Seller {money(400_000_00)}" in theirs
    french = _text(login(cast.seller), url, "fr")
    assert f"L'entreprise a donné {money(600_000_00, 'fr')} à votre équipe North" in french
    assert f"Lea Lead, responsable de North, vous a donné {money(400_000_00, 'fr')}" in french
    assert "D'où vient la cible" in french


@pytest.mark.parametrize("language", ["en", "fr"])
def test_why_my_number_and_insights_agree(cast: Cast, fy: int, login, language: str) -> None:
    _applied(cast, fy)
    client = login(cast.seller)
    why = _text(client, f"/targets/sellers/{cast.seller.uuid}/?year=FY{fy}", language)
    insights = _text(client, f"/insights/sellers/{cast.seller.uuid}/?period=FY{fy}", language)
    from django.utils import translation

    with translation.override(language):
        sentences = level_sentences(levels_of(cast.seller, fy), "EUR")
    assert len(sentences) == 2
    for sentence in sentences:
        assert sentence in why
        assert sentence in insights
