from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from pacte.accounts.access import ADMIN_ROLES
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.models import Membership
from pacte.audit.forms import AuditFilterForm
from pacte.audit.labels import action_label
from pacte.audit.selectors import filter_events


@require_GET
@member_required(*ADMIN_ROLES)
def events(request: MemberRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    cleaned = form.cleaned_data if form.is_valid() else {}
    qs = filter_events(request.member, **{k: v for k, v in cleaned.items() if v})
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.label = action_label(event.action)  # type: ignore[attr-defined]
    people = Membership.objects.for_workspace(request.member.workspace).order_by("name")
    template = "audit/events.html#results" if request.htmx else "audit/events.html"
    response = render(request, template, {"form": form, "page": page, "people": people})
    patch_vary_headers(response, ["HX-Request"])
    return response
