"""Data source sync (PostgreSQL): an incremental sync against a file import of the same rows,
and a full reconciliation.

One subprocess on a database of its own (``pacte_sync_bench``, created and dropped here) stores
N sales of a generic HTTPS data source (quick: 20k; full: 1M), then serves pages of JSON records
from a local HTTP server in a thread (pages serialised before the timing) and measures:

- an incremental sync of C changed records (quick: 1k; full: 10k) out of the N stored —
  ``pacte.sources.sync.run_sync``: HTTP pages, parsing, mapping, validation, storage with
  classification against the N, cube, audit — against a file import (CSV) of the same C
  changed rows into the same source, in the same run (median of 3 each, alternating, each
  with new amounts so that both change C sales every time). Target: ≤ 1.5×.
- a full reconciliation of the N records (D of them gone from the remote, so D deletions):
  every page read, every record compared, the missing ones deleted. Target: < 60 s. Its
  baseline: a file import (CSV) of the same N - D records into the same source (all
  unchanged), in the same run, just before.

``PACTE_BENCH_PROFILE=path`` writes a cProfile of the full reconciliation to ``path``;
``PACTE_BENCH_SYNC_N=200000`` sets N (C = N / 100, D = N / 1000) to iterate between the two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Figure

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
#: One database per run: several benches (or people) may run this one at the same time.
DB_NAME = f"pacte_sync_bench_{os.getpid()}"
PG_BENCH = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"

WORKER = r"""
import datetime, json, os, statistics, sys, threading, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
import numpy as np
import polars as pl
from django.utils import timezone
from pacte.accounts.models import Membership, User
from pacte.accounts.services import create_workspace
from pacte.lib.tabular.common import LINE
from pacte.org.models import Placement, Unit
from pacte.sales.import_jobs import ingest_frame, run_import
from pacte.sales.ingest.context import FIELDS
from pacte.sales.models import Channel, ImportJob, Sale
from pacte.sources.http import Http
from pacte.sources.models import Connection, SyncRun
from pacte.sources.services import create_connection
from pacte.sources.sync import run_sync
from pacte.sources.tests.fakeserver import FakeServer

N, CHANGED, DROP, tmp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
PAGE = 5000
ws = create_workspace(name="Bench", slug="bench")
root = Unit.objects.for_workspace(ws).get()
teams = Unit.objects.bulk_create([Unit(workspace=ws, name=f"T{i}", parent=root) for i in range(5)])
users = User.objects.bulk_create([User(email=f"s{i}@bench.example", name=f"S{i}") for i in range(50)])
ms = Membership.objects.bulk_create([Membership(workspace=ws, user=u, name=u.name, is_seller=True) for u in users])
Placement.objects.bulk_create([Placement(workspace=ws, membership=m, unit=teams[i % 5], valid_from=datetime.date(2020, 1, 1)) for i, m in enumerate(ms)])
Channel.objects.bulk_create([Channel(workspace=ws, code=c, name_en=c, name_fr=c) for c in ("field", "distributors", "telesales", "e-commerce")])

rng = np.random.default_rng(7)
cents = rng.integers(100, 5_000_000, size=N)
base = pl.DataFrame({
    "n": pl.int_range(0, N, eager=True),
    "date": (pl.Series(np.datetime64("2025-01-01") + rng.integers(0, 700, size=N).astype("timedelta64[D]")).cast(pl.Date).cast(pl.String)),
    "cents": pl.Series(cents),
    "channel": pl.Series(rng.choice(["field", "distributors", "telesales", "e-commerce"], size=N)),
    "s": pl.Series(rng.integers(0, 50, size=N)),
}).select(id=pl.format("R{}", pl.col("n")), date="date", cents="cents", channel="channel", seller=pl.format("s{}@bench.example", pl.col("s")))

def amounts(df, extra):
    c = pl.col("cents") + extra
    return (c // 100).cast(pl.String) + "." + (c % 100).cast(pl.String).str.zfill(2)

def records(df, extra, stamp):
    return df.select("id", "date", amount=amounts(df, extra), channel="channel", seller="seller", updated_at=pl.lit(stamp))

def pages(df, query=""):
    out = []
    for k, start in enumerate(range(0, max(df.height, 1), PAGE)):
        body = df.slice(start, PAGE).write_json()
        nxt = json.dumps(f"/deals?page={k + 1}{query}" if start + PAGE < df.height else None)
        out.append(('{"results":' + body + ',"next":' + nxt + "}").encode())
    return out

served = {"incremental": [], "full": []}

def handle(req):
    kind = "incremental" if req.param("since") else "full"
    k = int(req.param("page", "0") or 0)
    return 200, {"Content-Type": "application/json"}, served[kind][k]

with FakeServer(handle) as server:
    conn, _ = create_connection(workspace=ws, actor=None, kind="https", name="Bench CRM", config={
        "url": server.url("/deals"), "records_path": "results", "next_rule": "next_field",
        "next_field": "next", "since_param": "since", "auth": "none", "id_field": "id",
        "modified_field": "updated_at"}, mapping={"date": "date", "amount": "amount", "channel": "channel", "seller": "seller"}, every="off")
    # The N sales already stored (the direct path; not measured).
    start = time.perf_counter()
    stored = records(base, 0, "2025-01-01T00:00:00+00:00").rename({"id": "external_id"}).drop("updated_at")
    frame = stored.with_row_index(LINE, offset=1).with_columns(pl.col(LINE).cast(pl.Int64))
    frame = frame.with_columns([pl.lit(None, pl.String).alias(f) for f in FIELDS if f not in frame.columns]).select(LINE, *FIELDS)
    job = ingest_frame(workspace=ws, actor=None, frames=list(frame.iter_slices(100_000)), source=conn.source, kind="sample")
    assert job.status == "done", (job.status, job.errors[:3])
    load = time.perf_counter() - start

    changed = base.head(CHANGED)
    syncs, files = [], []
    for i in range(3):
        # The file import: the same CHANGED rows, new amounts, into the same source.
        csv = os.path.join(tmp, f"changed-{i}.csv")
        records(changed, 2 * i + 1, "").drop("updated_at").write_csv(csv)
        fjob = ImportJob.objects.create(workspace=ws, file_path=csv, mapping={"external_id": "id", "date": "date", "amount": "amount", "channel": "channel", "seller": "seller"}, status="queued", source=conn.source, date_order="iso", amount_style="en")
        t = time.perf_counter()
        fjob = run_import(job_id=fjob.pk)
        files.append(time.perf_counter() - t)
        assert fjob.status == "done" and fjob.updated_count == CHANGED, (fjob.status, fjob.updated_count, fjob.errors[:3])
        # The sync: the same rows again with other amounts, modified after the cursor.
        now = timezone.now()
        Connection.objects.filter(pk=conn.pk).update(cursor=now)
        served["incremental"] = pages(records(changed, 2 * i + 2, (now + datetime.timedelta(seconds=1)).isoformat()), "&since=next")
        run = SyncRun.objects.create(workspace=ws, connection=conn, connection_name=conn.name, mode="incremental")
        t = time.perf_counter()
        run = run_sync(run.pk, http=Http())
        syncs.append(time.perf_counter() - t)
        assert run.status == "done" and run.changed_count == CHANGED, (run.status, run.message, run.errors[:3])

    # The baseline of the full reconciliation: a file import of the same N - DROP rows (the
    # CHANGED rows changed back, the others unchanged)...
    kept = records(base.head(N - DROP), 0, "2025-01-01T00:00:00+00:00")
    mapping = {"external_id": "id", "date": "date", "amount": "amount", "channel": "channel", "seller": "seller"}
    csv = os.path.join(tmp, "all.csv")
    kept.drop("updated_at").write_csv(csv)
    fjob = ImportJob.objects.create(workspace=ws, file_path=csv, mapping=mapping, status="queued", source=conn.source, date_order="iso", amount_style="en")
    t = time.perf_counter()
    fjob = run_import(job_id=fjob.pk)
    full_file = time.perf_counter() - t
    assert fjob.status == "done" and fjob.updated_count == CHANGED, (fjob.status, fjob.updated_count)
    # ... then the CHANGED rows changed again (not measured), for the reconciliation to change back.
    csv = os.path.join(tmp, "again.csv")
    records(changed, 99, "").drop("updated_at").write_csv(csv)
    fjob = ImportJob.objects.create(workspace=ws, file_path=csv, mapping=mapping, status="queued", source=conn.source, date_order="iso", amount_style="en")
    assert run_import(job_id=fjob.pk).updated_count == CHANGED

    # Full reconciliation: every record served, the last DROP gone from the remote.
    served["full"] = pages(kept)
    run = SyncRun.objects.create(workspace=ws, connection=conn, connection_name=conn.name, mode="full")
    profile = os.environ.get("PACTE_BENCH_PROFILE")
    if profile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    t = time.perf_counter()
    run = run_sync(run.pk, http=Http())
    full = time.perf_counter() - t
    if profile:
        prof.disable()
        prof.dump_stats(profile)
    ok = run.status == "done" and run.deleted_count == DROP and run.changed_count == CHANGED and Sale.objects.filter(source=conn.source).count() == N - DROP
print(json.dumps({"sync": statistics.median(syncs), "file": statistics.median(files), "full": full, "full_file": full_file,
    "full_ok": ok, "full_status": run.status, "full_message": run.message, "deleted": run.deleted_count,
    "changed_back": run.changed_count, "load": load, "syncs": syncs, "files": files}))
"""


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def run(quick: bool) -> list[Figure]:
    n, changed, drop = (20_000, 1_000, 100) if quick else (1_000_000, 10_000, 1_000)
    if os.environ.get("PACTE_BENCH_SYNC_N"):
        n = int(os.environ["PACTE_BENCH_SYNC_N"])
        changed, drop = max(n // 100, 1), max(n // 1000, 1)
    with tempfile.TemporaryDirectory(prefix="pacte-bench-sync-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pacte.settings",
            "PACTE_VAR_DIR": tmp,
            "DATABASE_URL": PG_BENCH,
        }
        _pg(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        _pg(f"CREATE DATABASE {DB_NAME}")
        try:
            out = subprocess.run(
                [sys.executable, "-c", WORKER, str(n), str(changed), str(drop), tmp],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            _pg(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return [
        Figure(
            name=f"incremental sync, {changed:,} changed of {n:,} stored, PostgreSQL",
            value=round(r["sync"], 3),
            unit="s",
            baseline=f"file import of the same {changed:,} rows into the same source",
            baseline_value=round(r["file"], 3),
            target="≤ 1.5× baseline",
            holds=r["sync"] <= 1.5 * r["file"],
            notes=f"median of 3; syncs {[round(s, 2) for s in r['syncs']]}, "
            f"files {[round(s, 2) for s in r['files']]}",
        ),
        Figure(
            name=f"full reconciliation of {n:,} records, PostgreSQL",
            value=round(r["full"], 2),
            unit="s",
            baseline=f"file import of the same {n - drop:,} rows into the same source",
            baseline_value=round(r["full_file"], 2),
            target="< 60 s",
            holds=bool(r["full_ok"]) and r["full"] < 60,
            notes=f"{r['full'] / r['full_file']:.2f}× the file import; "
            f"{r['deleted']} deleted, {r['changed_back']} changed back; status "
            f"{r['full_status']} {r['full_message'][:80]}; {n:,} stored first in {r['load']:.1f} s",
        ),
    ]
