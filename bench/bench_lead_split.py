"""A lead's split preview: a team of 200 in a workspace of 100,000 sellers (quick: 2,000).

Measured: ``pacte.planning.delegation.preview`` for one team — the subtree's ids, its sub-team
splits, one read of the team's stored explanations (every method's inputs), the cascade engine
restricted to the team with a hold and growth bounds, the live sum — p95 over repeated calls.
Baseline, in the same run on the same rows: the bare read of the team's 200 explanation rows
(``values_list`` of their ids, names and amounts, without the inputs), the part the preview
cannot avoid. The PostgreSQL figure
runs when postgres://postgres@127.0.0.1:5432 answers; the database ``pacte_bench_lead_split`` is
created and dropped by the benchmark.
"""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.common import Figure, drop_postgres, postgres_alias

TEAM = 200
PG_DB = "pacte_bench_lead_split"
REPEAT = 60


def _seed(using: str, sellers: int) -> dict[str, Any]:
    """``sellers`` members in teams of ``TEAM``, a published run with their explanations, and
    an open delegation with one split per team, in bulk."""
    from django.db import transaction

    from pacte.accounts.models import Membership, User, Workspace
    from pacte.org.models import Unit
    from pacte.planning.models import (
        CascadeRun,
        Delegation,
        SellerExplanation,
        TeamSplit,
    )

    teams = max(1, sellers // TEAM)
    with transaction.atomic(using=using):
        ws = Workspace.objects.using(using).create(name="Bench", slug=f"bench-{time.time_ns()}")
        root = Unit.objects.using(using).create(workspace=ws, name="Bench")
        Unit.objects.using(using).bulk_create(
            [Unit(workspace=ws, name=f"Team {i}", parent=root) for i in range(teams)]
        )
        unit_ids = list(
            Unit.objects.using(using)
            .filter(workspace=ws, parent=root)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        tag = ws.slug
        User.objects.using(using).bulk_create(
            [User(email=f"s{i}@{tag}.example", password="!") for i in range(sellers)],
            batch_size=5000,
        )
        users = list(
            User.objects.using(using)
            .filter(email__endswith=f"@{tag}.example")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Membership.objects.using(using).bulk_create(
            [
                Membership(workspace=ws, user_id=uid, name=f"S{i:06d}", is_seller=True)
                for i, uid in enumerate(users)
            ],
            batch_size=5000,
        )
        members = list(
            Membership.objects.using(using)
            .filter(workspace=ws)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        run = CascadeRun.objects.using(using).create(
            workspace=ws,
            fiscal_year=2030,
            number=1,
            method="equal",
            status="published",
            total=sellers * 1_000_000,
        )
        SellerExplanation.objects.using(using).bulk_create(
            [
                SellerExplanation(
                    workspace=ws,
                    run=run,
                    seller_id=pk,
                    unit_id=unit_ids[i // TEAM % teams],
                    amount=1_000_000,
                    data={
                        "method": "equal",
                        "weight_share": 1 / TEAM,
                        "inputs": {
                            "history": 900_000 + (i % 97) * 1000,
                            "history_annualised": 900_000 + (i % 97) * 1000,
                            "window_months": 12,
                            "potential": 1_200_000 + (i % 13) * 5000,
                            "fte": 1.0 if i % 10 else 0.5,
                            "start_month": -1,
                            "ramp_months": 3,
                            "leave_months": [0.0] * 12,
                            "capacity": 12.0,
                        },
                        "channels": {"field": 1_000_000},
                        "months": [83_333] * 11 + [83_337],
                    },
                )
                for i, pk in enumerate(members)
            ],
            batch_size=5000,
        )
        delegation = Delegation.objects.using(using).create(
            workspace=ws,
            run=run,
            opens_on=datetime.date(2029, 12, 1),
            closes_on=datetime.date(2029, 12, 31),
        )
        TeamSplit.objects.using(using).bulk_create(
            [
                TeamSplit(
                    workspace=ws,
                    delegation=delegation,
                    unit_id=u,
                    amount=TEAM * 1_000_000,
                )
                for u in unit_ids
            ]
        )
    middle = unit_ids[len(unit_ids) // 2]
    split = (
        TeamSplit.objects.using(using)
        .select_related("unit", "delegation", "delegation__run")
        .get(delegation=delegation, unit_id=middle)
    )
    held = (
        SellerExplanation.objects.using(using)
        .filter(run=run, unit_id=middle)
        .values_list("seller__uuid", flat=True)
        .first()
    )
    return {"split": split, "run": run, "unit": middle, "held": str(held)}


def _timings(fn: Callable[[], object]) -> tuple[float, float]:
    """Median and p95 of ``fn`` in seconds over ``REPEAT`` calls (after one warm-up)."""
    fn()
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def _measure(using: str, sellers: int) -> tuple[float, float, float]:
    from django.db import connections

    from pacte.planning import delegation as dl
    from pacte.planning.models import SellerExplanation

    seed = _seed(using, sellers)
    split, run, unit = seed["split"], seed["run"], seed["unit"]
    parameters = {"holds": {seed["held"]: 1_500_000}, "bounds": [-20, 40]}

    # the preview runs on the default alias: point it at the benchmark's database
    default = connections["default"]
    original = connections.settings["default"] if using != "default" else None
    if original is not None:
        connections["default"] = connections[using]

    def preview() -> None:
        out = dl.preview(
            split,
            method="blended",
            parameters={**parameters, "mix": {"equal": 1, "history": 1}},
            currency="EUR",
        )
        assert out["exact"], out["difference"]

    def baseline() -> None:
        rows = list(
            SellerExplanation.objects.filter(
                workspace_id=run.workspace_id, run_id=run.pk, unit_id=unit
            ).values_list("seller_id", "seller__uuid", "seller__name", "unit_id", "amount")
        )
        assert len(rows) == min(TEAM, sellers)

    try:
        median, value = _timings(preview)
        _base_median, base = _timings(baseline)
    finally:
        if original is not None:
            connections["default"] = default
    return value, base, median


def run(quick: bool) -> list[Figure]:
    sellers = 2_000 if quick else 100_000
    figures = []
    targets: list[tuple[str, str]] = [("default", "SQLite")]
    alias = postgres_alias("bench_lead_pg", PG_DB)
    if alias:
        targets.append((alias, "PostgreSQL"))
    try:
        for using, label in targets:
            value, base, median = _measure(using, sellers)
            figures.append(
                Figure(
                    name=f"lead split preview p95, {label} (team {TEAM} of {sellers:,})",
                    value=value * 1000,
                    unit="ms",
                    baseline="bare read of the team's 200 explanation rows (p95)",
                    baseline_value=base * 1000,
                    target="p95 < 50 ms",
                    holds=value < 0.050,
                    notes=f"median {median * 1000:.1f} ms; blended method, a hold, growth bounds",
                )
            )
    finally:
        if alias:
            drop_postgres("bench_lead_pg", PG_DB)
    return figures


if __name__ == "__main__":
    import sys
    import tempfile

    from bench.__main__ import setup_django

    setup_django(tempfile.mkdtemp(prefix="pacte-bench-"))
    for figure in run("--quick" in sys.argv):
        print(
            f"{figure.name}: {figure.value:.1f} ms vs {figure.baseline_value:.1f} ms "
            f"(ratio {figure.ratio}, {'holds' if figure.holds else 'FAILS'}); {figure.notes}"
        )
