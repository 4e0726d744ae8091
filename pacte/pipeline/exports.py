"""The deal list as CSV or XLSX (the insights export writers: formulas neutralised, money in
major units)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _

from pacte.insights.exports import Table, money_value, to_csv, to_xlsx
from pacte.pipeline.models import Category, Deal, DealStatus
from pacte.pipeline.selectors import deal_values
from pacte.pipeline.services import major_text

#: The most rows an export holds (the list page paginates; an export is for a spreadsheet).
MAX_ROWS = 100_000


def deal_table(deals: QuerySet[Deal]) -> Table:
    categories = dict(Category.choices)
    statuses = dict(DealStatus.choices)
    head = [
        _("External id"),
        _("Name"),
        _("Owner"),
        _("Stage"),
        _("Forecast category"),
        _("Status"),
        _("Expected close date"),
        _("Probability"),
        _("Amount"),
        _("Weighted amount"),
        _("Channel"),
        _("Currency"),
        _("Amount in its currency"),
    ]
    kinds = ["text"] * 7 + ["text", "money", "money", "text", "text", "text"]
    rows = []
    for deal in deals[:MAX_ROWS]:
        v = deal_values(deal)
        rows.append(
            [
                deal.external_id,
                deal.name,
                deal.owner.name,
                v["stage"],
                str(categories.get(v["category"], v["category"])),
                str(statuses.get(v["status"], v["status"])),
                v["close_date"].isoformat(),
                v["probability"],
                money_value(v["amount"]),
                money_value(v["weighted"]),
                deal.channel.label if deal.channel else "",
                deal.currency,
                ""
                if deal.currency_amount is None
                else major_text(deal.currency_amount, deal.currency),
            ]
        )
    return Table(head, rows, kinds)


def response(deals: QuerySet[Deal], fmt: str) -> HttpResponse:
    table = deal_table(deals)
    if fmt == "xlsx":
        body = to_xlsx(table, title=_("Deals"))
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = to_csv(table, bom=True)
        content_type = "text/csv; charset=utf-8"
    out = HttpResponse(body, content_type=content_type)
    out["Content-Disposition"] = f'attachment; filename="deals.{fmt}"'
    return out
