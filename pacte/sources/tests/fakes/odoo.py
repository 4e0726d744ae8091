"""A local Odoo: the External JSON-2 API (``POST /json/2/<model>/<method>``, bearer API key,
errors as ``{"name", "message", "arguments", "context", "debug"}`` with 401/422 statuses) and
JSON-RPC (``/jsonrpc``: ``common.login``, ``object.execute_kw``, errors in the ``error``
member), serving ``search`` and ``search_read`` on ``sale.order``, ``account.move`` and
``res.users`` with domains of ``=``, ``in``, ``>``, ``>=`` terms."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pacte.sources.tests.fakes import FakeSystem, json_answer
from pacte.sources.tests.fakeserver import Answer, Request

ORDER_FIELDS = {
    "id",
    "name",
    "date_order",
    "amount_untaxed",
    "amount_total",
    "currency_id",
    "user_id",
    "team_id",
    "partner_id",
    "write_date",
    "state",
}
INVOICE_FIELDS = {
    "id",
    "name",
    "invoice_date",
    "amount_untaxed",
    "amount_total",
    "currency_id",
    "invoice_user_id",
    "team_id",
    "partner_id",
    "write_date",
    "state",
    "move_type",
    "reversed_entry_id",
}
USER_FIELDS = {"id", "login", "email", "name", "active"}


def order(
    i: int,
    *,
    amount: Any = 1000.0,
    user: int | None = 2,
    state: str = "sale",
    modified: datetime | None = None,
    team: str | None = "Europe",
) -> dict[str, Any]:
    moment = modified or datetime(2026, 3, 1) + timedelta(minutes=i)
    return {
        "id": i,
        "name": f"S{i:05d}",
        "date_order": "2026-03-15 10:30:00",
        "amount_untaxed": amount,
        "amount_total": amount,
        "currency_id": [1, "EUR"],
        "user_id": [user, f"User {user}"] if user else False,
        "team_id": [3, team] if team else False,
        "partner_id": [40 + i, f"Customer {i}"],
        "write_date": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "state": state,
    }


def invoice(
    i: int,
    *,
    amount: Any = 500.0,
    user: int | None = 2,
    state: str = "posted",
    team: str = "Americas",
) -> dict[str, Any]:
    return {
        "id": i,
        "name": f"INV/2026/{i:05d}",
        "invoice_date": "2026-03-20",
        "amount_untaxed": amount,
        "amount_total": amount,
        "currency_id": [2, "USD"],
        "invoice_user_id": [user, f"User {user}"] if user else False,
        "team_id": [4, team],
        "partner_id": [60 + i, f"Client {i}"],
        "write_date": (datetime(2026, 3, 1) + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S"),
        "state": state,
        "move_type": "out_invoice",
        "reversed_entry_id": False,
    }


def refund(
    i: int,
    *,
    reverses: int | None,
    amount: Any = 200.0,
    user: int | None = 3,
    state: str = "posted",
    team: str = "Support",
) -> dict[str, Any]:
    """A customer credit note (``out_refund``): Odoo keeps its ``amount_untaxed`` unsigned and
    points at the invoice it reverses with ``reversed_entry_id``."""
    return {
        **invoice(i, amount=amount, user=user, state=state, team=team),
        "name": f"RINV/2026/{i:05d}",
        "invoice_date": "2026-04-02",
        "move_type": "out_refund",
        "reversed_entry_id": [reverses, f"INV/2026/{reverses:05d}"] if reverses else False,
    }


class FakeOdoo(FakeSystem):
    def __init__(self, *, api_key: str = "odoo-key", database: str = "mycompany") -> None:
        super().__init__()
        self.api_key = api_key
        self.database = database
        self.login = "bot@example.com"
        self.models: dict[str, list[dict[str, Any]]] = {
            "sale.order": [],
            "account.move": [],
            "res.users": [
                {
                    "id": 2,
                    "login": "ann",
                    "email": "ann@example.com",
                    "name": "Ann",
                    "active": True,
                },
                {
                    "id": 3,
                    "login": "bob@example.com",
                    "email": False,
                    "name": "Bob",
                    "active": False,
                },
            ],
        }
        self.fields = {
            "sale.order": ORDER_FIELDS,
            "account.move": INVOICE_FIELDS,
            "res.users": USER_FIELDS,
        }

    # JSON-2 ----------------------------------------------------------------------------------

    def handle(self, req: Request) -> Answer:
        if req.path == "/jsonrpc":
            return self._jsonrpc(req.json())
        if not req.path.startswith("/json/2/"):
            return json_answer(self._exc("werkzeug.exceptions.NotFound", "Not Found"), 404)
        if req.headers.get("authorization") != f"bearer {self.api_key}":
            return json_answer(self._exc("werkzeug.exceptions.Unauthorized", "Invalid apikey"), 401)
        _, _, _, model, method = req.path.split("/", 4)
        try:
            return json_answer(self.call(model, method, req.json() or {}))
        except ValueError as exc:
            return json_answer(self._exc("builtins.ValueError", str(exc)), 422)

    @staticmethod
    def _exc(name: str, message: str) -> dict[str, Any]:
        return {
            "name": name,
            "message": message,
            "arguments": [message],
            "context": {},
            "debug": "",
        }

    # JSON-RPC ----------------------------------------------------------------------------------

    def _jsonrpc(self, body: dict[str, Any]) -> Answer:
        params = body.get("params", {})
        service, method, args = params.get("service"), params.get("method"), params.get("args", [])

        def result(value: Any) -> Answer:
            return json_answer({"jsonrpc": "2.0", "id": body.get("id"), "result": value})

        def error(name: str, message: str) -> Answer:
            data = {
                "name": name,
                "debug": "",
                "message": message,
                "arguments": [message],
                "context": {},
            }
            return json_answer(
                {
                    "jsonrpc": "2.0",
                    "id": body.get("id"),
                    "error": {"code": 200, "message": "Odoo Server Error", "data": data},
                }
            )

        if service == "common" and method == "login":
            db, login, key = args
            ok = db == self.database and login == self.login and key == self.api_key
            return result(7 if ok else False)
        if service == "object" and method == "execute_kw":
            db, uid, key, model, meth, _positional, kwargs = args
            if db != self.database or uid != 7 or key != self.api_key:
                return error("odoo.exceptions.AccessDenied", "Access Denied")
            try:
                return result(self.call(model, meth, kwargs))
            except ValueError as exc:
                return error("builtins.ValueError", str(exc))
        return error("builtins.KeyError", f"{service}.{method}")

    # The ORM, as far as the connector needs it ---------------------------------------------

    def call(self, model: str, method: str, kwargs: dict[str, Any]) -> Any:
        if model not in self.models:
            raise ValueError(f"Invalid model {model!r}")
        known = self.fields[model]
        domain = kwargs.get("domain", [])
        for term in domain:
            if isinstance(term, list) and term[0] not in known:
                raise ValueError(f"Invalid field {term[0]!r} on model {model!r}")
        rows = [r for r in self.models[model] if all(self._holds(r, t) for t in domain)]
        rows.sort(key=lambda r: r["id"])
        limit = kwargs.get("limit")
        if limit:
            rows = rows[: int(limit)]
        if method == "search":
            return [r["id"] for r in rows]
        if method == "search_read":
            fields = kwargs.get("fields") or sorted(known)
            for name in fields:
                if name not in known:
                    raise ValueError(f"Invalid field {name!r} on model {model!r}")
            return [{name: r.get(name, False) for name in ["id", *fields]} for r in rows]
        raise ValueError(f"The method {method!r} does not exist on the model {model!r}")

    @staticmethod
    def _holds(record: dict[str, Any], term: Any) -> bool:
        field, op, value = term
        have = record.get(field)
        if op == "=":
            return bool(have == value)
        if op == "in":
            return have in value
        if op == ">":
            return bool(have is not None and have > value)
        if op == ">=":
            return bool(have is not None and have >= value)
        raise ValueError(f"Invalid operator {op!r}")
