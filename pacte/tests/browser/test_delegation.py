"""In Chromium: the executive publishes the teams' shares, a lead splits with a hold (the live
sum), submits; the executive sees the team done; the seller's "why my number" shows both
levels, in English and in French."""

from __future__ import annotations

from typing import Any

import pytest

from pacte.planning import runs, services
from pacte.planning.models import Delegation, SplitStatus, TeamSplit
from pacte.testing.cast import PASSWORD, build_cast, next_fiscal_year

pytestmark = pytest.mark.browser

LABELS = {
    "en": {"email": "E-mail", "password": "Password", "login": "Log in"},
    "fr": {"email": "E-mail", "password": "Mot de passe", "login": "Se connecter"},
}


def _login(browser: Any, url: str, member: Any, language: str = "en") -> Any:
    context = browser.new_context(locale="fr-FR" if language == "fr" else "en-GB")
    page = context.new_page()
    page.goto(f"{url}/account/login/")
    labels = LABELS[language]
    page.get_by_label(labels["email"]).fill(member.user.email)
    page.get_by_label(labels["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=labels["login"], exact=True).click()
    page.wait_for_url(f"{url}/")
    return page


@pytest.mark.django_db(transaction=True)
def test_executive_delegates_lead_splits_with_a_hold_seller_sees_both_levels(
    live_server: Any, browser: Any
) -> None:
    cast = build_cast()
    fy = next_fiscal_year(cast)
    services.set_company_target(
        workspace=cast.workspace, actor=None, fiscal_year=fy, amount=900_000_00
    )
    run = runs.publish_run(
        run=runs.create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={}),
        actor=None,
    )
    url = live_server.url

    # the executive publishes the teams' shares and opens the window
    boss = _login(browser, url, cast.executive)
    boss.goto(f"{url}/targets/runs/{run.uuid}/")
    boss.get_by_role("button", name="Teams' split by the leads").click()
    boss.get_by_role("button", name="Open the teams' split").click()
    boss.get_by_text("The leads can now split their teams' shares.").wait_for()
    delegation = Delegation.objects.get(run=run)
    north = TeamSplit.objects.get(delegation=delegation, unit=cast.team)

    # the lead splits North with a hold on Sam; the live sum allows Submit
    lead = _login(browser, url, cast.lead)
    lead.goto(f"{url}/targets/splits/")
    lead.get_by_role("link", name="North").click()
    lead.locator("#live-sum[data-exact='1']").wait_for()
    lead.get_by_label("Hold for Sam Seller").fill("100,000.00")
    lead.get_by_role("cell", name="€100,000").first.wait_for()
    assert lead.locator("#live-sum").get_attribute("data-exact") == "1"
    # amounts by hand that do not sum: Submit is disabled until they do
    lead.get_by_role("combobox", name="Method").select_option("manual")
    lead.get_by_label("Amount for Sam Seller").fill("100,000.00")
    lead.locator("#live-sum[data-exact='0']").wait_for()
    assert lead.locator("#split-submit").is_disabled()
    lead.get_by_role("combobox", name="Method").select_option("equal")
    lead.locator("#live-sum[data-exact='1']").wait_for()
    lead.locator("#split-submit").click()
    lead.get_by_text("Your split of North is submitted.").wait_for()
    north.refresh_from_db()
    assert north.status == SplitStatus.SUBMITTED
    assert north.amounts[str(cast.seller.uuid)] == 100_000_00

    # the executive sees North done, locks South: every team is done
    boss.goto(f"{url}/targets/runs/{run.uuid}/delegation/")
    row = boss.locator("#delegation-teams tr", has_text="North")
    assert row.get_attribute("data-state") == "done"
    boss.locator("#delegation-teams tr", has_text="South").get_by_role(
        "button", name="Lock"
    ).click()
    boss.get_by_text("Every team is done").wait_for()

    # the seller's "why my number", in English and in French
    seller = _login(browser, url, cast.seller)
    seller.goto(f"{url}/targets/sellers/{cast.seller.uuid}/?year=FY{fy}")
    levels = seller.locator("#levels")
    assert "The company gave your team North" in levels.inner_text()
    assert "Lea Lead, lead of North, gave you €100,000" in levels.inner_text()
    seller_fr = _login(browser, url, cast.seller, "fr")
    seller_fr.goto(f"{url}/targets/sellers/{cast.seller.uuid}/?year=FY{fy}")
    text = seller_fr.locator("#levels").inner_text()
    assert "L'entreprise a donné" in text
    assert "Lea Lead, responsable de North, vous a donné" in text
