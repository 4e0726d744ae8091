"""pacte export attainment, snapshot-forecasts, send-digests."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import translation

from pacte.insights import periods, services
from pacte.insights.models import ForecastSnapshot


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("by", "rows"),
    [("seller,quarter", 3 * 4), ("team,month", 2 * 12), ("channel,year", 1), ("company,ytd", 1)],
)
def test_export_attainment_one_row_per_group(sales, quotas, capsys, by, rows):
    call_command("export", "attainment", "--workspace", "acme", "--by", by, "--year", "FY2026")
    out = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert out[0][2:6] == ["target", "objective", "actual", "attainment"]
    assert len(out) - 1 == rows


@pytest.mark.django_db
def test_export_attainment_values(sales, quotas, capsys):
    call_command(
        "export", "attainment", "--workspace", "acme", "--by", "seller,quarter", "--year", "FY2026"
    )
    out = {
        (r["seller"], r["period"]): r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))
    }
    sam = out[("Sam Seller", "FY2026-Q1")]
    assert sam["target"] == "3000"
    assert sam["actual"] == "3900"
    assert sam["attainment"] == "1.3"


@pytest.mark.django_db
def test_export_refuses_bad_input(cast):
    with pytest.raises(CommandError):
        call_command("export", "attainment", "--workspace", "nope")
    with pytest.raises(CommandError):
        call_command("export", "attainment", "--workspace", "acme", "--by", "planet,week")
    with pytest.raises(CommandError):
        call_command("export", "attainment", "--workspace", "acme", "--year", "FY20")


@pytest.mark.django_db
def test_snapshots_feed_forecast_accuracy(sales, quotas, login):
    call_command("snapshot-forecasts", "--workspace", "acme", "--month", "2026-03")
    call_command("snapshot-forecasts", "--workspace", "acme", "--month", "2026-04")
    call_command("snapshot-forecasts", "--workspace", "acme", "--month", "2026-04")  # idempotent
    assert ForecastSnapshot.objects.for_workspace(sales.workspace).count() == 6
    data = (
        login(sales.seller)
        .get(f"/insights/sellers/{sales.seller.uuid}/?period=FY2026")
        .context["data"]
    )
    assert [m["month"] for m in data["accuracy"]["months"]] == ["2026-03", "2026-04"]


@pytest.mark.django_db
def test_digests_in_member_language_skip_opted_out_and_no_email(sales, quotas, capsys):
    services.set_digest_preference(member=sales.other_seller, digest=False, alerts=False)
    sales.lead.user.language = "fr"
    sales.lead.user.save()
    sales.seller.user.email = ""
    sales.seller.user.save(update_fields=["email"])
    call_command("send-digests", "--workspace", "acme")
    out = capsys.readouterr().out
    assert "skipped Olga Other (acme): opted out" in out
    assert "skipped Sam Seller (acme): no e-mail address" in out
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["admin@acme.example", "exec@acme.example", "lead@acme.example"]
    lead_mail = next(m for m in mail.outbox if m.to == ["lead@acme.example"])
    assert "North" in lead_mail.body
    # The period in the member's language ("Ex. 2026"), not its key ("FY2026").
    with translation.override("fr"):
        label = periods.period_label(
            periods.resolve_period(sales.workspace, None).key,
            sales.workspace.calendar,
        )
    assert label.startswith("Ex. ")
    assert f"Votre progression ({label})" in lead_mail.body
    assert "FY20" not in lead_mail.body
