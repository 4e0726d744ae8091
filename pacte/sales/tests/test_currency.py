"""Sales in any currency: rates (service, page, API), conversion on import, re-valuation."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pacte.audit.models import AuditEvent
from pacte.errors import DomainError, StaleVersion
from pacte.sales import cube
from pacte.sales import rates as rate_services
from pacte.sales.models import Credit, CubeCell, ExchangeRate, Sale
from pacte.sales.tests.helpers import import_file

pytestmark = pytest.mark.django_db

SELLER = "seller@acme.example"
OTHER = "other@acme.example"
HEADER = "id,date,amount,currency,channel,seller,split\n"
MAPPING = {
    "external_id": "id",
    "date": "date",
    "amount": "amount",
    "currency": "currency",
    "channel": "channel",
    "seller": "seller",
    "split": "split",
}


def _rate(cast, currency: str, day: str, rate: str, **kw):
    return rate_services.set_rates(
        workspace=cast.workspace,
        actor=cast.admin,
        rates=[
            rate_services.RateInput(
                currency=currency, date=datetime.date.fromisoformat(day), rate=Decimal(rate)
            )
        ],
        **kw,
    )


def _import(cast, write_csv, *lines: str, **job):
    path = write_csv(HEADER + "".join(line + "\n" for line in lines))
    return import_file(cast.workspace, path, MAPPING, **job)


def test_a_sale_in_chf_is_converted_at_the_rate_of_its_day_half_even(cast, channels, write_csv):
    assert cast.workspace.currency == "EUR"
    _rate(cast, "CHF", "2026-01-01", "1.05")
    _rate(cast, "JPY", "2026-01-01", "0.0061")
    _rate(cast, "CHF", "2026-02-01", "1.1")
    job = _import(
        cast,
        write_csv,
        f"C1,2026-01-15,100.10,CHF,field,{SELLER},",  # 105.105 → 105.10 (half even)
        f"C2,2026-02-03,10.00,chf,field,,{SELLER}:50;{OTHER}:50",  # 11.00, rate of Feb 1st
        f"C3,2026-01-20,1000,JPY,field,{SELLER},",  # 6.10
        f"C4,2026-01-20,7.25,EUR,field,{SELLER},",  # the workspace currency
        f"C5,2026-01-20,-100.30,CHF,field,{SELLER},",  # -105.315 → -105.32
    )
    assert job.status == "done", job.errors
    got = {s.external_id: (s.amount, s.currency, s.currency_amount) for s in Sale.objects.all()}
    assert got == {
        "C1": (10510, "CHF", 10010),
        "C2": (1100, "CHF", 1000),
        "C3": (610, "JPY", 1000),
        "C4": (725, "", None),
        "C5": (-10532, "CHF", -10030),
    }
    c2 = Sale.objects.get(external_id="C2")
    assert sorted(c.amount for c in c2.credits.all()) == [550, 550]
    assert cube.verify(cast.workspace) == []
    total = sum(
        CubeCell.objects.for_workspace(cast.workspace).values_list("split_amount", flat=True)
    )
    assert total == sum(Sale.objects.values_list("amount", flat=True))


def test_reimporting_the_same_foreign_rows_changes_nothing(cast, channels, write_csv):
    _rate(cast, "CHF", "2026-01-01", "1.05")
    line = f"R1,2026-01-15,10,CHF,field,{SELLER},"
    assert _import(cast, write_csv, line).created_count == 1
    again = _import(cast, write_csv, line)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 1)
    changed = _import(cast, write_csv, f"R1,2026-01-15,10,USD,field,{SELLER},")
    assert changed.status == "failed"  # USD has no rate
    assert changed.errors[0]["code"] == "no_rate"


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        (f"B1,2026-01-15,10,XYZ,field,{SELLER},", "currency", "unknown_currency"),
        (f"B2,2025-12-31,10,CHF,field,{SELLER},", "currency", "no_rate"),  # before any rate
        (f"B3,2026-01-15,10.5,JPY,field,{SELLER},", "amount", "amount_too_many_decimals"),
    ],
)
def test_bad_currency_rows_are_refused_with_their_line_and_column(
    cast, channels, write_csv, line, column, code
):
    _rate(cast, "CHF", "2026-01-01", "1.05")
    _rate(cast, "JPY", "2026-01-01", "0.0061")
    job = _import(cast, write_csv, f"OK,2026-01-15,1,CHF,field,{SELLER},", line)
    assert job.status == "failed"
    assert [(e["line"], e["column"], e["code"]) for e in job.errors] == [(3, column, code)]
    assert not Sale.objects.exists()


def test_the_refuse_rule_wants_a_rate_of_the_very_day(cast, channels, write_csv):
    rate_services.set_missing_rate_rule(workspace=cast.workspace, actor=cast.admin, rule="refuse")
    _rate(cast, "CHF", "2026-01-01", "1.05")
    job = _import(cast, write_csv, f"D1,2026-01-02,10,CHF,field,{SELLER},")
    assert job.errors[0]["code"] == "no_rate"
    job = _import(cast, write_csv, f"D1,2026-01-01,10,CHF,field,{SELLER},")
    assert job.status == "done", job.errors


def test_a_bhd_amount_keeps_three_decimals(cast, channels, write_csv):
    _rate(cast, "BHD", "2026-01-01", "2.4")
    job = _import(cast, write_csv, f"H1,2026-01-15,1.005,BHD,field,{SELLER},", amount_style="en")
    assert job.status == "done", job.errors
    sale = Sale.objects.get()
    assert (sale.currency_amount, sale.amount) == (1005, 241)  # 2.412 EUR → 2.41


def test_a_changed_rate_revalues_the_sales_it_covers_with_the_cube(cast, channels, write_csv):
    _rate(cast, "CHF", "2026-01-01", "1")
    _rate(cast, "CHF", "2026-03-01", "2")
    job = _import(
        cast,
        write_csv,
        f"V1,2026-01-10,100,CHF,field,{SELLER},",
        f"V2,2026-02-10,100,CHF,field,,{SELLER}:60;{OTHER}:40",
        f"V3,2026-03-10,100,CHF,field,{SELLER},",
        f"V4,2026-02-10,100,EUR,field,{SELLER},",
    )
    assert job.status == "done", job.errors
    counts = _rate(cast, "CHF", "2026-02-01", "1.5")  # a new rate: covers V2 only
    assert counts["revalued"] == 1
    amounts = dict(Sale.objects.values_list("external_id", "amount"))
    assert amounts == {"V1": 10000, "V2": 15000, "V3": 20000, "V4": 10000}
    v2 = Sale.objects.get(external_id="V2")
    assert sorted(Credit.objects.filter(sale=v2).values_list("amount", flat=True)) == [6000, 9000]
    assert cube.verify(cast.workspace) == []
    counts = _rate(cast, "CHF", "2026-01-01", "1.25")  # a changed rate: V1 only
    assert (counts["updated"], counts["revalued"]) == (1, 1)
    assert Sale.objects.get(external_id="V1").amount == 12500
    assert cube.verify(cast.workspace) == []
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"exchangerate.created", "exchangerate.updated", "sales.revalued"} <= actions


def test_bad_rates_are_refused_and_nothing_changes(cast, channels, write_csv):
    for currency, rate, code in (
        ("CHF", "0", "rate_not_positive"),
        ("CHF", "-1.2", "rate_not_positive"),
        ("XYZ", "1", "unknown_currency"),
        ("EUR", "1", "same_currency"),
        ("CHF", "1.00000000001", "rate_too_precise"),
    ):
        with pytest.raises(DomainError) as exc:
            _rate(cast, currency, "2026-01-01", rate)
        assert exc.value.code == code
    assert not ExchangeRate.objects.exists()


def test_a_rate_in_a_closed_period_is_refused(cast, channels, write_csv):
    from pacte.insights.services import close_month

    _rate(cast, "CHF", "2025-12-01", "1")
    assert _import(cast, write_csv, f"K1,2026-01-10,100,CHF,field,{SELLER},").status == "done"
    close_month(workspace=cast.workspace, actor=cast.admin, month=2026 * 12 + 0)
    with pytest.raises(DomainError) as exc:
        _rate(cast, "CHF", "2026-01-05", "2")  # its own month is closed
    assert exc.value.code == "period_closed"
    with pytest.raises(DomainError) as exc:
        _rate(cast, "CHF", "2025-12-20", "2")  # would change K1, booked in closed January
    assert exc.value.code == "period_closed"
    assert Sale.objects.get().amount == 10000
    assert ExchangeRate.objects.count() == 1
    _rate(cast, "CHF", "2026-02-01", "2")  # covers no sale of a closed month


def test_a_stale_rate_edit_is_refused(cast):
    _rate(cast, "CHF", "2026-01-01", "1")
    _rate(cast, "CHF", "2026-01-01", "1.1", version=1)
    with pytest.raises(StaleVersion):
        _rate(cast, "CHF", "2026-01-01", "1.2", version=1)


def test_a_rate_file_is_imported_whole_or_refused_with_located_errors(cast):
    good = "currency;date;rate\nCHF;2026-01-01;1,05\nUSD;2026-01-01;0.92\n"
    counts = rate_services.import_rates(workspace=cast.workspace, actor=cast.admin, text=good)
    assert counts["created"] == 2
    bad = "currency,date,rate\nCHF,2026-01-02,1.1\nXYZ,2026-01-02,1\nUSD,2026-01-02,-3\n"
    with pytest.raises(DomainError) as exc:
        rate_services.import_rates(workspace=cast.workspace, actor=cast.admin, text=bad)
    details: list = exc.value.details  # type: ignore[assignment]
    located = [(d["line"], d["column"], d["code"]) for d in details]
    assert located == [(3, "currency", "unknown_currency"), (4, "rate", "rate_not_positive")]
    assert ExchangeRate.objects.count() == 2


def test_the_rates_page_adds_a_rate_in_french_and_imports_a_file(cast, login):
    client = login(cast.admin)
    r = client.get(reverse("sales:rates"), HTTP_ACCEPT_LANGUAGE="fr")
    assert r.status_code == 200
    r = client.post(
        reverse("sales:rates"),
        {"action": "rate", "currency": "chf", "date": "2026-01-01", "rate": "1,0712"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert r.status_code == 302, r.content[:800]
    assert ExchangeRate.objects.get().rate == 10_712_000_000
    r = client.post(
        reverse("sales:rates"),
        {"action": "rate", "currency": "CHF", "date": "2026-01-02", "rate": "0"},
    )
    assert r.status_code == 200
    assert "greater than zero" in r.content.decode()
    upload = SimpleUploadedFile("r.csv", b"currency,date,rate\nQQQ,2026-01-01,1\n")
    r = client.post(reverse("sales:rates"), {"action": "file", "file": upload})
    assert r.status_code == 200
    assert "No currency has this code" in r.content.decode()
    r = client.post(reverse("sales:rates"), {"action": "rule", "missing_rate": "refuse"})
    assert r.status_code == 302
    assert rate_services.currency_settings(cast.workspace).missing_rate == "refuse"


def test_the_rates_page_is_for_admins(cast, login):
    assert login(cast.seller).get(reverse("sales:rates")).status_code in (403, 404)


def test_rates_api_and_a_sale_in_chf_through_the_ingest_api(cast, channels, api_client):
    client = api_client(cast.admin)
    r = client.post(
        "/api/v1/sales/rates",
        json.dumps([{"currency": "CHF", "date": "2026-01-01", "rate": "1.05"}]),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 1
    r = client.post(
        "/api/v1/sales/rates",
        json.dumps([{"currency": "CHF", "date": "2026-01-01", "rate": "-1"}]),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["code"] in ("rate_not_positive", "invalid_rates")
    assert client.get("/api/v1/sales/rates").json()["items"][0]["rate"] == "1.05"
    sale = {
        "external_id": "X1",
        "date": "2026-01-05",
        "amount": "20.00",
        "currency": "CHF",
        "channel": "field",
        "seller": SELLER,
    }
    r = client.post(
        "/api/v1/sales/sales/ingest", json.dumps([sale]), content_type="application/json"
    )
    assert r.json()["status"] == "done", r.content
    out = client.get("/api/v1/sales/sales").json()["items"][0]
    assert (out["amount"], out["currency"], out["own_amount"], out["own_currency"]) == (
        2100,
        "EUR",
        2000,
        "CHF",
    )
    r = client.put(
        "/api/v1/sales/currency-settings",
        json.dumps({"missing_rate": "refuse"}),
        content_type="application/json",
    )
    assert r.json()["missing_rate"] == "refuse"
    assert api_client(cast.seller).get("/api/v1/sales/rates").status_code in (403, 404)


def test_insights_show_actual_and_constant_currency_side_by_side(cast, channels, write_csv, login):
    from pacte.sales.selectors import currency_figures

    _rate(cast, "CHF", "2025-06-01", "0.9")  # before the fiscal year: not its constant rate
    _rate(cast, "CHF", "2026-01-01", "1")
    _rate(cast, "CHF", "2026-02-01", "1.2")
    job = _import(
        cast,
        write_csv,
        f"I1,2026-01-10,100,CHF,field,{SELLER},",
        f"I2,2026-02-10,100,CHF,field,{SELLER},",
        f"I3,2026-02-10,50,EUR,field,{SELLER},",
    )
    assert job.status == "done", job.errors
    cal = cast.workspace.calendar
    fy = cal.year_of(datetime.date(2026, 1, 10))
    months = [m.index for m in cal.months(fy)]
    rows = currency_figures(cast.workspace, fy, months)
    assert [(r["currency"], r["own"], r["actual"], r["constant"], r["effect"]) for r in rows] == [
        (
            "CHF",
            20000,
            22000,
            20000 if cal.fy_start(fy) <= datetime.date(2026, 1, 1) else 18000,
            2000 if cal.fy_start(fy) <= datetime.date(2026, 1, 1) else 4000,
        )
    ]
    r = login(cast.executive).get(reverse("insights:overview") + f"?period=FY{fy:04d}")
    assert r.status_code == 200
    page = r.content.decode()
    assert "Sales in other currencies" in page
    assert "At constant currency" in page


def _plan(qs) -> str:
    """PostgreSQL's plan of ``qs`` when it may not read the whole table."""
    from django.db import connection

    sql, params = qs.query.sql_with_params()
    with connection.cursor() as c:
        c.execute("SET LOCAL enable_seqscan = off")
        c.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in c.fetchall())


def test_a_workspace_without_foreign_sales_reads_none_for_them(cast, channels, write_csv):
    """Constant-currency figures and re-valuation read the sales in other currencies through a
    partial index keyed by workspace alone (cheap to keep up at import): a workspace whose
    sales are all in its own currency finds none there without reading its sales."""
    from django.db import connection

    job = _import(cast, write_csv, f"F1,2026-01-10,100,EUR,field,{SELLER},")
    assert job.status == "done", job.errors
    with connection.cursor() as c:
        index = connection.introspection.get_constraints(c, "sales_sale")["sale_ws_foreign_only"]
        if connection.vendor == "postgresql":
            c.execute("ANALYZE sales_sale")
    assert index["columns"] == ["workspace_id"]
    if connection.vendor != "postgresql":
        return  # SQLite picks by its own statistics; the index is there for it
    ws = cast.workspace
    figures = Sale.objects.for_workspace(ws).exclude(currency="").filter(month__in=[2026 * 12])
    revaluation = Sale.objects.for_workspace(ws).filter(
        currency="CHF", date__gte=datetime.date(2026, 1, 1)
    )
    assert "sale_ws_foreign_only" in _plan(figures)
    assert "sale_ws_foreign_only" in _plan(revaluation)
