"""Reading a CRM's records into canonical rows: values located by their path in a record,
exact amounts and percentages, dates, credits in the file import's format, and the errors
that say which record and which field went wrong.

Shared by the Salesforce, HubSpot, Pipedrive and Odoo connectors; framework-free apart from
the translated messages.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from django.utils.translation import gettext as _

from pacte.sources.connectors.base import ConnectorError
from pacte.sources.http import retry_after_seconds, where

_MISSING = object()


def decoded(response: requests.Response) -> Any:
    """The JSON body with numbers read as ``Decimal`` (never a float on the way to money);
    a body that is not JSON is a "remote" error saying where."""
    try:
        return json.loads(response.content or b"null", parse_float=Decimal)
    except ValueError:
        raise ConnectorError(
            "remote",
            _("%(where)s did not answer JSON (content type %(type)s).")
            % {
                "where": where(response.url or ""),
                "type": response.headers.get("Content-Type", "?"),
            },
        ) from None


def fingerprint(*parts: str) -> str:
    """What a stored token was issued for (address, client, user): a token kept from another
    org or account is not reused after the settings change."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def malformed(
    system: str, record_id: str | None, field: str, value: Any, expected: str
) -> ConnectorError:
    """A record whose value cannot be read: located by record id and field."""
    return ConnectorError(
        "record",
        _(
            "%(system)s record %(id)s: the field “%(field)s” holds %(value)s, "
            "which is not %(expected)s."
        )
        % {
            "system": system,
            "id": record_id or "?",
            "field": field,
            "value": repr(value)[:80],
            "expected": expected,
        },
        record_id=record_id,
        field=field,
    )


def missing(system: str, record_id: str | None, field: str) -> ConnectorError:
    """Schema drift: a field the connector reads is absent from a record."""
    return ConnectorError(
        "schema",
        _(
            "%(system)s record %(id)s has no field “%(field)s”: it was renamed or removed "
            "on the %(system)s side, or the connection's settings name a field that does "
            "not exist."
        )
        % {"system": system, "id": record_id or "?", "field": field},
        record_id=record_id,
        field=field,
    )


def pick(record: Mapping[str, Any], path: str, *, system: str, record_id: str | None) -> Any:
    """The value at a dotted ``path`` (``Owner.Email``); a missing key is schema drift, a null
    on the way (no owner) is ``None``."""
    value: Any = record
    for part in path.split("."):
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise malformed(system, record_id, path, value, _("an object"))
        value = value.get(part, _MISSING)
        if value is _MISSING:
            raise missing(system, record_id, path)
    return value


def amount_text(value: Any, *, system: str, record_id: str | None, field: str) -> str | None:
    """An amount as a decimal string in major units (``"1234.50"``), ``None`` when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise malformed(system, record_id, field, value, _("an amount"))
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise malformed(system, record_id, field, value, _("an amount")) from None
    if not number.is_finite():
        raise malformed(system, record_id, field, value, _("an amount"))
    return format(number, "f")


def percent(value: Any, *, system: str, record_id: str | None, field: str) -> Decimal:
    """A percentage (0 < p ≤ 100) as a ``Decimal``."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise malformed(system, record_id, field, value, _("a percentage")) from None
    if isinstance(value, bool) or not number.is_finite() or number <= 0 or number > 100:
        raise malformed(system, record_id, field, value, _("a percentage"))
    return number


_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def date_text(value: Any, *, system: str, record_id: str | None, field: str) -> str | None:
    """The ``yyyy-mm-dd`` day of a date or datetime text (``2024-05-31``,
    ``2024-05-31T00:00:00Z``, ``2024-05-31 10:00:00``); ``None`` when empty."""
    if value is None or value == "" or value is False:
        return None
    match = _DATE_RE.match(str(value)) if isinstance(value, str) else None
    if match is None:
        raise malformed(system, record_id, field, value, _("a date"))
    try:
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        raise malformed(system, record_id, field, value, _("a date")) from None


def datetime_value(value: Any, *, system: str, record_id: str | None, field: str) -> datetime:
    """An aware datetime from ISO 8601 text (``Z``, ``+0000``, ``+00:00`` or none: UTC), or
    from epoch milliseconds."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    if not isinstance(value, str) or not value:
        raise malformed(system, record_id, field, value, _("a date and time"))
    text = value.strip().replace(" ", "T", 1)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise malformed(system, record_id, field, value, _("a date and time")) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def datetime_text(value: Any, *, system: str, record_id: str | None, field: str) -> str:
    return datetime_value(value, system=system, record_id=record_id, field=field).isoformat()


def share_text(value: Decimal) -> str:
    """``60`` / ``33.33``: a percentage as the split column reads it (two decimals at most,
    trailing zeros dropped)."""
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def credits_text(entries: Iterable[tuple[str, Decimal]], *, always_percent: bool) -> str | None:
    """``a@x.com:60;b@x.com:40`` from (e-mail, percent) pairs, the same person merged (their
    shares added, at most 100%). An overlay at 100% is written without its percentage."""
    merged: dict[str, Decimal] = {}
    for email, share in entries:
        key = email.strip().lower()
        merged[key] = min(Decimal(100), merged.get(key, Decimal(0)) + share)
    if not merged:
        return None
    parts = []
    for email, share in merged.items():
        if not always_percent and share == 100:
            parts.append(email)
        else:
            parts.append(f"{email}:{share_text(share)}")
    return ";".join(parts)


class SeenOnce:
    """Ids already yielded in this run: a record seen on two pages (it moved while paging)
    is yielded once."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def first_time(self, record_id: str) -> bool:
        if record_id in self._seen:
            return False
        self._seen.add(record_id)
        return True


def wait_for_rate_limit(
    http: Any, response: requests.Response, attempt: int, *, system: str, daily: bool
) -> None:
    """After a 429 the connector inspected itself: a daily quota is a "quota" error; a
    short-window limit is waited for (``Retry-After``, else ``X-RateLimit-Reset``, else the
    backoff) at most ``http.rate_limit_retries`` times, then a "rate_limit" error."""
    if daily:
        raise ConnectorError(
            "quota",
            _(
                "%(system)s's daily API quota is used up for this account; the sync will be "
                "tried again when it resets."
            )
            % {"system": system},
        )
    wait = retry_after_seconds(response.headers.get("Retry-After"), now=http.now())
    if wait is None:
        reset = response.headers.get("X-RateLimit-Reset", "")
        wait = float(reset) if reset.isdigit() else http._backoff(attempt)
    if attempt > http.rate_limit_retries or wait > http.max_retry_after:
        raise ConnectorError(
            "rate_limit",
            _("%(system)s is rate limiting Pacte (HTTP 429); the sync will be tried again later.")
            % {"system": system},
        )
    http.sleep(wait)
