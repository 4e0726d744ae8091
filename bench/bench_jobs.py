"""Background jobs through ``pacte worker`` processes, on SQLite and PostgreSQL.

- Pick-up latency: 200 small jobs enqueued one at a time (every 20 ms) with two idle workers
  polling every ``PACTE_WORKER_POLL_SECONDS`` (0.5 s, the default); latency is the job's
  ``started_at`` minus its ``enqueued_at``. Reference: the poll interval (an idle worker looks
  at the queue that often, so half of it is the expected median).
- Throughput: 1,000 small jobs enqueued at once, run by two workers, from the commit of the
  enqueue to the last job finished. Baseline: the writes any database queue makes per job
  (one INSERT and two UPDATE transactions of a row), one process, measured in the same run.
- Import through the worker: a sales import (quick: 25k rows; full: 1M) enqueued to an idle
  worker, from its enqueue to the job's end, against the same import run in-process
  (``run_import``) on an identical copy of the database; in-process, worker, worker,
  in-process, each after a checkpoint, the two runs of each way averaged. Target: at most 1.1×.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.bench_import import PG_ADMIN, WORKER, _copy_migrated_sqlite, _pg, write_csv
from bench.common import Figure

ROOT = Path(__file__).resolve().parents[1]
POLL = 0.5

DRIVER = r"""
import json, sys, time
import django
django.setup()
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pacte.jobs.models import WorkerHeartbeat
mode = sys.argv[1]

def wait_workers(n):
    while WorkerHeartbeat.objects.count() < n:
        time.sleep(0.05)

def wait_done(ids, every=0.2):
    # Times come from the rows (enqueued_at, started_at, finished_at): this loop only waits,
    # and seldom, so as not to take a core from the workers it measures.
    while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"], id__in=ids).exists():
        time.sleep(every)

if mode == "spaced":
    from bench.tasks import noop
    wait_workers(2)
    time.sleep(1)
    ids = []
    for _ in range(int(sys.argv[2])):
        ids.append(noop.enqueue().id)
        time.sleep(0.02)
    wait_done(ids)
    rows = DBTaskResult.objects.filter(id__in=ids).values_list("enqueued_at", "started_at")
    print(json.dumps({"latencies": [(s - e).total_seconds() for e, s in rows]}))
elif mode == "burst":
    from bench.tasks import noop
    wait_workers(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    n = int(sys.argv[2])
    with transaction.atomic():
        ids = [noop.enqueue().id for _ in range(n)]
    start = timezone.now()
    wait_done(ids)
    last = max(DBTaskResult.objects.filter(id__in=ids).values_list("finished_at", flat=True))
    ok = DBTaskResult.objects.filter(id__in=ids, status="SUCCESSFUL").count()
    print(json.dumps({"seconds": (last - start).total_seconds(), "ok": ok}))
elif mode == "floor":
    n = int(sys.argv[2])
    with connection.cursor() as c:
        c.execute("DROP TABLE IF EXISTS floor_jobs")
        c.execute("CREATE TABLE floor_jobs (id integer PRIMARY KEY, status varchar(10), at timestamp)")
    start = time.perf_counter()
    for i in range(n):
        for sql in (
            "INSERT INTO floor_jobs VALUES (%s, 'READY', CURRENT_TIMESTAMP)",
            "UPDATE floor_jobs SET status = 'RUNNING', at = CURRENT_TIMESTAMP WHERE id = %s",
            "UPDATE floor_jobs SET status = 'DONE', at = CURRENT_TIMESTAMP WHERE id = %s",
        ):
            with transaction.atomic(), connection.cursor() as c:
                c.execute(sql, [i])
    print(json.dumps({"seconds": time.perf_counter() - start}))
elif mode == "import":
    from pacte.accounts.models import Workspace
    from pacte.sales.models import ImportJob
    from pacte.sales.tasks import run_import_task
    wait_workers(1)
    ws = Workspace.objects.get(slug="bench")
    mapping = {"external_id": "id", "date": "date", "amount": "amount", "channel": "channel", "seller": "seller", "split": "splits"}
    job = ImportJob.objects.create(workspace=ws, file_path=sys.argv[2], mapping=mapping, status="queued")
    result = run_import_task.enqueue(job.pk)
    enqueued = DBTaskResult.objects.get(id=result.id).enqueued_at
    wait_done([result.id], every=1.0)
    job.refresh_from_db()
    task = DBTaskResult.objects.get(id=result.id)
    print(json.dumps({"seconds": (task.finished_at - enqueued).total_seconds(), "status": job.status, "created": job.created_count}))
"""


def _run(code: str, env: dict[str, str], *args: str, timeout: float = 3600) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


class Workers:
    def __init__(self, env: dict[str, str], count: int) -> None:
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "pacte", "worker", "-v0"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


class Database:
    """A migrated database with the import benchmark's workspace, and copies of it."""

    def __init__(self, vendor: str, tmp: Path) -> None:
        self.vendor, self.tmp = vendor, tmp
        self.copies: list[str] = []
        self.url = self.copy("jobs_template", template=None)
        _run(WORKER, self.env(self.url), "setup", "-")

    def copy(self, name: str, template: str | None = "") -> str:
        if self.vendor == "sqlite":
            path = self.tmp / f"{name}.sqlite3"
            if template is None:
                _copy_migrated_sqlite(path)
            else:  # the backup API: a copy of the file would miss what is still in its WAL
                with (
                    sqlite3.connect(self.url.removeprefix("sqlite:///")) as src,
                    sqlite3.connect(path) as dst,
                ):
                    src.backup(dst)
            return f"sqlite:///{path}"
        db = f"pacte_bench_{name}"
        source = "" if template is None else f" TEMPLATE {self.url.rpartition('/')[2]}"
        _pg(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        _pg(f"CREATE DATABASE {db}{source}")
        self.copies.append(db)
        return PG_ADMIN.rpartition("/")[0] + f"/{db}"

    def env(self, url: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pacte.settings",
            "PACTE_VAR_DIR": str(self.tmp),
            "DATABASE_URL": url,
            "PACTE_TASKS_BACKEND": "pacte.jobs.backend.DatabaseBackend",
            "PACTE_WORKER_POLL_SECONDS": str(POLL),
        }

    def checkpoint(self) -> None:
        if self.vendor == "postgresql":
            _pg("CHECKPOINT")

    def drop(self) -> None:
        for db in self.copies:
            _pg(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _measure(vendor: str, csv: Path, rows: int, tmp: Path) -> list[Figure]:
    label = "PostgreSQL" if vendor == "postgresql" else "SQLite"
    db = Database(vendor, tmp)
    figures: list[Figure] = []
    try:
        url = db.copy("jobs_queue")
        env = db.env(url)
        with Workers(env, 2):
            latencies = _run(DRIVER, env, "spaced", "200")["latencies"]
            burst = _run(DRIVER, env, "burst", "1000")
        floor = float(_run(DRIVER, env, "floor", "1000")["seconds"])  # type: ignore[arg-type]
        lat = [float(x) for x in latencies]  # type: ignore[attr-defined]
        p50, p95 = statistics.median(lat), _percentile(lat, 95)
        seconds = float(burst["seconds"])  # type: ignore[arg-type]
        figures += [
            Figure(
                name=f"job pick-up latency p50, 2 idle workers, {label}",
                value=round(p50 * 1000),
                unit="ms",
                baseline="poll interval of an idle worker",
                baseline_value=POLL * 1000,
                target="≤ poll interval",
                holds=p50 <= POLL,
            ),
            Figure(
                name=f"job pick-up latency p95, 2 idle workers, {label}",
                value=round(p95 * 1000),
                unit="ms",
                baseline="poll interval of an idle worker",
                baseline_value=POLL * 1000,
                target="≤ 1.5× poll interval",
                holds=p95 <= 1.5 * POLL,
            ),
            Figure(
                name=f"1,000 small jobs, 2 workers, {label}",
                value=round(seconds, 2),
                unit="s",
                baseline="1,000 × (INSERT + 2 UPDATE transactions), one process",
                baseline_value=round(floor, 2),
                target="≤ 3× baseline",
                holds=burst["ok"] == 1000 and seconds <= 3 * floor,
                notes=f"{1000 / seconds:.0f} jobs/s",
            ),
        ]
        # In-process, worker, worker, in-process (each on a fresh copy, after a checkpoint):
        # the second import of a run pays for the first one's checkpoint, so the order is
        # balanced and each way's two runs are averaged.
        inprocs, throughs = [], []
        for i, way in enumerate(("inproc", "worker", "worker", "inproc")):
            url = db.copy(f"jobs_{way}_{i}")
            db.checkpoint()
            if way == "inproc":
                inprocs.append(_run(WORKER, db.env(url), "import", str(csv)))
            else:
                with Workers(db.env(url), 1):
                    throughs.append(_run(DRIVER, db.env(url), "import", str(csv)))
        base = statistics.fmean(float(r["seconds"]) for r in inprocs)  # type: ignore[arg-type]
        value = statistics.fmean(float(r["seconds"]) for r in throughs)  # type: ignore[arg-type]
        through = throughs[-1]
        figures.append(
            Figure(
                name=f"sales import {rows:,} rows through a worker, {label}",
                value=round(value, 2),
                unit="s",
                baseline="the same import run in-process",
                baseline_value=round(base, 2),
                target="≤ 1.1× baseline",
                holds=through["status"] == "done"
                and through["created"] == rows
                and value <= 1.1 * base,
                notes="from enqueue to the job's end, mean of 2 runs each (in-process "
                f"{', '.join(str(round(float(r['seconds']), 1)) for r in inprocs)} s; worker "  # type: ignore[arg-type]
                f"{', '.join(str(round(float(r['seconds']), 1)) for r in throughs)} s)",  # type: ignore[arg-type]
            )
        )
    finally:
        if vendor == "postgresql":
            db.drop()
    return figures


def run(quick: bool) -> list[Figure]:
    return over_databases("jobs", 25_000 if quick else 1_000_000, _measure)


def over_databases(
    what: str, rows: int, measure: Callable[[str, Path, int, Path], list[Figure]]
) -> list[Figure]:
    """``measure(vendor, csv, rows, tmp)`` on PostgreSQL then SQLite, over one generated file
    of ``rows`` sales; a database that cannot be measured gives an "unavailable" figure."""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix=f"pacte-bench-{what}-") as d:
        tmp = Path(d)
        csv = tmp / "sales.csv"
        write_csv(csv, rows)
        for vendor in ("postgresql", "sqlite"):
            start = time.perf_counter()
            try:
                figures.extend(measure(vendor, csv, rows, tmp))
            except Exception as exc:
                figures.append(
                    Figure(
                        name=f"{what}, {vendor}",
                        value=0.0,
                        unit="s",
                        baseline="unavailable",
                        baseline_value=0.0,
                        target="",
                        holds=False,
                        notes=str(exc)[-300:],
                    )
                )
            print(f"   {vendor}: {time.perf_counter() - start:.0f} s", flush=True)
    return figures
