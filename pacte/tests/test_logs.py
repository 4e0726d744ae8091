"""Logs: with ``PACTE_LOG_FORMAT=json`` every line is a JSON object with time, level, logger,
message and the request id; a request logs its method, route name, status and duration; the
request id comes from a well-formed ``X-Request-ID`` or is made, and is echoed back."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory

from pacte import logs
from pacte.testing import redis_server
from pacte.testing.processes import own_database

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging, django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client()
r = client.get("/healthz", HTTP_X_REQUEST_ID="req-from-proxy.1")
print("ECHO", r["X-Request-ID"], flush=True)
client.get("/no-such-page/")
logging.getLogger("pacte.example").error("outside any request")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("pacte.example").exception("it broke")
"""


def _run_json_process(tmp_path: Path, database_url: str) -> tuple[str, list[dict[str, Any]]]:
    env = {
        "DATABASE_URL": database_url,
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "pacte.settings",
        "PACTE_VAR_DIR": str(tmp_path),
        "PACTE_ENV": "test",
        "PACTE_LOG_FORMAT": "json",
        # a cache that does not answer: the health check logs a warning inside the request
        "PACTE_REDIS_URL": f"redis://127.0.0.1:{redis_server.closed_port()}/0",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return done.stdout, [json.loads(line) for line in lines]  # every line is JSON


@pytest.mark.django_db  # the test database migrated_database copies
def test_json_logs_carry_the_request_id_and_the_request(
    tmp_path: Path, migrated_database: str
) -> None:
    with own_database(tmp_path, "logs", template=migrated_database) as url:
        stdout, records = _run_json_process(tmp_path, url)
    assert "ECHO req-from-proxy.1" in stdout
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= record.keys()
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", record["time"])
    cache_warning = next(r for r in records if r["logger"] == "pacte.cache")
    assert cache_warning["level"] == "WARNING"
    assert cache_warning["request_id"] == "req-from-proxy.1"
    assert cache_warning["method"] == "GET"
    health, missing = [r for r in records if r["logger"] == "pacte.request"]
    assert health["request_id"] == "req-from-proxy.1"
    assert (health["method"], health["route"], health["status"]) == ("GET", "healthz", 200)
    assert isinstance(health["duration_ms"], float)
    assert (missing["route"], missing["status"]) == (None, 404)
    assert re.fullmatch(r"[0-9a-f]{32}", missing["request_id"])
    not_found = next(r for r in records if r["logger"] == "django.request")
    assert not_found["request_id"] == missing["request_id"]  # Django's own line, same request
    assert "request" not in not_found  # its request object is not dumped
    outside = next(r for r in records if r["message"] == "outside any request")
    assert outside["request_id"] == "-"
    broke = next(r for r in records if r["message"] == "it broke")
    assert "ZeroDivisionError" in broke["exc_info"]


@pytest.mark.parametrize(
    ("given", "kept"),
    [("abc-123_X.y", True), ("", False), ("has space", False), ("x" * 129, False), ("a\nb", False)],
)
def test_a_request_id_is_kept_only_when_well_formed(given: str, kept: bool) -> None:
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=given)
    found = logs.request_id_for(request)
    assert (found == given) is kept
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,128}", found)


def test_no_header_is_trusted_when_the_setting_is_empty(settings: Any) -> None:
    settings.PACTE_REQUEST_ID_HEADER = ""
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="abc")
    assert logs.request_id_for(request) != "abc"


def test_the_response_echoes_the_id_and_records_inside_carry_it(
    db: None, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(logs.ContextFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-42")
    assert response["X-Request-ID"] == "trace-42"
    assert [r.request_id for r in caplog.records] == ["trace-42"]  # type: ignore[attr-defined]


def test_bind_hands_the_id_to_later_work() -> None:
    with logs.bind(request_id="r-1"):
        handed = logs.current()
    assert logs.current() == {}
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    with logs.bind(**handed):
        logs.ContextFilter().filter(record)
    assert record.request_id == "r-1"  # type: ignore[attr-defined]
