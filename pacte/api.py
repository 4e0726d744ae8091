"""The REST API at ``/api/v1/``: one NinjaAPI, a router per app, JSON errors with stable codes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation

from pacte.api_auth import SessionMember, TokenMember
from pacte.errors import DomainError


class PacteAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Short, stable operation ids: ``<app>_<handler>`` (``insights_attainment``,
        ``sales_import_cancel``), the handler's own app prefix not repeated. Clients generated
        from the OpenAPI document name their methods after these."""
        return operation_id(operation.view_func.__module__, operation.view_func.__name__)


def operation_id(module: str, name: str) -> str:
    app = module.split(".")[1] if module.startswith("pacte.") else module.split(".")[0]
    return name if name.startswith(app + "_") else f"{app}_{name}"


api = PacteAPI(
    title="Pacte API",
    version="1",
    description=(
        "Everything the pages do. Every endpoint here accepts both ways of authenticating, "
        "listed under each operation's security: the browser session (`SessionMember`; unsafe "
        "methods need the CSRF token) and a personal token (`TokenMember`: "
        "`Authorization: Bearer pacte_…`, created on your account page), each acting as its "
        "member in its workspace. Sign-in settings (`/sign-in…`) need an admin or executive. "
        'Errors are JSON: `{"code": …, "message": …}`.'
    ),
    auth=[TokenMember(), SessionMember()],
    docs_decorator=login_required,
    urls_namespace="api",
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, **extra: object
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    extra: dict[str, object] = {}
    if exc.field:
        extra["field"] = exc.field
    if exc.details is not None:
        extra["details"] = exc.details
    return _error(request, exc.status, exc.code, exc.message, **extra)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "Not found.")


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorized", "Log in or send a valid bearer token.")


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _error(request, 422, "validation_error", "The request is not valid.", errors=exc.errors)


@api.exception_handler(DataError)
def out_of_range(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value the database cannot store (a number beyond its column's range): bad input."""
    return _error(request, 400, "out_of_range", str(_("A number in the request is out of range.")))


@api.exception_handler(OverflowError)
def overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    return _error(request, 400, "out_of_range", str(_("A number in the request is out of range.")))


@api.exception_handler(RequestDataTooBig)
def request_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(
        request,
        413,
        "request_too_large",
        str(
            _("The request body is larger than the limit (%(limit)s).")
            % {"limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
        ),
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


def _register() -> None:
    from pacte.accounts.api import router as accounts_router
    from pacte.audit.api import router as audit_router
    from pacte.insights.api import router as insights_router
    from pacte.jobs.api import router as jobs_router
    from pacte.objectives.api import router as objectives_router
    from pacte.org.api import router as org_router
    from pacte.planning.api import router as planning_router
    from pacte.planning.moves_api import router as moves_router
    from pacte.sales.api import router as sales_router
    from pacte.sources.api import router as sources_router
    from pacte.webhooks.api import router as webhooks_router

    api.add_router("", accounts_router)
    api.add_router("", org_router)
    api.add_router("/audit", audit_router)
    api.add_router("/sales", sales_router)
    api.add_router("/targets", planning_router)
    api.add_router("/targets", moves_router)
    api.add_router("/objectives", objectives_router)
    api.add_router("/insights", insights_router)
    api.add_router("/jobs", jobs_router)
    api.add_router("/webhooks", webhooks_router)
    api.add_router("/sources", sources_router)


_register()
