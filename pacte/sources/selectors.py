"""Reads of data sources: the scoped lookups (admins and executives only) and a connection's
status (last and next sync, recent runs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import Membership
from pacte.jobs.models import Schedule
from pacte.jobs.scheduler import next_slot
from pacte.sales.models import MappingProfile
from pacte.sources.models import Connection, SyncMode, SyncRun, SyncStatus


def connections_for(member: Membership) -> QuerySet[Connection]:
    """The workspace's data sources: admins and executives only (403 otherwise)."""
    require_role(member, *ADMIN_ROLES)
    return Connection.objects.for_workspace(member.workspace)


def get_connection_for(member: Membership, public_id: Any) -> Connection:
    return get_scoped(connections_for(member).select_related("workspace", "profile"), public_id)


def profiles_for(member: Membership) -> QuerySet[MappingProfile]:
    """The workspace's mapping profiles a data source may read with (the sales import's)."""
    require_role(member, *ADMIN_ROLES)
    return MappingProfile.objects.for_workspace(member.workspace).order_by("name")


def get_profile_for(member: Membership, public_id: Any) -> MappingProfile:
    return get_scoped(profiles_for(member), public_id)


def get_run_for(member: Membership, connection: Connection, public_id: Any) -> SyncRun:
    return get_scoped(
        SyncRun.objects.for_workspace(member.workspace).filter(connection=connection), public_id
    )


@dataclass
class Status:
    connection: Connection
    last: SyncRun | None
    last_success: SyncRun | None
    running: SyncRun | None
    next_at: datetime | None
    runs: list[SyncRun]


def status_of(connection: Connection, *, runs: int = 10) -> Status:
    recent = list(
        SyncRun.objects.for_workspace(connection.workspace_id)
        .filter(connection=connection)
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:runs]
    )
    real = [r for r in recent if r.mode != SyncMode.DRY_RUN]
    last = next((r for r in real if r.is_finished), None)
    success = next((r for r in real if r.status == SyncStatus.DONE), None)
    if success is None:
        success = (
            SyncRun.objects.for_workspace(connection.workspace_id)
            .filter(connection=connection, status=SyncStatus.DONE)
            .exclude(mode=SyncMode.DRY_RUN)
            .order_by("-finished_at")
            .first()
        )
    running = next((r for r in recent if not r.is_finished), None)
    schedule = (
        Schedule.objects.for_workspace(connection.workspace_id)
        .filter(target=str(connection.uuid))
        .select_related("workspace")
        .first()
    )
    next_at = next_slot(schedule, timezone.now()) if schedule else None
    return Status(connection, last, success, running, next_at, recent)


@dataclass
class Row:
    connection: Connection
    last_status: str | None
    last_finished_at: datetime | None
    next_at: datetime | None


def connection_rows(member: Membership) -> list[Row]:
    """The list page: each data source with its last sync and next one, in three queries
    whatever their number."""
    last = (
        SyncRun.objects.filter(connection=OuterRef("pk"), finished_at__isnull=False)
        .exclude(mode=SyncMode.DRY_RUN)
        .order_by("-finished_at", "-pk")
    )
    connections = list(
        connections_for(member).annotate(
            last_status=Subquery(last.values("status")[:1]),
            last_finished_at=Subquery(last.values("finished_at")[:1]),
        )
    )
    schedules = {
        s.target: s
        for s in Schedule.objects.for_workspace(member.workspace)
        .filter(target__in=[str(c.uuid) for c in connections])
        .select_related("workspace")
    }
    now = timezone.now()
    rows = []
    for c in connections:
        schedule = schedules.get(str(c.uuid))
        rows.append(
            Row(
                connection=c,
                last_status=c.last_status,
                last_finished_at=c.last_finished_at,
                next_at=next_slot(schedule, now) if schedule else None,
            )
        )
    return rows
