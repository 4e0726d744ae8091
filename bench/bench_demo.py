"""Generating and loading the demo company with 10,000 sellers (quick: 2,000).

Baseline, measured in the same run on the same SQLite database: a raw ``executemany`` of the
same number of rows (users, memberships, placements, units) into bare tables without indexes.
"""

from __future__ import annotations

import time

from django.db import connection

from bench.common import Figure
from pacte.samples import demo


def _raw_baseline(n_people: int, n_units: int) -> float:
    with connection.cursor() as cursor:
        for table in ("bench_users", "bench_members", "bench_placements", "bench_units"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute("CREATE TABLE bench_users (email TEXT, name TEXT, password TEXT)")
        cursor.execute(
            "CREATE TABLE bench_members (user_id INT, name TEXT, roles TEXT, joined TEXT)"
        )
        cursor.execute(
            "CREATE TABLE bench_placements (member_id INT, unit_id INT, valid_from TEXT)"
        )
        cursor.execute("CREATE TABLE bench_units (name TEXT, parent_id INT, lead_id INT)")
        users = [(f"u{i}@x.example", f"User {i}", "pbkdf2$hash") for i in range(n_people)]
        members = [(i, f"User {i}", "seller", "2024-01-01") for i in range(n_people)]
        placements = [(i, i % max(n_units, 1), "2024-01-01") for i in range(n_people)]
        units = [(f"Unit {i}", 0, i) for i in range(n_units)]
        start = time.perf_counter()
        cursor.executemany("INSERT INTO bench_users VALUES (%s, %s, %s)", users)
        cursor.executemany("INSERT INTO bench_members VALUES (%s, %s, %s, %s)", members)
        cursor.executemany("INSERT INTO bench_placements VALUES (%s, %s, %s)", placements)
        cursor.executemany("INSERT INTO bench_units VALUES (%s, %s, %s)", units)
        return time.perf_counter() - start


def run(quick: bool) -> list[Figure]:
    sellers = 2_000 if quick else 10_000
    start = time.perf_counter()
    plan = demo.generate(seed=1, sellers=sellers)
    generate_s = time.perf_counter() - start
    start = time.perf_counter()
    demo.load(plan, slug=f"bench-{sellers}")
    load_s = time.perf_counter() - start
    baseline = _raw_baseline(len(plan.people), len(plan.units))
    total = generate_s + load_s
    return [
        Figure(
            name=f"demo company, {sellers:,} sellers ({len(plan.people):,} people): generate + load",
            value=round(total, 3),
            unit="s",
            baseline="raw executemany of the same rows into bare SQLite tables",
            baseline_value=round(baseline, 4),
            target="< 15 s",
            holds=total < 15,
            notes=f"generate {generate_s:.2f} s, load {load_s:.2f} s",
        )
    ]
