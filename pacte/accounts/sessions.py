"""Sessions: how a person signed in, the workspace's lifetime and idle timeout, sign-out
everywhere.

Sign-out everywhere bumps ``User.session_generation``, which is part of the hash Django checks
on every request (``User.get_session_auth_hash``): every session of the person, on every
server and whatever the session store, stops at its next request. Deactivating a member does
the same.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.db.models import F, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from pacte.accounts.models import Membership, SignInSettings, User

AUTH_AT = "pacte_auth_at"
AUTH_METHOD = "pacte_auth_method"
#: A single sign-on session opens only the workspace whose provider vouched for the person.
SSO_WORKSPACE = "pacte_sso_workspace"
SEEN_AT = "pacte_seen_at"
#: How often the idle clock is written to the session (not at every request).
SEEN_RESOLUTION = datetime.timedelta(seconds=60)


class Method:
    PASSWORD = "password"
    SSO = "sso"
    PASSKEY = "passkey"


def mark_signed_in(request: HttpRequest, *, method: str) -> None:
    """Call right after ``django.contrib.auth.login``: the clocks of lifetime and idle time."""
    now = timezone.now().isoformat()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    request.session[AUTH_METHOD] = method


def confined_workspace_id(request: HttpRequest) -> int | None:
    """The only workspace this session may open (single sign-on), or None (any of the
    person's workspaces). An identity provider speaks for its own workspace only: it must not
    open another company's workspace that happens to share the login."""
    session = getattr(request, "session", None)
    value = session.get(SSO_WORKSPACE) if session is not None else None
    return int(value) if value is not None else None


def signed_in_with(request: HttpRequest) -> str:
    return str(request.session.get(AUTH_METHOD, Method.PASSWORD))


@transaction.atomic
def end_all_sessions(*, user: User, actor: Membership | None, reason: str) -> None:
    """Every session of ``user`` ends at its next request (this one's too)."""
    from pacte.audit.services import record

    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    # Not in workspaces the person has not joined yet (a pending invitation): nothing of
    # their account shows there.
    for member in Membership.objects.filter(user=user, is_pending=False).select_related(
        "workspace"
    ):
        record(
            workspace=member.workspace,
            actor=actor,
            action="sessions.ended",
            obj=member,
            after={"reason": reason},
        )


def limits_for(user: User) -> tuple[datetime.timedelta | None, datetime.timedelta | None]:
    """The strictest lifetime and idle timeout among the person's active workspaces."""
    # Across the person's workspaces (the strictest one wins), before any workspace is chosen.
    row = SignInSettings.objects.filter(
        workspace__memberships__user=user,
        workspace__memberships__is_active=True,
        workspace__memberships__is_pending=False,
    ).aggregate(
        lifetime=Min("session_lifetime_hours"),
        idle=Min("idle_timeout_minutes", filter=Q(idle_timeout_minutes__gt=0)),
    )
    lifetime = datetime.timedelta(hours=row["lifetime"]) if row["lifetime"] else None
    idle = datetime.timedelta(minutes=row["idle"]) if row["idle"] else None
    return lifetime, idle


def _parse(value: object) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None


class SessionPolicyMiddleware:
    """Ends a session past its workspace's lifetime or idle timeout, with a message."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and AUTH_AT in request.session:
            expired = self._expired(request, user)
            if expired:
                logout(request)
                messages.info(request, expired)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = "/account/login/"
                    return response
                return redirect("accounts:login")
            if self._needs_second_factor(request):
                messages.warning(
                    request,
                    _(
                        "Your workspace requires a second factor for admins and executives: add one."
                    ),
                )
                return redirect("accounts:security")
        return self.get_response(request)

    #: Pages a person who must add a second factor may still open.
    OPEN_PATHS = ("/account/2fa/", "/account/logout/", "/account/language/", "/static/")

    def _needs_second_factor(self, request: HttpRequest) -> bool:
        """A password sign-in of an admin or executive whose workspace requires two factors,
        who has none yet (single sign-on leaves that step to the company's provider)."""
        from pacte.accounts import mfa

        member = getattr(request, "member", None)
        if member is None or request.session.get("pacte_mfa_ok"):
            return False
        if signed_in_with(request) == Method.SSO or request.path.startswith(self.OPEN_PATHS):
            return False
        if not mfa.second_factor_required(member):
            return False
        if mfa.has_second_factor(member.user):
            request.session["pacte_mfa_ok"] = True
            return False
        return True

    def _expired(self, request: HttpRequest, user: User) -> str | None:
        now = timezone.now()
        lifetime, idle = limits_for(user)
        auth_at = _parse(request.session.get(AUTH_AT))
        seen_at = _parse(request.session.get(SEEN_AT))
        if lifetime and auth_at and now - auth_at > lifetime:
            return _("Your session has reached its time limit. Sign in again.")
        if idle and seen_at and now - seen_at > idle:
            return _("You were signed out after a period of inactivity. Sign in again.")
        if seen_at is None or now - seen_at > SEEN_RESOLUTION:
            request.session[SEEN_AT] = now.isoformat()
        return None
