"""The Http wrapper against a local server: retries, rate limits, timeouts, auth."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pacte.sources.connectors.base import ConnectorError
from pacte.sources.http import Http, retry_after_seconds
from pacte.sources.tests.fakeserver import FakeServer, Request, json_answer


def quiet_http(**kwargs: object) -> tuple[Http, list[float]]:
    waits: list[float] = []
    return Http(sleep=waits.append, **kwargs), waits  # type: ignore[arg-type]


def test_5xx_is_retried_with_growing_backoff_then_succeeds() -> None:
    calls = []

    def handle(req: Request):
        calls.append(req)
        return json_answer({"ok": True}) if len(calls) == 3 else (503, {}, "busy")

    http, waits = quiet_http(backoff=0.5)
    with FakeServer(handle) as server:
        assert http.get_json(server.url("/x")) == {"ok": True}
    assert waits == [0.5, 1.0]


def test_5xx_beyond_the_retries_is_a_remote_error_naming_the_url() -> None:
    http, waits = quiet_http(retries=2)
    with (
        FakeServer(lambda req: (500, {}, "boom")) as server,
        pytest.raises(ConnectorError) as caught,
    ):
        http.get(server.url("/deals?token=secret"))
    assert caught.value.code == "remote"
    assert "/deals" in caught.value.message
    assert "secret" not in caught.value.message
    assert len(waits) == 2


def test_429_honours_retry_after_then_gives_up_as_rate_limit() -> None:
    http, waits = quiet_http(rate_limit_retries=2)
    with (
        FakeServer(lambda req: (429, {"Retry-After": "3"}, "")) as server,
        pytest.raises(ConnectorError) as caught,
    ):
        http.get(server.url("/x"))
    assert caught.value.code == "rate_limit"
    assert waits == [3.0, 3.0]


def test_429_with_a_too_long_wait_fails_at_once() -> None:
    http, waits = quiet_http(max_retry_after=10)
    with (
        FakeServer(lambda req: (429, {"Retry-After": "3600"}, "")) as server,
        pytest.raises(ConnectorError) as caught,
    ):
        http.get(server.url("/x"))
    assert caught.value.code == "rate_limit"
    assert waits == []


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon", now=now) is None


def test_a_page_that_times_out_is_a_timeout_error() -> None:
    http, _ = quiet_http(timeout=0.2, retries=1)
    server = FakeServer(lambda req: json_answer([]), delays={"/slow": 1.0})
    with server, pytest.raises(ConnectorError) as caught:
        http.get(server.url("/slow"))
    assert caught.value.code == "timeout"


def test_401_is_auth_unless_a_refresh_gives_a_working_token() -> None:
    def handle(req: Request):
        if req.headers.get("authorization") == "Bearer fresh":
            return json_answer({"ok": 1})
        return 401, {}, "expired"

    http, _ = quiet_http()
    with FakeServer(handle) as server:
        with pytest.raises(ConnectorError) as caught:
            http.get(server.url("/x"), headers={"Authorization": "Bearer old"})
        assert caught.value.code == "auth"
        refreshed = http.get_json(
            server.url("/x"),
            headers={"Authorization": "Bearer old"},
            refresh=lambda: {"Authorization": "Bearer fresh"},
        )
    assert refreshed == {"ok": 1}


def test_401_after_a_refresh_is_auth() -> None:
    http, _ = quiet_http()
    with (
        FakeServer(lambda req: (401, {}, "revoked")) as server,
        pytest.raises(ConnectorError) as caught,
    ):
        http.get(server.url("/x"), refresh=lambda: {"Authorization": "Bearer new"})
    assert caught.value.code == "auth"


def test_a_body_that_is_not_json_is_a_remote_error() -> None:
    http, _ = quiet_http()
    with (
        FakeServer(lambda req: (200, {"Content-Type": "text/html"}, "<html>")) as server,
        pytest.raises(ConnectorError) as caught,
    ):
        http.get_json(server.url("/x"))
    assert caught.value.code == "remote"
