"""The SCIM 2.0 endpoints at ``/scim/v2/``: the workspace is the one of the bearer token.

Anything of another workspace, or a malformed id, is 404; errors are SCIM error documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    EnterpriseUser,
    Error,
    Group,
    ResourceType,
    SCIMException,
    ServiceProviderConfig,
    User,
)
from scim2_models.exceptions import (
    InvalidSyntaxException,
    InvalidValueException,
    NotFoundException,
    UnauthorizedException,
)

from pacte.accounts import scim
from pacte.accounts.access import parse_uuid
from pacte.accounts.models import Membership, ScimGroup, ScimToken
from pacte.audit.services import acting_as
from pacte.errors import DomainError

CONTENT_TYPE = "application/scim+json"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data, default=str), status=status, content_type=CONTENT_TYPE)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _error(exc: SCIMException) -> HttpResponse:
    error = exc.to_error()
    return _json(error.model_dump(), status=int(error.status or 400))


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise InvalidSyntaxException(detail="The body is not JSON.") from None
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="The body must be a JSON object.")
    return data


def _validation_error(exc: ValidationError) -> SCIMException:
    errors = exc.errors()
    if errors:
        error = Error.from_validation_error(errors[0])
        return SCIMException.from_error(error)
    return InvalidValueException(detail=str(exc))


def _attributes(request: HttpRequest) -> dict[str, Any]:
    """``attributes`` and ``excludedAttributes`` of the query, read by scim2-models."""
    from scim2_models import ResponseParameters

    given = {
        key: request.GET[key]
        for key in ("attributes", "excludedAttributes")
        if request.GET.get(key)
    }
    if not given:
        return {}
    return {"response_parameters": ResponseParameters.model_validate(given)}


def _dump_user(doc: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    model = scim.ScimUserModel.model_validate(doc, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    return model.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, **_attributes(request))


def _dump_group(doc: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    model = Group.model_validate(doc, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    return model.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, **_attributes(request))


def _resource(
    request: HttpRequest, doc: dict[str, Any], status: int = 200, kind: str = "User"
) -> HttpResponse:
    dumped = _dump_user(doc, request) if kind == "User" else _dump_group(doc, request)
    headers = {"ETag": doc["meta"]["version"]}
    if status == 201:
        headers["Location"] = doc["meta"]["location"]
    return _json(dumped, status=status, headers=headers)


def _page(request: HttpRequest) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        try:
            return int(request.GET.get(name, default))
        except ValueError:
            raise InvalidValueException(detail=f"{name} must be a number.") from None

    start = max(number("startIndex", 1), 1)
    count = min(max(number("count", 100), 0), scim.MAX_COUNT)
    return start, count


def _list(request: HttpRequest, rows: Any, render: Callable[[Any], dict[str, Any]]) -> HttpResponse:
    start, count = _page(request)
    total = rows.count()
    page = list(rows[start - 1 : start - 1 + count]) if count else []
    resources = [render(row) for row in page]
    return _json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": len(resources),
            "startIndex": start,
            "Resources": resources,
        }
    )


def _authenticate(request: HttpRequest) -> ScimToken:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    token = scim.token_for(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise UnauthorizedException(detail="A valid SCIM bearer token is required.")
    return token


def _endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            token = _authenticate(request)
        except SCIMException as exc:
            response = _error(exc)
            response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
            return response
        request.scim_token = token  # type: ignore[attr-defined]
        try:
            with acting_as(f"SCIM ({token.name})"):
                return view(request, token, *args, **kwargs)
        except DomainError as exc:
            error: SCIMException = InvalidValueException(detail=exc.message)
            if exc.code == "duplicate_email":
                from scim2_models.exceptions import UniquenessException

                error = UniquenessException(detail=exc.message)
        except ValidationError as exc:
            error = _validation_error(exc)
        except SCIMException as exc:
            error = exc
        status = int(error.to_error().status or 400)
        if request.method not in ("GET", "HEAD"):  # a refused write, e.g. on another workspace
            scim.refused(
                token.workspace,
                method=request.method or "",
                path=request.path,
                status=status,
                detail=str(error.detail),
            )
        return _error(error)

    return wrapper


def _member(token: ScimToken, uuid: str) -> Membership:
    found = scim.scim_members(token.workspace).filter(uuid=_uuid(uuid)).first()
    if found is None:
        raise NotFoundException(detail=f"User {uuid} not found.")
    return found


def _group(token: ScimToken, uuid: str) -> ScimGroup:
    found = scim.scim_groups(token.workspace).filter(uuid=_uuid(uuid)).first()
    if found is None:
        raise NotFoundException(detail=f"Group {uuid} not found.")
    return found


def _uuid(value: str) -> Any:
    from django.http import Http404

    try:
        return parse_uuid(value)
    except Http404:
        raise NotFoundException(detail=f"{value} not found.") from None


# Discovery -------------------------------------------------------------------------------------


def _service_provider_config(base: str) -> dict[str, Any]:
    config = ServiceProviderConfig.model_validate(
        {
            "documentationUri": "https://github.com/pacte/pacte/blob/main/docs/sign-in.md",
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": scim.MAX_COUNT},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": True},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "The workspace's SCIM token, from its Sign-in page.",
                    "primary": True,
                }
            ],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": f"{base}/ServiceProviderConfig",
            },
        }
    )
    return config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _resource_types(base: str) -> list[dict[str, Any]]:
    out = []
    for model, name in ((User[EnterpriseUser], "User"), (Group, "Group")):
        rt = ResourceType.from_resource(model)
        data = rt.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        data["meta"] = {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{name}"}
        out.append(data)
    return out


def _schemas(base: str) -> list[dict[str, Any]]:
    out = []
    for model in (User, Group, EnterpriseUser):
        schema = model.to_schema()
        data = schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        data["meta"] = {"resourceType": "Schema", "location": f"{base}/Schemas/{data['id']}"}
        out.append(data)
    return out


def _listed(items: list[dict[str, Any]]) -> HttpResponse:
    return _json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(items),
            "itemsPerPage": len(items),
            "startIndex": 1,
            "Resources": items,
        }
    )


@_endpoint
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    _only(request, "GET")
    return _json(_service_provider_config(_base_url(request)))


@_endpoint
def resource_types(request: HttpRequest, token: ScimToken, name: str = "") -> HttpResponse:
    _only(request, "GET")
    items = _resource_types(_base_url(request))
    if name:
        for item in items:
            if item["id"] == name:
                return _json(item)
        raise NotFoundException(detail=f"Resource type {name} not found.")
    return _listed(items)


@_endpoint
def schemas(request: HttpRequest, token: ScimToken, schema_id: str = "") -> HttpResponse:
    _only(request, "GET")
    items = _schemas(_base_url(request))
    if schema_id:
        for item in items:
            if item["id"] == schema_id:
                return _json(item)
        raise NotFoundException(detail=f"Schema {schema_id} not found.")
    return _listed(items)


@_endpoint
def not_found(request: HttpRequest, token: ScimToken, rest: str = "") -> HttpResponse:
    raise NotFoundException(detail="No such SCIM endpoint.")


def _only(request: HttpRequest, *methods: str) -> None:
    if request.method not in methods:
        raise _MethodNotAllowed()


class _MethodNotAllowed(SCIMException):
    status = 405
    _default_detail = "Method not allowed."


def _search(
    request: HttpRequest,
    token: ScimToken,
    rows: Any,
    model: Any,
    fields: dict[str, tuple[str, bool]],
    render: Callable[[Any], dict[str, Any]],
) -> HttpResponse:
    """POST …/.search (RFC 7644 §3.4.3): the query in the body instead of the URL."""
    from scim2_models import SearchRequest

    _only(request, "POST")
    search: Any = SearchRequest.model_validate(_body(request), scim_ctx=Context.SEARCH_REQUEST)
    if search.filter:
        rows = rows.filter(scim.filter_q(str(search.filter), model, fields))
    rows = rows.distinct().order_by("created_at", "pk")
    params = (
        {"response_parameters": search} if (search.attributes or search.excluded_attributes) else {}
    )
    start = max(search.start_index or 1, 1)
    count = min(max(search.count if search.count is not None else 100, 0), scim.MAX_COUNT)
    total = rows.count()
    page = list(rows[start - 1 : start - 1 + count]) if count else []
    return _json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "itemsPerPage": len(page),
            "startIndex": start,
            "Resources": [
                model.model_validate(
                    render(row), scim_ctx=Context.RESOURCE_QUERY_RESPONSE
                ).model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, **params)
                for row in page
            ],
        }
    )


@_endpoint
def users_search(request: HttpRequest, token: ScimToken) -> HttpResponse:
    base = _base_url(request)
    return _search(
        request,
        token,
        scim.scim_members(token.workspace),
        scim.ScimUserModel,
        scim.USER_FIELDS,
        lambda m: scim.user_document(m, base),
    )


@_endpoint
def groups_search(request: HttpRequest, token: ScimToken) -> HttpResponse:
    base = _base_url(request)
    return _search(
        request,
        token,
        scim.scim_groups(token.workspace),
        Group,
        scim.GROUP_FIELDS,
        lambda g: scim.group_document(g, base),
    )


@_endpoint
def search_everything(request: HttpRequest, token: ScimToken) -> HttpResponse:
    from scim2_models.exceptions import NotImplementedException

    raise NotImplementedException(
        detail="Search Users and Groups apart: POST /Users/.search, /Groups/.search."
    )


# Users -------------------------------------------------------------------------------------------


@_endpoint
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    base = _base_url(request)
    if request.method == "GET":
        rows = scim.scim_members(token.workspace)
        expression = request.GET.get("filter", "").strip()
        if expression:
            rows = rows.filter(scim.filter_q(expression, scim.ScimUserModel, scim.USER_FIELDS))
        rows = rows.distinct().order_by("created_at", "pk")
        return _list(request, rows, lambda m: _dump_user(scim.user_document(m, base), request))
    _only(request, "GET", "POST")
    with scim.POLICY:
        user = scim.ScimUserModel.model_validate(
            scim.tolerate(_body(request)), scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
    member = scim.create_user(token=token, user=user)
    return _resource(request, scim.user_document(_member(token, str(member.uuid)), base), 201)


@_endpoint
def user(request: HttpRequest, token: ScimToken, uuid: str) -> HttpResponse:
    base = _base_url(request)
    _only(request, "GET", "PUT", "PATCH", "DELETE")
    if request.method == "GET":
        return _resource(request, scim.user_document(_member(token, uuid), base))
    with transaction.atomic():
        member = _member(token, uuid)
        Membership.objects.select_for_update().filter(pk=member.pk).first()
        doc = scim.user_document(member, base)
        scim.check_if_match(request.headers.get("If-Match"), doc)
        if request.method == "DELETE":
            scim.delete_user(token=token, member=member)
            return HttpResponse(status=204)
        if request.method == "PUT":
            body = scim.tolerate(_body(request))
            with scim.POLICY:
                resource = scim.ScimUserModel.model_validate(
                    body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
                )
        else:
            resource = scim.patch_user_model(doc, _body(request))
        scim.replace_user(token=token, member=member, user=resource)
    return _resource(request, scim.user_document(_member(token, uuid), base))


# Groups ------------------------------------------------------------------------------------------


@_endpoint
def groups(request: HttpRequest, token: ScimToken) -> HttpResponse:
    base = _base_url(request)
    if request.method == "GET":
        rows = scim.scim_groups(token.workspace)
        expression = request.GET.get("filter", "").strip()
        if expression:
            rows = rows.filter(scim.filter_q(expression, Group, scim.GROUP_FIELDS))
        rows = rows.distinct().order_by("created_at", "pk")
        return _list(request, rows, lambda g: _dump_group(scim.group_document(g, base), request))
    _only(request, "GET", "POST")
    with scim.POLICY:
        resource = Group.model_validate(_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    group = scim.save_group(token=token, group=None, resource=resource, creating=True)
    return _resource(request, scim.group_document(group, base), 201, kind="Group")


@_endpoint
def group(request: HttpRequest, token: ScimToken, uuid: str) -> HttpResponse:
    base = _base_url(request)
    _only(request, "GET", "PUT", "PATCH", "DELETE")
    if request.method == "GET":
        return _resource(request, scim.group_document(_group(token, uuid), base), kind="Group")
    with transaction.atomic():
        found = _group(token, uuid)
        ScimGroup.objects.select_for_update().filter(pk=found.pk).first()
        doc = scim.group_document(found, base)
        scim.check_if_match(request.headers.get("If-Match"), doc)
        if request.method == "DELETE":
            scim.delete_group(token=token, group=found)
            return HttpResponse(status=204)
        if request.method == "PUT":
            with scim.POLICY:
                resource = Group.model_validate(
                    _body(request), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
                )
        else:
            resource = scim.patch_group_model(doc, _body(request))
        found = scim.save_group(token=token, group=found, resource=resource, creating=False)
    return _resource(request, scim.group_document(found, base), kind="Group")
