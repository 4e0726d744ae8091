"""The generic HTTPS connector: JSON pages by next URL, Link header, page and offset; CSV;
tokens; schema drift."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from pacte.sources.connectors.base import ConnectorError, connector_class, rows_frame
from pacte.sources.connectors.generic import GenericHttpsConnector, flatten, records_frame
from pacte.sources.http import Http
from pacte.sources.tests.fakeserver import FakeServer, Request, json_answer

RECORDS = [
    {
        "id": i,
        "amount": f"{i}00.00",
        "owner": {"email": "a@x.com"},
        "updated_at": f"2026-01-0{i}T00:00:00Z",
    }
    for i in range(1, 6)
]


def connector(server: FakeServer, **config: Any) -> GenericHttpsConnector:
    config.setdefault("url", server.url("/sales"))
    return GenericHttpsConnector(config, {"token": "t0k"}, Http(sleep=lambda s: None))


def rows(c: GenericHttpsConnector, since: datetime | None = None) -> list[dict[str, Any]]:
    return [row for batch in c.changed_since(since) for row in batch.rows]


def test_registered_as_https() -> None:
    assert connector_class("https") is GenericHttpsConnector


def test_flatten_nested_objects() -> None:
    assert flatten({"a": {"b": 1}, "c": None, "d": [1, 2]}) == {"a.b": "1", "c": None, "d": "1;2"}


def test_next_url_field_and_bearer_token() -> None:
    def handle(req: Request):
        assert req.headers["authorization"] == "Bearer t0k"
        page = int(req.param("p", "0") or 0)
        nxt = f"/sales?p={page + 1}" if page < 2 else None
        return json_answer({"data": {"items": RECORDS[page * 2 : page * 2 + 2]}, "next": nxt})

    with FakeServer(handle) as server:
        got = rows(
            connector(server, records_path="data.items", next_rule="next_field", next_field="next")
        )
    assert [r["external_id"] for r in got] == ["1", "2", "3", "4", "5"]
    assert got[0]["owner.email"] == "a@x.com"
    assert got[0]["modified_at"] == "2026-01-01T00:00:00Z"


def test_link_header_and_custom_header_token() -> None:
    def handle(req: Request):
        assert req.headers["x-api-key"] == "t0k"
        page = int(req.param("p", "0") or 0)
        headers = {"Link": f'</sales?p={page + 1}>; rel="next"'} if page < 2 else {}
        return json_answer(RECORDS[page * 2 : page * 2 + 2], **headers)

    with FakeServer(handle) as server:
        got = rows(
            connector(server, next_rule="link_header", auth="header", header_name="X-Api-Key")
        )
    assert len(got) == 5


@pytest.mark.parametrize("rule", ["page", "offset"])
def test_page_and_offset_parameters(rule: str) -> None:
    def handle(req: Request):
        if rule == "page":
            start = (int(req.param("page") or 1) - 1) * 2
        else:
            start = int(req.param("offset") or 0)
        return json_answer(RECORDS[start : start + 2])

    with FakeServer(handle) as server:
        got = rows(
            connector(
                server, next_rule=rule, page_param=rule, page_size_param="limit", page_size="2"
            )
        )
    assert [r["external_id"] for r in got] == ["1", "2", "3", "4", "5"]


def test_since_is_sent_and_applied() -> None:
    with FakeServer(lambda req: json_answer(RECORDS)) as server:
        c = connector(server, since_param="modified_since")
        got = rows(c, datetime(2026, 1, 4, tzinfo=UTC))
        assert server.requests[0].param("modified_since") == "2026-01-04T00:00:00+00:00"
    assert [r["external_id"] for r in got] == ["4", "5"]


def test_csv_url() -> None:
    body = "id,amount,updated_at\n1,10.00,2026-01-01\n2,20.00,2026-01-02\n"
    with FakeServer(lambda req: (200, {"Content-Type": "text/csv"}, body)) as server:
        c = connector(server, format="csv")
        got = rows(c)
        ids = [i for batch in c.all_ids() for i in batch]
    assert [r["amount"] for r in got] == ["10.00", "20.00"]
    assert ids == ["1", "2"]


def test_csv_frames_keep_quoted_cells_and_read_empty_cells_as_null() -> None:
    body = '\ufeffid,amount,note\n1,"1,234.50",""\n2,20.00,"two\nlines"\n3\n'
    with FakeServer(lambda req: (200, {"Content-Type": "text/csv"}, body.encode())) as server:
        frames = list(connector(server, format="csv", auth="none").frames_since(None))
    assert len(frames) == 1
    assert frames[0].select("external_id", "amount", "note").rows() == [
        ("1", "1,234.50", None),
        ("2", "20.00", "two\nlines"),
        ("3", None, None),
    ]


def test_csv_row_without_an_id_is_a_located_schema_error() -> None:
    body = "id,amount\n1,10.00\n,20.00\n"
    with (
        FakeServer(lambda req: (200, {"Content-Type": "text/csv"}, body)) as server,
        pytest.raises(ConnectorError) as caught,
    ):
        list(connector(server, format="csv", auth="none").frames_since(None))
    assert (caught.value.code, caught.value.field) == ("schema", "id")
    assert "line 3" in caught.value.message


def test_renamed_id_field_is_a_located_schema_error() -> None:
    renamed = [{"deal_id": 1, "amount": "1"}]
    with (
        FakeServer(lambda req: json_answer(renamed)) as server,
        pytest.raises(ConnectorError) as caught,
    ):
        connector(server).check()
    assert caught.value.code == "schema"
    assert caught.value.field == "id"
    assert "page 1" in caught.value.message


def test_records_path_missing_is_schema_error() -> None:
    with (
        FakeServer(lambda req: json_answer({"results": []})) as server,
        pytest.raises(ConnectorError) as caught,
    ):
        rows(connector(server, records_path="data"))
    assert caught.value.code == "schema"


def test_missing_token_is_auth_error() -> None:
    with FakeServer(lambda req: json_answer([])) as server:
        c = GenericHttpsConnector({"url": server.url("/")}, {}, Http())
        with pytest.raises(ConnectorError) as caught:
            c.check()
    assert caught.value.code == "auth"
    assert caught.value.field == "token"


def test_next_link_looping_back_is_refused() -> None:
    with (
        FakeServer(lambda req: json_answer({"items": [], "next": "/sales?p=1"})) as server,
        pytest.raises(ConnectorError),
    ):
        rows(connector(server, records_path="items", next_rule="next_field", next_field="next"))


FRAME_CASES = [
    # Strings only: the column-at-a-time path.
    [{"id": "A", "amount": "1.50", "seller": "a@x.com"}, {"id": "B", "amount": None}],
    # Other scalars (numbers as their JSON text, booleans, lists), keys missing in a record.
    [
        {"id": 7, "amount": "12.30", "won": True, "tags": ["x", 2, {"no": 1}], "n": None},
        {"id": "8", "won": False, "tags": [], "extra": "e"},
        {"id": 10**20, "amount": "3"},
    ],
    # A nested object: flattened record by record, with dots.
    [
        {"id": "1", "owner": {"email": "a@x.com", "team": {"name": "T"}}},
        {"id": "2", "owner": None},
        {"id": "3", "owner": "plain"},
    ],
    [],
]


@pytest.mark.parametrize("records", FRAME_CASES)
def test_records_frame_is_flatten_as_a_frame(records: list[dict[str, Any]]) -> None:
    frame = records_frame(records)
    expected = rows_frame([flatten(r) for r in records])
    assert frame.height == len(records)
    assert set(frame.columns) == set(expected.columns)
    assert all(dtype == pl.String for dtype in frame.dtypes)
    assert (
        frame.select(sorted(frame.columns)).to_dicts()
        == expected.select(sorted(expected.columns)).to_dicts()
    )


def test_frames_since_matches_changed_since() -> None:
    pages = {
        "1": {"data": RECORDS[:3], "next": "/sales?p=2"},
        "2": {"data": RECORDS[3:], "next": None},
    }

    def handle(req: Request) -> Any:
        return json_answer(pages[req.param("p", "1") or "1"])

    with FakeServer(handle) as server:
        c = connector(
            server, records_path="data", next_rule="next_field", next_field="next", auth="none"
        )
        since = datetime(2026, 1, 3, tzinfo=UTC)
        for moment in (None, since):
            framed = pl.concat(list(c.frames_since(moment)), how="diagonal")
            assert (
                framed.to_dicts() == rows_frame(rows(c, moment)).select(framed.columns).to_dicts()
            )
        assert framed.get_column("external_id").to_list() == ["3", "4", "5"]


def test_frames_since_refuses_a_record_without_id() -> None:
    with (
        FakeServer(lambda req: json_answer([{"id": "1"}, {"amount": "2"}])) as server,
        pytest.raises(ConnectorError) as err,
    ):
        list(connector(server, auth="none").frames_since(None))
    assert (err.value.code, err.value.field) == ("schema", "id")
