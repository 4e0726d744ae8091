"""Schemathesis on this app's operations only: no server error, no response outside the schema,
as a seller (who proposes) and as an executive (who reconciles)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from pacte.api import api
from pacte.testing.cast import Cast

pytestmark = pytest.mark.usefixtures("published")


@pytest.mark.parametrize("who", ["seller", "executive"])
def test_objectives_api_has_no_server_error(cast: Cast, who: str) -> None:
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = get_wsgi_application()
    headers = {"Authorization": f"Bearer {cast.token(getattr(cast, who))}"}
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    checked = []
    try:
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]
            if not operation.path.startswith("/api/v1/objectives"):
                continue

            @given(case=operation.as_strategy())
            @settings(
                max_examples=8,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            def check(case: Any) -> None:
                case.call_and_validate(
                    headers=headers, checks=[not_a_server_error, response_schema_conformance]
                )

            check()
            checked.append(operation.label)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert len(checked) >= 20
