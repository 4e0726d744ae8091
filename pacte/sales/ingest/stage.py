"""The staged path: valid rows go to temporary tables, then ONE transaction merges them (new
sales inserted, changed ones updated with audit events, credits replaced, cube updated)."""

from __future__ import annotations

import datetime
import io
from typing import Any

import polars as pl
from django.db import connection
from django.utils import timezone

from pacte.sales.cube import apply_cube, apply_deltas, drop_empty_cells
from pacte.sales.ingest.context import CREDIT_SCHEMA
from pacte.sales.ingest.prepare import Prepared

# --------------------------------------------------------------------------- staging


_STAGE_SALE_COLS = [
    "k",
    "line",
    "external_id",
    "date",
    "month",
    "amount",
    "currency",
    "currency_amount",
    "channel_id",
    "customer",
    "territory",
    "solution",
    "credit_origin",
    "row_hash",
]
_STAGE_CREDIT_COLS = list(CREDIT_SCHEMA)


def _uuid_sql() -> str:
    if connection.vendor == "postgresql":
        return "gen_random_uuid()"
    return "lower(hex(randomblob(16)))"


def sale_uuid_sql(sale_id: str, *, tag: str = "000") -> str:
    """A UUID (version 7 layout) for the sale whose id is the SQL expression ``sale_id``: the
    milliseconds of the transaction's start, then the id. Unique because the id is; growing
    with the id, so an import appends to the right edge of the uuid index instead of writing
    one random page per row (a third of the cost of storing a sale, measured). ``tag`` (three
    hex digits after the version) tells another table's rows apart (deals: ``d00``)."""
    if connection.vendor == "postgresql":
        return (
            f"(lpad(to_hex((EXTRACT(EPOCH FROM now()) * 1000)::bigint), 12, '0') || '7{tag}' "
            f"|| '8' || lpad(to_hex({sale_id}), 15, '0'))::uuid"
        )
    return (  # Django keeps a UUIDField as 32 hex digits on SQLite
        f"printf('%%012x7{tag}' || '8' || '%%015x', "
        f"CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), {sale_id})"
    )


def copy_rows(table: str, cols: list[str], df: pl.DataFrame) -> None:
    """Append ``df``'s ``cols`` to ``table`` on the current connection: ``COPY`` on PostgreSQL,
    batched ``executemany`` of the sqlite3 cursor on SQLite (no placeholder rewriting)."""
    if df.height == 0:
        return
    df = df.select(cols)
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            buf = io.BytesIO()
            df.write_csv(buf, include_header=False, null_value="")
            with c.cursor.copy(
                f"COPY {table} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                copy.write(buf.getbuffer())
        else:
            df = df.with_columns(pl.col(pl.Date).cast(pl.String))
            marks = ", ".join(["?"] * len(cols))
            raw = c.cursor
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})"  # noqa: S608
            for part in df.iter_slices(50_000):
                raw.executemany(sql, part.iter_rows())


class Stage:
    """Temporary staging tables on the current connection, and the one-transaction merge."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"
        text = "text"
        with connection.cursor() as c:
            for table in ("stage_sale", "stage_credit", "stage_class"):
                c.execute(f"DROP TABLE IF EXISTS {table}")
            c.execute(
                "CREATE TEMP TABLE stage_sale (k bigint PRIMARY KEY, line bigint, "
                f"external_id {text}, date date, month integer, amount bigint, currency {text}, "
                "currency_amount bigint, "
                f"channel_id bigint, customer {text}, territory {text}, solution {text}, "
                f"credit_origin {text}, row_hash bigint, sale_id bigint, old_hash bigint, "
                f"customer_id bigint, state char(1))"
            )
            c.execute(
                "CREATE TEMP TABLE stage_credit (k bigint, seller_id bigint, unit_id bigint, "
                f"kind {text}, basis_points integer, amount bigint, origin {text})"
            )

    def drop(self) -> None:
        with connection.cursor() as c:
            for table in ("stage_sale", "stage_credit", "stage_class"):
                c.execute(f"DROP TABLE IF EXISTS {table}")

    def add(self, prepared: Prepared) -> None:
        self._load("stage_sale", _STAGE_SALE_COLS, prepared.sales)
        self._load("stage_credit", _STAGE_CREDIT_COLS, prepared.credits)

    def _load(self, table: str, cols: list[str], df: pl.DataFrame) -> None:
        copy_rows(table, cols, df)

    def merge(self, *, workspace_id: int, source: str, job_id: int | None) -> dict[str, Any]:
        """Write the staged rows into the real tables; call inside ``transaction.atomic``.

        Returns the counts and, for changed sales, their audit before/after pairs."""
        now = timezone.now()
        with connection.cursor() as c:
            if self.pg:
                counts = self._classify_pg(c, workspace_id, source)
            else:
                counts = self._classify_sqlite(c, workspace_id, source)
            if counts.get("n", 0) + counts.get("c", 0) == 0:
                return {"created": 0, "updated": 0, "unchanged": counts.get("u", 0), "changes": []}
            self._add_customers(c, workspace_id, now)
            if not self.pg:
                c.execute(
                    "UPDATE stage_sale SET customer_id = (SELECT y.id FROM sales_customer y "
                    "WHERE y.workspace_id = %s AND y.name = stage_sale.customer) "
                    "WHERE state <> 'u' AND customer IS NOT NULL",
                    [workspace_id],
                )
                c.execute("CREATE INDEX stage_sale_sale ON stage_sale (sale_id)")
            changes: list[dict[str, Any]] = []
            if counts.get("c"):
                changes = self._before(c, workspace_id)
                changed = f"SELECT sale_id FROM {self.cls} WHERE state = 'c'"  # noqa: S608
                apply_cube(c, workspace_id, -1, f"c.sale_id IN ({changed})")
                c.execute(
                    f"DELETE FROM sales_credit WHERE workspace_id = %s AND sale_id IN ({changed})",  # noqa: S608
                    [workspace_id],
                )
                self._update_changed(c, workspace_id, job_id, now)
            if counts.get("n"):
                self._insert_new(c, workspace_id, source, job_id, now)
            # Credits of new and changed sales, then the cube delta, each in one statement.
            c.execute(
                "INSERT INTO sales_credit (workspace_id, sale_id, seller_id, unit_id, kind, "  # noqa: S608
                "basis_points, amount, origin) "
                "SELECT %s, t.sale_id, x.seller_id, x.unit_id, x.kind, x.basis_points, "
                f"x.amount, x.origin FROM stage_credit x JOIN {self.cls} t ON t.k = x.k "
                "WHERE t.state IN ('n', 'c')",
                [workspace_id],
            )
            apply_deltas(
                c,
                workspace_id,
                "SELECT x.seller_id, x.unit_id, t.channel_id, t.month, "  # noqa: S608
                "SUM(CASE WHEN x.kind = 'split' THEN x.amount ELSE 0 END), "
                "SUM(CASE WHEN x.kind = 'overlay' THEN x.amount ELSE 0 END), COUNT(*) "
                f"FROM stage_credit x JOIN {self.cls} t ON t.k = x.k "
                "WHERE t.state IN ('n', 'c') "
                "GROUP BY x.seller_id, x.unit_id, t.channel_id, t.month",
            )
            drop_empty_cells(c, workspace_id)
            if changes:
                self._after(c, workspace_id, changes)
        return {
            "created": counts.get("n", 0),
            "updated": counts.get("c", 0),
            "unchanged": counts.get("u", 0),
            "changes": changes,
        }

    @property
    def cls(self) -> str:
        """The table holding each staged row's ``k, state, sale_id, channel_id, month``."""
        return "stage_class" if self.pg else "stage_sale"

    def _classify_pg(self, c: Any, workspace_id: int, source: str) -> dict[str, int]:
        """One join against the existing sales: new ('n', an id drawn from the sequence right
        away, in file order), changed ('c') or unchanged ('u'); no update of the staging table
        and no re-read of the inserted sales. The lateral ``LIMIT 1`` keeps one probe of the
        unique index per row whatever the (possibly stale) statistics of ``sales_sale``."""
        c.execute("ANALYZE stage_sale")  # temporary tables have no statistics until analysed
        c.execute("SELECT pg_get_serial_sequence('sales_sale', 'id')")
        sequence = c.fetchone()[0]
        c.execute("DROP TABLE IF EXISTS stage_class")
        c.execute(
            "CREATE TEMP TABLE stage_class AS SELECT t.k, "
            "CASE WHEN s.id IS NULL THEN 'n' WHEN s.row_hash = t.row_hash THEN 'u' ELSE 'c' END "
            "AS state, COALESCE(s.id, nextval(%s::regclass)) AS sale_id, t.channel_id, t.month "
            "FROM stage_sale t LEFT JOIN LATERAL (SELECT s.id, s.row_hash FROM sales_sale s "
            "WHERE s.workspace_id = %s AND s.source = %s AND s.external_id = t.external_id "
            "LIMIT 1) s ON TRUE ORDER BY t.k",
            [sequence, workspace_id, source],
        )
        c.execute("ANALYZE stage_class")
        c.execute("SELECT state, COUNT(*) FROM stage_class GROUP BY state")
        return dict(c.fetchall())

    def _classify_sqlite(self, c: Any, workspace_id: int, source: str) -> dict[str, int]:
        c.execute("CREATE INDEX stage_sale_ext ON stage_sale (external_id)")
        # A correlated lookup through the unique index (SQLite may plan a join badly).
        c.execute(
            "UPDATE stage_sale SET (sale_id, old_hash) = (SELECT s.id, s.row_hash "
            "FROM sales_sale s WHERE s.workspace_id = %s AND s.source = %s "
            "AND s.external_id = stage_sale.external_id)",
            [workspace_id, source],
        )
        c.execute(
            "UPDATE stage_sale SET state = CASE WHEN sale_id IS NULL THEN 'n' "
            "WHEN old_hash = row_hash THEN 'u' ELSE 'c' END"
        )
        c.execute("SELECT state, COUNT(*) FROM stage_sale GROUP BY state")
        return dict(c.fetchall())

    def _add_customers(self, c: Any, workspace_id: int, now: datetime.datetime) -> None:
        c.execute(
            "INSERT INTO sales_customer (uuid, workspace_id, name, created_at) "  # noqa: S608
            f"SELECT {_uuid_sql()}, %s, x.name, %s FROM "
            f"(SELECT DISTINCT t.customer AS name FROM stage_sale t JOIN {self.cls} y "
            " ON y.k = t.k WHERE t.customer IS NOT NULL AND y.state <> 'u') x "
            "WHERE NOT EXISTS (SELECT 1 FROM sales_customer y "
            " WHERE y.workspace_id = %s AND y.name = x.name)",
            [workspace_id, now, workspace_id],
        )

    def _update_changed(
        self, c: Any, workspace_id: int, job_id: int | None, now: datetime.datetime
    ) -> None:
        sets = (
            "date = t.date, month = t.month, amount = t.amount, "
            "currency = COALESCE(t.currency, ''), currency_amount = t.currency_amount, "
            "channel_id = t.channel_id, "
            "territory = COALESCE(t.territory, ''), solution = COALESCE(t.solution, ''), "
            "credit_origin = t.credit_origin, row_hash = t.row_hash, last_import_id = %s, "
            "updated_at = %s"
        )
        if self.pg:
            c.execute(
                f"UPDATE sales_sale SET {sets}, customer_id = cu.id "  # noqa: S608
                "FROM stage_class x JOIN stage_sale t ON t.k = x.k "
                "LEFT JOIN sales_customer cu ON cu.workspace_id = %s AND cu.name = t.customer "
                "WHERE x.state = 'c' AND sales_sale.id = x.sale_id",
                [job_id, now, workspace_id],
            )
        else:
            c.execute(
                f"UPDATE sales_sale SET {sets}, customer_id = t.customer_id "  # noqa: S608
                "FROM stage_sale t WHERE t.sale_id = sales_sale.id AND t.state = 'c'",
                [job_id, now],
            )

    def _insert_new(
        self, c: Any, workspace_id: int, source: str, job_id: int | None, now: datetime.datetime
    ) -> None:
        cols = (
            "workspace_id, source, external_id, date, month, amount, currency, currency_amount, "
            "channel_id, "
            "customer_id, territory, solution, credit_origin, row_hash, last_import_id, updated_at"
        )
        values = (
            "%s, %s, t.external_id, t.date, t.month, t.amount, COALESCE(t.currency, ''), "
            "t.currency_amount, t.channel_id, "
            "{customer}, COALESCE(t.territory, ''), COALESCE(t.solution, ''), t.credit_origin, "
            "t.row_hash, %s, %s"
        )
        if self.pg:  # the ids were drawn from the sequence by _classify_pg
            c.execute(
                f"INSERT INTO sales_sale (id, uuid, {cols}) "  # noqa: S608
                f"SELECT x.sale_id, {sale_uuid_sql('x.sale_id')}, "
                f"{values.format(customer='cu.id')} "
                "FROM stage_class x JOIN stage_sale t ON t.k = x.k "
                "LEFT JOIN sales_customer cu ON cu.workspace_id = %s AND cu.name = t.customer "
                "WHERE x.state = 'n' ORDER BY x.k",
                [workspace_id, source, job_id, now, workspace_id],
            )
            return
        # SQLite writes one transaction at a time: the new sales take the ids after the
        # highest one, in file order, so their ids are known without reading them back.
        c.execute(  # AUTOINCREMENT never reuses an id: start after the highest ever given
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sales_sale'), 0), "
            "COALESCE((SELECT MAX(id) FROM sales_sale), 0))"
        )
        top = int(c.fetchone()[0])
        c.execute(
            "UPDATE stage_sale SET sale_id = %s + x.n FROM (SELECT k, ROW_NUMBER() OVER "
            "(ORDER BY k) AS n FROM stage_sale WHERE state = 'n') x "
            "WHERE stage_sale.k = x.k",
            [top],
        )
        c.execute(
            f"INSERT INTO sales_sale (id, uuid, {cols}) "  # noqa: S608
            f"SELECT t.sale_id, {sale_uuid_sql('t.sale_id')}, "
            f"{values.format(customer='t.customer_id')} "
            "FROM stage_sale t WHERE t.state = 'n' ORDER BY t.k",
            [workspace_id, source, job_id, now],
        )

    def _before(self, c: Any, workspace_id: int) -> list[dict[str, Any]]:
        c.execute(
            "SELECT s.id, s.uuid, s.external_id, s.date, s.amount, ch.code, cu.name, "  # noqa: S608
            f"s.territory, s.solution FROM sales_sale s JOIN {self.cls} t ON t.sale_id = s.id "
            "JOIN sales_channel ch ON ch.id = s.channel_id "
            "LEFT JOIN sales_customer cu ON cu.id = s.customer_id WHERE t.state = 'c' "
            "ORDER BY t.k"
        )
        rows = c.fetchall()
        c.execute(
            "SELECT x.sale_id, u.email, x.kind, x.basis_points FROM sales_credit x "  # noqa: S608
            f"JOIN {self.cls} t ON t.sale_id = x.sale_id AND t.state = 'c' "
            "JOIN accounts_membership m ON m.id = x.seller_id "
            "JOIN accounts_user u ON u.id = m.user_id WHERE x.workspace_id = %s",
            [workspace_id],
        )
        credits: dict[int, list[str]] = {}
        for sale_id, email, kind, bp in c.fetchall():
            credits.setdefault(sale_id, []).append(f"{kind}:{email}:{bp}")
        return [
            {"id": r[0], "uuid": str(r[1]), "external_id": r[2], "before": _snap(r, credits)}
            for r in rows
        ]

    def _after(self, c: Any, workspace_id: int, changes: list[dict[str, Any]]) -> None:
        c.execute(
            "SELECT s.id, s.uuid, s.external_id, s.date, s.amount, ch.code, cu.name, "  # noqa: S608
            f"s.territory, s.solution FROM sales_sale s JOIN {self.cls} t ON t.sale_id = s.id "
            "JOIN sales_channel ch ON ch.id = s.channel_id "
            "LEFT JOIN sales_customer cu ON cu.id = s.customer_id WHERE t.state = 'c'"
        )
        rows = {r[0]: r for r in c.fetchall()}
        c.execute(
            "SELECT x.sale_id, u.email, x.kind, x.basis_points FROM sales_credit x "  # noqa: S608
            f"JOIN {self.cls} t ON t.sale_id = x.sale_id AND t.state = 'c' "
            "JOIN accounts_membership m ON m.id = x.seller_id "
            "JOIN accounts_user u ON u.id = m.user_id WHERE x.workspace_id = %s",
            [workspace_id],
        )
        credits: dict[int, list[str]] = {}
        for sale_id, email, kind, bp in c.fetchall():
            credits.setdefault(sale_id, []).append(f"{kind}:{email}:{bp}")
        for change in changes:
            change["after"] = _snap(rows[change["id"]], credits)


def _snap(row: tuple[Any, ...], credits: dict[int, list[str]]) -> dict[str, Any]:
    date = row[3]
    return {
        "date": date.isoformat() if hasattr(date, "isoformat") else str(date),
        "amount": int(row[4]),
        "channel": row[5],
        "customer": row[6] or "",
        "territory": row[7] or "",
        "solution": row[8] or "",
        "credits": sorted(credits.get(row[0], [])),
    }
