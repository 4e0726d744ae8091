"""The schedules page: when digests, reminders and snapshots run, their last and next run."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pacte.accounts.access import ADMIN_ROLES
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.errors import DomainError
from pacte.jobs import selectors, services
from pacte.jobs.forms import ScheduleForm
from pacte.jobs.labels import outcome_label


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
