"""An admin enters a CHF rate, imports a sale in Swiss francs, and finds it converted in the
sales list and in insights."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from pacte.testing.cast import PASSWORD, build_cast


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_sale_in_chf_appears_converted(live_server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cast = build_cast()
    page.set_default_timeout(60_000)  # two CPUs shared by a whole test run
    page.goto(f"{live_server.url}/account/login/")
    page.get_by_label("E-mail").fill(cast.admin.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/sales/rates/")
    page.locator("#id_currency").fill("CHF")
    page.locator("#id_date").fill("2026-01-01")
    page.locator("#id_rate").fill("1.05")
    page.get_by_role("button", name="Save").first.click()
    page.wait_for_url("**/sales/rates/")
    assert page.get_by_role("cell", name="1.05", exact=True).is_visible()

    csv = tmp_path / "chf.csv"
    csv.write_text(
        "id,date,amount,currency,channel,seller\n"
        f"CHF-1,2026-01-15,1000.00,CHF,field,{cast.seller.user.email}\n"
    )
    page.goto(f"{live_server.url}/sales/imports/")
    page.get_by_label("CSV or Excel (XLSX) file").set_input_files(str(csv))
    page.get_by_role("button", name="Next: map the columns").click()
    page.wait_for_url("**/mapping/")
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_test_id("import-counts").wait_for()
    assert "1 new" in page.get_by_test_id("import-counts").inner_text()

    page.goto(f"{live_server.url}/sales/")
    row = page.get_by_role("row").filter(has_text="CHF-1")
    text = row.inner_text()
    assert "€1,050.00" in text  # 1,000.00 CHF at 1.05
    assert "CHF" in text
    assert "1,000.00" in text

    fy = cast.workspace.calendar.year_of(datetime.date(2026, 1, 15))
    page.goto(f"{live_server.url}/insights/?period=FY{fy:04d}")
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Sales in other currencies")
    )
    assert section.is_visible()
    assert "CHF" in section.inner_text()
