"""A local HubSpot: ``POST /crm/v3/objects/deals/search`` (filterGroups with EQ, IN, GTE;
one sort; ``after`` paging with the 10,000-result ceiling, here ``search_limit``),
``GET /crm/v3/owners`` and the OAuth refresh endpoint, with HubSpot's error bodies (401
``EXPIRED_AUTHENTICATION``, 400 ``VALIDATION_ERROR``, 429 with ``policyName``).

Property values are strings, as HubSpot sends them; a requested property that the portal does
not have is left out of ``properties``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from pacte.sources.tests.fakes import FakeSystem, json_answer
from pacte.sources.tests.fakeserver import Answer, Request

DEAL_PROPERTIES = {
    "dealname",
    "amount",
    "closedate",
    "dealstage",
    "pipeline",
    "hubspot_owner_id",
    "hs_lastmodifieddate",
    "hs_is_closed_won",
    "deal_currency_code",
    "hs_object_id",
}


def iso_ms(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def deal(
    i: int,
    *,
    amount: str | None = "1000",
    owner: str | None = "11",
    won: bool = True,
    modified: datetime | None = None,
    close: str = "2026-03-15T00:00:00Z",
) -> dict[str, Any]:
    moment = modified or datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "id": str(1000 + i),
        "properties": {
            "dealname": f"Deal {i}",
            "amount": amount,
            "closedate": close,
            "dealstage": "closedwon" if won else "appointmentscheduled",
            "pipeline": "default",
            "hubspot_owner_id": owner,
            "hs_lastmodifieddate": iso_ms(moment),
            "hs_is_closed_won": "true" if won else "false",
            "deal_currency_code": "EUR",
            "hs_object_id": str(1000 + i),
        },
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": iso_ms(moment),
        "archived": False,
    }


class FakeHubSpot(FakeSystem):
    def __init__(self, *, search_limit: int = 10_000, refresh_token: str = "refresh-1") -> None:
        super().__init__()
        self.search_limit = search_limit
        self.refresh_token = refresh_token
        self.client_secret = "client-secret"
        self.deals: list[dict[str, Any]] = []
        self.properties = set(DEAL_PROPERTIES)
        self.owners = [
            {"id": "11", "email": "ann@example.com", "firstName": "Ann", "archived": False},
            {"id": "12", "email": "bob@example.com", "firstName": "Bob", "archived": False},
            {"id": "13", "email": "old@example.com", "firstName": "Old", "archived": True},
        ]

    def handle(self, req: Request) -> Answer:
        if req.path == "/oauth/v1/token":
            return self._token(req)
        if self.bearer(req) not in self.tokens:
            return json_answer(
                {
                    "status": "error",
                    "message": "Authentication credentials not found or expired.",
                    "category": "EXPIRED_AUTHENTICATION",
                },
                401,
            )
        if req.path == "/crm/v3/objects/deals/search" and req.method == "POST":
            return self._search(req.json())
        if req.path == "/crm/v3/owners":
            return self._owners(req)
        return json_answer(
            {"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"}, 404
        )

    def _token(self, req: Request) -> Answer:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
            or form.get("client_secret") != self.client_secret
        ):
            return json_answer(
                {"status": "BAD_REFRESH_TOKEN", "message": "missing or invalid refresh token"}, 400
            )
        return json_answer(
            {
                "token_type": "bearer",
                "refresh_token": self.refresh_token,
                "access_token": self.issue_token(),
                "expires_in": 1800,
            }
        )

    def _search(self, body: dict[str, Any]) -> Answer:
        limit = int(body.get("limit", 10))
        after = int(body.get("after") or 0)
        if after + limit > self.search_limit:
            return json_answer(
                {
                    "status": "error",
                    "message": f"There was a problem with the request. (after must be < {self.search_limit})",
                    "category": "VALIDATION_ERROR",
                },
                400,
            )
        deals = [d for d in self.deals if self._matches(d, body.get("filterGroups") or [])]
        for sort in body.get("sorts") or []:
            deals.sort(
                key=lambda d: d["properties"].get(sort["propertyName"]) or "",
                reverse=sort.get("direction") == "DESCENDING",
            )
        wanted = body.get("properties") or ["dealname", "amount", "closedate"]
        chunk = self.page(deals, after, limit)
        results = [
            {
                **{k: v for k, v in d.items() if k != "properties"},
                "properties": {p: d["properties"].get(p) for p in wanted if p in self.properties},
            }
            for d in chunk
        ]
        answer: dict[str, Any] = {"total": len(deals), "results": results}
        if after + limit < len(deals):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return json_answer(answer)

    @staticmethod
    def _matches(d: dict[str, Any], groups: list[dict[str, Any]]) -> bool:
        if not groups:
            return True
        props = d["properties"]
        for group in groups:
            ok = True
            for f in group.get("filters", []):
                value = props.get(f["propertyName"])
                op = f["operator"]
                if op == "EQ":
                    ok &= value == f["value"]
                elif op == "IN":
                    ok &= value in f["values"]
                elif op == "GTE":
                    bound = datetime.fromtimestamp(int(f["value"]) / 1000, UTC)
                    ok &= (
                        value is not None
                        and datetime.fromisoformat(value.replace("Z", "+00:00")) >= bound
                    )
                else:
                    raise AssertionError(op)
            if ok:
                return True
        return False

    def _owners(self, req: Request) -> Answer:
        archived = req.param("archived") == "true"
        owners = [o for o in self.owners if o["archived"] == archived]
        limit = int(req.param("limit", "100") or 100)
        after = int(req.param("after", "0") or 0)
        answer: dict[str, Any] = {"results": owners[after : after + limit]}
        if after + limit < len(owners):
            answer["paging"] = {"next": {"after": str(after + limit)}}
        return json_answer(answer)
