"""Many companies on one machine: every main page of one company among 1,000, and while another
company imports.

Two PostgreSQL databases are generated in bulk (``bulk_create`` for people and teams, ``COPY``
for sales and credits, one ``INSERT … SELECT`` for the cube and its roll-up):

- *one*: a single workspace of 100 sellers (two teams, four channels, a year of sales, the
  year's stated targets, published for all companies at once by ``publish_stated_runs``);
- *many*: the same workspace (same seed, same shape) among 1,000 workspaces of 100 sellers and
  one of 10,000 sellers (quick: 50 of 100 and one of 1,000), every one with its sales, cube and
  targets.

Pages (executive overview, team view, seller cockpit, the seller's own objective, the sales
list, the company forecast) are requested in-process with the Django test client, alternating
between the two databases request by request (so that a burst of load from another process on
this shared machine weighs on both figures alike). Each page is measured warm (its cached
aggregates reused) and cold (the workspace's cube version bumped before the request, as an
import does). Target: p95 on *many* ≤ 1.2× the same page on *one*.

Then the 10,000-seller company imports a file in another process (``run_import``, as a task
worker does) while the same pages of the measured company are requested; their p95 is compared
with the same pages requested with no import, before and after it. Target: ≤ 1.5×. The import
process first lowers its priority as ``pacte worker`` does, since imports run on workers: its
own (``jobs.worker.lower_priority``, by ``PACTE_WORKER_NICE``: 10) and its PostgreSQL backend's
(``lower_database_priority``: the server is on this machine and the bench may renice it; the
figure's notes say whether it did). For reference a second import runs at the pages' own
priority (niceness 0, backend untouched), reported in the figure's notes. Each page's own ratio is in
the raw result (``PACTE_BENCH_TENANTS_OUT``: a path to write it to).

The measurement runs in a subprocess whose ``default`` database is *many* (the import process
shares it); the request-by-request switch to *one* swaps the thread's ``default`` connection.
Ids in *one* start at 10⁹, so no cache key of one database meets the other's.

``PACTE_BENCH_KEEP=1`` keeps both databases (named ``PACTE_BENCH_TENANTS_DB`` + ``_one``, ``_many``;
default ``pacte_bench_tenants``) to EXPLAIN the pages' queries, and ``python -m
bench.bench_tenants pages`` (with ``DATABASE_URL`` on *many*) measures them again without
generating (``PACTE_BENCH_ROUNDS`` requests of each page, 40 by default): before and after an
index, on the same data.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bench.common import ADMIN_URL, Figure

if TYPE_CHECKING:
    from django.test import Client

    from pacte.planning.runs import StatedTargets

ROOT = Path(__file__).resolve().parents[1]
_PREFIX = os.environ.get("PACTE_BENCH_TENANTS_DB", "pacte_bench_tenants")
ONE_DB = f"{_PREFIX}_one"
MANY_DB = f"{_PREFIX}_many"
PG_URL = "postgres://postgres@127.0.0.1:5432/{}"
TEAM_SIZE = 50
CHANNELS = ("field", "distributors", "telesales", "e-commerce")
SALES_PER_SELLER_MONTH = 2
BIG_SLUG = "tenant-big"
MEASURED_SLUG = "tenant-measured"
SEED = 10_000  # company k of a database draws from seed + k (never negative)
PAGES = ("overview", "team", "cockpit", "objective", "sales", "forecast")
WORKER_NICE = 10  # PACTE_WORKER_NICE's default: the niceness a worker, hence an import, runs at


# --------------------------------------------------------------------------- generation


def _seed(companies: list[tuple[str, int]], seed: int) -> None:
    """Companies (slug, sellers) on the default database: an executive and the sellers in teams
    of ``TEAM_SIZE``, four channels, ``SALES_PER_SELLER_MONTH`` sales a seller and month on
    average for every month of this year so far, the cube and its roll-up, and this year's
    targets. Each company draws from its own generator seeded by ``seed`` and its position, so
    that the measured company is the same in both databases."""
    from django.db import transaction

    from pacte.accounts.services import create_workspace
    from pacte.org.models import Unit
    from pacte.planning.runs import publish_stated_runs

    with transaction.atomic():  # one commit: each costs a flush of the write-ahead log
        workspaces = [
            create_workspace(name=slug, slug=slug, currency="EUR") for slug, _n in companies
        ]
        roots = dict(
            Unit.objects.filter(workspace__in=workspaces, parent=None).values_list(
                "workspace_id", "pk"
            )
        )
        people = _people(workspaces, [n for _slug, n in companies], roots)
        _sales(people, seed)
        publish_stated_runs(
            items=[
                _targets(ws, members, channels[0], seed + k)
                for k, (ws, (members, _units, channels)) in enumerate(
                    zip(workspaces, people, strict=True)
                )
            ],
            source="bench",
        )


Roster = tuple[list[Any], list[int], list[int]]  # seller memberships, their team ids, channel ids


def _people(workspaces: list[Any], sizes: list[int], roots: dict[int, int]) -> list[Roster]:
    from pacte.accounts.models import Membership, User
    from pacte.org.models import Placement, Unit
    from pacte.sales.models import Channel

    day = datetime.date(2020, 1, 1)
    batch = 5_000
    teams = Unit.objects.bulk_create(
        [
            Unit(workspace=ws, name=f"Team {t:03d}", parent_id=roots[ws.pk])
            for ws, n in zip(workspaces, sizes, strict=True)
            for t in range((n + TEAM_SIZE - 1) // TEAM_SIZE)
        ],
        batch_size=batch,
    )
    users = User.objects.bulk_create(
        [
            User(email=_email(ws.slug, i), name=f"S{i}")
            for ws, n in zip(workspaces, sizes, strict=True)
            for i in range(n + 1)
        ],
        batch_size=batch,
    )
    members: list[Membership] = []
    at = 0
    for ws, n in zip(workspaces, sizes, strict=True):
        members.extend(
            Membership(
                workspace=ws,
                user=u,
                name=u.name,
                is_seller=i > 0,
                is_executive=i == 0,
                is_admin=i == 0,
            )
            for i, u in enumerate(users[at : at + n + 1])
        )
        at += n + 1
    members = Membership.objects.bulk_create(members, batch_size=batch)
    channels = Channel.objects.bulk_create(
        [
            Channel(workspace=ws, code=code, name_en=code, name_fr=code)
            for ws in workspaces
            for code in CHANNELS
        ],
        batch_size=batch,
    )
    rosters: list[Roster] = []
    placements = []
    at = team_at = 0
    for k, (ws, n) in enumerate(zip(workspaces, sizes, strict=True)):
        own = members[at : at + n + 1]
        ws_teams = [t for t in teams[team_at : team_at + (n + TEAM_SIZE - 1) // TEAM_SIZE]]
        placements.append(
            Placement(workspace=ws, membership=own[0], unit_id=roots[ws.pk], valid_from=day)
        )
        placements.extend(
            Placement(workspace=ws, membership=m, unit=ws_teams[i // TEAM_SIZE], valid_from=day)
            for i, m in enumerate(own[1:])
        )
        rosters.append(
            (
                own[1:],
                [ws_teams[i // TEAM_SIZE].pk for i in range(n)],
                [c.pk for c in channels[k * len(CHANNELS) : (k + 1) * len(CHANNELS)]],
            )
        )
        at += n + 1
        team_at += len(ws_teams)
    Placement.objects.bulk_create(placements, batch_size=batch)
    return rosters


def _email(slug: str, i: int) -> str:
    # The big company's sellers are the ``s{i}@bench.example`` of bench_import's file.
    return f"s{i - 1}@bench.example" if slug == BIG_SLUG and i else f"{slug}-{i}@bench.example"


def _months() -> np.ndarray:
    today = datetime.date.today()
    return np.arange(today.year * 12, today.year * 12 + today.month)


def _sales(rosters: list[Roster], seed: int) -> None:
    """Sales and their split credits, the cube and its roll-up, each table by one CSV ``COPY``
    (the sales' ids reserved from their sequence; credits are keyed by their natural key)."""
    import polars as pl
    from django.db import connection

    months = _months()
    frames = []
    for k, (members, units, channels) in enumerate(rosters):
        rng = np.random.default_rng(seed + k)
        n = len(members)
        counts = rng.poisson(SALES_PER_SELLER_MONTH, n * len(months))
        cell = np.repeat(np.arange(n * len(months)), counts)
        seller = cell // len(months)
        month = months[cell % len(months)]
        total = int(counts.sum())
        frames.append(
            pl.DataFrame(
                {
                    "workspace_id": np.full(total, members[0].workspace_id, np.int64),
                    "seller_id": np.array([m.pk for m in members], np.int64)[seller],
                    "unit_id": np.array(units, np.int64)[seller],
                    "channel_id": np.array(channels, np.int64)[
                        rng.integers(0, len(channels), total)
                    ],
                    "month": month.astype(np.int64),
                    "day": rng.integers(1, 29, total),
                    "amount": rng.integers(50_00, 50_000_00, total),
                    "row_hash": rng.integers(-(2**62), 2**62, total),
                }
            )
        )
    # month by month, every company's sales of the month together, as a year of imports
    # stores them (a company's rows spread over a dozen stretches of each table)
    sales = pl.concat(frames).sort("month", maintain_order=True)
    total = sales.height
    with connection.cursor() as c:
        c.execute("SELECT nextval(pg_get_serial_sequence('sales_sale', 'id'))")
        first = int(c.fetchone()[0])
        c.execute("SELECT setval(pg_get_serial_sequence('sales_sale', 'id'), %s)", [first + total])
        sales = sales.with_columns(
            id=pl.int_range(first, first + total, dtype=pl.Int64),
            uuid=pl.Series([str(uuid.uuid4()) for _ in range(total)]),
            external_id=pl.int_range(0, total).cast(pl.String),
            date=pl.date(pl.col("month") // 12, pl.col("month") % 12 + 1, pl.col("day")),
        )
        _copy(
            c,
            "sales_sale",
            sales.select(
                "id",
                "uuid",
                "workspace_id",
                source=pl.lit("default"),
                external_id="external_id",
                date="date",
                month="month",
                amount="amount",
                currency=pl.lit(""),
                channel_id="channel_id",
                territory=pl.lit(""),
                solution=pl.lit(""),
                credit_origin=pl.lit("row"),
                row_hash="row_hash",
                updated_at=pl.lit(datetime.datetime.now(datetime.UTC)),
            ),
        )
        _copy(
            c,
            "sales_credit",
            sales.select(
                workspace_id="workspace_id",
                sale_id="id",
                seller_id="seller_id",
                unit_id="unit_id",
                kind=pl.lit("split"),
                basis_points=pl.lit(10_000),
                amount="amount",
                origin=pl.lit("row"),
            ),
        )
        cube = (
            sales.group_by("workspace_id", "seller_id", "unit_id", "channel_id", "month")
            .agg(split_amount=pl.col("amount").sum(), overlay_amount=pl.lit(0), sale_count=pl.len())
            .sort("month", "workspace_id", "seller_id", "channel_id")
        )
        _copy(c, "sales_cubecell", cube)
        _copy(
            c,
            "sales_teamcell",
            cube.group_by("workspace_id", "unit_id", "channel_id", "month")
            .agg(
                pl.col("split_amount").sum(),
                pl.col("overlay_amount").sum(),
                pl.col("sale_count").sum(),
            )
            .sort("month", "workspace_id", "unit_id", "channel_id"),
        )


def _copy(c: Any, table: str, frame: Any) -> None:
    """``frame`` into ``table`` by one CSV ``COPY`` (its columns named as the table's)."""
    import io

    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    columns = ", ".join(frame.columns)
    with c.cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def _targets(ws: Any, members: list[Any], channel: int, seed: int) -> StatedTargets:
    """This year's stated targets: a monthly quota per seller around their expected sales
    (published for every company at once, as one ``publish_stated_run`` each would)."""
    from pacte.planning.runs import StatedTargets

    rng = np.random.default_rng(seed)
    first = datetime.date.today().year * 12
    amounts = (
        SALES_PER_SELLER_MONTH * 25_000_00 * rng.uniform(0.8, 1.3, (len(members), 12))
    ).astype(np.int64)
    return StatedTargets(
        workspace=ws,
        fiscal_year=datetime.date.today().year,
        shares=[
            (m.pk, channel, first + month, int(amounts[i, month]))
            for i, m in enumerate(members)
            for month in range(12)
        ],
    )


# --------------------------------------------------------------------------- measurement


@contextlib.contextmanager
def _on(alias: str) -> Iterator[None]:
    """Point this thread's ``default`` connection at ``alias`` for a while."""
    from django.db import connections

    if alias == "default":
        yield
        return
    default = connections["default"]
    connections["default"] = connections[alias]
    try:
        yield
    finally:
        connections["default"] = default


class Tenant:
    """The measured company on one database: its pages and a logged-in client per role."""

    def __init__(self, alias: str) -> None:
        from django.test import Client

        from pacte.accounts.models import Membership, Workspace
        from pacte.org.models import Unit

        self.alias = alias
        with _on(alias):
            self.workspace = Workspace.objects.get(slug=MEASURED_SLUG)
            executive = Membership.objects.get(workspace=self.workspace, is_executive=True)
            seller = (
                Membership.objects.filter(workspace=self.workspace, is_seller=True)
                .order_by("pk")
                .first()
            )
            team = Unit.objects.filter(workspace=self.workspace, parent__isnull=False).order_by(
                "pk"
            )[0]
            assert seller is not None
            self.executive: Client = Client()
            self.executive.force_login(executive.user)
            self.seller: Client = Client()
            self.seller.force_login(seller.user)
        self.urls: dict[str, tuple[Client, str]] = {
            "overview": (self.executive, "/insights/"),
            "team": (self.executive, f"/insights/teams/{team.uuid}/"),
            "cockpit": (self.executive, f"/insights/sellers/{seller.uuid}/"),
            "objective": (self.seller, "/objectives/mine/"),
            "sales": (self.executive, "/sales/"),
            "forecast": (self.executive, "/forecast/company/"),
        }

    def get(self, page: str, *, cold: bool = False) -> float:
        from django.db import connection

        client, url = self.urls[page]
        with _on(self.alias):
            if cold:
                with connection.cursor() as cur:
                    cur.execute(
                        "UPDATE accounts_workspace SET cube_version = cube_version + 1 "
                        "WHERE id = %s",
                        [self.workspace.pk],
                    )
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, (self.alias, url, response.status_code)
        return elapsed


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _side_by_side(one: Tenant, many: Tenant, rounds: int) -> dict[str, dict[str, float]]:
    """p95 and median of every page on both databases, warm and cold, alternating."""
    out: dict[str, dict[str, float]] = {}
    for page in PAGES:
        for cold in (False, True):
            one.get(page)
            many.get(page)  # warm each page once (and its templates)
            samples: dict[str, list[float]] = {"one": [], "many": []}
            for _ in range(rounds):
                samples["many"].append(many.get(page, cold=cold))
                samples["one"].append(one.get(page, cold=cold))
            key = f"{page} {'cold' if cold else 'warm'}"
            out[key] = {
                "one": _p95(samples["one"]),
                "many": _p95(samples["many"]),
                "one_p50": statistics.median(samples["one"]),
                "many_p50": statistics.median(samples["many"]),
            }
    return out


def _import_process(csv: Path, nice: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.bench_tenants", "import", str(csv)],
        cwd=ROOT,
        env={**os.environ, "PACTE_WORKER_NICE": str(nice)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _during_import(many: Tenant, csv: Path, rounds: int, nice: int) -> dict[str, Any]:
    """p95 of the measured company's pages (a cold and a warm request of each, in turn) with no
    import (``rounds`` before and ``rounds`` after), and while the big company imports ``csv``
    in another process (as many rounds as the import lasts); also each page's own p95 both
    ways, to tell which page an import slows."""
    keys = [(page, cold) for page in PAGES for cold in (False, True)]

    def one_round(into: dict[tuple[str, bool], list[float]]) -> None:
        for page, cold in keys:
            into[page, cold].append(many.get(page, cold=cold))

    quiet: dict[tuple[str, bool], list[float]] = {k: [] for k in keys}
    busy: dict[tuple[str, bool], list[float]] = {k: [] for k in keys}
    for _ in range(rounds):
        one_round(quiet)
    proc = _import_process(csv, nice)
    started = time.perf_counter()
    while proc.poll() is None:
        one_round(busy)
    import_seconds = time.perf_counter() - started
    stdout, stderr = proc.communicate()
    if proc.returncode:
        raise RuntimeError(stderr[-3000:])
    result = json.loads(stdout.strip().splitlines()[-1])
    for _ in range(rounds):
        one_round(quiet)
    all_quiet = [t for v in quiet.values() for t in v]
    all_busy = [t for v in busy.values() for t in v]
    return {
        "quiet": _p95(all_quiet),
        "busy": _p95(all_busy) if all_busy else 0.0,
        "quiet_n": len(all_quiet),
        "busy_n": len(all_busy),
        "import_seconds": import_seconds,
        "by_page": {
            f"{page} {'cold' if cold else 'warm'}": {
                "quiet": _p95(quiet[page, cold]),
                "busy": _p95(busy[page, cold]) if busy[page, cold] else 0.0,
                "quiet_p50": statistics.median(quiet[page, cold]),
                "busy_p50": statistics.median(busy[page, cold]) if busy[page, cold] else 0.0,
            }
            for page, cold in keys
        },
        **result,
    }


def _measure(quick: bool, *, generate: bool = True) -> dict[str, Any]:
    """The worker's whole run (its ``default`` database is *many*, ``one`` is the single
    company's): generate both (unless ``generate`` is false: measure the databases a run kept),
    then measure."""
    from django.db import connection, connections

    settings = dict(connections.settings["default"])
    settings["NAME"] = ONE_DB
    connections.settings["one"] = settings
    count, big = (50, 1_000) if quick else (1_000, 10_000)
    rounds = int(os.environ.get("PACTE_BENCH_ROUNDS", 10 if quick else 40))
    started = time.perf_counter()
    if generate:
        _generate(count, big)
    generated = time.perf_counter() - started
    print(f"generated in {generated:.0f} s", file=sys.stderr, flush=True)
    from pacte.startup import freeze_startup

    freeze_startup()  # as a web process does before its first request (pacte/wsgi.py)
    one, many = Tenant("one"), Tenant("default")
    pages = _side_by_side(one, many, rounds)
    rows = 50_000 if quick else 500_000
    with tempfile.TemporaryDirectory(prefix="pacte-bench-tenants-") as d:
        # at the niceness of a worker (as ``pacte worker`` takes it), then for reference at the
        # web processes' own priority
        _import_file(Path(d) / "niced.csv", rows)
        concurrent = _during_import(many, Path(d) / "niced.csv", rounds // 2, nice=WORKER_NICE)
        _import_file(Path(d) / "plain.csv", rows)
        plain = _during_import(many, Path(d) / "plain.csv", rounds // 2, nice=0)
    with connection.cursor() as c:
        c.execute("SELECT COUNT(*) FROM accounts_workspace")
        workspaces = int(c.fetchone()[0])
        c.execute("SELECT COUNT(*) FROM sales_sale")
        sales = int(c.fetchone()[0])
    return {
        "pages": pages,
        "concurrent": concurrent,
        "concurrent_plain": plain,
        "generated_seconds": generated,
        "workspaces": workspaces,
        "sales": sales,
        "big": big,
        "count": count,
    }


def _generate(count: int, big: int) -> None:
    """*one*: the measured company alone; *many*: the same among ``count`` companies of 100
    sellers and one of ``big``; both analysed."""
    from django.db import connection

    with _on("one"), connection.cursor() as c:  # ids of *one* never meet those of *many*
        c.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        for (name,) in c.fetchall():
            c.execute(f'ALTER SEQUENCE "{name}" RESTART WITH 1000000000')
    with _on("one"):
        _seed([(MEASURED_SLUG, 100)], seed=SEED)
    companies = [(f"tenant-{k:04d}", 100) for k in range(count)]
    companies.insert(count // 2, (MEASURED_SLUG, 100))
    companies.append((BIG_SLUG, big))
    _seed_many(companies, seed=SEED)
    for alias in ("one", "default"):
        with _on(alias), connection.cursor() as c:
            c.execute("ANALYZE")


def _import_file(path: Path, rows: int) -> None:
    """bench_import's file of ``rows`` new sales (external ids never imported before, so that
    the import of a kept database stores them all)."""
    import polars as pl

    from bench.bench_import import write_csv

    write_csv(path, rows)
    tag = uuid.uuid4().hex[:8]
    frame = pl.read_csv(path, separator=";", infer_schema=False)
    frame.with_columns(id=pl.lit(tag + "-") + pl.col("id")).write_csv(path, separator=";")


def _seed_many(companies: list[tuple[str, int]], seed: int) -> None:
    at = next(i for i, (slug, _n) in enumerate(companies) if slug == MEASURED_SLUG)
    # _seed seeds company k with seed + k: the measured one (position ``at``) gets ``seed``
    # as it does alone in *one*
    _seed(companies, seed=seed - at)


def _import(csv: str) -> dict[str, Any]:
    """The import worker: the big company imports ``csv`` as a task worker would."""
    from pacte.accounts.models import Workspace
    from pacte.jobs.worker import lower_database_priority, lower_priority
    from pacte.sales.import_jobs import run_import
    from pacte.sales.models import ImportJob

    # as ``pacte worker`` does: its own niceness first, its database backend's before a job
    lower_priority()
    lower_database_priority()
    ws = Workspace.objects.get(slug=BIG_SLUG)
    mapping = {
        "external_id": "id",
        "date": "date",
        "amount": "amount",
        "channel": "channel",
        "seller": "seller",
        "split": "splits",
    }
    job = ImportJob.objects.create(workspace=ws, file_path=csv, mapping=mapping, status="queued")
    start = time.perf_counter()
    job = run_import(job_id=job.pk)
    return {
        "seconds": time.perf_counter() - start,
        "niceness": os.nice(0),
        "backend_niced": lower_database_priority(),
        "status": job.status,
        "rows": job.created_count,
    }


# --------------------------------------------------------------------------- the runner's side


def _admin(*statements: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
        for sql in statements:
            admin.execute(sql)


def run(quick: bool) -> list[Figure]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pacte.settings",
        "DATABASE_URL": PG_URL.format(MANY_DB),
    }
    try:
        _admin(
            f"DROP DATABASE IF EXISTS {MANY_DB} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {ONE_DB} WITH (FORCE)",
            f"CREATE DATABASE {MANY_DB}",
        )
    except Exception as exc:
        return [_unavailable(str(exc))]
    try:
        subprocess.run(
            [sys.executable, "-m", "pacte", "migrate", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        _admin(f"CREATE DATABASE {ONE_DB} TEMPLATE {MANY_DB}")
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_tenants",
                "measure",
                *(["--quick"] if quick else []),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-3000:])
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if os.environ.get("PACTE_BENCH_TENANTS_OUT"):  # every page's figures, to tell which
            Path(os.environ["PACTE_BENCH_TENANTS_OUT"]).write_text(json.dumps(result, indent=2))
    finally:
        if not os.environ.get("PACTE_BENCH_KEEP"):  # kept to EXPLAIN the pages' queries
            _admin(
                f"DROP DATABASE IF EXISTS {MANY_DB} WITH (FORCE)",
                f"DROP DATABASE IF EXISTS {ONE_DB} WITH (FORCE)",
            )
    return _figures(result)


def _figures(result: dict[str, Any]) -> list[Figure]:
    figures = []
    count, big = result["count"], result["big"]
    for key, p in result["pages"].items():
        figures.append(
            Figure(
                name=f"tenants {key} p95, 1 of {count:,} companies",
                value=round(p["many"] * 1000, 2),
                unit="ms",
                baseline="same page, same company alone in its database",
                baseline_value=round(p["one"] * 1000, 2),
                target="≤ 1.2× baseline",
                holds=p["many"] <= 1.2 * p["one"],
                notes=f"p50 {p['many_p50'] * 1000:.1f} ms (alone {p['one_p50'] * 1000:.1f} ms); "
                f"{result['workspaces']:,} workspaces ({count:,} of 100 sellers, one of "
                f"{big:,}), {result['sales']:,} sales; generated in "
                f"{result['generated_seconds']:.0f} s",
            )
        )
    c, plain = result["concurrent"], result["concurrent_plain"]
    figures.append(
        Figure(
            name="tenants pages p95 while another company imports",
            value=round(c["busy"] * 1000, 2),
            unit="ms",
            baseline="same pages with no import (before and after)",
            baseline_value=round(c["quiet"] * 1000, 2),
            target="≤ 1.5× baseline",
            holds=c["status"] == "done" and c["busy_n"] > 0 and c["busy"] <= 1.5 * c["quiet"],
            notes=f"{c['busy_n']} requests during the import of {c['rows']:,} rows by the "
            f"{big:,}-seller company in another process at a worker's niceness "
            f"{c['niceness']} (its database backend too: {c['backend_niced']}; "
            f"{c['seconds']:.1f} s, status {c['status']}), {c['quiet_n']} "
            f"without; every page warm and cold in turn. The same at niceness 0: "
            f"{plain['busy'] / plain['quiet']:.2f}× ({plain['seconds']:.1f} s)",
        )
    )
    return figures


def _unavailable(reason: str) -> Figure:
    return Figure(
        name="tenants (PostgreSQL)",
        value=0.0,
        unit="ms",
        baseline="unavailable",
        baseline_value=0.0,
        target="≤ 1.2× baseline",
        holds=False,
        notes=reason[-300:],
    )


def _main(argv: list[str]) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacte.settings")
    if argv[0] in ("measure", "pages"):
        os.environ.setdefault("PACTE_VAR_DIR", tempfile.mkdtemp(prefix="pacte-bench-"))
    django.setup()
    if argv[0] == "import":
        print(json.dumps(_import(argv[1])))
        return
    from django.core.management import call_command
    from django.test import override_settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("collectstatic", "--noinput", verbosity=0)
    with override_settings(ALLOWED_HOSTS=["*"]):
        print(json.dumps(_measure("--quick" in argv, generate=argv[0] == "measure")))


if __name__ == "__main__":
    _main(sys.argv[1:])
