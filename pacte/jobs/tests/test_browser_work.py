"""An admin of a large workspace adds a crediting rule on a phone: they land on the job's page,
which follows the worker until the change is done and links back to the rules."""

from __future__ import annotations

import pytest

from pacte.jobs.tests.test_queue import DB_TASKS, make_worker
from pacte.testing.cast import PASSWORD, build_cast


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_queued_rule_change_is_followed_to_its_end(live_server, page, settings) -> None:  # type: ignore[no-untyped-def]
    from pacte.jobs.models import BackgroundJob
    from pacte.sales.models import CreditRule

    settings.TASKS = DB_TASKS
    settings.PACTE_BACKGROUND_RECREDIT_SALES = 0  # every rule change goes to a worker
    build_cast()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("E-mail").fill("admin@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/sales/rules/")
    page.get_by_label("Channel").select_option(label="Field")
    page.get_by_label("Person").select_option(label="Sam Seller")
    page.get_by_role("button", name="Add").click()
    page.wait_for_url("**/jobs/*/")
    assert page.get_by_text("the change and the new credits are applied in the").is_visible()
    assert page.get_by_test_id("job-status").inner_text() == "Queued"
    assert not CreditRule.objects.exists()

    worker = make_worker()
    result = worker._claim()
    assert result is not None
    worker.run_task(result)

    page.get_by_role("link", name="See the rules").wait_for(timeout=10_000)
    assert page.get_by_test_id("job-status").inner_text() == "Done"
    assert BackgroundJob.objects.get().status == "done"
    assert CreditRule.objects.count() == 1
    box = page.locator("article").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 390
    page.get_by_role("link", name="See the rules").click()
    page.wait_for_url("**/sales/rules/")
    assert page.get_by_text("Sam Seller").first.is_visible()
