"""A local Pipedrive: ``GET /api/v2/deals`` (status, updated_since, sort_by/sort_direction,
cursor pagination in ``additional_data.next_cursor``), ``GET /api/v2/pipelines``,
``GET /api/v1/users``, the OAuth token endpoint (refresh grant, client id and secret in Basic
auth), and Pipedrive's error bodies (``{"success": false, "error": …}``)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from pacte.sources.tests.fakes import FakeSystem, json_answer
from pacte.sources.tests.fakeserver import Answer, Request


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def deal(
    i: int,
    *,
    value: Any = 1000,
    owner: int | None = 1,
    status: str = "won",
    modified: datetime | None = None,
    won_time: str | None = "2026-03-15T10:00:00Z",
) -> dict[str, Any]:
    moment = modified or datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "id": i,
        "title": f"Deal {i}",
        "owner_id": owner,
        "value": value,
        "currency": "EUR",
        "add_time": "2026-01-01T00:00:00Z",
        "update_time": rfc3339(moment),
        "won_time": won_time if status == "won" else None,
        "status": status,
        "pipeline_id": 1,
        "stage_id": 5,
        "org_id": 7,
        "custom_fields": {"8d3f0a1b2c": {"id": 31, "label": "Partners"}},
    }


class FakePipedrive(FakeSystem):
    def __init__(self, *, api_token: str = "pd-token", page_size: int = 500) -> None:
        super().__init__()
        self.api_token = api_token
        self.max_page = page_size
        self.client = ("client-id", "client-secret")
        self.refresh_token = "refresh-1"
        self.deals: list[dict[str, Any]] = []
        self.users = [
            {"id": 1, "name": "Ann", "email": "ann@example.com", "active_flag": True},
            {"id": 2, "name": "Bob", "email": "bob@example.com", "active_flag": False},
        ]
        self.pipelines = [{"id": 1, "name": "Field sales"}, {"id": 2, "name": "Partners"}]

    def handle(self, req: Request) -> Answer:
        if req.path == "/oauth/token":
            return self._token(req)
        if req.headers.get("x-api-token") != self.api_token and self.bearer(req) not in self.tokens:
            return json_answer(
                {"success": False, "error": "unauthorized access", "errorCode": 401}, 401
            )
        if req.path == "/api/v2/deals":
            return self._deals(req)
        if req.path == "/api/v2/pipelines":
            return self._list(req, self.pipelines)
        if req.path == "/api/v1/users":
            return json_answer({"success": True, "data": self.users})
        return json_answer({"success": False, "error": "Not found"}, 404)

    def _token(self, req: Request) -> Answer:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        basic = base64.b64encode(":".join(self.client).encode()).decode()
        if (
            req.headers.get("authorization") != f"Basic {basic}"
            or form.get("refresh_token") != self.refresh_token
        ):
            return json_answer(
                {"error": "invalid_grant", "error_description": "Invalid grant"}, 400
            )
        return json_answer(
            {
                "access_token": self.issue_token(),
                "token_type": "Bearer",
                "expires_in": 3599,
                "refresh_token": self.refresh_token,
                "scope": "deals:read users:read",
                "api_domain": self.url(),
            }
        )

    def _deals(self, req: Request) -> Answer:
        deals = list(self.deals)
        statuses = (req.param("status") or "").split(",")
        if statuses != [""]:
            deals = [d for d in deals if d["status"] in statuses]
        since = req.param("updated_since")
        if since:
            bound = datetime.fromisoformat(since.replace("Z", "+00:00"))
            deals = [
                d
                for d in deals
                if datetime.fromisoformat(d["update_time"].replace("Z", "+00:00")) >= bound
            ]
        key = req.param("sort_by", "id") or "id"
        deals.sort(key=lambda d: (d[key], d["id"]), reverse=req.param("sort_direction") == "desc")
        return self._list(req, deals)

    def _list(self, req: Request, items: list[Any]) -> Answer:
        limit = min(int(req.param("limit", "100") or 100), self.max_page)
        cursor = req.param("cursor")
        start = int(base64.b64decode(cursor).decode()) if cursor else 0
        chunk = self.page(items, start, limit)
        end = start + limit
        nxt = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
        return json_answer(
            {"success": True, "data": chunk, "additional_data": {"next_cursor": nxt}}
        )
