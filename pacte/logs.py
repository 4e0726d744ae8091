"""Logs: one line per record, plain text or JSON (``PACTE_LOG_FORMAT=json``), each carrying the
id of the request it belongs to.

- ``RequestLogMiddleware`` (first in ``MIDDLEWARE``) takes the request id from the header a
  trusted proxy sets (``PACTE_REQUEST_ID_HEADER``, ``X-Request-ID`` by default; a value that is
  not 1–128 letters, digits, ``.``, ``_`` or ``-`` is replaced) or makes one, echoes it in the
  response's ``X-Request-ID``, and logs one line per request on ``pacte.request`` (method, route
  name, status, duration) when ``PACTE_ACCESS_LOG`` is on.
- ``ContextFilter`` puts the request id (and the request's method and route) on every record
  logged while the request runs, Django's included; ``bind`` does the same for other work (a
  task run by a worker can bind the id of the request that enqueued it: ``current()``).
- ``JsonFormatter`` writes ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, the
  request fields, any ``extra`` given to the call, and the exception.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

_context: ContextVar[dict[str, Any] | None] = ContextVar("pacte_log_context", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
access_logger = logging.getLogger("pacte.request")


def current() -> dict[str, Any]:
    """The fields bound to the work running now (``request_id``…), to hand over to a task."""
    return dict(_context.get() or {})


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every record logged inside the block."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    """Copies the bound fields onto each record (``request_id`` is always there, maybe "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time, level, logger, message, then the record's own fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        # Django hands its request object to its own records: not something to serialise.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        super().__init__(*args, **kwargs)


def request_id_for(request: HttpRequest) -> str:
    header = getattr(settings, "PACTE_REQUEST_ID_HEADER", "X-Request-ID")
    given = request.headers.get(header, "") if header else ""
    return given if _VALID_ID.match(given) else uuid.uuid4().hex


def _forget_request(**kwargs: Any) -> None:
    _context.set(None)


class RequestLogMiddleware:
    """Binds the request's id for everything logged until the request is finished (Django logs
    its 4xx and 5xx lines after the middleware has returned), and logs the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        request_finished.connect(_forget_request, dispatch_uid="pacte.logs.forget_request")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        _context.set({"request_id": request_id, "method": request.method})
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        if getattr(settings, "PACTE_ACCESS_LOG", False):
            match = getattr(request, "resolver_match", None)
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "route": match.view_name if match else None,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response


def logging_config(*, form: str, level: str, access: bool) -> dict[str, Any]:
    """``LOGGING`` for one stream on standard error, in ``form`` (text or json)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "pacte.logs.ContextFilter"}},
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {"()": "pacte.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": form,
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The task framework logs every finished task at INFO; failures still come through.
            "django.tasks": {"level": "WARNING"},
            "pacte.request": {"level": "INFO" if access else "WARNING"},
        },
    }
