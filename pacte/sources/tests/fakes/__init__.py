"""Local servers reproducing the documented APIs of Salesforce, HubSpot, Pipedrive and Odoo
(requests, pages, tokens and errors), for the connector tests and the benchmarks.

Each fake wraps ``FakeServer`` and adds what every system needs in a test: records to serve,
tokens that can be expired, scripted faults (``inject``: the next N requests to a path answer
a given status), and ``repeat_last`` (each page starts with the previous page's last record,
as when a record moves while paging).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pacte.sources.tests.fakeserver import Answer, FakeServer, Request

_DECIMAL = re.compile(r'"@decimal:([-0-9.Ee+]+)"')


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"@decimal:{value}"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark(v) for v in value]
    return value


def dumps(data: Any) -> str:
    """JSON where a ``Decimal`` is written as the exact number it is (``1234.50``), as the
    remote systems write their amounts."""
    return _DECIMAL.sub(r"\1", json.dumps(_mark(data)))


def json_answer(data: Any, status: int = 200, **headers: str) -> Answer:
    return status, {"Content-Type": "application/json", **headers}, dumps(data)


@dataclass
class Fault:
    path: str
    answer: Answer
    times: int


class FakeSystem:
    """A fake remote system on a local port; subclasses implement ``handle``."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.tokens: set[str] = set()
        self.issued = 0
        self.repeat_last = False
        self.server = FakeServer(self._dispatch)

    # Test controls ----------------------------------------------------------------------

    def inject(
        self,
        path: str,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests whose path starts with ``path`` answer this."""
        payload = body if isinstance(body, (str, bytes)) else dumps(body)
        answer: Answer = (status, {"Content-Type": "application/json", **(headers or {})}, payload)
        self.faults.append(Fault(path, answer, times))

    def issue_token(self) -> str:
        self.issued += 1
        token = f"token-{self.issued}"
        self.tokens.add(token)
        return token

    def expire_tokens(self) -> None:
        self.tokens.clear()

    @property
    def requests(self) -> list[Request]:
        return self.server.requests

    def url(self, path: str = "") -> str:
        return self.server.url(path)

    # Plumbing -----------------------------------------------------------------------------

    def _dispatch(self, req: Request) -> Answer:
        for fault in self.faults:
            if fault.times > 0 and req.path.startswith(fault.path):
                fault.times -= 1
                return fault.answer
        return self.handle(req)

    def handle(self, req: Request) -> Answer:  # pragma: no cover - overridden
        raise NotImplementedError

    def bearer(self, req: Request) -> str | None:
        auth = req.headers.get("authorization", "")
        return auth.split(" ", 1)[1] if auth.lower().startswith("bearer ") else None

    def page(self, items: list[Any], start: int, size: int) -> list[Any]:
        """``items[start:start+size]``, starting one earlier when ``repeat_last`` is set."""
        if self.repeat_last and start > 0:
            return items[start - 1 : start + size]
        return items[start : start + size]

    def __enter__(self) -> FakeSystem:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)
