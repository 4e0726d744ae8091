"""Login, personal settings (language, workspace, API tokens) and the health check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte import cache_backend
from pacte.accounts import services
from pacte.accounts.access import ADMIN_ROLES, get_scoped
from pacte.accounts.decorators import MemberRequest, member_required
from pacte.accounts.forms import LanguageForm, ThrottledLoginForm, TokenForm, WorkspaceForm
from pacte.accounts.models import ApiToken
from pacte.errors import DomainError

login = auth_views.LoginView.as_view(
    template_name="accounts/login.html",
    authentication_form=ThrottledLoginForm,
    redirect_authenticated_user=True,
)
logout = auth_views.LogoutView.as_view()
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
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 and cache == "ok" else "degraded",
            "database": database,
            "engine": connection.vendor,
            "cache": cache,
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
            "memberships": services.active_memberships(request.user),  # type: ignore[arg-type]
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
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You are now in %(name)s.") % {"name": member.workspace})
    return redirect("home")


@require_http_methods(["GET", "POST"])
@member_required(*ADMIN_ROLES)
def workspace_settings(request: MemberRequest) -> HttpResponse:
    """Workspace set-up for admins and executives (audited through the service)."""
    workspace = request.member.workspace
    fields = ("name", "language", "fiscal_year_start_month", "rounding_unit", "leaderboard_enabled")
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
