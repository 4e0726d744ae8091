"""A partner's manager signs in (in French), proposes the partner's commitment, and its
channel manager (in English) agrees in one step; the partner then sees it agreed."""

from __future__ import annotations

import pytest

from pacte.objectives.models import Objective
from pacte.partners.tests.helpers import add_person, make_partner
from pacte.testing.cast import PASSWORD, build_cast, next_fiscal_year


def _sign_in(page, url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/account/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_partner_proposes_and_the_channel_manager_agrees(live_server, page) -> None:  # type: ignore[no-untyped-def]
    cast = build_cast()
    fy = next_fiscal_year(cast)
    partner = make_partner(cast)
    person = add_person(partner, "paula@alpine.example", name="Paula Partner")
    person.user.language = "fr"
    person.user.save(update_fields=["language"])

    # The partner's manager, in French: only their organisation's page.
    _sign_in(page, live_server.url, "paula@alpine.example")
    page.wait_for_url("**/partner/**")
    assert page.get_by_role("heading", name="Alpine Distribution").is_visible()
    assert page.get_by_role("link", name="Nos chiffres").is_visible()
    assert page.get_by_role("link", name="Équipes").count() == 0
    page.goto(f"{live_server.url}/partner/?fy={fy}")
    page.get_by_label("Notre engagement pour l'exercice").fill("25 000,50")
    page.get_by_label("Comment nous l'atteindrons").fill("Deux salons")
    page.get_by_role("button", name="Proposer").click()
    page.wait_for_url(f"**/partner/?fy={fy}")
    assert page.get_by_test_id("partner-pending").is_visible()
    assert "Lea Lead" in page.get_by_test_id("partner-pending").inner_text()
    response = page.goto(f"{live_server.url}/teams/")
    assert response is not None
    assert response.status == 404
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/account/login/")

    # The channel manager, in English, agrees in one step.
    objective = Objective.objects.get(seller=partner.seat, fiscal_year=fy)
    assert objective.amount == 2_500_050
    _sign_in(page, live_server.url, cast.lead.user.email)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/objectives/o/{objective.uuid}/")
    page.get_by_role("button", name="Agree").click()
    page.wait_for_load_state()
    objective.refresh_from_db()
    assert objective.status == "agreed"
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/account/login/")

    # The partner sees its commitment agreed.
    _sign_in(page, live_server.url, "paula@alpine.example")
    page.wait_for_url("**/partner/**")
    page.goto(f"{live_server.url}/partner/?fy={fy}")
    assert page.get_by_test_id("partner-status").inner_text() == "Validé"
