"""In Chromium: the realism of "My objective" follows what the seller types (htmx, before the
field is left), in English and in French."""

from __future__ import annotations

from typing import Any

import pytest

from pacte.objectives import references
from pacte.objectives.tests.conftest import publish
from pacte.sales.models import CubeCell
from pacte.testing.cast import PASSWORD, build_cast, next_fiscal_year

pytestmark = pytest.mark.browser


def _login(pg: Any, url: str, email: str) -> None:
    pg.goto(f"{url}/account/login/")
    pg.get_by_label("E-mail").fill(email)
    pg.get_by_label("Password").fill(PASSWORD)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(f"{url}/")


@pytest.mark.django_db(transaction=True)
def test_typing_updates_the_realism(live_server: Any, page: Any) -> None:
    cast = build_cast()
    fy = next_fiscal_year(cast)
    publish(cast, fy, {cast.seller: 120_000_00, cast.lead: 120_000_00})
    CubeCell.objects.bulk_create(
        CubeCell(
            workspace=cast.workspace,
            seller=cast.seller,
            unit=cast.team,
            channel=cast.channel,
            month=m,
            split_amount=100_000_00 // 12 + (1 if i < 100_000_00 % 12 else 0),
        )
        for i, m in enumerate(references.fy_months(cast.workspace, fy - 1))
    )
    url = live_server.url
    _login(page, url, cast.seller.user.email)
    page.goto(f"{url}/objectives/mine/?fy={fy}")
    headline = page.get_by_test_id("realism-headline")
    field = page.get_by_label("Annual amount (EUR)")
    field.fill("")
    with page.expect_response(lambda r: "/objectives/mine/realism/" in r.url):
        field.press_sequentially("165000", delay=20)
    headline.filter(has_text="Very ambitious: far above your history").wait_for()
    assert (
        page.get_by_test_id("realism").get_by_text("+65% on your sales of last year").is_visible()
    )
    assert field.evaluate("el => el === document.activeElement")  # still typing, not swapped
    field.fill("110000")  # fill() fires one input event
    headline.filter(has_text="Realistic: in line with your history").wait_for()
    field.fill("beaucoup")
    page.get_by_test_id("realism").get_by_text("is not an amount").wait_for()

    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    field = page.get_by_label("Montant annuel (EUR)")
    field.fill("165000")
    page.get_by_test_id("realism-headline").filter(
        has_text="Très ambitieux\u00a0: très au-dessus de votre historique"
    ).wait_for()
