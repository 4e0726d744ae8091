"""The demo executive logs in, opens the teams page, switches to French, and logs out."""

from __future__ import annotations

import pytest

from pacte.samples import demo


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_executive_browses_teams_in_french_and_logs_out(live_server, page) -> None:  # type: ignore[no-untyped-def]
    plan = demo.generate(seed=7, sellers=40)
    demo.load(plan)
    executive = dict(plan.logins())["executive"]

    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("E-mail").fill(executive)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    # Enter in the password field logs in (the form's first button), not single sign-on.
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name="Teams", exact=True).first.click()
    page.wait_for_url("**/teams/")
    assert page.get_by_role("heading", name="Teams").is_visible()
    assert page.get_by_role("link", name="Paris Île-de-France").is_visible()

    page.get_by_role("button", name="Français").click()
    page.wait_for_url("**/teams/")
    assert page.get_by_role("heading", name="Équipes").is_visible()
    assert page.locator("html").get_attribute("lang") == "fr"

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/account/login/")
    assert page.get_by_role("heading", name="Se connecter").is_visible()
