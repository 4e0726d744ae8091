"""Sales imports: file import jobs (upload, mapping, formats, run, cancel) and API batches.

The rows themselves go through :mod:`pacte.sales.ingest`."""

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
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pacte import storage, uploads
from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record_many
from pacte.errors import DomainError
from pacte.insights.tasks import warm_overview
from pacte.jobs.queue import withdraw
from pacte.lib.tabular.amounts import parse_amounts
from pacte.lib.tabular.common import (
    ERROR_SCHEMA,
    Ambiguous,
    AmbiguousAmounts,
    AmbiguousDates,
    TabularError,
)
from pacte.lib.tabular.dates import iso_shaped, parse_dates
from pacte.lib.tabular.reading import iter_chunks, read_header
from pacte.lib.tabular.validation import check_columns, select_mapped
from pacte.sales.ingest.context import FIELDS, REQUIRED, Context, load_context
from pacte.sales.ingest.direct import Direct, lock_source
from pacte.sales.ingest.prepare import Prepared, State, prepare, text_column
from pacte.sales.ingest.sources import frame_from_records, frames_from_file
from pacte.sales.ingest.stage import Stage
from pacte.sales.ingest.stored import StoredPairs
from pacte.sales.mapping import check as check_mapping
from pacte.sales.mapping import read_head, stored_head_bytes
from pacte.sales.models import (
    ImportJob,
    ImportStatus,
    MappingProfile,
)
from pacte.sales.reasons import FILE_REASONS, file_message, row_message
from pacte.webhooks.events import emit

#: Rows read at once from a file (at most: a chunk never spans two of the blocks the file is
#: scanned in, ``tabular.csvfile.BLOCK_BYTES``): the sample that decides ambiguous date and number
#: formats. With PREPARE_ROWS and the scan's block, what sets an import's peak memory besides
#: the duplicate-id hashes (1M rows, 16 MB blocks: 200k/50k 350 MB, 100k/50k 330 MB, 100k/25k
#: 320 MB, same time ±5%; 4 MB blocks, 100k/25k: 244 MB).
CHUNK_ROWS = 100_000
#: Rows validated and staged at once (a slice of a chunk). Each slice costs ``prepare`` about
#: 28 ms whatever its size (its hundred-odd Polars steps, measured at 200 rows): 50,000 rows
#: halve that against 25,000 (PostgreSQL, 1M rows: 7.3–7.5 → 6.9 s, peak 250 → 275 MB; 10M
#: rows peak 405 MB).
PREPARE_ROWS = 50_000


# --------------------------------------------------------------------------- imports


def read_columns(path: str) -> list[str]:
    """The header of a CSV or XLSX file (raises ``DomainError`` with the file problem)."""
    try:
        return read_header(path, max_columns=settings.PACTE_MAX_IMPORT_COLUMNS)
    except TabularError as exc:
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
    mapping = {k: v for k, v in mapping.items() if k in FIELDS and v}
    problems = check_columns(job.columns, mapping, required=REQUIRED)
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
                iter_chunks(
                    path, chunk_rows=CHUNK_ROWS, max_columns=settings.PACTE_MAX_IMPORT_COLUMNS
                )
            )
        )
    except (TabularError, StopIteration):
        return  # the job reports file problems with their line
    frame = select_mapped(chunk.frame, mapping)
    try:
        if date_order == "auto":
            parse_dates(frame.get_column("date"))
        if amount_style == "auto":
            parse_amounts(frame.get_column("amount"))
    except AmbiguousDates as exc:
        raise DomainError(
            file_message("ambiguous_dates"),
            code="ambiguous_dates",
            field="date_order",
            details=list(exc.examples),
        ) from exc
    except AmbiguousAmounts as exc:
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
    known: StoredPairs | None = None
    skipped: int = 0


def run_import(
    *,
    job_id: int,
    frames: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    known: pl.DataFrame | None = None,
) -> ImportJob:
    """Run an import job to its end: everything written in ONE transaction, or the errors
    stored and nothing written. Safe to run again (idempotent).

    Two ways to store, same validation: a source that has no sale in the workspace yet takes
    the direct path on PostgreSQL (``Direct``: every slice is copied into the real
    tables inside one transaction that spans the import, so an error, a cancel or a killed
    process rolls it all back); otherwise the rows are staged chunk by chunk and merged in one
    transaction at the end (``Stage``: new, changed and unchanged rows).

    ``frames`` overrides the job's file (API batches, samples): (frame of target fields with
    ``LINE``, structural errors, progress done, progress total) per chunk. It must not use the
    database while it is iterated: on the direct path a writer thread owns the connection.

    ``known``: the ``external_id`` and ``row_hash`` of the source's stored sales, read by the
    caller in the transaction it imports in (a data source's full reconciliation): a valid
    row with the same pair is counted unchanged without being staged, as the merge would
    have found it, so re-reading a million unchanged records stages only what changed."""
    job = ImportJob.objects.select_related("workspace", "created_by__user").get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
        return job
    # A background task has no request: its messages are written in the language of who
    # started the import (as the page they watch), else the workspace's.
    creator = job.created_by.user.language if job.created_by else ""
    with translation.override(creator or job.workspace.language or settings.LANGUAGE_CODE):
        return _run_import(job, frames, chunk_rows, known)


def _run_import(
    job: ImportJob,
    frames: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]] | None,
    chunk_rows: int,
    known: pl.DataFrame | None = None,
) -> ImportJob:
    if job.cancel_requested:
        return _finish(job, ImportStatus.CANCELLED, "cancelled")
    job.status = ImportStatus.RUNNING
    job.started_at = timezone.now()
    job.progress = 0
    job.errors, job.error_count, job.rows_read = [], 0, 0
    job.message, job.message_code = "", ""
    job.save()
    # Sorted once; each slice is binary-searched in it (a semi-join per slice rebuilt the
    # hash table of a million pairs forty times, a dict cost a lookup per row).
    run = _Run(job=job, kept=[], known=StoredPairs(known) if known is not None else None)
    try:
        ctx = load_context(job.workspace)
        with contextlib.ExitStack() as files:
            source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]]
            if frames is None:
                path = files.enter_context(storage.local_copy(job.file_path))
                source = frames_from_file(
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
    except Ambiguous as exc:
        code = "ambiguous_dates" if isinstance(exc, AmbiguousDates) else "ambiguous_amounts"
        return _finish(job, ImportStatus.FAILED, code, detail=", ".join(exc.examples))
    except TabularError as exc:
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
    ctx: Context,
    source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]],
    store: Callable[[Prepared], None],
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> None:
    """Parse and validate every chunk, hand each valid slice to ``store`` while the file has
    no error so far, and count and keep the errors in ``run``."""
    job = run.job
    state = State(date_order=job.date_order, amount_style=job.amount_style, stored=run.known)
    for frame, structural, done, total in source:
        # Formats are decided on the whole chunk (CHUNK_ROWS rows, as the mapping page
        # asks), then it is validated and stored in slices of PREPARE_ROWS: the
        # intermediate frames of ``prepare`` are what sets the peak memory.
        restore = _decide_formats(ctx, frame, state)
        found = [structural]
        for part in frame.iter_slices(PREPARE_ROWS):
            prepared = prepare(ctx, part, state)
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
        run.skipped = state.skipped
        progress(int(90 * done / total) if total else 90)
        if cancelled():
            raise Cancelled


def _run_staged(
    run: _Run, ctx: Context, source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]]
) -> ImportJob:
    """Stage every valid slice in temporary tables (outside any transaction, so progress is
    visible), then merge them in one transaction."""
    job = run.job
    stage = Stage()
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
                lock_source(c, job.workspace_id, job.source)
            result = stage.merge(workspace_id=job.workspace_id, source=job.source, job_id=job.pk)
            return _done(run, result)
    finally:
        stage.drop()


def _run_direct(
    run: _Run, ctx: Context, source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]]
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
                lock_source(c, job.workspace_id, job.source)
            if not Direct.applies(job.workspace_id, job.source):
                return None
            writer = Direct(
                workspace_id=job.workspace_id, source=job.source, job_id=job.pk, draw=side
            )
            writer.defer_indexes()
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
    job.unchanged_count = result["unchanged"] + run.skipped
    job.rows_read = run.rows_read
    _finish(job, ImportStatus.DONE, "")
    transaction.on_commit(lambda: warm_overview.enqueue(job.workspace_id))
    return job


def _decide_formats(ctx: Context, frame: pl.DataFrame, state: State) -> bool:
    """Decide the date order and amount style still ``auto`` on a whole chunk, as ``prepare``
    would on it, before it is validated in slices (raises ``Ambiguous`` likewise).

    Returns True when the amount style is only fixed for this chunk ("en" when every value
    reads the same either way, as ``parse_amounts`` reads them): the caller puts
    ``auto`` back afterwards so the next chunk decides again, as before."""
    if frame.height <= PREPARE_ROWS:
        return False
    restore = False
    if state.amount_style == "auto" and "amount" in frame.columns:
        amounts = parse_amounts(text_column(frame, "amount"), exponent=ctx.exponent, style="auto")
        state.amount_style = amounts.style or "en"
        restore = amounts.style is None
    if state.date_order == "auto" and "date" in frame.columns:
        dates = text_column(frame, "date")
        order = None if iso_shaped(dates) else parse_dates(dates, order="auto").order
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
    # A data source's sync tells its own outcome (sync.done / sync.failed).
    if status in (ImportStatus.DONE, ImportStatus.FAILED) and job.kind not in (
        "demo",
        "sample",
        "sync",
    ):
        _emit_finished(job)
    return job


def _emit_finished(job: ImportJob) -> None:
    """Tell the webhooks listening: import done or failed (in the transaction that ends it)."""
    from django.urls import reverse

    failed = job.status == ImportStatus.FAILED
    message = job.message
    if failed and not message:
        with translation.override(job.workspace.language):
            message = _("%(count)s rows were refused; nothing was stored.") % {
                "count": job.error_count
            }
    # The payload is built only when a subscription listens: ``reverse`` loads the whole
    # URLconf (every API schema) in a worker that has not served a page yet.
    emit(
        job.workspace_id,
        "import.failed" if failed else "import.done",
        lambda: {
            "import": str(job.uuid),
            "name": str(job),
            "kind": job.kind,
            "source": job.source,
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": job.error_count,
            "message": message,
            "url": reverse("sales:import_job", args=[job.uuid]),
        },
    )


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
        mapping={name: name for name in FIELDS},
    )
    frame, unexpected = frame_from_records(records)
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
        mapping={name: name for name in FIELDS},
        date_order="iso",
        amount_style="en",
    )
    empty = pl.DataFrame(schema=ERROR_SCHEMA)
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
