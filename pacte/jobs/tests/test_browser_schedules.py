"""An admin on a phone moves the weekly digest to Tuesday 07:30 and sees its next run."""

from __future__ import annotations

import pytest

from pacte.testing.cast import PASSWORD, build_cast


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_moves_the_digest_on_a_phone(live_server, page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    build_cast()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("E-mail").fill("admin@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/account/settings/")
    page.get_by_role("link", name="Schedules: digests, reminders, snapshots").click()
    page.wait_for_url("**/settings/schedules/")
    digest = page.locator("#schedule-digest")
    assert digest.get_by_role("heading", name="Weekly digest").is_visible()
    digest.get_by_label("Day of the week").select_option(label="Tuesday")
    digest.get_by_label("Time").fill("07:30")
    digest.get_by_role("button", name="Save").click()
    page.wait_for_url("**/settings/schedules/")
    assert page.get_by_text("Changes saved.").is_visible()
    next_run = page.locator("#schedule-digest dd").nth(1).inner_text()
    assert "7:30" in next_run
    box = page.locator("article").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390, "the schedules do not fit a phone's width"
