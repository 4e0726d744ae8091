"""SIGKILL an import process at random points: never a partial import; a re-run completes it.

Run against SQLite (staged path), and against PostgreSQL in the PostgreSQL pass (a database of
its own; the first import of a source takes the direct path there)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pacte.testing.processes import own_database

ROOT = Path(__file__).resolve().parents[3]
ROWS = 4000

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from pacte.testing.cast import build_cast
build_cast()
"""

RUN = """
import sys, django; django.setup()
from pacte.accounts.models import Workspace
from pacte.sales.models import ImportJob
from pacte.sales.import_jobs import run_import
ws = Workspace.objects.get(slug="acme")
mapping = {k: k for k in ("external_id", "date", "amount", "channel", "seller", "split")}
job = ImportJob.objects.create(workspace=ws, file_path=sys.argv[1], mapping=mapping, status="queued")
print("start", flush=True)
job = run_import(job_id=job.pk, chunk_rows=500)
print(job.status, job.created_count, job.errors[:3], flush=True)
"""


QUERIES = (
    "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM sales_sale",
    "SELECT COALESCE(SUM(split_amount), 0) FROM sales_cubecell",
    "SELECT COUNT(*) FROM sales_credit",
)


def _state(url: str) -> tuple[int, int, int]:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            found = [conn.execute(sql).fetchone() for sql in QUERIES]
    else:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
            found = [conn.execute(sql).fetchone() for sql in QUERIES]
    (sales, total), (cube,), (credits,) = found
    assert cube == total, "the cube differs from the sales"
    return sales, total, credits


@pytest.fixture
def database_url(tmp_path: Path, migrated_database: str) -> Iterator[str]:
    """A migrated database of the test's own: SQLite, or PostgreSQL in the PostgreSQL pass."""
    with own_database(tmp_path, "fault", template=migrated_database) as url:
        yield url


@pytest.mark.django_db  # the test database migrated_database copies
def test_killed_imports_leave_nothing_or_everything(tmp_path: Path, database_url: str) -> None:
    db = database_url
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "pacte.settings",
        "PACTE_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, timeout=300)
    csv = tmp_path / "sales.csv"
    lines = ["external_id,date,amount,channel,seller,split"]
    for i in range(ROWS):
        if i % 7 == 0:
            credit = ",seller@acme.example:70;other@acme.example:30"
        else:
            credit = "seller@acme.example,"
        lines.append(
            f"K{i},2026-{i % 12 + 1:02d}-{i % 28 + 1:02d},{i}.{i % 100:02d},field,{credit}"
        )
    csv.write_text("\n".join(lines) + "\n")
    rng = random.Random(4)
    for _attempt in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", RUN, str(csv)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0.0, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        sales, _total, _credits = _state(db)
        assert sales in (0, ROWS), f"partial import: {sales} sales"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(csv)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sales, _total, credits = _state(db)
    assert sales == ROWS
    assert credits == ROWS + len(range(0, ROWS, 7))
