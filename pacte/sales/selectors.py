"""Reads of sales and the cube that other apps use (insights, planning, objectives).

Public, documented selectors (they read the cube only, never raw sales):

- ``monthly_actuals(workspace, months, by=("seller", "unit", "channel"))`` → rows
  ``{"month": int, <by keys as ids>, "split": int, "overlay": int, "count": int}``
  (amounts in minor units; ``months`` is a range of ``Month.index``).
- ``actuals_by_month(workspace, months, *, seller=None, unit_ids=None, channel=None)`` →
  ``{month: (split, overlay)}`` for one seller, a set of units or the company.
- ``currency_figures(workspace, fy, months)`` → per foreign currency, actual and
  constant-currency figures (reads the sales in other currencies, on a partial index).
- ``channel_names(workspace)`` → ``{code: name}``, each channel's name in the active language
  (pages show names; codes are for files and the API).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from pacte.accounts.models import Membership, Workspace
from pacte.sales.models import Channel, Credit, CubeCell, Sale

BY_FIELDS = {"seller": "seller_id", "unit": "unit_id", "channel": "channel_id"}


def channel_names(workspace: Workspace) -> dict[str, str]:
    """``{code: name}`` of the workspace's channels, names in the active language (one query)."""
    return {
        c.code: c.label
        for c in Channel.objects.for_workspace(workspace).only("code", "name_en", "name_fr")
    }


def monthly_actuals(
    workspace: Workspace, months: range, by: Sequence[str] = ("seller", "unit", "channel")
) -> list[dict[str, Any]]:
    """Split and overlay actuals per month and per the ``by`` keys, from the cube alone."""
    fields = [BY_FIELDS[name] for name in by]
    rows = (
        CubeCell.objects.for_workspace(workspace)
        .filter(month__gte=months.start, month__lt=months.stop)
        .values("month", *fields)
        .annotate(split=Sum("split_amount"), overlay=Sum("overlay_amount"), count=Sum("sale_count"))
        .order_by("month", *fields)
    )
    return [
        {
            "month": r["month"],
            **{name: r[BY_FIELDS[name]] for name in by},
            "split": int(r["split"] or 0),
            "overlay": int(r["overlay"] or 0),
            "count": int(r["count"] or 0),
        }
        for r in rows
    ]


def actuals_by_month(
    workspace: Workspace,
    months: range,
    *,
    seller: Membership | None = None,
    unit_ids: Iterable[int] | None = None,
    channel_id: int | None = None,
) -> dict[int, tuple[int, int]]:
    qs = CubeCell.objects.for_workspace(workspace).filter(
        month__gte=months.start, month__lt=months.stop
    )
    if seller is not None:
        qs = qs.filter(seller=seller)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    rows = qs.values("month").annotate(s=Sum("split_amount"), o=Sum("overlay_amount"))
    return {r["month"]: (int(r["s"] or 0), int(r["o"] or 0)) for r in rows}


def filter_sales(
    qs: QuerySet[Sale],
    *,
    q: str = "",
    channel: uuid.UUID | str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    seller: uuid.UUID | str | None = None,
) -> QuerySet[Sale]:
    """The one definition of the sales filters, shared by the list page and the API."""
    if q:
        qs = qs.filter(Q(external_id__icontains=q) | Q(customer__name__icontains=q))
    if channel:
        qs = qs.filter(channel__uuid=channel)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    if seller:
        qs = qs.filter(
            Exists(
                Credit.objects.filter(
                    workspace=OuterRef("workspace"), sale=OuterRef("pk"), seller__uuid=seller
                )
            )
        )
    return qs


def credits_of(sales: Sequence[Sale]) -> dict[int, list[Credit]]:
    """Credits of a page of sales, in one query."""
    out: dict[int, list[Credit]] = {}
    for credit in (
        Credit.objects.filter(
            workspace__in={s.workspace_id for s in sales}, sale__in=[s.pk for s in sales]
        )
        .select_related("seller")
        .order_by("kind", "-basis_points")
    ):
        out.setdefault(credit.sale_id, []).append(credit)
    return out


def currency_figures(
    workspace: Workspace, fy: int, months: list[int], channel_id: int | None = None
) -> list[dict[str, Any]]:
    """Sales in other currencies booked in ``months`` (``Month.index``) of fiscal year ``fy``,
    per currency: the total in its own currency, the actual figure (each sale converted at the
    rate of its day, as the cube counts it) and the constant-currency figure (the own total
    converted at the currency's fixed rate for the fiscal year: the first rate dated in that
    year, else the last rate before it). Empty when every sale is in the workspace currency.
    One grouped query (through the partial index ``sale_ws_foreign_only``, which a workspace
    with no foreign sale finds empty), one on the rates."""
    from pacte.lib.currency import convert, minor_digits
    from pacte.lib.money import exponent
    from pacte.sales.models import ExchangeRate

    qs = Sale.objects.for_workspace(workspace).exclude(currency="").filter(month__in=months)
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    totals = list(
        qs.values("currency")
        .annotate(own=Sum("currency_amount"), actual=Sum("amount"), sales=Count("id"))
        .order_by("currency")
    )
    if not totals:
        return []
    cal = workspace.calendar
    start, end = cal.fy_start(fy), cal.fy_end(fy)
    fixed: dict[str, int] = {}
    before: dict[str, int] = {}
    for code, day, rate in (
        ExchangeRate.objects.for_workspace(workspace)
        .filter(currency__in=[t["currency"] for t in totals], date__lte=end)
        .order_by("date")
        .values_list("currency", "date", "rate")
    ):
        if day < start:
            before[code] = rate
        else:
            fixed.setdefault(code, rate)
    to_digits = exponent(workspace.currency)
    out = []
    for row in totals:
        code = row["currency"]
        fixed_rate = fixed.get(code, before.get(code))
        constant = (
            convert(
                int(row["own"]), fixed_rate, from_digits=minor_digits(code), to_digits=to_digits
            )
            if fixed_rate is not None
            else None
        )
        out.append(
            {
                "currency": code,
                "sales": row["sales"],
                "own": int(row["own"]),
                "actual": int(row["actual"]),
                "constant": constant,
                "effect": None if constant is None else int(row["actual"]) - constant,
                "rate": fixed_rate,
            }
        )
    return out
