"""`pacte load-sample adventureworks`: totals checked against sums read directly from the files."""

from __future__ import annotations

import csv
import gzip
import io
import os
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum

from pacte.accounts.models import Membership, Workspace
from pacte.audit.models import AuditEvent
from pacte.sales import selectors
from pacte.sales.models import CubeCell, Sale, SampleQuota
from pacte.sales.services import verify

AW_DIR = Path(
    os.environ.get("PACTE_AW_DIR")
    or Path(__file__).resolve().parents[3].parent / "shared/datasets/adventureworks/raw"
)
needs_data = pytest.mark.skipif(
    not (AW_DIR / "SalesOrderHeader.csv.gz").is_file(),
    reason=f"AdventureWorks sample not found in {AW_DIR} (set PACTE_AW_DIR)",
)


def _cents(text: str) -> int:
    return int(Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) * 100)


def _sums(directory: Path) -> dict[str, dict]:
    """Per channel, per (channel, year) and per sales person, straight from the order file."""
    by_channel: dict[str, int] = defaultdict(int)
    by_year: dict[tuple[str, int], int] = defaultdict(int)
    by_person: dict[int, int] = defaultdict(int)
    with gzip.open(directory / "SalesOrderHeader.csv.gz", "rt", encoding="ascii", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [h.strip() for h in next(reader)]
        for values in reader:
            row = dict(zip(header, values, strict=True))
            channel = "e-commerce" if row["OnlineOrderFlag"] == "1" else "distributors"
            cents = _cents(row["SubTotal"])
            by_channel[channel] += cents
            by_year[channel, int(row["OrderDate"][:4])] += cents
            if row["SalesPersonID"]:
                by_person[int(row["SalesPersonID"])] += cents
    return {"channel": by_channel, "year": by_year, "person": by_person}


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    return _sums(AW_DIR)


def _channel_totals(ws: Workspace) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    rows = selectors.monthly_actuals(ws, range(2011 * 12, 2015 * 12), by=("channel",))
    codes = dict(ws.channels.values_list("pk", "code"))
    channel_totals: dict[str, int] = defaultdict(int)
    year_totals: dict[tuple[str, int], int] = defaultdict(int)
    for r in rows:
        channel_totals[codes[r["channel"]]] += r["split"]
        year_totals[codes[r["channel"]], r["month"] // 12] += r["split"]
    return dict(channel_totals), dict(year_totals)


@needs_data
@pytest.mark.django_db
def test_adventureworks_totals_match_the_files_and_a_second_load_changes_nothing(expected):
    call_command("load-sample", "adventureworks", "--from", str(AW_DIR))
    ws = Workspace.objects.get(slug="adventureworks")
    assert ws.currency == "USD"
    assert Sale.objects.filter(workspace=ws).count() == 31_465

    channel_totals, year_totals = _channel_totals(ws)
    assert channel_totals == dict(expected["channel"])
    assert year_totals == dict(expected["year"])

    emails = {
        m.user.email: m.pk for m in Membership.objects.filter(workspace=ws).select_related("user")
    }
    from pacte.samples import adventureworks as aw

    sample = aw.load(AW_DIR)
    person_totals = {
        p.business_entity_id: CubeCell.objects.filter(
            workspace=ws, seller_id=emails[p.email]
        ).aggregate(s=Sum("split_amount"))["s"]
        for p in sample.sales_people
    }
    assert person_totals == dict(expected["person"])
    assert SampleQuota.objects.filter(workspace=ws).count() == 163
    assert verify(ws) == []

    events = AuditEvent.objects.filter(workspace=ws).count()
    call_command("load-sample", "adventureworks", "--from", str(AW_DIR))
    assert Sale.objects.filter(workspace=ws).count() == 31_465
    assert AuditEvent.objects.filter(workspace=ws).count() == events
    assert Workspace.objects.filter(slug="adventureworks").count() == 1


@pytest.mark.django_db
def test_without_from_the_shipped_copy_is_loaded():
    from pacte.samples import adventureworks as aw

    out = io.StringIO()
    call_command("load-sample", "adventureworks", stdout=out)
    assert "Orders: 31465 new" in out.getvalue()
    ws = Workspace.objects.get(slug="adventureworks")
    expected = _sums(aw.SHIPPED)
    channel_totals, year_totals = _channel_totals(ws)
    assert channel_totals == dict(expected["channel"])
    assert year_totals == dict(expected["year"])
    assert verify(ws) == []
