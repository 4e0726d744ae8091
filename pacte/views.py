"""Pages of the whole site: the home page (it gathers what every app has waiting for the
member), error pages and the favicon."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_safe

from pacte.accounts.decorators import MemberRequest, member_required


@require_GET
@member_required()
def home(request: MemberRequest) -> HttpResponse:
    return render(request, "home.html", {})


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
