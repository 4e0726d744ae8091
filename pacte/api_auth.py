"""API authentication: the browser session (with CSRF) or a personal bearer token."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from pacte.accounts.access import partner_may_call
from pacte.accounts.middleware import resolve_member
from pacte.accounts.models import Membership
from pacte.accounts.services import member_for_token


class SessionMember(APIKeyCookie):
    """The logged-in browser session; unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        member = getattr(request, "member", None) or resolve_member(request)
        if member is not None:
            _confine_partner(request, member)
            request.member = member  # type: ignore[attr-defined]
        return member


class TokenMember(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        member = member_for_token(token)
        if member is not None:
            _confine_partner(request, member)
            request.member = member  # type: ignore[attr-defined]
        return member


def _confine_partner(request: HttpRequest, member: Membership) -> None:
    """A partner's person calls their own organisation's routes only: any other is not found."""
    if member.is_partner and not partner_may_call(request.path_info):
        raise Http404


def request_member(request: HttpRequest) -> Membership:
    """The member an API handler acts for (set by the authentication classes above)."""
    return request.member  # type: ignore[attr-defined]
