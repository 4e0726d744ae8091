"""Sales workflows: channels, imports (files, API batches), deletions, crediting rules, the cube.

Every write to sales or credits updates the cube in the same transaction (set-based deltas,
``pacte.sales.ingest.apply_cube``). Rule changes and sale updates leave audit events.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pacte import storage, uploads
from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record, record_many, snapshot
from pacte.errors import DomainError, StaleVersion
from pacte.insights.tasks import warm_overview
from pacte.jobs.queue import withdraw
from pacte.lib import tabular
from pacte.org.selectors import root_unit
from pacte.sales import ingest
from pacte.sales.mapping import check as check_mapping
from pacte.sales.mapping import read_head, stored_head_bytes
from pacte.sales.models import (
    Channel,
    CreditRule,
    CubeCell,
    ImportJob,
    ImportStatus,
    MappingProfile,
    Sale,
)
from pacte.sales.reasons import FILE_REASONS, file_message, row_message

#: Rows read at once from a file (at most: a chunk never spans two of the blocks the file is
#: scanned in, ``tabular._BLOCK_BYTES``): the sample that decides ambiguous date and number
#: formats. With PREPARE_ROWS and the scan's block, what sets an import's peak memory besides
#: the duplicate-id hashes (1M rows, 16 MB blocks: 200k/50k 350 MB, 100k/50k 330 MB, 100k/25k
#: 320 MB, same time ±5%; 4 MB blocks, 100k/25k: 244 MB).
CHUNK_ROWS = 100_000
#: Rows validated and staged at once (a slice of a chunk).
PREPARE_ROWS = 25_000


# --------------------------------------------------------------------------- channels

CHANNEL_FIELDS = ("code", "name_en", "name_fr", "position", "is_active")


@transaction.atomic
def create_channel(
    *,
    workspace: Workspace,
    actor: Membership | None,
    code: str,
    name_en: str,
    name_fr: str,
    position: int = 0,
) -> Channel:
    code = code.strip().lower()
    if not code or not name_en.strip() or not name_fr.strip():
        raise DomainError(_("A channel needs a code and a name in each language."), code="required")
    if Channel.objects.filter(workspace=workspace, code=code).exists():
        raise DomainError(
            _("A channel with the code “%(code)s” already exists.") % {"code": code},
            code="duplicate_code",
            field="code",
        )
    channel = Channel.objects.create(
        workspace=workspace,
        code=code,
        name_en=name_en.strip(),
        name_fr=name_fr.strip(),
        position=position,
    )
    record(
        workspace=workspace,
        actor=actor,
        action="channel.created",
        obj=channel,
        after=snapshot(channel, CHANNEL_FIELDS),
    )
    return channel


@transaction.atomic
def update_channel(
    *,
    channel: Channel,
    actor: Membership | None,
    name_en: str | None = None,
    name_fr: str | None = None,
    position: int | None = None,
    is_active: bool | None = None,
) -> Channel:
    """Rename or (de)activate a channel; its code stays (files and sales refer to it)."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    before = snapshot(channel, CHANNEL_FIELDS)
    for name, value in (
        ("name_en", name_en),
        ("name_fr", name_fr),
        ("position", position),
        ("is_active", is_active),
    ):
        if value is not None:
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    raise DomainError(_("A channel needs a name."), code="required", field=name)
            setattr(channel, name, value)
    after = snapshot(channel, CHANNEL_FIELDS)
    if after != before:
        channel.save()
        record(
            workspace=channel.workspace,
            actor=actor,
            action="channel.updated",
            obj=channel,
            before=before,
            after=after,
        )
    return channel


# --------------------------------------------------------------------------- imports


def read_columns(path: str) -> list[str]:
    """The header of a CSV or XLSX file (raises ``DomainError`` with the file problem)."""
    try:
        return tabular.read_header(path, max_columns=settings.PACTE_MAX_IMPORT_COLUMNS)
    except tabular.TabularError as exc:
        raise DomainError(file_message(exc.code, exc.message), code=exc.code, field="file") from exc
    except Exception as exc:  # a corrupt spreadsheet
        raise DomainError(file_message("bad_xlsx"), code="bad_xlsx", field="file") from exc


@transaction.atomic
def start_file_import(
    *, workspace: Workspace, actor: Membership | None, upload: Any, source: str = "default"
) -> ImportJob:
    """Check an uploaded file's size and header, keep it in the imports storage (any worker
    reads it from there), and create its job, which then waits for its mapping. A refused
    file leaves neither a stored file nor a job."""
    uploads.check_size(upload)
    source = (source or "default").strip()[:60] or "default"
    job = ImportJob(workspace=workspace, created_by=actor, source=source)
    name = Path(upload.name or "upload").name[:300]
    with uploads.local_path(upload) as path:
        job.columns = read_columns(path)
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    stored = storage.save(f"{workspace.uuid}/{job.uuid}{suffix}", upload)
    job.file_name = name
    job.file_path = stored
    try:
        job.save()
    except BaseException:
        storage.delete(stored)
        raise
    return job


@transaction.atomic
def configure_import(
    *,
    job: ImportJob,
    actor: Membership | None,
    mapping: dict[str, str],
    date_order: str = "auto",
    amount_style: str = "auto",
    profile_name: str = "",
    enqueue: bool = True,
    confirm_unused: bool = False,
) -> ImportJob:
    """Check a mapping against the file (and the first chunk's formats), save it as a profile,
    and queue the import. Raises ``DomainError`` with ``code`` ``ambiguous_dates`` /
    ``ambiguous_amounts`` when the user must choose a format, and ``split_unmapped`` /
    ``shares_unmapped`` (``details``: the messages) when a column that looks like split
    credits is left out, unless ``confirm_unused``."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status not in (ImportStatus.MAPPING, ImportStatus.FAILED):
        raise DomainError(_("This import has already started."), code="already_started")
    mapping = {k: v for k, v in mapping.items() if k in ingest.FIELDS and v}
    problems = tabular.check_columns(job.columns, mapping, required=ingest.REQUIRED)
    if problems:
        missing = [p.column for p in problems]
        raise DomainError(
            _("Choose a column of the file for: %(fields)s.")
            % {"fields": ", ".join(str(m) for m in missing)},
            code=problems[0].code,
            field="mapping",
        )
    if not confirm_unused:
        warnings = check_mapping(read_head(job.file_path), mapping)
        if warnings:
            raise DomainError(
                warnings[0].message,
                code=warnings[0].code,
                field="confirm_unused",
                details=[w.message for w in warnings],
            )
    # The first chunk is read from the file's first block: a CSV in an object store need not be
    # fetched whole for it (an XLSX must: its directory is at its end).
    with storage.local_copy(job.file_path, head_lines_of=stored_head_bytes(job.file_path)) as path:
        _check_formats(path, mapping, date_order, amount_style)
    job.mapping = mapping
    job.date_order = date_order
    job.amount_style = amount_style
    job.status = ImportStatus.QUEUED
    job.message = ""
    job.message_code = ""
    job.save()
    if profile_name.strip():
        MappingProfile.objects.update_or_create(
            workspace=job.workspace,
            name=profile_name.strip()[:100],
            defaults={
                "mapping": mapping,
                "date_order": date_order,
                "amount_style": amount_style,
                "source": job.source,
                "updated_at": timezone.now(),
            },
        )
    if enqueue:
        from pacte.sales.tasks import run_import_task

        job_id = job.pk
        transaction.on_commit(lambda: run_import_task.enqueue(job_id))
    return job


def _check_formats(path: str, mapping: dict[str, str], date_order: str, amount_style: str) -> None:
    """Read the first chunk to ask the user now when dates or amounts are ambiguous."""
    try:
        chunk = next(
            iter(
                tabular.iter_chunks(
                    path, chunk_rows=CHUNK_ROWS, max_columns=settings.PACTE_MAX_IMPORT_COLUMNS
                )
            )
        )
    except (tabular.TabularError, StopIteration):
        return  # the job reports file problems with their line
    frame = tabular.select_mapped(chunk.frame, mapping)
    try:
        if date_order == "auto":
            tabular.parse_dates(frame.get_column("date"))
        if amount_style == "auto":
            tabular.parse_amounts(frame.get_column("amount"))
    except tabular.AmbiguousDates as exc:
        raise DomainError(
            file_message("ambiguous_dates"),
            code="ambiguous_dates",
            field="date_order",
            details=list(exc.examples),
        ) from exc
    except tabular.AmbiguousAmounts as exc:
        raise DomainError(
            file_message("ambiguous_amounts"),
            code="ambiguous_amounts",
            field="amount_style",
            details=list(exc.examples),
        ) from exc


def request_cancel(*, job: ImportJob) -> ImportJob:
    """Ask an import to stop: a queued one never runs (its job leaves the queue); a running one
    stops at its next chunk, or before storing, and writes nothing. An import that finished in
    the meantime is left as it is."""
    from pacte.sales.tasks import run_import_task

    unfinished = (
        ImportStatus.MAPPING,
        ImportStatus.QUEUED,
        ImportStatus.RUNNING,
        ImportStatus.STORING,
    )
    ImportJob.objects.filter(pk=job.pk, status__in=unfinished).update(cancel_requested=True)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in (ImportStatus.MAPPING, ImportStatus.QUEUED):
            job.status = ImportStatus.CANCELLED
            job.message_code = "cancelled"
            job.message = file_message("cancelled")
            job.finished_at = timezone.now()
            job.save()
            withdraw(run_import_task, job.pk)
    return job


def fail_import(*, job_id: int, code: str) -> None:
    """End an import that cannot finish (its job failed for good) as failed, with the message
    of ``code`` in the language of who started it. Nothing was written: an import is one
    transaction. A finished or deleted job is left alone."""
    job = (
        ImportJob.objects.select_related("workspace", "created_by__user").filter(pk=job_id).first()
    )
    if job is None or job.is_finished:
        return
    creator = job.created_by.user.language if job.created_by else ""
    with translation.override(creator or job.workspace.language or settings.LANGUAGE_CODE):
        _finish(job, ImportStatus.FAILED, code)


class Cancelled(Exception):
    pass


@dataclass
class _Run:
    job: ImportJob
    kept: list[dict[str, Any]]
    error_count: int = 0
    rows_read: int = 0


def run_import(
    *,
    job_id: int,
    frames: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ImportJob:
    """Run an import job to its end: everything written in ONE transaction, or the errors
    stored and nothing written. Safe to run again (idempotent).

    Two ways to store, same validation: a source that has no sale in the workspace yet takes
    the direct path on PostgreSQL (``ingest.Direct``: every slice is copied into the real
    tables inside one transaction that spans the import, so an error, a cancel or a killed
    process rolls it all back); otherwise the rows are staged chunk by chunk and merged in one
    transaction at the end (``ingest.Stage``: new, changed and unchanged rows).

    ``frames`` overrides the job's file (API batches, samples): (frame of target fields with
    ``LINE``, structural errors, progress done, progress total) per chunk. It must not use the
    database while it is iterated: on the direct path a writer thread owns the connection."""
    job = ImportJob.objects.select_related("workspace", "created_by__user").get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
        return job
    # A background task has no request: its messages are written in the language of who
    # started the import (as the page they watch), else the workspace's.
    creator = job.created_by.user.language if job.created_by else ""
    with translation.override(creator or job.workspace.language or settings.LANGUAGE_CODE):
        return _run_import(job, frames, chunk_rows)


def _run_import(
    job: ImportJob,
    frames: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]] | None,
    chunk_rows: int,
) -> ImportJob:
    if job.cancel_requested:
        return _finish(job, ImportStatus.CANCELLED, "cancelled")
    job.status = ImportStatus.RUNNING
    job.started_at = timezone.now()
    job.progress = 0
    job.errors, job.error_count, job.rows_read = [], 0, 0
    job.message, job.message_code = "", ""
    job.save()
    run = _Run(job=job, kept=[])
    try:
        ctx = ingest.load_context(job.workspace)
        with contextlib.ExitStack() as files:
            source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]]
            if frames is None:
                path = files.enter_context(storage.local_copy(job.file_path))
                source = ingest.frames_from_file(
                    path,
                    job.mapping,
                    chunk_rows=chunk_rows,
                    max_columns=settings.PACTE_MAX_IMPORT_COLUMNS,
                )
            else:
                source = frames
            if connection.vendor == "postgresql":
                done = _run_direct(run, ctx, source)
                if done is not None:
                    return done
            return _run_staged(run, ctx, source)
    except storage.StorageError as exc:
        return _finish(job, ImportStatus.FAILED, exc.code)
    except Cancelled:
        return _finish(job, ImportStatus.CANCELLED, "cancelled")
    except _HasErrors:
        return _failed(run)
    except tabular.Ambiguous as exc:
        code = "ambiguous_dates" if isinstance(exc, tabular.AmbiguousDates) else "ambiguous_amounts"
        return _finish(job, ImportStatus.FAILED, code, detail=", ".join(exc.examples))
    except tabular.TabularError as exc:
        job.errors = [
            {
                "line": exc.line,
                "column": str(exc.column) if exc.column is not None else None,
                "code": exc.code,
                "detail": exc.message,
            }
        ]
        job.error_count = 1
        return _finish(job, ImportStatus.FAILED, exc.code, detail=exc.message, line=exc.line)


class _HasErrors(Exception):
    """Rows were refused: roll back whatever the direct path wrote, keep the errors."""


def _validate(
    run: _Run,
    ctx: ingest.Context,
    source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]],
    store: Callable[[ingest.Prepared], None],
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> None:
    """Parse and validate every chunk, hand each valid slice to ``store`` while the file has
    no error so far, and count and keep the errors in ``run``."""
    job = run.job
    state = ingest.State(date_order=job.date_order, amount_style=job.amount_style)
    for frame, structural, done, total in source:
        # Formats are decided on the whole chunk (CHUNK_ROWS rows, as the mapping page
        # asks), then it is validated and stored in slices of PREPARE_ROWS: the
        # intermediate frames of ``prepare`` are what sets the peak memory.
        restore = _decide_formats(ctx, frame, state)
        found = [structural]
        for part in frame.iter_slices(PREPARE_ROWS):
            prepared = ingest.prepare(ctx, part, state)
            found.append(prepared.errors)
            if run.error_count == 0 and all(e.height == 0 for e in found):
                store(prepared)
            del prepared
        if restore:
            state.amount_style = "auto"
        errors = pl.concat(found).sort("line")
        _keep_errors(run, errors)
        run.rows_read += frame.height + structural.height
        del frame, found, errors
        progress(int(90 * done / total) if total else 90)
        if cancelled():
            raise Cancelled


def _run_staged(
    run: _Run, ctx: ingest.Context, source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]]
) -> ImportJob:
    """Stage every valid slice in temporary tables (outside any transaction, so progress is
    visible), then merge them in one transaction."""
    job = run.job
    stage = ingest.Stage()
    try:

        def progress(value: int) -> None:
            ImportJob.objects.filter(pk=job.pk).update(
                progress=value, rows_read=run.rows_read, error_count=run.error_count
            )

        def cancelled() -> bool:
            return ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists()

        _validate(run, ctx, source, stage.add, progress, cancelled)
        if run.error_count:
            return _failed(run)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.STORING, progress=90)
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.cancel_requested:
                raise Cancelled
            with connection.cursor() as c:
                ingest.lock_source(c, job.workspace_id, job.source)
            result = stage.merge(workspace_id=job.workspace_id, source=job.source, job_id=job.pk)
            return _done(run, result)
    finally:
        stage.drop()


def _run_direct(
    run: _Run, ctx: ingest.Context, source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]]
) -> ImportJob | None:
    """The direct path (PostgreSQL, a source with no sale yet), or None when it does not apply.

    The whole import is one transaction; progress goes through a second connection so the
    page sees it, never waiting on a lock (an outer transaction holding the job row, as in
    tests, only makes it invisible)."""
    job = run.job
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:

        def progress(value: int) -> None:
            with side.cursor() as c:
                c.execute(
                    "UPDATE sales_importjob SET progress = %s, rows_read = %s, error_count = %s "
                    "WHERE id = (SELECT id FROM sales_importjob WHERE id = %s "
                    "FOR UPDATE SKIP LOCKED)",
                    [value, run.rows_read, run.error_count, job.pk],
                )

        def cancelled() -> bool:
            with side.cursor() as c:
                c.execute("SELECT cancel_requested FROM sales_importjob WHERE id = %s", [job.pk])
                row = c.fetchone()
            return bool(row and row[0])

        with transaction.atomic():
            with connection.cursor() as c:
                ingest.lock_source(c, job.workspace_id, job.source)
            if not ingest.Direct.applies(job.workspace_id, job.source):
                return None
            writer = ingest.Direct(
                workspace_id=job.workspace_id, source=job.source, job_id=job.pk, draw=side
            )
            writer.start()  # from here until close, the writer thread owns this connection
            try:
                _validate(run, ctx, source, writer.add, progress, cancelled)
            except BaseException:
                writer.close(quiet=True)
                raise
            writer.close()
            if run.error_count:
                raise _HasErrors
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.cancel_requested:
                raise Cancelled
            return _done(run, writer.finish())
    finally:
        side.close()


def _failed(run: _Run) -> ImportJob:
    job = run.job
    job.errors = run.kept
    job.error_count = run.error_count
    job.rows_read = run.rows_read
    return _finish(job, ImportStatus.FAILED, "has_errors")


def _done(run: _Run, result: dict[str, Any]) -> ImportJob:
    """Audit events of changed sales and the job's summary (inside the storing transaction)."""
    job = run.job
    if result["changes"]:
        record_many(
            {
                "workspace": job.workspace,
                "actor": job.created_by,
                "action": "sale.updated",
                "object_type": "sale",
                "object_id": change["uuid"],
                "object_repr": change["external_id"],
                "before": change["before"],
                "after": change["after"],
            }
            for change in result["changes"]
        )
    job.created_count = result["created"]
    job.updated_count = result["updated"]
    job.unchanged_count = result["unchanged"]
    job.rows_read = run.rows_read
    _finish(job, ImportStatus.DONE, "")
    transaction.on_commit(lambda: warm_overview.enqueue(job.workspace_id))
    return job


def _decide_formats(ctx: ingest.Context, frame: pl.DataFrame, state: ingest.State) -> bool:
    """Decide the date order and amount style still ``auto`` on a whole chunk, as ``prepare``
    would on it, before it is validated in slices (raises ``tabular.Ambiguous`` likewise).

    Returns True when the amount style is only fixed for this chunk ("en" when every value
    reads the same either way, as ``tabular.parse_amounts`` reads them): the caller puts
    ``auto`` back afterwards so the next chunk decides again, as before."""
    if frame.height <= PREPARE_ROWS:
        return False
    restore = False
    if state.amount_style == "auto" and "amount" in frame.columns:
        amounts = tabular.parse_amounts(
            ingest.text_column(frame, "amount"), exponent=ctx.exponent, style="auto"
        )
        state.amount_style = amounts.style or "en"
        restore = amounts.style is None
    if state.date_order == "auto" and "date" in frame.columns:
        order = tabular.parse_dates(ingest.text_column(frame, "date"), order="auto").order
        if order in ("dmy", "mdy"):
            state.date_order = order
    return restore


def _keep_errors(run: _Run, errors: pl.DataFrame) -> None:
    run.error_count += errors.height
    room = ImportJob.MAX_KEPT_ERRORS - len(run.kept)
    if room > 0 and errors.height:
        run.kept.extend(errors.head(room).to_dicts())


def _finish(
    job: ImportJob, status: str, code: str, *, detail: str = "", line: int | None = None
) -> ImportJob:
    job.status = status
    job.message_code = code
    message = file_message(code, detail) if code else ""
    if line is not None:
        message = _("Line %(line)s: %(message)s") % {"line": line, "message": message}
    job.message = message
    job.progress = 100 if status == ImportStatus.DONE else job.progress
    job.finished_at = timezone.now()
    job.cancel_requested = False
    job.save()
    return job


def parse_records(body: bytes) -> list[tuple[int, dict[str, Any]]]:
    """A JSON array of objects (line = position, from 1) or JSON lines (line = file line).

    Numbers are kept as their text (``parse_float=str``): amounts never become floats."""
    text = body.decode("utf-8-sig", errors="strict").strip()
    if not text:
        raise DomainError(file_message("empty_file"), code="empty_file")
    try:
        if text.startswith("["):
            data = json.loads(text, parse_float=str)
            records = list(enumerate(data, start=1))
        else:
            records = [
                (n, json.loads(line, parse_float=str))
                for n, line in enumerate(text.splitlines(), start=1)
                if line.strip()
            ]
    except ValueError as exc:
        raise DomainError(file_message("bad_json"), code="bad_json", details=str(exc)) from exc
    if not records or not all(isinstance(obj, dict) for _, obj in records):
        raise DomainError(file_message("bad_json"), code="bad_json")
    return records


def ingest_records(
    *,
    workspace: Workspace,
    actor: Membership | None,
    records: list[tuple[int, dict[str, Any]]],
    source: str = "api",
    kind: str = "api",
) -> ImportJob:
    """Import (line, object) records synchronously through the same validation and storage."""
    job = ImportJob.objects.create(
        workspace=workspace,
        created_by=actor,
        kind=kind,
        source=(source or "api")[:60],
        status=ImportStatus.QUEUED,
        mapping={name: name for name in ingest.FIELDS},
    )
    frame, unexpected = ingest.frame_from_records(records)
    return run_import(job_id=job.pk, frames=[(frame, unexpected, 1, 1)])


def ingest_frame(
    *,
    workspace: Workspace,
    actor: Membership | None,
    frames: Iterator[pl.DataFrame] | list[pl.DataFrame],
    source: str,
    kind: str,
) -> ImportJob:
    """Import frames of target fields (strings, with ``LINE``): samples and the demo."""
    job = ImportJob.objects.create(
        workspace=workspace,
        created_by=actor,
        kind=kind,
        source=source,
        status=ImportStatus.QUEUED,
        mapping={name: name for name in ingest.FIELDS},
        date_order="iso",
        amount_style="en",
    )
    empty = pl.DataFrame(schema=tabular.ERROR_SCHEMA)
    return run_import(job_id=job.pk, frames=((f, empty, 1, 1) for f in frames))


def job_message(job: ImportJob) -> str:
    """The job's message in the active language, rebuilt from its code (the task that wrote
    ``job.message`` ran in its creator's language, which may not be the reader's)."""
    code = job.message_code
    if not code or code not in FILE_REASONS:
        return job.message
    text = file_message(code)
    first = job.errors[0] if job.errors else None
    if job.error_count == 1 and first and first.get("code") == code and first.get("line"):
        text = _("Line %(line)s: %(message)s") % {"line": first["line"], "message": text}
    return text


def error_rows(job: ImportJob) -> list[dict[str, Any]]:
    """The kept errors of a job with their translated reason."""
    return [{**e, "message": row_message(e["code"])} for e in job.errors]


# --------------------------------------------------------------------------- deletion


@transaction.atomic
def delete_sales(*, workspace: Workspace, actor: Membership | None, sales: QuerySet[Sale]) -> int:
    """Delete sales (and their credits), taking them out of the cube; one audit event each."""
    sales = sales.filter(workspace=workspace)
    ids_sql, params = sales.values("pk").query.sql_with_params()
    doomed = list(sales.values_list("uuid", "external_id", "amount", "date"))
    if not doomed:
        return 0
    with connection.cursor() as c:
        ingest.apply_cube(c, workspace.pk, -1, f"c.sale_id IN ({ids_sql})", params)
        c.execute(f"DELETE FROM sales_credit WHERE sale_id IN ({ids_sql})", params)  # noqa: S608
        ingest.drop_empty_cells(c, workspace.pk)
    Sale.objects.filter(pk__in=[*sales.values_list("pk", flat=True)]).delete()
    record_many(
        {
            "workspace": workspace,
            "actor": actor,
            "action": "sale.deleted",
            "object_type": "sale",
            "object_id": str(u),
            "object_repr": ext,
            "before": {"amount": amount, "date": date},
        }
        for u, ext, amount, date in doomed
    )
    return len(doomed)


# --------------------------------------------------------------------------- rules

RULE_FIELDS = ("channel", "territory", "kind", "target", "owner", "priority", "is_active")


def _check_rule(workspace: Workspace, rule: CreditRule) -> None:
    if rule.channel is not None and rule.channel.workspace_id != workspace.pk:
        raise DomainError(
            _("This channel is not in the workspace."), code="not_found", field="channel"
        )
    if rule.target == "owner":
        if rule.owner is None:
            raise DomainError(_("Choose who gets the credit."), code="required", field="owner")
        if rule.owner.workspace_id != workspace.pk:
            raise DomainError(
                _("This person is not in the workspace."), code="not_found", field="owner"
            )
    else:
        rule.owner = None
    if rule.channel is None and not rule.territory.strip():
        raise DomainError(
            _("A rule applies to a channel, a territory or both: choose at least one."),
            code="required",
            field="channel",
        )


@transaction.atomic
def create_rule(*, workspace: Workspace, actor: Membership | None, **fields: Any) -> CreditRule:
    rule = CreditRule(workspace=workspace, **fields)
    rule.territory = rule.territory.strip()
    _check_rule(workspace, rule)
    rule.save()
    record(
        workspace=workspace,
        actor=actor,
        action="creditrule.created",
        obj=rule,
        after=snapshot(rule, RULE_FIELDS),
    )
    recredit(workspace=workspace, scopes=[(rule.channel_id, rule.territory)])
    return rule


@transaction.atomic
def update_rule(
    *, rule: CreditRule, actor: Membership | None, version: int | None, **fields: Any
) -> CreditRule:
    rule = CreditRule.objects.select_for_update().select_related("workspace").get(pk=rule.pk)
    if version is not None and version != rule.version:
        raise StaleVersion(
            _("This rule was changed by someone else since you opened it. Reload and try again.")
        )
    before = snapshot(rule, RULE_FIELDS)
    old_scope = (rule.channel_id, rule.territory)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.territory = rule.territory.strip()
    _check_rule(rule.workspace, rule)
    after = snapshot(rule, RULE_FIELDS)
    if after == before:
        return rule
    rule.version += 1
    rule.save()
    record(
        workspace=rule.workspace,
        actor=actor,
        action="creditrule.updated",
        obj=rule,
        before=before,
        after=after,
    )
    recredit(workspace=rule.workspace, scopes=[old_scope, (rule.channel_id, rule.territory)])
    return rule


@transaction.atomic
def delete_rule(*, rule: CreditRule, actor: Membership | None, version: int | None = None) -> None:
    rule = CreditRule.objects.select_for_update().select_related("workspace").get(pk=rule.pk)
    if version is not None and version != rule.version:
        raise StaleVersion(
            _("This rule was changed by someone else since you opened it. Reload and try again.")
        )
    workspace = rule.workspace
    old_scope = (rule.channel_id, rule.territory)
    record(
        workspace=workspace,
        actor=actor,
        action="creditrule.deleted",
        obj=rule,
        before=snapshot(rule, RULE_FIELDS),
    )
    rule.delete()
    recredit(workspace=workspace, scopes=[old_scope])


@transaction.atomic
def recredit(
    *, workspace: Workspace, scopes: Iterable[tuple[int | None, str]] | None = None
) -> int:
    """Recompute the rule-given credits of the sales a rule change can affect, set-based.

    ``scopes`` are the (channel id, territory) of the changed rule before and after the
    change: only the sales matching one of them are re-credited (``None``: every sale). For
    those sales, in one transaction: their rule credits leave the cube, are deleted, are
    recomputed by ONE ``INSERT … SELECT`` (split credit of the sales credited by a rule, the
    overlay credit of every sale: the most specific active rule that names somebody, as
    ``ingest.resolve_rules`` does; the seller's team on the day of the sale, as
    ``ingest.team_of_the_day`` does) and come back into the cube. Refused when a
    rule-credited sale would be left without a seller. Returns the number of credits written.
    """
    rules = ingest.active_rules(workspace)
    with connection.cursor() as c:
        # Territories match case-insensitively exactly as the import does (Polars
        # ``to_lowercase``; SQL ``lower`` differs between databases and locales): each rule
        # territory becomes the list of the workspace's raw territories that match it.
        c.execute(
            "SELECT DISTINCT territory FROM sales_sale WHERE workspace_id = %s AND territory <> ''",
            [workspace.pk],
        )
        raw = pl.Series("raw", [r[0] for r in c.fetchall()], dtype=pl.String)
        lowered = pl.DataFrame({"raw": raw, "t": raw.str.to_lowercase()})

        def spelled(territory: str) -> list[str]:
            key = territory.strip().lower()
            return lowered.filter(pl.col("t") == key).get_column("raw").to_list()

        for table in ("recredit_rule", "recredit_sale", "recredit_new"):
            c.execute(f"DROP TABLE IF EXISTS {table}")
        c.execute(
            "CREATE TEMP TABLE recredit_rule (rank integer, kind varchar(7), channel_id bigint, "
            "territory varchar(100), target varchar(7), owner_id bigint)"
        )
        rule_rows: list[tuple[Any, ...]] = []
        for rank, r in enumerate(rules):
            base = (rank, r["kind"], r["channel_id"])
            tail = (r["target"], r["owner_id"])
            if r["territory"]:
                rule_rows.extend((*base, t, *tail) for t in spelled(r["territory"]))
            else:
                rule_rows.append((*base, None, *tail))
        if rule_rows:
            c.executemany("INSERT INTO recredit_rule VALUES (%s, %s, %s, %s, %s, %s)", rule_rows)

        # The affected sales.
        conditions: list[str] = []
        params: list[Any] = [workspace.pk]
        for channel_id, territory in [] if scopes is None else scopes:
            parts = ["1 = 1"]
            if channel_id:
                parts.append("s.channel_id = %s")
                params.append(channel_id)
            if territory.strip():
                names = spelled(territory)
                parts.append(
                    f"s.territory IN ({', '.join(['%s'] * len(names))})" if names else "1 = 0"
                )
                params.extend(names)
            conditions.append("(" + " AND ".join(parts) + ")")
        where = "" if scopes is None else " AND (" + (" OR ".join(conditions) or "1 = 0") + ")"
        c.execute(
            "CREATE TEMP TABLE recredit_sale AS SELECT s.id AS sale_id, s.date, s.amount, "  # noqa: S608
            "s.channel_id, s.territory, s.customer_id, s.credit_origin "
            f"FROM sales_sale s WHERE s.workspace_id = %s{where}",
            params,
        )
        c.execute("CREATE INDEX recredit_sale_id ON recredit_sale (sale_id)")

        # One owner per sale and kind: the first matching rule (in ``rules`` order) that
        # names somebody; an overlay owner the row already gives an overlay gets nothing more.
        owner = "CASE WHEN r.target = 'account' THEN cu.channel_manager_id ELSE r.owner_id END"
        c.execute(
            "CREATE TEMP TABLE recredit_new AS SELECT x.sale_id, x.kind, x.seller_id FROM "  # noqa: S608
            f"(SELECT a.sale_id, r.kind, {owner} AS seller_id, ROW_NUMBER() OVER "
            "(PARTITION BY a.sale_id, r.kind ORDER BY r.rank) AS n "
            "FROM recredit_sale a JOIN recredit_rule r "
            "ON (r.channel_id IS NULL OR r.channel_id = a.channel_id) "
            "AND (r.territory IS NULL OR r.territory = a.territory) "
            "LEFT JOIN sales_customer cu ON cu.id = a.customer_id "
            f"WHERE (r.kind = 'overlay' OR a.credit_origin = 'rule') AND {owner} IS NOT NULL) x "
            "WHERE x.n = 1 AND NOT (x.kind = 'overlay' AND EXISTS (SELECT 1 FROM sales_credit o "
            "WHERE o.sale_id = x.sale_id AND o.kind = 'overlay' AND o.origin = 'row' "
            "AND o.seller_id = x.seller_id))"
        )
        c.execute(
            "SELECT COUNT(*) FROM recredit_sale a WHERE a.credit_origin = 'rule' AND NOT EXISTS "
            "(SELECT 1 FROM recredit_new n WHERE n.sale_id = a.sale_id AND n.kind = 'split')"
        )
        orphans = c.fetchone()[0]
        if orphans:
            raise DomainError(
                _(
                    "%(count)s sales credited by a rule would be left without a seller: keep a "
                    "rule that covers them."
                )
                % {"count": orphans},
                code="sales_without_credit",
            )

        scoped = "c.origin = 'rule' AND c.sale_id IN (SELECT sale_id FROM recredit_sale)"
        ingest.apply_cube(c, workspace.pk, -1, scoped)
        c.execute(
            "DELETE FROM sales_credit WHERE workspace_id = %s AND origin = 'rule' "
            "AND sale_id IN (SELECT sale_id FROM recredit_sale)",
            [workspace.pk],
        )
        # Team of the day (``ingest.team_of_the_day``): the latest placement starting on or
        # before the sale date, else the seller's first placement, else the company.
        placed = (
            "(SELECT p.unit_id FROM org_placement p WHERE p.workspace_id = %s "
            "AND p.membership_id = n.seller_id {cond} ORDER BY p.valid_from {order} LIMIT 1)"
        )
        c.execute(
            "INSERT INTO sales_credit (workspace_id, sale_id, seller_id, unit_id, kind, "
            "basis_points, amount, origin) SELECT %s, n.sale_id, n.seller_id, COALESCE("
            + placed.format(cond="AND p.valid_from <= a.date", order="DESC")
            + ", "
            + placed.format(cond="", order="ASC")
            + ", %s), n.kind, 10000, a.amount, 'rule' "
            "FROM recredit_new n JOIN recredit_sale a ON a.sale_id = n.sale_id "
            "ORDER BY n.sale_id, n.kind DESC",
            [workspace.pk, workspace.pk, workspace.pk, root_unit(workspace).pk],
        )
        written = c.rowcount
        ingest.apply_cube(c, workspace.pk, 1, scoped)
        ingest.drop_empty_cells(c, workspace.pk)
        for table in ("recredit_rule", "recredit_sale", "recredit_new"):
            c.execute(f"DROP TABLE {table}")
    workspace_id = workspace.pk
    transaction.on_commit(lambda: warm_overview.enqueue(workspace_id))
    return int(written)


# --------------------------------------------------------------------------- the cube


def _month_sql() -> str:
    if connection.vendor == "postgresql":
        return "(EXTRACT(YEAR FROM s.date)::int * 12 + EXTRACT(MONTH FROM s.date)::int - 1)"
    return "(CAST(strftime('%%Y', s.date) AS INTEGER) * 12 + CAST(strftime('%%m', s.date) AS INTEGER) - 1)"


def recompute_cube(workspace: Workspace) -> dict[tuple[int, int, int, int], tuple[int, int, int]]:
    """The cube as recomputed from raw sales (date → month) and their credits."""
    month = _month_sql()
    with connection.cursor() as c:
        c.execute(
            f"SELECT c.seller_id, c.unit_id, s.channel_id, {month}, "  # noqa: S608
            "SUM(CASE WHEN c.kind = 'split' THEN c.amount ELSE 0 END), "
            "SUM(CASE WHEN c.kind = 'overlay' THEN c.amount ELSE 0 END), COUNT(*) "
            "FROM sales_credit c JOIN sales_sale s ON s.id = c.sale_id "
            f"WHERE s.workspace_id = %s GROUP BY c.seller_id, c.unit_id, s.channel_id, {month}",
            [workspace.pk],
        )
        return {
            (a, b, ch, int(m)): (int(sp), int(ov), int(n))
            for a, b, ch, m, sp, ov, n in c.fetchall()
            if sp or ov or n
        }


def verify(workspace: Workspace) -> list[str]:
    """Differences between the cube and a recomputation, and broken credit invariants."""
    problems: list[str] = []
    stored = {
        (c.seller_id, c.unit_id, c.channel_id, c.month): (
            c.split_amount,
            c.overlay_amount,
            c.sale_count,
        )
        for c in CubeCell.objects.for_workspace(workspace)
    }
    fresh = recompute_cube(workspace)
    for key in sorted(set(stored) | set(fresh)):
        if stored.get(key, (0, 0, 0)) != fresh.get(key, (0, 0, 0)):
            problems.append(
                f"cell seller={key[0]} unit={key[1]} channel={key[2]} month={key[3]}: "
                f"cube {stored.get(key)} != recomputed {fresh.get(key)}"
            )
    with connection.cursor() as c:
        c.execute(
            "SELECT s.external_id, s.amount, COALESCE(SUM(c.basis_points), 0), "
            "COALESCE(SUM(c.amount), 0) FROM sales_sale s LEFT JOIN sales_credit c "
            "ON c.sale_id = s.id AND c.kind = 'split' WHERE s.workspace_id = %s "
            "GROUP BY s.id, s.external_id, s.amount "
            "HAVING COALESCE(SUM(c.basis_points), 0) <> 10000 "
            "OR COALESCE(SUM(c.amount), 0) <> s.amount",
            [workspace.pk],
        )
        for ext, amount, bp, total in c.fetchall()[:100]:
            problems.append(
                f"sale {ext}: split shares {bp}/10000, split amounts {total} != amount {amount}"
            )
        # Sales and credits carry no database foreign keys (models.Sale): check the references.
        for label, sql in ORPHAN_CHECKS:
            c.execute(sql, [workspace.pk, workspace.pk])
            count = int(c.fetchone()[0])
            if count:
                problems.append(f"{count} {label}")
    return problems


ORPHAN_CHECKS = [
    (
        "credits of a missing sale or of another workspace's sale",
        "SELECT COUNT(*) FROM sales_credit c LEFT JOIN sales_sale s ON s.id = c.sale_id "
        "WHERE c.workspace_id = %s AND (s.id IS NULL OR s.workspace_id <> %s)",
    ),
    (
        "credits to a seller who is not a member of the workspace",
        "SELECT COUNT(*) FROM sales_credit c LEFT JOIN accounts_membership m "
        "ON m.id = c.seller_id AND m.workspace_id = %s WHERE c.workspace_id = %s AND m.id IS NULL",
    ),
    (
        "credits to a team that is not the workspace's",
        "SELECT COUNT(*) FROM sales_credit c LEFT JOIN org_unit u "
        "ON u.id = c.unit_id AND u.workspace_id = %s WHERE c.workspace_id = %s AND u.id IS NULL",
    ),
    (
        "sales in a channel that is not the workspace's",
        "SELECT COUNT(*) FROM sales_sale s LEFT JOIN sales_channel ch "
        "ON ch.id = s.channel_id AND ch.workspace_id = %s WHERE s.workspace_id = %s AND ch.id IS NULL",
    ),
    (
        "sales of a customer that is not the workspace's",
        "SELECT COUNT(*) FROM sales_sale s LEFT JOIN sales_customer cu "
        "ON cu.id = s.customer_id AND cu.workspace_id = %s "
        "WHERE s.workspace_id = %s AND s.customer_id IS NOT NULL AND cu.id IS NULL",
    ),
]


@transaction.atomic
def rebuild_cube(workspace: Workspace) -> None:
    """Replace the cube of ``workspace`` by a recomputation (repair after ``verify``)."""
    CubeCell.objects.for_workspace(workspace).delete()
    with connection.cursor() as c:
        ingest.apply_cube(c, workspace.pk, 1, "1 = 1")
