"""The connector interface: what a data source (a CRM, an ERP, any HTTPS endpoint) gives the
sync engine, and the one error type it raises.

A connector reads; it never writes to the database. The engine (``pacte.sources.sync``) turns
its batches of canonical rows into an import through the same path as a file
(``pacte.sales.ingest``), so validation, crediting and the cube stay in one place.

Canonical row keys are the fields of a file import's mapping (``pacte.sales.mapping``):

- ``external_id``: the record's id in the remote system (unique per connection);
- ``date``: ISO ``yyyy-mm-dd``; ``amount``: a decimal string in major units (``"1234.50"``);
- ``currency``: ISO 4217 code; ``seller``: an e-mail;
- ``split``: ``"a@x.com:60;b@x.com:40"`` (the file import's split column);
- ``overlay``: ``"a@x.com;b@x.com:50"`` (no percentage = 100%);
- ``channel``, ``customer``, ``territory``, ``solution``: names, as in a file;
- ``modified_at``: ISO datetime of the record's last change on the remote side.

A value may be ``None`` (absent). The connection's mapping profile can remap keys the way a
file's columns are remapped.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from pacte.sources.http import Http

#: The canonical keys of a row, in the order a preview shows them.
CANONICAL_KEYS: tuple[str, ...] = (
    "external_id",
    "date",
    "amount",
    "currency",
    "seller",
    "split",
    "overlay",
    "channel",
    "customer",
    "territory",
    "solution",
    "modified_at",
)

#: Codes of ``ConnectorError``; the status page and the API show them as they are.
ERROR_CODES: tuple[str, ...] = (
    "auth",
    "rate_limit",
    "quota",
    "schema",
    "remote",
    "timeout",
    "record",
    "config",
)

Row = dict[str, str | None]


class ConnectorError(Exception):
    """What went wrong talking to a remote system, said for an admin.

    ``code`` is one of ``ERROR_CODES``; ``message`` is translated text that says what and
    where (the page, the record, the field); ``record_id``/``field`` locate a record-level or
    schema error."""

    def __init__(
        self,
        code: str,
        message: str | Promise,
        *,
        record_id: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.record_id = record_id
        self.field = field

    def __repr__(self) -> str:
        return f"ConnectorError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class Batch:
    """One page of rows (canonical keys) and an opaque cursor to resume after it."""

    rows: list[Row]
    cursor: str | None = None


@dataclass(frozen=True)
class ConfigField:
    """One setting an admin types for a connection (a URL, an instance, a field name).

    ``secret=True`` values (tokens, passwords, client secrets) are stored encrypted and never
    shown back. ``choices`` (value, label) make it a select."""

    name: str
    label: str | Promise
    required: bool = True
    secret: bool = False
    help_text: str | Promise = ""
    default: str = ""
    choices: tuple[tuple[str, str | Promise], ...] = field(default_factory=tuple)


class Connector(abc.ABC):
    """Reads sales from one remote system.

    ``config`` holds the non-secret settings (``config_fields`` with ``secret=False``),
    ``secrets`` the decrypted secret ones; ``http`` is the only way out to the network."""

    kind: ClassVar[str]
    label: ClassVar[str | Promise]
    config_fields: ClassVar[tuple[ConfigField, ...]] = ()
    #: True when ``changed_since(None)`` yields every record in scope and nothing else (a
    #: generic endpoint): a full reconciliation then takes its scope from that read instead of
    #: reading every id again through ``all_ids``.
    scope_from_full_read: ClassVar[bool] = False

    def __init__(self, config: dict[str, Any], secrets: dict[str, str], http: Http) -> None:
        self.config = dict(config)
        self.secrets = dict(secrets)
        self.http = http

    @abc.abstractmethod
    def check(self) -> None:
        """Check credentials and the remote schema (one small request); raise
        ``ConnectorError`` ("auth", "schema", …) with a located message."""

    @abc.abstractmethod
    def changed_since(self, since: datetime | None) -> Iterator[Batch]:
        """Every in-scope record modified at or after ``since`` (all of them when ``None``),
        page by page, as canonical rows."""

    def frames_since(self, since: datetime | None) -> Iterator[pl.DataFrame]:
        """``changed_since`` as frames of strings (one per page, a column per key): what the
        sync engine reads. Connectors that can build a page's columns without a dict per
        record override it (the generic one does)."""
        for batch in self.changed_since(since):
            if batch.rows:
                yield rows_frame(batch.rows)

    @abc.abstractmethod
    def all_ids(self) -> Iterator[list[str]]:
        """Every external id currently in scope (for the full reconciliation), page by page."""

    def secrets_to_store(self) -> dict[str, str] | None:
        """Secrets changed while talking to the remote (a refreshed access token), to be stored
        encrypted after the sync; ``None`` when nothing changed."""
        return None

    # Helpers for subclasses -------------------------------------------------------------

    @classmethod
    def secret_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in cls.config_fields if f.secret)

    @classmethod
    def plain_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in cls.config_fields if not f.secret)

    def setting(self, name: str, default: str = "") -> str:
        """A non-secret setting, stripped, or ``default``."""
        value = self.config.get(name)
        return str(value).strip() if value not in (None, "") else default

    def secret(self, name: str) -> str:
        """A secret setting; a missing one is an "auth" error naming the field."""
        value = self.secrets.get(name, "")
        if not value:
            raise ConnectorError(
                "auth",
                _("The credential “%(field)s” is not set.") % {"field": name},
                field=name,
            )
        return value

    def missing_field(
        self, field_name: str, *, record_id: str | None, where: str
    ) -> ConnectorError:
        """Schema drift: a field the connector reads is absent from a remote record."""
        return ConnectorError(
            "schema",
            _(
                "The remote field “%(field)s” is missing from %(where)s (renamed or removed "
                "on the remote side?)."
            )
            % {"field": field_name, "where": where},
            record_id=record_id,
            field=field_name,
        )


def rows_frame(rows: list[Row]) -> pl.DataFrame:
    """Rows (string or ``None`` values, keys may differ from row to row) as a frame of string
    columns, one per key seen; a key a row lacks is null in that row."""
    keys = dict.fromkeys(key for row in rows[:1] for key in row)
    keys.update(dict.fromkeys(set().union(*rows)))
    return pl.DataFrame(
        [pl.Series(key, [row.get(key) for row in rows], dtype=pl.String) for key in keys],
        height=len(rows),
    )


#: kind -> dotted path of the connector class. Connectors register here, one line each.
CONNECTORS: dict[str, str] = {
    "https": "pacte.sources.connectors.generic.GenericHttpsConnector",
    "salesforce": "pacte.sources.connectors.salesforce.SalesforceConnector",
    "hubspot": "pacte.sources.connectors.hubspot.HubSpotConnector",
    "pipedrive": "pacte.sources.connectors.pipedrive.PipedriveConnector",
    "odoo": "pacte.sources.connectors.odoo.OdooConnector",
}


def connector_class(kind: str) -> type[Connector]:
    """The class registered for ``kind``; ``KeyError`` when none is."""
    from django.utils.module_loading import import_string

    cls: type[Connector] = import_string(CONNECTORS[kind])
    return cls


def kind_choices() -> list[tuple[str, str]]:
    """(kind, label) for every registered connector, in registry order."""
    return [(kind, str(connector_class(kind).label)) for kind in CONNECTORS]
