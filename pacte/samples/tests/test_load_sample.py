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
from pacte.sales.cube import verify
from pacte.sales.models import CubeCell, Sale

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
    assert Sale.objects.for_workspace(ws).count() == 31_465

    channel_totals, year_totals = _channel_totals(ws)
    assert channel_totals == dict(expected["channel"])
    assert year_totals == dict(expected["year"])

    emails = {
        m.user.email: m.pk for m in Membership.objects.for_workspace(ws).select_related("user")
    }
    from pacte.samples import adventureworks as aw

    sample = aw.load(AW_DIR)
    person_totals = {
        p.business_entity_id: CubeCell.objects.for_workspace(ws)
        .filter(seller_id=emails[p.email])
        .aggregate(s=Sum("split_amount"))["s"]
        for p in sample.sales_people
    }
    assert person_totals == dict(expected["person"])
    _assert_quotas_are_the_published_targets(ws, AW_DIR)
    assert verify(ws) == []

    events = AuditEvent.objects.for_workspace(ws).count()
    call_command("load-sample", "adventureworks", "--from", str(AW_DIR))
    assert Sale.objects.for_workspace(ws).count() == 31_465
    assert AuditEvent.objects.for_workspace(ws).count() == events
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
    _assert_quotas_are_the_published_targets(ws, aw.SHIPPED)
    assert verify(ws) == []

    from pacte.planning.models import CascadeRun

    CascadeRun.objects.for_workspace(ws).filter(fiscal_year=2013).delete()
    call_command("load-sample", "adventureworks", stdout=out)
    _assert_quotas_are_the_published_targets(ws, aw.SHIPPED)


def _assert_quotas_are_the_published_targets(ws: Workspace, directory: Path) -> None:
    """Every quota of the file is a published target of its seller for its calendar quarter,
    on the distributors channel; each fiscal year's company target is their sum."""
    from pacte.planning.models import CascadeRun, CascadeShare, CompanyTarget

    people = dict(Membership.objects.for_workspace(ws).values_list("pk", "user__email"))
    from pacte.samples import adventureworks as aw

    emails = {p.business_entity_id: p.email for p in aw.load(directory).people}
    quotas: dict[tuple[str, int, int], int] = defaultdict(int)
    text = _file_text(directory, "SalesPersonQuotaHistory.csv")
    for line in text.split("\n"):
        if line:
            row = line.split("\t")
            year, month = int(row[2][:4]), int(row[2][5:7])
            quotas[emails[int(row[1])], year, (month - 1) // 3] += _cents(row[3])
    assert len(quotas) == 163
    runs = CascadeRun.objects.for_workspace(ws).filter(status="published")
    assert sorted(runs.values_list("fiscal_year", "method")) == [
        (year, "stated") for year in (2011, 2012, 2013, 2014)
    ]
    targets: dict[tuple[str, int, int], int] = defaultdict(int)
    for seller, code, month, amount in CascadeShare.objects.filter(run__in=runs).values_list(
        "seller", "channel__code", "month", "amount"
    ):
        assert code == "distributors"
        targets[people[seller], month // 12, (month % 12) // 3] += amount
    assert dict(targets) == dict(quotas)
    assert dict(CompanyTarget.objects.for_workspace(ws).values_list("fiscal_year", "amount")) == {
        run.fiscal_year: run.total for run in runs
    }


def _file_text(directory: Path, name: str) -> str:
    path = directory / name
    data = (
        path.read_bytes()
        if path.is_file()
        else gzip.decompress((directory / f"{name}.gz").read_bytes())
    )
    return data.decode("ascii")
