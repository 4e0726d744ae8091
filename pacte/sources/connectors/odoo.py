"""Odoo: confirmed sale orders or posted customer invoices, over the External JSON-2 API
(Odoo 19+, ``POST /json/2/<model>/<method>`` with a bearer API key) or JSON-RPC
(``/jsonrpc``, ``execute_kw``; older versions).

- Orders: ``sale.order`` in state ``sale`` (or ``done``), dated by ``date_order``, salesperson
  ``user_id``; invoices: ``account.move`` of type ``out_invoice`` in state ``posted``, dated by
  ``invoice_date``, salesperson ``invoice_user_id``. Amount: ``amount_untaxed`` in the
  document's currency; channel: the sales team (``team_id``); customer: ``partner_id``.
- Credit notes (invoices only): posted ``out_refund`` moves are negative sales dated by their
  own ``invoice_date``, credited as the invoice they reverse (``reversed_entry_id``: its
  salesperson and sales team), so the refund takes back the credit the invoice gave; a credit
  note that reverses no invoice keeps its own salesperson and team.
- ``write_date`` is the cursor; pages are read by ascending id (``id > last``), which neither
  skips nor repeats a record when others change while paging.
- Salespeople's e-mails come from ``res.users`` (archived users included), once per user.
- Errors: 401 or ``AccessDenied`` is an auth error; ``Invalid field 'x' on model 'y'`` is
  schema drift naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
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
    malformed,
    pick,
)

SYSTEM = "Odoo"
_INVALID_FIELD = re.compile(r"Invalid field '([^']+)'|Invalid field ([\w.]+)")

SOURCES: dict[str, dict[str, Any]] = {
    "orders": {
        "model": "sale.order",
        "domain": [["state", "in", ["sale", "done"]]],
        "date": "date_order",
        "user": "user_id",
    },
    "invoices": {
        "model": "account.move",
        "domain": [["move_type", "in", ["out_invoice", "out_refund"]], ["state", "=", "posted"]],
        "date": "invoice_date",
        "user": "invoice_user_id",
    },
}


def odoo_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def many2one_name(value: Any) -> str | None:
    """``[7, "Europe"]`` -> ``"Europe"``; ``false`` -> ``None``."""
    if isinstance(value, list) and len(value) == 2:
        return str(value[1])
    return None


def many2one_id(value: Any) -> int | None:
    if isinstance(value, list) and value and isinstance(value[0], int):
        return value[0]
    return None


def refunded(amount: str) -> str:
    """A credit note's amount as a negative sale: ``"120.50"`` -> ``"-120.50"`` (Odoo gives a
    credit note's ``amount_untaxed`` unsigned; a signed one stays negative). Exact decimals."""
    return format(-abs(Decimal(amount)), "f")


class OdooConnector(Connector):
    kind = "odoo"
    label = gettext_lazy("Odoo")
    config_fields = (
        ConfigField(
            "url",
            gettext_lazy("Odoo address"),
            help_text=gettext_lazy("https://mycompany.odoo.com"),
        ),
        ConfigField(
            "database",
            gettext_lazy("Database"),
            required=False,
            help_text=gettext_lazy(
                "Needed when the server hosts several databases, and for JSON-RPC."
            ),
        ),
        ConfigField(
            "protocol",
            gettext_lazy("API"),
            default="json2",
            choices=(
                ("json2", gettext_lazy("JSON-2 (Odoo 19 and later)")),
                ("jsonrpc", gettext_lazy("JSON-RPC (Odoo 18 and earlier)")),
            ),
        ),
        ConfigField(
            "login",
            gettext_lazy("User login"),
            required=False,
            help_text=gettext_lazy("For JSON-RPC: the login of the user the API key belongs to."),
        ),
        ConfigField("api_key", gettext_lazy("API key"), secret=True),
        ConfigField(
            "source",
            gettext_lazy("What counts as a sale"),
            default="orders",
            choices=(
                ("orders", gettext_lazy("Confirmed sale orders")),
                ("invoices", gettext_lazy("Posted customer invoices")),
            ),
        ),
    )

    page_size = 1000

    def __init__(self, config: dict[str, Any], secrets: dict[str, str], http: Any) -> None:
        super().__init__(config, secrets, http)
        self._uid: int | None = None
        self._emails: dict[int, str | None] = {}
        #: Reversed invoices' id -> (salesperson id, sales team) for credit notes.
        self._reversed: dict[int, tuple[int | None, str | None]] = {}
        self._rpc_id = 0

    # Transport ---------------------------------------------------------------------------

    @property
    def base(self) -> str:
        url = self.setting("url")
        if not url:
            raise ConnectorError("config", _("The Odoo address is not set."), field="url")
        return url.rstrip("/")

    @property
    def source(self) -> dict[str, Any]:
        return SOURCES.get(self.setting("source", "orders"), SOURCES["orders"])

    def _call(self, model: str, method: str, **kwargs: Any) -> Any:
        if self.setting("protocol", "json2") == "jsonrpc":
            return self._jsonrpc(model, method, kwargs)
        return self._json2(model, method, kwargs)

    def _json2(self, model: str, method: str, kwargs: dict[str, Any]) -> Any:
        headers = {"Authorization": f"bearer {self.secret('api_key')}"}
        if self.setting("database"):
            headers["X-Odoo-Database"] = self.setting("database")
        response = self.http.post(
            f"{self.base}/json/2/{model}/{method}",
            json=kwargs,
            headers=headers,
            ok_statuses=(400, 404, 422),
        )
        body = decoded(response)
        if response.status_code >= 400:
            raise self._error(body if isinstance(body, dict) else {}, model, method)
        return body

    def _jsonrpc(self, model: str, method: str, kwargs: dict[str, Any]) -> Any:
        database = self.setting("database")
        if not database:
            raise ConnectorError("config", _("JSON-RPC needs the database name."), field="database")
        if self._uid is None:
            uid = self._rpc(
                "common", "login", [database, self.setting("login"), self.secret("api_key")]
            )
            if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
                raise ConnectorError(
                    "auth",
                    _("Odoo refused the login and API key for database %(db)s.") % {"db": database},
                )
            self._uid = uid
        return self._rpc(
            "object",
            "execute_kw",
            [database, self._uid, self.secret("api_key"), model, method, [], kwargs],
            where=(model, method),
        )

    def _rpc(
        self, service: str, method: str, args: list[Any], *, where: tuple[str, str] | None = None
    ) -> Any:
        self._rpc_id += 1
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": self._rpc_id,
        }
        body = decoded(self.http.post(f"{self.base}/jsonrpc", json=payload))
        if not isinstance(body, dict):
            raise ConnectorError("remote", _("Odoo answered JSON-RPC without a result."))
        if "error" in body:
            error = body["error"] if isinstance(body["error"], dict) else {}
            data: dict[str, Any] = error["data"] if isinstance(error.get("data"), dict) else {}
            raise self._error(
                {
                    "name": data.get("name", ""),
                    "message": data.get("message") or error.get("message"),
                },
                *(where or (service, method)),
            )
        return body.get("result")

    @staticmethod
    def _error(body: dict[str, Any], model: str, method: str) -> ConnectorError:
        name = str(body.get("name", ""))
        message = str(body.get("message", ""))[:300]
        if "AccessDenied" in name or "AccessError" in name:
            return ConnectorError(
                "auth",
                _("Odoo refused access to %(model)s: %(msg)s") % {"model": model, "msg": message},
            )
        match = _INVALID_FIELD.search(message)
        if match:
            field = match[1] or match[2]
            return ConnectorError(
                "schema",
                _(
                    "Odoo does not know the field “%(field)s” of %(model)s (renamed, removed, "
                    "or its module is not installed)."
                )
                % {"field": field, "model": model},
                field=field,
            )
        return ConnectorError(
            "remote",
            _("Odoo refused %(model)s.%(method)s: %(msg)s")
            % {"model": model, "method": method, "msg": message or name},
        )

    # Reading -------------------------------------------------------------------------------

    @property
    def reads_invoices(self) -> bool:
        return self.source["model"] == "account.move"

    def _fields(self) -> list[str]:
        src = self.source
        fields = [
            "id",
            "name",
            src["date"],
            "amount_untaxed",
            "currency_id",
            src["user"],
            "team_id",
            "partner_id",
            "write_date",
        ]
        if self.reads_invoices:
            fields += ["move_type", "reversed_entry_id"]
        return fields

    def _domain(self, since: datetime | None) -> list[Any]:
        domain = list(self.source["domain"])
        if since is not None:
            domain.append(["write_date", ">=", odoo_datetime(since)])
        return domain

    def _pages(
        self, since: datetime | None, *, fields: list[str] | None, limit: int
    ) -> Iterator[list[Any]]:
        """Pages by ascending id; ``fields=None`` reads ids only (``search``)."""
        last = 0
        model = self.source["model"]
        while True:
            domain = [*self._domain(since), ["id", ">", last]]
            if fields is None:
                page = self._call(model, "search", domain=domain, order="id asc", limit=limit)
            else:
                page = self._call(
                    model, "search_read", domain=domain, fields=fields, order="id asc", limit=limit
                )
            if not isinstance(page, list):
                raise ConnectorError(
                    "remote", _("Odoo answered %(model)s without a list.") % {"model": model}
                )
            if not page:
                return
            yield page
            tail = (
                page[-1]
                if fields is None
                else (page[-1].get("id") if isinstance(page[-1], dict) else None)
            )
            if not isinstance(tail, int) or tail <= last:
                raise malformed(SYSTEM, None, "id", tail, _("a record id"))
            last = tail
            if len(page) < limit:
                return

    @staticmethod
    def _is_refund(record: dict[str, Any]) -> bool:
        return record.get("move_type") == "out_refund"

    def _load_reversed(self, records: list[dict[str, Any]]) -> None:
        """The salesperson and team of the invoices this page's credit notes reverse (one
        request per page, each invoice once)."""
        wanted = {
            rid
            for r in records
            if isinstance(r, dict)
            and self._is_refund(r)
            and (rid := many2one_id(r.get("reversed_entry_id"))) is not None
        } - set(self._reversed)
        if not wanted:
            return
        user_field = self.source["user"]
        originals = self._call(
            "account.move",
            "search_read",
            domain=[["id", "in", sorted(wanted)]],
            fields=[user_field, "team_id"],
        )
        for original in originals if isinstance(originals, list) else []:
            if isinstance(original, dict) and isinstance(original.get("id"), int):
                self._reversed[original["id"]] = (
                    many2one_id(original.get(user_field)),
                    many2one_name(original.get("team_id")),
                )

    def _load_emails(self, records: list[dict[str, Any]]) -> None:
        field = self.source["user"]
        users = [r.get(field) for r in records if isinstance(r, dict)]
        users += [[uid, ""] for uid, _team in self._reversed.values() if uid is not None]
        wanted = {uid for u in users if (uid := many2one_id(u)) is not None} - set(self._emails)
        if not wanted:
            return
        users = self._call(
            "res.users",
            "search_read",
            domain=[["id", "in", sorted(wanted)]],
            fields=["email", "login"],
            context={"active_test": False},
        )
        for user in users if isinstance(users, list) else []:
            if isinstance(user, dict) and isinstance(user.get("id"), int):
                email = user.get("email") or user.get("login")
                self._emails[user["id"]] = str(email) if email and "@" in str(email) else None

    # Interface ---------------------------------------------------------------------------

    def check(self) -> None:
        for page in self._pages(None, fields=self._fields(), limit=1):
            self._load_reversed(page)
            self._load_emails(page)
            for record in page:
                self._row(record)
            return

    def changed_since(self, since: datetime | None) -> Iterator[Batch]:
        seen = SeenOnce()
        newest: str | None = None
        for page in self._pages(since, fields=self._fields(), limit=self.page_size):
            self._load_reversed(page)
            self._load_emails(page)
            rows = [self._row(r) for r in page if seen.first_time(self._id(r))]
            for row in rows:
                if newest is None or (row["modified_at"] or "") > newest:
                    newest = row["modified_at"]
            if rows:
                yield Batch(rows=rows, cursor=newest)

    def all_ids(self) -> Iterator[list[str]]:
        for page in self._pages(None, fields=None, limit=self.page_size * 5):
            yield [str(i) for i in page]

    # Mapping -------------------------------------------------------------------------------

    @staticmethod
    def _id(record: Any) -> str:
        if not isinstance(record, dict) or not isinstance(record.get("id"), int):
            raise malformed(SYSTEM, None, "id", record, _("a record"))
        return str(record["id"])

    def _row(self, record: dict[str, Any]) -> Row:
        rid = self._id(record)
        src = self.source

        def get(name: str) -> Any:
            return pick(record, name, system=SYSTEM, record_id=rid)

        amount = amount_text(
            get("amount_untaxed"), system=SYSTEM, record_id=rid, field="amount_untaxed"
        )
        if amount is None:
            raise malformed(SYSTEM, rid, "amount_untaxed", None, _("an amount"))
        day = date_text(get(src["date"]), system=SYSTEM, record_id=rid, field=src["date"])
        if day is None:
            raise malformed(SYSTEM, rid, src["date"], None, _("a date"))
        user = many2one_id(get(src["user"]))
        team = many2one_name(get("team_id"))
        if self.reads_invoices and get("move_type") == "out_refund":
            amount = refunded(amount)
            original = many2one_id(get("reversed_entry_id"))
            if original is not None and original in self._reversed:
                user, team = self._reversed[original]
        return {
            "external_id": rid,
            "date": day,
            "amount": amount,
            "currency": many2one_name(get("currency_id")),
            "seller": self._emails.get(user) if user is not None else None,
            "split": None,
            "overlay": None,
            "channel": team,
            "customer": many2one_name(get("partner_id")),
            "territory": None,
            "solution": None,
            "modified_at": datetime_text(
                get("write_date"), system=SYSTEM, record_id=rid, field="write_date"
            ),
        }
