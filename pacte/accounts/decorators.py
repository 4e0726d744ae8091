"""View decorators: a logged-in member of a workspace, optionally with a role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from pacte.accounts.models import Membership
from pacte.errors import PermissionDenied

View = Callable[..., HttpResponse]


class MemberRequest(HttpRequest):
    """A request from a logged-in user with an active membership, through django-htmx's
    middleware (for type checkers)."""

    member: Membership
    htmx: HtmxDetails


def member_required(*roles: str) -> Callable[[View], View]:
    """Login required, a current workspace required, and one of ``roles`` if given (else 403)."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            member = getattr(request, "member", None)
            if member is None:
                return render(request, "accounts/no_workspace.html", status=403)
            if roles and not member.has_role(*roles):
                return render(request, "403.html", status=403)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return render(request, "403.html", {"message": exc.message}, status=403)

        return wrapped

    return decorator
