"""Deals in any currency: converted at the workspace's rates (integer arithmetic), refused
with a located error without a rate or with an unknown code, shown in their own currency."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from pacte.lib.currency import convert, rate_units
from pacte.pipeline import ingest
from pacte.pipeline.models import Deal, DealChange, DealCredit, PipelineCell
from pacte.pipeline.tests.helpers import load, row
from pacte.sales.models import CurrencySettings, ExchangeRate, MissingRate
from pacte.testing.cast import Cast

pytestmark = pytest.mark.django_db


def _rate(cast: Cast, code: str, day: datetime.date, rate: str) -> int:
    units = rate_units(Decimal(rate))
    ExchangeRate.objects.create(workspace=cast.workspace, currency=code, date=day, rate=units)
    return units


def _past(days: int = 10) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def test_a_deal_in_another_currency_keeps_it_and_counts_converted(cast: Cast) -> None:
    units = _rate(cast, "CHF", _past(30), "1.0712")
    result = load(cast, [row(cast.seller, "D1", amount="1234.55", currency="chf")])
    assert result.created == 1
    deal = Deal.objects.for_workspace(cast.workspace).get(external_id="D1")
    expected = convert(123_455, units, from_digits=2, to_digits=2)
    assert (deal.currency, deal.currency_amount, deal.amount) == ("CHF", 123_455, expected)
    assert deal.changes.get().amount == expected
    assert DealCredit.objects.for_workspace(cast.workspace).get().amount == expected
    cells = PipelineCell.objects.for_workspace(cast.workspace).aggregate(a=Sum("amount"))
    assert cells["a"] == expected


def test_zero_decimal_currency_and_half_to_even_rounding(cast: Cast) -> None:
    units = _rate(cast, "JPY", _past(30), "0.0061234567")
    load(cast, [row(cast.seller, "J", amount="1000001", currency="JPY")])
    deal = Deal.objects.for_workspace(cast.workspace).get(external_id="J")
    assert deal.currency_amount == 1_000_001
    assert deal.amount == convert(1_000_001, units, from_digits=0, to_digits=2)
    with pytest.raises(ingest.Invalid) as exc:
        load(cast, [row(cast.seller, "J2", amount="10.5", currency="JPY")])
    assert exc.value.details[0]["code"] == "amount_too_many_decimals"  # type: ignore[index]


def test_the_workspace_currency_named_is_the_workspace_currency(cast: Cast) -> None:
    load(cast, [row(cast.seller, "E", amount="10.00", currency=cast.workspace.currency.lower())])
    deal = Deal.objects.for_workspace(cast.workspace).get(external_id="E")
    assert (deal.currency, deal.currency_amount, deal.amount) == ("", None, 1_000)


def test_unknown_code_and_missing_rate_are_refused_with_their_lines(cast: Cast) -> None:
    _rate(cast, "CHF", _past(30), "1.05")
    rows = [
        row(cast.seller, "OK", currency="CHF"),
        row(cast.seller, "X", currency="XYZ"),
        row(cast.seller, "U", currency="USD"),
    ]
    with pytest.raises(ingest.Invalid) as exc:
        load(cast, rows)
    found = {(e["line"], e["column"], e["code"]) for e in exc.value.details}  # type: ignore[attr-defined]
    assert found == {(2, "currency", "unknown_currency"), (3, "currency", "no_rate")}
    assert not Deal.objects.for_workspace(cast.workspace).exists()


def test_rate_of_the_close_date_or_of_today_for_a_future_close(cast: Cast) -> None:
    old = _rate(cast, "USD", _past(60), "0.5")
    new = _rate(cast, "USD", _past(5), "0.9")
    load(
        cast,
        [
            row(cast.seller, "PAST", amount="100", currency="USD", close_date=_past(30)),
            row(cast.seller, "NEXT", amount="100", currency="USD"),
        ],
    )
    deals = dict(Deal.objects.for_workspace(cast.workspace).values_list("external_id", "amount"))
    assert deals["PAST"] == convert(10_000, old, from_digits=2, to_digits=2) == 5_000
    assert deals["NEXT"] == convert(10_000, new, from_digits=2, to_digits=2) == 9_000


def test_refuse_rule_wants_a_rate_of_that_very_day(cast: Cast) -> None:
    CurrencySettings.objects.create(workspace=cast.workspace, missing_rate=MissingRate.REFUSE)
    _rate(cast, "USD", _past(5), "0.9")
    with pytest.raises(ingest.Invalid) as exc:
        load(cast, [row(cast.seller, "D", currency="USD", close_date=_past(2))])
    assert exc.value.details[0]["code"] == "no_rate"  # type: ignore[index]
    load(cast, [row(cast.seller, "D", currency="USD", close_date=_past(5))])


def test_same_foreign_rows_again_change_nothing_even_after_a_new_rate(cast: Cast) -> None:
    _rate(cast, "CHF", _past(30), "1.05")
    rows = [row(cast.seller, "D1", amount="500", currency="CHF")]
    load(cast, rows)
    before = Deal.objects.for_workspace(cast.workspace).get().amount
    _rate(cast, "CHF", _past(1), "1.10")
    again = load(cast, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Deal.objects.for_workspace(cast.workspace).get().amount == before


def test_a_new_currency_on_the_same_amount_is_a_change(cast: Cast) -> None:
    _rate(cast, "CHF", _past(30), "2")
    load(cast, [row(cast.seller, "D1", amount="500")])
    result = load(cast, [row(cast.seller, "D1", amount="500", currency="CHF")])
    assert result.updated == 1
    deal = Deal.objects.for_workspace(cast.workspace).get()
    assert (deal.amount, deal.currency, deal.version) == (100_000, "CHF", 2)
    assert list(deal.changes.order_by("pk").values_list("amount", flat=True)) == [50_000, 100_000]


def test_a_renamed_deal_is_updated_without_a_history_row(cast: Cast) -> None:
    load(cast, [row(cast.seller, "D1", name="First")])
    result = load(cast, [row(cast.seller, "D1", name="Second")])
    assert result.updated == 1
    assert Deal.objects.for_workspace(cast.workspace).get().name == "Second"
    assert DealChange.objects.for_workspace(cast.workspace).count() == 1


def test_new_split_credits_alone_are_a_change(cast: Cast) -> None:
    load(cast, [row(cast.seller, "D1", amount="100.01")])
    result = load(
        cast,
        [
            row(
                cast.seller,
                "D1",
                amount="100.01",
                split=f"{cast.seller.email}:50;{cast.lead.email}:50",
            )
        ],
    )
    assert result.updated == 1
    credits = DealCredit.objects.for_workspace(cast.workspace).filter(kind="split")
    assert sorted(credits.values_list("amount", flat=True)) == [5_000, 5_001]
    lead_cells = PipelineCell.objects.for_workspace(cast.workspace).filter(seller=cast.lead)
    assert lead_cells.aggregate(a=Sum("amount"))["a"] in (5_000, 5_001)


def test_api_takes_and_shows_the_deal_currency(cast: Cast, api_client) -> None:  # type: ignore[no-untyped-def]
    import json

    units = _rate(cast, "JPY", _past(30), "0.0062")
    admin = api_client(cast.admin)
    body = {"deals": [{**row(cast.seller, "J"), "amount": 150_000, "currency": "JPY"}]}
    response = admin.post(
        "/api/v1/pipeline/deals/bulk", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    listed = api_client(cast.seller).get("/api/v1/pipeline/deals").json()["items"][0]
    assert listed["own_currency"] == "JPY"
    assert listed["own_amount"] == 150_000  # yen have no minor unit
    assert listed["currency"] == cast.workspace.currency
    assert listed["amount"] == convert(150_000, units, from_digits=0, to_digits=2)
    bad = admin.post(
        "/api/v1/pipeline/deals/bulk",
        json.dumps({"deals": [{**row(cast.seller, "Q"), "currency": "QQQ"}]}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["details"][0]["column"] == "currency"


def test_deal_list_shows_the_own_currency(cast: Cast, login) -> None:  # type: ignore[no-untyped-def]
    _rate(cast, "CHF", _past(30), "1.05")
    load(cast, [row(cast.seller, "D1", amount="1000", currency="CHF")])
    page = login(cast.executive).get("/forecast/deals/")
    assert page.status_code == 200
    assert "CHF" in page.content.decode()


# --------------------------------------------------------------------------- rate changes


def _set_rate(cast: Cast, code: str, day: datetime.date, rate: str) -> dict[str, int]:
    from pacte.sales.rates import RateInput, set_rates

    return set_rates(
        workspace=cast.workspace,
        actor=cast.admin,
        rates=[RateInput(currency=code, date=day, rate=Decimal(rate))],
    )


def _cells_total(cast: Cast) -> tuple[int, int]:
    from pacte.pipeline.models import TeamPipelineCell

    split = PipelineCell.objects.for_workspace(cast.workspace).filter(kind="split")
    teams = TeamPipelineCell.objects.for_workspace(cast.workspace)
    return split.aggregate(a=Sum("amount"))["a"], teams.aggregate(a=Sum("amount"))["a"]


def test_a_new_or_changed_rate_revalues_the_open_deals_it_covers(cast: Cast) -> None:
    from pacte.audit.models import AuditEvent

    _rate(cast, "CHF", _past(60), "1.05")
    load(
        cast,
        [
            row(cast.seller, "OPEN", amount="1000.01", currency="CHF"),
            row(
                cast.seller,
                "SPLIT",
                amount="333.33",
                currency="CHF",
                split=f"{cast.seller.email}:50;{cast.lead.email}:50",
            ),
            row(cast.seller, "BEFORE", amount="100", currency="CHF", close_date=_past(40)),
            row(cast.seller, "WON", amount="100", currency="CHF", status="won"),
            row(cast.seller, "EUR", amount="100"),
        ],
    )
    deals = Deal.objects.for_workspace(cast.workspace)
    before = dict(deals.values_list("external_id", "amount"))

    counts = _set_rate(cast, "CHF", _past(10), "1.10")  # a new rate

    units = rate_units(Decimal("1.10"))
    after = dict(deals.values_list("external_id", "amount"))
    assert counts["deals_revalued"] == 2
    assert after["OPEN"] == convert(100_001, units, from_digits=2, to_digits=2)
    assert after["SPLIT"] == convert(33_333, units, from_digits=2, to_digits=2)
    for ext in ("BEFORE", "WON", "EUR"):  # before the rate's day, not open, not foreign
        assert after[ext] == before[ext]
    opened = deals.get(external_id="OPEN")
    assert opened.version == 2
    assert opened.changes.order_by("pk").last().amount == after["OPEN"]  # type: ignore[union-attr]
    split = DealCredit.objects.for_workspace(cast.workspace).filter(
        deal__external_id="SPLIT", kind="split"
    )
    assert sorted(split.values_list("amount", flat=True)) == [
        after["SPLIT"] // 2,
        after["SPLIT"] - after["SPLIT"] // 2,
    ]
    open_total = after["OPEN"] + after["SPLIT"] + after["BEFORE"] + after["EUR"]
    assert _cells_total(cast) == (open_total, open_total)
    event = AuditEvent.objects.filter(
        workspace=cast.workspace, action="pipeline.deals_revalued"
    ).get()
    assert event.after["total"] == after["OPEN"] + after["SPLIT"]  # type: ignore[index]

    counts = _set_rate(cast, "CHF", _past(10), "1.20")  # the same rate changed
    assert counts["deals_revalued"] == 2
    units = rate_units(Decimal("1.20"))
    assert deals.get(external_id="OPEN").amount == convert(
        100_001, units, from_digits=2, to_digits=2
    )
    open_total = sum(deals.filter(status="open").values_list("amount", flat=True))
    assert _cells_total(cast) == (open_total, open_total)


def test_a_rate_no_open_deal_depends_on_changes_no_deal(cast: Cast) -> None:
    CurrencySettings.objects.create(workspace=cast.workspace, missing_rate=MissingRate.REFUSE)
    day = _past(40)
    _rate(cast, "USD", day, "0.9")
    load(cast, [row(cast.seller, "D", amount="100", currency="USD", close_date=day)])
    # A later rate: under the refuse rule the deal's own day still has only its own rate.
    counts = _set_rate(cast, "USD", _past(30), "0.8")
    assert counts["deals_revalued"] == 0
    counts = _set_rate(cast, "USD", timezone.localdate() + datetime.timedelta(days=3), "0.7")
    assert counts["deals_revalued"] == 0
    assert Deal.objects.for_workspace(cast.workspace).get().amount == 9_000
