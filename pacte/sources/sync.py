"""The sync engine: read a connection's records, store them through the file import's path,
and move the cursor only when everything was stored.

1. **Read** (no database work, no transaction): the connector's pages since the cursor minus
   ``OVERLAP`` (or everything for a full reconciliation, with every id in scope), a Polars
   frame a page (``Connector.frames_since``), mapped to a sale's fields with the connection's
   mapping by selecting columns; a record on two pages is kept once (the last read). A connector error (credentials, rate limit, timeout, schema drift) ends the sync
   here: nothing written, cursor kept.
2. **Store** (ONE transaction): the connection row is locked (a deletion waits, or the sync
   sees it gone and writes nothing), the rows go through ``pacte.sales.import_jobs.run_import``
   (validation, crediting, idempotent by (source, external id), audited, cube updated) and,
   for a full reconciliation, the stored (external id, row hash) pairs are read in one
   statement (as arrays, not a message per row): rows read as they are stored are counted
   unchanged without being staged, only the others go through the import's merge; the ids
   gone from the remote are one anti-join in Polars, staged with ``COPY`` and deleted (audit
   events and cube deltas); the cursor moves to when the read started. Refused rows (another
   currency, an unknown seller…) fail the whole sync with each record's id.
3. A dry run does 1 and 2 and rolls 2 back: the counts and first rows of what would change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership
from pacte.lib.tabular.common import ERROR_SCHEMA, LINE
from pacte.sales.import_jobs import CHUNK_ROWS, run_import
from pacte.sales.ingest.context import FIELDS, REQUIRED
from pacte.sales.mapping import guess_mapping
from pacte.sales.models import ImportJob, ImportStatus, Sale
from pacte.sales.reasons import row_message
from pacte.sales.services import delete_sales
from pacte.sources import events
from pacte.sources.connectors.base import (
    Connector,
    ConnectorError,
    Row,
    connector_class,
    rows_frame,
)
from pacte.sources.connectors.generic import flatten
from pacte.sources.credentials import read_secrets, seal_secrets
from pacte.sources.http import Http
from pacte.sources.models import Connection, SyncMode, SyncRun, SyncStatus, WebhookEvent

logger = logging.getLogger("pacte.sources")

#: Records modified this long before the last successful sync started are read again: clocks
#: differ and a record saved while the last sync read its pages may carry an earlier stamp.
OVERLAP = timedelta(minutes=10)
PREVIEW_ROWS = 20
PREVIEW_FIELDS = ("external_id", "date", "amount", "currency", "seller", "channel", "customer")

#: Why a sync failed, for codes that are not a connector's (those carry their own message).
MESSAGES = {
    "deleted": lambda: _("The data source was deleted while it synced: nothing was written."),
    "has_errors": lambda: _(
        "Some records were refused: nothing was written. See each record below."
    ),
    "unexpected": lambda: _("The sync stopped on an unexpected error; see the worker's log."),
}


class SyncFailed(Exception):
    def __init__(
        self, code: str, message: str, errors: list[dict[str, Any]] | None = None, count: int = 0
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors or []
        self.count = max(count, len(self.errors))


class _RollBack(Exception):
    """Ends a dry run's transaction."""


@dataclass
class Read:
    """What step 1 read: the mapped frame, the external id of each line, every id in scope
    (full reconciliation only)."""

    frame: pl.DataFrame
    line_ids: pl.Series
    scope: pl.Series | None


# --------------------------------------------------------------------------- connectors


def build_connector(connection: Connection, http: Http | None = None) -> Connector:
    cls = connector_class(connection.kind)
    return cls(dict(connection.config), read_secrets(connection), http or Http())


def effective_mapping(
    connection: Connection, keys: set[str], mapping: dict[str, str] | None = None
) -> dict[str, str]:
    """Sale field → row key: the mapping (the connection's profile's unless given), else the
    field's own name when rows carry it (connectors that give canonical keys need none)."""
    chosen_fields = connection.mapping if mapping is None else mapping
    mapping = {}
    for field in FIELDS:
        chosen = chosen_fields.get(field)
        if chosen:
            mapping[field] = chosen
        elif chosen is None and field in keys:
            mapping[field] = field
    return mapping


def frame_of(
    connection: Connection, raw: pl.DataFrame, mapping: dict[str, str] | None = None
) -> tuple[pl.DataFrame, pl.Series]:
    """The read records (a frame of remote fields as strings) mapped to the import's frame
    (strings, with ``LINE``), one line per external id (the last one read wins), and the
    external id of each line.

    Raises ``ConnectorError("schema")`` when a mapped remote field is in no record (renamed or
    removed on the remote side) or a required field has nowhere to come from."""
    keys = set(raw.columns)
    mapping = effective_mapping(connection, keys, mapping)
    if raw.height:
        for field, remote in mapping.items():
            if remote not in keys:
                raise ConnectorError(
                    "schema",
                    _(
                        "The remote field “%(remote)s” (mapped to %(field)s) is in no record: "
                        "was it renamed or removed on the remote side?"
                    )
                    % {"remote": remote, "field": field},
                    field=remote,
                )
        for field in REQUIRED:
            if field not in mapping and not (field == "channel" and connection.default_channel):
                raise ConnectorError(
                    "schema",
                    _("No remote field gives the %(field)s of a sale: map one.") % {"field": field},
                    field=field,
                )
    id_key = mapping.get("external_id", "external_id")
    key = pl.col(id_key).fill_null("") if id_key in keys else pl.lit("", pl.String)
    kept = (
        raw.with_columns(key.alias("__id"))
        .unique(subset="__id", keep="last", maintain_order=True)
        .drop("__id")
    )
    columns = [
        (pl.col(mapping[field]) if field in mapping else pl.lit(None, pl.String))
        .cast(pl.String)
        .alias(field)
        for field in FIELDS
    ]
    frame = kept.select(columns)
    if connection.default_channel:
        channel = pl.col("channel")
        frame = frame.with_columns(
            pl.when(channel.is_null() | (channel == ""))
            .then(pl.lit(connection.default_channel))
            .otherwise(channel)
            .alias("channel")
        )
    frame = frame.select(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(LINE), *FIELDS)
    return frame, frame.get_column("external_id").fill_null("")


def read(connector: Connector, connection: Connection, run: SyncRun) -> Read:
    """Step 1, over the network only: a frame a page, no dict per record where the connector
    can avoid it."""
    frames: list[pl.DataFrame] = []
    scope: pl.Series | None = None
    if run.mode == SyncMode.WEBHOOK:
        frames = [rows_frame(webhook_rows(connection, run))]
    else:
        frames = list(connector.frames_since(run.since))
        if run.mode == SyncMode.FULL:
            if connector.scope_from_full_read:
                scope = pl.concat(
                    [f.get_column("external_id") for f in frames if "external_id" in f.columns]
                    or [pl.Series("external_id", [], dtype=pl.String)]
                )
            else:
                scope = pl.Series(
                    "external_id",
                    [i for ids in connector.all_ids() for i in ids],
                    dtype=pl.String,
                )
    raw = pl.concat(frames, how="diagonal") if frames else pl.DataFrame()
    frame, line_ids = frame_of(connection, raw)
    return Read(frame=frame, line_ids=line_ids, scope=scope)


@dataclass
class Sample:
    """The first records of a source, for choosing its mapping: the remote fields, the file
    import's guess from their names and values, and the first rows."""

    fields: list[str]
    guess: dict[str, str]
    head: pl.DataFrame


def sample(connection: Connection, *, http: Http | None = None) -> Sample:
    """Read the source's first page (one request; nothing stored) and guess its mapping with
    the file import's guesser (``pacte.sales.mapping.guess_mapping``). Raises
    ``ConnectorError``."""
    own = http is None
    http = http or Http()
    try:
        first = next(iter(build_connector(connection, http).frames_since(None)), pl.DataFrame())
    finally:
        if own:
            http.close()
    head = first.head(PREVIEW_ROWS)
    fields = sorted(head.columns)
    return Sample(fields=fields, guess=guess_mapping(fields, sample=head), head=head)


def mapped_preview(
    connection: Connection, head: pl.DataFrame, mapping: dict[str, str]
) -> list[dict[str, Any]]:
    """The first rows as a sale's fields with ``mapping``; a mapping that leaves a required
    field with nowhere to come from raises ``ConnectorError("schema")``."""
    frame, _ids = frame_of(connection, head, mapping)
    return frame.select(PREVIEW_FIELDS).to_dicts()


def webhook_rows(connection: Connection, run: SyncRun) -> list[Row]:
    """The records of the webhook events this run stores, flattened as the generic connector
    flattens JSON; ``external_id`` from the connection's id field when absent."""
    id_field = str(connection.config.get("id_field") or "id")
    out: list[Row] = []
    for records in (
        WebhookEvent.objects.for_workspace(connection.workspace_id)
        .filter(run=run)
        .order_by("received_at", "pk")
        .values_list("rows", flat=True)
    ):
        for record in records:
            row = flatten(record) if isinstance(record, dict) else {}
            if not row.get("external_id") and row.get(id_field):
                row["external_id"] = row[id_field]
            out.append(row)
    return out


# --------------------------------------------------------------------------- storing


def stored_keys(connection: Connection) -> pl.DataFrame:
    """``external_id`` and ``row_hash`` of every sale of this source, in one statement: what a
    full reconciliation compares the records it read with.

    On PostgreSQL the pairs come as a few binary arrays (one per 65,536 ids of the table), not
    a row each: ``COPY … TO`` hands every row to the client as a message of its own, read in
    Python, the largest cost of reconciling unchanged records after reading them."""
    schema = {"external_id": pl.String, "row_hash": pl.Int64}
    where = "FROM sales_sale WHERE workspace_id = %s AND source = %s"
    params: list[Any] = [connection.workspace_id, connection.source]
    with db.cursor() as c:
        if db.vendor == "postgresql":
            import psycopg

            # Binary results need a server-side binding cursor (Django's binds client-side).
            with psycopg.Cursor(c.cursor.connection) as raw:
                raw.execute(
                    f"SELECT array_agg(external_id), array_agg(row_hash) {where} GROUP BY id >> 16",
                    params,
                    binary=True,
                )
                parts = [
                    pl.DataFrame(
                        [
                            pl.Series("external_id", ids, pl.String),
                            pl.Series("row_hash", hashes, pl.Int64),
                        ]
                    )
                    for ids, hashes in raw.fetchall()
                ]
            return pl.concat(parts) if parts else pl.DataFrame(schema=schema)
        c.execute(f"SELECT external_id, row_hash {where}", params)
        return pl.DataFrame(c.fetchall(), schema=schema, orient="row")


def gone_ids(known: pl.DataFrame, scope: pl.Series) -> pl.Series:
    """The stored ids no longer in scope: one anti-join."""
    return (
        known.select("external_id")
        .join(scope.to_frame("external_id"), on="external_id", how="anti")
        .get_column("external_id")
    )


def reconcile(connection: Connection, gone: pl.Series, actor: Membership | None) -> int:
    """Delete the sales of this source whose id is ``gone`` (no longer in scope), audited and
    out of the cube, through ``delete_sales``: the ids staged at once in a temporary table
    (``COPY`` on PostgreSQL), their sales found by one probe of the unique index each (a
    source just loaded has no statistics yet, and a plain join then hashed all its sales for
    every statement of the deletion). Inside the sync's transaction."""
    if gone.len() == 0:
        return 0
    params: list[Any] = [connection.workspace_id, connection.source]
    with db.cursor() as c:
        for table in ("sources_gone", "sources_doomed"):
            c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute("CREATE TEMPORARY TABLE sources_gone (external_id varchar(100) PRIMARY KEY)")
        if db.vendor == "postgresql":
            body = gone.to_frame().write_csv(include_header=False, quote_style="always")
            with c.cursor.copy("COPY sources_gone (external_id) FROM STDIN (FORMAT csv)") as copy:
                copy.write(body.encode())
            c.execute(
                "CREATE TEMPORARY TABLE sources_doomed AS SELECT s.id FROM sources_gone g "
                "CROSS JOIN LATERAL (SELECT s.id FROM sales_sale s WHERE s.workspace_id = %s "
                "AND s.source = %s AND s.external_id = g.external_id LIMIT 1) s",
                params,
            )
            c.execute("ANALYZE sources_doomed")
        else:
            c.cursor.executemany(
                "INSERT INTO sources_gone (external_id) VALUES (?)", ((i,) for i in gone)
            )
            c.execute(
                "CREATE TEMPORARY TABLE sources_doomed AS SELECT id FROM sales_sale "
                "WHERE workspace_id = %s AND source = %s "
                "AND external_id IN (SELECT external_id FROM sources_gone)",
                params,
            )
    try:
        # By id only: the source's sales are in sources_doomed already, and a filter on the
        # source sends the planner, on stale statistics, through all of them again.
        doomed = Sale.objects.for_workspace(connection.workspace_id).filter(
            pk__in=RawSQL("SELECT id FROM sources_doomed", [])
        )
        return delete_sales(workspace=connection.workspace, actor=actor, sales=doomed)
    finally:
        with db.cursor() as c:
            for table in ("sources_gone", "sources_doomed"):
                c.execute(f"DROP TABLE IF EXISTS {table}")


def _located(job: ImportJob, line_ids: pl.Series) -> list[dict[str, Any]]:
    out = []
    for error in job.errors[: SyncRun.MAX_KEPT_ERRORS]:
        line = error.get("line")
        record = line_ids[line - 1] if isinstance(line, int) and 0 < line <= len(line_ids) else None
        out.append(
            {
                "record_id": record,
                "field": error.get("column"),
                "code": error.get("code"),
                "message": str(row_message(error.get("code") or "")),
                "value": error.get("value") or error.get("detail"),
            }
        )
    return out


def _preview(connection: Connection, frame: pl.DataFrame) -> list[dict[str, Any]]:
    head = frame.head(PREVIEW_ROWS)
    ids = [i for i in head.get_column("external_id").to_list() if i]
    known = set(
        Sale.objects.for_workspace(connection.workspace_id)
        .filter(source=connection.source, external_id__in=ids)
        .values_list("external_id", flat=True)
    )
    rows = []
    for record in head.select(PREVIEW_FIELDS).to_dicts():
        record["state"] = "existing" if record["external_id"] in known else "new"
        rows.append(record)
    return rows


def store(run: SyncRun, connection: Connection, got: Read, started: datetime) -> None:
    """Step 2 (and the dry run's 2, rolled back). Raises ``SyncFailed``; on success the run's
    counts are set and saved inside the transaction."""
    dry = run.mode == SyncMode.DRY_RUN
    try:
        with transaction.atomic():
            locked = Connection.objects.select_for_update().filter(pk=connection.pk).first()
            if locked is None:
                raise SyncFailed("deleted", MESSAGES["deleted"]())
            job = ImportJob.objects.create(
                workspace_id=connection.workspace_id,
                created_by=run.created_by,
                kind="sync",
                source=connection.source,
                status=ImportStatus.QUEUED,
                mapping={name: name for name in FIELDS},
                date_order=connection.date_order,
                amount_style=connection.amount_style,
            )
            if dry:
                run.preview = _preview(connection, got.frame)
            empty = pl.DataFrame(schema=ERROR_SCHEMA)
            # A full reconciliation compares what it read with what is stored: one read of
            # the stored (id, hash) pairs; only the rows that differ are staged.
            known = stored_keys(connection) if got.scope is not None else None
            if got.frame.height:
                # In chunks as a file is read: formats decided on the first chunk are kept for
                # the next ones instead of parsing every amount of the read twice.
                total = -(-got.frame.height // CHUNK_ROWS)
                chunks = (
                    (part, empty, done, total)
                    for done, part in enumerate(got.frame.iter_slices(CHUNK_ROWS), start=1)
                )
                job = run_import(job_id=job.pk, frames=chunks, known=known)
            else:
                job.status = ImportStatus.DONE
                job.save(update_fields=["status"])
            if job.status != ImportStatus.DONE:
                errors = _located(job, got.line_ids)
                if job.message_code == "cancelled":
                    raise SyncFailed("deleted", MESSAGES["deleted"]())
                message = MESSAGES["has_errors"]() if errors else job.message
                raise SyncFailed(job.message_code or "has_errors", message, errors, job.error_count)
            run.import_job = None if dry else job
            run.rows_read = got.frame.height
            run.new_count = job.created_count
            run.changed_count = job.updated_count
            run.unchanged_count = job.unchanged_count
            if got.scope is not None and known is not None:
                gone = gone_ids(known, got.scope)
                run.deleted_count = reconcile(connection, gone, run.created_by)
            if dry:
                raise _RollBack
            changes: dict[str, Any] = {"updated_at": timezone.now()}
            if run.mode in (SyncMode.INCREMENTAL, SyncMode.FULL):
                changes["cursor"] = started
            if run.mode == SyncMode.FULL:
                changes["last_full_at"] = started
            Connection.objects.filter(pk=connection.pk).update(**changes)
            _finish(run, SyncStatus.DONE)
    except _RollBack:
        _finish(run, SyncStatus.DONE)


# --------------------------------------------------------------------------- running


def _finish(run: SyncRun, status: str, code: str = "", message: str = "") -> None:
    if run.connection_id and not Connection.objects.filter(pk=run.connection_id).exists():
        run.connection = None  # deleted meanwhile (SET NULL happened under our feet)
    run.status = status
    run.message_code = code[:40]
    run.message = message
    run.finished_at = timezone.now()
    run.save()


def language_of(run: SyncRun) -> str:
    creator = run.created_by.user.language if run.created_by else ""
    return creator or run.workspace.language or settings.LANGUAGE_CODE


def run_sync(run_id: int, *, http: Http | None = None) -> SyncRun:
    """Run a queued sync to its end (idempotent: a finished run is left as it is; a run taken
    up again after a lost worker starts over, as nothing of it was committed)."""
    run = SyncRun.objects.select_related("workspace", "created_by__user", "connection").get(
        pk=run_id
    )
    if run.is_finished:
        return run
    with translation.override(language_of(run)):
        connection = run.connection
        if connection is None:
            _finish(run, SyncStatus.FAILED, "deleted", MESSAGES["deleted"]())
        else:
            _run(run, connection, http)
    from pacte.sources.alerts import after_sync

    after_sync(run)
    events.sync_finished(
        Connection.objects.filter(pk=run.connection_id).first() if run.connection_id else None,
        run,
    )
    return run


def _run(run: SyncRun, connection: Connection, http: Http | None) -> None:
    started = timezone.now()
    run.status = SyncStatus.RUNNING
    run.started_at = started
    if run.mode in (SyncMode.INCREMENTAL, SyncMode.DRY_RUN) and connection.cursor:
        run.since = connection.cursor - OVERLAP
    else:
        run.since = None
    run.errors, run.error_count, run.preview = [], 0, []
    run.save()
    own_http = http is None
    http = http or Http()
    try:
        connector = build_connector(connection, http)
        got = read(connector, connection, run)
        store(run, connection, got, started)
        refreshed = connector.secrets_to_store()
        if refreshed and run.mode != SyncMode.DRY_RUN:
            merged = {**read_secrets(connection), **refreshed}
            Connection.objects.filter(pk=connection.pk).update(secrets=seal_secrets(merged))
    except ConnectorError as exc:
        run.errors = [
            {
                "record_id": exc.record_id,
                "field": exc.field,
                "code": exc.code,
                "message": exc.message,
                "value": None,
            }
        ]
        run.error_count = 1
        _finish(run, SyncStatus.FAILED, exc.code, exc.message)
    except SyncFailed as exc:
        run.errors = exc.errors
        run.error_count = exc.count
        _finish(run, SyncStatus.FAILED, exc.code, exc.message)
    finally:
        if own_http:
            http.close()
    logger.info(
        "Sync %s of %s (%s): %s, %s new, %s changed, %s deleted",
        run.uuid,
        connection.uuid,
        run.mode,
        run.status,
        run.new_count,
        run.changed_count,
        run.deleted_count,
    )
