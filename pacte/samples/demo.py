"""The demo company: a deterministic generator and a bulk loader.

``generate`` is pure (same seed, same company); ``load`` writes it with bulk inserts only, so
10,000 sellers load in seconds. Later issues extend the same generator with sales history.
"""

from __future__ import annotations

import datetime
import math
import random
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

DEMO_SLUG = "demo"
DEMO_PASSWORD = "pacte-demo"
EMAIL_DOMAIN = "demo.pacte.example"

FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Jade",
    "Louise",
    "Zoé",
    "Alice",
    "Juliette",
    "Lucas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Nathan",
    "Théo",
    "Raphaël",
    "Noé",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Sophie",
    "Grace",
    "Ruby",
    "Charlotte",
    "Freya",
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Jacob",
    "Thomas",
    "William",
    "James",
    "Henry",
    "Samuel",
    "Élodie",
    "Mathéo",
    "Anaïs",
    "Benoît",
    "Céline",
    "Hélène",
    "François",
    "Gaëlle",
    "Jérôme",
    "Margaux",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Evans",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Clarke",
]
TEAM_NAMES = [
    "Paris Île-de-France",
    "Nord",
    "Grand Est",
    "Auvergne-Rhône-Alpes",
    "Sud-Ouest",
    "Méditerranée",
    "Ouest",
    "Key Accounts",
    "Benelux",
    "UK & Ireland",
    "DACH",
    "Iberia",
]
CHANNELS = [
    ("field", "Field sales", "Vente terrain"),
    ("distributors", "Distributors", "Distributeurs"),
    ("telesales", "Telesales", "Télévente"),
    ("e-commerce", "E-commerce", "E-commerce"),
]


@dataclass
class Person:
    email: str
    name: str
    roles: set[str]
    unit: int  # index into DemoPlan.units
    joined_on: datetime.date


@dataclass
class DemoUnit:
    name: str
    parent: int | None
    lead: int | None = None  # index into DemoPlan.people


@dataclass
class DemoPlan:
    name: str
    units: list[DemoUnit] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)

    def logins(self) -> list[tuple[str, str]]:
        """One login per role: executive, a lead, a seller, the admin."""
        found: dict[str, str] = {}
        for person in self.people:
            key = (
                "executive"
                if "executive" in person.roles
                else "lead"
                if "lead" in person.roles
                else "admin"
                if "admin" in person.roles
                else "seller"
            )
            found.setdefault(key, person.email)
        return [
            (role, found[role])
            for role in ("executive", "lead", "seller", "admin")
            if role in found
        ]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def generate(*, seed: int = 42, sellers: int = 40) -> DemoPlan:
    """A company of ``sellers`` sellers (leads included: they sell too), an executive, an admin."""
    if sellers < 1:
        raise ValueError("A demo company needs at least one seller.")
    rng = random.Random(seed)
    plan = DemoPlan(name="Lumen Industries")
    plan.units.append(DemoUnit(name=plan.name, parent=None))
    used: set[str] = set()

    names: set[tuple[str, str]] = set()

    def person(roles: set[str], unit: int, years: int = 6) -> int:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        for _ in range(20):  # avoid namesakes while the name lists allow it
            if (first, last) not in names:
                break
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        names.add((first, last))
        base = f"{_ascii(first)}.{_ascii(last)}".replace(" ", "-")
        email, n = f"{base}@{EMAIL_DOMAIN}", 1
        while email in used:
            n += 1
            email = f"{base}{n}@{EMAIL_DOMAIN}"
        used.add(email)
        joined = datetime.date(2026, 1, 1) - datetime.timedelta(days=rng.randint(30, 365 * years))
        plan.people.append(Person(email, f"{first} {last}", roles, unit, joined))
        return len(plan.people) - 1

    plan.units[0].lead = person({"executive"}, 0, years=10)
    person({"admin"}, 0)
    n_teams = max(1, min(sellers, round(sellers / 7)))
    parents = [0]
    if n_teams > 12:  # large companies get one regional layer of leads (two layers in all)
        n_regions = math.ceil(n_teams / 12)
        parents = []
        for r in range(n_regions):
            plan.units.append(DemoUnit(name=f"Region {r + 1}", parent=0))
            idx = len(plan.units) - 1
            plan.units[idx].lead = person({"lead"}, 0)
            parents.append(idx)
    team_indices = []
    for t in range(n_teams):
        name = TEAM_NAMES[t] if t < len(TEAM_NAMES) else f"Team {t + 1}"
        plan.units.append(DemoUnit(name=name, parent=parents[t % len(parents)]))
        team_indices.append(len(plan.units) - 1)
    # Leads sell too: they count among the sellers.
    for t in team_indices:
        plan.units[t].lead = person({"lead", "seller"}, t)
    for i in range(sellers - len(team_indices)):
        person({"seller"}, team_indices[i % len(team_indices)])
    return plan


@transaction.atomic
def load(plan: DemoPlan, *, slug: str = DEMO_SLUG, password: str = DEMO_PASSWORD) -> object:
    """Write the plan with bulk inserts (one statement per table and batch, never per row)."""
    from pacte.accounts.models import ROLE_FIELDS, Membership, User
    from pacte.accounts.services import create_workspace
    from pacte.audit.services import record
    from pacte.org.models import Placement, Unit
    from pacte.sales.models import Channel

    workspace = create_workspace(name=plan.name, slug=slug, currency="EUR", rounding_unit=100_00)
    root = Unit.objects.for_workspace(workspace).get(parent__isnull=True)
    Channel.objects.bulk_create(
        Channel(workspace=workspace, code=code, name_en=en, name_fr=fr, position=i)
        for i, (code, en, fr) in enumerate(CHANNELS)
    )
    units = [root]
    new_units = [Unit(workspace=workspace, name=u.name, parent=root) for u in plan.units[1:]]
    Unit.objects.bulk_create(new_units, batch_size=2000)
    units.extend(
        Unit.objects.for_workspace(workspace)
        .filter(name__in=[u.name for u in new_units])
        .order_by()
    )
    by_name = {u.name: u for u in units}
    units = [by_name[u.name] for u in plan.units]
    for spec, unit in zip(plan.units, units, strict=True):
        unit.parent = units[spec.parent] if spec.parent is not None else None
    Unit.objects.bulk_update(units[1:], ["parent"], batch_size=2000)

    hashed = make_password(password)
    existing = set(
        User.objects.filter(email__in=[p.email for p in plan.people]).values_list(
            "email", flat=True
        )
    )
    User.objects.bulk_create(
        [
            User(email=p.email, name=p.name, password=hashed)
            for p in plan.people
            if p.email not in existing
        ],
        batch_size=2000,
    )
    users = {u.email: u for u in User.objects.filter(email__in=[p.email for p in plan.people])}
    memberships = []
    for p in plan.people:
        m = Membership(workspace=workspace, user=users[p.email], name=p.name, joined_on=p.joined_on)
        for role, flag in ROLE_FIELDS.items():
            setattr(m, flag, role in p.roles)
        memberships.append(m)
    Membership.objects.bulk_create(memberships, batch_size=2000)
    member_ids = dict(Membership.objects.for_workspace(workspace).values_list("user__email", "pk"))
    Placement.objects.bulk_create(
        [
            Placement(
                workspace=workspace,
                membership_id=member_ids[p.email],
                unit=units[p.unit],
                valid_from=p.joined_on,
            )
            for p in plan.people
        ],
        batch_size=2000,
    )
    for spec, unit in zip(plan.units, units, strict=True):
        unit.lead_id = member_ids[plan.people[spec.lead].email] if spec.lead is not None else None
    Unit.objects.bulk_update(units, ["lead"], batch_size=2000)
    record(
        workspace=workspace,
        actor=None,
        action="workspace.demo_loaded",
        obj=workspace,
        after={"people": len(plan.people), "units": len(plan.units)},
    )
    return workspace


SALES_START = datetime.date(2024, 12, 1)  # two years of history up to the end of November 2026
SALES_MONTHS = 24
_SEASON = [0.8, 0.85, 1.05, 0.95, 1.0, 1.1, 0.75, 0.6, 1.05, 1.1, 1.15, 1.4]
_CHANNEL_MIX = {"field": 0.5, "distributors": 0.25, "telesales": 0.15, "e-commerce": 0.10}


def generate_sales(plan: DemoPlan, *, seed: int = 42, per_seller_month: float = 4.0) -> Any:
    """Two years of sales for the plan's sellers, as import rows (a Polars frame of strings).

    Deterministic for a seed: monthly seasonality, 12% yearly growth, a channel mix, 3% credit
    notes, about 6% split deals between two sellers of a team and 5% overlay credits for the
    team lead. Only sellers who had joined by the sale date sell."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    sellers = [i for i, p in enumerate(plan.people) if "seller" in p.roles]
    if not sellers:
        return pl.DataFrame()
    lead_of = {
        u: plan.people[spec.lead].email
        for u, spec in enumerate(plan.units)
        if spec.lead is not None
    }
    team_members: dict[int, list[int]] = {}
    for i in sellers:
        team_members.setdefault(plan.people[i].unit, []).append(i)
    rows_seller: list[int] = []
    rows_day: list[str] = []
    for m in range(SALES_MONTHS):
        year, month = divmod(SALES_START.month - 1 + m, 12)
        first = datetime.date(SALES_START.year + year, month + 1, 1)
        following = datetime.date(first.year + (month == 11), (month + 1) % 12 + 1, 1)
        days = following - first
        lam = per_seller_month * _SEASON[month] * (1.12 ** (m / 12))
        counts = rng.poisson(lam, size=len(sellers))
        for i, n in zip(sellers, counts, strict=True):
            if n and plan.people[i].joined_on <= first:
                rows_seller.extend([i] * int(n))
                rows_day.extend(
                    (first + datetime.timedelta(days=int(d))).isoformat()
                    for d in rng.integers(0, days.days, size=int(n))
                )
    n = len(rows_seller)
    amounts = np.round(rng.lognormal(mean=8.3, sigma=0.9, size=n) * 100).astype(np.int64)
    amounts[rng.random(n) < 0.03] *= -1
    channels = rng.choice(list(_CHANNEL_MIX), size=n, p=list(_CHANNEL_MIX.values()))
    roll = rng.random(n)
    emails, splits, overlays = [], [], []
    for j, i in enumerate(rows_seller):
        person = plan.people[i]
        mates = [k for k in team_members[person.unit] if k != i]
        split = overlay = None
        if roll[j] < 0.06 and mates:
            other = plan.people[mates[int(rng.integers(len(mates)))]]
            share = int(rng.choice([50, 60, 70]))
            split = f"{person.email}:{share};{other.email}:{100 - share}"
        elif roll[j] > 0.95 and lead_of.get(person.unit) not in (None, person.email):
            overlay = lead_of[person.unit]
        emails.append(None if split else person.email)
        splits.append(split)
        overlays.append(overlay)
    cents = np.abs(amounts)
    text = [
        ("-" if a < 0 else "") + f"{c // 100}.{c % 100:02d}"
        for a, c in zip(amounts.tolist(), cents.tolist(), strict=True)
    ]
    return pl.DataFrame(
        {
            "__line__": list(range(2, n + 2)),
            "external_id": [f"D{k:07d}" for k in range(1, n + 1)],
            "date": rows_day,
            "amount": text,
            "channel": channels.tolist(),
            "seller": emails,
            "split": splits,
            "overlay": overlays,
            "currency": ["EUR"] * n,
            "customer": [f"Client {int(c):04d}" for c in rng.integers(1, 400, size=n)],
            "territory": [None] * n,
            "solution": [None] * n,
        },
        schema={
            "__line__": pl.Int64,
            **{
                k: pl.String
                for k in (
                    "external_id",
                    "date",
                    "amount",
                    "channel",
                    "seller",
                    "split",
                    "overlay",
                    "currency",
                    "customer",
                    "territory",
                    "solution",
                )
            },
        },
    )


def load_sales(plan: DemoPlan, workspace: object, *, seed: int = 42) -> object:
    """Load the generated history through the sales bulk path (idempotent: source ``demo``)."""
    from pacte.sales.import_jobs import ingest_frame

    frame = generate_sales(plan, seed=seed)
    return ingest_frame(
        workspace=workspace,  # type: ignore[arg-type]
        actor=None,
        frames=[frame.slice(i, 100_000) for i in range(0, frame.height, 100_000)],
        source="demo",
        kind="demo",
    )


def load_plans(
    workspace: Any, *, seed: int = 42, today: datetime.date | None = None
) -> dict[str, int]:
    """Targets and objectives, so that every page of the demo has something to show.

    This fiscal year and the next each get a company target (last year's actuals plus growth)
    cascaded by history and published. This year every seller's objective is agreed (at or
    above the reference share). Next year's objective setting is under way: about seven in ten
    sellers proposed at or above their reference (agreed at once by the delegation policy), some
    below it (waiting for their handler), the rest not yet. Runs once: a workspace that has
    runs is left alone.
    Goes through the same services as the pages, so every step is audited.
    """
    from django.db.models import Sum
    from django.utils import timezone, translation
    from django.utils.translation import gettext

    from pacte.accounts.models import Membership
    from pacte.errors import DomainError
    from pacte.objectives import services as objectives
    from pacte.objectives.references import references_for
    from pacte.planning import services as planning
    from pacte.planning.models import CascadeRun
    from pacte.planning.runs import create_run, publish_run
    from pacte.sales.models import CubeCell

    if CascadeRun.objects.for_workspace(workspace).exists():
        return {"runs": 0, "objectives": 0}
    today = today or timezone.localdate()
    calendar = workspace.calendar
    fy = calendar.year_of(today)
    executive = (
        Membership.objects.for_workspace(workspace).filter(is_executive=True).order_by("pk").first()
    )

    def actual(year: int) -> int:
        months = [m.index for m in calendar.months(year)]
        total = (
            CubeCell.objects.for_workspace(workspace)
            .filter(month__in=months)
            .aggregate(s=Sum("split_amount"))["s"]
        )
        return int(total or 0)

    unit = workspace.rounding_unit
    base = actual(fy - 1) or 1_000_000_00
    runs = 0
    for year, factor in ((fy, 108), (fy + 1, 108 * 110 // 100)):
        amount = base * factor // 100 // unit * unit
        planning.set_company_target(
            workspace=workspace, actor=executive, fiscal_year=year, amount=amount
        )
        run = create_run(
            workspace=workspace,
            actor=executive,
            fiscal_year=year,
            parameters={
                "method": "history",
                "window_months": 12,
                "bounds": [-10, 30],
                "phasing": "seasonal",
            },
        )
        publish_run(run=run, actor=executive)
        runs += 1
    rng = random.Random(seed)
    sellers = list(
        Membership.objects.for_workspace(workspace)
        .filter(is_seller=True, is_active=True)
        .order_by("pk")
    )
    proposed = 0
    # A narrative is text a seller types: the demo's sellers write theirs in the workspace's
    # language (stored as typed, never translated afterwards).
    with translation.override(workspace.language):
        narrative = gettext("Objective set during the demo set-up.")
    # This year: everyone committed at or above their reference (agreed at once).
    # Next year: objective setting under way — most above, some below (with their handler).
    for year, settled in ((fy, True), (fy + 1, False)):
        references = references_for(workspace, year, [s.pk for s in sellers])
        for seller in sellers:
            reference = references.get(seller.pk)
            draw = rng.random()
            if reference is None or not reference.annual or (not settled and draw > 0.85):
                continue
            above = settled or draw < 0.7
            per_mille = rng.randint(1000, 1120) if above else rng.randint(850, 950)
            amount = reference.annual * per_mille // 1000 // 100 * 100
            try:
                objectives.propose(
                    seller=seller,
                    fiscal_year=year,
                    amount=amount,
                    narrative=narrative,
                )
            except DomainError:
                continue
            proposed += 1
    return {"runs": runs, "objectives": proposed}
