"""SIGKILL an import process at random points: never a partial import; a re-run completes it."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

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
from pacte.sales.services import run_import
ws = Workspace.objects.get(slug="acme")
mapping = {k: k for k in ("external_id", "date", "amount", "channel", "seller", "split")}
job = ImportJob.objects.create(workspace=ws, file_path=sys.argv[1], mapping=mapping, status="queued")
print("start", flush=True)
job = run_import(job_id=job.pk, chunk_rows=500)
print(job.status, job.created_count, job.errors[:3], flush=True)
"""


def _state(db: Path) -> tuple[int, int, int]:
    with sqlite3.connect(db) as conn:
        sales, total = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM sales_sale"
        ).fetchone()
        cube = conn.execute("SELECT COALESCE(SUM(split_amount), 0) FROM sales_cubecell").fetchone()[
            0
        ]
        credits = conn.execute("SELECT COUNT(*) FROM sales_credit").fetchone()[0]
    assert cube == total, "the cube differs from the sales"
    return sales, total, credits


def test_killed_imports_leave_nothing_or_everything(tmp_path: Path) -> None:
    db = tmp_path / "fault.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
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
