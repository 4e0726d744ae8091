"""Sample companies loaded through the sales bulk path (``pacte load-sample``).

AdventureWorks choices (the sample's files leave them open):

- The CEO is an executive and leads the company (the root unit). The Vice President of Sales
  is an executive too (he sets the revenue target with the CEO) and sits in the company unit:
  a root unit has one lead, and making him lead a one-team layer would add a management layer
  the sample does not need.
- Each regional sales manager leads a team named after their region and sells too (they have
  orders and quotas of their own); representatives are sellers in their manager's team.
  Placements start on the earlier of the hire date and the person's first order.
- Online orders name no sales person: they are credited by a crediting rule (channel
  e-commerce → the "Online store" house account, a seller placed in an "E-commerce" team), so
  company totals are exact and no representative's attainment is inflated.
- Every order is a sale: ``SalesOrderNumber`` as external id (source ``adventureworks``),
  ``OrderDate``, ``SubTotal`` rounded half-to-even to cents per order.
- Customers are named "display name (account number)" (display names are not unique).
- Quotas are the sellers' targets: each maps to the calendar quarter containing its
  ``QuotaDate``, is spread evenly over the quarter's three months (largest remainder, so the
  quarter sums exactly) on the distributors channel (the channel the sales people sell
  through), and every fiscal year's quotas are published as its reference
  (``planning.services.publish_stated_run``), with the year's company target set to their
  sum; insights, objectives and the targets pages read them as any published target. A year
  that already has a published reference keeps it, so loading again changes nothing, and
  restores the quotas of a year whose reference was removed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction

from pacte.accounts.models import Workspace
from pacte.lib.allocation import largest_remainder
from pacte.lib.fiscal import Month
from pacte.sales import ingest, services
from pacte.sales.models import Channel, CreditRule, ImportJob
from pacte.samples import adventureworks as aw

SLUG = "adventureworks"
HOUSE_EMAIL = f"online.store@{aw.EMAIL_DOMAIN}"


def _cents_text(cents: pl.Expr) -> pl.Expr:
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    a = cents.abs()
    return sign + (a // 100).cast(pl.String) + "." + (a % 100).cast(pl.String).str.zfill(2)


def order_frame(sample: aw.Sample) -> pl.DataFrame:
    """The orders as import rows (target fields, strings, with ``LINE``)."""
    people = {p.business_entity_id: p.email for p in sample.people}
    territories = {t.territory_id: t.name for t in sample.territories}
    customers = {c.customer_id: f"{c.display_name} ({c.account_number})" for c in sample.customers}
    o = sample.orders
    return o.select(
        pl.int_range(2, o.height + 2, dtype=pl.Int64).alias(ingest.LINE),
        pl.col("sales_order_number").alias("external_id"),
        pl.col("order_date").cast(pl.String).alias("date"),
        _cents_text(pl.col("subtotal_cents")).alias("amount"),
        pl.col("channel"),
        pl.col("sales_person_id")
        .replace_strict(people, default=None, return_dtype=pl.String)
        .alias("seller"),
        pl.lit(None, pl.String).alias("split"),
        pl.lit(None, pl.String).alias("overlay"),
        pl.lit(aw.CURRENCY).alias("currency"),
        pl.col("customer_id")
        .replace_strict(customers, default=None, return_dtype=pl.String)
        .alias("customer"),
        pl.col("territory_id")
        .replace_strict(territories, default=None, return_dtype=pl.String)
        .alias("territory"),
        pl.lit(None, pl.String).alias("solution"),
    )


@transaction.atomic
def _create_org(sample: aw.Sample) -> Workspace:
    from pacte.accounts.services import create_workspace
    from pacte.audit.services import record
    from pacte.org.selectors import root_unit
    from pacte.org.services import create_member, create_unit, update_unit

    ws = create_workspace(
        name="Adventure Works", slug=SLUG, currency=aw.CURRENCY, rounding_unit=1000_00
    )
    root = root_unit(ws)
    first_order: dict[int, datetime.date] = dict(
        sample.orders.drop_nulls("sales_person_id")
        .group_by("sales_person_id")
        .agg(pl.col("order_date").min())
        .iter_rows()
    )
    start = sample.orders["order_date"].min()
    assert isinstance(start, datetime.date)

    def joined(p: aw.Person) -> datetime.date:
        return min(p.hire_date, first_order.get(p.business_entity_id, p.hire_date))

    by_id = sample.people_by_id
    members: dict[int, Any] = {}
    ceo = next(p for p in sample.people if p.manager_id is None)
    members[ceo.business_entity_id] = create_member(
        workspace=ws,
        actor=None,
        email=ceo.email,
        name=ceo.full_name,
        roles={"executive"},
        unit=root,
        joined_on=joined(ceo),
    )
    update_unit(unit=root, actor=None, lead=members[ceo.business_entity_id])
    sellers = sample.sales_people
    managers = {
        p.manager_id for p in sellers if p.manager_id in {s.business_entity_id for s in sellers}
    }
    for person in sample.people:
        if person.business_entity_id in members or person.business_entity_id in {
            s.business_entity_id for s in sellers
        }:
            continue
        members[person.business_entity_id] = create_member(  # the VP of Sales
            workspace=ws,
            actor=None,
            email=person.email,
            name=person.full_name,
            roles={"executive"},
            unit=root,
            joined_on=joined(person),
        )
    territories = sample.territories_by_id
    teams: dict[int, Any] = {}
    for pid in sorted(m for m in managers if m is not None):
        manager = by_id[pid]
        title = manager.job_title.replace(" Sales Manager", "")
        teams[pid] = create_unit(workspace=ws, actor=None, name=title, parent=root)
        members[pid] = create_member(
            workspace=ws,
            actor=None,
            email=manager.email,
            name=manager.full_name,
            roles={"lead", "seller"},
            unit=teams[pid],
            joined_on=joined(manager),
        )
        update_unit(unit=teams[pid], actor=None, lead=members[pid])
    for person in sellers:
        if person.business_entity_id in members:
            continue
        unit = teams.get(person.manager_id or 0, root)
        members[person.business_entity_id] = create_member(
            workspace=ws,
            actor=None,
            email=person.email,
            name=person.full_name,
            roles={"seller"},
            unit=unit,
            joined_on=joined(person),
        )
    online_team = create_unit(workspace=ws, actor=None, name="E-commerce", parent=root)
    house = create_member(
        workspace=ws,
        actor=None,
        email=HOUSE_EMAIL,
        name="Online store (house account)",
        roles={"seller"},
        unit=online_team,
        joined_on=start,
    )
    ecom = Channel.objects.create(
        workspace=ws,
        code=aw.CHANNEL_E_COMMERCE,
        name_en="E-commerce",
        name_fr="E-commerce",
        position=0,
    )
    Channel.objects.create(
        workspace=ws,
        code=aw.CHANNEL_DISTRIBUTORS,
        name_en="Distributors",
        name_fr="Distributeurs",
        position=1,
    )
    CreditRule.objects.create(workspace=ws, channel=ecom, owner=house, kind="split")
    record(
        workspace=ws,
        actor=None,
        action="sample.loaded",
        obj=ws,
        after={"sample": "adventureworks", "people": len(members) + 1},
    )
    _ = territories
    return ws


def quota_shares(
    quotas: Iterable[aw.Quota], seller_ids: Mapping[int, int], channel_id: int
) -> list[tuple[int, int, int, int]]:
    """(seller id, channel id, month index, amount) of each quota spread evenly over the three
    months of its calendar quarter (largest remainder: the quarter sums exactly)."""
    shares = []
    for q in quotas:
        first = Month.of(q.quarter_start).index
        parts = largest_remainder(q.amount_cents, [1, 1, 1]) if q.amount_cents else [0, 0, 0]
        shares += [
            (seller_ids[q.sales_person_id], channel_id, first + i, int(part))
            for i, part in enumerate(parts)
        ]
    return shares


def _publish_quotas(ws: Workspace, sample: aw.Sample) -> None:
    """Each fiscal year's quotas as its published reference, and its company target; a year
    that already has a published reference keeps it (so loading again changes nothing)."""
    from pacte.accounts.models import Membership
    from pacte.planning.models import CascadeRun
    from pacte.planning.services import calendar_of, publish_stated_run, set_company_target

    emails = {p.email: p.business_entity_id for p in sample.sales_people}
    seller_ids = {
        emails[email]: pk
        for pk, email in Membership.objects.for_workspace(ws)
        .filter(user__email__in=list(emails))
        .values_list("pk", "user__email")
    }
    channel_id = Channel.objects.for_workspace(ws).get(code=aw.CHANNEL_DISTRIBUTORS).pk
    published = set(
        CascadeRun.objects.for_workspace(ws).published().values_list("fiscal_year", flat=True)
    )
    cal = calendar_of(ws)
    by_year: dict[int, list[tuple[int, int, int, int]]] = defaultdict(list)
    for share in quota_shares(sample.quotas, seller_ids, channel_id):
        by_year[cal.year_of(Month.from_index(share[2]))].append(share)
    for fiscal_year, shares in sorted(by_year.items()):
        if fiscal_year in published:
            continue
        set_company_target(
            workspace=ws,
            actor=None,
            fiscal_year=fiscal_year,
            amount=sum(share[3] for share in shares),
        )
        publish_stated_run(
            workspace=ws,
            actor=None,
            fiscal_year=fiscal_year,
            shares=shares,
            source="AdventureWorks",
        )


def load_adventureworks(directory: Path | None = None) -> tuple[Workspace, ImportJob, bool]:
    """Create the workspace (once) and import every order; returns (workspace, job, created).

    ``directory`` holds the AdventureWorks files; by default the copy shipped with Pacte."""
    sample = aw.load(aw.SHIPPED if directory is None else directory)
    with transaction.atomic():
        ws = Workspace.objects.filter(slug=SLUG).first()
        created = ws is None
        if ws is None:
            ws = _create_org(sample)
        _publish_quotas(ws, sample)
    frame = order_frame(sample)
    job = services.ingest_frame(
        workspace=ws,
        actor=None,
        frames=(frame.slice(i, 50_000) for i in range(0, frame.height, 50_000)),
        source="adventureworks",
        kind="sample",
    )
    return ws, job, created
