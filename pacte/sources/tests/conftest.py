"""Fixtures of the data source tests: a local server serving sales records, and a generic
HTTPS connection to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from pacte.sources import services
from pacte.sources.http import Http
from pacte.sources.models import Connection, SyncMode, SyncRun
from pacte.sources.sync import run_sync
from pacte.sources.tests.fakeserver import Answer, FakeServer, Request, json_answer
from pacte.testing.cast import Cast


def record(n: int, **over: Any) -> dict[str, Any]:
    base = {
        "id": f"D-{n}",
        "close_date": f"2026-03-0{1 + n % 9}",
        "total": f"{n}00.00",
        "owner": {"email": "seller@acme.example"},
        "channel": "field",
        "currency": "EUR",
        "updated_at": datetime.now(UTC).isoformat(),
    }
    base.update(over)
    return base


MAPPING = {
    "external_id": "external_id",
    "date": "close_date",
    "amount": "total",
    "seller": "owner.email",
    "channel": "channel",
    "currency": "currency",
}


@dataclass
class Remote:
    """What the fake remote serves: ``pages`` of records (a next-URL field links them);
    ``fail`` answers (status, body) instead when set."""

    pages: list[list[dict[str, Any]]] = field(default_factory=lambda: [[]])
    fail: tuple[int, str] | None = None
    seen: list[Request] = field(default_factory=list)

    def handle(self, req: Request) -> Answer:
        self.seen.append(req)
        if req.headers.get("authorization") != "Bearer s3cret":
            return 401, {}, "bad token"
        if self.fail:
            return self.fail[0], {}, self.fail[1]
        page = int(req.param("page", "0") or 0)
        nxt = f"/deals?page={page + 1}" if page + 1 < len(self.pages) else None
        return json_answer({"results": self.pages[page], "next": nxt})


@pytest.fixture
def remote() -> Iterator[tuple[Remote, FakeServer]]:
    state = Remote()
    with FakeServer(state.handle) as server:
        yield state, server


@pytest.fixture
def source(cast: Cast, remote: tuple[Remote, FakeServer]) -> Connection:
    connection, _secret = services.create_connection(
        workspace=cast.workspace,
        actor=cast.admin,
        kind="https",
        name="CRM",
        config={
            "url": remote[1].url("/deals"),
            "records_path": "results",
            "next_rule": "next_field",
            "next_field": "next",
            "since_param": "modified_since",
        },
        secrets={"token": "s3cret"},
        mapping=dict(MAPPING),
    )
    return connection


@pytest.fixture
def sync(cast: Cast) -> Callable[..., SyncRun]:
    def _sync(connection: Connection, mode: str = SyncMode.INCREMENTAL) -> SyncRun:
        run = services.start_sync(connection=connection, actor=cast.admin, mode=mode)
        return run_sync(run.pk, http=Http(sleep=lambda s: None, timeout=2.0, retries=1))

    return _sync
