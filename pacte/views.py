"""Pages of the whole site: the home page (it gathers what every app has waiting for the
member), error pages and the favicon."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_safe

from pacte.accounts.decorators import MemberRequest, member_required
from pacte.objectives.models import Status
from pacte.objectives.selectors import waiting_for


@require_GET
@member_required()
def home(request: MemberRequest) -> HttpResponse:
    """What waits for the member: decisions, unread notifications, their own objective and
    check-in, their team's or the company's missing proposals and check-ins (a fixed number of
    queries, see ``waiting_for``). A partner's person has their partner page instead."""
    if request.member.is_partner:
        return HttpResponseRedirect(reverse("partner:home"))
    waiting = waiting_for(request.member)
    own_status = Status(waiting.own_status).label if waiting.own_status else None
    return render(request, "home.html", {"waiting": waiting, "own_status_label": own_status})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, asked for by browsers and feed readers that ignore the page's icon link:
    a redirect to the SVG icon (its static URL carries the file's hash in production)."""
    response = HttpResponseRedirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
