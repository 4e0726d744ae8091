"""Organisation structure: metrics and delayering proposal on a generated org.

A third figure goes through the database: the same generated org is bulk-inserted into the
benchmark's SQLite database (units, users, memberships, placements) and timed through
``pacte.org.structure.snapshot`` (the selector that builds ``OrgArrays`` from the tables as
of a date) plus ``metrics_of``, i.e. what the structure page and API do.

The org has 10,000 people whose deepest sellers are 6 layers from the top (quick: 2,000),
built by ``pacte.samples.orgs.synthetic_org``. Baseline, measured in the same run on the same
arrays: one vectorised pass, ``np.bincount(person_unit)`` (head count per unit), the cheapest
thing any structure figure has to do.
"""

from __future__ import annotations

import numpy as np

from bench.common import Figure, timed
from pacte.lib.orgshape import OrgArrays, metrics, propose
from pacte.samples.orgs import synthetic_org

LAYERS = 6
SHAPE = {"max_layers": 2, "span_min": 5, "span_max": 12}


def _baseline(org: OrgArrays) -> float:
    return timed(lambda: np.bincount(org.person_unit, minlength=org.n_units), repeat=5)


def run(quick: bool) -> list[Figure]:
    people = 2_000 if quick else 10_000
    org = synthetic_org(people=people, layers=LAYERS, seed=0)
    before = metrics(org, **SHAPE)
    size = f"{people:,} people, {LAYERS} layers"
    baseline = "np.bincount(person_unit), one vectorised pass over the same arrays"
    base = _baseline(org)

    metrics_s = timed(lambda: metrics(org, **SHAPE))
    proposal = propose(org, **SHAPE)
    propose_s = timed(lambda: propose(org, **SHAPE))
    blocking = ", ".join(str(b["code"]) for b in proposal.blocking) or "none"
    db_figures = _database_figures(org, people, size, base, baseline)
    return [
        *db_figures,
        Figure(
            name=f"org metrics ({size})",
            value=metrics_s,
            unit="s",
            baseline=baseline,
            baseline_value=base,
            target="< 1 s",
            holds=metrics_s < 1.0,
            notes=(
                f"{org.n_units} units, {before.leads} leads, {before.sellers} sellers, "
                f"deepest seller {before.layers_max} layers"
            ),
        ),
        Figure(
            name=f"org proposal max_layers=2 span 5..12 ({size})",
            value=propose_s,
            unit="s",
            baseline=baseline,
            baseline_value=base,
            target="< 5 s",
            holds=propose_s < 5.0,
            notes=(
                f"{len(proposal.moves)} moves, reached={proposal.reached}, "
                f"blocking: {blocking}; after: deepest seller "
                f"{proposal.after.layers_max} layers"
            ),
        ),
    ]


def _insert(org: OrgArrays, slug: str) -> object:
    """Bulk-insert ``org`` as a workspace; returns the workspace."""
    import datetime

    from pacte.accounts.models import Membership, User
    from pacte.accounts.services import create_workspace
    from pacte.org.models import Placement, Unit
    from pacte.org.selectors import root_unit

    ws = create_workspace(name=slug, slug=slug, currency="EUR")
    root = root_unit(ws)
    units = [root] + [
        Unit(workspace=ws, name=f"Unit {u}", parent=root) for u in range(1, org.n_units)
    ]
    Unit.objects.bulk_create(units[1:], batch_size=2000)
    by_name = {u.name: u for u in Unit.objects.for_workspace(ws)}
    units = [root] + [by_name[f"Unit {u}"] for u in range(1, org.n_units)]
    for u in range(1, org.n_units):
        units[u].parent = units[int(org.unit_parent[u])]
    Unit.objects.bulk_update(units[1:], ["parent"], batch_size=2000)
    users = [
        User(email=f"p{i}@{slug}.example", name=f"Person {i}", password="!")
        for i in range(org.n_people)
    ]
    User.objects.bulk_create(users, batch_size=2000)
    users = list(User.objects.filter(email__endswith=f"@{slug}.example").order_by("pk"))
    day = datetime.date(2024, 1, 1)
    members = [
        Membership(
            workspace=ws,
            user=user,
            name=user.name,
            is_seller=bool(org.is_seller[i]),
            is_lead=bool(org.lead_flags[i]),
            is_executive=i == int(org.unit_lead[0]),
            joined_on=day,
        )
        for i, user in enumerate(users)
    ]
    Membership.objects.bulk_create(members, batch_size=2000)
    members = list(Membership.objects.for_workspace(ws).order_by("user_id"))
    Placement.objects.bulk_create(
        [
            Placement(
                workspace=ws,
                membership=members[i],
                unit=units[int(org.person_unit[i])],
                valid_from=day,
            )
            for i in range(org.n_people)
        ],
        batch_size=2000,
    )
    for u in range(org.n_units):
        lead = int(org.unit_lead[u])
        units[u].lead = members[lead] if lead >= 0 else None
    Unit.objects.bulk_update(units, ["lead"], batch_size=2000)
    return ws


def _database_figures(
    org: OrgArrays, people: int, size: str, base: float, baseline: str
) -> list[Figure]:
    try:
        from pacte.org import structure
    except Exception:
        return []
    from django.conf import settings as dj

    if not dj.configured:
        return []
    ws = _insert(org, f"bench-org-{people}")

    def load_and_measure() -> dict[str, object]:
        snap = structure.snapshot(ws)  # type: ignore[arg-type]
        return structure.metrics_of(snap, structure.shape_settings(ws))  # type: ignore[arg-type]

    data = load_and_measure()
    seconds = timed(load_and_measure)
    return [
        Figure(
            name=f"org metrics from the database, selector + metrics ({size})",
            value=seconds,
            unit="s",
            baseline=baseline,
            baseline_value=base,
            target="< 1 s",
            holds=seconds < 1.0,
            notes=(
                f"SQLite; {data['people']:,} people, {data['units']:,} units, "
                f"{data['leads']:,} leads, deepest seller {data['layers']['max']} layers"  # type: ignore[index]
            ),
        )
    ]


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for figure in run(args.quick):
        ratio = figure.ratio
        print(
            f"{figure.name}: {figure.value * 1000:.1f} ms (target {figure.target}, "
            f"{'holds' if figure.holds else 'FAILS'}); baseline {figure.baseline} "
            f"{figure.baseline_value * 1e6:.1f} µs, ratio {ratio}; {figure.notes}"
        )
