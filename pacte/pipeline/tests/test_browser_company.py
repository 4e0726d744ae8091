"""In Chromium: the executive's company forecast with 30 teams pages them, 25 at a time, with
their count; on a phone (390 px) in French the count and the pager fit the screen, on a desktop
every column of the team table shows without scrolling sideways."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from pacte.pipeline.tests.helpers import many_teams
from pacte.testing.cast import PASSWORD, build_cast


def _login(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/account/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_team_pages_fit_a_phone_and_a_desktop(live_server: Any, page: Any) -> None:
    cast = build_cast()
    many_teams(cast, 28, 1, "Zone")
    connection.close()  # the live server's thread reads the same SQLite file
    url = live_server.url
    _login(page, url, cast.executive.user.email)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/forecast/company/")
    assert "30 teams" in page.get_by_test_id("team-count").inner_text()
    table = page.locator("table#teams")
    assert table.locator("tbody tr").count() == 25
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    page.get_by_role("link", name="Next").click()
    page.wait_for_url("**page=2**")
    assert table.locator("tbody tr").count() == 5
    assert "26 to 30 shown" in page.get_by_test_id("team-count").inner_text()

    cast.executive.user.language = "fr"
    cast.executive.user.save(update_fields=["language"])
    connection.close()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/forecast/company/")
    count = page.get_by_test_id("team-count")
    assert "30 équipes" in count.inner_text()
    for element in (count, page.get_by_role("navigation", name="Pages")):
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
