"""Shared helpers for the benchmarks under ``bench/``.

Every benchmark module is named ``bench_*.py`` and exposes ``run(quick: bool) -> list[Figure]``.
A figure compares a measured value with a baseline measured *in the same run* on the same data,
so that the ratio stays meaningful on a shared, noisy machine.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    target: str
    holds: bool
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return round(self.value / self.baseline_value, 3)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def timed(fn: Callable[[], object], *, repeat: int = 3) -> float:
    """Median wall time of ``fn`` in seconds over ``repeat`` runs (garbage collected between)."""
    samples = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_alias(alias: str, database: str) -> str | None:
    """Create an empty database ``database`` on the machine's PostgreSQL, register it as the
    connection ``alias`` and migrate it; None when no server answers (the bench runs on SQLite
    only)."""
    try:
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database}")
            admin.execute(f"CREATE DATABASE {database}")
    except Exception:
        return None
    from django.core.management import call_command
    from django.db import connections

    settings = dict(connections.settings["default"])
    settings.update(
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": database,
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "OPTIONS": {},
            "TEST": {},
        }
    )
    connections.settings[alias] = settings
    call_command("migrate", database=alias, verbosity=0)
    return alias


def drop_postgres(alias: str, database: str) -> None:
    """Close ``alias`` and drop its database (made by ``postgres_alias``)."""
    import psycopg
    from django.db import connections

    connections[alias].close()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database}")
