"""Sales import in ten currencies against the same import in one currency, same run.

The file of ``bench_import`` (quick: 25k rows; full: 1M) gets a ``currency`` column: every row
``EUR`` (the workspace currency: the baseline), or one of ten currencies (EUR and nine others,
each with a rate per day over the file's two years: 6,570 rates). The conversion is a Polars
as-of join on (currency, date) and integer arithmetic (``pacte.lib.currency``), never a lookup
per row. Each import runs in a fresh subprocess into its own source of one PostgreSQL database
(the direct path), alternately one and ten currencies, three times each; the figure is the
median. Target: ten currencies within 1.2× one currency.
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

#: A database of its own (``bench_import`` uses ``pacte_bench``): both may run at once.
DATABASE = "pacte_bench_currency"
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
    from pacte.sales.models import ImportJob
    from pacte.sales.import_jobs import run_import
    mapping = {"external_id": "id", "date": "date", "amount": "amount", "currency": "currency",
               "channel": "channel", "seller": "seller", "split": "splits"}
    job = ImportJob.objects.create(workspace=ws, file_path=path, mapping=mapping, source=source,
                                   status="queued")
    begin = time.perf_counter()
    job = run_import(job_id=job.pk)
    print(json.dumps({"seconds": time.perf_counter() - begin, "status": job.status,
                      "created": job.created_count, "errors": job.errors[:3]}))
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
    rows = 25_000 if quick else 1_000_000
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
        notes: list[str] = []
        try:
            _worker("setup", one, env)
            _run("rates", one, json.dumps(CURRENCIES[1:]), env)
            for turn, kind in enumerate(["one", "ten", "ten", "one", "one", "ten"]):
                result = _run("import", one if kind == "one" else ten, f"{kind}-{turn}", env)
                if result["status"] != "done" or result["created"] != rows:
                    notes.append(f"{kind}: {result['status']} {result['errors']}")
                times[kind].append(float(result["seconds"]))  # type: ignore[arg-type]
        finally:
            _pg(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    single, multi = statistics.median(times["one"]), statistics.median(times["ten"])
    return [
        Figure(
            name=f"sales import {rows:,} rows in ten currencies, PostgreSQL",
            value=round(multi, 2),
            unit="s",
            baseline="the same import in one currency (median of 3 each, alternated)",
            baseline_value=round(single, 2),
            target="≤ 1.2× baseline",
            holds=not notes and multi <= 1.2 * single,
            notes="; ".join(notes)[:300]
            or "runs: one "
            + ", ".join(f"{t:.2f}" for t in times["one"])
            + " / ten "
            + ", ".join(f"{t:.2f}" for t in times["ten"]),
        )
    ]
