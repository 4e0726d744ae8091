"""Single sign-on endpoints: ``/sso/<workspace>/`` starts, the provider comes back to the
OpenID Connect callback or the SAML assertion consumer service; SAML metadata is published."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pacte.accounts import sso
from pacte.accounts.models import IdentityProvider, ProviderKind

NEXT = "pacte_sso_next"


def _provider(slug: str, kind: str | None = None) -> IdentityProvider:
    provider = (
        # Signing in: the workspace is only known by the slug in the address.
        IdentityProvider.objects.select_related("workspace")
        .filter(workspace__slug=slug, is_enabled=True)
        .first()
    )
    if provider is None or (kind is not None and provider.kind != kind):
        raise Http404
    return provider


def _refusal(request: HttpRequest, provider: IdentityProvider, error: sso.SSOError) -> HttpResponse:
    sso.record_refusal(provider, error, address=request.META.get("REMOTE_ADDR", ""))
    return render(
        request,
        "accounts/sso_error.html",
        {"error": error, "provider": provider},
        status=error.status,
    )


def _finish(
    request: HttpRequest, provider: IdentityProvider, identity: sso.Identity
) -> HttpResponse:
    from pacte.accounts.sessions import Method
    from pacte.accounts.views import after_sign_in

    next_url = request.session.pop(NEXT, "") or "/"
    try:
        member = sso.complete(request, provider, identity)
    except sso.SSOError as error:
        return _refusal(request, provider, error)
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    return after_sign_in(request, member.user, response, method=Method.SSO, from_sso=True)


@require_GET
def start(request: HttpRequest, slug: str) -> HttpResponse:
    provider = _provider(slug)
    next_url = request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        request.session[NEXT] = next_url
    try:
        return redirect(sso.start(request, provider, login_hint=request.GET.get("login_hint", "")))
    except sso.SSOError as error:
        return _refusal(request, provider, error)


@require_GET
def oidc_callback(request: HttpRequest, slug: str) -> HttpResponse:
    provider = _provider(slug, ProviderKind.OIDC)
    try:
        identity = sso.oidc_finish(request, provider)
    except sso.SSOError as error:
        return _refusal(request, provider, error)
    return _finish(request, provider, identity)


@csrf_exempt
@require_POST
def saml_acs(request: HttpRequest, slug: str) -> HttpResponse:
    """The provider posts here from its own site, so the session cookie (SameSite=Lax) is not
    sent: the response is handed to ``saml_finish`` by a same-site form post from our page."""
    provider = _provider(slug, ProviderKind.SAML)
    return render(
        request,
        "accounts/sso_post.html",
        {"provider": provider, "saml_response": request.POST.get("SAMLResponse", "")},
    )


@csrf_exempt
@require_POST
def saml_finish(request: HttpRequest, slug: str) -> HttpResponse:
    provider = _provider(slug, ProviderKind.SAML)
    try:
        identity = sso.saml_finish(request, provider, request.POST.get("SAMLResponse", ""))
    except sso.SSOError as error:
        return _refusal(request, provider, error)
    return _finish(request, provider, identity)


@require_GET
def saml_metadata(request: HttpRequest, slug: str) -> HttpResponse:
    provider = _provider(slug, ProviderKind.SAML)
    try:
        xml = sso.sp_metadata(request, provider)
    except sso.SSOError as error:
        return _refusal(request, provider, error)
    return HttpResponse(xml, content_type="application/samlmetadata+xml")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def saml_slo(request: HttpRequest, slug: str) -> HttpResponse:
    """SAML Single Logout service (HTTP-Redirect and HTTP-POST): a LogoutRequest from the
    provider ends the person's sessions and is answered; a LogoutResponse ends our own
    sign-out. Nothing here relies on the session cookie (the provider's page sends the browser
    from another site)."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

    from pacte.accounts.views import go_to

    provider = _provider(slug, ProviderKind.SAML)
    data = request.GET if request.method == "GET" else request.POST
    binding = BINDING_HTTP_REDIRECT if request.method == "GET" else BINDING_HTTP_POST
    is_response = "SAMLResponse" in data
    message = data.get("SAMLResponse" if is_response else "SAMLRequest", "")
    if not message:
        raise Http404
    try:
        outcome = sso.saml_logout(
            request,
            provider,
            binding=binding,
            message=message,
            is_response=is_response,
            relay_state=data.get("RelayState"),
            sigalg=data.get("SigAlg"),
            signature=data.get("Signature"),
        )
    except sso.SSOError as error:
        return _refusal(request, provider, error)
    if outcome.redirect.startswith(("http://", "https://")):
        if request.method == "GET":
            return redirect(outcome.redirect)
        return go_to(request, outcome.redirect, title=_("Signing you out"))
    return redirect(outcome.redirect)
