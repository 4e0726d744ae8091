"""What an import needs to know of its workspace (channels, sellers, placements, rules,
closed months), read once; the fields and column schemas of an import."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import polars as pl

from pacte.accounts.models import Membership
from pacte.lib.money import exponent as currency_exponent
from pacte.org.selectors import root_unit
from pacte.sales.models import (
    Channel,
    CreditRule,
)

#: Target fields of an import: name → required.
FIELDS: dict[str, bool] = {
    "external_id": True,
    "date": True,
    "amount": True,
    "channel": True,
    "seller": False,
    "split": False,
    "overlay": False,
    "currency": False,
    "customer": False,
    "territory": False,
    "solution": False,
    "partner": False,
}
REQUIRED = [name for name, required in FIELDS.items() if required]
TEXT_LIMITS = {
    "external_id": 100,
    "customer": 300,
    "territory": 100,
    "solution": 100,
    "partner": 40,
}
MAX_ABS_AMOUNT = 10**14  # minor units; keeps amount * basis points inside 64 bits

SALE_SCHEMA: dict[str, Any] = {
    "k": pl.Int64,
    "line": pl.Int64,
    "external_id": pl.String,
    "date": pl.Date,
    "month": pl.Int32,
    "amount": pl.Int64,
    "currency": pl.String,  # null: the workspace currency
    "currency_amount": pl.Int64,
    "channel_id": pl.Int64,
    "customer": pl.String,
    "territory": pl.String,
    "solution": pl.String,
    "credit_origin": pl.String,
    "row_hash": pl.Int64,
}
CREDIT_SCHEMA: dict[str, Any] = {
    "k": pl.Int64,
    "seller_id": pl.Int64,
    "unit_id": pl.Int64,
    "kind": pl.String,
    "basis_points": pl.Int64,
    "amount": pl.Int64,
    "origin": pl.String,
}


# --------------------------------------------------------------------------- context


@dataclass
class Context:
    """What validation needs from the workspace, loaded once per import (small frames)."""

    workspace_id: int
    currency: str
    exponent: int
    root_unit_id: int
    channels: pl.DataFrame  # key (lower-case code or name) → channel_id
    members: pl.DataFrame  # email → seller_id
    placements: pl.DataFrame  # seller_id, valid_from, valid_to, unit_id
    rules: list[dict[str, Any]]  # active rules, most specific first
    managers: pl.DataFrame  # customer (name) → manager_id
    closed_months: frozenset[int] = frozenset()  # Month.index of closed months (insights)
    late_policy: str = "refuse"  # a sale dated in a closed month: "refuse" or "next_open"
    # Partner code → its seat's and its channel manager's e-mails (``pacte.partners``).
    partners: pl.DataFrame | None = None
    rates: pl.DataFrame | None = None  # currency, date, rate (RATE_SCHEMA), sorted by date
    missing_rate: str = "previous"  # no rate on the sale's date: "previous" or "refuse"

    @cached_property
    def placement_split(self) -> tuple[pl.DataFrame, pl.Series]:
        """The sellers placed once (seller_id, unit_id) and the ids of those placed several
        times (``team_of_the_day`` joins the first, looks up the day of the others)."""
        count = pl.len().over("seller_id")
        lone = self.placements.filter(count == 1).select("seller_id", "unit_id")
        moved = self.placements.filter(count > 1).get_column("seller_id").unique()
        return lone, moved


PARTNER_SCHEMA: dict[str, Any] = {"code": pl.String, "seat": pl.String, "owner": pl.String}
RATE_SCHEMA: dict[str, Any] = {"currency": pl.String, "rate_date": pl.Date, "rate": pl.Int64}
PLACEMENT_SCHEMA: dict[str, Any] = {
    "seller_id": pl.Int64,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
    "unit_id": pl.Int64,
}


def month_of(dates: pl.Expr | pl.Series) -> Any:
    return dates.dt.year().cast(pl.Int32) * 12 + dates.dt.month().cast(pl.Int32) - 1


def booked_month(dates: pl.Expr, closed: frozenset[int], policy: str) -> pl.Expr:
    """The month a sale counts in: its own, or with the ``next_open`` policy the first open
    month after a closed one (vectorised: one pass per closed month at most)."""
    month = month_of(dates)
    if policy != "next_open" or not closed:
        return month
    shut = sorted(closed)
    for _ in shut:
        month = pl.when(month.is_in(shut)).then(month + 1).otherwise(month)
    return month


def load_context(workspace: Any) -> Context:
    from pacte.insights.selectors import closed_month_policy
    from pacte.org.models import Placement
    from pacte.partners.selectors import import_lookup
    from pacte.sales.models import Customer

    closed_months, late_policy = closed_month_policy(workspace)
    keys: dict[str, int] = {}
    channel_rows = list(
        Channel.objects.for_workspace(workspace).values_list("pk", "code", "name_en", "name_fr")
    )
    for pk, *names in reversed(channel_rows):  # codes win over names
        for name in names[::-1]:
            keys[name.strip().lower()] = pk
    members = list(
        Membership.objects.for_workspace(workspace).values_list("user__email", "pk").order_by()
    )
    placements = list(
        Placement.objects.for_workspace(workspace).values_list(
            "membership_id", "valid_from", "valid_to", "unit_id"
        )
    )
    rules = active_rules(workspace)
    managers = list(
        Customer.objects.for_workspace(workspace)
        .filter(channel_manager__isnull=False)
        .values_list("name", "channel_manager_id")
    )
    return Context(
        workspace_id=workspace.pk,
        currency=workspace.currency,
        exponent=currency_exponent(workspace.currency),
        root_unit_id=root_unit(workspace).pk,
        channels=pl.DataFrame(
            {"key": list(keys), "channel_id": list(keys.values())},
            schema={"key": pl.String, "channel_id": pl.Int64},
        ),
        members=pl.DataFrame(
            {"email": [e.lower() for e, _ in members], "seller_id": [p for _, p in members]},
            schema={"email": pl.String, "seller_id": pl.Int64},
        ),
        placements=pl.DataFrame(placements, schema=PLACEMENT_SCHEMA, orient="row"),
        rules=rules,
        managers=pl.DataFrame(
            managers, schema={"customer": pl.String, "manager_id": pl.Int64}, orient="row"
        ),
        closed_months=closed_months,
        late_policy=late_policy,
        partners=pl.DataFrame(import_lookup(workspace), schema=PARTNER_SCHEMA, orient="row"),
        rates=load_rates(workspace),
        missing_rate=missing_rate_rule(workspace),
    )


def load_rates(workspace: Any) -> pl.DataFrame:
    """The workspace's exchange rates, sorted by date (for the as-of join of ``prepare``)."""
    from pacte.sales.models import ExchangeRate

    rows = list(
        ExchangeRate.objects.for_workspace(workspace)
        .order_by("date", "currency")
        .values_list("currency", "date", "rate")
    )
    return pl.DataFrame(rows, schema=RATE_SCHEMA, orient="row")


def missing_rate_rule(workspace: Any) -> str:
    from pacte.sales.models import CurrencySettings, MissingRate

    rule = (
        CurrencySettings.objects.for_workspace(workspace)
        .values_list("missing_rate", flat=True)
        .first()
    )
    return rule or MissingRate.PREVIOUS


def active_rules(workspace: Any) -> list[dict[str, Any]]:
    """The active crediting rules in the order they are tried: most specific first (channel
    and territory > territory > channel), then lowest priority, then oldest. Territories are
    lower-cased (``str.lower``) as sale territories are (Polars ``to_lowercase``)."""

    rules = [
        {
            "id": r.pk,
            "channel_id": r.channel_id,
            "territory": r.territory.strip().lower(),
            "kind": r.kind,
            "target": r.target,
            "owner_id": r.owner_id,
        }
        for r in CreditRule.objects.for_workspace(workspace).filter(is_active=True)
    ]
    rules.sort(key=lambda r: (-(bool(r["territory"]) * 2 + bool(r["channel_id"])), 0))
    return rules
