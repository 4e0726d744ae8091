"""Two-factor pages: the second step of a password sign-in, sign-in with a passkey alone, and
the person's own two-factor settings (authenticator app, passkeys, recovery codes)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pacte.accounts import mfa, throttle
from pacte.accounts.access import get_scoped
from pacte.accounts.models import SecondFactor, User
from pacte.accounts.sessions import Method
from pacte.errors import DomainError

PENDING = "pacte_mfa_pending"
NEW_CODES = "pacte_mfa_new_codes"
MFA_OK = "pacte_mfa_ok"
PENDING_SECONDS = 300
BACKEND = "django.contrib.auth.backends.ModelBackend"


def begin_second_step(request: HttpRequest, user: Any, next_url: str) -> HttpResponse | None:
    """After a right password: when the person has a second factor, ask for it before
    signing them in."""
    if not mfa.has_second_factor(user):
        return None
    request.session[PENDING] = {"user": user.pk, "at": time.time(), "next": next_url or ""}
    return redirect("accounts:login_verify")


def _pending_user(request: HttpRequest) -> tuple[User | None, str]:
    pending = request.session.get(PENDING) or {}
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None, ""
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    return user, str(pending.get("next") or "")


def _sign_in(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    from pacte.accounts.views import after_sign_in

    request.session.pop(PENDING, None)
    auth_login(request, user, backend=BACKEND)
    request.session[MFA_OK] = True
    if not next_url or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        next_url = "/"
    return after_sign_in(request, user, redirect(next_url), method=Method.PASSWORD)


@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    user, next_url = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in again."))
        return redirect("accounts:login")
    error = ""
    if request.method == "POST":
        try:
            attempt = throttle.begin(
                email="second-factor:" + user.email,
                address=request.META.get("REMOTE_ADDR", ""),
            )
        except throttle.Throttled as exc:
            error = _(
                "Too many failed attempts for this address. Wait %(minutes)s minutes and try again."
            ) % {"minutes": exc.minutes}
        else:
            if mfa.verify_code(user, request.POST.get("code", "")):
                attempt.succeeded()
                return _sign_in(request, user, next_url)
            error = _("This code is not valid (a code is accepted once).")
    return render(
        request,
        "accounts/login_verify.html",
        {
            "error": error,
            "has_passkey": user.second_factors.filter(kind="passkey").exists(),
        },
        status=400 if error else 200,
    )


@require_POST
def login_verify_passkey_options(request: HttpRequest) -> HttpResponse:
    user, _next = _pending_user(request)
    if user is None:
        return JsonResponse({"error": _("Sign in again.")}, status=400)
    return HttpResponse(
        mfa.passkey_authentication_options(request, user), content_type="application/json"
    )


@require_POST
def login_verify_passkey(request: HttpRequest) -> HttpResponse:
    user, next_url = _pending_user(request)
    if user is None:
        return JsonResponse({"error": _("Sign in again.")}, status=400)
    try:
        mfa.passkey_authenticate(request, request.body.decode(), user)
    except DomainError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    response = _sign_in(request, user, next_url)
    return JsonResponse({"next": response.get("Location", "/")})


@require_POST
def passkey_login_options(request: HttpRequest) -> HttpResponse:
    """Sign-in with a passkey alone (no password): any passkey registered on this site."""
    return HttpResponse(
        mfa.passkey_authentication_options(request, None), content_type="application/json"
    )


@require_POST
def passkey_login(request: HttpRequest) -> HttpResponse:
    try:
        user = mfa.passkey_authenticate(request, request.body.decode(), None)
    except DomainError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    next_url = request.GET.get("next", "")
    response = _sign_in(request, user, next_url)
    return JsonResponse({"next": response.get("Location", "/")})


@require_http_methods(["GET", "POST"])
@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The person's second factors."""
    user: User = request.user  # type: ignore[assignment]
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "totp":
                codes = mfa.totp_confirm(
                    request, user, request.POST.get("code", ""), request.POST.get("name", "")
                )
                request.session[MFA_OK] = True
                request.session[NEW_CODES] = codes
                messages.success(request, _("Your authenticator app is added."))
                return redirect("accounts:security")
            if action == "recovery":
                request.session[NEW_CODES] = mfa.new_recovery_codes(user)
                return redirect("accounts:security")
            if action == "remove":
                factor = get_scoped(
                    SecondFactor.objects.filter(user=user), request.POST.get("factor")
                )
                mfa.remove_factor(user=user, factor=factor, actor=getattr(request, "member", None))
                messages.success(request, _("Removed."))
                return redirect("accounts:security")
        except DomainError as exc:
            error = exc.message
    secret, qr = mfa.totp_begin(request, user)
    return render(
        request,
        "accounts/security.html",
        {
            "factors": mfa.factors(user),
            "secret": secret,
            "qr": qr,
            "error": error,
            "new_codes": request.session.pop(NEW_CODES, None),
            "has_factor": mfa.has_second_factor(user),
        },
        status=400 if error else 200,
    )


@require_POST
@login_required
def passkey_add_options(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        mfa.passkey_registration_options(request, request.user),  # type: ignore[arg-type]
        content_type="application/json",
    )


@require_POST
@login_required
def passkey_add(request: HttpRequest) -> HttpResponse:
    try:
        codes = mfa.passkey_register(
            request,
            request.user,  # type: ignore[arg-type]
            request.body.decode(),
            request.GET.get("name", ""),
        )
    except DomainError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    request.session[MFA_OK] = True
    request.session[NEW_CODES] = codes
    return JsonResponse({"next": "/account/2fa/"})
