"""Sales import in ten currencies against the same import in one currency, same run.

The file of ``bench_import`` (quick: 25k rows; full: 1M) gets a ``currency`` column: every row
``EUR`` (the workspace currency: the baseline), or one of ten currencies (EUR and nine others,
each with a rate per day over the file's two years: 6,570 rates). The conversion is a Polars
as-of join on (currency, date) and integer arithmetic (``pacte.lib.currency``), never a lookup
per row. Each import runs in a fresh subprocess into its own source of one PostgreSQL database
(the direct path, after an unmeasured first import: every measured one inserts into indexed
tables already holding sales), alternately one and ten currencies, three times each (one, ten,
ten, one, one, ten); the figures are the medians, and the ratio judged is the median of the
three paired ratios (each ten-currency import against the one-currency import beside it), which
follows a loaded machine's swings less. The notes add the CPU seconds of each import (its
process and the database's server processes, from ``/proc``), steadier than elapsed time on a
shared machine.
Target: ten currencies within 1.2× one currency.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_import import ROOT, _pg, _worker, write_csv
from bench.common import Figure

#: A database of its own (``bench_import`` uses ``pacte_bench``): both may run at once;
#: ``PACTE_BENCH_CURRENCY_DB`` names another (engineers benchmarking side by side).
DATABASE = os.environ.get("PACTE_BENCH_CURRENCY_DB", "pacte_bench_currency")
PG_BENCH = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
CURRENCIES = ["EUR", "CHF", "USD", "GBP", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD"]

WORKER = r"""
import datetime, json, sys, time
import django
django.setup()
mode, path, source = sys.argv[1], sys.argv[2], sys.argv[3]
from pacte.accounts.models import Workspace
ws = Workspace.objects.get(slug="bench")
if mode == "rates":
    from pacte.sales.models import ExchangeRate
    codes = json.loads(source)
    start = datetime.date(2025, 1, 1)
    ExchangeRate.objects.bulk_create(
        ExchangeRate(workspace=ws, currency=code, date=start + datetime.timedelta(days=d),
                     rate=10**10 + (i * 7919 + d * 104729) % 10**9)
        for i, code in enumerate(codes) for d in range(730)
    )
    print(json.dumps({}))
else:
    import os
    from django.db import connection
    from django.urls import reverse
    from pacte.sales.models import ImportJob
    from pacte.sales.import_jobs import run_import
    # The URL configuration loads on the first reverse() of a process (the import's "finished"
    # event links to its page): a constant of the fresh process, paid before the clock starts.
    reverse("home")
    mapping = {"external_id": "id", "date": "date", "amount": "amount", "currency": "currency",
               "channel": "channel", "seller": "seller", "split": "splits"}
    job = ImportJob.objects.create(workspace=ws, file_path=path, mapping=mapping, source=source,
                                   status="queued")

    def server_cpu():
        # CPU seconds of this database's server processes (the import's connections), read from
        # /proc: PostgreSQL runs on this machine in the benchmark's set-up.
        with connection.cursor() as c:
            c.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            pids = [row[0] for row in c.fetchall()]
        total = 0.0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                return None
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    server = server_cpu()
    begin, cpu = time.perf_counter(), time.process_time()
    job = run_import(job_id=job.pk)
    seconds, cpu = time.perf_counter() - begin, time.process_time() - cpu
    after = server_cpu()
    on_server = after - server if None not in (server, after) else None
    print(json.dumps({"seconds": seconds, "status": job.status, "created": job.created_count,
                      "errors": job.errors[:3], "client": cpu, "server": on_server,
                      "cpu": cpu + on_server if on_server is not None else None}))
"""


def _run(mode: str, path: Path, arg: str, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", WORKER, mode, str(path), arg],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _with_currency(src: Path, dst: Path, codes: list[str]) -> None:
    import polars as pl

    frame = pl.read_csv(src, separator=";", infer_schema=False)
    index = pl.int_range(0, frame.height, eager=True) % len(codes)
    frame = frame.with_columns(
        currency=index.replace_strict(dict(enumerate(codes)), return_dtype=pl.String)
    )
    frame.write_csv(dst, separator=";")


def run(quick: bool) -> list[Figure]:
    #: ``PACTE_BENCH_CURRENCY_ROWS`` sets another size (iterating at a reduced one).
    rows = int(os.environ.get("PACTE_BENCH_CURRENCY_ROWS") or (25_000 if quick else 1_000_000))
    with tempfile.TemporaryDirectory(prefix="pacte-bench-currency-") as d:
        tmp = Path(d)
        base = tmp / "base.csv"
        write_csv(base, rows)
        one, ten = tmp / "one.csv", tmp / "ten.csv"
        _with_currency(base, one, ["EUR"])
        _with_currency(base, ten, CURRENCIES)
        base.unlink()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pacte.settings",
            "PACTE_VAR_DIR": str(tmp),
            "DATABASE_URL": PG_BENCH,
        }
        _pg(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        _pg(f"CREATE DATABASE {DATABASE}")
        times: dict[str, list[float]] = {"one": [], "ten": []}
        cpus: dict[str, list[float]] = {"one": [], "ten": []}
        servers: dict[str, list[float]] = {"one": [], "ten": []}
        notes: list[str] = []
        try:
            _worker("setup", one, env)
            _run("rates", one, json.dumps(CURRENCIES[1:]), env)
            # A first import into empty tables builds their indexes once at the end instead of
            # per row (``DirectWriter.defer_indexes``), and the next ones insert into small
            # indexes: a full import first, unmeasured, so that every measured import takes the
            # same path into tables of the same order of size, as a company's everyday one does.
            _run("import", one, "warm-up", env)
            for turn, kind in enumerate(["one", "ten", "ten", "one", "one", "ten"]):
                result = _run("import", one if kind == "one" else ten, f"{kind}-{turn}", env)
                if result["status"] != "done" or result["created"] != rows:
                    notes.append(f"{kind}: {result['status']} {result['errors']}")
                times[kind].append(float(result["seconds"]))  # type: ignore[arg-type]
                if result.get("cpu") is not None:
                    cpus[kind].append(float(result["cpu"]))  # type: ignore[arg-type]
                    servers[kind].append(float(result["server"]))  # type: ignore[arg-type]
        finally:
            _pg(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    single, multi = statistics.median(times["one"]), statistics.median(times["ten"])
    # Each ten-currency import against the one-currency import beside it (one, ten | ten, one |
    # one, ten): the median of these ratios follows a machine's load less than medians' ratio.
    pairs = [t / o for o, t in zip(times["one"], times["ten"], strict=True)]
    ratio = statistics.median(pairs)
    cpu_note = ""
    if len(cpus["one"]) == len(cpus["ten"]) == 3:
        cpu_pairs = [t / o for o, t in zip(cpus["one"], cpus["ten"], strict=True)]
        cpu_note = (
            f"; CPU (client + server) ratio {statistics.median(cpu_pairs):.2f} "
            f"(one {statistics.median(cpus['one']):.2f} s, ten {statistics.median(cpus['ten']):.2f} s, "
            f"of which the database server's {statistics.median(servers['one']):.2f} s and "
            f"{statistics.median(servers['ten']):.2f} s)"
        )
    return [
        Figure(
            name=f"sales import {rows:,} rows in ten currencies, PostgreSQL",
            value=round(multi, 2),
            unit="s",
            baseline="the same import in one currency (median of 3 each, alternated)",
            baseline_value=round(single, 2),
            target="≤ 1.2× baseline (median of the paired ratios)",
            holds=not notes and ratio <= 1.2,
            notes="; ".join(notes)[:300]
            or "runs: one "
            + ", ".join(f"{t:.2f}" for t in times["one"])
            + " / ten "
            + ", ".join(f"{t:.2f}" for t in times["ten"])
            + f"; paired ratios {', '.join(f'{r:.2f}' for r in pairs)}, median {ratio:.2f}"
            + cpu_note,
        )
    ]
