"""Pipedrive: won deals through API v2, users for e-mails.

- Auth: a personal API token (``x-api-token`` header) or OAuth 2.0 (bearer token, refreshed
  with the refresh token at Pipedrive's token endpoint when the API answers 401; the new pair
  and the company's ``api_domain`` are kept, encrypted, for the next sync).
- Reading: ``GET /api/v2/deals?status=won&updated_since=…&sort_by=update_time`` with v2's
  cursor pagination (``additional_data.next_cursor``); ``won_time`` is the sale's date,
  ``update_time`` the cursor. ``GET /api/v1/users`` turns ``owner_id`` into an e-mail, and
  ``GET /api/v2/pipelines`` names the pipeline when it is read as the channel.
- Rate limits: a 429 is waited for (``Retry-After`` / ``x-ratelimit-reset``); when the wait
  runs to the daily reset (the company's token budget is spent) it is a quota error.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.sources.connectors.base import Batch, ConfigField, Connector, ConnectorError, Row
from pacte.sources.connectors.records import (
    SeenOnce,
    amount_text,
    date_text,
    datetime_text,
    decoded,
    fingerprint,
    malformed,
    pick,
    wait_for_rate_limit,
)
from pacte.sources.http import retry_after_seconds

SYSTEM = "Pipedrive"
TOKEN_URL = "https://oauth.pipedrive.com/oauth/token"


class PipedriveConnector(Connector):
    kind = "pipedrive"
    label = gettext_lazy("Pipedrive")
    config_fields = (
        ConfigField(
            "company_url",
            gettext_lazy("Company address"),
            help_text=gettext_lazy("https://yourcompany.pipedrive.com"),
        ),
        ConfigField(
            "auth",
            gettext_lazy("Authentication"),
            default="api_token",
            choices=(
                ("api_token", gettext_lazy("Personal API token")),
                ("oauth", gettext_lazy("OAuth app (refresh token)")),
            ),
        ),
        ConfigField("api_token", gettext_lazy("API token"), required=False, secret=True),
        ConfigField("client_id", gettext_lazy("OAuth client id"), required=False),
        ConfigField(
            "client_secret", gettext_lazy("OAuth client secret"), required=False, secret=True
        ),
        ConfigField(
            "refresh_token", gettext_lazy("OAuth refresh token"), required=False, secret=True
        ),
        ConfigField(
            "channel_field",
            gettext_lazy("Channel"),
            required=False,
            default="pipeline",
            help_text=gettext_lazy(
                "“pipeline” for the pipeline's name, or the key of a deal custom field."
            ),
        ),
        ConfigField(
            "token_url", gettext_lazy("OAuth token address"), required=False, default=TOKEN_URL
        ),
    )

    page_size = 500

    def __init__(self, config: dict[str, Any], secrets: dict[str, str], http: Any) -> None:
        super().__init__(config, secrets, http)
        kept = self.secrets.get("token_for") == self._fingerprint()
        self._token: str | None = (self.secrets.get("access_token") or None) if kept else None
        self._refresh_token: str | None = self.secrets.get("refresh_token") or None
        self._api_domain: str | None = (self.secrets.get("api_domain") or None) if kept else None
        self._changed = False
        self._users: dict[str, str | None] | None = None
        self._pipelines: dict[str, str] | None = None

    # Auth ----------------------------------------------------------------------------------

    def _oauth(self) -> bool:
        return self.setting("auth", "api_token") == "oauth"

    def _fingerprint(self) -> str:
        return fingerprint(self.setting("company_url"), self.setting("client_id"))

    @property
    def base(self) -> str:
        if self._oauth() and self._api_domain:
            return self._api_domain.rstrip("/")
        url = self.setting("company_url")
        if not url:
            raise ConnectorError(
                "config", _("The company address is not set."), field="company_url"
            )
        return url.rstrip("/")

    def _headers(self) -> dict[str, str]:
        if not self._oauth():
            return {"x-api-token": self.secret("api_token")}
        if not self._token:
            self._refresh_access()
        return {"Authorization": f"Bearer {self._token}"}

    def _refresh_access(self) -> None:
        pair = f"{self.setting('client_id')}:{self.secret('client_secret')}"
        response = self.http.post(
            self.setting("token_url", TOKEN_URL),
            headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()},
            data={
                "grant_type": "refresh_token",
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
            detail = (
                body.get("error_description") or body.get("error")
                if isinstance(body, dict)
                else None
            )
            raise ConnectorError(
                "auth",
                _("Pipedrive refused to refresh the access token: %(detail)s")
                % {"detail": detail or response.status_code},
            )
        self._token = str(body["access_token"])
        self._refresh_token = str(body.get("refresh_token") or self._refresh_token or "")
        self._api_domain = str(body.get("api_domain") or self._api_domain or "") or None
        self._changed = True

    def _refresh(self) -> Mapping[str, str]:
        self._token = None
        return self._headers()

    def secrets_to_store(self) -> dict[str, str] | None:
        if not self._changed or not self._token:
            return None
        return {
            "access_token": self._token,
            "refresh_token": self._refresh_token or "",
            "api_domain": self._api_domain or "",
            "token_for": self._fingerprint(),
        }

    # Requests ------------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        limited = 0
        while True:
            headers = self._headers()
            response = self.http.get(
                f"{self.base}{path}",
                params=params,
                headers=headers,
                refresh=self._refresh if self._oauth() else None,
                ok_statuses=(400, 404, 429),
            )
            body = decoded(response)
            if response.status_code == 429:
                limited += 1
                wait = retry_after_seconds(response.headers.get("Retry-After"), now=self.http.now())
                reset = response.headers.get("x-ratelimit-reset", "")
                longest = max(wait or 0.0, float(reset) if reset.isdigit() else 0.0)
                wait_for_rate_limit(
                    self.http,
                    response,
                    limited,
                    system=SYSTEM,
                    daily=longest > self.http.max_retry_after,
                )
                continue
            if response.status_code >= 400 or not isinstance(body, dict):
                error = body.get("error") if isinstance(body, dict) else None
                raise ConnectorError(
                    "remote",
                    _("Pipedrive refused %(path)s (HTTP %(status)s): %(msg)s")
                    % {"path": path, "status": response.status_code, "msg": str(error)[:300]},
                )
            if body.get("success") is False or not isinstance(
                body.get("data", []), (list, type(None))
            ):
                raise ConnectorError(
                    "remote",
                    _("Pipedrive answered %(path)s without its data: %(msg)s")
                    % {"path": path, "msg": str(body.get("error"))[:300]},
                )
            return body

    def _pages(self, path: str, params: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a v2 list, following ``additional_data.next_cursor``."""
        cursor: str | None = None
        while True:
            query = {**params, "limit": str(self.page_size)}
            if cursor:
                query["cursor"] = cursor
            body = self._get(path, query)
            yield list(body.get("data") or [])
            cursor = (body.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return

    def users(self) -> dict[str, str | None]:
        if self._users is None:
            body = self._get("/api/v1/users")
            self._users = {
                str(u.get("id")): (u.get("email") or None) for u in body.get("data") or []
            }
        return self._users

    def pipelines(self) -> dict[str, str]:
        if self._pipelines is None:
            self._pipelines = {
                str(p.get("id")): str(p.get("name"))
                for page in self._pages("/api/v2/pipelines", {})
                for p in page
            }
        return self._pipelines

    def _deal_params(self, since: datetime | None) -> dict[str, str]:
        params = {"status": "won", "sort_by": "update_time", "sort_direction": "asc"}
        if since is not None:
            params["updated_since"] = _utc(since)
        return params

    # Interface -------------------------------------------------------------------------------

    def check(self) -> None:
        body = self._get("/api/v2/deals", {**self._deal_params(None), "limit": "1"})
        for deal in body.get("data") or []:
            self._row(deal)

    def changed_since(self, since: datetime | None) -> Iterator[Batch]:
        seen = SeenOnce()
        for deals in self._pages("/api/v2/deals", self._deal_params(since)):
            rows = [self._row(d) for d in deals if seen.first_time(self._id(d))]
            if rows:
                yield Batch(rows=rows, cursor=rows[-1]["modified_at"])

    def all_ids(self) -> Iterator[list[str]]:
        seen = SeenOnce()
        params = {"status": "won", "sort_by": "id", "sort_direction": "asc"}
        for deals in self._pages("/api/v2/deals", params):
            ids = [i for i in (self._id(d) for d in deals) if seen.first_time(i)]
            if ids:
                yield ids

    # Mapping -------------------------------------------------------------------------------

    @staticmethod
    def _id(deal: Any) -> str:
        if not isinstance(deal, dict) or deal.get("id") in (None, ""):
            raise malformed(SYSTEM, None, "id", deal, _("a deal"))
        return str(deal["id"])

    def _row(self, deal: dict[str, Any]) -> Row:
        rid = self._id(deal)

        def get(path: str) -> Any:
            return pick(deal, path, system=SYSTEM, record_id=rid)

        amount = amount_text(get("value"), system=SYSTEM, record_id=rid, field="value")
        if amount is None:
            raise malformed(SYSTEM, rid, "value", None, _("an amount"))
        won = date_text(get("won_time"), system=SYSTEM, record_id=rid, field="won_time")
        if won is None:
            raise malformed(SYSTEM, rid, "won_time", None, _("a date"))
        owner = get("owner_id")
        row: Row = {
            "external_id": rid,
            "date": won,
            "amount": amount,
            "currency": get("currency") or None,
            "seller": self.users().get(str(owner)) if owner is not None else None,
            "split": None,
            "overlay": None,
            "channel": None,
            "customer": None,
            "territory": None,
            "solution": None,
            "modified_at": datetime_text(
                get("update_time"), system=SYSTEM, record_id=rid, field="update_time"
            ),
        }
        channel = self.setting("channel_field", "pipeline")
        if channel == "pipeline":
            pipeline = get("pipeline_id")
            row["channel"] = self.pipelines().get(str(pipeline)) if pipeline is not None else None
        elif channel:
            value = get(f"custom_fields.{channel}")
            if isinstance(value, dict):  # option fields: {"id": .., "label"/"value": ..}
                value = value.get("label") or value.get("value")
            row["channel"] = None if value in (None, "") else str(value)
        return row


def _utc(moment: datetime) -> str:
    """``2026-01-31T09:00:00Z``, as Pipedrive's ``updated_since`` takes it."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
