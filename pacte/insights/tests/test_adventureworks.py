"""Correct on real data: attainment per sales person per quarter equals actual sales over
quota computed directly from the AdventureWorks files."""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from pacte.org.visibility import Tree

RAW = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets" / "adventureworks" / "raw"

pytestmark = pytest.mark.skipif(
    not (RAW / "SalesOrderHeader.csv.gz").exists(), reason=f"AdventureWorks files absent at {RAW}"
)


def _expected() -> dict[tuple[int, int, int], tuple[int, int]]:
    """(sales person, year, quarter) → (actual cents, quota cents), from the raw files."""
    text = gzip.decompress((RAW / "SalesOrderHeader.csv.gz").read_bytes()).decode()
    reader = csv.reader(io.StringIO(text.replace("\r\n", "\n")), delimiter="\t")
    head = [h.strip() for h in next(reader)]
    i_date, i_person, i_sub = (
        head.index("OrderDate"),
        head.index("SalesPersonID"),
        head.index("SubTotal"),
    )
    actual: dict[tuple[int, int, int], int] = defaultdict(int)
    for row in reader:
        if not row or not row[i_person].strip():
            continue
        year, month = int(row[i_date][:4]), int(row[i_date][5:7])
        cents = int((Decimal(row[i_sub].strip()) * 100).quantize(Decimal(1), ROUND_HALF_EVEN))
        actual[(int(row[i_person]), year, (month - 1) // 3 + 1)] += cents
    out = {}
    for row in csv.reader((RAW / "SalesPersonQuotaHistory.csv").open(), delimiter="\t"):
        person, date, quota = int(row[1]), row[2], Decimal(row[3])
        key = (person, int(date[:4]), (int(date[5:7]) - 1) // 3 + 1)
        out[key] = (actual.get(key, 0), int(quota * 100))
    return out


@pytest.mark.django_db(transaction=False)
def test_attainment_per_sales_person_per_quarter_matches_the_files(login):
    call_command("load-sample", "adventureworks", "--from", str(RAW))
    from pacte.accounts.models import Membership, Workspace

    ws = Workspace.objects.get(slug="adventureworks")
    executive = (
        Membership.objects.for_workspace(ws)
        .filter(is_executive=True)
        .select_related("user")
        .first()
    )
    assert executive is not None
    from pacte.testing.cast import PASSWORD

    executive.user.set_password(PASSWORD)
    executive.user.save()
    expected = _expected()
    cal = ws.calendar
    token = __import__("pacte.accounts.services", fromlist=["x"]).create_api_token(
        member=executive, name="t"
    )[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    from pacte.lib.fiscal import Month

    checked = 0
    client = login(executive)
    # a handful of quarters across the years
    for year, quarter in ((2011, 4), (2012, 2), (2013, 1), (2013, 3), (2014, 1)):
        period = cal.period_of(Month(year, 3 * quarter - 2), "quarter").key
        r = api.get(f"/api/v1/insights/attainment?by=seller&period={period}&limit=1000")
        assert r.status_code == 200, r.content
        by_name = {i["name"]: i for i in r.json()["items"]}
        people = dict(
            Membership.objects.for_workspace(ws)
            .filter(name__in=list(by_name))
            .values_list("name", "user__email")
        )
        assert people
        page = client.get(f"/insights/teams/{Tree.load(ws).root.uuid}/?period={period}")
        page_rows = {r["name"]: r for r in page.context["data"]["sellers"]["rows"]}
        for (person, y, q), (actual, quota) in expected.items():
            if (y, q) != (year, quarter) or quota == 0:
                continue
            name = _name_of(ws, person)
            row = by_name[name]
            assert row["target"] == quota, (name, period)
            assert row["actual"] == actual, (name, period)
            assert row["attainment_target"] == pytest.approx(actual / quota, rel=1e-12)
            assert page_rows[name]["attainment_target"] == row["attainment_target"]
            checked += 1
    assert checked >= 20


def _name_of(ws, person_id: int) -> str:

    sample = _sample()
    person = next(p for p in sample.people if p.business_entity_id == person_id)
    return person.full_name


_cache: dict[str, object] = {}


def _sample():
    from pacte.samples import adventureworks as aw

    if "s" not in _cache:
        _cache["s"] = aw.load(RAW)
    return _cache["s"]
