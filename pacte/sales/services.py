"""Sales workflows: channels, imports (files, API batches), deletions, crediting rules, the cube.

Every write to sales or credits updates the cube in the same transaction (set-based deltas,
``pacte.sales.ingest.apply_cube``). Rule changes and sale updates leave audit events.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record, record_many, snapshot
from pacte.errors import DomainError, StaleVersion
from pacte.lib import tabular
from pacte.sales import ingest
from pacte.sales.models import (
    Channel,
    CreditRule,
    CubeCell,
    ImportJob,
    ImportStatus,
    MappingProfile,
    Sale,
)
from pacte.sales.reasons import file_message, row_message

#: Largest file accepted for import (bytes); files are streamed, this only bounds disk use.
MAX_IMPORT_BYTES = int(getattr(settings, "PACTE_MAX_IMPORT_BYTES", 5 * 1024**3))
CHUNK_ROWS = 200_000


def closed_until(workspace: Workspace) -> datetime.date | None:
    """Last day of the latest closed period: sales dated on or before it are refused.

    The hook for period closing (not a notion of Pacte yet): ``None`` means nothing is closed.
    """
    return None


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


def import_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_columns(path: str) -> list[str]:
    """The header of a CSV or XLSX file (raises ``DomainError`` with the file problem)."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic == b"PK\x03\x04":
            import openpyxl

            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                for row in wb.worksheets[0].iter_rows(values_only=True):
                    names = [str(v).strip() if v is not None else "" for v in row]
                    while names and not names[-1]:
                        names.pop()
                    if names:
                        return names
            finally:
                wb.close()
            raise tabular.TabularError("empty", code="empty_file")
        return list(tabular.sniff_file(path).columns)
    except tabular.TabularError as exc:
        raise DomainError(file_message(exc.code, exc.message), code=exc.code, field="file") from exc
    except Exception as exc:  # a corrupt spreadsheet
        raise DomainError(file_message("bad_xlsx"), code="bad_xlsx", field="file") from exc


def guess_mapping(columns: list[str], profile: MappingProfile | None = None) -> dict[str, str]:
    """A profile's mapping where its columns exist, else columns named like the fields."""
    if profile is not None:
        return {k: v for k, v in profile.mapping.items() if v in columns}
    aliases = {
        "external_id": ("external_id", "id", "sale_id", "order", "order_id", "invoice"),
        "date": ("date", "order_date", "sale_date", "invoice_date"),
        "amount": ("amount", "montant", "total", "subtotal", "net"),
        "channel": ("channel", "canal"),
        "seller": ("seller", "vendeur", "sales_person", "email", "seller_email"),
        "split": ("split", "splits", "split_credits"),
        "overlay": ("overlay", "overlays"),
        "currency": ("currency", "devise"),
        "customer": ("customer", "client", "account"),
        "territory": ("territory", "territoire", "region"),
        "solution": ("solution",),
    }
    normal = {c.strip().lower().replace(" ", "_"): c for c in columns}
    found: dict[str, str] = {}
    for target, names in aliases.items():
        for name in names:
            if name in normal:
                found[target] = normal[name]
                break
    return found


@transaction.atomic
def start_file_import(
    *, workspace: Workspace, actor: Membership | None, upload: Any, source: str = "default"
) -> ImportJob:
    """Save an uploaded file and read its header: the job then waits for its mapping."""
    if upload.size > MAX_IMPORT_BYTES:
        raise DomainError(file_message("too_large"), code="too_large", field="file")
    source = (source or "default").strip()[:60] or "default"
    job = ImportJob(workspace=workspace, created_by=actor, source=source)
    name = Path(upload.name or "upload").name[:300]
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    path = import_dir() / f"{job.uuid}{suffix}"
    with open(path, "wb") as out:
        for part in upload.chunks():
            out.write(part)
    try:
        job.columns = read_columns(str(path))
    except DomainError:
        path.unlink(missing_ok=True)
        raise
    job.file_name = name
    job.file_path = str(path)
    job.save()
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
) -> ImportJob:
    """Check a mapping against the file (and the first chunk's formats), save it as a profile,
    and queue the import. Raises ``DomainError`` with ``code`` ``ambiguous_dates`` /
    ``ambiguous_amounts`` when the user must choose a format."""
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
    _check_formats(job.file_path, mapping, date_order, amount_style)
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
        chunk = next(iter(tabular.iter_chunks(path, chunk_rows=CHUNK_ROWS)))
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
    """Ask a running import to stop; it stops before writing anything."""
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status in (ImportStatus.MAPPING, ImportStatus.QUEUED):
            job.status = ImportStatus.CANCELLED
            job.message_code = "cancelled"
            job.finished_at = timezone.now()
            job.save()
    return job


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
    """Run an import job to its end: validate and stage every chunk, then merge in ONE
    transaction, or store the errors and write nothing. Safe to run again (idempotent).

    ``frames`` overrides the job's file (API batches, samples): (frame of target fields with
    ``LINE``, structural errors, progress done, progress total) per chunk."""
    job = ImportJob.objects.select_related("workspace", "created_by").get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
        return job
    if job.cancel_requested:
        return _finish(job, ImportStatus.CANCELLED, "cancelled")
    job.status = ImportStatus.RUNNING
    job.started_at = timezone.now()
    job.progress = 0
    job.errors, job.error_count, job.rows_read = [], 0, 0
    job.message, job.message_code = "", ""
    job.save()
    run = _Run(job=job, kept=[])
    stage = ingest.Stage()
    try:
        ctx = ingest.load_context(job.workspace)
        state = ingest.State(date_order=job.date_order, amount_style=job.amount_style)
        source: Iterable[tuple[pl.DataFrame, pl.DataFrame, int, int]] = (
            frames
            if frames is not None
            else ingest.frames_from_file(job.file_path, job.mapping, chunk_rows=chunk_rows)
        )
        for frame, structural, done, total in source:
            prepared = ingest.prepare(ctx, frame, state)
            errors = pl.concat([structural, prepared.errors]).sort("line")
            _keep_errors(run, errors)
            run.rows_read += frame.height + structural.height
            if run.error_count == 0:
                stage.add(prepared)
            progress = int(90 * done / total) if total else 90
            ImportJob.objects.filter(pk=job.pk).update(
                progress=progress, rows_read=run.rows_read, error_count=run.error_count
            )
            if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                raise Cancelled
        if run.error_count:
            job.errors = run.kept
            job.error_count = run.error_count
            job.rows_read = run.rows_read
            return _finish(job, ImportStatus.FAILED, "has_errors")
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.STORING, progress=90)
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.cancel_requested:
                raise Cancelled
            result = stage.merge(workspace_id=job.workspace_id, source=job.source, job_id=job.pk)
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
        return job
    except Cancelled:
        return _finish(job, ImportStatus.CANCELLED, "cancelled")
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
    finally:
        stage.drop()


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
    recredit(workspace=workspace)
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
    recredit(workspace=rule.workspace)
    return rule


@transaction.atomic
def delete_rule(*, rule: CreditRule, actor: Membership | None, version: int | None = None) -> None:
    rule = CreditRule.objects.select_for_update().select_related("workspace").get(pk=rule.pk)
    if version is not None and version != rule.version:
        raise StaleVersion(
            _("This rule was changed by someone else since you opened it. Reload and try again.")
        )
    workspace = rule.workspace
    record(
        workspace=workspace,
        actor=actor,
        action="creditrule.deleted",
        obj=rule,
        before=snapshot(rule, RULE_FIELDS),
    )
    rule.delete()
    recredit(workspace=workspace)


@transaction.atomic
def recredit(*, workspace: Workspace) -> int:
    """Recompute every rule-given credit of the workspace from the active rules (set-based):
    split credits of sales credited by a rule, overlay credits of every sale. The cube follows
    in the same transaction. Refused when a rule-credited sale would be left without a seller.
    """
    ctx = ingest.load_context(workspace)
    rows = pl.DataFrame(
        list(
            Sale.objects.for_workspace(workspace)
            .values_list(
                "pk", "date", "amount", "channel_id", "territory", "customer__name", "credit_origin"
            )
            .order_by()
        ),
        schema={
            "k": pl.Int64,
            "date": pl.Date,
            "amount": pl.Int64,
            "channel_id": pl.Int64,
            "territory": pl.String,
            "customer": pl.String,
            "credit_origin": pl.String,
        },
        orient="row",
    )
    by_rule = rows.filter(pl.col("credit_origin") == "rule")
    split = ingest.resolve_rules(ctx, by_rule, kind="split")
    orphans = by_rule.join(split, on="k", how="anti")
    if orphans.height:
        raise DomainError(
            _(
                "%(count)s sales credited by a rule would be left without a seller: keep a rule "
                "that covers them."
            )
            % {"count": orphans.height},
            code="sales_without_credit",
        )
    overlay = ingest.resolve_rules(ctx, rows, kind="overlay")
    with connection.cursor() as c:
        c.execute(
            "SELECT sale_id, seller_id FROM sales_credit WHERE workspace_id = %s "
            "AND kind = 'overlay' AND origin = 'row'",
            [workspace.pk],
        )
        row_overlays = pl.DataFrame(
            c.fetchall(), schema={"k": pl.Int64, "seller_id": pl.Int64}, orient="row"
        )
    overlay = overlay.join(row_overlays, on=["k", "seller_id"], how="anti")
    credits = pl.concat(
        [
            split.select("k", "seller_id", kind=pl.lit("split")),
            overlay.select("k", "seller_id", kind=pl.lit("overlay")),
        ]
    ).with_columns(basis_points=pl.lit(10_000, pl.Int64), origin=pl.lit("rule"))
    credits = ingest.finish_credits(ctx, credits, rows)
    with connection.cursor() as c:
        where = "c.origin = 'rule'"
        ingest.apply_cube(c, workspace.pk, -1, where)
        c.execute(
            "DELETE FROM sales_credit WHERE workspace_id = %s AND origin = 'rule'", [workspace.pk]
        )
    from pacte.sales.models import Credit

    Credit.objects.bulk_create(
        (
            Credit(
                workspace_id=workspace.pk,
                sale_id=k,
                seller_id=seller,
                unit_id=unit,
                kind=kind,
                basis_points=bp,
                amount=amount,
                origin="rule",
            )
            for k, seller, unit, kind, bp, amount, _origin in credits.iter_rows()
        ),
        batch_size=5000,
    )
    with connection.cursor() as c:
        ingest.apply_cube(c, workspace.pk, 1, "c.origin = 'rule'")
        ingest.drop_empty_cells(c, workspace.pk)
    return credits.height


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
    return problems


@transaction.atomic
def rebuild_cube(workspace: Workspace) -> None:
    """Replace the cube of ``workspace`` by a recomputation (repair after ``verify``)."""
    CubeCell.objects.for_workspace(workspace).delete()
    with connection.cursor() as c:
        ingest.apply_cube(c, workspace.pk, 1, "1 = 1")
