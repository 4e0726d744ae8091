"""The deal import's storage: validated rows staged in temporary tables, then ONE transaction
that merges them set-based, as the sales import's ``Stage`` (``pacte.sales.ingest.stage``).

1. ``stage_deal`` / ``stage_dealcredit``: the batch (binary-less ``COPY`` on PostgreSQL,
   batched inserts on SQLite), no model instance and no query per row.
2. Classification by one join on (workspace, source, external id): new ('n'), changed ('c':
   its fingerprint differs) or unchanged ('u', left alone).
3. History first: a ``DealChange`` row for each new deal, and for each changed deal whose stage,
   amount, close date, probability, category, status or owner moved (before the update, which
   it is compared with). Then the changed deals updated (their version bumped), the new ones
   inserted (ids in file order), credits replaced, and the pipeline cells of the sellers touched
   rebuilt (``pacte.pipeline.cells``).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record
from pacte.errors import StaleVersion
from pacte.pipeline.ingest import CREDIT_SCHEMA, DEAL_SCHEMA, TRACKED
from pacte.pipeline.models import Deal
from pacte.sales.ingest.direct import build_indexes, defer_indexes
from pacte.sales.ingest.stage import copy_rows, sale_uuid_sql

#: A batch of at least this many new or changed deals refreshes the deal tables' statistics.
_ANALYZE_ROWS = 10_000
#: The tables a first import of deals writes, when it defers their indexes.
_DEFERRED = ("pipeline_deal", "pipeline_dealcredit", "pipeline_dealchange")
_TABLES = ("stage_deal", "stage_dealcredit", "stage_dclass")
#: Columns a new or changed deal takes from its staged row.
_VALUES = [
    "external_id",
    "name",
    "amount",
    "currency",
    "currency_amount",
    "close_date",
    "month",
    "stage",
    "probability",
    "category",
    "status",
    "owner_id",
    "channel_id",
    "row_hash",
]


def merge(
    *,
    workspace: Workspace,
    deals: pl.DataFrame,
    credits: pl.DataFrame,
    source: str,
    actor: Membership | None,
    versions: dict[str, int],
    origin: str,
) -> dict[str, int]:
    """Stage ``deals`` (DEAL_SCHEMA) and ``credits`` (CREDIT_SCHEMA) and merge them in one
    transaction; the counts ``n`` (created), ``c`` (updated), ``u`` (unchanged)."""
    stage = _Stage()
    try:
        with transaction.atomic():
            _lock(workspace.pk, source)
            if versions:
                _check_versions(workspace, source, versions)
            stage.load(deals, credits)
            counts = stage.merge(workspace.pk, source, actor.pk if actor else None)
            if counts["n"] or counts["c"]:
                _audit(workspace, actor, source, origin, counts, deals)
            return counts
    finally:
        stage.drop()


def _lock(workspace_id: int, source: str) -> None:
    """Serialise imports into one (workspace, source) of deals until the transaction ends
    (PostgreSQL; SQLite writes one transaction at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [workspace_id, f"deal:{source}"]
            )


def _check_versions(workspace: Workspace, source: str, versions: dict[str, int]) -> None:
    """A page's or the API's edit names the version it read: a stale one is refused (412)."""
    for ext, version, name in (
        Deal.objects.for_workspace(workspace)
        .select_for_update()
        .filter(source=source, external_id__in=sorted(versions))
        .values_list("external_id", "version", "name")
    ):
        if versions[ext] != version:
            raise StaleVersion(
                _(
                    "“%(name)s” was changed by someone else since you opened it. Reload and try again."
                )
                % {"name": name}
            )


def _audit(
    workspace: Workspace,
    actor: Membership | None,
    source: str,
    origin: str,
    counts: dict[str, int],
    deals: pl.DataFrame,
) -> None:
    obj = None
    if origin == "page" and counts["c"] == 1 and deals.height == 1:
        obj = Deal.objects.for_workspace(workspace).get(
            source=source, external_id=deals["external_id"][0]
        )
    record(
        workspace=workspace,
        actor=actor,
        action="pipeline.deal_changed" if origin == "page" else "pipeline.deals_imported",
        obj=obj,
        object_type="deal",
        after={"source": source, "created": counts["n"], "updated": counts["c"]},
    )


class _Stage:
    """Temporary staging tables on the current connection."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"
        self.drop()
        with connection.cursor() as c:
            c.execute(
                "CREATE TEMP TABLE stage_deal (k bigint PRIMARY KEY, line bigint, "
                "external_id text, name text, amount bigint, currency text, "
                "currency_amount bigint, close_date date, month integer, stage text, "
                "probability integer, category text, status text, owner_id bigint, "
                "channel_id bigint, row_hash bigint, deal_id bigint, state char(1))"
            )
            c.execute(
                "CREATE TEMP TABLE stage_dealcredit (k bigint, seller_id bigint, kind text, "
                "basis_points integer, amount bigint)"
            )

    def drop(self) -> None:
        with connection.cursor() as c:
            for table in _TABLES:
                c.execute(f"DROP TABLE IF EXISTS {table}")

    def load(self, deals: pl.DataFrame, credits: pl.DataFrame) -> None:
        copy_rows("stage_deal", list(DEAL_SCHEMA), deals)
        copy_rows("stage_dealcredit", list(CREDIT_SCHEMA), credits)

    # ------------------------------------------------------------------ merge

    @property
    def x(self) -> str:
        """The alias holding each staged row's ``state`` and ``deal_id``."""
        return "x" if self.pg else "t"

    @property
    def rows(self) -> str:
        """Staged rows ``t`` with their class ``x`` (one table on SQLite)."""
        return "stage_dclass x JOIN stage_deal t ON t.k = x.k" if self.pg else "stage_deal t"

    def merge(self, workspace_id: int, source: str, actor_id: int | None) -> dict[str, int]:
        """Write the staged rows into the real tables (inside the caller's transaction)."""
        now = timezone.now()
        x = self.x
        with connection.cursor() as c:
            counts = self._classify(c, workspace_id, source)
            counts = {s: counts.get(s, 0) for s in "ncu"}
            if not (counts["n"] or counts["c"]):
                return counts
            c.execute(  # whose cells change: the credits staged and those replaced
                f"SELECT DISTINCT y.seller_id FROM stage_dealcredit y JOIN {self.rows} "  # noqa: S608
                f"ON t.k = y.k WHERE {x}.state IN ('n', 'c') "
                "UNION SELECT z.seller_id FROM pipeline_dealcredit z "
                f"WHERE z.workspace_id = %s AND z.deal_id IN "
                f"(SELECT {x}.deal_id FROM {self.rows} WHERE {x}.state = 'c')",
                [workspace_id],
            )
            sellers = sorted(r[0] for r in c.fetchall())
            rebuild: list[str] = []
            if self.pg and counts["n"] >= _ANALYZE_ROWS and not counts["c"]:
                # The installation's first large import of deals: one sorted build of each
                # index after the rows instead of an index insert per row (as the sales').
                rebuild = defer_indexes(c, _DEFERRED)
            if counts["c"]:
                self._history(c, workspace_id, "c", now, actor_id)
                c.execute(
                    "DELETE FROM pipeline_dealcredit WHERE workspace_id = %s AND deal_id IN "  # noqa: S608
                    f"(SELECT {x}.deal_id FROM {self.rows} WHERE {x}.state = 'c')",
                    [workspace_id],
                )
                self._update(c, now)
            if counts["n"]:
                self._insert(c, workspace_id, source, now)
                self._history(c, workspace_id, "n", now, actor_id)
            c.execute(
                "INSERT INTO pipeline_dealcredit (workspace_id, deal_id, seller_id, kind, "  # noqa: S608
                f"basis_points, amount) SELECT %s, {x}.deal_id, y.seller_id, y.kind, "
                f"y.basis_points, y.amount FROM stage_dealcredit y JOIN {self.rows} "
                f"ON t.k = y.k WHERE {x}.state IN ('n', 'c')",
                [workspace_id],
            )
            build_indexes(c, rebuild)
            if self.pg and counts["n"] + counts["c"] >= _ANALYZE_ROWS:
                # The cells are rebuilt from these tables just below: statistics that still
                # describe them before this batch (empty, say) would plan a nested loop.
                c.execute("ANALYZE pipeline_deal, pipeline_dealcredit")
        from pacte.pipeline.cells import rebuild_cells

        rebuild_cells(workspace_id, sellers)
        return counts

    def _classify(self, c: Any, workspace_id: int, source: str) -> dict[str, int]:
        """New, changed or unchanged, by one probe of the unique index per row. On PostgreSQL
        a new deal's id is drawn from the sequence right away (in file order) into a table of
        its own (no update of the staged rows); on SQLite the staged rows take it. A source
        with no deal yet skips the probes: every row is new."""
        c.execute(
            "SELECT EXISTS (SELECT 1 FROM pipeline_deal WHERE workspace_id = %s AND source = %s)",
            [workspace_id, source],
        )
        fresh = not c.fetchone()[0]
        if self.pg:
            c.execute("ANALYZE stage_deal")
            c.execute("SELECT pg_get_serial_sequence('pipeline_deal', 'id')")
            sequence = c.fetchone()[0]
            if fresh:
                c.execute(
                    "CREATE TEMP TABLE stage_dclass AS SELECT t.k, 'n'::char(1) AS state, "
                    "nextval(%s::regclass) AS deal_id FROM stage_deal t ORDER BY t.k",
                    [sequence],
                )
            else:
                c.execute(
                    "CREATE TEMP TABLE stage_dclass AS SELECT t.k, "
                    "CASE WHEN d.id IS NULL THEN 'n' WHEN d.row_hash = t.row_hash THEN 'u' "
                    "ELSE 'c' END AS state, COALESCE(d.id, nextval(%s::regclass)) AS deal_id "
                    "FROM stage_deal t LEFT JOIN LATERAL (SELECT d.id, d.row_hash "
                    "FROM pipeline_deal d WHERE d.workspace_id = %s AND d.source = %s "
                    "AND d.external_id = t.external_id LIMIT 1) d ON TRUE ORDER BY t.k",
                    [sequence, workspace_id, source],
                )
            c.execute("ALTER TABLE stage_dclass ADD PRIMARY KEY (k)")
            c.execute("CREATE INDEX stage_dclass_deal ON stage_dclass (deal_id)")
            c.execute("ANALYZE stage_dclass")
            c.execute("SELECT state, COUNT(*) FROM stage_dclass GROUP BY state")
            return dict(c.fetchall())
        # SQLite writes one transaction at a time: the new deals take the ids after the
        # highest one ever given (AUTOINCREMENT), in file order.
        c.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence "
            "WHERE name = 'pipeline_deal'), 0), COALESCE((SELECT MAX(id) FROM pipeline_deal), 0))"
        )
        top = int(c.fetchone()[0])
        if fresh:  # k runs from 0 in file order
            c.execute("UPDATE stage_deal SET state = 'n', deal_id = %s + 1 + k", [top])
            c.execute("SELECT state, COUNT(*) FROM stage_deal GROUP BY state")
            counts = dict(c.fetchall())
        else:
            c.execute(
                "UPDATE stage_deal SET (deal_id, state) = (SELECT d.id, CASE WHEN d.row_hash = "
                "stage_deal.row_hash THEN 'u' ELSE 'c' END FROM pipeline_deal d "
                "WHERE d.workspace_id = %s AND d.source = %s "
                "AND d.external_id = stage_deal.external_id)",
                [workspace_id, source],
            )
            c.execute("UPDATE stage_deal SET state = 'n' WHERE state IS NULL")
            c.execute("SELECT state, COUNT(*) FROM stage_deal GROUP BY state")
            counts = dict(c.fetchall())
            if counts.get("n"):
                c.execute(
                    "UPDATE stage_deal SET deal_id = %s + x.n FROM (SELECT k, ROW_NUMBER() OVER "
                    "(ORDER BY k) AS n FROM stage_deal WHERE state = 'n') x "
                    "WHERE stage_deal.k = x.k",
                    [top],
                )
        c.execute("CREATE INDEX stage_deal_deal ON stage_deal (deal_id)")
        return counts

    def _history(
        self, c: Any, workspace_id: int, state: str, now: Any, actor_id: int | None
    ) -> None:
        """The state of each new deal, and of each changed deal whose tracked fields moved (run
        before the update: compared with the deal as it still is)."""
        x = self.x
        cols = ["amount", "close_date", "stage", "probability", "category", "status", "owner_id"]
        moved = ""
        join = ""
        if state == "c":
            join = f"JOIN pipeline_deal d ON d.id = {x}.deal_id "
            moved = " AND (" + " OR ".join(f"d.{f} <> t.{f}" for f in TRACKED) + ")"
        c.execute(
            f"INSERT INTO pipeline_dealchange (workspace_id, deal_id, changed_at, actor_id, "  # noqa: S608
            f"{', '.join(cols)}) SELECT %s, {x}.deal_id, %s, %s, "
            f"{', '.join('t.' + f for f in cols)} FROM {self.rows} {join}"
            f"WHERE {x}.state = %s{moved} ORDER BY t.k",
            [workspace_id, now, actor_id, state],
        )

    def _update(self, c: Any, now: Any) -> None:
        x = self.x
        sets = ", ".join(
            f"{f} = COALESCE(t.{f}, '')" if f == "currency" else f"{f} = t.{f}"
            for f in _VALUES
            if f != "external_id"
        )
        sql = (
            f"UPDATE pipeline_deal SET {sets}, version = pipeline_deal.version + 1, "  # noqa: S608
            f"updated_at = %s FROM {self.rows} WHERE {x}.state = 'c' "
            f"AND pipeline_deal.id = {x}.deal_id"
        )
        c.execute(sql, [now])

    def _insert(self, c: Any, workspace_id: int, source: str, now: Any) -> None:
        x = self.x
        values = ", ".join(
            "COALESCE(t.currency, '')" if f == "currency" else f"t.{f}" for f in _VALUES
        )
        c.execute(
            f"INSERT INTO pipeline_deal (id, uuid, workspace_id, source, {', '.join(_VALUES)}, "  # noqa: S608
            f"version, created_at, updated_at) SELECT {x}.deal_id, "
            f"{sale_uuid_sql(f'{x}.deal_id', tag='d00')}, %s, %s, {values}, 1, %s, %s "
            f"FROM {self.rows} WHERE {x}.state = 'n' ORDER BY t.k",
            [workspace_id, source, now, now],
        )
