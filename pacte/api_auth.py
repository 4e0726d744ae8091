"""API authentication: the browser session (with CSRF) or a personal bearer token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

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
            request.member = member  # type: ignore[attr-defined]
        return member


class TokenMember(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        member = member_for_token(token)
        if member is not None:
            request.member = member  # type: ignore[attr-defined]
        return member


def request_member(request: HttpRequest) -> Membership:
    """The member an API handler acts for (set by the authentication classes above)."""
    return request.member  # type: ignore[attr-defined]
