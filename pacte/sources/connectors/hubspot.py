"""HubSpot: closed-won deals through the CRM v3 search API, owners for e-mails.

- Auth: a private app's access token, or OAuth 2.0 (an access token refreshed with the refresh
  token when HubSpot answers 401; the new pair is kept, encrypted, for the next sync).
- Reading: ``POST /crm/v3/objects/deals/search`` filtered on ``hs_is_closed_won`` (or on the
  configured won stages) and ``hs_lastmodifieddate >= since``, sorted by that date, paged with
  ``after``. A search returns at most 10,000 results: past that, the connector searches again
  from the last modification date it read (the records read twice are yielded once).
- ``GET /crm/v3/owners`` (active and archived) turns ``hubspot_owner_id`` into an e-mail.
- Rate limits: a 429 of the daily policy is a quota error; the per-second ones are waited for
  (``Retry-After``, else the policy's interval) a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.sources.connectors.base import Batch, ConfigField, Connector, ConnectorError, Row
from pacte.sources.connectors.records import (
    SeenOnce,
    amount_text,
    date_text,
    datetime_value,
    decoded,
    malformed,
    pick,
    wait_for_rate_limit,
)

SYSTEM = "HubSpot"
REQUIRED = ("amount", "closedate", "hubspot_owner_id", "hs_lastmodifieddate")


class HubSpotConnector(Connector):
    kind = "hubspot"
    label = gettext_lazy("HubSpot")
    config_fields = (
        ConfigField(
            "auth",
            gettext_lazy("Authentication"),
            default="private_app",
            choices=(
                ("private_app", gettext_lazy("Private app access token")),
                ("oauth", gettext_lazy("OAuth app (refresh token)")),
            ),
        ),
        ConfigField(
            "access_token",
            gettext_lazy("Access token"),
            required=False,
            secret=True,
            help_text=gettext_lazy(
                "The private app's token (scope crm.objects.deals.read, crm.objects.owners.read)."
            ),
        ),
        ConfigField("client_id", gettext_lazy("OAuth client id"), required=False),
        ConfigField(
            "client_secret", gettext_lazy("OAuth client secret"), required=False, secret=True
        ),
        ConfigField(
            "refresh_token", gettext_lazy("OAuth refresh token"), required=False, secret=True
        ),
        ConfigField(
            "won_stages",
            gettext_lazy("Won deal stages"),
            required=False,
            help_text=gettext_lazy(
                "Internal ids of the deal stages that count as won, separated by commas; "
                "empty: every closed-won stage."
            ),
        ),
        ConfigField(
            "channel_property", gettext_lazy("Channel property"), required=False, default="pipeline"
        ),
        ConfigField("customer_property", gettext_lazy("Customer property"), required=False),
        ConfigField("territory_property", gettext_lazy("Territory property"), required=False),
        ConfigField("solution_property", gettext_lazy("Solution property"), required=False),
        ConfigField(
            "api_base",
            gettext_lazy("API address"),
            required=False,
            default="https://api.hubapi.com",
        ),
    )

    #: The search API's ceiling on ``after`` (results of one search).
    search_limit = 10_000
    page_size = 200

    def __init__(self, config: dict[str, Any], secrets: dict[str, str], http: Any) -> None:
        super().__init__(config, secrets, http)
        self._token: str | None = self.secrets.get("access_token") or None
        self._refresh_token: str | None = self.secrets.get("refresh_token") or None
        self._changed = False
        self._owners: dict[str, str | None] | None = None

    @property
    def base(self) -> str:
        return self.setting("api_base", "https://api.hubapi.com").rstrip("/")

    # Auth ------------------------------------------------------------------------------

    def _oauth(self) -> bool:
        return self.setting("auth", "private_app") == "oauth"

    def _headers(self) -> dict[str, str]:
        if not self._token:
            if not self._oauth():
                self._token = self.secret("access_token")
            else:
                self._refresh_access()
        return {"Authorization": f"Bearer {self._token}"}

    def _refresh_access(self) -> None:
        response = self.http.post(
            f"{self.base}/oauth/v1/token",
            data={
                "grant_type": "refresh_token",
                "client_id": self.setting("client_id"),
                "client_secret": self.secret("client_secret"),
                "refresh_token": self._refresh_token or self.secret("refresh_token"),
            },
            ok_statuses=(400,),
        )
        body = decoded(response)
        if (
            response.status_code == 400
            or not isinstance(body, dict)
            or not body.get("access_token")
        ):
            detail = body.get("message") if isinstance(body, dict) else None
            raise ConnectorError(
                "auth",
                _("HubSpot refused to refresh the access token: %(detail)s")
                % {"detail": detail or response.status_code},
            )
        self._token = str(body["access_token"])
        self._refresh_token = str(body.get("refresh_token") or self._refresh_token or "")
        self._changed = True

    def _refresh(self) -> Mapping[str, str]:
        self._token = None
        self._refresh_access()
        return self._headers()

    def secrets_to_store(self) -> dict[str, str] | None:
        if not self._changed or not self._token:
            return None
        return {"access_token": self._token, "refresh_token": self._refresh_token or ""}

    # Requests --------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> Any:
        limited = 0
        while True:
            response = self.http.request(
                method,
                f"{self.base}{path}",
                headers=self._headers(),
                refresh=self._refresh if self._oauth() else None,
                ok_statuses=(400, 404, 429),
                **kwargs,
            )
            body = decoded(response)
            if response.status_code < 400:
                return body
            if response.status_code != 429:
                raise self._error(response, body, path)
            limited += 1
            policy = str(body.get("policyName", "")) if isinstance(body, dict) else ""
            wait_for_rate_limit(
                self.http, response, limited, system=SYSTEM, daily=policy.upper() == "DAILY"
            )

    @staticmethod
    def _error(response: requests.Response, body: Any, path: str) -> ConnectorError:
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        category = str(body.get("category", "")) if isinstance(body, dict) else ""
        return ConnectorError(
            "remote",
            _("HubSpot refused %(path)s (HTTP %(status)s, %(category)s): %(msg)s")
            % {
                "path": path,
                "status": response.status_code,
                "category": category or "?",
                "msg": message[:300],
            },
        )

    # Reading ---------------------------------------------------------------------------

    def _optional(self) -> dict[str, str]:
        props = {
            "channel": self.setting("channel_property", "pipeline"),
            "customer": self.setting("customer_property"),
            "territory": self.setting("territory_property"),
            "solution": self.setting("solution_property"),
        }
        return {key: name for key, name in props.items() if name}

    def _properties(self) -> list[str]:
        names = [*REQUIRED, "deal_currency_code"]
        return names + [p for p in self._optional().values() if p not in names]

    def _filters(self, since_ms: int | None) -> list[dict[str, Any]]:
        stages = [s.strip() for s in self.setting("won_stages").split(",") if s.strip()]
        won: dict[str, Any] = (
            {"propertyName": "dealstage", "operator": "IN", "values": stages}
            if stages
            else {"propertyName": "hs_is_closed_won", "operator": "EQ", "value": "true"}
        )
        filters = [won]
        if since_ms is not None:
            filters.append(
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(since_ms)}
            )
        return filters

    def _search(
        self, since_ms: int | None, after: str | None, *, properties: list[str], limit: int
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "filterGroups": [{"filters": self._filters(since_ms)}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": properties,
            "limit": limit,
        }
        if after:
            body["after"] = after
        answer = self._send("POST", "/crm/v3/objects/deals/search", json=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("results"), list):
            raise ConnectorError("remote", _("HubSpot answered a search without its results."))
        return answer

    def _deal_pages(
        self, since: datetime | None, *, properties: list[str]
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of deals; past the search ceiling, a new search from the last date read."""
        window = int(since.timestamp() * 1000) if since else None
        after: str | None = None
        while True:
            answer = self._search(window, after, properties=properties, limit=self.page_size)
            results = answer["results"]
            yield results
            after = str(((answer.get("paging") or {}).get("next") or {}).get("after") or "")
            if not after:
                return
            if int(after) + self.page_size > self.search_limit:
                last = results[-1] if results else None
                last_ms = self._modified_ms(last) if last else None
                if last_ms is None or last_ms == window:
                    raise ConnectorError(
                        "remote",
                        _(
                            "More than %(n)s HubSpot deals share one modification time; the "
                            "search API cannot page through them."
                        )
                        % {"n": self.search_limit},
                    )
                window, after = last_ms, None

    def _modified_ms(self, deal: dict[str, Any]) -> int:
        rid = str(deal.get("id"))
        value = pick(deal, "properties.hs_lastmodifieddate", system=SYSTEM, record_id=rid)
        moment = datetime_value(value, system=SYSTEM, record_id=rid, field="hs_lastmodifieddate")
        return int(moment.timestamp() * 1000)

    def owners(self) -> dict[str, str | None]:
        """owner id -> e-mail, active and archived owners."""
        if self._owners is None:
            owners: dict[str, str | None] = {}
            for archived in ("false", "true"):
                after: str | None = None
                while True:
                    params = {"limit": "500", "archived": archived}
                    if after:
                        params["after"] = after
                    answer = self._send("GET", "/crm/v3/owners", params=params)
                    for owner in answer.get("results", []) if isinstance(answer, dict) else []:
                        owners[str(owner.get("id"))] = owner.get("email") or None
                    after = ((answer.get("paging") or {}).get("next") or {}).get("after")
                    if not after:
                        break
            self._owners = owners
        return self._owners

    # Interface ---------------------------------------------------------------------------

    def check(self) -> None:
        answer = self._search(None, None, properties=self._properties(), limit=1)
        for deal in answer["results"]:
            self._row(deal)

    def changed_since(self, since: datetime | None) -> Iterator[Batch]:
        seen = SeenOnce()
        for deals in self._deal_pages(since, properties=self._properties()):
            rows = [self._row(d) for d in deals if seen.first_time(self._id(d))]
            if rows:
                yield Batch(rows=rows, cursor=rows[-1]["modified_at"])

    def all_ids(self) -> Iterator[list[str]]:
        seen = SeenOnce()
        for deals in self._deal_pages(None, properties=["hs_lastmodifieddate"]):
            ids = [i for i in (self._id(d) for d in deals) if seen.first_time(i)]
            if ids:
                yield ids

    # Mapping ---------------------------------------------------------------------------

    @staticmethod
    def _id(deal: Any) -> str:
        if not isinstance(deal, dict) or not deal.get("id"):
            raise malformed(SYSTEM, None, "id", deal, _("a deal"))
        return str(deal["id"])

    def _row(self, deal: dict[str, Any]) -> Row:
        rid = self._id(deal)
        props = pick(deal, "properties", system=SYSTEM, record_id=rid)
        if not isinstance(props, dict):
            raise malformed(SYSTEM, rid, "properties", props, _("an object"))

        def get(name: str) -> Any:
            return pick(props, name, system=SYSTEM, record_id=rid)

        amount = amount_text(get("amount"), system=SYSTEM, record_id=rid, field="amount")
        if amount is None:
            raise malformed(SYSTEM, rid, "amount", None, _("an amount"))
        close = date_text(get("closedate"), system=SYSTEM, record_id=rid, field="closedate")
        if close is None:
            raise malformed(SYSTEM, rid, "closedate", None, _("a date"))
        owner = get("hubspot_owner_id")
        modified = datetime_value(
            get("hs_lastmodifieddate"), system=SYSTEM, record_id=rid, field="hs_lastmodifieddate"
        )
        row: Row = {
            "external_id": rid,
            "date": close,
            "amount": amount,
            "currency": props.get("deal_currency_code") or None,
            "seller": self.owners().get(str(owner)) if owner else None,
            "split": None,
            "overlay": None,
            "channel": None,
            "customer": None,
            "territory": None,
            "solution": None,
            "modified_at": modified.isoformat(),
        }
        for key, name in self._optional().items():
            value = get(name)
            row[key] = None if value in (None, "") else str(value)
        return row
