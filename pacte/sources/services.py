"""Data source workflows: connections (create, change, delete, test), syncs (start, give up)
and inbound webhooks. Each change is one transaction with its audit event."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets as token_source
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte import encryption
from pacte.accounts.models import Membership, Workspace
from pacte.audit.services import record
from pacte.errors import DomainError, check_version
from pacte.jobs.kinds import KINDS
from pacte.jobs.models import Schedule
from pacte.sales.ingest.context import FIELDS
from pacte.sales.models import MappingProfile
from pacte.sources.connectors.base import CONNECTORS, ConnectorError, connector_class
from pacte.sources.credentials import read_secrets, read_webhook_secret, seal_secrets
from pacte.sources.http import Http
from pacte.sources.models import (
    Connection,
    Every,
    SyncMode,
    SyncRun,
    SyncStatus,
    WebhookEvent,
)

#: How old a webhook's timestamp may be (either way), in seconds.
REPLAY_WINDOW = 300
#: At most this many records in one webhook event.
MAX_WEBHOOK_RECORDS = 10_000

AUDITED = (
    "kind",
    "name",
    "config",
    "mapping",
    "date_order",
    "amount_style",
    "default_channel",
    "every",
    "hour",
    "full_every_days",
)


#: What goes to the connection's mapping profile rather than to the connection.
PROFILE_FIELDS = ("mapping", "date_order", "amount_style")


def _snapshot(connection: Connection) -> dict[str, Any]:
    data = {name: getattr(connection, name) for name in AUDITED}
    data["profile"] = str(connection.profile.uuid) if connection.profile else None
    data["secrets_set"] = sorted(read_secrets(connection))  # names only, never values
    return data


# --------------------------------------------------------------------------- checks


def _check_kind(kind: str) -> None:
    if kind not in CONNECTORS:
        raise DomainError(_("There is no such kind of data source."), code="invalid", field="kind")


def _check_config(kind: str, config: dict[str, Any], secrets: dict[str, str]) -> None:
    cls = connector_class(kind)
    plain = set(cls.plain_names())
    secret = set(cls.secret_names())
    for name in config:
        if name not in plain:
            raise DomainError(
                _("“%(name)s” is not a setting of this kind of data source.") % {"name": name},
                code="invalid",
                field=name,
            )
    for name in secrets:
        if name not in secret:
            raise DomainError(
                _("“%(name)s” is not a credential of this kind of data source.") % {"name": name},
                code="invalid",
                field=name,
            )
    for f in cls.config_fields:
        value = str(config.get(f.name) or "").strip() if not f.secret else ""
        if f.required and not f.secret and not value and not f.default:
            raise DomainError(
                _("%(label)s is required.") % {"label": f.label}, code="required", field=f.name
            )
        if f.choices and value and value not in {c for c, _label in f.choices}:
            raise DomainError(
                _("%(label)s: choose one of the offered values.") % {"label": f.label},
                code="invalid",
                field=f.name,
            )
        if f.name == "url" and value and not value.lower().startswith(("https://", "http://")):
            raise DomainError(_("The URL must start with https://."), code="invalid", field=f.name)


def _check_mapping(mapping: dict[str, Any]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for field, remote in mapping.items():
        if field not in FIELDS:
            raise DomainError(
                _("“%(name)s” is not a field of a sale.") % {"name": field},
                code="invalid",
                field="mapping",
            )
        clean[field] = str(remote or "").strip()[:200]
    return clean


def _check_formats(date_order: str, amount_style: str) -> None:
    if date_order not in ("auto", "dmy", "mdy", "iso"):
        raise DomainError(_("Choose a date order."), code="invalid", field="date_order")
    if amount_style not in ("auto", "fr", "en"):
        raise DomainError(_("Choose an amount format."), code="invalid", field="amount_style")


def _check_timing(every: str, hour: int, full_every_days: int) -> None:
    if every not in Every.values:
        raise DomainError(_("Choose how often it syncs."), code="invalid", field="every")
    if not 0 <= hour <= 23:
        raise DomainError(_("The hour is between 0 and 23."), code="invalid", field="hour")
    if not 1 <= full_every_days <= 90:
        raise DomainError(
            _("A full reconciliation runs every 1 to 90 days."),
            code="invalid",
            field="full_every_days",
        )


# --------------------------------------------------------------------------- schedule


def sync_schedule(connection: Connection) -> None:
    """The connection's one schedule (``pacte.jobs``, target = its uuid) in its cadence; none
    when it only syncs by hand. Hourly syncs start at a minute of their own (spread)."""
    target = str(connection.uuid)
    wanted = f"source_sync_{connection.every}" if connection.every != Every.OFF else ""
    Schedule.objects.for_workspace(connection.workspace_id).filter(target=target).exclude(
        kind=wanted
    ).delete()
    if not wanted:
        return
    minute = connection.uuid.int % 60
    Schedule.objects.update_or_create(
        workspace_id=connection.workspace_id,
        kind=wanted,
        target=target,
        defaults={
            "enabled": True,
            "hour": connection.hour,
            "minute": minute if connection.every == Every.HOUR else 0,
            "weekday": 0,
            "day": 1,
        },
        create_defaults={
            "enabled": True,
            "hour": connection.hour,
            "minute": minute if connection.every == Every.HOUR else 0,
            "weekday": 0,
            "day": 1,
            "active_since": timezone.now(),
        },
    )


assert all(f"source_sync_{e}" in KINDS for e in Every.values if e != Every.OFF)


# --------------------------------------------------------------------------- connections


@transaction.atomic
def create_connection(
    *,
    workspace: Workspace,
    actor: Membership | None,
    kind: str,
    name: str,
    config: dict[str, Any] | None = None,
    secrets: dict[str, str] | None = None,
    mapping: dict[str, Any] | None = None,
    default_channel: str = "",
    every: str = Every.DAY,
    hour: int = 2,
    full_every_days: int = 7,
    date_order: str = "auto",
    amount_style: str = "auto",
    profile: MappingProfile | None = None,
) -> tuple[Connection, str]:
    """A new data source and the secret its webhooks are signed with (shown this once).

    Its records are read with ``profile`` (a mapping profile of the workspace) when given,
    else with a new profile named after it when ``mapping`` maps a field or a format is
    chosen, else with the field names the connector gives."""
    _check_kind(kind)
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the data source a name."), code="required", field="name")
    config = {k: str(v).strip() for k, v in (config or {}).items() if v not in (None, "")}
    secrets = {k: str(v) for k, v in (secrets or {}).items() if v}
    _check_config(kind, config, secrets)
    _check_timing(every, hour, full_every_days)
    _check_formats(date_order, amount_style)
    mapping = _check_mapping(mapping or {})
    if profile is not None and profile.workspace_id != workspace.pk:
        raise DomainError(
            _("This column mapping is not in the workspace."), code="not_found", field="profile"
        )
    if Connection.objects.for_workspace(workspace).filter(name=name).exists():
        raise DomainError(_("Another data source has this name."), code="duplicate", field="name")
    hook_secret = token_source.token_urlsafe(32)
    connection = Connection.objects.create(
        workspace=workspace,
        kind=kind,
        name=name[:100],
        config=config,
        secrets=seal_secrets(secrets),
        webhook_secret=encryption.encrypt(hook_secret),
        default_channel=(default_channel or "").strip()[:100],
        every=every,
        hour=hour,
        full_every_days=full_every_days,
        profile=profile,
    )
    if profile is None and (mapping or date_order != "auto" or amount_style != "auto"):
        connection.profile = _new_profile(
            connection, connection.name, mapping, date_order, amount_style
        )
        connection.save(update_fields=["profile"])
    sync_schedule(connection)
    record(
        workspace=workspace,
        actor=actor,
        action="source.created",
        obj=connection,
        after=_snapshot(connection),
    )
    return connection, hook_secret


def _new_profile(
    connection: Connection, name: str, mapping: dict[str, str], date_order: str, amount_style: str
) -> MappingProfile:
    """A mapping profile of the connection's workspace for it, named ``name`` (made unique)."""
    taken = set(
        MappingProfile.objects.for_workspace(connection.workspace_id).values_list("name", flat=True)
    )
    base = (name or connection.name).strip()[:100] or connection.name
    unique, n = base, 2
    while unique in taken:
        suffix = f" ({n})"
        unique, n = base[: 100 - len(suffix)] + suffix, n + 1
    return MappingProfile.objects.create(
        workspace_id=connection.workspace_id,
        name=unique,
        mapping=mapping,
        date_order=date_order,
        amount_style=amount_style,
        source=connection.source[:60],
        updated_at=timezone.now(),
    )


def _write_profile(connection: Connection, **values: Any) -> None:
    """Change the connection's mapping profile (a new one when it has none). A profile shared
    with file imports or other sources changes for them too: it is one mapping."""
    if connection.profile is None:
        connection.profile = _new_profile(
            connection,
            connection.name,
            values.get("mapping", {}),
            values.get("date_order", "auto"),
            values.get("amount_style", "auto"),
        )
        return
    profile = connection.profile
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_at = timezone.now()
    profile.save()


@transaction.atomic
def save_mapping(
    *,
    connection: Connection,
    actor: Membership | None,
    mapping: dict[str, Any],
    date_order: str = "auto",
    amount_style: str = "auto",
    profile: MappingProfile | None = None,
    new_name: str = "",
) -> Connection:
    """Read the connection's records with a mapping profile: ``profile`` (one of the
    workspace's, its mapping set to ``mapping``) or, without one, a new profile named
    ``new_name`` (the source's name by default). Audited as a change of the source."""
    locked = (
        Connection.objects.select_for_update(of=("self",))
        .select_related("profile")
        .get(pk=connection.pk)
    )
    before = _snapshot(locked)
    mapping = _check_mapping(mapping)
    _check_formats(date_order, amount_style)
    if profile is not None and profile.workspace_id != locked.workspace_id:
        raise DomainError(
            _("This column mapping is not in the workspace."), code="not_found", field="profile"
        )
    if profile is None:
        locked.profile = _new_profile(
            locked, new_name or locked.name, mapping, date_order, amount_style
        )
    else:
        locked.profile = profile
        _write_profile(locked, mapping=mapping, date_order=date_order, amount_style=amount_style)
    after = _snapshot(locked)
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    record(
        workspace=locked.workspace,
        actor=actor,
        action="source.updated",
        obj=locked,
        before=before,
        after=after,
    )
    return locked


@transaction.atomic
def update_connection(
    *,
    connection: Connection,
    actor: Membership | None,
    version: int | None,
    secrets: dict[str, str] | None = None,
    **changes: Any,
) -> Connection:
    """Change a data source. ``secrets``: a non-empty value replaces the stored one, an empty
    one keeps it (a page never gets the stored value to send back)."""
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    check_version(locked, version)
    before = _snapshot(locked)
    unknown = set(changes) - {*AUDITED, "profile"} | ({"kind"} & set(changes))
    if unknown:
        raise DomainError(
            _("These settings cannot be changed here."), code="invalid", field=sorted(unknown)[0]
        )
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name:
            raise DomainError(_("Give the data source a name."), code="required", field="name")
        if (
            Connection.objects.for_workspace(locked.workspace_id)
            .filter(name=name)
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise DomainError(
                _("Another data source has this name."), code="duplicate", field="name"
            )
        changes["name"] = name[:100]
    if "config" in changes:
        changes["config"] = {
            k: str(v).strip() for k, v in (changes["config"] or {}).items() if v not in (None, "")
        }
    profiled = {name: changes.pop(name) for name in PROFILE_FIELDS if name in changes}
    if "mapping" in profiled:
        profiled["mapping"] = _check_mapping(profiled["mapping"] or {})
    if "profile" in changes:
        chosen = changes.pop("profile")
        if chosen is not None and chosen.workspace_id != locked.workspace_id:
            raise DomainError(
                _("This column mapping is not in the workspace."),
                code="not_found",
                field="profile",
            )
        locked.profile = chosen
    if "default_channel" in changes:
        changes["default_channel"] = str(changes["default_channel"] or "").strip()[:100]
    new_secrets = {k: str(v) for k, v in (secrets or {}).items() if v}
    _check_config(locked.kind, changes.get("config", locked.config), new_secrets)
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_timing(locked.every, locked.hour, locked.full_every_days)
    _check_formats(
        profiled.get("date_order", locked.date_order),
        profiled.get("amount_style", locked.amount_style),
    )
    if profiled:
        _write_profile(locked, **profiled)
    if new_secrets:
        locked.secrets = seal_secrets({**read_secrets(locked), **new_secrets})
    after = _snapshot(locked)
    if after == before and not new_secrets:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    sync_schedule(locked)
    record(
        workspace=locked.workspace,
        actor=actor,
        action="source.updated",
        obj=locked,
        before=before,
        after={**after, "secrets_changed": sorted(new_secrets)},
    )
    return locked


@transaction.atomic
def delete_connection(
    *, connection: Connection, actor: Membership | None, version: int | None
) -> None:
    """Delete a data source (its sales stay). A sync reading it at this moment finds it gone
    when it comes to store, and writes nothing; one storing now finishes first (the row
    lock)."""
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    check_version(locked, version)
    before = _snapshot(locked)
    Schedule.objects.for_workspace(locked.workspace_id).filter(target=str(locked.uuid)).delete()
    SyncRun.objects.for_workspace(locked.workspace_id).filter(
        connection=locked, status=SyncStatus.QUEUED
    ).update(status=SyncStatus.FAILED, message_code="deleted", finished_at=timezone.now())
    record(
        workspace=locked.workspace,
        actor=actor,
        action="source.deleted",
        obj=locked,
        before=before,
    )
    locked.delete()


@transaction.atomic
def rotate_webhook_secret(*, connection: Connection, actor: Membership | None) -> str:
    """A new webhook signing secret, returned this once; the old one stops working."""
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    secret = token_source.token_urlsafe(32)
    locked.webhook_secret = encryption.encrypt(secret)
    locked.version += 1
    locked.save(update_fields=["webhook_secret", "version"])
    record(
        workspace=locked.workspace,
        actor=actor,
        action="source.webhook_secret_rotated",
        obj=locked,
    )
    return secret


def check_connection(*, connection: Connection, http: Http | None = None) -> ConnectorError | None:
    """Check credentials and schema now (one small request); the error, or None when fine."""
    from pacte.sources.sync import build_connector

    own = http is None
    http = http or Http(timeout=(5.0, 20.0), retries=1, rate_limit_retries=0)
    try:
        build_connector(connection, http).check()
    except ConnectorError as exc:
        return exc
    finally:
        if own:
            http.close()
    return None


# --------------------------------------------------------------------------- syncs


def start_sync(
    *, connection: Connection, actor: Membership | None, mode: str = SyncMode.INCREMENTAL
) -> SyncRun:
    """Queue a sync (run by a worker once this transaction commits). One sync of a connection
    at a time (a dry run may run beside it)."""
    from pacte.sources.tasks import run_sync_task

    if mode not in (SyncMode.INCREMENTAL, SyncMode.FULL, SyncMode.DRY_RUN):
        raise DomainError(_("There is no such kind of sync."), code="invalid", field="mode")
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        if mode != SyncMode.DRY_RUN and (
            SyncRun.objects.for_workspace(locked.workspace_id)
            .filter(connection=locked, status__in=[SyncStatus.QUEUED, SyncStatus.RUNNING])
            .exclude(mode__in=[SyncMode.DRY_RUN, SyncMode.WEBHOOK])
            .exists()
        ):
            raise DomainError(_("A sync of this data source is already under way."), code="busy")
        run = SyncRun.objects.create(
            workspace_id=locked.workspace_id,
            connection=locked,
            connection_name=locked.name,
            mode=mode,
            created_by=actor,
        )
        run_id = run.pk
        transaction.on_commit(lambda: run_sync_task.enqueue(run_id))
    return run


def give_up_sync(*, run_id: int, reason: str) -> None:
    """The sync's job failed for good (a bug, its workers kept dying): the run ends failed."""
    from pacte.sources.sync import MESSAGES

    SyncRun.objects.filter(pk=run_id).exclude(
        status__in=[SyncStatus.DONE, SyncStatus.FAILED]
    ).update(
        status=SyncStatus.FAILED,
        message_code=reason[:40],
        message=MESSAGES["unexpected"](),
        finished_at=timezone.now(),
    )


# --------------------------------------------------------------------------- webhooks


class WebhookRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of ``timestamp.body`` with the connection's secret, hex."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def receive_webhook(
    *,
    connection: Connection,
    body: bytes,
    timestamp: str | None,
    sent_signature: str | None,
    event_id: str | None,
    now: float | None = None,
) -> tuple[SyncRun | None, bool]:
    """Check and queue a pushed event: (the run that will store it, whether it is new). A
    second delivery of the same event id is accepted and changes nothing.

    Raises ``WebhookRefused``: 400 (missing or old timestamp, malformed body), 401 (wrong
    signature)."""
    from pacte.sources.tasks import run_sync_task

    if not timestamp or not timestamp.strip().isdigit():
        raise WebhookRefused(
            400, "timestamp_missing", _("The X-Pacte-Timestamp header (Unix seconds) is missing.")
        )
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > REPLAY_WINDOW:
        raise WebhookRefused(
            400,
            "timestamp_too_old",
            _("The timestamp is more than %(n)s seconds away from now: the event is refused.")
            % {"n": REPLAY_WINDOW},
        )
    secret = read_webhook_secret(connection)
    given = (sent_signature or "").strip().removeprefix("sha256=")
    if not secret or not hmac.compare_digest(given, signature(secret, timestamp.strip(), body)):
        raise WebhookRefused(
            401,
            "bad_signature",
            _(
                "The signature does not match: sign “timestamp.body” with HMAC-SHA256 and the "
                "data source's webhook secret, in the X-Pacte-Signature header."
            ),
        )
    try:
        data = json.loads(body.decode("utf-8"), parse_float=str)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRefused(400, "bad_json", _("The body is not JSON.")) from None
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        records = data["records"]
        event_id = event_id or str(data.get("id") or "")
    elif isinstance(data, dict):
        records = [data.get("record", data)]
        event_id = event_id or str(data.get("event_id") or "")
    else:
        raise WebhookRefused(400, "bad_json", _("The body must be a JSON object."))
    if not event_id:
        raise WebhookRefused(
            400, "event_id_missing", _("The event has no id (X-Pacte-Event-Id header or “id”).")
        )
    if len(records) > MAX_WEBHOOK_RECORDS or not all(isinstance(r, dict) for r in records):
        raise WebhookRefused(
            400,
            "bad_records",
            _("Records must be JSON objects, at most %(n)s per event.")
            % {"n": MAX_WEBHOOK_RECORDS},
        )
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                workspace_id=connection.workspace_id,
                connection=connection,
                event_id=event_id[:200],
                rows=records,
            )
            run = SyncRun.objects.create(
                workspace_id=connection.workspace_id,
                connection=connection,
                connection_name=connection.name,
                mode=SyncMode.WEBHOOK,
            )
            event.run = run
            event.save(update_fields=["run"])
            run_id = run.pk
            transaction.on_commit(lambda: run_sync_task.enqueue(run_id))
    except IntegrityError:
        return None, False
    return run, True
