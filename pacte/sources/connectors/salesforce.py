"""Salesforce: closed-won Opportunities through the REST query API, with their
``OpportunitySplit`` rows as split and overlay credit.

- Auth: OAuth 2.0 JWT bearer (a connected app's certificate; the JWT is signed here with the
  private key, RS256) or client credentials; the token is fetched again once when Salesforce
  answers 401 ``INVALID_SESSION_ID``, and kept (encrypted) for the next sync.
- Reading: one SOQL query over ``Opportunity WHERE IsWon = true`` ordered by
  ``SystemModstamp`` (the cursor), pages followed through ``nextRecordsUrl``; for each page,
  the splits of its opportunities (``SplitType.IsTotalValued``: revenue split, adding up to
  100%, otherwise overlay).
- Errors: ``REQUEST_LIMIT_EXCEEDED`` is the org's daily API quota; ``INVALID_FIELD`` (a field
  renamed or removed, or a configured field that does not exist) is schema drift naming the
  field.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.sources.connectors.base import Batch, ConfigField, Connector, ConnectorError, Row
from pacte.sources.connectors.records import (
    SeenOnce,
    amount_text,
    credits_text,
    date_text,
    datetime_text,
    decoded,
    fingerprint,
    malformed,
    missing,
    percent,
    pick,
)

SYSTEM = "Salesforce"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Opportunity ids per split query (keeps the query's URL well under Salesforce's limit).
SPLIT_CHUNK = 200
_COLUMN_RE = re.compile(r"No such column '([^']+)'|relationship '([^']+)'|field '([^']+)'")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_assertion(
    *, issuer: str, subject: str, audience: str, private_key_pem: str, now: float
) -> str:
    """The signed JWT (RS256) of Salesforce's JWT bearer flow: ``iss`` the connected app's
    consumer key, ``sub`` the user name, ``aud`` the login URL, valid three minutes."""
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ConnectorError(
            "config",
            _("The private key is not an unencrypted PEM key."),
            field="private_key",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConnectorError(
            "config", _("The private key must be an RSA key."), field="private_key"
        )
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = {"iss": issuer, "sub": subject, "aud": audience, "exp": int(now) + 180}
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def soql_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def soql_ids(ids: list[str]) -> str:
    return ", ".join("'" + i.replace("\\", "\\\\").replace("'", "\\'") + "'" for i in ids)


class SalesforceConnector(Connector):
    kind = "salesforce"
    label = gettext_lazy("Salesforce")
    config_fields = (
        ConfigField(
            "login_url",
            gettext_lazy("Login URL"),
            default="https://login.salesforce.com",
            help_text=gettext_lazy(
                "https://login.salesforce.com, https://test.salesforce.com for a sandbox, or "
                "your My Domain URL (required for client credentials)."
            ),
        ),
        ConfigField(
            "auth_flow",
            gettext_lazy("Authentication"),
            default="jwt",
            choices=(
                ("jwt", gettext_lazy("JWT bearer (connected app with a certificate)")),
                ("client_credentials", gettext_lazy("Client credentials")),
            ),
        ),
        ConfigField("client_id", gettext_lazy("Consumer key (client id)")),
        ConfigField(
            "username",
            gettext_lazy("Integration user name"),
            required=False,
            help_text=gettext_lazy("The Salesforce user the JWT bearer flow signs in as."),
        ),
        ConfigField(
            "private_key",
            gettext_lazy("Private key (PEM)"),
            required=False,
            secret=True,
            help_text=gettext_lazy("The key of the certificate uploaded to the connected app."),
        ),
        ConfigField("client_secret", gettext_lazy("Consumer secret"), required=False, secret=True),
        ConfigField("api_version", gettext_lazy("API version"), required=False, default="v62.0"),
        ConfigField(
            "channel_field",
            gettext_lazy("Channel field"),
            required=False,
            default="RecordType.Name",
            help_text=gettext_lazy("An Opportunity field (or path) read as the channel."),
        ),
        ConfigField(
            "customer_field", gettext_lazy("Customer field"), required=False, default="Account.Name"
        ),
        ConfigField("territory_field", gettext_lazy("Territory field"), required=False),
        ConfigField("solution_field", gettext_lazy("Solution field"), required=False),
        ConfigField(
            "cursor_field",
            gettext_lazy("Modification stamp"),
            required=False,
            default="SystemModstamp",
            choices=(
                (
                    "SystemModstamp",
                    gettext_lazy("SystemModstamp (any change, automations included)"),
                ),
                ("LastModifiedDate", gettext_lazy("LastModifiedDate (changes made by users)")),
            ),
        ),
        ConfigField(
            "splits",
            gettext_lazy("Opportunity splits"),
            required=False,
            default="auto",
            choices=(
                ("auto", gettext_lazy("Read them when the org has opportunity splits")),
                ("off", gettext_lazy("Ignore them")),
            ),
        ),
    )

    def __init__(self, config: dict[str, Any], secrets: dict[str, str], http: Any) -> None:
        super().__init__(config, secrets, http)
        kept = self.secrets.get("token_for") == self._fingerprint()
        self._token: str | None = (self.secrets.get("access_token") or None) if kept else None
        self._instance: str | None = (self.secrets.get("instance_url") or None) if kept else None
        self._changed = False
        #: ``None`` until a query tells whether the org has multiple currencies.
        self._multi_currency: bool | None = None
        self._splits = self.setting("splits", "auto") != "off"

    # Auth ----------------------------------------------------------------------------

    def _authenticate(self) -> None:
        login = self.setting("login_url", "https://login.salesforce.com").rstrip("/")
        client_id = self.setting("client_id")
        if not client_id:
            raise ConnectorError("config", _("The consumer key is not set."), field="client_id")
        if self.setting("auth_flow", "jwt") == "client_credentials":
            data = {
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": self.secret("client_secret"),
            }
        else:
            data = {
                "grant_type": JWT_GRANT,
                "assertion": jwt_assertion(
                    issuer=client_id,
                    subject=self.setting("username"),
                    audience=login,
                    private_key_pem=self.secret("private_key"),
                    now=time.time(),
                ),
            }
        response = self.http.post(f"{login}/services/oauth2/token", data=data, ok_statuses=(400,))
        body = decoded(response)
        if response.status_code == 400 or not isinstance(body, dict) or "access_token" not in body:
            detail = body.get("error_description") if isinstance(body, dict) else None
            raise ConnectorError(
                "auth",
                _("Salesforce refused to issue a token: %(detail)s")
                % {"detail": detail or response.status_code},
            )
        self._token = str(body["access_token"])
        self._instance = str(body.get("instance_url") or login).rstrip("/")
        self._changed = True

    def _fingerprint(self) -> str:
        return fingerprint(
            self.setting("login_url", "https://login.salesforce.com").rstrip("/"),
            self.setting("auth_flow", "jwt"),
            self.setting("client_id"),
            self.setting("username"),
        )

    def _headers(self) -> dict[str, str]:
        if not self._token or not self._instance:
            self._authenticate()
        return {"Authorization": f"Bearer {self._token}"}

    def _refresh(self) -> Mapping[str, str]:
        self._token = None
        return self._headers()

    def secrets_to_store(self) -> dict[str, str] | None:
        if not self._changed or not self._token or not self._instance:
            return None
        return {
            "access_token": self._token,
            "instance_url": self._instance,
            "token_for": self._fingerprint(),
        }

    # Requests ------------------------------------------------------------------------

    def _get(self, path_or_url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        headers = self._headers()
        url = path_or_url if path_or_url.startswith("http") else f"{self._instance}{path_or_url}"
        response = self.http.get(
            url,
            params=params,
            headers=headers,
            refresh=self._refresh,
            ok_statuses=(400, 403, 404),
        )
        body = decoded(response)
        if response.status_code >= 400:
            raise self._error(response, body)
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise ConnectorError(
                "remote", _("Salesforce answered a query without its list of records.")
            )
        return body

    def _error(self, response: requests.Response, body: Any) -> ConnectorError:
        first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
        code = str(first.get("errorCode", ""))
        message = str(first.get("message", ""))[:300]
        if code == "REQUEST_LIMIT_EXCEEDED":
            return ConnectorError(
                "quota",
                _(
                    "The Salesforce org has used its daily API requests (REQUEST_LIMIT_EXCEEDED); "
                    "the sync will be tried again later."
                ),
            )
        if code in ("INVALID_FIELD", "INVALID_TYPE"):
            match = _COLUMN_RE.search(message)
            field = next((g for g in match.groups() if g), None) if match else None
            return ConnectorError(
                "schema",
                _("Salesforce does not know a field or object of the query (%(code)s): %(msg)s")
                % {"code": code, "msg": message},
                field=field or ("OpportunitySplit" if code == "INVALID_TYPE" else None),
            )
        if response.status_code == 403:
            return ConnectorError(
                "auth",
                _("Salesforce refused access (%(code)s): %(msg)s") % {"code": code, "msg": message},
            )
        return ConnectorError(
            "remote",
            _("Salesforce refused the query (HTTP %(status)s, %(code)s): %(msg)s")
            % {"status": response.status_code, "code": code or "?", "msg": message},
        )

    def _query(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        """Every page of records of ``soql``, following ``nextRecordsUrl``."""
        version = self.setting("api_version", "v62.0")
        body = self._get(f"/services/data/{version}/query", {"q": soql})
        while True:
            yield body["records"]
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            body = self._get(str(next_url))

    # Fields ----------------------------------------------------------------------------

    def _stamp(self) -> str:
        """The modification stamp the cursor reads (a choice, never free text)."""
        picked = self.setting("cursor_field", "SystemModstamp")
        return picked if picked in ("SystemModstamp", "LastModifiedDate") else "SystemModstamp"

    def _optional_fields(self) -> dict[str, str]:
        """Canonical key -> configured Opportunity field."""
        fields = {
            "channel": self.setting("channel_field", "RecordType.Name"),
            "customer": self.setting("customer_field", "Account.Name"),
            "territory": self.setting("territory_field"),
            "solution": self.setting("solution_field"),
        }
        return {key: path for key, path in fields.items() if path}

    def _soql(self, since: datetime | None, *, limit: int | None = None) -> str:
        stamp = self._stamp()
        fields = ["Id", "Amount", "CloseDate", "Owner.Email", stamp]
        fields += [f for f in self._optional_fields().values() if f not in fields]
        if self._multi_currency is not False:
            fields.append("CurrencyIsoCode")
        where = "IsWon = true"
        if since is not None:
            where += f" AND {stamp} >= {soql_datetime(since)}"
        # SOQL, not SQL: field names come from the connection's settings (a wrong one is a
        # located INVALID_FIELD), values are dates formatted here.
        soql = f"SELECT {', '.join(fields)} FROM Opportunity WHERE {where} "  # noqa: S608
        soql += f"ORDER BY {stamp}, Id"
        return soql + (f" LIMIT {limit}" if limit else "")

    def _opportunity_pages(
        self, since: datetime | None, *, limit: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of closed-won opportunities; the first query tells whether the org has
        ``CurrencyIsoCode`` (multiple currencies) and drops it when not."""
        try:
            pages = self._query(self._soql(since, limit=limit))
            first = next(pages, [])
        except ConnectorError as error:
            if error.field != "CurrencyIsoCode" or self._multi_currency is False:
                raise
            self._multi_currency = False
            pages = self._query(self._soql(since, limit=limit))
            first = next(pages, [])
        else:
            if self._multi_currency is None:
                self._multi_currency = True
        yield first
        yield from pages

    # Interface ---------------------------------------------------------------------------

    def check(self) -> None:
        for records in self._opportunity_pages(None, limit=1):
            for record in records:
                self._row(record, {})
        if self._splits:
            self._split_credits(["000000000000000AAA"])

    def changed_since(self, since: datetime | None) -> Iterator[Batch]:
        seen = SeenOnce()
        for records in self._opportunity_pages(since):
            fresh = []
            for record in records:
                record_id = self._record_id(record)
                if seen.first_time(record_id):
                    fresh.append(record)
            credits = self._split_credits([self._record_id(r) for r in fresh])
            rows = [self._row(r, credits) for r in fresh]
            if rows:
                yield Batch(rows=rows, cursor=rows[-1]["modified_at"])

    def all_ids(self) -> Iterator[list[str]]:
        seen = SeenOnce()
        for records in self._query("SELECT Id FROM Opportunity WHERE IsWon = true"):
            ids = [i for i in (self._record_id(r) for r in records) if seen.first_time(i)]
            if ids:
                yield ids

    # Mapping -------------------------------------------------------------------------------

    @staticmethod
    def _record_id(record: Any) -> str:
        if not isinstance(record, dict):
            raise malformed(SYSTEM, None, "Id", record, _("a record"))
        value = record.get("Id")
        if "Id" not in record:
            raise missing(SYSTEM, None, "Id")
        if not isinstance(value, str) or not value:
            raise malformed(SYSTEM, None, "Id", value, _("a record id"))
        return value

    def _row(self, record: dict[str, Any], credits: dict[str, dict[str, Any]]) -> Row:
        rid = self._record_id(record)

        def get(path: str) -> Any:
            return pick(record, path, system=SYSTEM, record_id=rid)

        amount = amount_text(get("Amount"), system=SYSTEM, record_id=rid, field="Amount")
        if amount is None:
            raise malformed(SYSTEM, rid, "Amount", None, _("an amount"))
        close = date_text(get("CloseDate"), system=SYSTEM, record_id=rid, field="CloseDate")
        if close is None:
            raise malformed(SYSTEM, rid, "CloseDate", None, _("a date"))
        row: Row = {
            "external_id": rid,
            "date": close,
            "amount": amount,
            "currency": None,
            "seller": get("Owner.Email"),
            "split": None,
            "overlay": None,
            "channel": None,
            "customer": None,
            "territory": None,
            "solution": None,
            "modified_at": datetime_text(
                get(self._stamp()), system=SYSTEM, record_id=rid, field=self._stamp()
            ),
        }
        if self._multi_currency:
            row["currency"] = get("CurrencyIsoCode")
        for key, path in self._optional_fields().items():
            value = get(path)
            row[key] = None if value is None else str(value)
        mine = credits.get(rid)
        if mine:
            row["split"] = credits_text(mine["split"], always_percent=True)
            row["overlay"] = credits_text(mine["overlay"], always_percent=False)
        return row

    def _split_credits(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """opportunity id -> {"split": [(email, pct)], "overlay": [(email, pct)]}."""
        out: dict[str, dict[str, Any]] = {}
        if not self._splits or not ids:
            return out
        for start in range(0, len(ids), SPLIT_CHUNK):
            chunk = ids[start : start + SPLIT_CHUNK]
            # SOQL, not SQL; the ids are quoted and escaped by soql_ids.
            soql = (
                "SELECT Id, OpportunityId, SplitOwner.Email, SplitPercentage, "  # noqa: S608
                "SplitType.MasterLabel, SplitType.IsTotalValued FROM OpportunitySplit "
                f"WHERE OpportunityId IN ({soql_ids(chunk)}) ORDER BY OpportunityId, Id"
            )
            try:
                for records in self._query(soql):
                    for split in records:
                        self._add_split(out, split)
            except ConnectorError as error:
                if (
                    error.code == "schema"
                    and error.field == "OpportunitySplit"
                    and self.setting("splits", "auto") == "auto"
                ):
                    self._splits = False  # the org has no opportunity splits
                    return {}
                raise
        return out

    @staticmethod
    def _add_split(out: dict[str, dict[str, Any]], split: Any) -> None:
        sid = split.get("Id") if isinstance(split, dict) else None
        if not isinstance(split, dict):
            raise malformed(SYSTEM, None, "OpportunitySplit", split, _("a record"))
        opportunity = pick(split, "OpportunityId", system=SYSTEM, record_id=sid)
        email = pick(split, "SplitOwner.Email", system=SYSTEM, record_id=sid)
        if not email:
            return  # a split owner without an e-mail cannot be credited; the rules apply
        share = percent(
            pick(split, "SplitPercentage", system=SYSTEM, record_id=sid),
            system=SYSTEM,
            record_id=sid,
            field="SplitPercentage",
        )
        revenue = pick(split, "SplitType.IsTotalValued", system=SYSTEM, record_id=sid)
        entry = out.setdefault(str(opportunity), {"split": [], "overlay": []})
        entry["split" if revenue else "overlay"].append((str(email), share))
