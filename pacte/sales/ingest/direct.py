"""The direct path (PostgreSQL, a source with no sale yet): slices are copied straight into
the sales and credits tables by a writer thread, inside one transaction."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.utils import timezone

from pacte.lib import pgcopy
from pacte.sales.cube import (
    CUBE_SCHEMA,
    apply_delta_table,
    cube_delta,
    drop_empty_cells,
    sum_cube,
)
from pacte.sales.ingest.prepare import Prepared

# --------------------------------------------------------------------------- direct writes


def lock_source(c: Any, workspace_id: int, source: str) -> None:
    """Serialise imports into one (workspace, source) until the transaction ends (PostgreSQL;
    SQLite writes one transaction at a time anyway)."""
    if connection.vendor == "postgresql":
        c.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [workspace_id, source])


def defer_indexes(c: Any, tables: tuple[str, ...]) -> list[str]:
    """When ``tables`` hold no row at all (an installation's first import), drop their keys
    and indexes but a key a foreign key depends on, so that ``build_indexes`` builds them again
    after the rows, in the same transaction: one sorted build of each instead of an index
    insert per row. The tables stay locked (``ACCESS EXCLUSIVE``) until the transaction ends;
    they hold nothing for another reader anyway. Returns the statements that build them again
    (empty: nothing deferred, the tables hold rows or the role may not alter them)."""
    empty = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {table})" for table in tables)  # noqa: S608
    c.execute(f"SELECT {empty}")
    if not c.fetchone()[0]:
        return []
    c.execute("SAVEPOINT pacte_defer")  # undoing it releases the lock again
    try:
        keys, indexes = _drop_indexes(c, tables, empty)
    except DatabaseError:  # e.g. a database role that does not own the tables
        keys = indexes = None
    if keys is None or indexes is None:
        c.execute("ROLLBACK TO SAVEPOINT pacte_defer")
        return []
    c.execute("RELEASE SAVEPOINT pacte_defer")
    return [
        *(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {d}' for table, name, d in keys),
        *(definition for _name, definition in indexes),
    ]


def _drop_indexes(
    c: Any, tables: tuple[str, ...], empty: str
) -> tuple[list[Any] | None, list[Any] | None]:
    """Lock the tables, check they are still empty, drop their keys and indexes: the keys
    (table, name, definition) and indexes (name, definition) dropped, or Nones when another
    import stored rows meanwhile."""
    c.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
    c.execute(f"SELECT {empty}")
    if not c.fetchone()[0]:
        return None, None
    # Primary and unique keys but one a foreign key depends on (the sale's primary key),
    # then the plain indexes.
    c.execute(
        "SELECT cl.relname, con.conname, pg_get_constraintdef(con.oid) "
        "FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid "
        "WHERE cl.relname = ANY(%s) "
        "AND con.contype IN ('p', 'u') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
        "AND f.conindid = con.conindid) ORDER BY 1, 2",
        [list(tables)],
    )
    keys = c.fetchall()
    c.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE t.relname = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid) "
        "ORDER BY 1",
        [list(tables)],
    )
    indexes = c.fetchall()
    for table, name, _definition in keys:
        c.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        c.execute(f'DROP INDEX "{name}"')
    return keys, indexes


def build_indexes(c: Any, statements: list[str]) -> None:
    """Build what ``defer_indexes`` dropped (a unique key still refuses duplicates here: the
    import then fails whole, as a failed insert would have)."""
    if not statements:
        return
    c.execute("SET LOCAL maintenance_work_mem = '256MB'")  # sorts in memory
    for statement in statements:
        c.execute(statement)


class Direct:
    """Writes prepared slices straight into ``sales_sale`` and ``sales_credit`` with ``COPY``
    (PostgreSQL), for a source that holds no sale yet, so every row is new: no staging table,
    no classification, no ``INSERT … SELECT``. Use inside ``transaction.atomic`` after
    ``lock_source``: the caller's transaction is what makes the import all or nothing (an
    error, a cancel or a killed process rolls every slice back).

    The writes run in a thread of their own, on the caller's connection, while the caller
    validates the next slice: the server inserts rows and updates indexes on one core while
    Polars parses on the other. The writer also encodes the rows for ``COPY`` (its NumPy and
    Polars calls leave the GIL to the caller meanwhile). The caller must not use the
    connection between ``start`` and ``close`` (progress and cancel go through another one).
    The cube delta is summed in Polars slice by slice and applied once by ``finish``."""

    SALE_COLS = (
        "id, uuid, workspace_id, source, date, month, amount, channel_id, row_hash, "
        "last_import_id, updated_at, currency_amount, external_id, territory, solution, "
        "credit_origin, currency, customer_id"
    )
    CREDIT_COLS = "workspace_id, sale_id, seller_id, unit_id, kind, basis_points, amount, origin"
    #: Cube cells of slices kept before they are summed (then at least the summed cells'
    #: number): summing at every slice would regroup a large organisation's cube 400 times
    #: for 10M rows.
    CUBE_PENDING_ROWS = 200_000
    #: Prepared slices waiting for the writer: bounds the memory held ahead of the database.
    QUEUE_SLICES = 2

    def __init__(
        self, *, workspace_id: int, source: str, job_id: int | None, draw: Any = None
    ) -> None:
        """``draw``: the connection sale ids are drawn from while the writer owns this one
        (another connection: a sequence is not transactional); this one when not given."""
        self.workspace_id = workspace_id
        self.source = source
        self.job_id = job_id
        self.created = 0
        self.now = timezone.now()
        self.customers = pl.DataFrame(schema={"customer": pl.String, "customer_id": pl.Int64})
        self.cube = pl.DataFrame(schema=CUBE_SCHEMA)  # summed cells
        self.pending: list[pl.DataFrame] = []  # slices' cells not summed into ``cube`` yet
        self.pending_rows = 0
        self.conn = connections[DEFAULT_DB_ALIAS]  # this thread's connection, for the writer
        self.draw = draw or self.conn
        self.queue: queue.Queue[_Slice | None] = queue.Queue(maxsize=self.QUEUE_SLICES)
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.rebuild: list[str] = []  # statements building the indexes deferred
        self.locked = False  # both tables held ACCESS EXCLUSIVE until the transaction ends
        with self.conn.cursor() as c:
            c.execute("SELECT pg_get_serial_sequence('sales_sale', 'id')")
            self.sequence = c.fetchone()[0]
            c.execute("SELECT (EXTRACT(EPOCH FROM now()) * 1000)::bigint")
            self.millis = int(c.fetchone()[0])

    def defer_indexes(self) -> bool:
        """When ``sales_sale`` and ``sales_credit`` hold no row at all (an installation's first
        import), drop their indexes and keys but the sale's primary key (other tables point at
        it) and build them again in ``finish``, in the same transaction (:func:`defer_indexes`).
        Returns True when deferred. Call before ``start``."""
        with self.conn.cursor() as c:
            self.rebuild = defer_indexes(c, ("sales_sale", "sales_credit"))
        self.locked = bool(self.rebuild)
        return self.locked

    def _build_indexes(self, c: Any) -> None:
        build_indexes(c, self.rebuild)
        self.rebuild = []

    def start(self) -> None:
        self.conn.inc_thread_sharing()
        self.thread = threading.Thread(target=self._work, name="pacte-import-writer", daemon=True)
        self.thread.start()

    def add(self, prepared: Prepared) -> None:
        """Draw the slice's sale ids and queue the slice for the writer (waits while
        QUEUE_SLICES are pending), which encodes its rows, finds its customers' ids (they need
        this transaction) and copies them. Runs in the caller's thread, beside the writer."""
        if self.error is not None:
            raise self.error
        sales, credits = prepared.sales, prepared.credits
        if sales.height == 0:
            return
        with self.draw.cursor() as c:
            ids = self._reserve(c, sales.height)
        sales = sales.with_columns(id=pl.Series(ids))
        credits = credits.join(
            sales.select("k", sale_id="id", channel_id="channel_id", month="month"),
            on="k",
            how="left",
            maintain_order="left",
        )
        self.queue.put(_Slice(sales, credits))
        self.created += sales.height
        delta = cube_delta(credits)
        self.pending.append(delta)
        self.pending_rows += delta.height
        if self.pending_rows > max(self.CUBE_PENDING_ROWS, self.cube.height):  # amortised
            self._sum_pending()

    def _sum_pending(self) -> None:
        self.cube = sum_cube(pl.concat([self.cube, *self.pending]))
        self.pending, self.pending_rows = [], 0

    def close(self, *, quiet: bool = False) -> None:
        """Wait for the writer to finish the queued slices; raise what it met, if anything
        (unless ``quiet``: the caller is already raising)."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
            self.conn.dec_thread_sharing()
        if self.error is not None and not quiet:
            raise self.error

    def _work(self) -> None:
        while (encoded := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain: the caller sees the error at its next add or at close
            try:
                self._write(encoded)
            except BaseException as exc:  # handed to the caller's thread
                self.error = exc

    @staticmethod
    def applies(workspace_id: int, source: str) -> bool:
        """True when the direct path can take this import: PostgreSQL, and no sale of this
        source in the workspace yet (ask after ``lock_source``)."""
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as c:
            c.execute(
                "SELECT EXISTS (SELECT 1 FROM sales_sale WHERE workspace_id = %s AND source = %s)",
                [workspace_id, source],
            )
            return not c.fetchone()[0]

    def _encode(self, piece: _Slice) -> _Encoded:
        """A slice's rows for ``COPY``, customer ids still to write."""
        sales, credits = piece.sales, piece.credits
        C = pgcopy.Column
        has_customer = sales["customer"].is_not_null()
        sale_rows, ends = pgcopy.encode_rows(
            sales.height,
            [  # the order of SALE_COLS, customer_id last (the writer fills it in place)
                C("int8", sales["id"]),
                C("uuid", pgcopy.uuid7(sales["id"].to_numpy(), self.millis)),
                C("int8", self.workspace_id),
                C("text", self.source),
                C("date", sales["date"]),
                C("int4", sales["month"]),
                C("int8", sales["amount"]),
                C("int8", sales["channel_id"]),
                C("int8", sales["row_hash"]),
                C("int8", self.job_id),
                C("timestamptz", self.now),
                C("int8", sales["currency_amount"]),
                C("text", sales["external_id"]),
                C("text", sales["territory"].fill_null("")),
                C("text", sales["solution"].fill_null("")),
                C("text", sales["credit_origin"]),
                C("text", sales["currency"].fill_null("")),
                C("int8", pl.select(pl.when(has_customer).then(0)).to_series()),  # placeholder
            ],
        )
        credit_rows = pgcopy.encode(
            credits.height,
            [
                C("int8", self.workspace_id),
                C("int8", credits["sale_id"]),
                C("int8", credits["seller_id"]),
                C("int8", credits["unit_id"]),
                C("text", credits["kind"]),
                C("int4", credits["basis_points"].cast(pl.Int32)),
                C("int8", credits["amount"]),
                C("text", credits["origin"]),
            ],
        )
        customers = sales["customer"].filter(has_customer)
        return _Encoded(sale_rows, ends[has_customer.to_numpy()] - 8, customers, credit_rows)

    def _write(self, piece: _Slice) -> None:
        encoded = self._encode(piece)
        with self.conn.cursor() as c:
            if encoded.customers.len():  # their ids, creating the new ones, into the rows
                ids = self._customer_ids(c, encoded.customers)
                block = ids.astype(">i8").view(np.uint8).reshape(-1, 8)
                encoded.sales[(encoded.customer_at[:, None] + np.arange(8)).ravel()] = block.ravel()
            self._copy(c, "sales_sale", self.SALE_COLS, encoded.sales)
            self._copy(c, "sales_credit", self.CREDIT_COLS, encoded.credits)

    def finish(self) -> dict[str, Any]:
        """Apply the summed cube delta (one upsert) and return the counts, as ``Stage.merge``."""
        self.close()
        with self.conn.cursor() as c:
            self._build_indexes(c)
        if self.created:
            with self.conn.cursor() as c:
                c.execute("DROP TABLE IF EXISTS stage_cube")
                c.execute(
                    "CREATE TEMP TABLE stage_cube (seller_id bigint, unit_id bigint, "
                    "channel_id bigint, month integer, split bigint, overlay bigint, n bigint) "
                    "ON COMMIT DROP"
                )
                self._sum_pending()
                cube = self.cube
                kinds: dict[str, pgcopy.Kind] = {"month": "int4"}
                data = pgcopy.encode(
                    cube.height,
                    [pgcopy.Column(kinds.get(name, "int8"), cube[name]) for name in CUBE_SCHEMA],
                )
                self._copy(c, "stage_cube", ", ".join(CUBE_SCHEMA), data)
                apply_delta_table(c, self.workspace_id, "stage_cube")
                drop_empty_cells(c, self.workspace_id)
        return {"created": self.created, "updated": 0, "unchanged": 0, "changes": []}

    def _reserve(self, c: Any, n: int) -> np.ndarray:
        """``n`` new sale ids from the table's own sequence, in order. Normally one contiguous
        range (two numbers back); when another session drew ids meanwhile, the list itself.

        While the import holds ``sales_sale`` locked (``defer_indexes``), nobody else can
        draw a sale id (every path that does inserts into the table or reads it first): the
        range is then moved past in one step instead of one ``nextval`` per row."""
        if self.locked:
            c.execute(
                "SELECT setval(%s::regclass, nextval(%s::regclass) + %s - 1)",
                [self.sequence, self.sequence, n],
            )
            high = int(c.fetchone()[0])
            return np.arange(high - n + 1, high + 1, dtype=np.int64)
        c.execute(
            "SELECT MIN(v), MAX(v), CASE WHEN MAX(v) - MIN(v) = COUNT(*) - 1 THEN NULL "
            "ELSE array_agg(v ORDER BY v) END "
            "FROM (SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s)) q",
            [self.sequence, n],
        )
        low, high, drawn = c.fetchone()
        if drawn is None:
            return np.arange(low, high + 1, dtype=np.int64)
        return np.asarray(drawn, dtype=np.int64)

    def _customer_ids(self, c: Any, names: pl.Series) -> np.ndarray:
        """The id of each customer name, creating the customers this workspace lacks
        (set-based, by name, as ``Stage._add_customers``)."""
        distinct = names.unique()
        fresh = distinct.filter(~distinct.is_in(self.customers.get_column("customer").implode()))
        if fresh.len():
            listed = fresh.to_list()
            c.execute(
                "INSERT INTO sales_customer (uuid, workspace_id, name, created_at) "
                "SELECT gen_random_uuid(), %s, n, %s FROM unnest(%s::text[]) AS n "
                "ON CONFLICT (workspace_id, name) DO NOTHING",
                [self.workspace_id, self.now, listed],
            )
            c.execute(
                "SELECT name, id FROM sales_customer WHERE workspace_id = %s AND name = ANY(%s)",
                [self.workspace_id, listed],
            )
            found = pl.DataFrame(
                c.fetchall(), schema={"customer": pl.String, "customer_id": pl.Int64}, orient="row"
            )
            self.customers = pl.concat([self.customers, found])
        joined = names.to_frame("customer").join(
            self.customers, on="customer", how="left", maintain_order="left"
        )
        return joined.get_column("customer_id").to_numpy()

    @staticmethod
    def _copy(c: Any, table: str, cols: str, data: bytes | np.ndarray) -> None:
        """Binary ``COPY``: ``data`` whole (``pgcopy.encode``), or rows alone (a uint8 array
        from ``pgcopy.encode_rows``, sent between the header and the trailer)."""
        with c.cursor.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT binary)") as copy:
            if isinstance(data, np.ndarray):
                copy.write(pgcopy.SIGNATURE)
                copy.write(memoryview(data))
                copy.write(pgcopy.TRAILER)
            else:
                copy.write(data)


@dataclass
class _Slice:
    """A prepared slice, its sale ids drawn, for the writer to encode and copy."""

    sales: pl.DataFrame
    credits: pl.DataFrame


@dataclass
class _Encoded:
    """A slice ready for the writer: sale rows (binary ``COPY``, customer ids still to write
    at ``customer_at``, one per name in ``customers``) and credit rows."""

    sales: np.ndarray
    customer_at: np.ndarray
    customers: pl.Series
    credits: bytes
