"""The schedules page: when digests, reminders and snapshots run, their last and next run."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pacte.accounts.access import ADMIN_ROLES, get_scoped
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError
from pacte.jobs import selectors, services, work
from pacte.jobs.forms import ScheduleForm
from pacte.jobs.labels import outcome_label
from pacte.jobs.models import BackgroundJob


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def schedules(request: MemberRequest) -> HttpResponse:
    workspace = request.member.workspace
    rows = selectors.schedules_of(workspace)
    posted = request.POST.get("kind") if request.method == "POST" else None
    items = []
    for row in rows:
        s = row.schedule
        initial = {
            "version": s.version,
            "enabled": s.enabled,
            "weekday": s.weekday,
            "day": s.day,
            "at": datetime.time(s.hour, s.minute),
        }
        data = request.POST if posted == s.kind else None
        form = ScheduleForm(data, initial=initial, kind=row.kind, prefix=s.kind)
        if data is not None and form.is_valid():
            try:
                services.update_schedule(
                    workspace=workspace,
                    actor=request.member,
                    kind=s.kind,
                    version=form.cleaned_data["version"],
                    **form.changes(),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("jobs:schedules")
        last = row.last_run
        items.append(
            {
                "row": row,
                "form": form,
                "outcome": outcome_label(last.message_code) if last and last.message_code else "",
            }
        )
    return render(request, "jobs/schedules.html", {"items": items, "workspace": workspace})


def _result_link(job: BackgroundJob) -> tuple[str, str] | None:
    """Where the finished job's result is: (url, label)."""
    from django.urls import reverse

    if job.status != "done":
        return None
    if job.kind in ("cascade", "publish", "rerun") and job.result.get("run"):
        return reverse("planning:run", args=[job.result["run"]]), _("See the run")
    if job.kind == "rule_change":
        return reverse("sales:rules"), _("See the rules")
    return None


@require_GET
@member_required(*ADMIN_ROLES)
def job(request: MemberRequest, uuid: str) -> HttpResponse:
    """A queued rule change or cascade run: its progress (polled), then its outcome."""
    found = get_scoped(
        BackgroundJob.objects.for_workspace(request.member.workspace).select_related("created_by"),
        uuid,
    )
    context = {
        "job": found,
        "label": work.WORK[found.kind].label if found.kind in work.WORK else found.kind,
        "message": work.message_of(found),
        "link": _result_link(found),
    }
    template = "jobs/job.html#progress" if request.htmx else "jobs/job.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@member_required(*ADMIN_ROLES)
def jobs(request: MemberRequest) -> HttpResponse:
    """The workspace's background work, newest first: what, who, when, how it ended."""
    qs = (
        BackgroundJob.objects.for_workspace(request.member.workspace)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "job": job,
            "label": work.WORK[job.kind].label if job.kind in work.WORK else job.kind,
            "message": work.message_of(job) if job.status == "failed" else "",
        }
        for job in page
    ]
    return render(request, "jobs/jobs.html", {"page": page, "rows": rows})
