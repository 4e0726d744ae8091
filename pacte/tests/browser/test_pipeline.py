"""In Chromium: a seller moves a deal to commit and sets their call; the lead adjusts the team
call and submits it; the executive sees it on the company forecast."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from pacte.pipeline.models import Call, CallLevel, Deal
from pacte.pipeline.tests.helpers import load, row
from pacte.testing.cast import PASSWORD, build_cast

pytestmark = pytest.mark.browser


def _login(pg: Any, url: str, email: str) -> None:
    pg.context.clear_cookies()
    pg.goto(f"{url}/account/login/")
    pg.get_by_label("E-mail").fill(email)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{url}/")


@pytest.mark.django_db(transaction=True)
def test_seller_calls_lead_adjusts_executive_sees(live_server: Any, page: Any) -> None:
    cast = build_cast()
    load(cast, [row(cast.seller, "D1", name="Acme renewal", amount="12000")])
    connection.close()  # the live server's thread reads the same SQLite file
    url = live_server.url

    _login(page, url, cast.seller.user.email)
    page.get_by_role("link", name="Forecast").first.click()
    page.get_by_test_id("not-updated").wait_for()
    deal_row = page.get_by_test_id("deal-D1")
    deal_row.get_by_label("Forecast category").select_option("commit")
    deal_row.get_by_role("button", name="Move").click()
    page.get_by_test_id("total-commit").filter(has_text="12").wait_for()
    assert Deal.objects.get(external_id="D1").category == "commit"
    page.get_by_label("Commit", exact=True).fill("12000")
    page.get_by_label("Best case", exact=True).fill("15000")
    page.get_by_label("Note").fill("Acme signs this month")
    page.get_by_label("Acme renewal").check()
    page.get_by_role("button", name="Save my call").click()
    page.get_by_text("Your call is saved for this week.").wait_for()
    assert page.get_by_test_id("not-updated").count() == 0

    _login(page, url, cast.lead.user.email)
    page.goto(f"{url}/forecast/team/")
    page.get_by_test_id("gross-commit").filter(has_text="12").wait_for()
    page.get_by_label("Direction").select_option("down")
    page.get_by_label("Adjustment").fill("2000")
    page.get_by_label("Note").fill("Procurement may slip")
    page.get_by_role("button", name="Submit the team call").click()
    page.get_by_text("The team call is submitted.").wait_for()
    call = Call.objects.get(level=CallLevel.TEAM)
    assert (call.gross_commit, call.commit, call.status) == (1_200_000, 1_000_000, "submitted")

    _login(page, url, cast.executive.user.email)
    page.goto(f"{url}/forecast/company/")
    team = page.get_by_test_id(f"team-{cast.team.uuid}")
    team.filter(has_text="Procurement may slip").wait_for()
    assert "10" in page.get_by_test_id("company-call").inner_text()
    assert "Submitted" in team.inner_text()
