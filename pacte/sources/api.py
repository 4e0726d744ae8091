"""The data sources API: connections (list, create, read, change, delete), test, syncs."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router

from pacte.accounts.models import Membership
from pacte.api_auth import request_member
from pacte.errors import DomainError, check_version
from pacte.links import absolute
from pacte.sources import selectors, services
from pacte.sources.connectors.base import ConnectorError
from pacte.sources.credentials import secret_names_set
from pacte.sources.models import Connection, SyncRun
from pacte.sources.schemas import (
    CheckOut,
    ConnectionCreated,
    ConnectionIn,
    ConnectionOut,
    ConnectionPatch,
    SourceMappingIn,
    SourceMappingOut,
    SyncIn,
    SyncRunOut,
)
from pacte.sources.sync import mapped_preview, sample

router = Router(tags=["data sources"])


def run_out(run: SyncRun) -> dict[str, Any]:
    return {
        "uuid": run.uuid,
        "mode": run.mode,
        "status": run.status,
        "status_label": str(run.get_status_display()),
        "since": run.since,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "rows_read": run.rows_read,
        "new_count": run.new_count,
        "changed_count": run.changed_count,
        "deleted_count": run.deleted_count,
        "unchanged_count": run.unchanged_count,
        "error_count": run.error_count,
        "errors": [
            {**e, "value": None if e.get("value") is None else str(e["value"])} for e in run.errors
        ],
        "message_code": run.message_code,
        "message": run.message,
        "preview": run.preview,
    }


def connection_out(connection: Connection) -> dict[str, Any]:
    status = selectors.status_of(connection, runs=5)
    return {
        "uuid": connection.uuid,
        "kind": connection.kind,
        "name": connection.name,
        "config": {k: str(v) for k, v in connection.config.items()},
        "secrets_set": secret_names_set(connection),
        "profile": connection.profile.uuid if connection.profile else None,
        "profile_name": connection.profile.name if connection.profile else "",
        "mapping": connection.mapping,
        "default_channel": connection.default_channel,
        "every": connection.every,
        "hour": connection.hour,
        "full_every_days": connection.full_every_days,
        "date_order": connection.date_order,
        "amount_style": connection.amount_style,
        "cursor": connection.cursor,
        "last_full_at": connection.last_full_at,
        "next_sync": status.next_at,
        "last_sync": run_out(status.last) if status.last else None,
        "webhook_url": absolute(reverse("sources:webhook", args=[connection.uuid])),
        "version": connection.version,
    }


def _member(request: HttpRequest) -> Membership:
    member = request_member(request)
    selectors.connections_for(member)  # 403 unless admin or executive
    return member


@router.get("", response=list[ConnectionOut], summary="The workspace's data sources (admins)")
def connection_list(request: HttpRequest) -> list[dict[str, Any]]:
    member = _member(request)
    return [connection_out(c) for c in selectors.connections_for(member)]


@router.post(
    "", response={201: ConnectionCreated}, summary="Add a data source (credentials write-only)"
)
def connection_create(request: HttpRequest, payload: ConnectionIn) -> tuple[int, dict[str, Any]]:
    member = _member(request)
    data = payload.model_dump()
    chosen = data.pop("profile")
    connection, secret = services.create_connection(
        workspace=member.workspace,
        actor=member,
        profile=selectors.get_profile_for(member, chosen) if chosen else None,
        **data,
    )
    return 201, {**connection_out(connection), "webhook_secret": secret}


@router.get("/{connection_id}", response=ConnectionOut, summary="A data source and its status")
def connection_detail(request: HttpRequest, connection_id: str) -> dict[str, Any]:
    member = _member(request)
    return connection_out(selectors.get_connection_for(member, connection_id))


@router.patch("/{connection_id}", response=ConnectionOut, summary="Change a data source")
def connection_patch(
    request: HttpRequest, connection_id: str, payload: ConnectionPatch
) -> dict[str, Any]:
    member = _member(request)
    connection = selectors.get_connection_for(member, connection_id)
    changes = payload.model_dump(exclude_none=True)
    version = changes.pop("version", None)
    secrets = changes.pop("secrets", None)
    if "profile" in changes:
        changes["profile"] = selectors.get_profile_for(member, changes["profile"])
    updated = services.update_connection(
        connection=connection, actor=member, version=version, secrets=secrets, **changes
    )
    return connection_out(updated)


@router.delete("/{connection_id}", response={204: None}, summary="Delete a data source")
def connection_delete(
    request: HttpRequest, connection_id: str, version: int | None = None
) -> tuple[int, None]:
    member = _member(request)
    connection = selectors.get_connection_for(member, connection_id)
    check_version(connection, version)
    services.delete_connection(connection=connection, actor=member, version=version)
    return 204, None


@router.post(
    "/{connection_id}/test", response=CheckOut, summary="Check credentials and remote fields now"
)
def connection_test(request: HttpRequest, connection_id: str) -> dict[str, Any]:
    member = _member(request)
    connection = selectors.get_connection_for(member, connection_id)
    error = services.check_connection(connection=connection, http=None)
    if error is None:
        return {"ok": True, "code": "", "message": "", "field": None}
    return {"ok": False, "code": error.code, "message": error.message, "field": error.field}


@router.get(
    "/{connection_id}/mapping",
    response=SourceMappingOut,
    summary="The source's fields, a guessed mapping and the first rows (reads one page)",
)
def mapping_detail(request: HttpRequest, connection_id: str) -> Any:
    """A source that cannot be read answers 400 with the connector's code (``auth``,
    ``schema``…) and message."""
    member = _member(request)
    connection = selectors.get_connection_for(member, connection_id)
    try:
        got = sample(connection)
        mapping = connection.mapping or got.guess
        preview = mapped_preview(connection, got.head, mapping)
    except ConnectorError as exc:
        raise DomainError(exc.message, code=exc.code, field=exc.field) from exc
    return {
        "fields": got.fields,
        "guess": got.guess,
        "mapping": mapping,
        "profile": connection.profile.uuid if connection.profile else None,
        "preview": preview,
    }


@router.put(
    "/{connection_id}/mapping",
    response=ConnectionOut,
    summary="Read the source with a mapping profile (chosen, or a new one) and this mapping",
)
def mapping_save(request: HttpRequest, connection_id: str, payload: SourceMappingIn) -> Any:
    member = _member(request)
    connection = selectors.get_connection_for(member, connection_id)
    saved = services.save_mapping(
        connection=connection,
        actor=member,
        mapping=payload.mapping,
        date_order=payload.date_order,
        amount_style=payload.amount_style,
        profile=selectors.get_profile_for(member, payload.profile) if payload.profile else None,
        new_name=payload.name,
    )
    return connection_out(saved)


@router.get(
    "/{connection_id}/syncs", response=list[SyncRunOut], summary="A data source's latest syncs"
)
def sync_list(request: HttpRequest, connection_id: str) -> list[dict[str, Any]]:
    member = _member(request)
    connection = selectors.get_connection_for(member, connection_id)
    return [run_out(r) for r in selectors.status_of(connection, runs=50).runs]


@router.post(
    "/{connection_id}/syncs",
    response={202: SyncRunOut},
    summary="Start a sync (incremental, full or dry run); follow it on its own route",
)
def sync_start(
    request: HttpRequest, connection_id: str, payload: SyncIn
) -> tuple[int, dict[str, Any]]:
    member = _member(request)
    connection = selectors.get_connection_for(member, connection_id)
    run = services.start_sync(connection=connection, actor=member, mode=payload.mode)
    run.refresh_from_db()
    return 202, run_out(run)


@router.get(
    "/{connection_id}/syncs/{sync_id}", response=SyncRunOut, summary="One sync and its outcome"
)
def sync_detail(request: HttpRequest, connection_id: str, sync_id: str) -> dict[str, Any]:
    member = _member(request)
    connection = selectors.get_connection_for(member, connection_id)
    return run_out(selectors.get_run_for(member, connection, sync_id))
