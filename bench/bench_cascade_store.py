"""Storing a cascade run: 100,000 sellers × 5 channels × 12 months (quick: 1,000 sellers).

Measured: ``pacte.planning.storage.store_cells`` — from the integer arrays of a
``CascadeResult`` to committed rows of ``planning_cascadeshare`` (with its index: the
composite primary key on SQLite, a BRIN index summarised before the commit on PostgreSQL)
plus the unit rollups, in one transaction. Baseline, in the same run on the same rows: a
raw bulk insert of the already-built seller rows into a bare table (no index, no constraint):
``executemany`` of ready tuples on SQLite, ``COPY`` of ready tab-separated text on PostgreSQL.
The PostgreSQL figure runs when postgres://postgres@127.0.0.1:5432 answers; the database
``pacte_bench_planning`` is created and dropped by the benchmark.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench.common import Figure, drop_postgres, postgres_alias

CHANNELS = 5
MONTHS = 12
TEAMS = 50
PG_DB = "pacte_bench_planning"
BARE = "bench_bare_share"
COLUMNS = ["workspace_id", "run_id", "seller_id", "unit_id", "channel_id", "month", "amount"]


def _seed(using: str, sellers: int) -> dict[str, Any]:
    """A workspace with ``sellers`` members in ``TEAMS`` teams and 5 channels, in bulk."""
    from django.db import transaction

    from pacte.accounts.models import Membership, User, Workspace
    from pacte.org.models import Unit
    from pacte.planning.models import CascadeRun
    from pacte.sales.models import Channel

    with transaction.atomic(using=using):
        ws = Workspace.objects.using(using).create(name="Bench", slug=f"bench-{time.time_ns()}")
        root = Unit.objects.using(using).create(workspace=ws, name="Bench")
        Unit.objects.using(using).bulk_create(
            [Unit(workspace=ws, name=f"Team {i}", parent=root) for i in range(TEAMS)]
        )
        Channel.objects.using(using).bulk_create(
            [
                Channel(workspace=ws, code=f"c{i}", name_en=f"C{i}", name_fr=f"C{i}", position=i)
                for i in range(CHANNELS)
            ]
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
                Membership(workspace=ws, user_id=uid, name=f"S{i}", is_seller=True)
                for i, uid in enumerate(users)
            ],
            batch_size=5000,
        )
        run = CascadeRun.objects.using(using).create(
            workspace=ws, fiscal_year=2030, number=1, method="equal", total=0
        )
    units = list(
        Unit.objects.using(using).for_workspace(ws).order_by("pk").values_list("pk", "parent_id")
    )
    unit_ids = np.array([u[0] for u in units], np.int64)
    parent = np.array([0 if p else -1 for _u, p in units], np.int64)
    seller_ids = np.array(
        Membership.objects.using(using)
        .for_workspace(ws)
        .order_by("pk")
        .values_list("pk", flat=True),
        np.int64,
    )
    channel_ids = np.array(
        Channel.objects.using(using).for_workspace(ws).order_by("pk").values_list("pk", flat=True),
        np.int64,
    )
    return {
        "run": run,
        "seller_ids": seller_ids,
        "unit_ids": unit_ids,
        "parent": parent,
        "channel_ids": channel_ids,
    }


def _cascade(seed: dict[str, Any], sellers: int) -> Any:
    from pacte.lib import allocation as alloc

    rng = np.random.default_rng(0)
    seller_unit = 1 + (np.arange(sellers) % TEAMS)
    return alloc.cascade(
        10**13,
        seller_unit=seller_unit,
        unit_parent=seed["parent"],
        weights=rng.uniform(0.5, 2.0, sellers),
        seller_keys=seed["seller_ids"],
        channel_weights=rng.uniform(0.1, 1.0, (sellers, CHANNELS)),
        phasing=rng.uniform(0.5, 1.5, (CHANNELS, MONTHS)),
        rounding_unit=100,
    ), seller_unit


def _measure(using: str, sellers: int) -> tuple[float, float, int]:
    from django.db import connections, transaction

    from pacte.planning.storage import store_cells

    seed = _seed(using, sellers)
    result, seller_unit = _cascade(seed, sellers)
    run = seed["run"]
    conn = connections[using]
    # the baseline's rows, built before its clock starts
    s, ch, m = np.nonzero(result.cells)
    cols = [
        np.full(len(s), run.workspace_id, np.int64),
        np.full(len(s), run.pk, np.int64),
        seed["seller_ids"][s],
        seed["unit_ids"][seller_unit[s]],
        seed["channel_ids"][ch],
        m + 2030 * 12,
        result.cells[s, ch, m],
    ]
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE}")
        cursor.execute(
            f"CREATE TABLE {BARE} (" + ", ".join(f"{c} bigint NOT NULL" for c in COLUMNS) + ")"
        )
    if conn.vendor == "postgresql":
        import polars as pl

        payload: Any = pl.DataFrame(dict(zip(COLUMNS, cols, strict=True))).write_csv(
            separator="\t", include_header=False
        )
    else:
        payload = list(zip(*(c.tolist() for c in cols), strict=True))

    def baseline() -> None:
        with transaction.atomic(using=using), conn.cursor() as cursor:
            if conn.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {BARE} ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                    cp.write(payload)
            else:
                sql = f"INSERT INTO {BARE} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * 7)})"
                for start in range(0, len(payload), 50_000):
                    cursor.executemany(sql, payload[start : start + 50_000])

    def store() -> None:
        with transaction.atomic(using=using):
            store_cells(
                run=run,
                seller_ids=seed["seller_ids"],
                seller_unit_ids=seed["unit_ids"][seller_unit],
                channel_ids=seed["channel_ids"],
                first_month=2030 * 12,
                cells=result.cells,
                unit_ids=seed["unit_ids"],
                unit_cells=result.unit_cells,
                using=using,
            )

    def clear() -> None:
        with conn.cursor() as cursor:
            if conn.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {BARE}, planning_cascadeshare, planning_unitshare")
            else:
                cursor.execute(f"DELETE FROM {BARE}")
                cursor.execute("DELETE FROM planning_cascadeshare")
                cursor.execute("DELETE FROM planning_unitshare")

    base_times, store_times = [], []
    for _ in range(2):
        clear()
        start = time.perf_counter()
        baseline()
        base_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        store()
        store_times.append(time.perf_counter() - start)
    clear()
    with conn.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BARE}")
    return min(store_times), min(base_times), len(s)


def run(quick: bool) -> list[Figure]:
    sellers = 1_000 if quick else 100_000
    size = f"{sellers:,} sellers × {CHANNELS} channels × {MONTHS} months"
    figures = []
    targets: list[tuple[str, str]] = [("default", "SQLite")]
    alias = postgres_alias("bench_pg", PG_DB)
    if alias:
        targets.append((alias, "PostgreSQL"))
    try:
        for using, label in targets:
            value, base, rows = _measure(using, sellers)
            ratio = value / base if base else float("inf")
            figures.append(
                Figure(
                    name=f"store cascade run, {label} ({size})",
                    value=value,
                    unit="s",
                    baseline=(
                        "raw COPY of the same ready rows into a bare table"
                        if label == "PostgreSQL"
                        else "raw executemany of the same ready rows into a bare table"
                    ),
                    baseline_value=base,
                    target="< 2× baseline",
                    holds=ratio < 2.0,
                    notes=f"{rows:,} share rows + unit rollups, indexes and foreign keys",
                )
            )
    finally:
        if alias:
            drop_postgres("bench_pg", PG_DB)
    if not alias:
        figures.append(
            Figure(
                name="store cascade run, PostgreSQL",
                value=0.0,
                unit="s",
                baseline="PostgreSQL not reachable at 127.0.0.1:5432",
                baseline_value=0.0,
                target="< 2× baseline",
                holds=True,
                notes="skipped",
            )
        )
    return figures


if __name__ == "__main__":
    import sys
    import tempfile

    from bench.__main__ import setup_django

    setup_django(tempfile.mkdtemp(prefix="pacte-bench-"))
    for figure in run("--quick" in sys.argv):
        print(
            f"{figure.name}: {figure.value:.2f} s vs {figure.baseline_value:.2f} s "
            f"(ratio {figure.ratio}, {'holds' if figure.holds else 'FAILS'}); {figure.notes}"
        )
