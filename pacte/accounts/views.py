"""Login, personal settings (language, workspace, API tokens) and the health check."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte import cache_backend
from pacte.accounts import invitations, mfa_views, services, signin, sso
from pacte.accounts.access import ADMIN_ROLES, get_scoped
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.forms import LanguageForm, ThrottledLoginForm, TokenForm, WorkspaceForm
from pacte.accounts.models import ApiToken, IdentityProvider, ProviderKind
from pacte.accounts.sessions import (
    Method,
    confined_workspace_id,
    end_all_sessions,
    mark_signed_in,
    signed_in_with,
)
from pacte.errors import DomainError
from pacte.jobs.health import jobs_health


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider whose e-mail domains include this address's domain."""
    domain = email.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    for provider in IdentityProvider.objects.filter(
        is_enabled=True, email_domains__icontains=domain
    ).select_related("workspace"):
        if domain in provider.domains:
            return provider
    return None


class LoginView(auth_views.LoginView):
    """E-mail and password, or “Continue with single sign-on”: the address's domain picks the
    workspace's identity provider (``/sso/<workspace>/`` is the direct way in)."""

    template_name = "accounts/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if "sso" in request.POST:
            email = (request.POST.get("username") or "").strip().lower()
            provider = provider_for_email(email)
            if provider is not None:
                query = urlencode({"next": self.get_redirect_url() or "", "login_hint": email})
                return go_to(
                    request,
                    reverse("sso:start", args=[provider.workspace.slug]) + "?" + query,
                    title=provider.display_name,
                )
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                _("No company sign-in is set up for this address. Log in with your password."),
            )
            return self.form_invalid(form)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        pending = mfa_views.begin_second_step(self.request, user, self.get_redirect_url())
        if pending is not None:
            return pending
        response = super().form_valid(form)
        return after_sign_in(self.request, user, response, method=Method.PASSWORD)


login = LoginView.as_view()


def after_sign_in(
    request: HttpRequest, user: Any, response: HttpResponse, *, method: str, from_sso: bool = False
) -> HttpResponse:
    """Clocks started, break-glass use audited, a workspace chosen when there are several
    (after single sign-on the person lands in the provider's workspace)."""
    mark_signed_in(request, method=method)
    if method != Method.SSO:
        signin.record_password_login(user=user, address=request.META.get("REMOTE_ADDR", ""))
    if not from_sso and len(services.active_memberships(user)) > 1:
        next_url = response.get("Location", "/")
        return redirect(reverse("accounts:choose_workspace") + "?" + urlencode({"next": next_url}))
    return response


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Signs out here, then at the identity provider when the person came through single
    sign-on and the provider offers it: OpenID Connect RP-initiated logout, or a signed SAML
    LogoutRequest to the provider's Single Logout service."""
    target = reverse("accounts:login")
    member = getattr(request, "member", None)
    if member is not None and signed_in_with(request) == Method.SSO:
        provider = (
            IdentityProvider.objects.for_workspace(member.workspace).filter(is_enabled=True).first()
        )
        if provider is not None and provider.kind == ProviderKind.OIDC:
            target = (
                sso.oidc_logout_url(request, provider, request.session.get(sso.ID_TOKEN, ""))
                or target
            )
        elif provider is not None and provider.kind == ProviderKind.SAML:
            target = sso.saml_logout_url(request, provider) or target
    auth_logout(request)
    if target.startswith(("http://", "https://")):
        return go_to(request, target, title=_("Signing you out"))
    return redirect(target)


def go_to(request: HttpRequest, target: str, *, title: str) -> HttpResponse:
    """A page that moves on to ``target``: a form's redirect to another site would be stopped
    by the form-action rule of the Content-Security-Policy; a followed link is not."""
    return render(request, "accounts/sso_go.html", {"target": target, "title": title})


@require_GET
@login_required
def choose_workspace(request: HttpRequest) -> HttpResponse:
    """A person in several workspaces picks one after signing in."""
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return render(
        request,
        "accounts/choose_workspace.html",
        {
            "memberships": services.active_memberships(
                request.user,  # type: ignore[arg-type]
                only_workspace_id=confined_workspace_id(request),
            ),
            "next": next_url,
        },
    )


@require_POST
@login_required
def end_sessions(request: HttpRequest) -> HttpResponse:
    """Sign out everywhere: every session of the person, this one included."""
    end_all_sessions(
        user=request.user,  # type: ignore[arg-type]
        actor=getattr(request, "member", None),
        reason="signed_out_everywhere",
    )
    auth_logout(request)
    messages.success(request, _("You are signed out on every device."))
    return redirect("accounts:login")


password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html",
    success_url=reverse_lazy("accounts:password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:
        database = "unavailable"
    cache = cache_backend.health()  # pages still work without it: not a reason for a 503
    jobs, jobs_ok = jobs_health() if database == "ok" else ({"status": "unavailable"}, False)
    status = 200 if database == "ok" and jobs_ok else 503
    if request.GET.get("scope") == "web":
        # For a load balancer: this web process can serve (the queue is judged elsewhere).
        status = 200 if database == "ok" else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 and cache == "ok" else "degraded",
            "database": database,
            "engine": connection.vendor,
            "cache": cache,
            "jobs": jobs,
        },
        status=status,
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; stored on the user when logged in, in a cookie otherwise."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            services.set_language(user=request.user, language=language)
        translation.activate(language)
        response.set_cookie("django_language", language, samesite="Lax", httponly=True)
    return response


@require_http_methods(["GET", "POST"])
@member_required()
def account(request: MemberRequest) -> HttpResponse:
    member = request.member
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_secret = services.create_api_token(
                member=member, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            form.add_error("name", exc.message)
        else:
            form = TokenForm()
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "new_secret": new_secret,
            "tokens": member.tokens.order_by("-created_at"),
            "invitations": invitations.pending_for(request.user),  # type: ignore[arg-type]
            "memberships": services.active_memberships(
                request.user,  # type: ignore[arg-type]
                only_workspace_id=confined_workspace_id(request),
            ),
        },
    )


@require_POST
@member_required()
def token_revoke(request: MemberRequest, uuid: str) -> HttpResponse:
    token = get_scoped(ApiToken.objects.filter(membership=request.member), uuid)
    services.revoke_api_token(token=token, actor=request.member)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("accounts:account")


@require_POST
@login_required
def switch_workspace(request: HttpRequest) -> HttpResponse:
    try:
        member = services.switch_workspace(
            user=request.user,  # type: ignore[arg-type]
            workspace_uuid=request.POST.get("workspace"),
            only_workspace_id=confined_workspace_id(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You are now in %(name)s.") % {"name": member.workspace})
    next_url = request.POST.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("home")


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def workspace_settings(request: MemberRequest) -> HttpResponse:
    """Workspace set-up for admins and executives (audited through the service)."""
    workspace = request.member.workspace
    fields = (
        "name",
        "language",
        "fiscal_year_start_month",
        "rounding_unit",
        "leaderboard_enabled",
        "time_zone",
    )
    form = WorkspaceForm(request.POST or None, initial={f: getattr(workspace, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_workspace(
                workspace=workspace, actor=request.member, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("accounts:workspace_settings")
    return render(
        request, "accounts/workspace_settings.html", {"form": form, "workspace": workspace}
    )
