"""The generic HTTPS connector: any system that serves its sales as JSON (a path to the
records and a next-page rule) or as a CSV file, behind a header or bearer token.

Rows keep the remote names of the fields (nested objects flattened with dots:
``owner.email``); the connection's mapping profile maps them to a sale's fields, as a file's
columns are mapped. ``external_id`` and ``modified_at`` are read from the fields the admin
names (``id`` and ``updated_at`` by default).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from operator import itemgetter
from typing import Any
from urllib.parse import urljoin

import polars as pl
import requests
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pacte.sources.connectors.base import (
    Batch,
    ConfigField,
    Connector,
    ConnectorError,
    Row,
    rows_frame,
)
from pacte.sources.http import where

MAX_PAGES = 100_000
CSV_BATCH = 5_000


def dig(data: Any, path: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; ``data`` itself for an empty path; ``None`` when a
    step is missing."""
    if not path:
        return data
    for step in path.split("."):
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def flatten(record: dict[str, Any], prefix: str = "") -> Row:
    """``{"owner": {"email": "a@x"}}`` → ``{"owner.email": "a@x"}``; lists of scalars joined
    with ``;``; every value a string or ``None``. (The hot loop of a large sync: strings, the
    common case, are taken as they are.)"""
    out: Row = {}
    for key, value in record.items():
        kind = type(value)
        if kind is str:
            out[prefix + key if prefix else key] = value
        elif value is None:
            out[prefix + key if prefix else key] = None
        elif kind is dict:
            out.update(flatten(value, f"{prefix}{key}."))
        elif kind is list:
            out[prefix + key] = ";".join(str(v) for v in value if not isinstance(v, dict | list))
        elif kind is bool:
            out[prefix + key] = "true" if value else "false"
        else:
            out[prefix + key] = str(value)
    return out


def scalar_text(value: Any) -> str | None:
    """A value that is not an object, as ``flatten`` writes it."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is list:
        return ";".join(str(v) for v in value if not isinstance(v, dict | list))
    if kind is bool:
        return "true" if value else "false"
    return str(value)


def records_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """JSON records as ``flatten`` would give them, as a frame of string columns, built a
    column at a time: a column of strings (the common case) goes to Polars as it is, with no
    dict per record; a column of other scalars is written as ``flatten`` writes them; a page
    with a nested object anywhere is flattened record by record."""
    if not records:
        return pl.DataFrame()
    keys = list(dict.fromkeys(records[0]))
    every = set().union(*records)
    try:
        if len(every) != len(keys):
            raise KeyError
        # Every record has the same keys (a typical page): a column at a time, in C (a
        # KeyError when a record lacks one). Transposing rows into tuples cost 3x more.
        columns: list[Any] = [list(map(itemgetter(key), records)) for key in keys]
    except KeyError:
        keys += sorted(every - set(keys))
        columns = [[r.get(key) for r in records] for key in keys]
    series = []
    for key, values in zip(keys, columns, strict=True):
        try:
            series.append(pl.Series(key, values, dtype=pl.String, strict=True))
        except TypeError:
            if any(type(v) is dict for v in values):
                return rows_frame([flatten(record) for record in records])
            series.append(pl.Series(key, [scalar_text(v) for v in values], dtype=pl.String))
    return pl.DataFrame(series, height=len(records))


def _utf8(response: requests.Response) -> bytes:
    """A text answer's bytes as UTF-8 without a byte order mark: in the charset its
    ``Content-Type`` declares, else UTF-8 (requests would assume Latin-1 for ``text/*``), else
    Latin-1 when it is not UTF-8."""
    raw = response.content
    declared = "charset=" in response.headers.get("Content-Type", "").lower()
    try:
        if declared and response.encoding:
            text = raw.decode(response.encoding, errors="replace")
        else:
            text = raw.decode("utf-8")
    except (LookupError, UnicodeDecodeError):  # an unknown charset, or not UTF-8
        text = raw.decode("latin-1")
    return text.lstrip("\ufeff").encode()


def _aware(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        return None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


class GenericHttpsConnector(Connector):
    kind = "https"
    label = gettext_lazy("JSON or CSV over HTTPS")
    scope_from_full_read = True
    config_fields = (
        ConfigField("url", gettext_lazy("URL"), help_text=gettext_lazy("Of the first page.")),
        ConfigField(
            "format",
            gettext_lazy("Format"),
            default="json",
            choices=(("json", "JSON"), ("csv", "CSV")),
        ),
        ConfigField(
            "records_path",
            gettext_lazy("Path to the records"),
            required=False,
            help_text=gettext_lazy(
                "Dotted path in the JSON answer, e.g. data.items; empty for a list."
            ),
        ),
        ConfigField(
            "next_rule",
            gettext_lazy("Next page"),
            default="none",
            choices=(
                ("none", gettext_lazy("One page")),
                ("next_field", gettext_lazy("A field holds the next URL")),
                ("link_header", gettext_lazy("Link header (rel=next)")),
                ("page", gettext_lazy("Page number parameter")),
                ("offset", gettext_lazy("Offset parameter")),
            ),
        ),
        ConfigField(
            "next_field",
            gettext_lazy("Field of the next URL"),
            required=False,
            help_text=gettext_lazy("Dotted path, e.g. links.next."),
        ),
        ConfigField("page_param", gettext_lazy("Page or offset parameter"), required=False),
        ConfigField("page_size_param", gettext_lazy("Page size parameter"), required=False),
        ConfigField("page_size", gettext_lazy("Page size"), required=False, default="100"),
        ConfigField(
            "since_param",
            gettext_lazy("Modified-since parameter"),
            required=False,
            help_text=gettext_lazy(
                "Query parameter that filters on the modification time (ISO date and time)."
            ),
        ),
        ConfigField("id_field", gettext_lazy("Id field"), default="id"),
        ConfigField(
            "modified_field", gettext_lazy("Modification time field"), default="updated_at"
        ),
        ConfigField(
            "auth",
            gettext_lazy("Authentication"),
            default="bearer",
            choices=(
                ("bearer", gettext_lazy("Bearer token")),
                ("header", gettext_lazy("Header")),
                ("none", gettext_lazy("None")),
            ),
        ),
        ConfigField("header_name", gettext_lazy("Header name"), required=False),
        ConfigField("token", gettext_lazy("Token"), required=False, secret=True),
    )

    # ----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        auth = self.setting("auth", "bearer")
        if auth == "none":
            return {}
        token = self.secret("token")
        if auth == "header":
            name = self.setting("header_name")
            if not name:
                raise ConnectorError(
                    "config", _("Name the header that carries the token."), field="header_name"
                )
            return {name: token}
        return {"Authorization": f"Bearer {token}"}

    def _url(self) -> str:
        url = self.setting("url")
        if not url:
            raise ConnectorError("config", _("The URL is not set."), field="url")
        return url

    def _records(self, data: Any, url: str) -> list[dict[str, Any]]:
        path = self.setting("records_path")
        records = dig(data, path)
        if not isinstance(records, list):
            raise ConnectorError(
                "schema",
                _("No list of records at “%(path)s” in the answer of %(url)s.")
                % {"path": path or "(top level)", "url": url.split("?")[0]},
                field=path or None,
            )
        return [r for r in records if isinstance(r, dict)]

    def _pages(self, since: datetime | None) -> Iterator[tuple[list[dict[str, Any]], str]]:
        """(records, where) page by page, following the next-page rule."""
        headers = self._headers()
        url: str | None = self._url()
        rule = self.setting("next_rule", "none")
        params: dict[str, Any] = {}
        since_param = self.setting("since_param")
        if since is not None and since_param:
            params[since_param] = since.isoformat()
        size_param = self.setting("page_size_param")
        size = int(self.setting("page_size", "100") or 100)
        if size_param:
            params[size_param] = size
        page_param = self.setting("page_param") or ("page" if rule == "page" else "offset")
        position = 1 if rule == "page" else 0
        if rule in ("page", "offset"):
            params[page_param] = position
        seen: set[str] = set()
        for number in range(1, MAX_PAGES + 1):
            assert url is not None
            response = self.http.get(url, params=params or None, headers=headers)
            data = self.http.json_of(response)
            records = self._records(data, response.url or url)
            yield records, _("page %(n)s") % {"n": number}
            if rule == "next_field":
                nxt = dig(data, self.setting("next_field"))
                url = urljoin(response.url or url, str(nxt)) if nxt else None
                params = {}
            elif rule == "link_header":
                link = response.links.get("next", {}).get("url")
                url = urljoin(response.url or url, link) if link else None
                params = {}
            elif rule in ("page", "offset"):
                if not records or (size_param and len(records) < size):
                    url = None
                position += 1 if rule == "page" else len(records)
                params[page_param] = position
            else:
                url = None
            if url is None:
                return
            key = url + repr(sorted(params.items()))
            if key in seen:
                raise ConnectorError(
                    "remote",
                    _("The next-page link of page %(n)s points back to a page already read.")
                    % {"n": number},
                )
            seen.add(key)
        raise ConnectorError("remote", _("More than %(n)s pages.") % {"n": MAX_PAGES})

    def _csv_frame(self) -> pl.DataFrame:
        """The CSV file as a frame of strings (a column a header, empty cells null), parsed in
        one pass by Polars: no dict per record."""
        response = self.http.get(self._url(), headers=self._headers())
        body = _utf8(response)
        if not body.strip():
            return pl.DataFrame()
        try:
            frame = pl.read_csv(
                body, infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False
            )
        except pl.exceptions.ComputeError as exc:
            raise ConnectorError(
                "remote",
                _("%(where)s did not answer CSV: %(error)s")
                % {"where": where(response.url or ""), "error": str(exc).splitlines()[0][:200]},
            ) from None
        named = [c for c in frame.columns if c.strip()]
        return frame.select(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in named)

    def _csv_batches(self) -> Iterator[tuple[pl.DataFrame, str]]:
        """The CSV frame in slices of ``CSV_BATCH`` rows, each with where it ends."""
        frame = self._csv_frame()
        if frame.height == 0:
            yield frame, _("line %(n)s") % {"n": 1}
            return
        for start in range(0, frame.height, CSV_BATCH):
            part = frame.slice(start, CSV_BATCH)
            yield part, _("line %(n)s") % {"n": start + part.height + 1}

    def _raw_batches(self, since: datetime | None) -> Iterator[tuple[list[Row], str]]:
        if self.setting("format", "json") == "csv":
            for part, place in self._csv_batches():
                yield part.to_dicts(), place
            return
        for records, place in self._pages(since):
            yield [flatten(r) for r in records], place

    # Connector ----------------------------------------------------------------------------

    def check(self) -> None:
        for rows, place in self._raw_batches(None):
            if rows:
                self._normalise(rows[0], place)
            return

    def _normalise(self, row: Row, place: str) -> Row:
        id_field = self.setting("id_field", "id")
        external_id = row.get(id_field)
        if external_id in (None, ""):
            raise self.missing_field(id_field, record_id=None, where=place)
        row["external_id"] = external_id
        modified_field = self.setting("modified_field", "updated_at")
        if modified_field in row:
            row["modified_at"] = row[modified_field]
        return row

    def changed_since(self, since: datetime | None) -> Iterator[Batch]:
        for rows, place in self._raw_batches(since):
            out = []
            for row in rows:
                self._normalise(row, place)
                if since is not None:
                    modified = _aware(row.get("modified_at"))
                    if modified is not None and modified < since:
                        continue
                out.append(row)
            yield Batch(rows=out, cursor=place)

    def frames_since(self, since: datetime | None) -> Iterator[pl.DataFrame]:
        """``changed_since`` a page at a time as frames, built a column at a time (a JSON
        page's records by key, a CSV file by Polars)."""
        pages: Iterator[tuple[pl.DataFrame, str]]
        if self.setting("format", "json") == "csv":
            pages = self._csv_batches()
        else:
            pages = ((records_frame(records), place) for records, place in self._pages(since))
        for frame, place in pages:
            if frame.height:
                yield self._normalised(frame, place, since)

    def _normalised(self, frame: pl.DataFrame, place: str, since: datetime | None) -> pl.DataFrame:
        """``_normalise`` for a whole frame, and the records modified before ``since`` left
        out."""
        id_field = self.setting("id_field", "id")
        modified_field = self.setting("modified_field", "updated_at")
        ids = frame.get_column(id_field) if id_field in frame.columns else None
        if ids is None or (ids.is_null() | (ids == "")).any():
            raise self.missing_field(id_field, record_id=None, where=place)
        frame = frame.with_columns(external_id=ids)
        if modified_field in frame.columns:
            frame = frame.with_columns(modified_at=pl.col(modified_field))
            if since is not None:
                stamps = frame.get_column("modified_at").to_list()
                keep = [(m := _aware(v)) is None or m >= since for v in stamps]
                frame = frame.filter(pl.Series(keep, dtype=pl.Boolean))
        return frame

    def all_ids(self) -> Iterator[list[str]]:
        for rows, place in self._raw_batches(None):
            yield [str(self._normalise(row, place)["external_id"]) for row in rows]
