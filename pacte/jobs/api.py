from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import LimitOffsetPagination, paginate

from pacte.accounts.access import ADMIN_ROLES, get_scoped, require_role
from pacte.accounts.models import Membership
from pacte.api_auth import request_member
from pacte.api_pagination import Mapped
from pacte.jobs import selectors, services, work
from pacte.jobs.labels import outcome_label
from pacte.jobs.models import BackgroundJob, Schedule
from pacte.jobs.schemas import JobOut, ScheduleOut, SchedulePatch

router = Router(tags=["schedules"])


def _admin(request: HttpRequest) -> Membership:
    member = request_member(request)
    require_role(member, *ADMIN_ROLES)
    return member


def _out(row: selectors.ScheduleRow) -> dict[str, Any]:
    s, last = row.schedule, row.last_run
    return {
        "uuid": s.uuid,
        "kind": s.kind,
        "label": str(row.kind.label),
        "every": row.kind.every,
        "enabled": s.enabled,
        "weekday": s.weekday,
        "day": s.day,
        "hour": s.hour,
        "minute": s.minute,
        "time_zone": s.workspace.time_zone,
        "version": s.version,
        "next_run": row.next_run,
        "last_run": None
        if last is None
        else {
            "due_at": last.due_at,
            "status": last.status,
            "status_label": str(last.get_status_display()),
            "count": last.count,
            "message_code": last.message_code,
            "message": outcome_label(last.message_code) if last.message_code else "",
            "finished_at": last.finished_at,
        },
    }


@router.get("/schedules", response=list[ScheduleOut], summary="The workspace's schedules")
def schedule_list(request: HttpRequest) -> list[dict[str, Any]]:
    member = _admin(request)
    return [_out(row) for row in selectors.schedules_of(member.workspace)]


@router.patch(
    "/schedules/{schedule_id}", response=ScheduleOut, summary="Change when a schedule runs"
)
def schedule_patch(
    request: HttpRequest, schedule_id: str, payload: SchedulePatch
) -> dict[str, Any]:
    member = _admin(request)
    # A data source's schedule (a target) is changed with its data source, not here.
    schedule = get_scoped(
        Schedule.objects.for_workspace(member.workspace).filter(target=""), schedule_id
    )
    changes = payload.model_dump(exclude_none=True)
    version = changes.pop("version", None)
    services.update_schedule(
        workspace=member.workspace,
        actor=member,
        kind=schedule.kind,
        target=schedule.target,
        version=version,
        **changes,
    )
    rows = selectors.schedules_of(member.workspace)
    return _out(next(r for r in rows if r.schedule.pk == schedule.pk))


@router.get(
    "/work",
    response=list[JobOut],
    summary="The workspace's background work, newest first (admins)",
)
@paginate(LimitOffsetPagination)
def job_list(request: HttpRequest) -> list[dict[str, Any]]:
    member = _admin(request)
    qs = (
        BackgroundJob.objects.for_workspace(member.workspace)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )
    return Mapped(qs, work.job_out)  # type: ignore[return-value]


@router.get(
    "/work/{job_id}",
    response=JobOut,
    url_name="job_detail",
    summary="Queued work (a rule change, a run, a publication): its status and result (admins)",
)
def job_detail(request: HttpRequest, job_id: str) -> dict[str, Any]:
    member = _admin(request)
    job = get_scoped(
        BackgroundJob.objects.for_workspace(member.workspace).select_related(
            "workspace", "created_by"
        ),
        job_id,
    )
    return work.job_out(job)
