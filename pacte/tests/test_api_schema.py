"""Schemathesis against the OpenAPI document: no server error, no response outside the schema.

Every operation of ``/api/v1/`` gets property-based requests (valid and invalid inputs) as an
admin of the cast's workspace, in process through the WSGI application.
"""

from __future__ import annotations

import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from pacte.api import api
from pacte.testing.cast import Cast

EXAMPLES_PER_OPERATION = 12


def test_api_conforms_to_its_schema(cast: Cast) -> None:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = get_wsgi_application()
    headers = {"Authorization": f"Bearer {cast.token(cast.admin)}"}
    checked = []
    # As Django's test client does: keep the test transaction's connection open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _check_all(schema, headers, checked)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert len(checked) >= 20, checked


def _check_all(schema, headers: dict[str, str], checked: list[str]) -> None:  # type: ignore[no-untyped-def]
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        check()
        checked.append(operation.label)


def test_operation_ids_are_short_stable_and_unique() -> None:
    ids = [
        op["operationId"]
        for path in api.get_openapi_schema()["paths"].values()
        for op in path.values()
    ]
    assert len(ids) == len(set(ids))
    apps = {name.split(".")[1] for name in settings.INSTALLED_APPS if name.startswith("pacte.")}
    for operation_id in ids:
        assert operation_id.split("_", 1)[0] in apps, operation_id
        assert "pacte" not in operation_id, operation_id
        assert "api" not in operation_id.split("_"), operation_id
    # Clients generated from the document depend on these: a rename is a breaking change.
    assert {"insights_attainment", "sales_import_cancel", "objectives_propose"} <= set(ids)


def test_every_schema_name_is_unique() -> None:
    """Ninja names OpenAPI components by class name: two schemas of one name overwrite each other."""
    from ninja import Schema

    seen: dict[str, str] = {}
    clashes = []

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("pacte.") and ".tests" not in sub.__module__:
                where = f"{sub.__module__}.{sub.__qualname__}"
                if sub.__name__ in seen and seen[sub.__name__] != where:
                    clashes.append((seen[sub.__name__], where))
                seen.setdefault(sub.__name__, where)
            walk(sub)

    api.get_openapi_schema()
    walk(Schema)
    assert not clashes, clashes
