"""In Chromium: a seller proposes below the reference, the lead returns it with a reason, the
seller proposes above the reference and it is agreed at once; the reconciliation shows it."""

from __future__ import annotations

from typing import Any

import pytest

from pacte.objectives.tests.conftest import publish
from pacte.testing.cast import PASSWORD, build_cast, next_fiscal_year

pytestmark = pytest.mark.browser


def _login(pg: Any, url: str, email: str) -> None:
    pg.context.clear_cookies()
    pg.goto(f"{url}/account/login/")
    pg.get_by_label("E-mail").fill(email)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{url}/")


def _propose(pg: Any, url: str, fy: int, amount: str) -> None:
    pg.goto(f"{url}/objectives/mine/?fy={fy}")
    field = pg.get_by_label("Annual amount (EUR)")
    field.fill(amount)
    with pg.expect_response(lambda r: "/objectives/mine/phasing/" in r.url):
        field.press("Tab")
    pg.get_by_test_id("phasing-summary").filter(has_text="add up to the annual amount").wait_for()
    pg.get_by_role("button", name="Propose").click()
    pg.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_propose_return_repropose_and_reconcile(live_server: Any, page: Any) -> None:
    cast = build_cast()
    fy = next_fiscal_year(cast)
    publish(
        cast, fy, {cast.seller: 120_000_00, cast.lead: 120_000_00, cast.other_seller: 60_000_00}
    )
    url = live_server.url

    _login(page, url, cast.seller.user.email)
    page.get_by_role("link", name="Objectives").first.click()
    _propose(page, url, fy, "100000")
    assert page.get_by_test_id("objective-status").inner_text() == "Proposed"

    _login(page, url, cast.lead.user.email)
    page.goto(f"{url}/objectives/inbox/")
    page.get_by_role("link", name=cast.seller.name, exact=True).click()
    page.get_by_label("Reason (required to return or counter-propose)").fill(
        "Below your reference share"
    )
    page.get_by_role("button", name="Return with reason").click()
    page.get_by_test_id("objective-status").filter(has_text="Returned").wait_for()

    _login(page, url, cast.seller.user.email)
    page.goto(f"{url}/objectives/mine/?fy={fy}")
    assert page.get_by_role("alert").filter(has_text="Below your reference share").is_visible()
    _propose(page, url, fy, "130000")
    assert page.get_by_test_id("objective-status").inner_text() == "Agreed"

    _login(page, url, cast.executive.user.email)
    page.goto(f"{url}/objectives/reconciliation/?fy={fy}")
    assert page.get_by_test_id("agreed").inner_text() == "€130,000"
    assert page.get_by_test_id("target").inner_text() == "€300,000"


@pytest.mark.django_db(transaction=True)
def test_french_seller_types_a_decimal_comma(live_server: Any, page: Any) -> None:
    """In French, "1.234,5" is refused next to the field and nothing is saved; "130 000,50"
    is € 130,000.50 (not a hundred times more) and is agreed at once (reference 120,000)."""
    from pacte.objectives.models import Objective

    cast = build_cast()
    cast.seller.user.language = "fr"
    cast.seller.user.save()
    fy = next_fiscal_year(cast)
    publish(cast, fy, {cast.seller: 120_000_00, cast.lead: 120_000_00})
    url = live_server.url
    _login(page, url, cast.seller.user.email)
    page.goto(f"{url}/objectives/mine/?fy={fy}")
    field = page.get_by_label("Montant annuel (EUR)")
    field.fill("1.234,5")
    page.get_by_role("button", name="Proposer").click()
    page.wait_for_load_state()
    error = page.locator("#id_amount-error")
    assert "n'est pas un montant" in error.inner_text()
    assert page.get_by_label("Montant annuel (EUR)").get_attribute("aria-invalid") == "true"
    assert not Objective.objects.exists()

    field = page.get_by_label("Montant annuel (EUR)")
    field.fill("130 000,50")
    with page.expect_response(lambda r: "/objectives/mine/phasing/" in r.url):
        field.press("Tab")
    page.get_by_test_id("phasing-summary").filter(
        has_text="Le total des mois correspond au montant annuel."
    ).wait_for()
    page.get_by_role("button", name="Proposer").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("objective-status").inner_text() == "Validé"
    objective = Objective.objects.get(seller=cast.seller)
    assert objective.amount == 130_000_50
    assert sum(objective.months) == 130_000_50
    assert page.get_by_label("Montant annuel (EUR)").input_value() == "130000,50"
