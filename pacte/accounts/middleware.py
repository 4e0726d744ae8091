"""Resolves ``request.member``: the logged-in user's membership in their current workspace."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils import translation

from pacte.accounts.models import Membership


def resolve_member(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    from pacte.accounts.sessions import confined_workspace_id

    # The signed-in person's memberships across workspaces: which workspace this request is in.
    memberships = Membership.objects.select_related("workspace", "user").filter(
        user=user, is_active=True, is_pending=False
    )
    confined = confined_workspace_id(request)
    if confined is not None:
        memberships = memberships.filter(workspace_id=confined)
    current_id = getattr(user, "current_workspace_id", None)
    member = None
    if current_id is not None:
        member = memberships.filter(workspace_id=current_id).first()
    return member or memberships.order_by("workspace__name").first()


class MemberMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = resolve_member(request)  # type: ignore[attr-defined]
        user = request.user
        language = getattr(user, "language", "") if user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        member = request.member  # type: ignore[attr-defined]
        if member is not None and member.is_partner and not _partner_allowed(request):
            response = _not_found(request)
        else:
            response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


def _partner_allowed(request: HttpRequest) -> bool:
    """A partner's person opens their partner pages and their own login's pages only."""
    from pacte.accounts.access import partner_may_call, partner_may_open

    if partner_may_call(request.path_info):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True  # not found anyway
    return partner_may_open(match.view_name)


def _not_found(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": "Not found."}, status=404)
    return render(request, "404.html", status=404)
