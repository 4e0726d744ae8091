"""In Chromium: publishing a run opens a dialog that says what changes; cancel closes it,
confirming publishes. A changed target then offers a re-run."""

from __future__ import annotations

from typing import Any

import pytest

from pacte.planning import runs, services
from pacte.planning.models import CascadeRun, RunStatus
from pacte.testing.cast import PASSWORD, build_cast, next_fiscal_year

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_publish_through_the_dialog_then_rerun_for_a_new_target(
    live_server: Any, page: Any
) -> None:
    cast = build_cast()
    fy = next_fiscal_year(cast)
    services.set_company_target(
        workspace=cast.workspace, actor=None, fiscal_year=fy, amount=1_000_000_00
    )
    first = runs.create_run(workspace=cast.workspace, actor=None, fiscal_year=fy, parameters={})
    runs.publish_run(run=first, actor=None)
    second = runs.create_run(
        workspace=cast.workspace,
        actor=None,
        fiscal_year=fy,
        parameters={"exclusions": [str(cast.other_seller.uuid)]},
    )
    url = live_server.url
    page.goto(f"{url}/account/login/")
    page.get_by_label("E-mail").fill(cast.executive.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")

    page.goto(f"{url}/targets/runs/{second.uuid}/")
    page.get_by_role("button", name="Publish as the reference…").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "3 sellers of 3 change" in dialog.inner_text()
    assert dialog.get_by_role("cell", name="Olga Other").is_visible()
    assert page.url == f"{url}/targets/runs/{second.uuid}/"  # a dialog, not a new page
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden")
    second.refresh_from_db()
    assert second.status == RunStatus.DRAFT

    page.get_by_role("button", name="Publish as the reference…").click()
    page.get_by_role("dialog").get_by_role("button", name="Publish run #2").click()
    page.get_by_text("Run #2 is now the reference").wait_for()
    second.refresh_from_db()
    assert second.status == RunStatus.PUBLISHED

    page.goto(f"{url}/targets/?year=FY{fy}")
    page.locator("#id_amount").fill("1200000")
    page.get_by_role("button", name="Save the target").click()
    page.get_by_test_id("target-drift").wait_for()
    page.get_by_role("button", name="Re-run with the same inputs and the new target").click()
    page.get_by_text("Draft run #3 cascades the new target").wait_for()
    assert CascadeRun.objects.get(number=3).total == 1_200_000_00
