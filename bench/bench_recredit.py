"""Re-crediting through a ``pacte worker`` against the same re-crediting in-process, on SQLite
and PostgreSQL.

A workspace holds N imported sales (quick: 20k; full: 200k) on four channels; a new crediting
rule for one channel credits that channel's sales again. In-process: ``create_rule`` timed in
a script (what the request does below ``PACTE_BACKGROUND_RECREDIT_SALES``). Through the
worker: the same change queued as a background job (what the request does above it) to an
idle worker, from the job's creation to its end (so the worker's poll is included). Each on a
fresh copy of the database, in the order in-process, worker, worker, in-process, the two runs
of each way averaged. Targets: the job's own run at most 1.1× the in-process change; from
queueing to its end, at most that plus one poll interval (an idle worker's pick-up).
"""

from __future__ import annotations

import statistics
from pathlib import Path

from bench.bench_import import WORKER
from bench.bench_jobs import POLL, Database, Workers, _run, over_databases
from bench.common import Figure

CHANGE = r"""
import json, sys, time
import django
django.setup()
from pacte.accounts.models import Membership, Workspace
from pacte.sales.models import Channel, Credit, Sale
ws = Workspace.objects.get(slug="bench")
channel = Channel.objects.for_workspace(ws).get(code="field")
owner = Membership.objects.for_workspace(ws).order_by("pk").first()
mode = sys.argv[1]
if mode == "inproc":
    from pacte.sales import services
    start = time.perf_counter()
    services.create_rule(workspace=ws, actor=None, channel=channel, owner=owner)
    seconds = ran = time.perf_counter() - start
    status = "done"
else:
    from pacte.jobs.models import BackgroundJob, WorkerHeartbeat
    from pacte.sales import work
    while not WorkerHeartbeat.objects.exists():
        time.sleep(0.05)
    time.sleep(POLL_WAIT)
    job = work.start_rule_change(
        workspace=ws, actor=None, op="create", fields={"channel": channel, "owner": owner}
    )
    while not BackgroundJob.objects.get(pk=job.pk).is_finished:
        time.sleep(0.1)
    job.refresh_from_db()
    seconds = (job.finished_at - job.created_at).total_seconds()
    ran = (job.finished_at - job.started_at).total_seconds()
    status = job.status
sales = Sale.objects.filter(workspace=ws, channel=channel).count()
credits = Credit.objects.filter(workspace=ws).count()
print(json.dumps({"seconds": seconds, "ran": ran, "status": status, "sales": sales, "credits": credits}))
""".replace("POLL_WAIT", str(POLL))


class _Database(Database):
    """The jobs benchmark's database under names of its own (both may run at once)."""

    def __init__(self, vendor: str, tmp: Path) -> None:
        self.vendor, self.tmp = vendor, tmp
        self.copies: list[str] = []
        self.url = self.copy("recredit_template", template=None)
        _run(WORKER, self.env(self.url), "setup", "-")


def _measure(vendor: str, csv: Path, rows: int, tmp: Path) -> list[Figure]:
    label = "PostgreSQL" if vendor == "postgresql" else "SQLite"
    db = _Database(vendor, tmp)
    try:
        imported = _run(WORKER, db.env(db.url), "import", str(csv))
        if not imported.get("ok"):
            raise RuntimeError(f"import failed: {imported}")
        inprocs, throughs = [], []
        for i, way in enumerate(("inproc", "worker", "worker", "inproc")):
            url = db.copy(f"recredit_{way}_{i}")
            db.checkpoint()
            env = {**db.env(url), "PACTE_BACKGROUND_RECREDIT_SALES": "0"}
            if way == "inproc":
                inprocs.append(_run(CHANGE, env, "inproc"))
            else:
                with Workers(env, 1):
                    throughs.append(_run(CHANGE, env, "worker"))
    finally:
        if vendor == "postgresql":
            db.drop()
    base = statistics.fmean(float(r["seconds"]) for r in inprocs)  # type: ignore[arg-type]
    value = statistics.fmean(float(r["seconds"]) for r in throughs)  # type: ignore[arg-type]
    ran = statistics.fmean(float(r["ran"]) for r in throughs)  # type: ignore[arg-type]
    ok = all(r["status"] == "done" for r in throughs) and all(
        r["credits"] == inprocs[0]["credits"] for r in inprocs + throughs
    )
    runs = (
        f"in-process {', '.join(str(round(float(r['seconds']), 2)) for r in inprocs)} s; "  # type: ignore[arg-type]
        f"worker {', '.join(str(round(float(r['ran']), 2)) for r in throughs)} s run, "  # type: ignore[arg-type]
        f"{', '.join(str(round(float(r['seconds']), 2)) for r in throughs)} s from queueing"  # type: ignore[arg-type]
    )
    return [
        Figure(
            name=f"re-credit {rows:,} sales on a worker (run), {label}",
            value=round(ran, 3),
            unit="s",
            baseline="the same rule change in-process",
            baseline_value=round(base, 3),
            target="≤ 1.1× baseline",
            holds=ok and ran <= 1.1 * base,
            notes=f"{inprocs[0]['sales']:,} sales of the channel re-credited; the job's start to "
            f"its end, mean of 2 runs each ({runs})",
        ),
        Figure(
            name=f"re-credit {rows:,} sales through a worker, {label}",
            value=round(value, 3),
            unit="s",
            baseline="the same rule change in-process",
            baseline_value=round(base, 3),
            target="≤ 1.1× baseline + poll",
            holds=ok and value <= 1.1 * base + POLL,
            notes=f"from the job's creation to its end (pick-up by an idle worker included, "
            f"poll {POLL} s), mean of 2 runs each",
        ),
    ]


def run(quick: bool) -> list[Figure]:
    return over_databases("re-credit", 20_000 if quick else 200_000, _measure)
