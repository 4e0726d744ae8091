"""A local Salesforce: the OAuth 2.0 token endpoint (JWT bearer, checked against the connected
app's public key, and client credentials), the REST query resource with its
``nextRecordsUrl`` locators, and the errors of the REST API's documentation
(``INVALID_SESSION_ID``, ``INVALID_FIELD``, ``INVALID_TYPE``, ``REQUEST_LIMIT_EXCEEDED``).

It understands the SOQL the connector sends: a field list, ``FROM Opportunity WHERE
IsWon = true [AND SystemModstamp >= …]`` or ``FROM OpportunitySplit WHERE OpportunityId
IN (…)``, ``ORDER BY`` and ``LIMIT``.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pacte.sources.tests.fakes import FakeSystem, json_answer
from pacte.sources.tests.fakeserver import Answer, Request

OPPORTUNITY_FIELDS = {
    "Id",
    "Amount",
    "CloseDate",
    "Owner.Email",
    "SystemModstamp",
    "LastModifiedDate",
    "RecordType.Name",
    "Account.Name",
    "CurrencyIsoCode",
    "Region__c",
    "IsWon",
}
SPLIT_FIELDS = {
    "Id",
    "OpportunityId",
    "SplitOwner.Email",
    "SplitPercentage",
    "SplitType.MasterLabel",
    "SplitType.IsTotalValued",
}
_SOQL = re.compile(
    r"^SELECT (?P<fields>.+?) FROM (?P<obj>\w+)(?: WHERE (?P<where>.+?))?"
    r"(?: ORDER BY (?P<order>.+?))?(?: LIMIT (?P<limit>\d+))?$",
    re.S,
)


def modstamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_key() -> tuple[str, rsa.RSAPublicKey]:
    """A fresh RSA key: (private PEM for the connector, public key for the fake)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


def opportunity(
    i: int,
    *,
    amount: Any = 1000,
    owner: str | None = "ann@example.com",
    close: str = "2026-03-15",
    modified: datetime | None = None,
    record_type: str | None = "Field",
    currency: str = "EUR",
    won: bool = True,
) -> dict[str, Any]:
    """An Opportunity as the query resource returns it (relationships as nested objects)."""
    oid = f"006{i:015d}"
    moment = modified or datetime(2026, 3, 1) + timedelta(minutes=i)
    return {
        "attributes": {
            "type": "Opportunity",
            "url": f"/services/data/v62.0/sobjects/Opportunity/{oid}",
        },
        "Id": oid,
        "Amount": amount,
        "CloseDate": close,
        "Owner": {"attributes": {"type": "User"}, "Email": owner} if owner else None,
        "SystemModstamp": modstamp(moment),
        "LastModifiedDate": modstamp(moment),
        "RecordType": {"attributes": {"type": "RecordType"}, "Name": record_type}
        if record_type
        else None,
        "Account": {"attributes": {"type": "Account"}, "Name": f"Customer {i}"},
        "CurrencyIsoCode": currency,
        "Region__c": "North",
        "IsWon": won,
    }


class FakeSalesforce(FakeSystem):
    def __init__(
        self,
        *,
        client_id: str = "3MVG9-consumer-key",
        username: str = "integration@example.com",
        client_secret: str = "s3cret",
        public_key: rsa.RSAPublicKey | None = None,
        page_size: int = 2000,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.username = username
        self.client_secret = client_secret
        self.public_key = public_key
        self.page_size = page_size
        self.opportunities: list[dict[str, Any]] = []
        self.splits: list[dict[str, Any]] = []
        self.opportunity_fields = set(OPPORTUNITY_FIELDS)
        self.has_splits = True
        self.multi_currency = True
        self._locators: dict[str, list[Any]] = {}

    def add_split(self, opportunity_id: str, email: str, pct: Any, *, revenue: bool = True) -> None:
        self.splits.append(
            {
                "attributes": {"type": "OpportunitySplit"},
                "Id": f"149{len(self.splits):015d}",
                "OpportunityId": opportunity_id,
                "SplitOwner": {"attributes": {"type": "User"}, "Email": email},
                "SplitPercentage": pct,
                "SplitType": {
                    "attributes": {"type": "OpportunitySplitType"},
                    "MasterLabel": "Revenue" if revenue else "Overlay",
                    "IsTotalValued": revenue,
                },
            }
        )

    # Endpoints ---------------------------------------------------------------------------

    def handle(self, req: Request) -> Answer:
        if req.path == "/services/oauth2/token":
            return self._token(req)
        if not req.path.startswith("/services/data/"):
            return json_answer([{"errorCode": "NOT_FOUND", "message": "Not found"}], 404)
        if self.bearer(req) not in self.tokens:
            return json_answer(
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401
            )
        locator = re.match(r"^/services/data/v[\d.]+/query/([\w-]+)$", req.path)
        if locator:
            return self._more(locator[1])
        if re.match(r"^/services/data/v[\d.]+/query/?$", req.path):
            return self._query(req.param("q") or "")
        return json_answer([{"errorCode": "NOT_FOUND", "message": "Not found"}], 404)

    def _token(self, req: Request) -> Answer:
        form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            if not self._valid_jwt(form.get("assertion", "")):
                return json_answer(
                    {"error": "invalid_grant", "error_description": "invalid assertion"}, 400
                )
        elif grant == "client_credentials":
            if (form.get("client_id"), form.get("client_secret")) != (
                self.client_id,
                self.client_secret,
            ):
                return json_answer(
                    {"error": "invalid_client", "error_description": "invalid client credentials"},
                    400,
                )
        else:
            return json_answer({"error": "unsupported_grant_type"}, 400)
        return json_answer(
            {
                "access_token": self.issue_token(),
                "instance_url": self.url(),
                "id": self.url("/id/00D/005"),
                "token_type": "Bearer",
                "scope": "api",
            }
        )

    def _valid_jwt(self, assertion: str) -> bool:
        try:
            header, claims, signature = assertion.split(".")
            assert self.public_key is not None
            self.public_key.verify(
                _b64decode(signature),
                f"{header}.{claims}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            body = json.loads(_b64decode(claims))
        except (ValueError, AssertionError, InvalidSignature):
            return False
        return bool(
            body.get("iss") == self.client_id
            and body.get("sub") == self.username
            and body.get("aud") == self.url()
            and body.get("exp", 0) > datetime.now().timestamp()
        )

    def _query(self, soql: str) -> Answer:
        match = _SOQL.match(soql.strip())
        if match is None:
            return json_answer([{"errorCode": "MALFORMED_QUERY", "message": soql[:50]}], 400)
        fields = [f.strip() for f in match["fields"].split(",")]
        obj = match["obj"]
        if obj == "Opportunity":
            known, rows = self.opportunity_fields, list(self.opportunities)
            if not self.multi_currency:
                known = known - {"CurrencyIsoCode"}
        elif obj == "OpportunitySplit" and self.has_splits:
            known, rows = SPLIT_FIELDS, list(self.splits)
        else:
            return json_answer(
                [
                    {
                        "errorCode": "INVALID_TYPE",
                        "message": f"sObject type '{obj}' is not supported.",
                    }
                ],
                400,
            )
        for name in fields:
            if name not in known:
                return json_answer(
                    [
                        {
                            "errorCode": "INVALID_FIELD",
                            "message": f"No such column '{name}' on entity '{obj}'. If you are "
                            "attempting to use a custom field, be sure to append the '__c'.",
                        }
                    ],
                    400,
                )
        for condition in (match["where"] or "").split(" AND "):
            rows = self._filter(rows, condition.strip())
        if obj == "Opportunity":
            rows.sort(key=lambda r: (r["SystemModstamp"], r["Id"]))
        else:
            rows.sort(key=lambda r: (r["OpportunityId"], r["Id"]))
        if match["limit"]:
            rows = rows[: int(match["limit"])]
        projected = [self._project(r, fields) for r in rows]
        return self._answer(projected, 0)

    @staticmethod
    def _filter(rows: list[dict[str, Any]], condition: str) -> list[dict[str, Any]]:
        if not condition:
            return rows
        if condition == "IsWon = true":
            return [r for r in rows if r.get("IsWon")]
        since = re.match(r"^(SystemModstamp|LastModifiedDate) >= (\S+)$", condition)
        if since:
            bound = datetime.strptime(since[2], "%Y-%m-%dT%H:%M:%SZ")
            return [
                r for r in rows if datetime.strptime(r[since[1]][:19], "%Y-%m-%dT%H:%M:%S") >= bound
            ]
        within = re.match(r"^OpportunityId IN \((.*)\)$", condition, re.S)
        if within:
            ids = set(re.findall(r"'([^']*)'", within[1]))
            return [r for r in rows if r["OpportunityId"] in ids]
        raise AssertionError(f"the fake does not understand {condition!r}")

    @staticmethod
    def _project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": record.get("attributes", {})}
        for path in fields:
            head, _, rest = path.partition(".")
            if head not in record:
                continue
            if not rest:
                out[head] = record[head]
            elif record[head] is None:
                out[head] = None
            else:
                nested = out.setdefault(head, {"attributes": record[head].get("attributes", {})})
                if rest in record[head]:
                    nested[rest] = record[head][rest]
        return out

    def _answer(self, rows: list[Any], start: int, query: int | None = None) -> Answer:
        chunk = self.page(rows, start, self.page_size)
        end = start + self.page_size
        body: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows), "records": chunk}
        if end < len(rows):
            if query is None:  # a new query: a new locator, as Salesforce's are
                query = len(self._locators)
                self._locators[f"01gD{query:014d}"] = rows
            locator = f"01gD{query:014d}-{end}"
            body["nextRecordsUrl"] = f"/services/data/v62.0/query/{locator}"
        return json_answer(body)

    def _more(self, locator: str) -> Answer:
        query, _, start = locator.partition("-")
        rows = self._locators.get(query)
        if rows is None or not start.isdigit():
            return json_answer(
                [{"errorCode": "INVALID_QUERY_LOCATOR", "message": "invalid query locator"}], 400
            )
        return self._answer(rows, int(start), int(query[4:]))
